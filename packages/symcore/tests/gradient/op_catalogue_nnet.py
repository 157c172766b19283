"""Gradient catalogue for ``symcore.tensor.nnet``: softmax family, logsumexp, cross-entropies
(and the gradient Ops ``SoftmaxGrad`` / ``CrossentropyCategorical1HotGrad``, whose own
gradients give second derivatives), activations."""

import numpy as np
import symcore.tensor as T
from symcore.tensor import nnet
from symcore.tensor.nnet import CrossentropyCategorical1HotGrad, SoftmaxGrad

_rng = np.random.default_rng(31)


def _normal(*shape):
    return _rng.normal(size=shape)


def _probs(*shape):
    e = np.exp(_normal(*shape))
    return e / e.sum(-1, keepdims=True)


_LABELS = np.array([2, 0, 1])

CASES = [
    ("softmax", nnet.softmax, [_normal(3, 4)]),
    ("softmax_axis0_float32", lambda x: nnet.softmax(x, axis=0), [_normal(3, 4).astype("float32")]),
    ("softmax_vector_row", nnet.softmax, [_normal(5)]),
    ("log_softmax", nnet.log_softmax, [_normal(3, 4)]),
    ("log_softmax_all", lambda x: nnet.log_softmax(x, axis=None), [_normal(2, 3)]),
    ("softmax_grad_op", lambda dy, sm: SoftmaxGrad(-1)(dy, sm), [_normal(3, 4), _probs(3, 4)]),
    ("logsumexp", lambda x: nnet.logsumexp(x, axis=1), [_normal(3, 4)]),
    (
        "binary_crossentropy",
        nnet.binary_crossentropy,
        [_rng.uniform(0.1, 0.9, size=(2, 3)), _rng.uniform(size=(2, 3))],
    ),
    (
        "sigmoid_binary_crossentropy",
        nnet.sigmoid_binary_crossentropy,
        [_normal(2, 3), _rng.uniform(size=(2, 3))],
    ),
    (
        "categorical_crossentropy_onehot",
        lambda c: nnet.categorical_crossentropy(c, T.constant(np.eye(4)[[0, 3, 1]])),
        [_probs(3, 4)],
    ),
    (
        "categorical_crossentropy_labels",
        lambda c: nnet.categorical_crossentropy(c, T.constant(_LABELS)),
        [_probs(3, 3)],
    ),
    (
        "crossentropy_1hot_grad_op",
        lambda g, c: CrossentropyCategorical1HotGrad()(g, c, T.constant(_LABELS)),
        [_normal(3), _probs(3, 3)],
    ),
    (
        "crossentropy_softmax_argmax_1hot_with_bias",
        lambda x, b: nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, T.constant(_LABELS))[:2],
        [_normal(3, 3), _normal(3)],
    ),
    (
        "ultra_fast_sigmoid",
        nnet.ultra_fast_sigmoid,
        [np.array([-5.0, -2.5, -1.0, -0.2, 0.3, 1.1, 2.0, 4.5])],
    ),
    ("hard_sigmoid", nnet.hard_sigmoid, [np.array([-4.0, -1.0, 0.3, 2.0, 4.0])]),
    ("softsign", nnet.softsign, [_normal(4)]),
    ("relu", nnet.relu, [np.array([-1.5, -0.2, 0.3, 2.0])]),
    ("relu_leaky", lambda x: nnet.relu(x, 0.1), [np.array([-1.5, -0.2, 0.3, 2.0])]),
    ("elu", nnet.elu, [np.array([-1.5, -0.2, 0.3, 2.0])]),
    ("selu", nnet.selu, [np.array([-1.5, -0.2, 0.3, 2.0])]),
]
