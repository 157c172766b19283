"""Cross-entropies: ``binary_crossentropy``, ``sigmoid_binary_crossentropy`` (from logits),
``categorical_crossentropy`` (one-hot/probability targets or integer labels) and the Ops
``CrossentropyCategorical1Hot`` (+ its gradient) and ``CrossentropySoftmaxArgmax1HotWithBias``
(softmax, its negative log-likelihood and argmax in one stable node), with Theano's names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.graph.type import DisconnectedType, disconnected_type
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.math import sqr
from symcore.tensor.math_special import log, softplus
from symcore.tensor.nnet.softmax_ops import SoftmaxGrad
from symcore.tensor.reduction import sum as _sum
from symcore.tensor.type import FLOAT_DTYPES, INTEGER_DTYPES, TensorType

__all__ = [
    "binary_crossentropy",
    "sigmoid_binary_crossentropy",
    "categorical_crossentropy",
    "CrossentropyCategorical1Hot",
    "CrossentropyCategorical1HotGrad",
    "crossentropy_categorical_1hot",
    "crossentropy_categorical_1hot_grad",
    "CrossentropySoftmaxArgmax1HotWithBias",
    "crossentropy_softmax_argmax_1hot_with_bias",
    "crossentropy_softmax_1hot_with_bias",
    "crossentropy_softmax_1hot",
    "LabelMask",
]


def binary_crossentropy(output: Any, target: Any) -> Variable:
    """``-(target * log(output) + (1 - target) * log(1 - output))`` (Theano's formula;
    ``output`` holds probabilities). From logits, use ``sigmoid_binary_crossentropy``."""
    output = as_tensor_variable(output)
    return -(target * log(output) + (1.0 - target) * log(1.0 - output))


def sigmoid_binary_crossentropy(output: Any, target: Any) -> Variable:
    """``binary_crossentropy(sigmoid(output), target)`` computed stably from the logits
    ``output``: ``softplus(output) - output * target`` (never overflows; the gradient
    with respect to ``output`` is exactly ``sigmoid(output) - target``)."""
    output = as_tensor_variable(output)
    return softplus(output) - output * target


# ---------------------------------------------------------------------------------------
# Integer labels
# ---------------------------------------------------------------------------------------


def _check_labels(op: Op, labels: np.ndarray, n_classes: int, lead_shape: tuple) -> None:
    if labels.shape != lead_shape:
        raise ValueError(
            f"{op}: labels of shape {labels.shape} do not match the leading shape {lead_shape} "
            "of the distributions"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)].flat[0]
        raise IndexError(f"{op}: label {bad} is out of bounds for {n_classes} classes")


def _labels_var(labels: Any, coding: Variable, who: str) -> Variable:
    labels = as_tensor_variable(labels)
    if labels.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{who}: labels must be integers, got {labels.type}")
    if labels.ndim != coding.ndim - 1:
        raise TypeError(
            f"{who}: labels {labels.type} must have one dimension less than the "
            f"distributions {coding.type}"
        )
    return labels


class LabelMask(Op):
    """The one-hot mask of integer ``labels`` laid out like ``coding`` (dtype of ``coding``):
    1 at ``[..., labels[...]]``, 0 elsewhere. Piecewise constant: no gradient flows."""

    __props__ = ()
    differentiable = False

    def make_node(self, coding: Any, labels: Any) -> Apply:
        coding = as_tensor_variable(coding)
        labels = _labels_var(labels, coding, "LabelMask")
        return Apply(self, [coding, labels], [coding.type()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        coding, labels = inputs
        _check_labels(self, labels, coding.shape[-1], coding.shape[:-1])
        out = np.zeros(coding.shape, dtype=node.outputs[0].dtype)
        np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node: Apply):
        return [[False], [False]]

    def grad(self, inputs, output_grads):
        return [disconnected_type(), disconnected_type()]


_label_mask = LabelMask()


def _pick(a: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, labels[..., None].astype(np.intp), axis=-1)[..., 0]


class CrossentropyCategorical1Hot(Op):
    """``-log(coding_dist[..., labels[...]])``: the cross-entropy of probability rows against
    integer labels (Theano's op; ``coding_dist`` may have any rank ≥ 1)."""

    __props__ = ()

    def make_node(self, coding_dist: Any, true_one_of_n: Any) -> Apply:
        coding = as_tensor_variable(coding_dist)
        if coding.ndim < 1 or coding.dtype not in FLOAT_DTYPES:
            raise TypeError(
                "CrossentropyCategorical1Hot: coding_dist must be a float tensor, "
                f"got {coding.type}"
            )
        labels = _labels_var(true_one_of_n, coding, "CrossentropyCategorical1Hot")
        out = TensorType(coding.dtype, coding.broadcastable[:-1], shape=coding.type.shape[:-1])()
        return Apply(self, [coding, labels], [out])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        coding, labels = inputs
        _check_labels(self, labels, coding.shape[-1], coding.shape[:-1])
        with np.errstate(divide="ignore"):
            out = -np.log(_pick(coding, labels))
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].dtype)

    def infer_shape(self, node: Apply, input_shapes):
        return [tuple(input_shapes[0][:-1])]

    def connection_pattern(self, node: Apply):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        coding, labels = inputs
        (g,) = output_grads
        return [crossentropy_categorical_1hot_grad(g, coding, labels), disconnected_type()]


class CrossentropyCategorical1HotGrad(Op):
    """Gradient of ``CrossentropyCategorical1Hot``: ``-g / coding`` at the labels, 0
    elsewhere (never divides where it does not need to)."""

    __props__ = ()

    def make_node(self, g_y: Any, coding_dist: Any, true_one_of_n: Any) -> Apply:
        g_y, coding = as_tensor_variable(g_y), as_tensor_variable(coding_dist)
        labels = _labels_var(true_one_of_n, coding, "CrossentropyCategorical1HotGrad")
        dtype = np.result_type(g_y.dtype, coding.dtype).name
        return Apply(self, [g_y, coding, labels], [TensorType(dtype, coding.broadcastable)()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        g_y, coding, labels = inputs
        _check_labels(self, labels, coding.shape[-1], coding.shape[:-1])
        out = np.zeros(coding.shape, dtype=node.outputs[0].dtype)
        with np.errstate(divide="ignore"):
            vals = -np.broadcast_to(g_y, labels.shape) / _pick(coding, labels)
        np.put_along_axis(out, labels[..., None].astype(np.intp), vals[..., None], axis=-1)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, input_shapes):
        return [input_shapes[1]]

    def connection_pattern(self, node: Apply):
        return [[True], [True], [False]]

    def grad(self, inputs, output_grads):
        g_y, coding, labels = inputs
        (gd,) = output_grads
        mask = _label_mask(coding, labels)
        c_y = _sum(coding * mask, axis=-1)
        gd_y = _sum(gd * mask, axis=-1)
        g_gy = -gd_y / c_y
        g_coding = mask * (gd_y * g_y / sqr(c_y)).dimshuffle(list(range(c_y.ndim)) + ["x"])
        return [_like(_sum_to(g_gy, g_y), g_y), _like(g_coding, coding), disconnected_type()]


def _like(g: Variable, x: Variable) -> Variable:
    from symcore.tensor.math import cast

    return cast(g, x.dtype) if g.dtype != x.dtype else g


def _sum_to(g: Variable, x: Variable) -> Variable:
    """Sum ``g`` over the dimensions along which ``x`` was broadcast."""
    axes = [d for d in range(g.ndim) if x.broadcastable[d] and not g.broadcastable[d]]
    return _sum(g, axis=axes, keepdims=True) if axes else g


crossentropy_categorical_1hot = CrossentropyCategorical1Hot()
crossentropy_categorical_1hot_grad = CrossentropyCategorical1HotGrad()


def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> Variable:
    """Cross-entropy between rows of ``coding_dist`` (probabilities) and ``true_dist``:
    either distributions of the same shape (``-sum(true_dist * log(coding_dist), -1)``) or
    integer labels with one dimension less (``-log(coding_dist[i, true_dist[i]])``)."""
    coding = as_tensor_variable(coding_dist)
    true_dist = as_tensor_variable(true_dist)
    if true_dist.ndim == coding.ndim:
        return -_sum(true_dist * log(coding), axis=coding.ndim - 1)
    if true_dist.ndim == coding.ndim - 1:
        return crossentropy_categorical_1hot(coding, true_dist)
    raise TypeError(
        f"categorical_crossentropy: rank mismatch between coding_dist {coding.type} and "
        f"true_dist {true_dist.type}"
    )


# ---------------------------------------------------------------------------------------
# Softmax + negative log-likelihood in one node
# ---------------------------------------------------------------------------------------


class CrossentropySoftmaxArgmax1HotWithBias(Op):
    """For a matrix ``x``, a bias vector ``b`` and integer labels ``y_idx``: the negative
    log-likelihood ``-log(softmax(x + b)[i, y_idx[i]])``, the softmax and its argmax.

    The log-likelihood is computed from the log-softmax, so it is finite whenever ``x`` is,
    even where the softmax underflows to 0.
    """

    __props__ = ()

    def make_node(self, x: Any, b: Any, y_idx: Any) -> Apply:
        x, b = as_tensor_variable(x), as_tensor_variable(b)
        if x.ndim != 2 or b.ndim != 1 or x.dtype not in FLOAT_DTYPES or b.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"CrossentropySoftmaxArgmax1HotWithBias: x must be a float matrix and b a float "
                f"vector, got {x.type} and {b.type}"
            )
        y_idx = _labels_var(y_idx, x, "CrossentropySoftmaxArgmax1HotWithBias")
        dtype = np.result_type(x.dtype, b.dtype).name
        nll = TensorType(dtype, (x.broadcastable[0],))()
        sm = TensorType(dtype, x.broadcastable)()
        am = TensorType("int64", (x.broadcastable[0],))()
        return Apply(self, [x, b, y_idx], [nll, sm, am])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        x, b, y_idx = inputs
        if b.shape[0] not in (1, x.shape[1]):
            raise ValueError(f"{self}: bias of shape {b.shape} does not match x of shape {x.shape}")
        if x.shape[1] == 0:
            raise ValueError(f"{self}: x of shape {x.shape} has no classes")
        _check_labels(self, y_idx, x.shape[1], x.shape[:1])
        dtype = node.outputs[0].dtype
        z = np.asarray(x + b, dtype=dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = z.max(axis=1, keepdims=True)
            m = np.where(np.isfinite(m), m, np.zeros((), dtype))
            logsm = z - m
            logsm -= np.log(np.exp(logsm).sum(axis=1, keepdims=True))
        output_storage[0][0] = np.asarray(-_pick(logsm, y_idx), dtype=dtype)
        output_storage[1][0] = np.exp(logsm)
        output_storage[2][0] = np.asarray(np.argmax(z, axis=1), dtype="int64")

    def infer_shape(self, node: Apply, input_shapes):
        sx = input_shapes[0]
        return [(sx[0],), tuple(sx), (sx[0],)]

    def connection_pattern(self, node: Apply):
        return [[True, True, False], [True, True, False], [True, False, False]]

    def L_op(self, inputs, outputs, output_grads):
        x, b, y_idx = inputs
        _, sm, _ = outputs
        g_nll, g_sm, _ = output_grads
        terms = []
        if not isinstance(g_nll.type, DisconnectedType):
            # d nll_i / d z_ij = sm_ij - [j == y_i]
            terms.append((sm - _label_mask(sm, y_idx)) * g_nll.dimshuffle(0, "x"))
        if not isinstance(g_sm.type, DisconnectedType):
            terms.append(SoftmaxGrad(-1)(g_sm, sm))
        if not terms:
            return [x.zeros_like(), b.zeros_like(), disconnected_type()]
        dz = terms[0] if len(terms) == 1 else terms[0] + terms[1]
        db = _sum(dz, axis=0)
        if b.broadcastable[0]:
            db = _sum(db, keepdims=True)
        return [_like(dz, x), _like(db, b), disconnected_type()]


crossentropy_softmax_argmax_1hot_with_bias = CrossentropySoftmaxArgmax1HotWithBias()


def crossentropy_softmax_1hot_with_bias(x: Any, b: Any, y_idx: Any) -> list[Variable]:
    """``[nll, softmax(x + b)]`` (Theano)."""
    return crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx)[:2]


def crossentropy_softmax_1hot(x: Any, y_idx: Any) -> list[Variable]:
    """``[nll, softmax(x)]`` for a matrix of logits ``x`` and integer labels (Theano)."""
    x = as_tensor_variable(x)
    zero_bias = constant(np.zeros(1, dtype=x.dtype))
    return crossentropy_softmax_argmax_1hot_with_bias(x, zero_bias, y_idx)[:2]
