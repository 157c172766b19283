"""Categorical cross-entropy of a softmax: fused into one stable node, gradients without
``0 * inf``, for the idioms Theano code uses."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from scipy import special as sp

DTYPES = ["float64", "float32"]
LOGITS = np.array([[0.0, -1000.0, 3.0], [1000.0, 0.0, -2.0], [0.5, 0.2, 0.1]])
LABELS = np.array([1, 1, 2])


def _expected(a, labels):
    logsm = sp.log_softmax(a, axis=-1)
    nll = -np.take_along_axis(logsm, labels[:, None], axis=-1)[:, 0]
    onehot = np.eye(a.shape[-1])[labels]
    return nll, sp.softmax(a, axis=-1) - onehot


IDIOMS = {
    "categorical_crossentropy": lambda x, y: T.nnet.categorical_crossentropy(T.nnet.softmax(x), y),
    "log(softmax)[arange, y]": lambda x, y: -T.log(T.nnet.softmax(x))[T.arange(y.shape[0]), y],
    "log(softmax[arange, y])": lambda x, y: -T.log(T.nnet.softmax(x)[T.arange(y.shape[0]), y]),
    "one-hot targets": lambda x, y: T.nnet.categorical_crossentropy(
        T.nnet.softmax(x), T.eq(y.dimshuffle(0, "x"), T.arange(3).dimshuffle("x", 0)) * 1.0
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idiom", list(IDIOMS))
def test_cost_and_gradient_are_finite_and_exact(idiom, dtype, compile_fn, run):
    x = T.matrix("x", dtype=dtype)
    y = T.lvector("y")
    nll = IDIOMS[idiom](x, y)
    f = compile_fn([x, y], [nll, T.grad(nll.sum(), x)])
    x_val = LOGITS.astype(dtype)
    got, grad = run(f, x_val, LABELS)
    exp_nll, exp_grad = _expected(x_val.astype("float64"), LABELS)
    np.testing.assert_allclose(got, exp_nll.astype(got.dtype), rtol=2e-6)
    np.testing.assert_allclose(grad, exp_grad.astype(dtype), rtol=1e-5, atol=1e-7)
    naive_nll, naive_grad = run(
        compile_fn([x, y], [nll, T.grad(nll.sum(), x)], stabilize=False), x_val, LABELS
    )
    assert not np.all(np.isfinite(naive_nll)) and not np.all(np.isfinite(naive_grad))


def test_matrix_logits_use_the_fused_op(compile_fn, op_names):
    x = T.dmatrix("x")
    y = T.lvector("y")
    nll = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y)
    names = op_names(compile_fn([x, y], nll))
    assert "CrossentropySoftmaxArgmax1HotWithBias" in names, names
    assert "CrossentropyCategorical1Hot" not in names and "Softmax" not in names, names
    grad_names = op_names(compile_fn([x, y], T.grad(nll.sum(), x)))
    assert "CrossentropyCategorical1HotGrad" not in grad_names, grad_names
    assert "SoftmaxGrad" not in grad_names and "LabelMask" in grad_names, grad_names


def test_higher_rank_logits(compile_fn, op_names, run):
    from symcore.tensor.nnet.softmax_ops import Softmax

    x = T.dtensor3("x")
    y = T.lmatrix("y")
    nll = T.nnet.crossentropy_categorical_1hot(Softmax(-1)(x), y)
    f = compile_fn([x, y], [nll, T.grad(nll.sum(), x)])
    assert "LogSoftmax" in op_names(f) and "CrossentropyCategorical1Hot" not in op_names(f)
    x_val = np.stack([LOGITS, LOGITS[::-1]])
    y_val = np.stack([LABELS, LABELS[::-1]])
    got, grad = run(f, x_val, y_val)
    for k in range(2):
        exp_nll, exp_grad = _expected(x_val[k], y_val[k])
        np.testing.assert_allclose(got[k], exp_nll, rtol=1e-12)
        np.testing.assert_allclose(grad[k], exp_grad, rtol=1e-12, atol=1e-300)


def test_ordinary_inputs_and_finite_differences(compile_fn):
    from symcore.compile.mode import get_mode
    from symcore.gradient import verify_grad

    rng = np.random.RandomState(5)
    x_val = rng.randn(4, 3)
    labels = np.array([0, 2, 1, 1])
    x = T.dmatrix("x")
    y = T.lvector("y")
    f = compile_fn([x, y], T.nnet.categorical_crossentropy(T.nnet.softmax(x), y))
    sm = np.exp(x_val) / np.exp(x_val).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(f(x_val, labels), -np.log(sm[np.arange(4), labels]), rtol=1e-13)
    label_const = T.constant(labels)
    verify_grad(
        lambda a: T.nnet.categorical_crossentropy(T.nnet.softmax(a), label_const),
        [x_val],
        rng=rng,
        mode=get_mode(None),
    )
