"""Arithmetic, comparison, logical, rounding, selection and cast scalar ops."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from symcore.graph.basic import Apply
from symcore.graph.type import disconnected_type
from symcore.scalar import _dispatch as D
from symcore.scalar.op import (
    BinaryScalarOp,
    ScalarOp,
    UnaryScalarOp,
    as_scalar_inputs,
    bool_out,
    complex_out,
    float_out,
    is_discrete,
    real_out,
    same_out,
    transfer_type,
    true_div_out,
    upcast_out,
)
from symcore.scalar.type import as_scalar, complex_dtypes, get_scalar_type

__all__ = [
    "Add", "Sub", "Mul", "TrueDiv", "IntDiv", "Mod", "Pow", "Neg", "Abs", "Sgn", "Inv", "Sqr",
    "Maximum", "Minimum", "Clip", "Switch", "Second", "Identity", "Cast",
    "LT", "GT", "LE", "GE", "EQ", "NEQ", "IsNan", "IsInf",
    "AND", "OR", "XOR", "Invert", "Floor", "Ceil", "Trunc", "RoundHalfToEven",
    "RoundHalfAwayFromZero",
    "Real", "Imag", "Angle", "Conj", "Complex",
    "add", "sub", "mul", "true_div", "int_div", "floor_div", "mod", "pow", "neg", "abs", "abs_",
    "sgn", "inv", "reciprocal", "sqr", "maximum", "minimum", "clip", "switch", "second", "identity",
    "cast", "lt", "gt", "le", "ge", "eq", "neq", "isnan", "isinf", "and_", "or_", "xor", "invert",
    "floor", "ceil", "trunc", "round_half_to_even", "round_half_away_from_zero",
    "real", "imag", "angle", "conj", "complex",
]


# ---------------------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------------------

class Add(ScalarOp):
    """Sum of any number of inputs."""

    nfunc = np.add
    nfunc_is_impl = True  # the binary case; compute() folds more inputs
    symbol = "+"
    commutative = associative = True
    identity = 0

    def compute(self, *xs):
        if len(xs) == 2:
            return np.add(xs[0], xs[1])
        return functools.reduce(np.add, xs) if xs else np.asarray(0)

    def grad(self, inputs, gout):
        (gz,) = gout
        return [gz for _ in inputs]


class Mul(ScalarOp):
    """Product of any number of inputs."""

    nfunc = np.multiply
    nfunc_is_impl = True
    symbol = "*"
    commutative = associative = True
    identity = 1

    def compute(self, *xs):
        if len(xs) == 2:
            return np.multiply(xs[0], xs[1])
        return functools.reduce(np.multiply, xs) if xs else np.asarray(1)

    def grad(self, inputs, gout):
        (gz,) = gout
        out = []
        for i, x in enumerate(inputs):
            others = inputs[:i] + inputs[i + 1:]
            if not others:
                out.append(gz)
                continue
            prod = others[0] if len(others) == 1 else D.ns(*others).mul(*others)
            g = gz * prod
            if x.type.dtype not in complex_dtypes and g.type.dtype in complex_dtypes:
                g = D.ns(g).real(g)
            out.append(g)
        return out


class Sub(BinaryScalarOp):
    nfunc = np.subtract
    symbol = "-"

    def grad(self, inputs, gout):
        (gz,) = gout
        return [gz, -gz]


class TrueDiv(BinaryScalarOp):
    """``x / y``; integer inputs give float64 (NumPy)."""

    nfunc = np.true_divide
    symbol = "/"
    output_types_preference = true_div_out

    def grad(self, inputs, gout):
        x, y = inputs
        (gz,) = gout
        return [gz / y, -(gz * x) / (y * y)]


class IntDiv(BinaryScalarOp):
    """Floor division ``x // y`` (NumPy ``floor_divide``)."""

    differentiable = False  # piecewise constant: zero gradient
    nfunc = np.floor_divide
    symbol = "//"

    def grad(self, inputs, gout):
        return [D.float_zeros_like(x) for x in inputs]


class Mod(BinaryScalarOp):
    """``x % y`` with the sign of ``y`` (NumPy ``remainder``)."""

    nfunc = np.remainder
    symbol = "%"

    def grad(self, inputs, gout):
        x, y = inputs
        (gz,) = gout
        return [gz, -(gz * D.ns(x, y).floor(x / y))]


class Pow(BinaryScalarOp):
    """``x ** y`` (NumPy ``power``: integer to a negative integer power is an error)."""

    nfunc = np.power
    symbol = "**"

    def grad(self, inputs, gout):
        x, y = inputs
        (gz,) = gout
        F = D.ns(x, y)
        gx = gz * y * x ** (y - 1)
        out = x ** y
        gy = F.switch(F.eq(x, 0), 0, gz * F.log(x) * out)
        return [gx, gy]


class Neg(UnaryScalarOp):
    nfunc = np.negative
    symbol = "-"

    def grad(self, inputs, gout):
        return [-gout[0]]


class Abs(UnaryScalarOp):
    """Absolute value; of a complex number it is its (real) modulus."""

    complex_grad_is_explicit = True

    nfunc = np.absolute

    def grad(self, inputs, gout):
        (x,) = inputs
        (gz,) = gout
        F = D.ns(x)
        if x.type.dtype in complex_dtypes:
            return [gz * x / F.abs(x)]
        return [gz * F.sgn(x)]


class Sgn(UnaryScalarOp):
    """Sign: -1, 0 or 1 (NaN for NaN)."""

    differentiable = False  # piecewise constant: zero gradient
    nfunc = np.sign

    def grad(self, inputs, gout):
        return [D.float_zeros_like(inputs[0])]


class Inv(UnaryScalarOp):
    """Reciprocal ``1 / x``; integers give float64 like true division."""

    output_types_preference = true_div_out

    def compute(self, x):
        if x.dtype.kind in "biu":
            return np.true_divide(1.0, x)
        return np.reciprocal(x)

    def grad(self, inputs, gout):
        (x,) = inputs
        return [-gout[0] / (x * x)]


class Sqr(UnaryScalarOp):
    """``x * x``."""

    nfunc = np.square

    def grad(self, inputs, gout):
        return [gout[0] * 2 * inputs[0]]


class Maximum(BinaryScalarOp):
    """Elementwise maximum (NaN propagates). The gradient goes to the larger input."""

    nfunc = np.maximum
    commutative = associative = True

    def grad(self, inputs, gout):
        x, y = inputs
        (gz,) = gout
        F = D.ns(x, y)
        c = F.ge(x, y)
        return [F.switch(c, gz, 0), F.switch(c, 0, gz)]


class Minimum(BinaryScalarOp):
    """Elementwise minimum (NaN propagates). The gradient goes to the smaller input."""

    nfunc = np.minimum
    commutative = associative = True

    def grad(self, inputs, gout):
        x, y = inputs
        (gz,) = gout
        F = D.ns(x, y)
        c = F.le(x, y)
        return [F.switch(c, gz, 0), F.switch(c, 0, gz)]


class Clip(ScalarOp):
    """``clip(x, lo, hi)``: ``x`` limited to ``[lo, hi]``."""

    nin = 3
    output_types_preference = upcast_out

    def compute(self, x, lo, hi):
        return np.minimum(np.maximum(x, lo), hi)

    def grad(self, inputs, gout):
        x, lo, hi = inputs
        (gz,) = gout
        F = D.ns(x, lo, hi)
        inside = F.and_(F.ge(x, lo), F.le(x, hi))
        return [F.switch(inside, gz, 0), F.switch(F.lt(x, lo), gz, 0), F.switch(F.gt(x, hi), gz, 0)]


class Switch(ScalarOp):
    """``switch(cond, a, b)``: ``a`` where ``cond`` is true (nonzero), else ``b``."""

    nin = 3

    def output_dtypes(self, cond, a, b):
        return upcast_out(self, a, b)

    def make_node(self, cond, a, b):
        cond = as_scalar(cond)
        a, b = as_scalar_inputs(a, b)
        out_dtype = self.output_dtypes(cond.dtype, a.dtype, b.dtype)[0]
        return Apply(self, [cond, a, b], [get_scalar_type(out_dtype)()])

    def compute(self, cond, a, b):
        return np.where(cond, a, b)

    def grad(self, inputs, gout):
        cond, a, b = inputs
        (gz,) = gout
        F = D.ns(cond, a, b)
        return [D.float_zeros_like(cond), F.switch(cond, gz, 0), F.switch(cond, 0, gz)]


class Second(BinaryScalarOp):
    """``second(x, y)``: ``y`` broadcast to the shape of ``x`` (Theano's ``fill``)."""

    output_types_preference = transfer_type(1)

    def compute(self, x, y):
        out = np.empty(np.broadcast_shapes(np.shape(x), np.shape(y)), dtype=np.asarray(y).dtype)
        out[...] = y
        return out

    def connection_pattern(self, node):
        return [[False], [True]]

    def grad(self, inputs, gout):
        return [disconnected_type(), gout[0]]


class Identity(UnaryScalarOp):
    """A copy of ``x``."""

    output_types_preference = same_out

    def compute(self, x):
        return np.array(x, copy=True)

    def grad(self, inputs, gout):
        return [gout[0]]


class Cast(UnaryScalarOp):
    """Conversion to ``dtype`` (complex to real keeps the real part)."""

    complex_grad_is_explicit = True

    __props__ = ("dtype",)

    def __init__(self, dtype: str, name: str | None = None) -> None:
        self.dtype = get_scalar_type(dtype).dtype
        super().__init__(name=name or f"convert_to_{self.dtype}")

    def __str__(self) -> str:
        return f"Cast{{{self.dtype}}}"

    def output_dtypes(self, *dts):
        return [self.dtype]

    def compute(self, x):
        if x.dtype.kind == "c" and self.dtype not in complex_dtypes:
            x = x.real
        return np.array(x, dtype=self.dtype, copy=True)

    def grad(self, inputs, gout):
        (x,) = inputs
        (gz,) = gout
        if is_discrete(x):
            return [D.float_zeros_like(x)]
        g = gz
        if g.type.dtype in complex_dtypes and x.type.dtype not in complex_dtypes:
            g = D.ns(g).real(g)
        return [D.ns(g).cast(g, x.type.dtype)]


# ---------------------------------------------------------------------------------------
# Comparisons, predicates, logic
# ---------------------------------------------------------------------------------------

class _Comparison(BinaryScalarOp):
    output_types_preference = bool_out
    weak_overflow_ok = True  # int8_var < 1000 is valid (NumPy 2 compares out-of-range ints)

    def grad(self, inputs, gout):
        return [D.float_zeros_like(x) for x in inputs]


class LT(_Comparison):
    nfunc = np.less
    symbol = "<"


class GT(_Comparison):
    nfunc = np.greater
    symbol = ">"


class LE(_Comparison):
    nfunc = np.less_equal
    symbol = "<="


class GE(_Comparison):
    nfunc = np.greater_equal
    symbol = ">="


class EQ(_Comparison):
    nfunc = np.equal
    symbol = "=="
    commutative = True


class NEQ(_Comparison):
    nfunc = np.not_equal
    symbol = "!="
    commutative = True


class IsNan(UnaryScalarOp):
    nfunc = np.isnan
    output_types_preference = bool_out

    def grad(self, inputs, gout):
        return [D.float_zeros_like(inputs[0])]


class IsInf(UnaryScalarOp):
    nfunc = np.isinf
    output_types_preference = bool_out

    def grad(self, inputs, gout):
        return [D.float_zeros_like(inputs[0])]


class _Bitwise(ScalarOp):
    """Bitwise/logical ops: bool and integer inputs only."""

    def output_dtypes(self, *dts):
        bad = [d for d in dts if d not in ("bool", "int8", "int16", "int32", "int64",
                                           "uint8", "uint16", "uint32", "uint64")]
        if bad:
            raise TypeError(
                f"{self} is defined for bool and integer inputs only, got dtypes ({', '.join(dts)})"
            )
        return super().output_dtypes(*dts)

    def grad(self, inputs, gout):
        return [D.float_zeros_like(x) for x in inputs]


class AND(_Bitwise):
    nin = 2
    nfunc = np.bitwise_and
    symbol = "&"
    commutative = associative = True


class OR(_Bitwise):
    nin = 2
    nfunc = np.bitwise_or
    symbol = "|"
    commutative = associative = True


class XOR(_Bitwise):
    nin = 2
    nfunc = np.bitwise_xor
    symbol = "^"
    commutative = associative = True


class Invert(_Bitwise):
    nin = 1
    nfunc = np.invert
    symbol = "~"


# ---------------------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------------------

class _Rounding(UnaryScalarOp):
    differentiable = False  # piecewise constant: zero gradient
    def grad(self, inputs, gout):
        return [D.float_zeros_like(inputs[0])]


class Floor(_Rounding):
    nfunc = np.floor


class Ceil(_Rounding):
    nfunc = np.ceil


class Trunc(_Rounding):
    nfunc = np.trunc


class _RoundToNearest(_Rounding):
    """Integers are already rounded: they keep their dtype and values, as in ``numpy.round``
    (``numpy.rint`` would give float64 and lose int64 precision); bool follows ``rint``."""

    nfunc = np.rint  # the dtype rule for bool and floats

    def output_dtypes(self, *dtypes: str) -> list[str]:
        if np.dtype(dtypes[0]).kind in "iu":
            return [dtypes[0]]
        return super().output_dtypes(*dtypes)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iu":
            return np.array(x, copy=True)
        return np.rint(x)


class RoundHalfToEven(_RoundToNearest):
    """Round to nearest, ties to even (NumPy ``round``)."""


class RoundHalfAwayFromZero(_RoundToNearest):
    """Round to nearest, ties away from zero (C ``round``; Theano's default ``round``)."""

    def compute(self, x):
        if x.dtype.kind in "biu":
            return np.array(x, copy=True)
        t = np.trunc(x)
        frac = x - t
        return t + np.where(np.abs(frac) >= 0.5, np.sign(x), 0).astype(x.dtype)


# ---------------------------------------------------------------------------------------
# Complex numbers
# ---------------------------------------------------------------------------------------

class Real(UnaryScalarOp):
    """Real part (a real input is copied)."""

    complex_grad_is_explicit = True

    output_types_preference = real_out

    def compute(self, x):
        return np.array(np.real(x), copy=True)

    def grad(self, inputs, gout):
        (x,) = inputs
        (gz,) = gout
        if x.type.dtype in complex_dtypes:
            return [D.ns(x).complex(gz, D.zeros_like(gz))]
        return [gz]


class Imag(UnaryScalarOp):
    """Imaginary part (zeros for a real input)."""

    complex_grad_is_explicit = True

    output_types_preference = real_out

    def compute(self, x):
        return np.array(np.imag(x), copy=True)

    def grad(self, inputs, gout):
        (x,) = inputs
        (gz,) = gout
        if x.type.dtype in complex_dtypes:
            return [D.ns(x).complex(D.zeros_like(gz), gz)]
        return [D.float_zeros_like(x)]


class Angle(UnaryScalarOp):
    """Argument of a complex number (0 or pi for reals)."""

    complex_grad_is_explicit = True

    nfunc = staticmethod(np.angle)

    def output_dtypes(self, d):
        return float_out(self, real_out(self, d)[0])

    def grad(self, inputs, gout):
        (x,) = inputs
        (gz,) = gout
        if x.type.dtype not in complex_dtypes:
            return [D.float_zeros_like(x)]
        F = D.ns(x)
        re, im = F.real(x), F.imag(x)
        r2 = re * re + im * im
        return [F.complex(-gz * im / r2, gz * re / r2)]


class Conj(UnaryScalarOp):

    complex_grad_is_explicit = True
    nfunc = np.conjugate
    output_types_preference = same_out

    def compute(self, x):
        return np.conjugate(x) if x.dtype.kind == "c" else np.array(x, copy=True)

    def grad(self, inputs, gout):
        (gz,) = gout
        return [D.ns(gz).conj(gz)]


class Complex(BinaryScalarOp):
    """``complex(re, im)``: ``re + 1j * im``."""

    complex_grad_is_explicit = True

    output_types_preference = complex_out

    def output_dtypes(self, re, im):
        if re in complex_dtypes or im in complex_dtypes:
            raise TypeError(f"complex() takes real inputs, got dtypes ({re}, {im})")
        return complex_out(self, re, im)

    def compute(self, re, im):
        dt = complex_out(self, re.dtype.name, im.dtype.name)[0]
        out = np.empty(np.broadcast_shapes(re.shape, im.shape), dtype=dt)
        out.real = re
        out.imag = im
        return out

    def grad(self, inputs, gout):
        (gz,) = gout
        F = D.ns(gz)
        return [F.real(gz), F.imag(gz)]


# ---------------------------------------------------------------------------------------
# Instances (Theano names)
# ---------------------------------------------------------------------------------------

add = Add(name="add")
sub = Sub(name="sub")
mul = Mul(name="mul")
true_div = TrueDiv(name="true_div")
int_div = IntDiv(name="int_div")
floor_div = int_div
mod = Mod(name="mod")
pow = Pow(name="pow")
neg = Neg(name="neg")
abs = Abs(name="abs")
abs_ = abs
sgn = Sgn(name="sgn")
inv = Inv(name="inv")
reciprocal = inv
sqr = Sqr(name="sqr")
maximum = Maximum(name="maximum")
minimum = Minimum(name="minimum")
clip = Clip(name="clip")
switch = Switch(name="switch")
second = Second(name="second")
identity = Identity(name="identity")
lt = LT(name="lt")
gt = GT(name="gt")
le = LE(name="le")
ge = GE(name="ge")
eq = EQ(name="eq")
neq = NEQ(name="neq")
isnan = IsNan(name="isnan")
isinf = IsInf(name="isinf")
and_ = AND(name="and_")
or_ = OR(name="or_")
xor = XOR(name="xor")
invert = Invert(name="invert")
floor = Floor(name="floor")
ceil = Ceil(name="ceil")
trunc = Trunc(name="trunc")
round_half_to_even = RoundHalfToEven(name="round_half_to_even")
round_half_away_from_zero = RoundHalfAwayFromZero(name="round_half_away_from_zero")
real = Real(name="real")
imag = Imag(name="imag")
angle = Angle(name="angle")
conj = Conj(name="conj")
complex = Complex(name="complex")

_casts: dict[str, Cast] = {}


def cast(x: Any, dtype: Any):
    """``x`` converted to ``dtype`` (a scalar graph node; ``x`` itself when already of it)."""
    x = as_scalar(x)
    dtype = get_scalar_type(dtype).dtype
    if x.type.dtype == dtype:
        return x
    op = _casts.get(dtype)
    if op is None:
        op = _casts[dtype] = Cast(dtype)
    return op(x)
