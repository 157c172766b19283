"""Profiling: per-node and per-Op times and counts, memory, rewrite and linker times."""

from __future__ import annotations

import io

import numpy as np
import symcore
import symcore.tensor as T
from symcore.compile.mode import Mode
from symcore.compile.nanguardmode import NanGuardMode
from symcore.compile.profiling import InstrumentedLinker, ProfileStats, print_all_profiles
from symcore.config import config
from symcore.link.reference import ReferenceLinker

N = 1000


def _graph():
    x = T.dvector("x")
    return x, (T.exp(x) * 2) + 1


def test_profile_true_attaches_stats_and_counts_calls():
    x, out = _graph()
    f = symcore.function([x], out, profile=True, mode=Mode(linker="py", optimizer=None))
    assert isinstance(f.profile, ProfileStats)
    xv = np.linspace(0, 1, N)
    for _ in range(3):
        np.testing.assert_allclose(f(xv), np.exp(xv) * 2 + 1)
    prof = f.profile
    nodes = f.maker.fgraph.toposort()
    assert prof.fct_callcount == 3
    assert set(prof.apply_callcount) == set(nodes)
    assert all(prof.apply_callcount[n] == 3 for n in nodes)
    assert all(prof.apply_time[n] > 0 for n in nodes)
    assert prof.fct_call_time >= prof.thunk_time() > 0
    assert sum(prof.class_callcount().values()) == 3 * len(nodes)
    assert sum(prof.op_time().values()) == prof.thunk_time()
    assert prof.linker_time > 0 and prof.rewrite_time >= 0
    assert prof.compile_time == prof.rewrite_time + prof.linker_time


def test_memory_of_intermediates():
    x, out = _graph()
    f = symcore.function([x], out, profile=True, mode=Mode(linker="py", optimizer=None))
    f(np.zeros(N))
    prof = f.profile
    big = [n for n in f.maker.fgraph.toposort() if n.outputs[0].type.broadcastable == (False,)]
    assert len(big) == 3  # exp, mul, add (the constants' dimshuffles are tiny)
    for node in big:
        assert prof.variable_nbytes[node.outputs[0]] == 8 * N
    # exp -> mul -> add: at most two big intermediates alive at once (exp is freed after mul)
    assert 2 * 8 * N <= prof.peak_memory() <= 2 * 8 * N + 64


def test_rewrite_phases_are_recorded():
    x, out = _graph()
    f = symcore.function([x], out, profile=True, mode="FAST_RUN")
    f(np.zeros(4))
    names = [n for n, _ in f.profile.rewriter_profile]
    assert names[:3] == ["merge1", "useless", "canonicalize"]
    assert f.profile.rewrite_time >= sum(t for _, t in f.profile.rewriter_profile)


def test_summary_text():
    x, out = _graph()
    f = symcore.function(
        [x], out, profile=True, mode=Mode(linker="py", optimizer=None), name="my_fn"
    )
    f(np.zeros(10))
    buf = io.StringIO()
    f.profile.summary(file=buf)
    text = buf.getvalue()
    for part in (
        "Function profiling",
        "Time in 1 calls",
        "Rewriting time",
        "Linker time",
        "Class",
        "Elemwise",
        "Apply",
        "Memory profile",
        "Peak memory of intermediates",
    ):
        assert part in text
    assert "exp" in text


def test_config_profile_flag_profiles_every_function():
    x, out = _graph()
    with config.change_flags(profile=True):
        f = symcore.function([x], out, mode=Mode(linker="py", optimizer=None))
        f(np.zeros(3))
        assert isinstance(f.profile, ProfileStats) and f.profile.fct_callcount == 1
        buf = io.StringIO()
        print_all_profiles(buf)
        assert "Function profiling" in buf.getvalue()
    g = symcore.function([x], out)
    assert g.profile is None


def test_linker_without_node_thunks_still_counts_calls():
    class Opaque:
        def make_thunk(self, fgraph):
            return ReferenceLinker().make_thunk(fgraph)

    x, out = _graph()
    f = symcore.function([x], out, profile=True, mode=Mode(linker=Opaque(), optimizer=None))
    np.testing.assert_allclose(f(np.zeros(2)), [3.0, 3.0])
    f(np.zeros(2))
    assert f.profile.fct_callcount == 2
    assert f.profile.fct_call_time > 0


def test_unprofiled_functions_get_the_plain_thunk():
    x, out = _graph()
    fg_linker = Mode(linker="py", optimizer=None).linker
    assert isinstance(fg_linker, InstrumentedLinker)
    f = symcore.function([x], out, mode=Mode(linker="py", optimizer=None))
    assert f.profile is None
    # the reference linker's own run loop (not the instrumented one) is used
    assert f.maker.thunk.__module__ == "symcore.link.reference"


def test_nanguard_mode_can_be_profiled():
    x, out = _graph()
    f = symcore.function([x], out, profile=True, mode=NanGuardMode(optimizer=None))
    f(np.zeros(5))
    assert f.profile.fct_callcount == 1
    assert all(c == 1 for c in f.profile.apply_callcount.values())
