"""Gradient controls: identity Ops whose only purpose is a special gradient.

``zero_grad(x)`` (gradient zero), ``disconnected_grad(x)`` (no gradient path at all),
``undefined_grad(x)`` (gradient undefined), ``grad_clip(x, lo, hi)`` (clip the gradient
flowing back), ``grad_scale(x, m)`` (multiply it), and Theano's deprecated
``consider_constant(x)``. Forward, each returns its input unchanged (a view).
"""

from __future__ import annotations

import warnings
from typing import Any

from symcore.gradient._tensor import T, cast_to, dtype_of, float_zeros_like, is_continuous
from symcore.gradient.errors import grad_undefined
from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type

__all__ = [
    "ConsiderConstant",
    "DisconnectedGrad",
    "GradClip",
    "GradScale",
    "UndefinedGrad",
    "ZeroGrad",
    "consider_constant",
    "disconnected_grad",
    "grad_clip",
    "grad_scale",
    "undefined_grad",
    "zero_grad",
]


class GradientControlOp(Op):
    """Identity on its first input (returned as a view), with a special gradient."""

    __props__: tuple[str, ...] = ()
    view_map = {0: [0]}
    #: the gradient is deliberately not the derivative: verify_grad does not apply
    differentiable = False

    def make_node(self, x: Any, *extra: Any) -> Apply:
        from symcore.tensor.basic import as_tensor_variable

        x = as_tensor_variable(x)
        return Apply(self, [x, *extra], [x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = inputs[0]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class ZeroGrad(GradientControlOp):
    """Identity whose gradient is zero (the input still counts as connected)."""

    def grad(self, inputs, output_grads):
        return [float_zeros_like(inputs[0])]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else T().zeros_like(eval_points[0])]


class ConsiderConstant(ZeroGrad):
    """Theano's older name for ``ZeroGrad``."""


class DisconnectedGrad(GradientControlOp):
    """Identity through which no gradient path exists (the input is disconnected)."""

    def connection_pattern(self, node):
        return [[False]]

    def grad(self, inputs, output_grads):
        return [disconnected_type()]

    def R_op(self, inputs, eval_points):
        return [None]


class UndefinedGrad(GradientControlOp):
    """Identity whose gradient is undefined: differentiating through it is an error."""

    def grad(self, inputs, output_grads):
        return [grad_undefined(self, 0, inputs[0], "undefined_grad() was applied to it")]

    def R_op(self, inputs, eval_points):
        return [None]


class GradClip(GradientControlOp):
    """Identity whose gradient is clipped elementwise to ``[lower, upper]``."""

    __props__ = ("clip_lower_bound", "clip_upper_bound")

    def __init__(self, clip_lower_bound: float, clip_upper_bound: float) -> None:
        lo, hi = float(clip_lower_bound), float(clip_upper_bound)
        if not lo <= hi:
            raise ValueError(f"grad_clip: lower bound {lo} must not exceed upper bound {hi}")
        self.clip_lower_bound = lo
        self.clip_upper_bound = hi

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        clipped = T().clip(g, self.clip_lower_bound, self.clip_upper_bound)
        return [cast_to(clipped, dtype_of(g))] if is_continuous(g) else [clipped]

    def R_op(self, inputs, eval_points):
        return [eval_points[0]]


class GradScale(GradientControlOp):
    """Identity whose gradient is multiplied by its second input (a scalar)."""

    def make_node(self, x: Any, multiplier: Any = 1.0) -> Apply:
        from symcore.tensor.basic import as_tensor_variable

        x = as_tensor_variable(x)
        if not isinstance(multiplier, Variable):
            m_dtype = x.type.dtype if is_continuous(x) else None
            multiplier = as_tensor_variable(multiplier, dtype=m_dtype)
        if multiplier.type.ndim != 0:
            raise TypeError(f"grad_scale: the multiplier must be a scalar, got {multiplier.type}")
        return Apply(self, [x, multiplier], [x.type()])

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        x, m = inputs
        (g,) = output_grads
        scaled = g * m
        if is_continuous(g):
            scaled = cast_to(scaled, dtype_of(g))
        return [scaled, disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [cast_to(eval_points[0] * inputs[1], dtype_of(eval_points[0]))]


zero_grad_ = ZeroGrad()
consider_constant_ = ConsiderConstant()
disconnected_grad_ = DisconnectedGrad()
undefined_grad_ = UndefinedGrad()
grad_scale_ = GradScale()


def zero_grad(x: Any) -> Variable:
    """``x``, with a zero gradient: nothing flows back through it."""
    return zero_grad_(x)


def disconnected_grad(x: Any) -> Variable:
    """``x``, cut from the gradient graph: its ancestors count as disconnected."""
    return disconnected_grad_(x)


def undefined_grad(x: Any) -> Variable:
    """``x``, whose gradient is undefined (``grad`` raises ``NullTypeGradError``)."""
    return undefined_grad_(x)


def consider_constant(x: Any) -> Variable:
    """Deprecated (Theano): use ``zero_grad`` or ``disconnected_grad``."""
    warnings.warn(
        "consider_constant() is deprecated, use zero_grad() or disconnected_grad() instead",
        DeprecationWarning,
        stacklevel=2,
    )
    return consider_constant_(x)


def grad_clip(x: Any, lower_bound: float, upper_bound: float) -> Variable:
    """``x``, whose incoming gradient is clipped to ``[lower_bound, upper_bound]``."""
    return GradClip(lower_bound, upper_bound)(x)


def grad_scale(x: Any, multiplier: Any) -> Variable:
    """``x``, whose incoming gradient is multiplied by ``multiplier`` (number or scalar)."""
    return grad_scale_(x, multiplier)
