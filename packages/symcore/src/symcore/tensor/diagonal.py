"""Diagonals: ``AllocDiag``/``ExtractDiag`` (``diag``, ``diagonal``, ``trace``), the
gradient Op ``ExtractDiagGrad`` and ``FillDiagonal`` (``fill_diagonal``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.gradient.errors import grad_not_implemented
from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.alloc import const_int, grad_for_discrete
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.math import maximum, minimum
from symcore.tensor.type import DISCRETE_DTYPES, TensorType

__all__ = [
    "AllocDiag",
    "ExtractDiag",
    "ExtractDiagGrad",
    "diag",
    "diagonal",
    "extract_diag",
    "alloc_diag",
    "trace",
    "FillDiagonal",
    "fill_diagonal",
]


# ---------------------------------------------------------------------------------------
# diagonals
# ---------------------------------------------------------------------------------------


def _norm_axis(axis: int, ndim: int, opname: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{opname}: axis {axis} is out of range for a {ndim}-d input")
    return axis % ndim


def _diag_len(n1: int | None, n2: int | None, offset: int) -> int | None:
    if n1 is None or n2 is None:
        return None
    return max(0, min(n1 - max(0, -offset), n2 - max(0, offset)))


class ExtractDiag(Op):
    """``ExtractDiag(offset, axis1, axis2)(x)``: ``numpy.diagonal`` (a copy); the diagonal
    becomes the last axis."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> None:
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise TypeError(f"{self}: needs at least 2 dimensions, got {x.ndim}-d {x.type}")
        a1 = _norm_axis(self.axis1, x.ndim, str(self))
        a2 = _norm_axis(self.axis2, x.ndim, str(self))
        if a1 == a2:
            raise ValueError(f"{self}: axis1 and axis2 must differ (both are {a1})")
        if (a1, a2) != (self.axis1, self.axis2):
            return ExtractDiag(self.offset, a1, a2).make_node(x)
        rest = [s for i, s in enumerate(x.type.shape) if i not in (a1, a2)]
        dlen = _diag_len(x.type.shape[a1], x.type.shape[a2], self.offset)
        out = TensorType(x.dtype, shape=rest + [dlen])()
        return Apply(self, [x], [out])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.diagonal(inputs[0], self.offset, self.axis1, self.axis2).copy()

    def infer_shape(self, node, input_shapes):
        shp = input_shapes[0]
        rest = [s for i, s in enumerate(shp) if i not in (self.axis1, self.axis2)]
        n1 = shp[self.axis1] - max(0, -self.offset)
        n2 = shp[self.axis2] - max(0, self.offset)
        return [tuple(rest) + (maximum(minimum(n1, n2), 0),)]

    def L_op(self, inputs, outputs, output_grads):
        return [ExtractDiagGrad(self.offset, self.axis1, self.axis2)(inputs[0], output_grads[0])]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]


class ExtractDiagGrad(Op):
    """``ExtractDiagGrad(offset, axis1, axis2)(x, d)``: zeros shaped like ``x`` with ``d``
    written on the diagonal (the gradient of ``ExtractDiag``; ``x`` gives only the shape)."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> None:
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x: Any, d: Any) -> Apply:
        x, d = as_tensor_variable(x), as_tensor_variable(d)
        if d.ndim != x.ndim - 1:
            raise TypeError(f"{self}: the diagonal must have {x.ndim - 1} dimensions, got {d.ndim}")
        return Apply(self, [x, d], [TensorType(d.dtype, shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, d = inputs
        out = np.zeros(x.shape, dtype=node.outputs[0].type.numpy_dtype)
        view = np.moveaxis(out, (self.axis1, self.axis2), (-2, -1))
        n = d.shape[-1]
        rows = np.arange(n) + max(0, -self.offset)
        cols = np.arange(n) + max(0, self.offset)
        view[..., rows, cols] = d
        output_storage[0][0] = out

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[False], [True]]

    def L_op(self, inputs, outputs, output_grads):
        return [
            disconnected_type(),
            ExtractDiag(self.offset, self.axis1, self.axis2)(output_grads[0]),
        ]


class AllocDiag(Op):
    """``AllocDiag(offset)(v)``: a square matrix with the vector ``v`` on diagonal ``offset``
    (``numpy.diag`` of a vector)."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = int(offset)

    def make_node(self, v: Any) -> Apply:
        v = as_tensor_variable(v)
        if v.ndim != 1:
            raise TypeError(f"{self}: expected a vector, got {v.ndim}-d {v.type}")
        n = v.type.shape[0]
        size = None if n is None else n + abs(self.offset)
        return Apply(self, [v], [TensorType(v.dtype, shape=(size, size))()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.diag(inputs[0], self.offset)

    def infer_shape(self, node, input_shapes):
        n = input_shapes[0][0] + abs(self.offset)
        return [(n, n)]

    def L_op(self, inputs, outputs, output_grads):
        return [ExtractDiag(self.offset, 0, 1)(output_grads[0])]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]


def _int_param(v: Any, opname: str, what: str) -> int:
    c = const_int(v)
    if c is None:
        raise TypeError(f"{opname}: {what} must be a constant integer, got {v!r}")
    return c


def diag(v: Any, k: int = 0):
    """``numpy.diag``: a vector gives a matrix with it on diagonal ``k``; a matrix gives its
    ``k``-th diagonal."""
    v = as_tensor_variable(v)
    k = _int_param(k, "diag", "k")
    if v.ndim == 1:
        return AllocDiag(k)(v)
    if v.ndim == 2:
        return ExtractDiag(k, 0, 1)(v)
    raise ValueError(f"diag: input must be 1-d or 2-d, got {v.ndim}-d {v.type}")


def alloc_diag(v: Any, offset: int = 0):
    """A matrix with the vector ``v`` on diagonal ``offset``."""
    return AllocDiag(_int_param(offset, "alloc_diag", "offset"))(v)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """``numpy.diagonal``: the diagonal of ``a`` over ``axis1``/``axis2`` as its last axis."""
    return ExtractDiag(
        _int_param(offset, "diagonal", "offset"),
        _int_param(axis1, "diagonal", "axis1"),
        _int_param(axis2, "diagonal", "axis2"),
    )(a)


extract_diag = diagonal


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """``numpy.trace``: the sum along a diagonal."""
    return diagonal(a, offset, axis1, axis2).sum(axis=-1)


# ---------------------------------------------------------------------------------------
# fill_diagonal
# ---------------------------------------------------------------------------------------


class FillDiagonal(Op):
    """``FillDiagonal()(a, val)``: a copy of ``a`` with its main diagonal set to the scalar
    ``val`` (``numpy.fill_diagonal`` without wrap)."""

    __props__ = ()

    def make_node(self, a: Any, val: Any) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim < 2:
            raise TypeError(f"FillDiagonal: needs at least 2 dimensions, got {a.ndim}-d {a.type}")
        val = (
            constant(val, dtype=a.dtype)
            if isinstance(val, (bool, int, float, complex))
            else as_tensor_variable(val)
        )
        if val.ndim != 0:
            raise TypeError(f"FillDiagonal: val must be a scalar, got {val.type}")
        return Apply(self, [a, val], [a.type.clone(shape=a.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        a, val = inputs
        if a.ndim > 2 and len(set(a.shape)) != 1:
            raise ValueError(
                f"FillDiagonal: all dimensions of a {a.ndim}-d input must be equal, got {a.shape}"
            )
        out = a.copy()
        np.fill_diagonal(out, val)
        output_storage[0][0] = out

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, inputs, outputs, output_grads):
        a, val = inputs
        g = output_grads[0]
        ga = self(g, constant(np.zeros((), dtype=g.dtype)))
        if val.dtype in DISCRETE_DTYPES:
            gv = grad_for_discrete(val)
        elif a.ndim == 2:
            gv = ExtractDiag(0, 0, 1)(g).sum()
            gv = gv.astype(val.dtype) if gv.dtype != val.dtype else gv
        else:
            gv = grad_not_implemented(
                self, 1, val, "gradient w.r.t. val for inputs of more than 2 dimensions"
            )
        if a.dtype in DISCRETE_DTYPES:
            ga = grad_for_discrete(a)
        return [ga, gv]


def fill_diagonal(a: Any, val: Any):
    """``numpy.fill_diagonal`` without modifying ``a``: a copy whose main diagonal is ``val``."""
    return FillDiagonal()(a, val)
