"""The C backend as symcore's cpu backend: chosen by default, overridden by ``linker=py``,
and behaving like the reference backend through ``symcore.function`` (argument checking
and conversion, keyword arguments and defaults, output kinds, pickling, trust_input)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from sym_backend_c.linker import CLinker
from symcore.compile.mode import Mode
from symcore.config import change_flags
from symcore.link.reference import ReferenceLinker


def _raw_linker(f):
    linker = f.maker.linker
    return getattr(linker, "inner", linker)


def test_default_cpu_function_is_built_by_the_c_linker(c_function):
    x = T.dvector("x")
    f = c_function([x], T.exp(x) * 2 + 1)
    assert isinstance(_raw_linker(f), CLinker)
    report = f.maker.fgraph.linker_report
    assert report.validates_inputs
    assert report.c_nodes and not report.fallback_nodes
    assert "symc_run" in report.source
    v = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(f(v), np.exp(v) * 2 + 1, rtol=1e-14)


@pytest.mark.parametrize(
    "how",
    ["flag", "mode_object", "mode_name"],
)
def test_linker_py_forces_the_reference_backend(how):
    x = T.dvector("x")
    if how == "flag":
        with change_flags(linker="py"):
            f = symcore.function([x], T.exp(x) + 1)
    elif how == "mode_object":
        f = symcore.function([x], T.exp(x) + 1, mode=Mode(linker="py"))
    else:
        f = symcore.function([x], T.exp(x) + 1, mode="FAST_COMPILE")
    assert isinstance(_raw_linker(f), ReferenceLinker)
    assert getattr(f.maker.fgraph, "linker_report", None) is None
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) + 1)


def test_mode_linker_c_by_name(c_function):
    x = T.dvector("x")
    f = c_function([x], x * 3, mode=Mode(linker="c"))
    assert isinstance(_raw_linker(f), CLinker)
    np.testing.assert_array_equal(f(np.arange(4.0)), np.arange(4.0) * 3)


def test_arguments_are_converted_like_the_reference_backend(c_function, py_function):
    x = T.dvector("x")
    s = T.dscalar("s")
    out = x * s + 1
    f = c_function([x, s], out)
    g = py_function([x, s], out)
    for args in (
        ([1, 2, 3], 2),  # a list and a Python int
        (np.arange(3, dtype="int32"), 0.5),  # int32 array upcast to float64
        (np.arange(6.0)[::2], np.float64(3)),  # strided array, numpy scalar
        ((1.5, 2.5), np.array(4.0)),  # tuple, 0-d array
    ):
        np.testing.assert_array_equal(f(*args), g(*args))


def test_bad_arguments_raise_type_errors_naming_the_input(c_function):
    x = T.dvector("x")
    f = c_function([x], x + 1)
    with pytest.raises(TypeError, match="x"):
        f(np.ones((2, 2)))
    with pytest.raises((TypeError, ValueError), match="Bad input argument"):
        f("not an array")
    with pytest.raises(TypeError, match="positional"):
        f(np.ones(2), np.ones(2))
    # float32 data for a float64 input is converted (as the reference backend does)
    np.testing.assert_array_equal(f(np.ones(2, dtype="float32")), [2.0, 2.0])


def test_trust_input_with_a_wrong_value_is_an_error_not_a_crash(c_function):
    x = T.dmatrix("x")
    f = c_function([x], x * 2)
    f.trust_input = True
    np.testing.assert_array_equal(f(np.ones((2, 3))), np.full((2, 3), 2.0))
    for bad in (np.ones(3), np.ones((2, 3), dtype="float32"), [[1.0]], None):
        with pytest.raises(TypeError, match="Bad input argument 0"):
            f(bad)


def test_broadcastable_input_checked(c_function):
    r = T.drow("r")
    f = c_function([r], r + 1)
    np.testing.assert_array_equal(f(np.zeros((1, 3))), np.ones((1, 3)))
    with pytest.raises(TypeError, match="broadcastable"):
        f(np.zeros((2, 3)))


def test_keywords_defaults_and_output_kinds(c_function):
    x, y = T.dvectors("x", "y")
    f = c_function([x, symcore.In(y, value=np.array([10.0, 20.0]))], [x + y, x * y])
    a = np.array([1.0, 2.0])
    np.testing.assert_array_equal(f(a)[0], a + [10, 20])
    np.testing.assert_array_equal(f(x=a, y=a)[1], a * a)
    assert isinstance(f(a), list) and len(f(a)) == 2
    d = c_function([x, y], {"sum": x + y, "diff": x - y})
    out = d(a, a)
    assert set(out) == {"sum", "diff"}
    np.testing.assert_array_equal(out["diff"], [0.0, 0.0])
    np.testing.assert_array_equal(f(a, a, output_subset=[1])[0], a * a)


def test_no_outputs_and_constant_outputs(c_function):
    x = T.dvector("x")
    f = c_function([x], [], on_unused_input="ignore")
    assert f(np.ones(2)) == []
    g = c_function([x], [T.constant(np.arange(3.0)), x * 2])
    first = g(np.ones(2))[0]
    np.testing.assert_array_equal(first, np.arange(3.0))
    first[0] = 99.0  # the caller owns what it gets: the constant is unchanged
    np.testing.assert_array_equal(g(np.ones(2))[0], np.arange(3.0))


def test_pickled_function_is_rebuilt_from_the_disk_cache(c_function):
    x = T.dmatrix("x")
    f = c_function([x], T.tanh(x) * 0.5)
    g = pickle.loads(pickle.dumps(f))
    report = g.maker.fgraph.linker_report
    assert report.backend == "c"
    assert report.from_cache
    v = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(g(v), f(v))


def test_same_graph_in_two_functions_builds_once(c_function):
    x = T.dvector("x")
    f1 = c_function([x], T.sqrt(x) + 7.25)
    x2 = T.dvector("x")
    f2 = c_function([x2], T.sqrt(x2) + 7.25)
    assert f2.maker.fgraph.linker_report.from_cache
    assert f1.maker.fgraph.linker_report.source == f2.maker.fgraph.linker_report.source
    np.testing.assert_array_equal(f1(np.arange(3.0)), f2(np.arange(3.0)))


def test_eval_uses_the_default_backend(requires_compiler):
    x = T.dvector("x")
    np.testing.assert_allclose((T.cos(x) * 3).eval({x: np.arange(3.0)}), np.cos(np.arange(3.0)) * 3)


def test_deep_unrewritten_graph_compiles_three_kernels(c_function):
    """A graph of 400 additions without rewrites: identical nodes share one C function (one
    for the 400 DimShuffles of the constant, one for the 400 additions, whose arrays are
    all kept and recycled across calls by default: ``CLinker(allow_gc=False)``), and the
    runner is split into parts, so compile time stays linear in the number of nodes."""
    x = T.dvector("x")
    y = x
    for _ in range(400):
        y = y + 1.5
    f = c_function([x], y, mode=Mode(optimizer=None))
    report = f.maker.fgraph.linker_report
    assert len(report.c_nodes) == 800
    assert report.source.count("static SYMC_NOINLINE int symc_kernel_") == 2
    np.testing.assert_array_equal(f(np.zeros(3)), np.full(3, 600.0))


def test_c_and_reference_agree_on_a_training_step(c_function, py_function):
    """Logistic regression's gradient step (dot, reductions, elementwise, updates)."""
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((40, 7))
    yv = (rng.random(40) > 0.5).astype("float64")

    def build():
        x, y = T.dmatrix("x"), T.dvector("y")
        w = symcore.shared(np.zeros(7), name="w")
        b = symcore.shared(0.0, name="b")
        p = 1 / (1 + T.exp(-T.dot(x, w) - b))
        cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean() + 0.01 * (w**2).sum()
        gw, gb = T.grad(cost, [w, b])
        return [x, y], cost, [(w, w - 0.1 * gw), (b, b - 0.1 * gb)], w

    ins, cost, updates, w_c = build()
    f = c_function(ins, cost, updates=updates, fallbacks="any")
    ins, cost, updates, w_p = build()
    g = py_function(ins, cost, updates=updates)
    for _ in range(5):
        np.testing.assert_allclose(f(xv, yv), g(xv, yv), rtol=1e-12)
    np.testing.assert_allclose(w_c.get_value(), w_p.get_value(), rtol=1e-12)
    # NumPy oracle for the weights after 5 steps
    w, b = np.zeros(7), 0.0
    for _ in range(5):
        p = 1 / (1 + np.exp(-(xv @ w) - b))
        gw = xv.T @ (p - yv) / len(yv) + 0.02 * w
        gb = (p - yv).mean()
        w, b = w - 0.1 * gw, b - 0.1 * gb
    np.testing.assert_allclose(w_c.get_value(), w, rtol=1e-10)
