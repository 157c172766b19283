"""DebugMode catches dishonest Ops, wrong implementations, wrong shapes and wrong rewrites."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.debugmode import (
    BadDestroyMap,
    BadInferShape,
    BadOptimization,
    BadThunkOutput,
    BadViewMap,
    DebugMode,
    DebugModeError,
    InvalidValueError,
)
from symcore.compile.mode import get_mode
from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.link.reference import ReferenceLinker
from symcore.rewriting import in2out, node_rewriter


class Double(Op):
    """2 * x, with an alternative ("compiled") implementation in ``impl``."""

    __props__ = ("impl_offset",)

    def __init__(self, impl_offset=0.0):
        self.impl_offset = impl_offset

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(inputs[0] * 2, dtype=node.outputs[0].type.dtype)

    def impl(self, x):
        """The planted alternative implementation (wrong when impl_offset != 0)."""
        return np.asarray(x * 2 + self.impl_offset, dtype=x.dtype)

    def infer_shape(self, node, shapes):
        return [shapes[0]]


class FakeCompiledLinker:
    """A backend whose per-node thunks use ``op.impl`` when the Op has one."""

    def __init__(self):
        self.ref = ReferenceLinker()

    def make_thunk(self, fgraph):
        return self.ref.make_thunk(fgraph)

    def make_node_thunk(self, node, fgraph=None):
        impl = getattr(node.op, "impl", None)
        if impl is None:
            return self.ref.make_node_thunk(node, fgraph)
        return lambda values: [impl(*values)]


class WholeGraphLinker:
    """A backend without per-node thunks whose whole-graph result is off by one."""

    def make_thunk(self, fgraph):
        run = ReferenceLinker().make_thunk(fgraph)
        return lambda values: [o + 1 for o in run(values)]


class SneakyDestroy(Op):
    """Doubles its input IN PLACE without declaring destroy_map."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        x = inputs[0]
        x *= 2
        out[0][0] = x.copy()


class SneakyView(Op):
    """Returns a view of its input without declaring view_map."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0][::1]


class WrongShape(Op):
    """perform drops the last element; infer_shape claims the input shape."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0][:-1].copy()

    def infer_shape(self, node, shapes):
        return [shapes[0]]


class WrongDtype(Op):
    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0].astype("float32")


def _mode(**kw):
    kw.setdefault("optimizer", None)
    return DebugMode(**kw)


XV = np.array([1.0, 2.0, 3.0])


def test_planted_wrong_alternative_implementation_is_caught():
    x = T.dvector("x")
    f = symcore.function(
        [x], T.exp(Double(impl_offset=0.5)(x)), mode=_mode(linker=FakeCompiledLinker())
    )
    with pytest.raises(BadThunkOutput, match="Double") as err:
        f(XV)
    assert err.value.node.op == Double(0.5)
    np.testing.assert_allclose(err.value.ref, XV * 2)
    np.testing.assert_allclose(err.value.got, XV * 2 + 0.5)


def test_correct_alternative_implementation_passes():
    x = T.dvector("x")
    f = symcore.function([x], T.exp(Double()(x)), mode=_mode(linker=FakeCompiledLinker()))
    np.testing.assert_allclose(f(XV), np.exp(XV * 2))


def test_linker_without_node_thunks_is_compared_as_a_whole():
    x = T.dvector("x")
    f = symcore.function([x], Double()(x), mode=_mode(linker=WholeGraphLinker()))
    with pytest.raises(BadThunkOutput, match="whole graph"):
        f(XV)


def test_undeclared_destroy_is_caught():
    x = T.dvector("x")
    f = symcore.function([x], SneakyDestroy()(T.exp(x)), mode=_mode())
    with pytest.raises(BadDestroyMap, match="SneakyDestroy modified its input 0") as err:
        f(XV)
    np.testing.assert_allclose(err.value.before, np.exp(XV))
    np.testing.assert_allclose(err.value.after, 2 * np.exp(XV))


def test_undeclared_view_is_caught():
    x = T.dvector("x")
    f = symcore.function([x], SneakyView()(T.exp(x)), mode=_mode())
    with pytest.raises(BadViewMap, match="SneakyView returns output 0 sharing memory with input 0"):
        f(XV)


def test_wrong_infer_shape_is_caught():
    x = T.dvector("x")
    f = symcore.function([x], WrongShape()(x), mode=_mode())
    with pytest.raises(
        BadInferShape, match=r"infer_shape says output 0 has shape \(3,\).*\(2,\)"
    ) as err:
        f(XV)
    assert err.value.inferred == (3,) and err.value.actual == (2,)
    f = symcore.function([x], WrongShape()(x), mode=_mode(check_infer_shape=False))
    np.testing.assert_allclose(f(XV), XV[:-1])


def test_invalid_output_value_is_caught():
    x = T.dvector("x")
    f = symcore.function([x], WrongDtype()(x), mode=_mode())
    with pytest.raises(InvalidValueError, match="WrongDtype"):
        f(XV)


def test_nan_output_is_caught_unless_disabled():
    x = T.dvector("x")
    f = symcore.function([x], T.log(x), mode=_mode())
    with np.errstate(invalid="ignore"):
        with pytest.raises(InvalidValueError, match="NaN"):
            f(-XV)
        g = symcore.function([x], T.log(x), mode=_mode(check_isfinite=False))
        assert np.isnan(g(-XV)).all()


def test_wrong_rewrite_is_caught_and_named():
    @node_rewriter([Double])
    def local_bad_double(fgraph, node):
        """Wrong: 2*x is not x + 1."""
        return [node.inputs[0] + 1]

    x = T.dvector("x")
    mode = _mode(optimizer=in2out(local_bad_double))
    f = symcore.function([x], T.exp(Double()(x)), mode=mode)
    with pytest.raises(BadOptimization, match="local_bad_double") as err:
        f(XV)
    np.testing.assert_allclose(err.value.old_value, XV * 2)
    np.testing.assert_allclose(err.value.new_value, XV + 1)


def test_correct_rewrite_passes():
    @node_rewriter([Double])
    def local_good_double(fgraph, node):
        return [node.inputs[0] + node.inputs[0]]

    x = T.dvector("x")
    f = symcore.function([x], T.exp(Double()(x)), mode=_mode(optimizer=in2out(local_good_double)))
    np.testing.assert_allclose(f(XV), np.exp(2 * XV))
    assert "Double" not in [type(n.op).__name__ for n in f.maker.fgraph.toposort()]


def test_real_graph_with_default_rewrites_passes():
    x, y = T.dvectors("x", "y")
    z = T.exp((x + y) + (x + y)) * 2 - x / (y + 3)
    f = symcore.function([x, y], [z, x * y], mode="DebugMode")
    yv = np.array([0.5, -1.0, 2.0])
    got = f(XV, yv)
    expected = np.exp(2 * (XV + yv)) * 2 - XV / (yv + 3)
    np.testing.assert_allclose(got[0], expected)
    np.testing.assert_allclose(got[1], XV * yv)


def test_debug_mode_names_and_errors_are_one_family():
    assert isinstance(get_mode("DEBUG_MODE"), DebugMode)
    assert get_mode("DebugMode") is get_mode("DEBUG_MODE")
    for cls in (
        BadThunkOutput,
        BadViewMap,
        BadDestroyMap,
        BadOptimization,
        InvalidValueError,
        BadInferShape,
    ):
        assert issubclass(cls, DebugModeError)
    m = get_mode("DebugMode").excluding("canonicalize")
    assert isinstance(m, DebugMode) and "canonicalize" in m.query.exclude


class Uninitialised(Op):
    """Like AllocEmpty: returns memory whose content is meaningless, and tags its output
    the Theano way (values_eq_approx always true, no NaN checks)."""

    __props__ = ()

    def make_node(self, x):
        out = x.type()
        out.tag.values_eq_approx = lambda a, b: True
        out.tag.nan_guard_mode_check = False
        return Apply(self, [x], [out])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.full_like(inputs[0], np.nan)

    def impl(self, x):
        return np.full_like(x, np.inf)

    def infer_shape(self, node, shapes):
        return [shapes[0]]


def test_uninitialised_outputs_are_not_judged():
    from symcore.compile.nanguardmode import NanGuardMode

    x = T.dvector("x")
    f = symcore.function([x], Uninitialised()(x), mode=_mode(linker=FakeCompiledLinker()))
    assert np.isnan(f(XV)).all()
    g = symcore.function([x], Uninitialised()(x), mode=NanGuardMode(optimizer=None))
    assert np.isnan(g(XV)).all()


class ListAppend(Op):
    """Reads a Python list (Generic type) and returns its length; ``sneaky`` also
    appends to it in place without declaring destroy_map."""

    __props__ = ("sneaky",)

    def __init__(self, sneaky):
        self.sneaky = sneaky

    def make_node(self, lst):
        from symcore.graph.basic import Constant
        from symcore.graph.type import generic

        lst = lst if hasattr(lst, "type") else Constant(generic, lst)
        return Apply(self, [lst], [T.lscalar()])

    def perform(self, node, inputs, out, params=None):
        (lst,) = inputs
        if self.sneaky:
            lst.append(0)
        out[0][0] = np.asarray(len(lst), dtype="int64")


def test_non_array_inputs_are_compared_by_value():
    from symcore.graph.type import generic

    box = generic("box")
    honest = symcore.function([box], ListAppend(False)(box), mode=_mode())
    assert int(honest([1, 2, 3])) == 3  # copies of the list compare equal: no false alarm
    sneaky = symcore.function([box], ListAppend(True)(box), mode=_mode())
    with pytest.raises(BadDestroyMap, match="ListAppend"):
        sneaky([1, 2, 3])
