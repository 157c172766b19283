"""The reference linker: evaluation order, constants, orphan shared variables, freeing of
intermediates, error wrapping (type kept, Op/shapes/dtypes/user line named), output
checks, single-node thunks."""

import weakref

import numpy as np
import pytest
import symcore.tensor as T
from symcore.compile.sharedvalue import shared
from symcore.graph.basic import Apply
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import Op
from symcore.link.reference import NodeRunError, ReferenceLinker, raise_node_error
from symcore.tensor.basic import as_tensor_variable, constant, dvector
from symcore.testing.graph_ops import add, exp, mul, neg


class Record(Op):
    """Identity-like op (returns a fresh copy) that remembers a weak reference to it."""

    __props__ = ("tag_",)

    def __init__(self, tag_, refs):
        self.tag_ = tag_
        self.refs = refs

    def make_node(self, *xs):
        xs = [as_tensor_variable(x) for x in xs]
        return Apply(self, xs, [xs[0].type()])

    def perform(self, node, inputs, out, params=None):
        res = np.array(inputs[0], copy=True)
        self.refs[self.tag_] = weakref.ref(res)
        self.refs[self.tag_ + "_alive_at_start"] = {
            k: r() is not None for k, r in self.refs.items() if not k.endswith("start")
        }
        out[0][0] = res


class Raise(Op):
    __props__ = ("exc_factory",)

    def __init__(self, exc_factory):
        self.exc_factory = exc_factory

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        raise self.exc_factory()


class BadDtype(Op):
    __props__ = ("mode",)

    def __init__(self, mode):
        self.mode = mode

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        if self.mode == "dtype":
            out[0][0] = inputs[0].astype("float32")
        elif self.mode == "scalar":
            out[0][0] = inputs[0].sum()
        # mode "none": store nothing


class Split2(Op):
    """Two outputs: x + 1 and x - 1."""

    __props__ = ()

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0] + 1
        out[1][0] = inputs[0] - 1


def _thunk(ins, outs, **kw):
    fg = FunctionGraph(ins, outs)
    return ReferenceLinker(**kw).make_thunk(fg), fg


def test_evaluates_in_topological_order():
    x, y = dvector("x"), dvector("y")
    out = mul(add(x, y), exp(neg(x)))
    run, _ = _thunk([x, y], [out, add(x, y)])
    a, b = np.arange(3.0), np.ones(3)
    r = run([a, b])
    np.testing.assert_allclose(r[0], (a + b) * np.exp(-a))
    np.testing.assert_allclose(r[1], a + b)


def test_wrong_number_of_values():
    x = dvector("x")
    run, _ = _thunk([x], [neg(x)])
    with pytest.raises(TypeError, match="expected 1 input"):
        run([])


def test_constants_and_inputs_as_outputs():
    x = dvector("x")
    c = constant(np.array([1.0, 2.0]))
    run, _ = _thunk([x], [x, c, add(x, c)])
    a = np.array([10.0, 20.0])
    r = run([a])
    assert r[0] is a
    np.testing.assert_array_equal(r[1], [1.0, 2.0])
    np.testing.assert_array_equal(r[2], [11.0, 22.0])


def test_orphan_shared_variable_is_read_at_each_call():
    x = dvector("x")
    s = shared(np.ones(2), name="s")
    run, _ = _thunk([x], [add(x, s)])
    np.testing.assert_array_equal(run([np.zeros(2)])[0], [1.0, 1.0])
    s.set_value(np.full(2, 5.0))
    np.testing.assert_array_equal(run([np.zeros(2)])[0], [5.0, 5.0])


def test_multi_output_nodes_and_repeated_outputs():
    x = dvector("x")
    up, down = Split2()(x)
    run, _ = _thunk([x], [down, down, mul(up, up)])
    r = run([np.array([1.0, 2.0])])
    np.testing.assert_array_equal(r[0], [0.0, 1.0])
    assert r[0] is r[1]  # the linker returns values; copies are function's business
    np.testing.assert_array_equal(r[2], [4.0, 9.0])


@pytest.mark.parametrize("allow_gc", [True, False])
def test_intermediates_are_freed_after_their_last_use(allow_gc):
    refs = {}
    x = dvector("x")
    a = Record("a", refs)(x)
    b = Record("b", refs)(a)  # last use of a
    c = Record("c", refs)(b, x)  # runs after b: a may be gone
    run, _ = _thunk([x], [c], allow_gc=allow_gc)
    out = run([np.ones(2)])
    np.testing.assert_array_equal(out[0], np.ones(2))
    alive_when_c_ran = refs["c_alive_at_start"]
    assert alive_when_c_ran["a"] is (not allow_gc)
    assert alive_when_c_ran["b"] is True  # b is c's input


def test_error_keeps_type_and_names_op_shapes_dtypes_and_line():
    x, y = dvector("x"), dvector("y")
    z = add(x, y)  # reported line
    run, fg = _thunk([x, y], [z])
    with pytest.raises(ValueError) as info:
        run([np.ones(2), np.ones(3)])
    err = info.value
    msg = str(err)
    assert "BinOp{add}" in msg
    assert "shape=(2,) dtype=float64" in msg and "shape=(3,) dtype=float64" in msg
    assert "test_reference_linker.py" in msg and "z = add(x, y)" in msg
    assert err.node is fg.toposort()[0]
    assert isinstance(err.__cause__, ValueError)


def test_keyerror_is_wrapped_with_a_readable_message():
    x = dvector("x")
    run, _ = _thunk([x], [Raise(lambda: KeyError("missing key"))(x)])
    with pytest.raises(KeyError) as info:
        run([np.ones(1)])
    assert isinstance(info.value, NodeRunError)
    msg = str(info.value)
    assert "missing key" in msg and "\n" in msg and "Raise" in msg


class TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def test_exception_that_cannot_take_a_message():
    x = dvector("x")
    run, _ = _thunk([x], [Raise(lambda: TwoArgError("p", "q"))(x)])
    with pytest.raises(TwoArgError) as info:
        run([np.ones(1)])
    assert "Raise" in str(info.value) and "shape=(1,)" in str(info.value)


def test_raise_node_error_directly():
    x = dvector("x")
    node = neg(x).owner
    with pytest.raises(RuntimeError, match="boom") as info:
        raise_node_error(node, [np.ones(4)], RuntimeError("boom"))
    assert "shape=(4,)" in str(info.value) and info.value.node is node


@pytest.mark.parametrize(
    "mode, match", [("dtype", "float32"), ("scalar", "invalid value"), ("none", "did not store")]
)
def test_check_outputs_catches_bad_perform(mode, match):
    x = dvector("x")
    out = BadDtype(mode)(x)
    run, _ = _thunk([x], [out], check_outputs=True)
    with pytest.raises(TypeError, match=match) as info:
        run([np.ones(2)])
    assert "BadDtype" in str(info.value)
    # unchecked, the bad value goes through (that is what check_outputs is for)
    run2, _ = _thunk([x], [BadDtype(mode)(x)])
    run2([np.ones(2)])


def test_make_node_thunk():
    x, y = dvector("x"), dvector("y")
    node = add(x, y).owner
    thunk = ReferenceLinker().make_node_thunk(node)
    np.testing.assert_array_equal(thunk([np.ones(2), np.ones(2)])[0], [2.0, 2.0])
    with pytest.raises(ValueError, match="BinOp"):
        thunk([np.ones(2), np.ones(3)])


def test_linker_identity():
    assert ReferenceLinker().name == "py"
    assert ReferenceLinker() == ReferenceLinker()
    assert hash(ReferenceLinker(allow_gc=False)) == hash(ReferenceLinker(allow_gc=False))
    assert ReferenceLinker() != ReferenceLinker(check_outputs=True)


def test_real_elemwise_graph_with_broadcasting_and_empty_arrays():
    m = T.dmatrix("m")
    r = T.drow("r")
    out = m * r + 1
    run, _ = _thunk([m, r], [out])
    a = np.arange(6.0).reshape(2, 3)
    b = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(run([a, b])[0], a * b + 1)
    assert run([np.zeros((0, 3)), b])[0].shape == (0, 3)
