"""Error-function rewrites: ``1 - erf(x) -> erfc(x)``, ``1 - erfc(x) -> erf(x)``,
``1 + erf(x) -> erfc(-x)``, and ``log(erfc(x))`` without underflow for large ``x``.

``erfc(x)`` underflows to 0 for ``x > 26.5`` in float64 (``x > 10`` in float32), so
``log(erfc(x))`` is ``-inf`` and the gradient ``exp(-x**2) / erfc(x)`` is ``0 / 0``. Above a
threshold the rewritten graphs use the continued fraction

    erfc(x) = exp(-x**2) / sqrt(pi) / K(x),   K(x) = x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))

(20 levels: full float64 precision for ``x >= 4``). Below it they use ``erfc`` itself. Each
branch of the ``switch`` only sees inputs valid for it, so no NaN leaks into gradients.
"""

from __future__ import annotations

import math

from symcore import scalar as S
from symcore.graph.basic import Variable
from symcore.rewriting import node_rewriter
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.math import maximum, minimum, switch
from symcore.tensor.math_special import erf, erfc, exp, log

from sym_opt_stability._match import (
    const_value,
    elemwise_inputs,
    fit_like,
    is_float,
    negate,
    rewrite_unit_pair,
    split_sign,
)

__all__ = [
    "ERFC_THRESHOLD",
    "erfcx",
    "local_erf_complement",
    "local_log1p_erf",
    "local_log_erfc",
    "log_erfc",
]

#: Above this, the continued fraction replaces ``erfc`` (both dtypes).
ERFC_THRESHOLD = 5.0
_CF_LEVELS = 20
_LOG_SQRT_PI = 0.5 * math.log(math.pi)
_SQRT_PI = math.sqrt(math.pi)


def _cf(x: Variable) -> Variable:
    """``K(x)`` of the module docstring, for ``x >= ERFC_THRESHOLD``."""
    k = x
    for n in range(_CF_LEVELS, 0, -1):
        k = x + (n / 2.0) / k
    return k


def erfcx(x: Variable) -> Variable:
    """``exp(x**2) * erfc(x)``, the scaled complementary error function, without overflow
    or underflow for large ``x`` (``1 / (x * sqrt(pi))`` asymptotically)."""
    small = x < ERFC_THRESHOLD
    xs = minimum(x, ERFC_THRESHOLD)
    xl = maximum(x, ERFC_THRESHOLD)
    return switch(small, exp(xs * xs) * erfc(xs), 1.0 / (_SQRT_PI * _cf(xl)))


def log_erfc(x: Variable) -> Variable:
    """``log(erfc(x))``, finite for every finite ``x``."""
    small = x < ERFC_THRESHOLD
    xs = minimum(x, ERFC_THRESHOLD)
    xl = maximum(x, ERFC_THRESHOLD)
    return switch(small, log(erfc(xs)), -(xl * xl) - _LOG_SQRT_PI - log(_cf(xl)))


def _below_threshold(x: Variable) -> bool:
    """Whether ``x`` is ``minimum(y, ERFC_THRESHOLD)``: the small branch built here."""
    ins = elemwise_inputs(x, S.Minimum)
    return ins is not None and const_value(ins[1]) == ERFC_THRESHOLD


@node_rewriter([Elemwise])
def local_log_erfc(fgraph, node):
    """``log(erfc(x))`` -> ``log_erfc(x)`` (the continued fraction above the threshold)."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log)
    if ins is None or not is_float(out):
        return None
    inner = elemwise_inputs(ins[0], S.Erfc)
    if inner is None or _below_threshold(inner[0]):
        return None
    new = fit_like(log_erfc(inner[0]), out)
    return [new] if new is not None else None


def _complement(one: int, sign: int, base: Variable) -> Variable | None:
    """``one + sign * f(u)`` for ``f`` erf or erfc, as a single erf/erfc when exact."""
    erf_in = elemwise_inputs(base, S.Erf)
    erfc_in = elemwise_inputs(base, S.Erfc)
    if erf_in is not None:
        u = erf_in[0]
        if one == 1 and sign < 0:  # 1 - erf(u)
            return erfc(u)
        if one == 1 and sign > 0:  # 1 + erf(u) = erfc(-u)
            return erfc(negate(u))
        if one == -1 and sign > 0:  # erf(u) - 1 = -erfc(u)
            return negate(erfc(u))
        return negate(erfc(negate(u)))  # -1 - erf(u) = -erfc(-u)
    if erfc_in is not None:
        u = erfc_in[0]
        if one == 1 and sign < 0:  # 1 - erfc(u)
            return erf(u)
        if one == -1 and sign > 0:  # erfc(u) - 1 = -erf(u)
            return negate(erf(u))
    return None


@node_rewriter([Elemwise])
def local_erf_complement(fgraph, node):
    """``1 - erf(x) -> erfc(x)``, ``1 + erf(x) -> erfc(-x)``, ``1 - erfc(x) -> erf(x)``
    (and the negated forms), inside any sum."""
    out = node.outputs[0]
    if not is_float(out) or elemwise_inputs(out, (S.Add, S.Sub)) is None:
        return None
    new = rewrite_unit_pair(out, _complement)
    return [new] if new is not None else None


@node_rewriter([Elemwise])
def local_log1p_erf(fgraph, node):
    """``log1p(-erf(x)) -> log_erfc(x)``, ``log1p(erf(x)) -> log_erfc(-x)``."""
    out = node.outputs[0]
    ins = elemwise_inputs(out, S.Log1p)
    if ins is None or not is_float(out):
        return None
    base, sign = split_sign(ins[0])
    inner = elemwise_inputs(base, S.Erf)
    if inner is None:
        return None
    u = inner[0] if sign < 0 else negate(inner[0])
    new = fit_like(log_erfc(u), out)
    return [new] if new is not None else None
