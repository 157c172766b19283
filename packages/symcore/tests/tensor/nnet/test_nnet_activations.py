"""Activations of ``symcore.tensor.nnet``: sigmoid/softplus re-exports, ultra_fast_sigmoid,
hard_sigmoid, softsign, relu, elu, selu; Theano's module paths."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import grad, verify_grad
from symcore.tensor import nnet

rng = np.random.default_rng(11)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


def np_sigmoid(a):
    return np.exp(-np.logaddexp(0.0, -a))  # 1 / (1 + exp(-a)) without overflow


def np_ultra_fast_sigmoid(a):
    h = np.abs(a) / 2
    z = np.where(
        h < 1.7,
        1.5 * h / (1 + h),
        np.where(h < 3, 0.935409070603099 + 0.0458812946797165 * (h - 1.7), 0.99505475368673),
    )
    return 0.5 * (np.sign(a) * z + 1)


def test_theano_module_paths():
    import symcore.tensor.nnet.nnet as nn
    import symcore.tensor.nnet.sigm as sg
    from symcore.tensor.math_special import sigmoid, softplus

    assert nnet.sigmoid is sigmoid and nnet.softplus is softplus and sg.sigmoid is sigmoid
    assert (
        nn.softmax is nnet.softmax and nn.categorical_crossentropy is nnet.categorical_crossentropy
    )
    assert T.nnet.relu is nnet.relu and nnet.logsoftmax is nnet.log_softmax
    for name in (
        "Softmax",
        "LogSoftmax",
        "SoftmaxGrad",
        "CrossentropyCategorical1Hot",
        "CrossentropySoftmaxArgmax1HotWithBias",
        "ultra_fast_sigmoid",
        "hard_sigmoid",
        "elu",
        "binary_crossentropy",
        "sigmoid_binary_crossentropy",
        "logsumexp",
        "crossentropy_softmax_1hot",
    ):
        assert hasattr(nnet, name), name


def test_sigmoid_softplus_are_stable():
    x = T.dvector("x")
    a = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    s, sp = run([nnet.sigmoid(x), nnet.softplus(x)], [x], a)
    np.testing.assert_allclose(s, np_sigmoid(a))
    np.testing.assert_allclose(sp, np.logaddexp(0, a))


def test_ultra_fast_sigmoid_values_and_accuracy():
    x = T.dvector("x")
    a = np.linspace(-8, 8, 401)
    out = run(nnet.ultra_fast_sigmoid(x), [x], a)
    np.testing.assert_allclose(out, np_ultra_fast_sigmoid(a), atol=1e-15)
    assert np.abs(out - np_sigmoid(a)).max() < 0.03
    assert nnet.ultra_fast_sigmoid(T.fvector()).dtype == "float32"


def test_ultra_fast_sigmoid_grad_is_derivative_of_the_approximation():
    a = np.array([-5.0, -2.5, -1.0, -0.2, 0.3, 1.1, 2.0, 4.5, 7.0])
    verify_grad(nnet.ultra_fast_sigmoid, [a], rng=rng)
    x = T.dscalar("x")
    assert run(grad(nnet.ultra_fast_sigmoid(x), x), [x], 0.0) == pytest.approx(0.375)


def test_hard_sigmoid_and_softsign():
    x = T.dvector("x")
    a = np.array([-10.0, -2.0, 0.0, 1.0, 2.4, 10.0])
    h, s = run([nnet.hard_sigmoid(x), nnet.softsign(x)], [x], a)
    np.testing.assert_allclose(h, np.clip(0.2 * a + 0.5, 0, 1))
    np.testing.assert_allclose(s, a / (1 + np.abs(a)))
    assert nnet.hard_sigmoid(T.fvector()).dtype == "float32"
    verify_grad(nnet.hard_sigmoid, [np.array([-1.0, 0.3, 2.0])], rng=rng)
    verify_grad(nnet.softsign, [rng.normal(size=5)], rng=rng)


@pytest.mark.parametrize("alpha", [0, 0.1, 0.5])
def test_relu(alpha):
    x = T.dmatrix("x")
    a = rng.normal(size=(3, 4))
    out = run(nnet.relu(x, alpha), [x], a)
    np.testing.assert_allclose(out, np.where(a > 0, a, alpha * a))
    verify_grad(lambda v: nnet.relu(v, alpha), [a], rng=rng)


def test_relu_dtypes_and_symbolic_alpha():
    f = T.fvector("f")
    assert nnet.relu(f).dtype == "float32" and nnet.relu(f, 0.2).dtype == "float32"
    al = T.dscalar("al")
    a = rng.normal(size=5).astype("float32")
    np.testing.assert_allclose(
        run(nnet.relu(f, al), [f, al], a, 0.3), np.where(a > 0, a, 0.3 * a), rtol=1e-6
    )


def test_elu_selu():
    x = T.dvector("x")
    a = np.array([-1000.0, -2.0, -0.1, 0.5, 3.0, 1000.0])
    e, e2, s = run([nnet.elu(x), nnet.elu(x, 0.5), nnet.selu(x)], [x], a)
    np.testing.assert_allclose(e, np.where(a > 0, a, np.expm1(np.minimum(a, 0))))
    np.testing.assert_allclose(e2, np.where(a > 0, a, 0.5 * np.expm1(np.minimum(a, 0))))
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    np.testing.assert_allclose(s, scale * np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))))
    g = run(grad(T.sum(nnet.elu(x)), x), [x], a)
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g, np.where(a > 0, 1.0, np.exp(np.minimum(a, 0))))
    verify_grad(nnet.elu, [np.array([-2.0, -0.3, 0.4, 2.0])], rng=rng)
    verify_grad(nnet.selu, [np.array([-2.0, -0.3, 0.4, 2.0])], rng=rng)
