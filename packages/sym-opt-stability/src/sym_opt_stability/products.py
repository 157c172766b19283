"""Products as lists of factors with integer exponents, and back.

``parse_product(v)`` flattens the tree of ``mul``, ``true_div``, ``neg``, ``inv``, ``sqr``,
``pow(., k)`` (small integer ``k``) and ``fill`` nodes computing ``v`` into a sign and a list
of ``(factor, exponent)`` occurrences, looking through dimshuffles that only add
broadcastable dimensions. ``build_product`` rebuilds a product from such a list: positive
exponents multiply (``x**2`` is rebuilt as ``x * x``: exact, no ``pow``), negative ones
divide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symcore import scalar as S
from symcore.graph.basic import Variable
from symcore.tensor.elemwise import DimShuffle
from symcore.tensor.math import mul, neg, true_div

from sym_opt_stability._match import const_value, scalar_op_of

__all__ = [
    "MAX_FACTORS",
    "Product",
    "build_product",
    "is_product_like",
    "is_product_node",
    "parse_product",
]

#: Most factor occurrences a parsed product may have (larger trees are left alone).
MAX_FACTORS = 64
_MAX_DEPTH = 24
_MAX_POW = 4


@dataclass
class Product:
    """``sign * prod(f ** e for f, e in occurrences)``; ``refs`` are variables with the
    product's shape that were looked through (the first input of ``fill``)."""

    sign: int = 1
    occurrences: list[tuple[Variable, int]] = field(default_factory=list)
    refs: list[Variable] = field(default_factory=list)

    def merged(self) -> dict[Variable, int]:
        """Total exponent of each distinct factor (zero totals dropped)."""
        out: dict[Variable, int] = {}
        for f, e in self.occurrences:
            out[f] = out.get(f, 0) + e
        return {f: e for f, e in out.items() if e != 0}

    def times(self, other: Product) -> Product:
        """The product of two products."""
        return Product(
            self.sign * other.sign,
            self.occurrences + other.occurrences,
            self.refs + other.refs,
        )

    def without(self, index: int) -> Product:
        """This product without its ``index``-th occurrence."""
        occ = self.occurrences[:index] + self.occurrences[index + 1 :]
        return Product(self.sign, occ, list(self.refs))


def _int_power(v: Variable) -> int | None:
    value = const_value(v)
    if value is None or value != int(value) or value == 0 or abs(value) > _MAX_POW:
        return None
    return int(value)


def is_product_node(var: Variable) -> bool:
    """Whether ``var`` is computed by a node ``parse_product`` looks into."""
    sop = scalar_op_of(var)
    if isinstance(sop, (S.Mul, S.TrueDiv, S.Neg, S.Inv, S.Sqr)):
        return True
    if isinstance(sop, S.Pow):
        return _int_power(var.owner.inputs[1]) is not None
    return False


def is_product_like(var: Variable) -> bool:
    """A product node, or a ``fill`` (``second``): both are looked into by ``parse_product``."""
    return is_product_node(var) or isinstance(scalar_op_of(var), S.Second)


def parse_product(var: Variable, through_dimshuffle: bool = True) -> Product | None:
    """The factors of the product computing ``var``; None when ``var`` is not computed by a
    product node (or a fill) or the tree is too large."""
    if not is_product_like(var):
        return None
    prod = Product()

    def walk(v: Variable, mult: int, depth: int, wrap: tuple) -> bool:
        if len(prod.occurrences) > MAX_FACTORS or depth > _MAX_DEPTH:
            return False
        sop = scalar_op_of(v)
        ins = v.owner.inputs if sop is not None else None
        if isinstance(sop, S.Mul):
            return all(walk(i, mult, depth + 1, wrap) for i in ins)
        if isinstance(sop, S.TrueDiv):
            return walk(ins[0], mult, depth + 1, wrap) and walk(ins[1], -mult, depth + 1, wrap)
        if isinstance(sop, S.Neg):
            if mult % 2:
                prod.sign = -prod.sign
            return walk(ins[0], mult, depth + 1, wrap)
        if isinstance(sop, S.Inv):
            return walk(ins[0], -mult, depth + 1, wrap)
        if isinstance(sop, S.Sqr):
            return walk(ins[0], 2 * mult, depth + 1, wrap)
        if isinstance(sop, S.Pow):
            k = _int_power(ins[1])
            if k is not None:
                return walk(ins[0], k * mult, depth + 1, wrap)
        if isinstance(sop, S.Second):
            prod.refs.append(_wrapped(ins[0], wrap))
            return walk(ins[1], mult, depth + 1, wrap)
        owner = v.owner
        if (
            through_dimshuffle
            and owner is not None
            and isinstance(owner.op, DimShuffle)
            and is_product_like(owner.inputs[0])
        ):
            # dimshuffle(a * b) == dimshuffle(a) * dimshuffle(b): the inputs of an Elemwise
            # have its rank, and are broadcastable wherever its output is
            return walk(owner.inputs[0], mult, depth + 1, (owner.op.new_order, *wrap))
        value = const_value(v)
        if value == 1.0:
            return True
        if value == -1.0:
            if mult % 2:
                prod.sign = -prod.sign
            return True
        prod.occurrences.append((_wrapped(v, wrap), mult))
        return True

    if not walk(var, 1, 0, ()) or len(prod.occurrences) > MAX_FACTORS:
        return None
    return prod


def _wrapped(v: Variable, wraps: tuple) -> Variable:
    """``v`` with the dimshuffles ``wraps`` applied in order, composed into one dimshuffle
    of the first non-dimshuffle below ``v``."""
    if not wraps:
        return v
    base = v
    order: list = list(range(v.type.ndim))
    while base.owner is not None and isinstance(base.owner.op, DimShuffle):
        inner = list(base.owner.op.new_order)
        order = ["x" if o == "x" else inner[o] for o in order]
        base = base.owner.inputs[0]
    for w in wraps:
        order = ["x" if o == "x" else order[o] for o in w]
    if order == list(range(base.type.ndim)):
        return base
    return base.dimshuffle(order)


def build_product(sign: int, entries: list[tuple[Variable, int]]) -> Variable | None:
    """``sign * prod(f ** e)`` built from ``mul``/``true_div``/``neg`` (None for an empty
    product: the caller decides what shape a constant 1 must have)."""
    num: list[Variable] = []
    den: list[Variable] = []
    for f, e in entries:
        (num if e > 0 else den).extend([f] * abs(e))
    if not num and not den:
        return None
    top = num[0] if len(num) == 1 else (mul(*num) if num else None)
    bottom = den[0] if len(den) == 1 else (mul(*den) if den else None)
    if bottom is None:
        out = top
    elif top is None:
        out = true_div(1.0, bottom)
    else:
        out = true_div(top, bottom)
    return neg(out) if sign < 0 else out
