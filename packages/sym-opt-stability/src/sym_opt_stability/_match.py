"""Small graph-matching helpers shared by the rewrites of this package.

They look at the forms a formula takes after the core's canonicalization *and* before it
(``1 - x`` may be ``sub(1, x)`` or ``add(1, neg(x))``; ``-x`` may be ``neg(x)`` or
``mul(-1, x)``; constants may be dimshuffled), so the rewrites fire on what users write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from symcore import scalar as S
from symcore.graph.basic import Constant, Variable
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.math import add, cast, neg, second, sub
from symcore.tensor.type import FLOAT_DTYPES, TensorType

__all__ = [
    "add_terms",
    "const_value",
    "elemwise_inputs",
    "fit_like",
    "is_float",
    "negate",
    "one_minus",
    "one_plus",
    "rebuild_sum",
    "rewrite_unit_pair",
    "scalar_op_of",
    "split_sign",
    "squared_base",
]

#: Most terms an add/sub tree may have for the rewrites to look into it.
MAX_TERMS = 16


def scalar_op_of(var: Any) -> Any:
    """The scalar op of the ``Elemwise`` that computes ``var`` (None if there is none)."""
    owner = getattr(var, "owner", None)
    if owner is None or not isinstance(owner.op, Elemwise) or len(owner.outputs) != 1:
        return None
    return owner.op.scalar_op


def elemwise_inputs(var: Variable, cls: type | tuple[type, ...]) -> list[Variable] | None:
    """The inputs of ``var``'s node when it is an ``Elemwise`` of a scalar op of class ``cls``."""
    sop = scalar_op_of(var)
    if sop is None or not isinstance(sop, cls):
        return None
    return list(var.owner.inputs)


def is_float(var: Any) -> bool:
    """Whether ``var`` is a real floating-point tensor."""
    return isinstance(getattr(var, "type", None), TensorType) and var.type.dtype in FLOAT_DTYPES


def const_value(var: Any) -> float | None:
    """The value of ``var`` when it is a constant whose elements are all equal (seen through
    dimshuffles, casts and ``fill``), else None."""
    for _ in range(8):
        if isinstance(var, Constant):
            data = np.asarray(var.data)
            if data.size == 0 or data.dtype.kind not in "biuf":
                return None
            first = data.flat[0]
            if data.size > 1 and not (data == first).all():
                return None
            return float(first)
        owner = getattr(var, "owner", None)
        if owner is None:
            return None
        if isinstance(owner.op, DimShuffle):
            var = owner.inputs[0]
            continue
        sop = scalar_op_of(var)
        if isinstance(sop, S.Second):
            var = owner.inputs[1]
            continue
        if isinstance(sop, S.Cast):
            var = owner.inputs[0]
            continue
        return None
    return None


def _is_minus_one(var: Variable) -> bool:
    return const_value(var) == -1.0


def split_sign(var: Variable) -> tuple[Variable, int]:
    """``(base, sign)`` with ``var == sign * base``, peeling ``neg`` and ``mul(-1, .)``."""
    sign = 1
    for _ in range(16):
        ins = elemwise_inputs(var, S.Neg)
        if ins is not None:
            var, sign = ins[0], -sign
            continue
        ins = elemwise_inputs(var, S.Mul)
        if ins is not None and len(ins) == 2:
            if _is_minus_one(ins[0]) and ins[1].type == var.type:
                var, sign = ins[1], -sign
                continue
            if _is_minus_one(ins[1]) and ins[0].type == var.type:
                var, sign = ins[0], -sign
                continue
        break
    return var, sign


def negate(var: Variable) -> Variable:
    """``-var``, without stacking negations (``-(-x)`` gives ``x``)."""
    base, sign = split_sign(var)
    if sign < 0 and base.type == var.type:
        return base
    return neg(var)


def add_terms(var: Variable) -> list[tuple[int, Variable]] | None:
    """The signed terms of the add/sub tree computing ``var``: ``[(+1, a), (-1, b)]`` for
    ``a - b``; None when ``var`` is not an addition or subtraction (or is too large)."""
    if elemwise_inputs(var, (S.Add, S.Sub)) is None:
        return None
    out: list[tuple[int, Variable]] = []

    def walk(v: Variable, sign: int, depth: int) -> bool:
        if len(out) > MAX_TERMS or depth > 8:
            return False
        ins = elemwise_inputs(v, S.Add)
        if ins is not None and (depth == 0 or len(v.owner.outputs) == 1):
            return all(walk(i, sign, depth + 1) for i in ins)
        ins = elemwise_inputs(v, S.Sub)
        if ins is not None:
            return walk(ins[0], sign, depth + 1) and walk(ins[1], -sign, depth + 1)
        if depth > 0:
            ins = elemwise_inputs(v, S.Neg)
            if ins is not None and elemwise_inputs(ins[0], (S.Add, S.Sub)) is not None:
                return walk(ins[0], -sign, depth + 1)
        out.append((sign, v))
        return True

    if not walk(var, 1, 0) or len(out) > MAX_TERMS:
        return None
    return out


def _split_constant_one(
    terms: list[tuple[int, Variable]], want_sign: int
) -> tuple[list[tuple[int, Variable]], bool]:
    """Remove one term equal to ``want_sign * 1``; return the rest and whether one was found."""
    for k, (sign, t) in enumerate(terms):
        value = const_value(t)
        if value is not None and sign * value == want_sign:
            return terms[:k] + terms[k + 1 :], True
    return terms, False


def _single_signed_term(terms: list[tuple[int, Variable]]) -> tuple[int, Variable] | None:
    if len(terms) != 1:
        return None
    sign, t = terms[0]
    base, s2 = split_sign(t)
    return sign * s2, base


def one_plus(var: Variable) -> Variable | None:
    """``x`` when ``var`` computes ``1 + x`` (in any order/form), else None."""
    terms = add_terms(var)
    if terms is None:
        return None
    rest, found = _split_constant_one(terms, 1)
    signed = _single_signed_term(rest) if found else None
    if signed is None or signed[0] < 0:
        return None
    return signed[1]


def one_minus(var: Variable) -> Variable | None:
    """``x`` when ``var`` computes ``1 - x`` (``sub(1, x)``, ``add(1, neg(x))``,
    ``add(-x, 1)``...), else None."""
    terms = add_terms(var)
    if terms is None:
        return None
    rest, found = _split_constant_one(terms, 1)
    signed = _single_signed_term(rest) if found else None
    if signed is None or signed[0] > 0:
        return None
    return signed[1]


def squared_base(var: Variable) -> Variable | None:
    """``x`` when ``var`` is ``sqr(x)``, ``x * x`` or ``x ** 2``, else None."""
    ins = elemwise_inputs(var, S.Sqr)
    if ins is not None:
        return ins[0]
    ins = elemwise_inputs(var, S.Mul)
    if ins is not None and len(ins) == 2 and ins[0] is ins[1]:
        return ins[0]
    ins = elemwise_inputs(var, S.Pow)
    if ins is not None and const_value(ins[1]) == 2.0:
        return ins[0]
    return None


def fit_like(new: Variable, old: Variable, refs: Sequence[Variable] = ()) -> Variable | None:
    """``new`` made to have exactly the type of ``old`` (dtype, rank, broadcastable pattern).

    Where ``new`` is broadcastable but ``old`` is not, ``new`` is filled to the shape of one
    of ``refs`` (variables known to have ``old``'s shape along those dimensions); None when
    no reference fits.
    """
    if not isinstance(new.type, TensorType) or not isinstance(old.type, TensorType):
        return None
    if new.type.dtype != old.type.dtype:
        new = cast(new, old.type.dtype)
    if new.type.ndim < old.type.ndim:
        k = old.type.ndim - new.type.ndim
        new = new.dimshuffle(["x"] * k + list(range(new.type.ndim)))
    if new.type.ndim != old.type.ndim:
        return None
    pairs = zip(new.type.broadcastable, old.type.broadcastable, strict=True)
    missing = [d for d, (nb, ob) in enumerate(pairs) if nb and not ob]
    if missing:
        ref = next(
            (
                r
                for r in refs
                if r.type.ndim == old.type.ndim
                and not any(r.type.broadcastable[d] for d in missing)
            ),
            None,
        )
        if ref is None:
            return None
        new = second(ref, new)
        if new.type.dtype != old.type.dtype:
            new = cast(new, old.type.dtype)
    if new.type != old.type:
        conv = old.type.convert_variable(new)
        if conv is None:
            return None
        new = conv
    return new


def rebuild_sum(terms: Sequence[tuple[int, Variable]]) -> Variable | None:
    """``sum(sign * t)`` from ``add``/``sub``/``neg`` nodes (None for no terms)."""
    out: Variable | None = None
    for sign, t in terms:
        if out is None:
            out = t if sign > 0 else negate(t)
        else:
            out = add(out, t) if sign > 0 else sub(out, t)
    return out


def rewrite_unit_pair(var: Variable, fn: Any) -> Variable | None:
    """Rewrite ``±1 ± t`` inside the sum computing ``var``.

    ``fn(one, sign, base)`` gets the signed constant (``1`` or ``-1``), the sign of the other
    term and that term with its signs peeled (``base``); it returns a variable equal to
    ``one + sign * base`` or None. The first pair it accepts is replaced; the other terms
    are kept. Returns the new sum (typed like ``var``) or None.
    """
    terms = add_terms(var)
    if terms is None or len(terms) < 2:
        return None
    for i, (si, ti) in enumerate(terms):
        value = const_value(ti)
        if value is None or abs(value) != 1.0:
            continue
        one = int(si * value)
        for j, (sj, tj) in enumerate(terms):
            if j == i or const_value(tj) is not None:
                continue
            base, s = split_sign(tj)
            new = fn(one, sj * s, base)
            if new is None:
                continue
            rest = [t for k, t in enumerate(terms) if k not in (i, j)]
            total = rebuild_sum([(1, new), *rest])
            return fit_like(total, var, refs=[t for _, t in terms])
    return None
