"""Intermediate buffers kept between calls (``CLinker(allow_gc=False)``): a node's array
from one call is reused by the next only when nothing else holds it, so results the caller
kept (or views of them, or a shared variable's value) are never overwritten, in-place Ops
on recycled buffers give NumPy's values, and ``allow_gc=True`` keeps no intermediate."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from sym_backend_c.linker import CLinker
from symcore.compile.mode import Mode


def _mode(allow_gc: bool) -> Mode:
    return Mode(linker=CLinker(allow_gc=allow_gc), optimizer="fast_run")


def _ops(f) -> list[str]:
    return [type(n.op).__name__ for n in f.maker.fgraph.toposort()]


@pytest.fixture(params=[False, True], ids=["keep", "gc"])
def allow_gc(request):
    return request.param


def test_repeated_calls_match_numpy(c_function, allow_gc):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    j = T.join(0, a, b)  # intermediate: Join, then an Elemwise and an Alloc
    z = T.alloc(np.float64(0.5), j.shape[0], j.shape[1])
    f = c_function([a, b], [(T.exp(j) + z).sum(axis=0), (j * j).sum()], mode=_mode(allow_gc))
    assert "Join" in _ops(f) and "Alloc" in _ops(f)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    first = f(x, y)
    for _ in range(3):
        again = f(x, y)
        for r, s in zip(first, again, strict=True):
            np.testing.assert_array_equal(r, s)
    jj = np.concatenate([x, y])
    np.testing.assert_allclose(first[0], (np.exp(jj) + 0.5).sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(first[1], (jj * jj).sum(), rtol=1e-13)


def test_shapes_changing_between_calls(c_function, allow_gc):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = c_function([a, b], (T.join(1, a, b) * 3).sum(axis=1), mode=_mode(allow_gc))
    rng = np.random.default_rng(1)
    for n, m, k in [(2, 3, 1), (5, 1, 4), (2, 3, 1), (0, 2, 2), (4, 4, 4)]:
        x, y = rng.standard_normal((n, m)), rng.standard_normal((n, k))
        np.testing.assert_allclose(
            f(x, y), (np.concatenate([x, y], axis=1) * 3).sum(axis=1), rtol=1e-13
        )


def test_kept_results_and_views_of_intermediates_survive_later_calls(c_function, allow_gc):
    a, b = T.dvector("a"), T.dvector("b")
    j = T.join(0, a, b)
    # the Join's array is an intermediate, returned to the caller only through views
    f = c_function([a, b], [j[1:], j[::2], T.exp(j)[:2], T.join(0, b, a)], mode=_mode(allow_gc))
    assert "Join" in _ops(f)
    x, y = np.arange(3.0), np.arange(10.0, 12.0)
    first = f(x, y)
    expected = [np.r_[x, y][1:], np.r_[x, y][::2], np.exp(np.r_[x, y])[:2], np.r_[y, x]]
    for _ in range(3):  # later calls with other values must not write into `first`
        second = f(-x, -y)
        for r, e in zip(second, expected, strict=True):
            np.testing.assert_allclose(r, -e if r.shape != (2,) else np.exp(-np.r_[x, y])[:2])
    for r, e in zip(first, expected, strict=True):
        np.testing.assert_allclose(r, e, rtol=1e-15)


def test_dropped_output_is_recycled_kept_one_is_not(c_function, allow_gc):
    a, b = T.dvector("a"), T.dvector("b")
    f = c_function([a, b], T.join(0, a, b), mode=_mode(allow_gc))
    r1 = f(np.zeros(2), np.ones(2))
    r2 = f(np.ones(2), np.zeros(2))
    assert not np.may_share_memory(r1, r2)
    np.testing.assert_array_equal(r1, [0, 0, 1, 1])
    np.testing.assert_array_equal(r2, [1, 1, 0, 0])
    addr = r2.__array_interface__["data"][0]
    del r1, r2  # dropped by the caller: the next call may write into it again
    r3 = f(np.full(2, 2.0), np.full(2, 3.0))
    np.testing.assert_array_equal(r3, [2, 2, 3, 3])
    assert r3.__array_interface__["data"][0] == addr


def test_inplace_ops_on_recycled_buffers(c_function, allow_gc):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    j = T.join(0, a, b)
    # the rewrites make the Elemwise after the Join work in place on the Join's array
    f = c_function([a, b], [T.tanh(j * 2 + 1), (j + a.sum()).sum()], mode=_mode(allow_gc))
    nodes = f.maker.fgraph.toposort()
    join = next(n for n in nodes if type(n.op).__name__ == "Join")
    inplace = [
        n for n in nodes if getattr(n.op, "destroy_map", None) and join.outputs[0] in n.inputs
    ]
    assert inplace, [str(n.op) for n in nodes]
    rng = np.random.default_rng(2)
    kept = []
    for k in range(4):
        x, y = rng.standard_normal((2, 3)), rng.standard_normal((1, 3))
        out = f(x, y)
        jj = np.concatenate([x, y])
        np.testing.assert_allclose(out[0], np.tanh(jj * 2 + 1), rtol=1e-14)
        np.testing.assert_allclose(out[1], (jj + x.sum()).sum(), rtol=1e-13)
        kept.append((out[0], np.tanh(jj * 2 + 1)))
        if k % 2:
            del out  # alternately keep and drop the results
    for got, want in kept:
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_shared_variable_value_is_never_reused(c_function, allow_gc):
    x = T.dvector("x")
    s = symcore.shared(np.zeros(4), name="s")
    # the update is a Join's array: after the call it is the shared variable's value
    f = c_function([x], (s * 1).sum(), updates=[(s, T.join(0, x, x) + 0)], mode=_mode(allow_gc))
    f(np.arange(2.0))
    v1 = s.get_value(borrow=True)
    np.testing.assert_array_equal(v1, [0, 1, 0, 1])
    assert f(np.arange(2.0) + 5) == 2.0
    np.testing.assert_array_equal(v1, [0, 1, 0, 1])  # still the first call's value
    np.testing.assert_array_equal(s.get_value(), [5, 6, 5, 6])
    assert f(np.zeros(2)) == 22.0


def test_error_after_a_kept_allocation_leaves_the_function_usable(c_function, allow_gc):
    a, b, c = T.dvector("a"), T.dvector("b"), T.dvector("c")
    f = c_function([a, b, c], T.join(0, a, b) * c, mode=_mode(allow_gc))
    with pytest.raises(ValueError):
        f(np.ones(2), np.ones(2), np.ones(3))  # the Join ran; the product fails
    np.testing.assert_array_equal(f(np.ones(2), np.zeros(1), np.full(3, 2.0)), [2, 2, 0])


def _held_after_call(allow_gc: bool | None, n: int) -> int:
    """Bytes NumPy still holds after one call (its scalar result dropped) of a function
    whose intermediates are a Join and an Alloc of 2n float64 each (the Elemwise adding them
    works in place)."""
    a, b = T.dvector("a"), T.dvector("b")
    j = T.join(0, a, b)
    z = T.alloc(np.float64(1.0), 2 * n)
    kw = {} if allow_gc is None else {"mode": _mode(allow_gc)}  # None: the default C mode
    f = symcore.function([a, b], (T.exp(j) + z).sum(), **kw)
    assert f.maker.fgraph.linker_report.backend == "c"
    assert {"Join", "Alloc", "Elemwise"} <= set(_ops(f))
    x = np.ones(n)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        f(x, x)
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


def test_allow_gc_releases_intermediates(requires_compiler):
    n = 250_000  # 2n float64: 4 MB per intermediate
    held_gc = _held_after_call(True, n)
    held_keep = _held_after_call(False, n)
    assert held_gc < 64 * 1024, held_gc  # nothing kept
    assert held_keep >= 2 * 16 * n, held_keep  # the two intermediates


def test_the_default_keeps_buffers(requires_compiler):
    assert CLinker().allow_gc is False
    assert _held_after_call(None, 250_000) >= 2 * 16 * 250_000


def test_the_allow_gc_config_flag_sets_the_default(requires_compiler):
    from symcore.config import config

    with config.change_flags(allow_gc=True):
        assert CLinker().allow_gc is True
        assert _held_after_call(None, 250_000) < 64 * 1024
    assert CLinker(allow_gc=True).allow_gc is True  # an explicit setting wins


def test_kept_buffers_are_allocated_once(requires_compiler):
    """allow_gc=False: the arrays kept from the first call are reused, so later calls
    allocate nothing large; allow_gc=True allocates (and frees) them on every call."""
    a, b = T.dvector("a"), T.dvector("b")
    j = T.join(0, a, b)
    out = {}
    for gc in (True, False):
        f = symcore.function([a, b], (T.exp(j) * 2).sum(), mode=_mode(gc))
        x = np.ones(100_000)
        f(x, x)
        tracemalloc.start()
        try:
            f(x, x)
            out[gc] = tracemalloc.get_traced_memory()[1]  # peak during the call
        finally:
            tracemalloc.stop()
    assert out[True] >= 1_600_000, out  # the Join's 1.6 MB array, new in the call
    assert out[False] < 64 * 1024, out
