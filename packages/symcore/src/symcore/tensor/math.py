"""Elementwise arithmetic, comparisons, logic, rounding, selection and casts on tensors.

Each function is an ``Elemwise`` of a scalar op (``symcore.tensor.add`` is
``Elemwise(symcore.scalar.add)``), with Theano's names and aliases. Operand dtypes follow
NumPy 2 with weak Python scalars (see ``as_elemwise_inputs``); broadcasting follows the
static broadcastable pattern (see ``symcore.tensor.elemwise``).
"""

from __future__ import annotations

from typing import Any

from symcore import scalar as S
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.elemwise import Elemwise, as_elemwise_inputs
from symcore.tensor.type import resolve_dtype

__all__ = [
    "as_elemwise_inputs",
    "add", "sub", "mul", "true_div", "int_div", "floor_div", "mod", "pow", "neg", "abs", "abs_",
    "sgn", "sign", "inv", "reciprocal", "sqr", "square", "maximum", "minimum", "clip", "switch",
    "where", "second", "fill", "tensor_copy", "identity", "cast", "iround",
    "eq", "neq", "lt", "le", "gt", "ge", "isnan", "isinf", "isclose",
    "and_", "or_", "xor", "invert", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "floor", "ceil", "trunc", "round", "round_half_to_even", "round_half_away_from_zero",
]

add = Elemwise(S.add)
sub = Elemwise(S.sub)
mul = Elemwise(S.mul)
true_div = Elemwise(S.true_div)
int_div = Elemwise(S.int_div)
floor_div = int_div
mod = Elemwise(S.mod)
pow = Elemwise(S.pow)
neg = Elemwise(S.neg)
abs = Elemwise(S.abs)
abs_ = abs
sgn = Elemwise(S.sgn)
sign = sgn
inv = Elemwise(S.inv)
reciprocal = inv
sqr = Elemwise(S.sqr)
square = sqr
maximum = Elemwise(S.maximum)
minimum = Elemwise(S.minimum)
clip = Elemwise(S.clip)
switch = Elemwise(S.switch)
where = switch
second = Elemwise(S.second)
fill = second
identity = Elemwise(S.identity)
tensor_copy = identity

eq = Elemwise(S.eq)
neq = Elemwise(S.neq)
lt = Elemwise(S.lt)
le = Elemwise(S.le)
gt = Elemwise(S.gt)
ge = Elemwise(S.ge)
isnan = Elemwise(S.isnan)
isinf = Elemwise(S.isinf)

and_ = Elemwise(S.and_)
or_ = Elemwise(S.or_)
xor = Elemwise(S.xor)
invert = Elemwise(S.invert)
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert

floor = Elemwise(S.floor)
ceil = Elemwise(S.ceil)
trunc = Elemwise(S.trunc)
round_half_to_even = Elemwise(S.round_half_to_even)
round_half_away_from_zero = Elemwise(S.round_half_away_from_zero)

_cast_ops: dict[str, Elemwise] = {}


def cast(x: Any, dtype: Any):
    """``x`` converted to ``dtype`` (``'floatX'`` allowed); ``x`` itself when already of it.

    Casting complex to real keeps the real part.
    """
    x = as_tensor_variable(x)
    dtype = resolve_dtype(dtype)
    if x.type.dtype == dtype:
        return x
    op = _cast_ops.get(dtype)
    if op is None:
        op = _cast_ops[dtype] = Elemwise(S.Cast(dtype))
    return op(x)


def round(x: Any, mode: str | None = None):
    """Round to the nearest integer value. ``mode``: ``'half_away_from_zero'`` (default, as
    Theano) or ``'half_to_even'`` (NumPy's ``round``)."""
    if mode is None or mode == "half_away_from_zero":
        return round_half_away_from_zero(x)
    if mode == "half_to_even":
        return round_half_to_even(x)
    raise ValueError(f"round: mode must be 'half_away_from_zero' or 'half_to_even', got {mode!r}")


def iround(x: Any, mode: str | None = None):
    """``round(x, mode)`` cast to int64."""
    return cast(round(x, mode), "int64")


def isclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
    """Elementwise ``|a - b| <= atol + rtol * |b|`` like ``numpy.isclose`` (bool result)."""
    a, b = as_elemwise_inputs(a, b)
    finite = and_(invert(or_(isinf(a), isnan(a))), invert(or_(isinf(b), isnan(b))))
    near = le(abs(sub(a, b)), add(atol, mul(rtol, abs(b))))
    close = switch(finite, near, eq(a, b))  # infinities: close only to themselves
    if equal_nan:
        close = or_(close, and_(isnan(a), isnan(b)))
    return close
