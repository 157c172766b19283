"""Reverse mode: ``symcore.gradient.grad`` and its options, ``Lop``, ``subgraph_grad``.

NumPy computes the expected derivatives by hand; small Ops defined here exercise the parts
of the Op protocol (connection patterns, multiple outputs, destroyed inputs, faulty
gradients) that the core Ops may not reach.
"""

import warnings

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import (
    DisconnectedInputError,
    Lop,
    NullTypeGradError,
    disconnected_type,
    grad,
    grad_undefined,
    subgraph_grad,
)
from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.graph.type import DisconnectedType, NullType
from symcore.testing.graph_ops import IdentityOp

RNG = np.random.default_rng(1234)


def fn(inputs, outputs):
    return symcore.function(inputs, outputs, on_unused_input="ignore")


# ---------------------------------------------------------------------------------------
# Helper Ops
# ---------------------------------------------------------------------------------------


class TwoOut(Op):
    """(x, y) -> (2x, 3y); output 0 depends only on x, output 1 only on y."""

    __props__ = ()
    seen_output_grads: list = []

    def make_node(self, x, y):
        x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
        return Apply(self, [x, y], [x.type(), y.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(2 * inputs[0], dtype=node.outputs[0].type.dtype)
        out[1][0] = np.asarray(3 * inputs[1], dtype=node.outputs[1].type.dtype)

    def connection_pattern(self, node):
        return [[True, False], [False, True]]

    def L_op(self, inputs, outputs, output_grads):
        TwoOut.seen_output_grads.append(list(output_grads))
        g0, g1 = output_grads
        gx = disconnected_type() if isinstance(g0.type, DisconnectedType) else 2 * g0
        gy = disconnected_type() if isinstance(g1.type, DisconnectedType) else 3 * g1
        return [gx, gy]


class FragileTwoOut(Op):
    """x -> (2x, 5x) whose gradient cannot cope with a DisconnectedType output gradient."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(2 * inputs[0])
        out[1][0] = np.asarray(5 * inputs[0])

    def L_op(self, inputs, outputs, output_grads):
        g0, g1 = output_grads
        if isinstance(g0.type, DisconnectedType) or isinstance(g1.type, DisconnectedType):
            raise TypeError("FragileTwoOut cannot handle disconnected output gradients")
        return [2 * g0 + 5 * g1]


class NoGrad(IdentityOp):
    """Identity without any gradient method."""

    __props__ = ()


class ScaleByIndex(Op):
    """(x, i) -> x * i with i an integer: undefined gradient w.r.t. the index."""

    __props__ = ()

    def make_node(self, x, i):
        x, i = T.as_tensor_variable(x), T.as_tensor_variable(i)
        return Apply(self, [x, i], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(inputs[0] * inputs[1], dtype=node.outputs[0].type.dtype)

    def grad(self, inputs, output_grads):
        x, i = inputs
        return [output_grads[0] * i, grad_undefined(self, 1, i, "i is an index")]


class BadGrad(IdentityOp):
    """Identity whose gradient is wrong in the way ``kind`` says."""

    __props__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        if self.kind == "none":
            return [None]
        if self.kind == "count":
            return [g, g]
        if self.kind == "int":
            return [T.cast(g, "int64")]
        if self.kind == "ndim":
            return [T.sum(g)]
        if self.kind == "number":
            return [0.0]
        raise AssertionError(self.kind)


class DoubleInplace(Op):
    """x -> 2x computed in place (destroys its input)."""

    __props__ = ()
    destroy_map = {0: [0]}
    seen_inputs: list = []

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        inputs[0] *= 2
        out[0][0] = inputs[0]

    def grad(self, inputs, output_grads):
        DoubleInplace.seen_inputs.append(inputs[0])
        return [2 * output_grads[0]]


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


def test_elementwise_gradient_matches_numpy():
    x = T.dvector("x")
    cost = T.sum(T.exp(x) * x + T.sin(x))
    g = grad(cost, x)
    xv = RNG.standard_normal(5)
    np.testing.assert_allclose(fn([x], g)(xv), np.exp(xv) * (1 + xv) + np.cos(xv))


def test_variable_used_twice_accumulates():
    x = T.dscalar("x")
    y = x * x
    cost = y * x + T.log(y)  # x^3 + 2 log x
    xv = 1.7
    np.testing.assert_allclose(fn([x], grad(cost, x))(xv), 3 * xv**2 + 2 / xv)


def test_dot_and_mean_gradient():
    x = T.dmatrix("x")
    w = T.dvector("w")
    cost = T.mean(T.dot(x, w) ** 2)
    gx, gw = grad(cost, [x, w])
    xv, wv = RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    r = xv @ wv
    got_x, got_w = fn([x, w], [gx, gw])(xv, wv)
    np.testing.assert_allclose(got_w, xv.T @ (2 * r / 4))
    np.testing.assert_allclose(got_x, np.outer(2 * r / 4, wv))


def test_gradient_of_broadcast_input_is_summed_back():
    r = T.drow("r")  # shape (1, n), broadcastable on dim 0
    m = T.dmatrix("m")
    cost = T.sum((r + m) ** 2)
    g = grad(cost, r)
    assert g.type.broadcastable == r.type.broadcastable
    rv, mv = RNG.standard_normal((1, 3)), RNG.standard_normal((4, 3))
    got = fn([r, m], g)(rv, mv)
    assert got.shape == (1, 3)
    np.testing.assert_allclose(got, (2 * (rv + mv)).sum(axis=0, keepdims=True))


def test_gradient_of_scalar_broadcast_against_matrix():
    s = T.dscalar("s")
    m = T.dmatrix("m")
    g = grad(T.sum(s * m), s)
    mv = RNG.standard_normal((3, 2))
    got = fn([s, m], g)(2.0, mv)
    assert np.shape(got) == ()
    np.testing.assert_allclose(got, mv.sum())


def test_grad_wrt_intermediate_variable():
    x = T.dscalar("x")
    y = T.exp(x)
    cost = y * y
    gy = grad(cost, y)
    np.testing.assert_allclose(fn([x], gy)(0.3), 2 * np.exp(0.3))


def test_grad_of_cost_wrt_itself_is_one():
    x = T.dscalar("x")
    c = T.exp(x)
    g = grad(c, c)
    assert float(fn([x], g)(0.5)) == 1.0


def test_grad_with_several_wrt_including_nested_ones():
    x = T.dscalar("x")
    y = x * 3.0
    cost = y * y  # 9 x^2
    gx, gy = grad(cost, [x, y])
    got_x, got_y = fn([x], [gx, gy])(2.0)
    np.testing.assert_allclose(got_x, 18 * 2.0)
    np.testing.assert_allclose(got_y, 2 * 6.0)


def test_deep_graph_needs_no_recursion():
    x = T.dscalar("x")
    y = x
    for _ in range(3000):
        y = y * 1.0001
    g = grad(y, x)
    np.testing.assert_allclose(fn([x], g)(1.0), 1.0001**3000, rtol=1e-10)


# ---------------------------------------------------------------------------------------
# Structure of arguments and results
# ---------------------------------------------------------------------------------------


def test_wrt_structure_is_preserved():
    x, y = T.dscalars("x", "y")
    cost = x * y
    assert isinstance(grad(cost, [x, y]), list)
    assert isinstance(grad(cost, (x, y)), tuple)
    single = grad(cost, x)
    assert not isinstance(single, (list, tuple))
    got = fn([x, y], list(grad(cost, (x, y))))(2.0, 5.0)
    np.testing.assert_allclose(got, [5.0, 2.0])


@pytest.mark.parametrize("shape_maker", [T.dvector, T.dmatrix])
def test_non_scalar_cost_is_a_type_error_saying_so(shape_maker):
    x = shape_maker("x")
    with pytest.raises(TypeError, match="scalar"):
        grad(x * 2, x)


def test_wrt_must_be_variables():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="wrt"):
        grad(x * 2, [x, 3.0])


def test_bad_flag_values_are_rejected():
    x = T.dscalar("x")
    for kw in (
        {"disconnected_inputs": "nope"},
        {"return_disconnected": "zeros"},
        {"null_gradients": "warn"},
    ):
        with pytest.raises(ValueError, match=list(kw)[0]):
            grad(x * 2, x, **kw)


def test_cost_and_known_grads_cannot_both_be_none():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="known_grads"):
        grad(None, x)


def test_null_cost_is_rejected():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="undefined"):
        grad(NullType("because")(), x)


# ---------------------------------------------------------------------------------------
# Dtypes and integers
# ---------------------------------------------------------------------------------------


def test_float32_wrt_gets_float32_gradient():
    x = T.fvector("x")
    cost = T.sum(x * 0.1 + x**2)
    g = grad(cost, x)
    assert g.dtype == "float32"
    xv = np.asarray([1.0, -2.0], dtype="float32")
    got = fn([x], g)(xv)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, 0.1 + 2 * xv, rtol=1e-6)


def test_float32_gradient_even_when_cost_is_float64():
    x = T.fvector("x")
    d = T.dvector("d")
    cost = T.sum(x * d)  # float64 cost
    g = grad(cost, x)
    assert g.dtype == "float32"
    np.testing.assert_allclose(fn([x, d], g)(np.ones(2, "float32"), [1.5, 2.5]), [1.5, 2.5])


def test_integer_input_gets_float_zero_gradient():
    i = T.ivector("i")
    x = T.dvector("x")
    cost = T.sum(x * i)
    gi, gx = grad(cost, [i, x])
    assert gi.dtype in ("float32", "float64")
    got_i, got_x = fn([i, x], [gi, gx])(np.asarray([1, 2], "int32"), [3.0, 4.0])
    np.testing.assert_array_equal(got_i, [0.0, 0.0])
    np.testing.assert_array_equal(got_x, [1.0, 2.0])


def test_gradient_of_integer_cost_is_float():
    x = T.dvector("x")
    cost = T.sum(T.cast(x, "int64"))  # piecewise constant in x
    g = grad(cost, x)
    assert g.dtype == "float64"
    np.testing.assert_array_equal(fn([x], g)([0.5, 2.5]), [0.0, 0.0])


# ---------------------------------------------------------------------------------------
# Disconnected inputs
# ---------------------------------------------------------------------------------------


def test_disconnected_input_raises_by_default_naming_it():
    x = T.dscalar("x")
    unused = T.dvector("unused_thing")
    with pytest.raises(DisconnectedInputError, match="unused_thing"):
        grad(x * 2, [x, unused])


def test_disconnected_input_warn_gives_zeros():
    x = T.dscalar("x")
    v = T.dvector("v")
    with pytest.warns(UserWarning, match="'v'"):
        gx, gv = grad(x * 2, [x, v], disconnected_inputs="warn")
    got = fn([x, v], gv)(1.0, np.arange(3.0))
    np.testing.assert_array_equal(got, np.zeros(3))


def test_disconnected_input_ignore_is_silent():
    x = T.dscalar("x")
    v = T.fvector("v")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gv = grad(x * 2, v, disconnected_inputs="ignore")
    assert gv.dtype == "float32"  # zeros of the input's float dtype


def test_return_disconnected_none_and_disconnected():
    x = T.dscalar("x")
    v = T.dvector("v")
    _, g_none = grad(x * 2, [x, v], disconnected_inputs="ignore", return_disconnected="None")
    assert g_none is None
    _, g_disc = grad(
        x * 2, [x, v], disconnected_inputs="ignore", return_disconnected="Disconnected"
    )
    assert isinstance(g_disc.type, DisconnectedType)


def test_input_reaching_cost_only_through_integer_ops_is_connected_with_zero_gradient():
    x = T.dvector("x")
    cost = T.sum(T.floor(x))
    np.testing.assert_array_equal(fn([x], grad(cost, x))([0.3, 1.7]), [0.0, 0.0])


def test_connection_pattern_disconnects_inputs():
    TwoOut.seen_output_grads.clear()
    x, y = T.dscalars("x", "y")
    a, b = TwoOut()(x, y)
    cost = a * 5.0  # b is unused
    with pytest.raises(DisconnectedInputError, match="'y'"):
        grad(cost, [x, y])
    gx, gy = grad(cost, [x, y], disconnected_inputs="ignore", return_disconnected="None")
    assert gy is None
    np.testing.assert_allclose(fn([x, y], gx)(1.0, 1.0), 10.0)
    # the Op saw a DisconnectedType gradient for its unused output, like Theano passes
    last = TwoOut.seen_output_grads[-1]
    assert isinstance(last[1].type, DisconnectedType)
    assert not isinstance(last[0].type, DisconnectedType)


def test_op_failing_on_disconnected_output_grad_is_retried_with_zeros():
    x = T.dscalar("x")
    a, b = FragileTwoOut()(x)
    g = grad(a * 1.0, x)
    np.testing.assert_allclose(fn([x], g)(3.0), 2.0)
    g_both = grad(a + b, x)
    np.testing.assert_allclose(fn([x], g_both)(3.0), 7.0)


# ---------------------------------------------------------------------------------------
# Undefined gradients
# ---------------------------------------------------------------------------------------


def test_undefined_gradient_raises_naming_the_op():
    x = T.dvector("x")
    i = T.lscalar("i")
    cost = T.sum(ScaleByIndex()(x, i))
    with pytest.raises(NullTypeGradError, match="ScaleByIndex"):
        grad(cost, [x, i])
    # x alone is fine: the undefined part does not reach it
    np.testing.assert_allclose(fn([x, i], grad(cost, x))([1.0, 2.0], 3), [3.0, 3.0])


def test_undefined_gradient_return_gives_nulltype():
    x = T.dvector("x")
    i = T.lscalar("i")
    cost = T.sum(ScaleByIndex()(x, i))
    gx, gi = grad(cost, [x, i], null_gradients="return")
    assert isinstance(gi.type, NullType)
    assert "index" in gi.type.why_null
    assert not isinstance(gx.type, NullType)


def test_undefined_gradient_propagates_through_later_ops():
    x = T.dscalar("x")
    i = T.lscalar("i")
    j = i * 2  # the index flows on: its gradient is undefined upstream too
    cost = ScaleByIndex()(x, j)
    with pytest.raises(NullTypeGradError):
        grad(cost, i)


def test_op_without_gradient_is_not_implemented_not_a_crash():
    x = T.dscalar("x")
    y = T.dscalar("y")
    cost = NoGrad()(x) + y * 2
    with pytest.raises(NullTypeGradError, match="NoGrad.*not implemented"):
        grad(cost, x)
    np.testing.assert_allclose(fn([x, y], grad(cost, y))(1.0, 1.0), 2.0)


@pytest.mark.parametrize(
    "kind, exc, match",
    [
        ("none", TypeError, "None"),
        ("count", ValueError, "2 gradients for 1 inputs"),
        ("int", TypeError, "integer-valued"),
        ("ndim", ValueError, "dimensions"),
        ("number", TypeError, "symbolic"),
    ],
)
def test_faulty_op_gradients_are_reported_with_the_op(kind, exc, match):
    x = T.dvector("x")
    cost = T.sum(BadGrad(kind)(x))
    with pytest.raises(exc, match=match) as info:
        grad(cost, x)
    assert "BadGrad" in str(info.value)


def test_destroyed_input_is_copied_before_the_op_gradient_reads_it():
    DoubleInplace.seen_inputs.clear()
    x = T.dvector("x")
    y = T.exp(x)
    z = DoubleInplace()(y)
    grad(T.sum(z), x)
    (seen,) = DoubleInplace.seen_inputs
    assert seen is not y
    assert seen.owner is not None and seen.owner.inputs[0] is y


# ---------------------------------------------------------------------------------------
# known_grads, consider_constant, names
# ---------------------------------------------------------------------------------------


def test_known_grads_without_cost():
    x = T.dvector("x")
    h = T.exp(x)
    gh = T.dvector("gh")
    g = grad(None, x, known_grads={h: gh})
    xv, ghv = RNG.standard_normal(3), RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x, gh], g)(xv, ghv), ghv * np.exp(xv))


def test_known_grads_override_the_cost_path():
    x = T.dscalar("x")
    h = x * 3.0
    cost = h * h
    g = grad(cost, x, known_grads={h: T.constant(1.0)})
    np.testing.assert_allclose(fn([x], g)(2.0), 3.0)


def test_known_grads_accepts_numbers_and_checks_them():
    x = T.dvector("x")
    h = x * 2.0
    g = grad(None, x, known_grads={h: np.ones(3)})
    np.testing.assert_allclose(fn([x], g)(np.zeros(3)), [2.0, 2.0, 2.0])
    with pytest.raises(TypeError, match="float"):
        grad(None, x, known_grads={h: T.lvector("bad")})
    with pytest.raises(ValueError, match="dimensions"):
        grad(None, x, known_grads={h: T.dmatrix("bad")})


def test_consider_constant_blocks_gradient_through_a_variable():
    x = T.dscalar("x")
    y = x * x
    cost = y * x  # d/dx with y constant: y = x^2
    g = grad(cost, x, consider_constant=[y])
    np.testing.assert_allclose(fn([x], g)(3.0), 9.0)
    with pytest.raises(TypeError, match="consider_constant"):
        grad(cost, x, consider_constant=y)
    with pytest.raises(TypeError, match="consider_constant"):
        grad(cost, x, consider_constant=[1.0])


def test_consider_constant_on_the_only_path_disconnects():
    x = T.dscalar("x")
    y = T.exp(x)
    with pytest.raises(DisconnectedInputError):
        grad(y * 2, x, consider_constant=[y])


def test_add_names():
    A = T.dmatrix("A")
    x = T.dvector("x")
    f = T.dot(x, T.dot(A, x))
    f.name = "f"
    gx, gA = grad(f, [x, A])
    assert gx.name == "(df/dx)"
    assert gA.name == "(df/dA)"
    unnamed = grad(f, x, add_names=False)
    assert unnamed.name is None


def test_add_names_never_renames_user_variables():
    x = T.dscalar("x")
    c = T.exp(x)
    c.name = "c"
    g = grad(c, c)  # the seed constant
    assert c.name == "c"
    h = x * 2.0
    h.name = "h"
    known = T.dscalar("known")
    g = grad(None, h, known_grads={h: known})
    assert g is known and known.name == "known"


# ---------------------------------------------------------------------------------------
# Lop and subgraph_grad
# ---------------------------------------------------------------------------------------


def test_lop_is_a_vector_jacobian_product():
    W = T.dmatrix("W")
    v = T.dvector("v")
    y = T.dot(W, v)
    u = T.dvector("u")
    gW, gv = Lop(y, [W, v], u)
    Wv, vv, uv = RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal(3)
    got_W, got_v = fn([W, v, u], [gW, gv])(Wv, vv, uv)
    np.testing.assert_allclose(got_v, uv @ Wv)
    np.testing.assert_allclose(got_W, np.outer(uv, vv))
    single = Lop(y, v, u)
    np.testing.assert_allclose(fn([W, v, u], single)(Wv, vv, uv), uv @ Wv)


def test_lop_with_several_outputs():
    x = T.dvector("x")
    a, b = T.exp(x), T.sin(x)
    ua, ub = T.dvectors("ua", "ub")
    g = Lop([a, b], x, [ua, ub])
    xv, uav, ubv = (RNG.standard_normal(3) for _ in range(3))
    np.testing.assert_allclose(
        fn([x, ua, ub], g)(xv, uav, ubv), uav * np.exp(xv) + ubv * np.cos(xv)
    )
    with pytest.raises(ValueError, match="eval_points"):
        Lop([a, b], x, [ua])


def test_subgraph_grad_chains_to_the_full_gradient():
    x = T.dvector("x")
    w1 = T.dvector("w1")
    w2 = T.dvector("w2")
    h = T.tanh(x * w1)
    cost2 = T.sum((h * w2) ** 2)
    # second layer first: gradients of w2 and of the boundary h
    (gw2,), (gh,) = subgraph_grad(wrt=[w2], end=[h], cost=cost2)
    # then the first layer from the boundary gradient
    (gw1,), _ = subgraph_grad(wrt=[w1], end=[x], start={h: gh})
    full_w1, full_w2 = grad(cost2, [w1, w2])
    vals = [RNG.standard_normal(4) for _ in range(3)]
    got = fn([x, w1, w2], [gw1, gw2, full_w1, full_w2])(*vals)
    np.testing.assert_allclose(got[0], got[2])
    np.testing.assert_allclose(got[1], got[3])
    with pytest.raises(ValueError):
        subgraph_grad(wrt=[w1], end=[h])


def test_random_draws_are_disconnected_from_their_parameters():
    from symcore.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=3)
    mu = T.dvector("mu")
    z = srng.normal(size=(3,), avg=mu)
    with pytest.raises(DisconnectedInputError, match="'mu'"):
        grad(T.sum(z), mu)
    # mu still gets the gradient of its other, deterministic use: d/dmu sum(z * mu) = z
    g = grad(T.sum(z * mu), mu)
    got_g, got_z = fn([mu], [g, z])(np.zeros(3))
    np.testing.assert_array_equal(got_g, got_z)


class BadPattern(TwoOut):
    def connection_pattern(self, node):
        return [[True]]  # one row for two inputs: malformed


def test_malformed_connection_pattern_is_reported():
    x, y = T.dscalars("x", "y")
    a, _ = BadPattern()(x, y)
    with pytest.raises(ValueError, match="connection_pattern"):
        grad(a * 1.0, x)


def test_subgraph_grad_details():
    x = T.dvector("x")
    w2 = T.dvector("w2")
    h = T.tanh(x)  # the boundary: held constant, its gradient returned
    cost = T.sum((h * w2) ** 2)
    wrt_grads, end_grads, start_grads, cost_grads = subgraph_grad(
        wrt=[w2], end=[h], cost=cost, details=True
    )
    assert start_grads is None and len(cost_grads) == 2
    xv, wv = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    got_w, got_h = fn([x, w2], [wrt_grads[0], end_grads[0]])(xv, wv)
    hv = np.tanh(xv)
    np.testing.assert_allclose(got_w, 2 * hv * wv * hv)
    np.testing.assert_allclose(got_h, 2 * hv * wv * wv)
