"""When C is not possible or goes wrong: no compiler (one warning, reference backend),
nodes without C code (their Python perform, checked), C that does not compile (a message
naming the node, with a source excerpt and the compiler's words), run-time errors (Op,
shapes, user line), and ``profile=True`` showing what fell back and per-node times."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import sym_backend_c.linker as linker_mod
import symcore
import symcore.tensor as T
from sym_backend_c.build import CCompileError
from sym_backend_c.codegen.registry import register_c_impl
from symcore.config import change_flags
from symcore.graph.basic import Apply
from symcore.graph.op import Op


class TwiceNoC(Op):
    """x * 2 with no C implementation (runs its perform); ``mode`` breaks it on purpose."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, outputs):
        (x,) = inputs
        if self.mode == "raise":
            raise ValueError("TwiceNoC refuses negative numbers")
        if self.mode == "wrong_dtype":
            outputs[0][0] = (x * 2).astype("float32")
            return
        outputs[0][0] = x * 2


class BrokenC(Op):
    """An Op whose registered C code does not compile."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = inputs[0] + 1


@register_c_impl(BrokenC)
def _broken_c(op, node, ctx):
    return f"        {ctx.outputs[0]} = symc_this_function_does_not_exist({ctx.inputs[0]}, 42);"


@pytest.fixture
def fresh_warning_state(monkeypatch):
    monkeypatch.setattr(linker_mod, "_warned_no_compiler", False)


@pytest.mark.parametrize("cxx", ["", "/nonexistent/bin/g++-404"])
def test_no_compiler_warns_once_and_uses_the_reference_backend(cxx, fresh_warning_state):
    x = T.dvector("x")
    with change_flags(cxx=cxx):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f = symcore.function([x], T.exp(x) + 1)
            g = symcore.function([x], T.sqrt(x) * 2)
    relevant = [w for w in caught if "reference backend" in str(w.message)]
    assert len(relevant) == 1, [str(w.message) for w in caught]
    assert issubclass(relevant[0].category, RuntimeWarning)
    if cxx:
        assert cxx in str(relevant[0].message)
    for fn in (f, g):
        assert fn.maker.fgraph.linker_report.backend == "py"
    v = np.arange(4.0)
    np.testing.assert_allclose(f(v), np.exp(v) + 1)
    np.testing.assert_allclose(g(v), np.sqrt(v) * 2)


def test_node_without_c_code_runs_its_perform(c_function):
    x = T.dvector("x")
    f = c_function([x], T.exp(TwiceNoC()(x + 1)), fallbacks=("TwiceNoC",))
    report = f.maker.fgraph.linker_report
    assert [type(n.op) for n in report.fallback_nodes] == [TwiceNoC]
    assert report.c_nodes
    v = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(f(v), np.exp((v + 1) * 2))


def test_fallback_error_names_the_op_and_the_user_line(c_function):
    x = T.dvector("x")
    y = TwiceNoC("raise")(x) + 1  # the user line the message must show
    f = c_function([x], y, fallbacks=("TwiceNoC",))
    with pytest.raises(ValueError) as info:
        f(np.ones(3))
    msg = str(info.value)
    assert "TwiceNoC refuses negative numbers" in msg
    assert "TwiceNoC" in msg and "test_fallbacks_and_errors.py" in msg


def test_fallback_returning_the_wrong_type_is_caught(c_function):
    x = T.dvector("x")
    f = c_function([x], TwiceNoC("wrong_dtype")(x) * 3, fallbacks=("TwiceNoC",))
    with pytest.raises(TypeError, match="wrong type"):
        f(np.ones(3))


def test_c_runtime_error_names_the_op_shapes_and_user_line(c_function):
    x, y = T.dvectors("x", "y")
    z = T.exp(x) + y  # built here
    f = c_function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    msg = str(info.value)
    assert "(3,)" in msg and "(4,)" in msg
    assert "test_fallbacks_and_errors.py" in msg and "z = T.exp(x) + y" in msg


def test_compile_error_shows_the_op_the_source_and_the_compiler_message(requires_compiler):
    x = T.dvector("x")
    with pytest.raises(CCompileError) as info:
        symcore.function([x], BrokenC()(x) * 2)
    msg = str(info.value)
    assert "The failing code is the C code of BrokenC, built at:" in msg  # which node
    assert "symc_this_function_does_not_exist" in msg  # the source excerpt
    assert "error" in msg.lower()  # the compiler's own message
    excerpt = [ln for ln in msg.splitlines() if ln.startswith(">")]
    assert excerpt and "symc_this_function_does_not_exist" in excerpt[0]
    saved = msg.split("saved in ", 1)[1].splitlines()[0].strip()
    assert "symc_this_function_does_not_exist" in open(saved).read()


def test_profile_shows_fallback_nodes_and_per_node_times(c_function):
    x = T.dmatrix("x")
    y = TwiceNoC()(T.tanh(x) + 1).sum()
    f = c_function([x], y, fallbacks=("TwiceNoC",), profile=True)
    v = np.random.default_rng(0).standard_normal((50, 40))
    for _ in range(3):
        np.testing.assert_allclose(f(v), ((np.tanh(v) + 1) * 2).sum())
    prof = f.profile
    assert prof.fct_callcount == 3
    nodes = f.maker.fgraph.toposort()
    assert all(prof.apply_callcount[n] == 3 for n in nodes)
    assert all(prof.apply_time[n] > 0 for n in nodes)
    assert sum(prof.apply_time.values()) <= prof.fct_call_time
    out = io.StringIO()
    prof.summary(file=out)
    text = out.getvalue()
    assert "Backend: c" in text
    fallback_lines = [ln for ln in text.splitlines() if "fallback:" in ln]
    assert len(fallback_lines) == 1 and "TwiceNoC" in fallback_lines[0]
