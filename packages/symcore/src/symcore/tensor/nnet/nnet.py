"""Rectifiers (``relu``, ``elu``, ``selu``), and Theano's module path
``theano.tensor.nnet.nnet`` for the softmax and cross-entropy names defined in
``symcore.tensor.nnet.softmax_ops`` and ``symcore.tensor.nnet.crossentropy``."""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Variable
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.math import abs as _abs
from symcore.tensor.math import minimum, switch
from symcore.tensor.math_special import expm1
from symcore.tensor.nnet.crossentropy import *  # noqa: F401,F403
from symcore.tensor.nnet.crossentropy import __all__ as _xent_all
from symcore.tensor.nnet.sigm import sigmoid, softplus  # noqa: F401
from symcore.tensor.nnet.softmax_ops import *  # noqa: F401,F403
from symcore.tensor.nnet.softmax_ops import __all__ as _softmax_all

__all__ = ["relu", "elu", "selu"] + list(_softmax_all) + list(_xent_all)


def relu(x: Any, alpha: Any = 0) -> Variable:
    """Rectified linear unit: ``x`` where ``x > 0``, ``alpha * x`` elsewhere (``alpha = 0``
    gives ``max(x, 0)``). Written as Theano does, ``0.5 * (x + |x|)`` (a leaky one as
    ``f1 * x + f2 * |x|``), so the gradient at 0 is the mean of the two slopes."""
    x = as_tensor_variable(x)
    if isinstance(alpha, (int, float)) and alpha == 0:
        return 0.5 * (x + _abs(x))
    f1 = 0.5 * (1 + alpha)
    f2 = 0.5 * (1 - alpha)
    return f1 * x + f2 * _abs(x)


def elu(x: Any, alpha: Any = 1) -> Variable:
    """Exponential linear unit: ``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere.
    (The exponential is taken of ``min(x, 0)`` so the unused branch never overflows.)"""
    x = as_tensor_variable(x)
    return switch(x > 0, x, alpha * expm1(minimum(x, 0)))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> Variable:
    """Scaled exponential linear unit (Klambauer et al. 2017): ``scale * elu(x, alpha)``."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)
