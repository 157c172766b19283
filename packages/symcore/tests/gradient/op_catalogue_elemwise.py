"""Differentiable elementwise functions, DimShuffle and Composite, for the gradient
engineer's exhaustive ``verify_grad`` run (see ``test_op_catalogue.py``).

Points are chosen inside each function's domain and away from kinks (maximum, clip,
switch, mod), so that central differences are meaningful. A shape of 1 in a point makes
that dimension broadcastable, which exercises the gradient's sum over broadcast dims.
"""

import numpy as np
import symcore.scalar as S
import symcore.tensor as T
from symcore.tensor.elemwise import Elemwise

_rng = np.random.default_rng(1234)


def _u(lo, hi, shape=(2, 3)):
    return _rng.uniform(lo, hi, size=shape)


def _composite(a, b):
    x, y = S.float64(), S.float64()
    comp = S.Composite([x, y], [S.exp(x) * y + S.sin(x * y) - S.sqr(y) / (x + 2)])
    return Elemwise(comp)(a, b)


def _composite_two_outputs(a, b):
    x, y = S.float64(), S.float64()
    comp = S.Composite([x, y], [x * y, S.log(x) + y])
    o1, o2 = Elemwise(comp)(a, b)
    return o1 * 2 + o2


_A = _u(0.6, 0.9)
_B = _u(0.1, 0.4)

CASES = [
    # arithmetic, with and without broadcasting
    ("add", lambda a, b: T.add(a, b), [_u(-1, 1), _u(-1, 1)]),
    ("add_broadcast_row", lambda a, b: a + b, [_u(-1, 1), _u(-1, 1, (1, 3))]),
    ("add_nary", lambda a, b, c: T.add(a, b, c), [_u(-1, 1), _u(-1, 1, (1, 3)), _u(-1, 1, (2, 1))]),
    ("sub_broadcast_col", lambda a, b: a - b, [_u(-1, 1), _u(-1, 1, (2, 1))]),
    ("mul", lambda a, b: a * b, [_u(-1, 1), _u(-1, 1)]),
    ("mul_nary_broadcast", lambda a, b, c: T.mul(a, b, c),
     [_u(-1, 1), _u(-1, 1, (1, 3)), _u(-1, 1, (1, 1))]),
    ("true_div", lambda a, b: a / b, [_u(-1, 1), _u(0.5, 2)]),
    ("mod", lambda a, b: a % b,
     [np.array([[0.3, 2.5, 4.1], [5.3, -0.7, -2.2]]), np.full((2, 3), 1.7)]),
    ("pow", lambda a, b: a ** b, [_u(0.5, 2), _u(-1, 2)]),
    ("pow_const", lambda a: a ** 3, [_u(-1, 1)]),
    ("neg", lambda a: -a, [_u(-1, 1)]),
    ("abs", lambda a: abs(a), [np.array([[-0.8, 0.5, 1.2], [-2.0, 0.3, -0.4]])]),
    ("inv", lambda a: T.inv(a), [_u(0.5, 2)]),
    ("sqr", lambda a: T.sqr(a), [_u(-1, 1)]),
    ("maximum", lambda a, b: T.maximum(a, b), [_A, _B[:, ::-1] * np.array([[1, 3, 1]])]),
    ("minimum", lambda a, b: T.minimum(a, b), [_A, _B[:, ::-1] * np.array([[1, 3, 1]])]),
    ("clip", lambda a, lo, hi: T.clip(a, lo, hi),
     [np.array([[-2.0, 0.1, 2.0], [0.5, -0.3, 3.0]]), np.full((2, 3), -1.0), np.full((2, 3), 1.0)]),
    ("switch", lambda a, b: T.switch(a > 0.5, a * b, b),
     [np.array([[0.1, 0.9, 0.7], [0.2, 0.8, 0.3]]), _u(-1, 1)]),
    ("second", lambda a, b: T.second(a, b) * a, [_u(-1, 1), _u(-1, 1, (1, 3))]),
    ("tensor_copy", lambda a: T.tensor_copy(a) * 2, [_u(-1, 1)]),
    ("cast_float32", lambda a: T.cast(a, "float32"), [_u(-1, 1)]),
    # exponentials, logarithms, roots
    ("exp", lambda a: T.exp(a), [_u(-2, 2)]),
    ("exp2", lambda a: T.exp2(a), [_u(-2, 2)]),
    ("expm1", lambda a: T.expm1(a), [_u(-2, 2)]),
    ("log", lambda a: T.log(a), [_u(0.3, 3)]),
    ("log2", lambda a: T.log2(a), [_u(0.3, 3)]),
    ("log10", lambda a: T.log10(a), [_u(0.3, 3)]),
    ("log1p", lambda a: T.log1p(a), [_u(-0.5, 3)]),
    ("sqrt", lambda a: T.sqrt(a), [_u(0.3, 3)]),
    # trigonometric and hyperbolic
    ("sin", lambda a: T.sin(a), [_u(-3, 3)]),
    ("cos", lambda a: T.cos(a), [_u(-3, 3)]),
    ("tan", lambda a: T.tan(a), [_u(-1.2, 1.2)]),
    ("arcsin", lambda a: T.arcsin(a), [_u(-0.8, 0.8)]),
    ("arccos", lambda a: T.arccos(a), [_u(-0.8, 0.8)]),
    ("arctan", lambda a: T.arctan(a), [_u(-3, 3)]),
    ("arctan2", lambda a, b: T.arctan2(a, b), [_u(-2, 2), _u(0.5, 2)]),
    ("sinh", lambda a: T.sinh(a), [_u(-2, 2)]),
    ("cosh", lambda a: T.cosh(a), [_u(-2, 2)]),
    ("tanh", lambda a: T.tanh(a), [_u(-2, 2)]),
    ("arcsinh", lambda a: T.arcsinh(a), [_u(-2, 2)]),
    ("arccosh", lambda a: T.arccosh(a), [_u(1.2, 3)]),
    ("arctanh", lambda a: T.arctanh(a), [_u(-0.8, 0.8)]),
    # special functions
    ("erf", lambda a: T.erf(a), [_u(-2, 2)]),
    ("erfc", lambda a: T.erfc(a), [_u(-2, 2)]),
    ("erfinv", lambda a: T.erfinv(a), [_u(-0.8, 0.8)]),
    ("gamma", lambda a: T.gamma(a), [_u(0.5, 3)]),
    ("gammaln", lambda a: T.gammaln(a), [_u(0.5, 3)]),
    ("psi", lambda a: T.psi(a), [_u(0.5, 3)]),
    ("sigmoid", lambda a: T.sigmoid(a), [_u(-4, 4)]),
    ("softplus", lambda a: T.softplus(a), [_u(-4, 4)]),
    ("log1mexp", lambda a: T.log1mexp(a), [_u(-3, -0.2)]),
    # complex numbers, through real-valued costs
    ("complex_abs", lambda a, b: abs(T.complex(a, b)), [_u(0.5, 2), _u(-2, 2)]),
    ("complex_real_of_product",
     lambda a, b: T.real(T.complex(a, b) * T.complex(b, a) + T.exp(T.complex(a, b))),
     [_u(-1, 1), _u(-1, 1)]),
    ("complex_imag_conj", lambda a, b: T.imag(T.conj(T.complex(a, b)) * T.complex(a, a)),
     [_u(-1, 1), _u(-1, 1)]),
    ("complex_angle", lambda a, b: T.angle(T.complex(a, b)), [_u(0.5, 2), _u(-2, 2)]),
    ("complex_cast", lambda a: T.real(T.cast(a, "complex128") * T.complex(a, a)), [_u(-1, 1)]),
    # DimShuffle
    ("transpose", lambda a: T.transpose(a) * np.arange(6.0).reshape(3, 2), [_u(-1, 1)]),
    ("dimshuffle_x", lambda a: a.dimshuffle(1, "x", 0), [_u(-1, 1)]),
    ("dimshuffle_drop", lambda a: a.dimshuffle(0) * 2, [_u(-1, 1, (3, 1))]),
    ("dimshuffle_broadcast_add", lambda a, b: a.dimshuffle(0, "x") + b,
     [_u(-1, 1, (2,)), _u(-1, 1)]),
    # Composite (fused elementwise graphs)
    ("composite", _composite, [_u(0.2, 1), _u(-1, 1)]),
    ("composite_broadcast", _composite, [_u(0.2, 1), _u(-1, 1, (1, 3))]),
    ("composite_two_outputs", _composite_two_outputs, [_u(0.2, 1), _u(-1, 1)]),
]
