"""Softmax, LogSoftmax, SoftmaxGrad and logsumexp: values against NumPy, stability at extreme
inputs, Theano's vector-to-row behaviour, dtypes, infer_shape, gradients and R_op."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import Rop, grad, verify_grad
from symcore.tensor.nnet import (
    LogSoftmax,
    LogSumExp,
    Softmax,
    SoftmaxGrad,
    log_softmax,
    logsumexp,
    softmax,
)
from symcore.tensor.shape import shape_i

rng = np.random.default_rng(99)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


def np_softmax(a, axis=-1):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(a, axis=-1):
    s = a - np.max(a, axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def check_infer_shape(out, inputs, values):
    node = out.owner
    in_shapes = [tuple(shape_i(v, d) for d in range(v.ndim)) for v in node.inputs]
    flat = [T.as_tensor_variable(s) for s in node.op.infer_shape(node, in_shapes)[0]]
    val = run([out] + flat, inputs, *values)
    assert tuple(int(s) for s in val[1:]) == val[0].shape


@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_softmax_log_softmax_match_numpy(axis):
    x = T.dmatrix("x")
    a = rng.normal(size=(3, 5)) * 3
    sm, lsm = run([softmax(x, axis=axis), log_softmax(x, axis=axis)], [x], a)
    np.testing.assert_allclose(sm, np_softmax(a, axis))
    np.testing.assert_allclose(lsm, np_log_softmax(a, axis))
    np.testing.assert_allclose(
        sm.sum(axis=axis), 1.0 if axis is None else np.ones(a.shape[1 - axis % 2])
    )


def test_softmax_of_3d_along_middle_axis():
    x = T.dtensor3("x")
    a = rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(run(softmax(x, axis=1), [x], a), np_softmax(a, 1))


def test_softmax_of_vector_is_a_row_like_theano():
    v = T.dvector("v")
    s, ls = softmax(v), log_softmax(v)
    assert s.ndim == 2 and s.broadcastable == (True, False) and ls.broadcastable == (True, False)
    a = rng.normal(size=4)
    out = run(s, [v], a)
    assert out.shape == (1, 4)
    np.testing.assert_allclose(out[0], np_softmax(a))


def test_softmax_is_stable_at_extremes():
    x = T.dmatrix("x")
    a = np.array([[1000.0, 0.0], [-1000.0, 0.0], [1e308, -1e308]])
    sm, lsm = run([softmax(x), log_softmax(x)], [x], a)
    np.testing.assert_array_equal(sm[0], [1.0, 0.0])
    np.testing.assert_array_equal(sm[1], [0.0, 1.0])
    np.testing.assert_array_equal(lsm[0], [0.0, -1000.0])
    np.testing.assert_array_equal(lsm[1], [-1000.0, 0.0])
    assert np.isfinite(lsm[:2]).all() and np.isfinite(sm).all()


def test_softmax_float32_stays_float32_and_ints_give_float64():
    f, i = T.fmatrix("f"), T.imatrix("i")
    assert softmax(f).dtype == "float32" and log_softmax(f).dtype == "float32"
    assert softmax(i).dtype == "float64"
    a = rng.normal(size=(2, 3)).astype("float32")
    out = run(softmax(f), [f], a)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np_softmax(a.astype("float64")), rtol=1e-6)
    b = np.array([[1, 2, 3]], dtype="int32")
    np.testing.assert_allclose(run(softmax(i), [i], b), np_softmax(b.astype(float)))


def test_softmax_rejects_complex():
    with pytest.raises(TypeError, match="Softmax"):
        Softmax(-1)(T.zmatrix())


def test_softmax_empty_and_strided():
    x = T.dmatrix("x")
    f = symcore.function([x], [softmax(x), log_softmax(x)])
    for a in (np.zeros((0, 3)), np.zeros((2, 0))):
        s, ls = f(a)
        assert s.shape == a.shape and ls.shape == a.shape
    base = rng.normal(size=(6, 8))
    a = base[::-2, 1::3]
    s, ls = f(a)
    np.testing.assert_allclose(s, np_softmax(a))
    np.testing.assert_allclose(ls, np_log_softmax(a))


def test_ops_value_semantics_and_axis_normalisation():
    x = T.dmatrix()
    assert softmax(x).owner.op == Softmax(1) == softmax(x, axis=1).owner.op
    assert Softmax(1) != LogSoftmax(1) and Softmax(0) != Softmax(1)
    assert str(Softmax(1)) == "Softmax{1}"
    with pytest.raises(np.exceptions.AxisError):
        softmax(x, axis=2)


@pytest.mark.parametrize(
    "build",
    [
        lambda x: softmax(x),
        lambda x: log_softmax(x, 0),
        lambda x: SoftmaxGrad(1)(x, softmax(x)),
    ],
)
def test_infer_shape(build):
    x = T.dmatrix("x")
    check_infer_shape(build(x), [x], [rng.normal(size=(3, 4))])


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_softmax_log_softmax_grads(axis):
    a = rng.normal(size=(3, 4))
    verify_grad(lambda x: softmax(x, axis=axis), [a], rng=rng)
    verify_grad(lambda x: log_softmax(x, axis=axis), [a], rng=rng)
    verify_grad(lambda x: softmax(x), [rng.normal(size=5)], rng=rng)


def test_softmax_grad_op_second_derivatives():
    dy, sm = rng.normal(size=(3, 4)), np_softmax(rng.normal(size=(3, 4)))
    verify_grad(lambda d, s: SoftmaxGrad(-1)(d, s), [dy, sm], rng=rng)
    verify_grad(lambda d, s: SoftmaxGrad(0)(d, s), [dy, sm], rng=rng)
    # the gradient of a gradient: d/dx sum(grad(sum(w * softmax(x)), x) ** 2)
    w = rng.normal(size=(2, 3))

    def fn(x):
        g = grad(T.sum(softmax(x) * w), x)
        return g * g

    verify_grad(fn, [rng.normal(size=(2, 3))], rng=rng)


def test_gradients_are_finite_at_extremes():
    x = T.dmatrix("x")
    a = np.array([[1000.0, 0.0, -1000.0]])
    w = np.array([[0.3, -1.0, 2.0]])
    g1, g2 = run([grad(T.sum(softmax(x) * w), x), grad(T.sum(log_softmax(x) * w), x)], [x], a)
    assert np.isfinite(g1).all() and np.isfinite(g2).all()
    sm = np_softmax(a)
    np.testing.assert_allclose(g2, w - sm * w.sum(), atol=1e-12)


def test_float32_gradients_stay_float32():
    x = T.fmatrix("x")
    assert grad(T.sum(softmax(x) ** 2), x).dtype == "float32"
    assert grad(T.sum(log_softmax(x)[:, 0]), x).dtype == "float32"
    verify_grad(lambda x: log_softmax(x), [rng.normal(size=(2, 3)).astype("float32")], rng=rng)


def test_softmax_and_log_softmax_rop():
    x, v = T.dmatrix("x"), T.dmatrix("v")
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    sm = np_softmax(a)
    r1, r2 = run([Rop(softmax(x), x, v), Rop(log_softmax(x), x, v)], [x, v], a, b)
    np.testing.assert_allclose(r1, sm * (b - (sm * b).sum(-1, keepdims=True)))
    np.testing.assert_allclose(r2, b - (sm * b).sum(-1, keepdims=True))


# ---------------------------------------------------------------------------------------
# logsumexp
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_numpy(axis, keepdims):
    x = T.dtensor3("x")
    a = rng.normal(size=(2, 3, 4))
    out = run(logsumexp(x, axis=axis, keepdims=keepdims), [x], a)
    np.testing.assert_allclose(out, np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)))


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log")
def test_logsumexp_is_stable():
    x = T.dmatrix("x")
    a = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, 0.0], [-np.inf, -np.inf]])
    out = run(logsumexp(x, axis=1), [x], a)
    np.testing.assert_allclose(out[:3], [1000.0 + np.log(2), -1000.0 + np.log(2), 0.0])
    assert out[3] == -np.inf


def test_logsumexp_dtype_and_grad():
    f = T.fvector("f")
    assert logsumexp(f).dtype == "float32"
    a = rng.normal(size=(3, 4))
    verify_grad(lambda x: logsumexp(x, axis=1), [a], rng=rng)
    x = T.dmatrix("x")
    g = run(grad(T.sum(logsumexp(x, axis=1)), x), [x], a)
    np.testing.assert_allclose(g, np_softmax(a))


def test_logsumexp_is_one_node_with_props():
    x = T.dtensor3("x")
    out = logsumexp(x, axis=(2, -3), keepdims=True)
    assert isinstance(out.owner.op, LogSumExp)
    assert out.owner.op.axis == (0, 2) and out.owner.op.keepdims is True
    assert out.broadcastable == (True, False, True)
    assert logsumexp(x, axis=(0, 2)).owner.op == LogSumExp((0, 2), False)
    assert logsumexp(T.ivector("i")).dtype == "float64"  # integers are computed in float64


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_logsumexp_of_empty_groups_is_minus_inf_like_numpy(axis):
    x = T.dmatrix("x")
    for a in (np.zeros((0, 3)), np.zeros((3, 0))):
        with np.errstate(divide="ignore"):
            expected = np.log(np.sum(np.exp(a), axis=axis))
        out = run(logsumexp(x, axis=axis), [x], a)
        assert out.shape == expected.shape
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, True), ((0, 2), False)])
def test_logsumexp_infer_shape(axis, keepdims):
    x = T.dtensor3("x")
    check_infer_shape(logsumexp(x, axis=axis, keepdims=keepdims), [x], [rng.normal(size=(2, 3, 4))])


@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_grad_and_rop_over_several_axes(keepdims):
    a = rng.normal(size=(2, 3, 4))
    verify_grad(lambda x: logsumexp(x, axis=(0, 2), keepdims=keepdims), [a], rng=rng)
    x, v = T.dtensor3("x"), T.dtensor3("v")
    b = rng.normal(size=(2, 3, 4))
    r = run(Rop(logsumexp(x, axis=(0, 2), keepdims=keepdims), x, v), [x, v], a, b)
    sm = np.exp(a - np.log(np.exp(a).sum(axis=(0, 2), keepdims=True)))
    np.testing.assert_allclose(r, (sm * b).sum(axis=(0, 2), keepdims=keepdims))
