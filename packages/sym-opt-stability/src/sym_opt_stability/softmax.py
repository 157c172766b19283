"""Softmax rewrites: ``log(softmax(a)) -> log_softmax(a)``,
``log(sum(exp(a), axis)) -> logsumexp(a, axis)``, and the stable gradients of both.

(``exp(a) / sum(exp(a), axis, keepdims) -> softmax(a, axis)`` is a case of the product
rewrite of :mod:`sym_opt_stability.stable_products`.)

Gradients:

* ``SoftmaxGrad(dy, sm)`` is ``(dy - sum(dy * sm)) * sm``; the gradient of ``log(sm)`` gives
  it ``dy = g / sm`` (``inf`` where ``sm`` underflows). It is rewritten as
  ``q - sum(q) * sm`` with ``q = dy * sm`` simplified (``g``).
* The gradient of the naive ``exp(a) / sum(exp(a))`` sums terms divided by the
  ``sum(exp(a))``; ``sum(f * c)`` where ``c`` is constant along the summed axes (such a
  division) becomes ``c * sum(f)``, so the division meets the ``exp(a)`` it cancels with.
"""

from __future__ import annotations

import numpy as np
from symcore import scalar as S
from symcore.graph.basic import Apply, Variable
from symcore.rewriting import node_rewriter
from symcore.tensor.alloc import Alloc
from symcore.tensor.basic import constant
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.math import second, sub
from symcore.tensor.nnet.softmax_ops import LogSoftmax, Softmax, SoftmaxGrad, logsumexp
from symcore.tensor.reduction import Sum
from symcore.tensor.reduction import sum as sum_
from symcore.tensor.subtensor import IncSubtensor, Subtensor
from symcore.tensor.subtensor_advanced import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
)

from sym_opt_stability._match import const_value, elemwise_inputs, fit_like, is_float
from sym_opt_stability.families import sform_key, softmax_key
from sym_opt_stability.products import (
    Product,
    build_product,
    is_product_like,
    is_product_node,
    parse_product,
)
from sym_opt_stability.stable_products import simplify_product

__all__ = [
    "local_log_softmax",
    "local_logsumexp",
    "local_softmax_grad_reciprocal",
    "local_sum_broadcast_factor",
]


#: Indexing Ops and the Op that increments at the same indices.
_INDEXING = {
    Subtensor: IncSubtensor,
    AdvancedSubtensor1: AdvancedIncSubtensor1,
    AdvancedSubtensor: AdvancedIncSubtensor,
}


def _indexed(var: Variable) -> tuple[Variable, Apply] | None:
    """``(x, node)`` when ``var`` is ``x[...]`` computed by one of the indexing Ops."""
    owner = var.owner
    if owner is None or type(owner.op) not in _INDEXING or owner.outputs[0] is not var:
        return None
    return owner.inputs[0], owner


@node_rewriter([Elemwise])
def local_log_softmax(fgraph, node):
    """``log(softmax(a, axis)) -> log_softmax(a, axis)``, also through indexing:
    ``log(softmax(a)[i, y]) -> log_softmax(a)[i, y]``."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log)
    if ins is None or not is_float(out):
        return None
    sm, index = ins[0], None
    found = _indexed(sm)
    if found is not None:
        sm, index = found
    if sm.owner is None or not isinstance(sm.owner.op, Softmax):
        return None
    new = LogSoftmax(sm.owner.op.axis)(sm.owner.inputs[0])
    if index is not None:
        new = index.op.make_node(new, *index.inputs[1:]).outputs[0]
    new = fit_like(new, out)
    return [new] if new is not None else None


def _sum_of_exp(var: Variable) -> tuple[Variable, tuple[int, ...], bool] | None:
    """``(a, axes, keepdims)`` when ``var`` is ``sum(exp(a), axes)`` (or its keepdims form)."""
    keep = False
    if var.owner is not None and isinstance(var.owner.op, DimShuffle):
        if sform_key(var) is None:
            return None
        var, keep = var.owner.inputs[0], True
    if var.owner is None or not isinstance(var.owner.op, Sum):
        return None
    ins = elemwise_inputs(var.owner.inputs[0], S.Exp)
    if ins is None:
        return None
    a = ins[0]
    axes = var.owner.op.axis
    axes = tuple(range(a.type.ndim)) if axes is None else tuple(ax % a.type.ndim for ax in axes)
    return a, axes, keep


@node_rewriter([Elemwise])
def local_logsumexp(fgraph, node):
    """``log(sum(exp(a), axis)) -> logsumexp(a, axis)`` (max factored out: no overflow)."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log)
    if ins is None or not is_float(out):
        return None
    found = _sum_of_exp(ins[0])
    if found is None:
        return None
    a, axes, keep = found
    if not is_float(a) or not axes:
        return None
    new = fit_like(logsumexp(a, axis=axes, keepdims=keep), out)
    return [new] if new is not None else None


def _cancel(dy: Variable, divisor: Variable, match) -> Variable | None:
    """``dy * divisor`` simplified when ``dy`` is a product dividing by ``divisor`` (a
    factor ``f`` with ``match(f)``); None otherwise."""
    prod = parse_product(dy) if is_product_node(dy) else None
    if prod is None or not any(e < 0 and match(f) for f, e in prod.occurrences):
        return None
    q_prod = prod.times(Product(1, [(divisor, 1)]))
    q_ref = build_product(q_prod.sign, q_prod.occurrences)
    return simplify_product(q_prod, q_ref, force=True)


def _is_zeros(var: Variable) -> bool:
    if const_value(var) == 0.0:
        return True
    owner = var.owner
    return owner is not None and isinstance(owner.op, Alloc) and const_value(owner.inputs[0]) == 0.0


def _times_softmax(dy: Variable, sm: Variable, key) -> Variable | None:
    """``dy * sm`` without the division by ``sm`` that ``dy`` holds, or None.

    ``dy`` is a product dividing by ``sm``, or ``inc_subtensor(zeros, v, idx)`` with ``v``
    dividing by ``sm[idx]`` (the gradient of ``log(softmax(a)[i, y])``); then the result is
    ``inc_subtensor(zeros, v * sm[idx], idx)`` (exact: ``dy`` is 0 off the indices).
    """
    q = _cancel(dy, sm, lambda f: f is sm or softmax_key(f) == key)
    if q is not None:
        return q
    owner = dy.owner
    inc_types = tuple(_INDEXING.values())
    if owner is None or not isinstance(owner.op, inc_types) or owner.op.set_instead_of_inc:
        return None
    zeros, v, *idx = owner.inputs
    if not _is_zeros(zeros) or zeros.type != sm.type:
        return None

    def same_index(f: Variable) -> bool:
        found = _indexed(f)
        if (
            found is None
            or found[0] is not sm
            or _INDEXING[type(found[1].op)] is not type(owner.op)
        ):
            return False
        sub_node = found[1]
        same_list = getattr(sub_node.op, "idx_list", None) == getattr(owner.op, "idx_list", None)
        return same_list and list(sub_node.inputs[1:]) == idx

    prod = parse_product(v) if is_product_node(v) else None
    picked = next(
        (f for f, e in (prod.occurrences if prod else []) if e < 0 and same_index(f)), None
    )
    if picked is None:
        return None
    scaled = _cancel(v, picked, lambda f: f is picked)
    if scaled is None or scaled.type != v.type:
        return None
    return owner.op.make_node(zeros, scaled, *idx).outputs[0]


@node_rewriter([SoftmaxGrad])
def local_softmax_grad_reciprocal(fgraph, node):
    """``SoftmaxGrad(dy, sm)`` with ``dy`` dividing by ``sm`` -> ``q - sum(q) * sm`` where
    ``q = dy * sm`` is simplified (the gradient of ``log(softmax(a))``)."""
    dy, sm = node.inputs
    out = node.outputs[0]
    key = softmax_key(sm)
    if key is None or not is_float(out):
        return None
    q = _times_softmax(dy, sm, key)
    if q is None:
        return None
    axis = node.op.axis
    new = sub(q, sum_(q, axis=axis, keepdims=True) * sm)
    new = fit_like(new, out, refs=[sm])
    return [new] if new is not None else None


@node_rewriter([Sum])
def local_sum_broadcast_factor(fgraph, node):
    """``sum(f * c, axes) -> c' * sum(f, axes)`` where ``c`` is constant along ``axes`` and
    contains a division by ``sum(exp(a))`` (``c'``: ``c`` without those axes)."""
    out = node.outputs[0]
    x = node.inputs[0]
    if not is_float(out) or not is_product_like(x):
        return None
    nd = x.type.ndim
    axes = node.op.axis
    axes = tuple(range(nd)) if axes is None else tuple(ax % nd for ax in axes)
    if not axes:
        return None
    prod = parse_product(x)
    if prod is None:
        return None
    pulled, kept = [], []
    for f, e in prod.occurrences:
        if f.type.ndim == nd and all(f.type.broadcastable[d] for d in axes):
            pulled.append((f, e))
        else:
            kept.append((f, e))
    if not any(e < 0 and sform_key(f) is not None for f, e in pulled):
        return None
    outside = build_product(prod.sign, pulled)
    inside = build_product(1, kept)
    if inside is None:
        inside = constant(np.asarray(1, dtype=x.type.dtype))
    for ref in prod.refs:  # fills give the extent of the summed axes: keep them
        inside = second(ref, inside)
    inside = fit_like(inside, x, refs=[x])
    if outside is None or inside is None:
        return None
    op = node.op
    total = Sum(axis=op.axis, dtype=op.dtype, acc_dtype=op.acc_dtype)(inside)
    outside = outside.dimshuffle([d for d in range(nd) if d not in axes])
    new = fit_like(outside * total, out)
    return [new] if new is not None else None
