"""Sorting: ``SortOp`` (``sort``), ``ArgSortOp`` (``argsort``) and ``PermuteAlongAxis``, the
gather by a permutation that carries the gradient of ``sort``."""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.alloc import as_int_scalar, const_int, grad_for_discrete
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.extra_ops import _prod, _static_size
from symcore.tensor.type import DISCRETE_DTYPES, INTEGER_DTYPES, TensorType

__all__ = ["SortOp", "ArgSortOp", "PermuteAlongAxis", "sort", "argsort", "inverse_permutation"]

_KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _check_kind(opname: str, kind: str, order: Any) -> None:
    if kind not in _KINDS:
        raise ValueError(f"{opname}: kind must be one of {_KINDS}, got {kind!r}")
    if order is not None:
        raise ValueError(f"{opname}: order= applies to structured arrays, which tensors are not")


def _axis_input(x, axis: Any, opname: str):
    """``axis`` as an int64 scalar input; constant axes are checked and made non-negative."""
    if x.ndim == 0:
        raise ValueError(f"{opname}: cannot sort a 0-d tensor along an axis (use axis=None)")
    axis = as_int_scalar(axis, opname, "axis")
    c = const_int(axis)
    if c is not None:
        if not -x.ndim <= c < x.ndim:
            raise ValueError(f"{opname}: axis {c} is out of range for a {x.ndim}-d input")
        axis = constant(c % x.ndim, dtype="int64")
    return axis


class _SortBase(Op):
    __props__ = ("kind", "order")

    def __init__(self, kind: str = "quicksort", order: Any = None) -> None:
        _check_kind(type(self).__name__, kind, order)
        self.kind = kind
        self.order = order

    def _out_type(self, x, flat: bool) -> TensorType:
        raise NotImplementedError

    def make_node(self, input: Any, axis: Any = -1) -> Apply:
        x = as_tensor_variable(input)
        if axis is None:
            return Apply(self, [x], [self._out_type(x, True)])
        return Apply(
            self, [x, _axis_input(x, axis, type(self).__name__)], [self._out_type(x, False)]
        )

    def infer_shape(self, node, input_shapes):
        if len(node.inputs) == 1:
            return [(_prod(input_shapes[0]),)]
        return [input_shapes[0]]

    def _axis(self, inputs):
        return None if len(inputs) == 1 else int(inputs[1])


class SortOp(_SortBase):
    """``SortOp(kind)(x, axis=-1)``: ``numpy.sort`` (``axis=None`` sorts the flattened array).
    The gradient routes each output gradient back to the element it came from."""

    def _out_type(self, x, flat):
        if flat:
            return TensorType(x.dtype, shape=(_static_size(x),))()
        return x.type.clone(shape=x.type.shape)()

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.sort(inputs[0], axis=self._axis(inputs), kind=self.kind)

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def L_op(self, inputs, outputs, output_grads):
        x, g = inputs[0], output_grads[0]
        rest = [disconnected_type()] * (len(inputs) - 1)
        if x.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(x)] + rest
        if len(inputs) == 1:
            perm = ArgSortOp(self.kind)(x, None)
            ranks = ArgSortOp("quicksort")(perm, 0)
            gx = PermuteAlongAxis()(g, ranks, 0).reshape(x.shape, ndim=x.ndim)
        else:
            axis = inputs[1]
            ranks = ArgSortOp("quicksort")(ArgSortOp(self.kind)(x, axis), axis)
            gx = PermuteAlongAxis()(g, ranks, axis)
        return [gx] + rest

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        x = inputs[0]
        if len(inputs) == 1:
            return [PermuteAlongAxis()(eval_points[0].flatten(), ArgSortOp(self.kind)(x, None), 0)]
        return [PermuteAlongAxis()(eval_points[0], ArgSortOp(self.kind)(x, inputs[1]), inputs[1])]


class ArgSortOp(_SortBase):
    """``ArgSortOp(kind)(x, axis=-1)``: ``numpy.argsort`` as int64 (``axis=None``: indices
    into the flattened array). Integer output: no gradient flows through it."""

    differentiable = False

    def _out_type(self, x, flat):
        if flat:
            return TensorType("int64", shape=(_static_size(x),))()
        return TensorType("int64", shape=x.type.shape)()

    def perform(self, node, inputs, output_storage, params=None):
        out = np.argsort(inputs[0], axis=self._axis(inputs), kind=self.kind)
        output_storage[0][0] = np.asarray(out, dtype=np.int64)

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    def L_op(self, inputs, outputs, output_grads):
        return [disconnected_type() for _ in inputs]


class PermuteAlongAxis(Op):
    """``PermuteAlongAxis()(x, perm, axis)``: ``numpy.take_along_axis(x, perm, axis)`` where
    each lane of ``perm`` along ``axis`` is a permutation. Its gradient applies the inverse
    permutation (``argsort(perm)``)."""

    __props__ = ()

    def make_node(self, x: Any, perm: Any, axis: Any) -> Apply:
        x, perm = as_tensor_variable(x), as_tensor_variable(perm)
        if perm.ndim != x.ndim or perm.dtype not in INTEGER_DTYPES:
            raise TypeError(
                f"PermuteAlongAxis: perm must be an integer tensor like x ({x.type}), "
                f"got {perm.type}"
            )
        axis = _axis_input(x, axis, "PermuteAlongAxis")
        shape = [
            a if a is not None else b for a, b in zip(x.type.shape, perm.type.shape, strict=True)
        ]
        return Apply(self, [x, perm, axis], [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, perm, axis = inputs
        if perm.shape != x.shape:
            raise ValueError(
                f"PermuteAlongAxis: perm shape {perm.shape} differs from x shape {x.shape}"
            )
        output_storage[0][0] = np.take_along_axis(x, perm, axis=int(axis))

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[True], [False], [False]]

    def L_op(self, inputs, outputs, output_grads):
        x, perm, axis = inputs
        if x.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(x), disconnected_type(), disconnected_type()]
        inverse = ArgSortOp("quicksort")(perm, axis)
        return [self(output_grads[0], inverse, axis), disconnected_type(), disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1], inputs[2])]


def sort(a: Any, axis: Any = -1, kind: str = "quicksort", order: Any = None):
    """``numpy.sort``: a sorted copy along ``axis`` (the flattened array when None)."""
    return SortOp(kind, order)(a, axis)


def argsort(a: Any, axis: Any = -1, kind: str = "quicksort", order: Any = None):
    """``numpy.argsort``: int64 indices that sort ``a`` along ``axis``."""
    return ArgSortOp(kind, order)(a, axis)


def inverse_permutation(perm: Any):
    """Theano's ``inverse_permutation``: for integer permutations along the last axis,
    ``out[..., perm[..., i]] = i``."""
    perm = as_tensor_variable(perm)
    if perm.ndim == 0 or perm.dtype not in INTEGER_DTYPES:
        raise TypeError(
            f"inverse_permutation: expected an integer tensor of permutations, got {perm.type}"
        )
    out = ArgSortOp("quicksort")(perm, -1)
    return out if perm.dtype == "int64" else out.astype(perm.dtype)
