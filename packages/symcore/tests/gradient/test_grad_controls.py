"""Gradient controls: zero_grad, disconnected_grad, undefined_grad, grad_clip, grad_scale,
consider_constant. Forward they are the identity; backward they change the gradient."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import (
    DisconnectedInputError,
    GradClip,
    NullTypeGradError,
    Rop,
    consider_constant,
    disconnected_grad,
    grad,
    grad_clip,
    grad_scale,
    undefined_grad,
    zero_grad,
)

RNG = np.random.default_rng(11)


def fn(inputs, outputs):
    return symcore.function(inputs, outputs, on_unused_input="ignore")


@pytest.mark.parametrize(
    "control",
    [
        zero_grad,
        disconnected_grad,
        undefined_grad,
        lambda x: grad_clip(x, -1.0, 1.0),
        lambda x: grad_scale(x, 3.0),
    ],
)
def test_forward_is_identity(control):
    x = T.dmatrix("x")
    y = control(x)
    assert y.type == x.type
    xv = RNG.standard_normal((2, 3))
    np.testing.assert_array_equal(fn([x], y * 1.0)(xv), xv)


def test_zero_grad():
    x = T.dvector("x")
    cost = T.sum(x * zero_grad(x**2))  # only the first factor is differentiated
    xv = RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x], grad(cost, x))(xv), xv**2)
    # zero_grad keeps the input connected: a zero gradient, not an error
    y = T.dvector("y")
    gy = grad(T.sum(zero_grad(y)), y)
    np.testing.assert_array_equal(fn([y], gy)(xv), np.zeros(3))


def test_disconnected_grad():
    x = T.dvector("x")
    cost = T.sum(x * disconnected_grad(x**2))
    xv = RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x], grad(cost, x))(xv), xv**2)
    y = T.dvector("y")
    with pytest.raises(DisconnectedInputError):
        grad(T.sum(disconnected_grad(y)), y)


def test_undefined_grad():
    x = T.dvector("x")
    y = T.dvector("y")
    cost = T.sum(undefined_grad(x) * y)
    with pytest.raises(NullTypeGradError, match="undefined_grad"):
        grad(cost, x)
    np.testing.assert_allclose(fn([x, y], grad(cost, y))([1.0, 2.0], [0.0, 0.0]), [1.0, 2.0])


def test_grad_clip():
    x = T.dvector("x")
    cost = T.sum(grad_clip(x, -1.0, 0.5) * T.constant([3.0, -3.0, 0.2]))
    np.testing.assert_allclose(fn([x], grad(cost, x))(np.zeros(3)), [0.5, -1.0, 0.2])
    with pytest.raises(ValueError, match="lower bound"):
        grad_clip(x, 1.0, -1.0)


def test_grad_clip_ops_with_different_bounds_differ():
    assert GradClip(-1, 1) != GradClip(-2, 2)
    assert GradClip(-1, 1) == GradClip(-1.0, 1.0)


def test_grad_clip_keeps_float32():
    x = T.fvector("x")
    g = grad(T.sum(grad_clip(x, -0.1, 0.1) * 5.0), x)
    assert g.dtype == "float32"
    np.testing.assert_allclose(fn([x], g)(np.zeros(2, "float32")), [0.1, 0.1])


def test_grad_scale_with_number_and_symbolic_multiplier():
    x = T.dvector("x")
    cost = T.sum(grad_scale(x**2, 0.5))
    xv = RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x], grad(cost, x))(xv), xv)
    m = T.dscalar("m")
    cost_m = T.sum(grad_scale(x**2, m))
    gx = grad(cost_m, x)
    np.testing.assert_allclose(fn([x, m], gx)(xv, -2.0), -4 * xv)
    # the multiplier itself gets no gradient through grad_scale
    with pytest.raises(DisconnectedInputError):
        grad(cost_m, m)
    with pytest.raises(TypeError, match="scalar"):
        grad_scale(x, T.dvector())


def test_grad_scale_keeps_dtype():
    x = T.fvector("x")
    g = grad(T.sum(grad_scale(x, 2.0)), x)
    assert g.dtype == "float32"


def test_consider_constant_function_is_deprecated_zero_grad():
    x = T.dscalar("x")
    with pytest.warns(DeprecationWarning, match="zero_grad"):
        c = consider_constant(x * x)
    cost = c * x
    np.testing.assert_allclose(fn([x], grad(cost, x))(3.0), 9.0)


def test_forward_mode_through_controls():
    x = T.dvector("x")
    v = T.dvector("v")
    xv, vv = RNG.standard_normal(2), RNG.standard_normal(2)
    # the forward derivative matches the backward one: zero for zero_grad, scaled for grad_scale
    jz = Rop(zero_grad(x) * 1.0 + x, x, v)
    np.testing.assert_allclose(fn([x, v], jz)(xv, vv), vv)
    js = Rop(grad_scale(x, 3.0), x, v)
    np.testing.assert_allclose(fn([x, v], js)(xv, vv), 3 * vv)
    jc = Rop(grad_clip(x, -1.0, 1.0), x, v)
    np.testing.assert_allclose(fn([x, v], jc)(xv, vv), vv)
    with pytest.raises(DisconnectedInputError):
        Rop(disconnected_grad(x), x, v)
