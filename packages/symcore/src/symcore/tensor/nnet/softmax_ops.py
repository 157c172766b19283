"""Softmax family: ``Softmax``, ``SoftmaxGrad``, ``LogSoftmax`` (stable in their own
``perform``: the maximum is subtracted before exponentiating) and ``LogSumExp``.

Theano behaviour kept: ``softmax``/``log_softmax`` of a vector return a 1×n row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.math import cast
from symcore.tensor.math_special import exp
from symcore.tensor.reduction import normalize_axis
from symcore.tensor.reduction import sum as _sum
from symcore.tensor.type import DISCRETE_DTYPES, FLOAT_DTYPES, TensorType

__all__ = [
    "Softmax",
    "SoftmaxGrad",
    "LogSoftmax",
    "softmax",
    "log_softmax",
    "logsoftmax",
    "softmax_with_bias",
    "logsumexp",
    "LogSumExp",
    "softmax_op",
    "softmax_grad",
    "logsoftmax_op",
]


def _float_input(x: Any, who: str) -> Variable:
    x = as_tensor_variable(x)
    if x.dtype in DISCRETE_DTYPES:
        x = cast(x, "float64")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{who}: expected a real floating-point tensor, got {x.type}")
    return x


def _axis_of(op: Op, x: Variable) -> int | None:
    if op.axis is None:
        return None
    if x.ndim == 0:
        raise ValueError(f"{op}: cannot apply along axis {op.axis} of a 0-d input {x.type}")
    return normalize_axis(op.axis, x.ndim, str(op))[0]


def _sum_keep(x: Variable, axis: int | None) -> Variable:
    return _sum(x, axis=axis, keepdims=True)


class _AxisOp(Op):
    """An op applied along one ``axis`` (``None`` = over all elements)."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None = -1) -> None:
        self.axis = None if axis is None else int(axis)

    def _resolved(self, x: Variable) -> _AxisOp:
        axis = _axis_of(self, x)
        return self if axis == self.axis else type(self)(axis)

    def infer_shape(self, node: Apply, input_shapes):
        return [input_shapes[-1]]


def _stable_shift(x: np.ndarray, axis: int | None) -> np.ndarray:
    """``x - max(x, axis)`` (a new array); groups whose max is infinite are left unshifted."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, np.zeros((), x.dtype))
    return x - m


class Softmax(_AxisOp):
    """``exp(x) / sum(exp(x), axis)``, computed as ``exp(x - max)`` so that it never
    overflows (softmax of ``[1000, 0]`` is ``[1, 0]``)."""

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "Softmax")
        return Apply(self._resolved(x), [x], [x.type()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        dtype = node.outputs[0].dtype
        if x.size == 0:
            output_storage[0][0] = np.zeros(x.shape, dtype=dtype)
            return
        with np.errstate(invalid="ignore", over="ignore"):
            e = np.exp(_stable_shift(x, self.axis))
            e /= np.sum(e, axis=self.axis, keepdims=True)
        output_storage[0][0] = np.asarray(e, dtype=dtype)

    def L_op(self, inputs, outputs, output_grads):
        (x,), (sm,), (g,) = inputs, outputs, output_grads
        gx = SoftmaxGrad(self.axis)(g, sm)
        return [cast(gx, x.dtype) if gx.dtype != x.dtype else gx]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [SoftmaxGrad(self.axis)(eval_points[0], self(inputs[0]))]


class SoftmaxGrad(_AxisOp):
    """The gradient of ``Softmax``: ``(dy - sum(dy * sm, axis)) * sm`` for inputs ``(dy, sm)``."""

    def make_node(self, dy: Any, sm: Any) -> Apply:
        dy, sm = as_tensor_variable(dy), as_tensor_variable(sm)
        if dy.ndim != sm.ndim:
            raise TypeError(f"SoftmaxGrad: dy {dy.type} and sm {sm.type} must have the same rank")
        dtype = np.result_type(dy.dtype, sm.dtype).name
        bc = tuple(a and b for a, b in zip(dy.broadcastable, sm.broadcastable, strict=True))
        return Apply(self._resolved(sm), [dy, sm], [TensorType(dtype, bc)()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        dy, sm = inputs
        if dy.shape != sm.shape:
            raise ValueError(f"{self}: dy of shape {dy.shape} and sm of shape {sm.shape} differ")
        dx = dy * sm
        dx -= sm * np.sum(dx, axis=self.axis, keepdims=True)
        output_storage[0][0] = np.asarray(dx, dtype=node.outputs[0].dtype)

    def L_op(self, inputs, outputs, output_grads):
        (dy, sm), (g,) = inputs, output_grads
        s = _sum_keep(dy * sm, self.axis)
        g_dy = SoftmaxGrad(self.axis)(g, sm)
        g_sm = g * (dy - s) - dy * _sum_keep(g * sm, self.axis)
        return [_like(g_dy, dy), _like(g_sm, sm)]


class LogSoftmax(_AxisOp):
    """``x - logsumexp(x, axis)``, finite wherever ``x`` is (log_softmax of ``[-1000, 0]`` is
    ``[-1000, 0]``)."""

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "LogSoftmax")
        return Apply(self._resolved(x), [x], [x.type()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        dtype = node.outputs[0].dtype
        if x.size == 0:
            output_storage[0][0] = np.zeros(x.shape, dtype=dtype)
            return
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            xs = _stable_shift(x, self.axis)
            xs -= np.log(np.sum(np.exp(xs), axis=self.axis, keepdims=True))
        output_storage[0][0] = np.asarray(xs, dtype=dtype)

    def L_op(self, inputs, outputs, output_grads):
        (x,), (out,), (g,) = inputs, outputs, output_grads
        return [_like(g - exp(out) * _sum_keep(g, self.axis), x)]

    def R_op(self, inputs, eval_points):
        ev = eval_points[0]
        if ev is None:
            return [None]
        out = self(inputs[0])
        return [ev - _sum_keep(exp(out) * ev, self.axis)]


def _like(g: Variable, x: Variable) -> Variable:
    return cast(g, x.dtype) if g.dtype != x.dtype else g


softmax_op = Softmax(-1)
softmax_grad = SoftmaxGrad(-1)
logsoftmax_op = LogSoftmax(-1)


def _as_rows(c: Any, who: str) -> Variable:
    c = _float_input(c, who)
    if c.ndim == 1:
        c = c.dimshuffle("x", 0)  # Theano: the softmax of a vector is a 1×n row
    return c


def softmax(c: Any, axis: int | None = -1) -> Variable:
    """Softmax along ``axis`` (``None``: over all elements). As in Theano, a vector gives a
    1×n row; integer inputs are computed in float64."""
    return Softmax(axis)(_as_rows(c, "softmax"))


def log_softmax(c: Any, axis: int | None = -1) -> Variable:
    """Log of the softmax along ``axis``, computed stably (a vector gives a 1×n row)."""
    return LogSoftmax(axis)(_as_rows(c, "log_softmax"))


logsoftmax = log_softmax


def softmax_with_bias(x: Any, b: Any) -> Variable:
    """``softmax(x + b)`` for a matrix ``x`` and a bias vector ``b`` (Theano)."""
    return softmax(as_tensor_variable(x) + b)


class LogSumExp(Op):
    """``log(sum(exp(x), axis))`` computed in one stable ``perform``: the maximum of each
    group is factored out before exponentiating, so ``[1000, 1000]`` gives ``1000 + log 2``.
    Groups whose maximum is infinite are not shifted (``-inf`` everywhere gives ``-inf``, a
    ``+inf`` gives ``+inf``); an empty group gives ``-inf`` as NumPy's ``log(sum(exp(...)))``.

    Being one node (not a ``log`` of a ``sum`` of an ``exp``), it is left alone by rewrites
    that stabilize ``log(sum(exp(a)))`` into ``logsumexp(a)``.
    """

    __props__ = ("axis", "keepdims")

    def __init__(self, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> None:
        self.axis = None if axis is None else tuple(sorted(int(a) for a in axis))
        self.keepdims = bool(keepdims)

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "logsumexp")
        axis = normalize_axis(self.axis, x.ndim, "logsumexp")
        op = self if axis == self.axis else LogSumExp(axis, self.keepdims)
        if self.keepdims:
            bc = tuple(b or d in axis for d, b in enumerate(x.broadcastable))
        else:
            bc = tuple(b for d, b in enumerate(x.broadcastable) if d not in axis)
        return Apply(op, [x], [TensorType(x.dtype, bc)()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        dtype = node.outputs[0].dtype
        axis = self.axis
        if x.size == 0:  # log(sum over nothing) = -inf; an empty output stays empty
            shape = tuple(1 if d in axis else n for d, n in enumerate(x.shape))
            out = np.full(shape, -np.inf, dtype=dtype)
        else:
            m = np.max(x, axis=axis, keepdims=True)
            m = np.where(np.isfinite(m), m, np.zeros((), x.dtype))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        if not self.keepdims:
            out = out.reshape([n for d, n in enumerate(out.shape) if d not in axis])
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def infer_shape(self, node: Apply, input_shapes):
        (shp,) = input_shapes
        if self.keepdims:
            return [tuple(1 if d in self.axis else s for d, s in enumerate(shp))]
        return [tuple(s for d, s in enumerate(shp) if d not in self.axis)]

    def _kept(self, v: Variable, ndim: int) -> Variable:
        """``v`` (an output-shaped value) with the reduced axes back as broadcastable dims."""
        if self.keepdims:
            return v
        kept = iter(range(v.ndim))
        return v.dimshuffle(["x" if d in self.axis else next(kept) for d in range(ndim)])

    def L_op(self, inputs, outputs, output_grads):
        (x,), (out,), (g,) = inputs, outputs, output_grads
        # d logsumexp / dx = softmax of x over the reduced axes = exp(x - logsumexp(x))
        gx = self._kept(g, x.ndim) * exp(x - self._kept(out, x.ndim))
        return [_like(gx, x)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        (x,) = inputs
        sm = exp(x - self._kept(self(x), x.ndim))
        return [_sum(sm * eval_points[0], axis=self.axis, keepdims=self.keepdims)]


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """``log(sum(exp(x), axis, keepdims))`` without overflow (a ``LogSumExp`` node: the
    maximum is factored out in its ``perform``). ``axis``: an int, a tuple of ints or
    ``None`` (all axes); integer inputs are computed in float64."""
    x = _float_input(x, "logsumexp")
    return LogSumExp(normalize_axis(axis, x.ndim, "logsumexp"), keepdims)(x)
