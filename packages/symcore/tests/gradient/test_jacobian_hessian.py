"""``jacobian``, ``hessian`` and ``hessian_vector_product`` against analytic NumPy values.

The rows are unrolled when the expressions have statically known lengths; an unknown
length is handled by a scan (more scan cases in tests/scan/test_scan_grad.py).
"""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import (
    DisconnectedInputError,
    grad,
    hessian,
    hessian_vector_product,
    jacobian,
)

RNG = np.random.default_rng(7)


def fn(inputs, outputs):
    return symcore.function(inputs, outputs, on_unused_input="ignore")


def test_jacobian_of_elementwise_vector():
    x = T.dvector("x", shape=(4,))
    J = jacobian(T.exp(x) * x, x)
    xv = RNG.standard_normal(4)
    np.testing.assert_allclose(fn([x], J)(xv), np.diag(np.exp(xv) * (1 + xv)))


def test_jacobian_wrt_a_matrix_and_a_vector():
    W = T.dmatrix("W", shape=(3, 2))
    x = T.dvector("x", shape=(2,))
    y = T.tanh(T.dot(W, x))
    JW, Jx = jacobian(y, [W, x])
    Wv, xv = RNG.standard_normal((3, 2)), RNG.standard_normal(2)
    got_W, got_x = fn([W, x], [JW, Jx])(Wv, xv)
    d = 1 - np.tanh(Wv @ xv) ** 2
    np.testing.assert_allclose(got_x, d[:, None] * Wv)
    expected_W = np.zeros((3, 3, 2))
    for i in range(3):
        expected_W[i, i, :] = d[i] * xv
    np.testing.assert_allclose(got_W, expected_W)


def test_jacobian_keeps_the_wrt_structure():
    x = T.dvector("x", shape=(2,))
    y = x * 2.0
    assert isinstance(jacobian(y, [x]), list)
    assert isinstance(jacobian(y, (x,)), tuple)
    assert not isinstance(jacobian(y, x), (list, tuple))


def test_jacobian_of_a_scalar_is_the_gradient():
    x = T.dvector("x")  # no static length needed
    J = jacobian(T.sum(x**2), x)
    np.testing.assert_allclose(fn([x], J)([1.0, -2.0]), [2.0, -4.0])


def test_jacobian_rows_where_some_elements_do_not_depend_on_wrt():
    x = T.dvector("x", shape=(2,))
    z = T.dvector("z", shape=(2,))
    y = T.concatenate([T.exp(x), z])
    J = jacobian(y, x)
    xv = np.array([0.5, -1.0])
    expected = np.vstack([np.diag(np.exp(xv)), np.zeros((2, 2))])
    np.testing.assert_allclose(fn([x, z], J)(xv, [3.0, 4.0]), expected)


def test_jacobian_disconnected_wrt():
    x = T.dvector("x", shape=(3,))
    other = T.dvector("other", shape=(2,))
    y = T.exp(x)
    with pytest.raises(DisconnectedInputError, match="other"):
        jacobian(y, other)
    J = jacobian(y, other, disconnected_inputs="ignore")
    np.testing.assert_array_equal(fn([x, other], J)(np.ones(3), np.ones(2)), np.zeros((3, 2)))


def test_jacobian_of_empty_vector():
    x = T.dvector("x", shape=(0,))
    w = T.dvector("w", shape=(2,))
    J = jacobian(x * T.sum(w), w)
    got = fn([x, w], J)(np.zeros(0), np.ones(2))
    assert got.shape == (0, 2)


def test_jacobian_rejects_matrices():
    m = T.dmatrix("m", shape=(2, 2))
    with pytest.raises(ValueError, match="flatten"):
        jacobian(m * 2.0, m)


def test_jacobian_of_unknown_length_uses_scan():
    x = T.dvector("x")
    xv = RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x], jacobian(T.exp(x), x))(xv), np.diag(np.exp(xv)))


def _cost_and_hessian(xv):
    # f(x) = sum(x^3) + x0 * x1 * x2
    H = np.diag(6 * xv)
    H[0, 1] = H[1, 0] = xv[2]
    H[0, 2] = H[2, 0] = xv[1]
    H[1, 2] = H[2, 1] = xv[0]
    return H


def test_hessian_matches_analytic():
    x = T.dvector("x", shape=(3,))
    cost = T.sum(x**3) + x[0] * x[1] * x[2]
    H = hessian(cost, x)
    xv = RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x], H)(xv), _cost_and_hessian(xv))


def test_hessian_length_can_come_from_wrt():
    x = T.dvector("x", shape=(3,))
    cost = T.sum(T.exp(x))
    H = hessian(cost, [x])
    assert isinstance(H, list)
    xv = RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x], H[0])(xv), np.diag(np.exp(xv)))


def test_hessian_of_linear_cost_is_zero_not_an_error():
    x = T.dvector("x", shape=(2,))
    H = hessian(T.sum(x * 3.0), x)
    np.testing.assert_array_equal(fn([x], H)([1.0, 2.0]), np.zeros((2, 2)))


def test_hessian_argument_checks():
    x = T.dvector("x", shape=(2,))
    m = T.dmatrix("m")
    with pytest.raises(TypeError, match="scalar"):
        hessian(x * 2.0, x)
    with pytest.raises(TypeError, match="vectors"):
        hessian(T.sum(m), m)
    u = T.dvector("u")  # length unknown when the graph is built: rows computed by scan
    uv = RNG.standard_normal(3)
    f = symcore.function([u], hessian(T.sum(T.exp(u)), u))
    np.testing.assert_allclose(f(uv), np.diag(np.exp(uv)))


@pytest.mark.parametrize("use_rop", [False, True])
def test_hessian_vector_product(use_rop):
    x = T.dvector("x")  # no static length needed
    p = T.dvector("p")
    cost = T.sum(x**3) + x[0] * x[1] * x[2]
    hv = hessian_vector_product(cost, x, p, use_rop=use_rop)
    xv, pv = RNG.standard_normal(3), RNG.standard_normal(3)
    np.testing.assert_allclose(fn([x, p], hv)(xv, pv), _cost_and_hessian(xv) @ pv)


def test_hessian_vector_product_with_several_wrt():
    x, y = T.dvectors("x", "y")
    px, py = T.dvectors("px", "py")
    cost = T.sum(x * x * y)
    hx, hy = hessian_vector_product(cost, [x, y], [px, py])
    vals = [RNG.standard_normal(2) for _ in range(4)]
    got_x, got_y = fn([x, y, px, py], [hx, hy])(*vals)
    xv, yv, pxv, pyv = vals
    # d2/dx2 = 2y, d2/dxdy = 2x, d2/dy2 = 0 (all diagonal)
    np.testing.assert_allclose(got_x, 2 * yv * pxv + 2 * xv * pyv)
    np.testing.assert_allclose(got_y, 2 * xv * pxv)
    with pytest.raises(ValueError, match="vectors p"):
        hessian_vector_product(cost, [x, y], [px])


def test_grad_of_grad_second_derivative():
    x = T.dscalar("x")
    g = grad(T.sin(x) * x, x)
    gg = grad(g, x)
    xv = 0.7
    np.testing.assert_allclose(fn([x], gg)(xv), 2 * np.cos(xv) - xv * np.sin(xv))
