"""Cross-entropy rewrites: the categorical cross-entropy of a softmax against integer labels
fused into one stable node, and its gradient made stable.

* ``crossentropy_categorical_1hot(softmax(x), y)`` (what ``categorical_crossentropy``
  builds for integer labels) computes ``-log(sm[i, y[i]])``: ``inf`` where the softmax
  underflows. For a matrix ``x`` it becomes the first output of
  ``CrossentropySoftmaxArgmax1HotWithBias(x, 0, y)`` (from the log-softmax: finite); for other
  ranks ``-sum(log_softmax(x) * onehot(y), -1)``.
* Its gradient ``SoftmaxGrad(CrossentropyCategorical1HotGrad(g, sm, y), sm)`` divides ``g``
  by ``sm`` then multiplies back (``0 * inf``); it becomes ``(sm - onehot(y)) * g``.
"""

from __future__ import annotations

import numpy as np
from symcore.rewriting import node_rewriter
from symcore.tensor.basic import constant
from symcore.tensor.nnet.crossentropy import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    LabelMask,
    crossentropy_softmax_argmax_1hot_with_bias,
)
from symcore.tensor.nnet.softmax_ops import LogSoftmax, Softmax, SoftmaxGrad
from symcore.tensor.reduction import sum as sum_

from sym_opt_stability._match import fit_like, negate

__all__ = ["local_crossentropy_softmax_1hot", "local_crossentropy_softmax_1hot_grad"]

_label_mask = LabelMask()


def _softmax_on_last_axis(var) -> object | None:
    """The logits ``x`` when ``var`` is ``softmax(x)`` along its last axis."""
    owner = var.owner
    if owner is None or not isinstance(owner.op, Softmax):
        return None
    x = owner.inputs[0]
    if owner.op.axis is None and x.type.ndim != 1:
        return None
    if owner.op.axis is not None and owner.op.axis % x.type.ndim != x.type.ndim - 1:
        return None
    return x


@node_rewriter([CrossentropyCategorical1Hot])
def local_crossentropy_softmax_1hot(fgraph, node):
    """``-log(softmax(x)[.., y])`` computed from the log-softmax (one fused node for a
    matrix ``x``)."""
    sm, labels = node.inputs
    out = node.outputs[0]
    x = _softmax_on_last_axis(sm)
    if x is None:
        return None
    if x.type.ndim == 2:
        zero_bias = constant(np.zeros(1, dtype=x.type.dtype))
        new = crossentropy_softmax_argmax_1hot_with_bias(x, zero_bias, labels)[0]
    else:
        logsm = LogSoftmax(x.type.ndim - 1)(x)
        new = negate(sum_(logsm * _label_mask(logsm, labels), axis=-1))
    new = fit_like(new, out)
    return [new] if new is not None else None


@node_rewriter([SoftmaxGrad])
def local_crossentropy_softmax_1hot_grad(fgraph, node):
    """``SoftmaxGrad(CrossentropyCategorical1HotGrad(g, sm, y), sm) -> (sm - onehot(y)) * g``."""
    dy, sm = node.inputs
    owner = dy.owner
    if owner is None or not isinstance(owner.op, CrossentropyCategorical1HotGrad):
        return None
    g, coding, labels = owner.inputs
    if coding is not sm or _softmax_on_last_axis(sm) is None:
        return None
    if node.op.axis is not None and node.op.axis % sm.type.ndim != sm.type.ndim - 1:
        return None
    g_b = g.dimshuffle([*range(g.type.ndim), "x"])
    new = (sm - _label_mask(sm, labels)) * g_b
    new = fit_like(new, node.outputs[0], refs=[sm])
    return [new] if new is not None else None
