"""Sigmoid/softplus rewrites: ``1 - sigmoid(x) -> sigmoid(-x)``,
``log(sigmoid(x)) -> -softplus(-x)``, ``log1p(exp(x)) -> softplus(x)`` and
``log1p(-sigmoid(x)) -> -softplus(x)``.

With the ``log1p`` rewrites of :mod:`sym_opt_stability.logexp` and the product rewrite
(``1 / (1 + exp(-x)) -> sigmoid(x)``) they give ``log(1 + exp(x)) -> softplus(x)`` and
``log(1 - sigmoid(x)) -> -softplus(x)``, which is what makes the seed's cross-entropy
``-y*log(p) - (1-y)*log(1-p)`` with ``p = 1/(1+exp(-x))`` finite for any finite ``x``.
"""

from __future__ import annotations

from symcore import scalar as S
from symcore.graph.basic import Variable
from symcore.rewriting import node_rewriter
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.math_special import sigmoid, softplus

from sym_opt_stability._match import (
    elemwise_inputs,
    fit_like,
    is_float,
    negate,
    rewrite_unit_pair,
    split_sign,
)

__all__ = ["local_log1p_exp", "local_log_sigmoid", "local_one_minus_sigmoid"]


def _reply(new: Variable, old: Variable) -> list[Variable] | None:
    new = fit_like(new, old)
    return [new] if new is not None else None


def _sigmoid_pair(one: int, sign: int, base: Variable) -> Variable | None:
    ins = elemwise_inputs(base, S.ScalarSigmoid)
    if ins is None:
        return None
    if one == 1 and sign < 0:  # 1 - sigmoid(u)
        return sigmoid(negate(ins[0]))
    if one == -1 and sign > 0:  # sigmoid(u) - 1
        return negate(sigmoid(negate(ins[0])))
    return None


@node_rewriter([Elemwise])
def local_one_minus_sigmoid(fgraph, node):
    """``1 - sigmoid(x) -> sigmoid(-x)`` (inside any sum): exact where ``sigmoid(x)``
    rounds to 1."""
    out = node.outputs[0]
    if not is_float(out) or elemwise_inputs(out, (S.Add, S.Sub)) is None:
        return None
    new = rewrite_unit_pair(out, _sigmoid_pair)
    return [new] if new is not None else None


@node_rewriter([Elemwise])
def local_log_sigmoid(fgraph, node):
    """``log(sigmoid(x)) -> -softplus(-x)``."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log)
    if ins is None or not is_float(out):
        return None
    inner = elemwise_inputs(ins[0], S.ScalarSigmoid)
    if inner is None:
        return None
    return _reply(negate(softplus(negate(inner[0]))), out)


@node_rewriter([Elemwise])
def local_log1p_exp(fgraph, node):
    """``log1p(exp(x)) -> softplus(x)`` and ``log1p(-sigmoid(x)) -> -softplus(x)``."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log1p)
    if ins is None or not is_float(out):
        return None
    base, sign = split_sign(ins[0])
    if sign > 0:
        inner = elemwise_inputs(base, S.Exp)
        if inner is not None:
            return _reply(softplus(inner[0]), out)
        return None
    inner = elemwise_inputs(base, S.ScalarSigmoid)
    if inner is not None:
        return _reply(negate(softplus(inner[0])), out)
    return None
