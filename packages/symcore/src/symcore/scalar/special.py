"""Special functions (erf, gamma family) and the numerically stable sigmoid/softplus.

``scipy.special`` is used when importable; otherwise the standard library's ``math``
functions are vectorized (slower, same results to float64 rounding).
"""

from __future__ import annotations

import math

import numpy as np

from symcore.scalar import _dispatch as D
from symcore.scalar.op import UnaryScalarOp, float_out_nocomplex

try:  # optional dependency
    import scipy.special as _sp
except ImportError:  # pragma: no cover - exercised only without scipy
    _sp = None

__all__ = [
    "Erf", "Erfc", "Erfinv", "Gamma", "GammaLn", "Psi", "TriGamma",
    "ScalarSigmoid", "ScalarSoftplus", "Log1mexp",
    "erf", "erfc", "erfinv", "gamma", "gammaln", "lgamma", "psi", "tri_gamma",
    "scalar_sigmoid", "scalar_softplus", "log1mexp", "HAVE_SCIPY",
]

HAVE_SCIPY = _sp is not None
_SQRT_PI = math.sqrt(math.pi)


def _vectorize(fn):
    vec = np.vectorize(fn, otypes=["float64"])

    def run(x):
        return vec(np.asarray(x, dtype="float64"))

    return run


def _psi_fallback(x: float) -> float:
    """Digamma by recurrence and asymptotic series (|error| < 1e-13 for x > 0)."""
    if x <= 0 and x == math.floor(x):
        return math.nan
    if x < 0:  # reflection
        return _psi_fallback(1 - x) - math.pi / math.tan(math.pi * x)
    acc = 0.0
    while x < 6:
        acc -= 1 / x
        x += 1
    f = 1 / (x * x)
    series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))
    return acc + math.log(x) - 0.5 / x - series


def _trigamma_fallback(x: float) -> float:
    if x <= 0 and x == math.floor(x):
        return math.inf
    if x < 0:
        s = math.pi / math.sin(math.pi * x)
        return -_trigamma_fallback(1 - x) + s * s
    acc = 0.0
    while x < 6:
        acc += 1 / (x * x)
        x += 1
    f = 1 / (x * x)
    return acc + 1 / x + f / 2 + (1 / x) * f * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)))


def _erfinv_fallback(y: float) -> float:
    """Inverse error function by Newton iterations on ``math.erf``."""
    if y <= -1 or y >= 1:
        return -math.inf if y == -1 else (math.inf if y == 1 else math.nan)
    a = 0.147
    ln = math.log(1 - y * y)
    t = 2 / (math.pi * a) + ln / 2
    x = math.copysign(math.sqrt(math.sqrt(t * t - ln / a) - t), y)
    for _ in range(3):
        x -= (math.erf(x) - y) / (2 / _SQRT_PI * math.exp(-x * x))
    return x


if HAVE_SCIPY:
    _erf, _erfc, _erfinv = _sp.erf, _sp.erfc, _sp.erfinv
    _gamma, _gammaln, _psi = _sp.gamma, _sp.gammaln, _sp.psi

    def _trigamma(x):
        return _sp.polygamma(1, x)
else:  # pragma: no cover
    _erf, _erfc = _vectorize(math.erf), _vectorize(math.erfc)
    _erfinv = _vectorize(_erfinv_fallback)
    _gamma, _gammaln = _vectorize(math.gamma), _vectorize(math.lgamma)
    _psi, _trigamma = _vectorize(_psi_fallback), _vectorize(_trigamma_fallback)


class _Special(UnaryScalarOp):
    """Float-valued special function of a real input; computed in float64 or float32."""

    output_types_preference = float_out_nocomplex
    _fn = None

    def compute(self, x):
        return type(self)._fn(x)


class Erf(_Special):
    _fn = staticmethod(_erf)

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] * (2 / _SQRT_PI) * D.ns(x).exp(-(x * x))]


class Erfc(_Special):
    _fn = staticmethod(_erfc)

    def grad(self, inputs, gout):
        (x,) = inputs
        return [-(gout[0] * (2 / _SQRT_PI)) * D.ns(x).exp(-(x * x))]


class Erfinv(_Special):
    _fn = staticmethod(_erfinv)

    def L_op(self, inputs, outputs, gout):
        y = outputs[0]
        return [gout[0] * (_SQRT_PI / 2) * D.ns(y).exp(y * y)]


class Gamma(_Special):
    _fn = staticmethod(_gamma)

    def L_op(self, inputs, outputs, gout):
        (x,) = inputs
        return [gout[0] * outputs[0] * D.ns(x).psi(x)]


class GammaLn(_Special):
    """``log(|gamma(x)|)``."""

    _fn = staticmethod(_gammaln)

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] * D.ns(x).psi(x)]


class Psi(_Special):
    """Digamma: the derivative of ``gammaln``."""

    _fn = staticmethod(_psi)

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] * D.ns(x).tri_gamma(x)]


class TriGamma(_Special):
    """Trigamma: the derivative of ``psi``."""

    differentiable = False  # its own gradient (polygamma(2, x)) is not implemented, as in Theano

    _fn = staticmethod(_trigamma)

    def grad(self, inputs, gout):
        from symcore.gradient import grad_not_implemented

        why = "the gradient of tri_gamma is not implemented"
        return [grad_not_implemented(self, 0, inputs[0], why)]


class ScalarSigmoid(UnaryScalarOp):
    """``1 / (1 + exp(-x))``, computed without overflow: ``exp(-|x|)`` only."""

    output_types_preference = float_out_nocomplex

    def compute(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "f":
            x = x.astype(float_out_nocomplex(self, x.dtype.name)[0])
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def L_op(self, inputs, outputs, gout):
        s = outputs[0]
        return [gout[0] * s * (1 - s)]


class ScalarSoftplus(UnaryScalarOp):
    """``log(1 + exp(x))`` as ``log1p(exp(-|x|)) + max(x, 0)`` (no overflow)."""

    output_types_preference = float_out_nocomplex

    def compute(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "f":
            x = x.astype(float_out_nocomplex(self, x.dtype.name)[0])
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    def grad(self, inputs, gout):
        (x,) = inputs
        return [gout[0] * D.apply(scalar_sigmoid, x)]


class Log1mexp(UnaryScalarOp):
    """``log(1 - exp(x))`` for ``x <= 0``, accurate near 0 and for large negative ``x``."""

    output_types_preference = float_out_nocomplex

    def compute(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "f":
            x = x.astype(float_out_nocomplex(self, x.dtype.name)[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            small = x > -0.6931471805599453
            return np.where(small, np.log(-np.expm1(np.where(small, x, -1))),
                            np.log1p(-np.exp(np.where(small, -1, x))))

    def grad(self, inputs, gout):
        (x,) = inputs
        return [-(gout[0]) / D.ns(x).expm1(-x)]


erf = Erf(name="erf")
erfc = Erfc(name="erfc")
erfinv = Erfinv(name="erfinv")
gamma = Gamma(name="gamma")
gammaln = GammaLn(name="gammaln")
lgamma = gammaln
psi = Psi(name="psi")
tri_gamma = TriGamma(name="tri_gamma")
scalar_sigmoid = ScalarSigmoid(name="scalar_sigmoid")
scalar_softplus = ScalarSoftplus(name="scalar_softplus")
log1mexp = Log1mexp(name="log1mexp")
