"""Exponentials, logarithms, roots, trigonometric and hyperbolic scalar ops."""

from __future__ import annotations

import math

import numpy as np

from symcore.scalar import _dispatch as D
from symcore.scalar.op import BinaryScalarOp, UnaryScalarOp, float_out, float_out_nocomplex

__all__ = [
    "Exp", "Exp2", "Expm1", "Log", "Log2", "Log10", "Log1p", "Sqrt",
    "Sin", "Cos", "Tan", "ArcSin", "ArcCos", "ArcTan", "ArcTan2",
    "Sinh", "Cosh", "Tanh", "ArcSinh", "ArcCosh", "ArcTanh",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class _FloatUnary(UnaryScalarOp):
    """Unary op whose output is float (NumPy's rule: int8 -> float16, int32 -> float64)."""

    output_types_preference = float_out


class Exp(_FloatUnary):
    nfunc = np.exp

    def L_op(self, inputs, outputs, gout):
        return [gout[0] * outputs[0]]

    def grad(self, inputs, gout):
        return [gout[0] * D.ns(inputs[0]).exp(inputs[0])]


class Exp2(_FloatUnary):
    nfunc = np.exp2

    def L_op(self, inputs, outputs, gout):
        return [gout[0] * outputs[0] * _LN2]

    def grad(self, inputs, gout):
        return [gout[0] * D.ns(inputs[0]).exp2(inputs[0]) * _LN2]


class Expm1(_FloatUnary):
    nfunc = np.expm1

    def grad(self, inputs, gout):
        return [gout[0] * D.ns(inputs[0]).exp(inputs[0])]


class Log(_FloatUnary):
    nfunc = np.log

    def grad(self, inputs, gout):
        return [gout[0] / inputs[0]]


class Log2(_FloatUnary):
    nfunc = np.log2

    def grad(self, inputs, gout):
        return [gout[0] / (inputs[0] * _LN2)]


class Log10(_FloatUnary):
    nfunc = np.log10

    def grad(self, inputs, gout):
        return [gout[0] / (inputs[0] * _LN10)]


class Log1p(_FloatUnary):
    nfunc = np.log1p

    def grad(self, inputs, gout):
        return [gout[0] / (inputs[0] + 1)]


class Sqrt(_FloatUnary):
    nfunc = np.sqrt

    def L_op(self, inputs, outputs, gout):
        return [gout[0] * 0.5 / outputs[0]]

    def grad(self, inputs, gout):
        return [gout[0] * 0.5 / D.ns(inputs[0]).sqrt(inputs[0])]


class Sin(_FloatUnary):
    nfunc = np.sin

    def grad(self, inputs, gout):
        return [gout[0] * D.ns(inputs[0]).cos(inputs[0])]


class Cos(_FloatUnary):
    nfunc = np.cos

    def grad(self, inputs, gout):
        return [-(gout[0] * D.ns(inputs[0]).sin(inputs[0]))]


class Tan(_FloatUnary):
    nfunc = np.tan

    def grad(self, inputs, gout):
        c = D.ns(inputs[0]).cos(inputs[0])
        return [gout[0] / (c * c)]


class ArcSin(_FloatUnary):
    nfunc = np.arcsin

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] / D.ns(x).sqrt(1 - x * x)]


class ArcCos(_FloatUnary):
    nfunc = np.arccos

    def grad(self, inputs, gout):
        (x,) = inputs
        return [-gout[0] / D.ns(x).sqrt(1 - x * x)]


class ArcTan(_FloatUnary):
    nfunc = np.arctan

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] / (1 + x * x)]


class ArcTan2(BinaryScalarOp):
    """``arctan2(y, x)``: the angle of the point ``(x, y)``."""

    nfunc = np.arctan2
    output_types_preference = float_out_nocomplex

    def grad(self, inputs, gout):
        y, x = inputs
        (gz,) = gout
        r2 = x * x + y * y
        return [gz * x / r2, -(gz * y) / r2]


class Sinh(_FloatUnary):
    nfunc = np.sinh

    def grad(self, inputs, gout):
        return [gout[0] * D.ns(inputs[0]).cosh(inputs[0])]


class Cosh(_FloatUnary):
    nfunc = np.cosh

    def grad(self, inputs, gout):
        return [gout[0] * D.ns(inputs[0]).sinh(inputs[0])]


class Tanh(_FloatUnary):
    nfunc = np.tanh

    def L_op(self, inputs, outputs, gout):
        t = outputs[0]
        return [gout[0] * (1 - t * t)]

    def grad(self, inputs, gout):
        t = D.ns(inputs[0]).tanh(inputs[0])
        return [gout[0] * (1 - t * t)]


class ArcSinh(_FloatUnary):
    nfunc = np.arcsinh

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] / D.ns(x).sqrt(x * x + 1)]


class ArcCosh(_FloatUnary):
    nfunc = np.arccosh

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] / D.ns(x).sqrt(x * x - 1)]


class ArcTanh(_FloatUnary):
    nfunc = np.arctanh

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] / (1 - x * x)]


exp = Exp(name="exp")
exp2 = Exp2(name="exp2")
expm1 = Expm1(name="expm1")
log = Log(name="log")
log2 = Log2(name="log2")
log10 = Log10(name="log10")
log1p = Log1p(name="log1p")
sqrt = Sqrt(name="sqrt")
sin = Sin(name="sin")
cos = Cos(name="cos")
tan = Tan(name="tan")
arcsin = ArcSin(name="arcsin")
arccos = ArcCos(name="arccos")
arctan = ArcTan(name="arctan")
arctan2 = ArcTan2(name="arctan2")
sinh = Sinh(name="sinh")
cosh = Cosh(name="cosh")
tanh = Tanh(name="tanh")
arcsinh = ArcSinh(name="arcsinh")
arccosh = ArcCosh(name="arccosh")
arctanh = ArcTanh(name="arctanh")
