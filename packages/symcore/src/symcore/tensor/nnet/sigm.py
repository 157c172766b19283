"""Sigmoid-like activations (Theano's ``theano.tensor.nnet.sigm``): ``sigmoid`` and
``softplus`` (the stable ``Elemwise`` instances of ``symcore.tensor.math``), the piecewise
approximations ``ultra_fast_sigmoid`` and ``hard_sigmoid``, and ``softsign``."""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.math import abs as _abs
from symcore.tensor.math import clip, sqr, switch
from symcore.tensor.math_special import sigmoid, softplus
from symcore.tensor.type import DISCRETE_DTYPES, FLOAT_DTYPES

__all__ = [
    "sigmoid",
    "softplus",
    "ultra_fast_sigmoid",
    "hard_sigmoid",
    "softsign",
    "UltraFastSigmoid",
]

# Theano's piecewise approximation of sigmoid(x) = 0.5 * (1 + tanh(x / 2)), on h = |x| / 2.
_KNEE1, _KNEE2 = 1.7, 3.0
_A, _B, _TOP = 0.935409070603099, 0.0458812946797165, 0.99505475368673


def _float_input(x: Any) -> Variable:
    x = as_tensor_variable(x)
    if x.dtype in DISCRETE_DTYPES:
        from symcore.tensor.math import cast

        x = cast(x, "float64")
    elif x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"expected a real-valued tensor, got {x.type}")
    return x


class UltraFastSigmoid(Op):
    """Theano's piecewise-linear/rational approximation of ``sigmoid`` (max error ~0.02).

    Its gradient is the exact derivative of the approximation (so ``verify_grad`` holds),
    continuous at 0 where it equals 0.375.
    """

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        dtype = node.outputs[0].dtype
        h = np.abs(x) * 0.5
        with np.errstate(invalid="ignore"):  # inf/inf in the branch np.where discards
            z = np.where(
                h < _KNEE1, 1.5 * h / (1.0 + h), np.where(h < _KNEE2, _A + _B * (h - _KNEE1), _TOP)
            )
        z = np.where(x < 0, -z, z)
        output_storage[0][0] = np.asarray(0.5 * (z + 1.0), dtype=dtype)

    def infer_shape(self, node: Apply, input_shapes):
        return [input_shapes[0]]

    def L_op(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        h = _abs(x) * 0.5
        # d/dx of 0.5 * (1 + sgn(x) z(|x|/2)) = 0.25 z'(h)
        slope = switch(h < _KNEE1, 0.375 / sqr(1.0 + h), switch(h < _KNEE2, 0.25 * _B, 0.0))
        return [gz * slope]


_ultra_fast_sigmoid = UltraFastSigmoid()


def ultra_fast_sigmoid(x: Any) -> Variable:
    """A fast approximation of ``sigmoid`` (Theano's ``ultra_fast_sigmoid``)."""
    return _ultra_fast_sigmoid(x)


def hard_sigmoid(x: Any) -> Variable:
    """``clip(0.2 * x + 0.5, 0, 1)``: a piecewise-linear sigmoid (Theano)."""
    x = _float_input(x)
    return clip(x * 0.2 + 0.5, 0, 1)


def softsign(x: Any) -> Variable:
    """``x / (1 + |x|)``."""
    x = _float_input(x)
    return x / (1.0 + _abs(x))
