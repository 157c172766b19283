"""Logarithm/exponential rewrites: ``log(1+x) -> log1p(x)``, ``log(1-x) -> log1p(-x)``,
``exp(x)-1 -> expm1(x)``, ``log(exp(x)) -> x``, ``log1p(-exp(x))`` and ``log(-expm1(x))``
``-> log1mexp(x)``,
``log(x**2) -> 2*log(abs(x))`` and ``sqrt(x**2) -> abs(x)``.

``x * x`` itself is never rewritten (into ``pow`` or anything else): it is exact.
"""

from __future__ import annotations

from symcore import scalar as S
from symcore.graph.basic import Variable
from symcore.rewriting import node_rewriter
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.math import abs as abs_
from symcore.tensor.math_special import expm1, log, log1mexp, log1p

from sym_opt_stability._match import (
    add_terms,
    const_value,
    elemwise_inputs,
    fit_like,
    is_float,
    negate,
    rebuild_sum,
    rewrite_unit_pair,
    split_sign,
    squared_base,
)

__all__ = [
    "local_expm1",
    "local_log1p",
    "local_log1p_exp_neg",
    "local_log_exp",
    "local_log_square",
    "local_sqrt_square",
]


def _reply(new: Variable | None, old: Variable) -> list[Variable] | None:
    if new is None:
        return None
    new = fit_like(new, old)
    return [new] if new is not None else None


@node_rewriter([Elemwise])
def local_log1p(fgraph, node):
    """``log(1 + x) -> log1p(x)`` and ``log(1 - x) -> log1p(-x)`` (any sum with a constant
    term 1: ``log(1 + a - b) -> log1p(a - b)``)."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log)
    if ins is None or not is_float(out):
        return None
    terms = add_terms(ins[0])
    if terms is None or len(terms) < 2:
        return None
    for k, (sign, t) in enumerate(terms):
        value = const_value(t)
        if value is not None and sign * value == 1.0:
            rest = terms[:k] + terms[k + 1 :]
            if all(const_value(r) is not None for _, r in rest):
                return None  # a constant: left to constant folding
            inner = rebuild_sum(rest)
            inner = fit_like(inner, ins[0], refs=[r for _, r in terms])
            if inner is None:
                return None
            return _reply(log1p(inner), out)
    return None


def _expm1_pair(one: int, sign: int, base: Variable) -> Variable | None:
    ins = elemwise_inputs(base, S.Exp)
    if ins is None:
        return None
    if one == -1 and sign > 0:  # exp(x) - 1
        return expm1(ins[0])
    if one == 1 and sign < 0:  # 1 - exp(x)
        return negate(expm1(ins[0]))
    return None


@node_rewriter([Elemwise])
def local_expm1(fgraph, node):
    """``exp(x) - 1 -> expm1(x)`` and ``1 - exp(x) -> -expm1(x)`` (inside any sum)."""
    out = node.outputs[0]
    if not is_float(out) or elemwise_inputs(out, (S.Add, S.Sub)) is None:
        return None
    new = rewrite_unit_pair(out, _expm1_pair)
    return [new] if new is not None else None


@node_rewriter([Elemwise])
def local_log_exp(fgraph, node):
    """``log(exp(x)) -> x``."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log)
    if ins is None or not is_float(out):
        return None
    inner = elemwise_inputs(ins[0], S.Exp)
    if inner is None:
        return None
    return _reply(inner[0], out)


@node_rewriter([Elemwise])
def local_log1p_exp_neg(fgraph, node):
    """``log1p(-exp(x)) -> log1mexp(x)`` and ``log(-expm1(x)) -> log1mexp(x)`` (so
    ``log(1 - exp(x))`` is exact near 0 and for large negative ``x``, whichever of
    ``log1p``/``expm1`` was rewritten first)."""
    out = node.outputs[0]
    if not is_float(out):
        return None
    ins = elemwise_inputs(out, S.Log1p)
    inner_cls = S.Exp
    if ins is None:
        ins = elemwise_inputs(out, S.Log)
        inner_cls = S.Expm1
    if ins is None:
        return None
    base, sign = split_sign(ins[0])
    inner = elemwise_inputs(base, inner_cls)
    if sign > 0 or inner is None:
        return None
    return _reply(log1mexp(inner[0]), out)


@node_rewriter([Elemwise])
def local_log_square(fgraph, node):
    """``log(x**2) -> 2 * log(abs(x))`` (``x**2`` overflows for ``|x| > 1e154`` and
    underflows for ``|x| < 1e-162``; ``log|x|`` does neither)."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log)
    if ins is None or not is_float(out):
        return None
    x = squared_base(ins[0])
    if x is None or not is_float(x):
        return None
    return _reply(2.0 * log(abs_(x)), out)


@node_rewriter([Elemwise])
def local_sqrt_square(fgraph, node):
    """``sqrt(x**2) -> abs(x)``."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Sqrt)
    if ins is None or not is_float(out):
        return None
    x = squared_base(ins[0])
    if x is None or not is_float(x):
        return None
    return _reply(abs_(x), out)
