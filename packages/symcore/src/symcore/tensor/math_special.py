"""Elementwise exponentials, logarithms, trigonometry, special functions and complex parts.

Each is an ``Elemwise`` of a scalar op. ``sigmoid``/``softplus`` are numerically stable
(``symcore.tensor.nnet`` re-exports them).
"""

from __future__ import annotations

from symcore import scalar as S
from symcore.tensor.elemwise import Elemwise

__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "erf", "erfc", "erfinv", "gamma", "gammaln", "lgamma", "psi", "tri_gamma",
    "sigmoid", "softplus", "log1mexp",
    "real", "imag", "angle", "conj", "complex",
]

exp = Elemwise(S.exp)
exp2 = Elemwise(S.exp2)
expm1 = Elemwise(S.expm1)
log = Elemwise(S.log)
log2 = Elemwise(S.log2)
log10 = Elemwise(S.log10)
log1p = Elemwise(S.log1p)
sqrt = Elemwise(S.sqrt)
sin = Elemwise(S.sin)
cos = Elemwise(S.cos)
tan = Elemwise(S.tan)
arcsin = Elemwise(S.arcsin)
arccos = Elemwise(S.arccos)
arctan = Elemwise(S.arctan)
arctan2 = Elemwise(S.arctan2)
sinh = Elemwise(S.sinh)
cosh = Elemwise(S.cosh)
tanh = Elemwise(S.tanh)
arcsinh = Elemwise(S.arcsinh)
arccosh = Elemwise(S.arccosh)
arctanh = Elemwise(S.arctanh)

erf = Elemwise(S.erf)
erfc = Elemwise(S.erfc)
erfinv = Elemwise(S.erfinv)
gamma = Elemwise(S.gamma)
gammaln = Elemwise(S.gammaln)
lgamma = gammaln
psi = Elemwise(S.psi)
tri_gamma = Elemwise(S.tri_gamma)

sigmoid = Elemwise(S.scalar_sigmoid, name="sigmoid")
softplus = Elemwise(S.scalar_softplus, name="softplus")
log1mexp = Elemwise(S.log1mexp)

real = Elemwise(S.real)
imag = Elemwise(S.imag)
angle = Elemwise(S.angle)
conj = Elemwise(S.conj)
complex = Elemwise(S.complex)
