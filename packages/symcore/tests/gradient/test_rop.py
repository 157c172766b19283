"""Forward mode: ``Rop`` (Jacobian-vector products), against NumPy and against ``Lop``."""

import warnings

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import (
    DisconnectedInputError,
    Lop,
    NullTypeGradError,
    Rop,
    grad_undefined,
)
from symcore.graph.basic import Apply, ancestors
from symcore.graph.op import Op
from symcore.graph.type import DisconnectedType

RNG = np.random.default_rng(99)


def fn(inputs, outputs):
    return symcore.function(inputs, outputs, on_unused_input="ignore")


class CubeNoRop(Op):
    """x -> x**3 with a gradient but no R_op (forces the Lop trick)."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(inputs[0] ** 3, dtype=node.outputs[0].type.dtype)

    def grad(self, inputs, output_grads):
        (x,) = inputs
        return [3 * x * x * output_grads[0]]


class PairNoRop(Op):
    """(x, y) -> (x * y, x + 2y): two outputs, gradient only."""

    __props__ = ()

    def make_node(self, x, y):
        x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
        return Apply(self, [x, y], [x.type(), x.type()])

    def perform(self, node, inputs, out, params=None):
        x, y = inputs
        out[0][0] = np.asarray(x * y)
        out[1][0] = np.asarray(x + 2 * y)

    def grad(self, inputs, output_grads):
        x, y = inputs
        ga, gb = output_grads
        return [ga * y + gb, ga * x + 2 * gb]


class UndefinedForY(Op):
    """(x, y) -> x + y with an undefined gradient for y and no R_op."""

    __props__ = ()

    def make_node(self, x, y):
        x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
        return Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(inputs[0] + inputs[1])

    def grad(self, inputs, output_grads):
        return [output_grads[0], grad_undefined(self, 1, inputs[1])]


def test_rop_of_elementwise_expression():
    x = T.dvector("x")
    v = T.dvector("v")
    y = T.exp(x) * T.sin(x)
    jv = Rop(y, x, v)
    xv, vv = RNG.standard_normal(4), RNG.standard_normal(4)
    expected = (np.exp(xv) * np.sin(xv) + np.exp(xv) * np.cos(xv)) * vv
    np.testing.assert_allclose(fn([x, v], jv)(xv, vv), expected)


def test_rop_of_matrix_vector_product():
    W = T.dmatrix("W")
    x = T.dvector("x")
    V = T.dmatrix("V")
    y = T.tanh(T.dot(W, x))
    jv = Rop(y, W, V)
    Wv, xv, Vv = RNG.standard_normal((3, 2)), RNG.standard_normal(2), RNG.standard_normal((3, 2))
    expected = (1 - np.tanh(Wv @ xv) ** 2) * (Vv @ xv)
    np.testing.assert_allclose(fn([W, x, V], jv)(Wv, xv, Vv), expected)


def test_rop_falls_back_to_the_lop_trick_for_ops_without_r_op():
    x = T.dvector("x")
    v = T.dvector("v")
    y = CubeNoRop()(T.exp(x))
    jv = Rop(y, x, v)
    # the dummy cotangent variables of the trick must not remain in the graph
    free = [a for a in ancestors([jv]) if a.owner is None and not isinstance(a, T.TensorConstant)]
    assert set(free) <= {x, v}
    xv, vv = RNG.standard_normal(3), RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x, v], jv)(xv, vv), 3 * np.exp(3 * xv) * vv)


def test_lop_trick_with_several_outputs_and_inputs():
    x, y = T.dvectors("x", "y")
    vx, vy = T.dvectors("vx", "vy")
    a, b = PairNoRop()(x, y)
    ja, jb = Rop([a, b], [x, y], [vx, vy])
    vals = [RNG.standard_normal(3) for _ in range(4)]
    got_a, got_b = fn([x, y, vx, vy], [ja, jb])(*vals)
    xv, yv, vxv, vyv = vals
    np.testing.assert_allclose(got_a, yv * vxv + xv * vyv)
    np.testing.assert_allclose(got_b, vxv + 2 * vyv)
    # only one input moving: the other gets no tangent
    ja_x = Rop(a, x, vx)
    np.testing.assert_allclose(fn([x, y, vx], ja_x)(xv, yv, vxv), yv * vxv)


@pytest.mark.parametrize("seed", range(3))
def test_rop_agrees_with_lop(seed):
    """uᵀ (J v) == (Jᵀ u)ᵀ v for a graph mixing several Ops."""
    rng = np.random.default_rng(seed)
    W = T.dmatrix("W")
    b = T.dvector("b")
    x = T.dvector("x")
    h = T.tanh(T.dot(W, x) + b)
    y = T.exp(h) * CubeNoRop()(h) + T.sum(h**2)
    vW, vb = T.dmatrix("vW"), T.dvector("vb")
    u = T.dvector("u")
    jv = Rop(y, [W, b], [vW, vb])
    jtu_W, jtu_b = Lop(y, [W, b], u)
    vals = [
        rng.standard_normal((3, 2)),
        rng.standard_normal(3),
        rng.standard_normal(2),
        rng.standard_normal((3, 2)),
        rng.standard_normal(3),
        rng.standard_normal(3),
    ]
    jv_v, gW, gb = fn([W, b, x, vW, vb, u], [jv, jtu_W, jtu_b])(*vals)
    uv = vals[5]
    np.testing.assert_allclose(uv @ jv_v, np.sum(gW * vals[3]) + gb @ vals[4], rtol=1e-10)


def test_rop_structure_follows_f():
    x = T.dvector("x")
    v = T.dvector("v")
    a, b = x * 2.0, T.exp(x)
    assert isinstance(Rop([a, b], x, v), list)
    assert isinstance(Rop((a, b), [x], [v]), tuple)
    single = Rop(a, x, v)
    assert not isinstance(single, (list, tuple))


def test_rop_of_wrt_itself_is_the_eval_point():
    x = T.dvector("x")
    v = T.dvector("v")
    assert Rop(x, x, v) is v


def test_rop_eval_point_checks():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="dimensions"):
        Rop(x * 2.0, x, T.dmatrix("m"))
    with pytest.raises(ValueError, match="eval_points"):
        Rop(x * 2.0, [x], [T.dvector(), T.dvector()])
    with pytest.raises(ValueError, match="disconnected_outputs"):
        Rop(x * 2.0, x, T.dvector(), disconnected_outputs="maybe")


def test_rop_eval_point_of_another_dtype_is_cast():
    x = T.fvector("x")
    v = T.dvector("v")
    jv = Rop(x * 3.0, x, v)
    assert jv.dtype == "float32"
    np.testing.assert_allclose(fn([x, v], jv)(np.ones(2, "float32"), [1.0, 2.0]), [3.0, 6.0])


def test_rop_disconnected_outputs():
    x = T.dvector("x")
    z = T.dvector("z")
    v = T.dvector("v")
    out = T.exp(z)
    with pytest.raises(DisconnectedInputError, match="output 0"):
        Rop(out, x, v)
    with pytest.warns(UserWarning):
        r = Rop(out, x, v, disconnected_outputs="warn")
    np.testing.assert_array_equal(fn([z, x, v], r)([1.0, 2.0], [0.0, 0.0], [1.0, 1.0]), [0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Rop(out, x, v, disconnected_outputs="ignore", return_disconnected="None") is None
        d = Rop(out, x, v, disconnected_outputs="ignore", return_disconnected="Disconnected")
    assert isinstance(d.type, DisconnectedType)


def test_rop_through_undefined_gradient_raises():
    x, y = T.dvectors("x", "y")
    v = T.dvector("v")
    out = UndefinedForY()(x, y)
    with pytest.raises(NullTypeGradError):
        Rop(out, y, v)
    np.testing.assert_allclose(fn([x, y, v], Rop(out, x, v))([1.0], [2.0], [5.0]), [5.0])


def test_rop_through_integer_intermediate_is_zero():
    x = T.dvector("x")
    v = T.dvector("v")
    out = T.cast(T.cast(x, "int64"), "float64") + x
    np.testing.assert_allclose(fn([x, v], Rop(out, x, v))([0.5, 1.5], [2.0, 3.0]), [2.0, 3.0])


def test_rop_forms_no_partial_for_inputs_without_tangent():
    """x ** 2.0 at x < 0: the partial w.r.t. the exponent (x**2 log x) is NaN, and must
    not be multiplied by a zero tangent into the result."""
    x = T.dvector("x")
    v = T.dvector("v")
    out = x ** T.constant(2.0)
    got = fn([x, v], Rop(out, x, v))([-1.5, 2.0], [1.0, 1.0])
    np.testing.assert_allclose(got, [-3.0, 4.0])
