"""Searching and counting: ``Nonzero`` (``nonzero``, ``flatnonzero``, ``nonzero_values``,
``compress``), ``BinCount``, ``SearchsortedOp``, ``Unique`` and ``to_one_hot``."""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.alloc import arange, as_int_scalar, const_int, grad_for_discrete
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.join import stack
from symcore.tensor.math import eq
from symcore.tensor.type import (
    COMPLEX_DTYPES,
    DISCRETE_DTYPES,
    FLOAT_DTYPES,
    INTEGER_DTYPES,
    TensorType,
    resolve_dtype,
)

__all__ = [
    "Nonzero",
    "nonzero",
    "flatnonzero",
    "nonzero_values",
    "compress",
    "BinCount",
    "bincount",
    "SearchsortedOp",
    "searchsorted",
    "Unique",
    "unique",
    "to_one_hot",
]


def _norm_axis(axis: int, ndim: int, opname: str) -> int:
    """``axis`` taken into ``[0, ndim)``; ValueError naming ``opname`` when out of range."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{opname}: axis {axis} is out of range for a {ndim}-d input")
    return axis % ndim


def _op_axis(axis: Any, opname: str) -> int | None:
    """An Op's ``axis`` parameter: None, or a constant integer (TypeError naming ``opname``)."""
    if axis is None:
        return None
    c = const_int(axis)
    if c is None:
        raise TypeError(f"{opname}: axis must be None or a constant integer, got {axis!r}")
    return c


# ---------------------------------------------------------------------------------------
# nonzero
# ---------------------------------------------------------------------------------------


class Nonzero(Op):
    """``Nonzero()(a)``: ``numpy.nonzero``, one int64 index vector per dimension of ``a``.
    The outputs are integer: no gradient flows through them (disconnected)."""

    __props__ = ()
    differentiable = False

    def make_node(self, a: Any) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError("Nonzero: the input must have at least 1 dimension (got a 0-d tensor)")
        return Apply(self, [a], [TensorType("int64", (False,))() for _ in range(a.ndim)])

    def perform(self, node, inputs, output_storage, params=None):
        for store, idx in zip(output_storage, np.nonzero(inputs[0]), strict=True):
            store[0] = np.asarray(idx, dtype=np.int64)

    def connection_pattern(self, node):
        return [[False] * len(node.outputs)]

    def L_op(self, inputs, outputs, output_grads):
        return [disconnected_type()]


def nonzero(a: Any, return_matrix: bool = False):
    """``numpy.nonzero``: a tuple of index vectors, one per dimension; with
    ``return_matrix=True`` a (ndim, nnz) int64 matrix (Theano)."""
    outs = Nonzero()(a, return_list=True)
    if return_matrix:
        return stack(outs)
    return tuple(outs)


def flatnonzero(a: Any):
    """``numpy.flatnonzero``: indices of the non-zero elements of the flattened ``a``."""
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError("flatnonzero: the input must have at least 1 dimension (got a 0-d tensor)")
    return Nonzero()(a if a.ndim == 1 else a.flatten(), return_list=True)[0]


def nonzero_values(a: Any):
    """The non-zero elements of ``a`` in flattened order (``a[a.nonzero()]`` as a vector);
    differentiable with respect to ``a``."""
    a = as_tensor_variable(a)
    flat = a if a.ndim == 1 else a.flatten()
    return flat[flatnonzero(a)]


# ---------------------------------------------------------------------------------------
# bincount / searchsorted / unique
# ---------------------------------------------------------------------------------------


class BinCount(Op):
    """``BinCount()(x, minlength[, weights])``: ``numpy.bincount``. Without weights the counts
    are int64; with float/complex weights the result keeps the weights' dtype (float32
    stays float32, as Theano); integer weights give float64 as NumPy."""

    __props__ = ()

    def make_node(self, x: Any, minlength: Any, weights: Any = None) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 1 or x.dtype not in INTEGER_DTYPES:
            raise TypeError(f"BinCount: x must be an integer vector, got {x.type}")
        minlength = as_int_scalar(minlength, "BinCount", "minlength")
        ins = [x, minlength]
        dtype = "int64"
        if weights is not None:
            w = as_tensor_variable(weights)
            if w.ndim != 1:
                raise TypeError(f"BinCount: weights must be a vector like x, got {w.type}")
            dtype = w.dtype if w.dtype in FLOAT_DTYPES + COMPLEX_DTYPES else "float64"
            ins.append(w)
        return Apply(self, ins, [TensorType(dtype, (False,))()])

    def perform(self, node, inputs, output_storage, params=None):
        x, minlength, *w = inputs
        if x.size and x.min() < 0:
            raise ValueError(f"BinCount: x must be non-negative, got a minimum of {x.min()}")
        if w and w[0].shape != x.shape:
            raise ValueError(f"BinCount: weights shape {w[0].shape} differs from x shape {x.shape}")
        n = max(int(x.max()) + 1 if x.size else 0, int(minlength))
        dtype = node.outputs[0].type.numpy_dtype
        if not w:
            out = np.bincount(x, minlength=n)
        elif w[0].dtype == np.float64:
            out = np.bincount(x, w[0], minlength=n)
        else:
            out = np.zeros(n, dtype=dtype)
            np.add.at(out, x, w[0].astype(dtype, copy=False))
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def connection_pattern(self, node):
        return [[False], [False]] + ([[True]] if len(node.inputs) == 3 else [])

    def L_op(self, inputs, outputs, output_grads):
        if len(inputs) == 2:
            return [disconnected_type(), disconnected_type()]
        x, _, w = inputs
        gw = output_grads[0][x]
        if w.dtype in DISCRETE_DTYPES:
            gw = grad_for_discrete(w)
        elif gw.dtype != w.dtype:
            gw = gw.astype(w.dtype)
        return [disconnected_type(), disconnected_type(), gw]


def bincount(x: Any, weights: Any = None, minlength: Any = None, assert_nonneg: bool = False):
    """``numpy.bincount``: occurrences of each value in the non-negative int vector ``x``
    (weighted sums with ``weights``). Negative values are always a ValueError."""
    return BinCount()(
        x, 0 if minlength is None else minlength, *([] if weights is None else [weights])
    )


class SearchsortedOp(Op):
    """``SearchsortedOp(side)(x, v[, sorter])``: ``numpy.searchsorted``; int64 indices shaped
    like ``v``."""

    __props__ = ("side",)
    differentiable = False

    def __init__(self, side: str = "left") -> None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        self.side = side

    def make_node(self, x: Any, v: Any, sorter: Any = None) -> Apply:
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise TypeError(f"searchsorted: x must be a vector, got {x.type}")
        ins = [x, v]
        if sorter is not None:
            s = as_tensor_variable(sorter)
            if s.ndim != 1 or s.dtype not in INTEGER_DTYPES:
                raise TypeError(f"searchsorted: sorter must be an integer vector, got {s.type}")
            ins.append(s)
        return Apply(self, ins, [TensorType("int64", shape=v.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, v, *s = inputs
        out = np.searchsorted(x, v, side=self.side, sorter=s[0] if s else None)
        output_storage[0][0] = np.asarray(out, dtype=np.int64)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    def L_op(self, inputs, outputs, output_grads):
        return [disconnected_type() for _ in inputs]


def searchsorted(x: Any, v: Any, side: str = "left", sorter: Any = None):
    """``numpy.searchsorted``: where to insert ``v`` in the sorted vector ``x``."""
    return SearchsortedOp(side)(x, v, sorter)


class Unique(Op):
    """``Unique(return_index, return_inverse, return_counts, axis)(x)``: ``numpy.unique``.
    Not differentiable."""

    __props__ = ("return_index", "return_inverse", "return_counts", "axis")
    differentiable = False

    def __init__(self, return_index=False, return_inverse=False, return_counts=False, axis=None):
        self.return_index = bool(return_index)
        self.return_inverse = bool(return_inverse)
        self.return_counts = bool(return_counts)
        self.axis = None if axis is None else int(axis)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if self.axis is not None:
            ax = _norm_axis(self.axis, max(x.ndim, 1), "unique")
            if ax != self.axis:
                return Unique(
                    self.return_index, self.return_inverse, self.return_counts, ax
                ).make_node(x)
        probe = np.unique(
            np.zeros((1,) * x.ndim, dtype=x.dtype),
            return_index=self.return_index,
            return_inverse=self.return_inverse,
            return_counts=self.return_counts,
            axis=self.axis,
        )
        probe = probe if isinstance(probe, tuple) else (probe,)
        outs = [TensorType(x.dtype, (False,) * probe[0].ndim)()]
        outs += [TensorType("int64", (False,) * p.ndim)() for p in probe[1:]]
        return Apply(self, [x], outs)

    def perform(self, node, inputs, output_storage, params=None):
        res = np.unique(
            inputs[0],
            return_index=self.return_index,
            return_inverse=self.return_inverse,
            return_counts=self.return_counts,
            axis=self.axis,
        )
        res = res if isinstance(res, tuple) else (res,)
        for store, out, val in zip(output_storage, node.outputs, res, strict=True):
            store[0] = np.asarray(val, dtype=out.type.numpy_dtype)


def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Any = None,
):
    """``numpy.unique``: the sorted unique values (and optionally index/inverse/counts)."""
    outs = Unique(return_index, return_inverse, return_counts, _op_axis(axis, "unique"))(
        ar, return_list=True
    )
    return outs[0] if len(outs) == 1 else tuple(outs)


def to_one_hot(y: Any, nb_class: Any, dtype: Any = None):
    """Theano's ``to_one_hot``: the int vector ``y`` as a (len(y), nb_class) one-hot matrix
    (dtype floatX by default)."""
    y = as_tensor_variable(y)
    if y.ndim != 1 or y.dtype not in INTEGER_DTYPES:
        raise TypeError(f"to_one_hot: y must be an integer vector, got {y.type}")
    return eq(y.dimshuffle(0, "x"), arange(nb_class).dimshuffle("x", 0)).astype(
        resolve_dtype(dtype)
    )


def compress(condition: Any, x: Any, axis: Any = None):
    """``numpy.compress``: the slices of ``x`` along ``axis`` (flattened when None) where the
    vector ``condition`` is true; a shorter ``condition`` selects among the first entries."""
    condition = as_tensor_variable(condition)
    x = as_tensor_variable(x)
    if condition.ndim != 1:
        raise TypeError(f"compress: condition must be a vector, got {condition.type}")
    idx = Nonzero()(condition, return_list=True)[0]
    if axis is None:
        return (x if x.ndim == 1 else x.flatten())[idx]
    ax = _norm_axis(_op_axis(axis, "compress"), x.ndim, "compress")
    return x[(slice(None),) * ax + (idx,)]
