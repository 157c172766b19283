"""Joining and splitting tensors: ``Join`` (``join``, ``concatenate``), ``stack``,
``Split`` (``split``), ``horizontal_stack`` and ``vertical_stack``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.op import Op
from symcore.graph.type import DisconnectedType, disconnected_type
from symcore.tensor.alloc import (
    as_int_scalar,
    const_int,
    grad_for_discrete,
    shape_as_int64,
    zeros_like,
)
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.elemwise import as_elemwise_inputs
from symcore.tensor.math import eq, lt, switch
from symcore.tensor.shape import MakeVector, patternbroadcast
from symcore.tensor.type import DISCRETE_DTYPES, INTEGER_DTYPES, TensorType, resolve_dtype

__all__ = [
    "Join",
    "join",
    "concatenate",
    "stack",
    "Split",
    "split",
    "horizontal_stack",
    "vertical_stack",
]


def _norm_axis(axis: int, ndim: int, opname: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{opname}: axis {axis} is out of range for {ndim}-d tensors")
    return axis % ndim


def _types(tensors: Sequence[Variable]) -> str:
    return ", ".join(str(t.type) for t in tensors)


def _symbolic_axis_dims(axis: Variable, ndim: int, on_axis: list, off_axis: list) -> list:
    """For a symbolic axis: ``switch(axis == d, on_axis[d], off_axis[d])`` per dimension."""
    axis = axis.astype("int64") if axis.dtype != "int64" else axis
    ax = switch(lt(axis, 0), axis + ndim, axis)
    return [switch(eq(ax, d), on_axis[d], off_axis[d]) for d in range(ndim)]


class Join(Op):
    """``Join()(axis, *tensors)``: ``numpy.concatenate(tensors, axis)``.

    ``axis`` is the first input: a constant or a symbolic int scalar. The output dtype is
    NumPy's ``result_type`` of the inputs. Along the join axis the output's static length
    is the sum of the inputs' when all are known.
    """

    __props__ = ()

    def make_node(self, axis: Any, *tensors: Any) -> Apply:
        if not tensors:
            raise ValueError("Join: needs at least one tensor to join")
        tensors = [as_tensor_variable(t) for t in tensors]
        axis = as_int_scalar(axis, "Join", "axis")
        ndim = tensors[0].ndim
        if ndim == 0:
            raise TypeError("Join: cannot join 0-d tensors (scalars); use stack() for scalars")
        if any(t.ndim != ndim for t in tensors):
            raise TypeError(
                f"Join: all tensors must have the same number of dimensions, got {_types(tensors)}"
            )
        dtype = resolve_dtype(np.result_type(*[t.dtype for t in tensors]))
        ax = const_int(axis)
        if ax is None:
            shape: list[int | None] = [None] * ndim
        else:
            ax = _norm_axis(ax, ndim, "Join")
            axis = constant(ax, dtype="int64")
            shape = []
            for d in range(ndim):
                sizes = [t.type.shape[d] for t in tensors]
                if d == ax:
                    shape.append(None if None in sizes else sum(sizes))
                    continue
                known = {s for s in sizes if s is not None}
                if len(known) > 1:
                    raise ValueError(
                        f"Join(axis={ax}): the tensors' static shapes differ on dimension {d}: "
                        f"{[t.type.shape for t in tensors]}"
                    )
                shape.append(known.pop() if known else None)
        return Apply(self, [axis, *tensors], [TensorType(dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        axis, *arrays = inputs
        ndim = arrays[0].ndim
        ax = int(axis)
        if not -ndim <= ax < ndim:
            raise ValueError(f"Join: axis {ax} is out of range for {ndim}-d arrays")
        try:
            out = np.concatenate(arrays, axis=ax, dtype=node.outputs[0].type.numpy_dtype)
        except ValueError as exc:
            shapes = ", ".join(f"{a.shape} {a.dtype}" for a in arrays)
            raise ValueError(
                f"Join(axis={ax}): cannot join arrays of shapes {shapes}: {exc}"
            ) from exc
        output_storage[0][0] = out

    def infer_shape(self, node, input_shapes):
        axis = node.inputs[0]
        shapes = input_shapes[1:]
        ndim = len(shapes[0])
        ax = const_int(axis)
        totals = [reduce(lambda a, b: a + b, [s[d] for s in shapes]) for d in range(ndim)]
        if ax is not None:
            return [tuple(totals[d] if d == ax else shapes[0][d] for d in range(ndim))]
        return [tuple(_symbolic_axis_dims(axis, ndim, totals, list(shapes[0])))]

    def connection_pattern(self, node):
        return [[False]] + [[True]] * (len(node.inputs) - 1)

    def L_op(self, inputs, outputs, output_grads):
        axis, *tensors = inputs
        gz = output_grads[0]
        if outputs[0].dtype in DISCRETE_DTYPES:
            return [disconnected_type()] + [grad_for_discrete(t) for t in tensors]
        sizes = []
        ax = const_int(axis)
        for t in tensors:
            static = t.type.shape[ax] if ax is not None else None
            sizes.append(
                static
                if static is not None
                else shape_as_int64(t.shape[axis if ax is None else ax])
            )
        parts = split(
            gz,
            stack(sizes) if any(isinstance(s, Variable) for s in sizes) else sizes,
            len(tensors),
            axis,
        )
        if not isinstance(parts, list):
            parts = [parts]
        grads = []
        for t, g in zip(tensors, parts, strict=True):
            if t.dtype in DISCRETE_DTYPES:
                grads.append(grad_for_discrete(t))
                continue
            if g.dtype != t.dtype:
                g = g.astype(t.dtype)
            if g.type.broadcastable != t.type.broadcastable:
                g = patternbroadcast(g, t.type.broadcastable)
            grads.append(g)
        return [disconnected_type()] + grads

    def R_op(self, inputs, eval_points):
        evs = eval_points[1:]
        if all(e is None for e in evs):
            return [None]
        evs = [zeros_like(t) if e is None else e for t, e in zip(inputs[1:], evs, strict=True)]
        return [self(inputs[0], *evs)]


join_op = Join()


def join(axis: Any, *tensors_list: Any):
    """``numpy.concatenate(tensors_list, axis)`` (Theano's argument order). Joining a single
    tensor returns it unchanged."""
    if len(tensors_list) == 1:
        t = as_tensor_variable(tensors_list[0])
        ax = const_int(axis)
        if ax is not None and t.ndim > 0:
            _norm_axis(ax, t.ndim, "join")
        return t
    return join_op(axis, *tensors_list)


def concatenate(tensor_list: Sequence[Any], axis: Any = 0):
    """``numpy.concatenate``: join a list/tuple of tensors along ``axis`` (``axis=None``
    joins the flattened tensors)."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError(
            "concatenate: the first argument must be a list or tuple of tensors, got "
            f"{type(tensor_list).__name__} (did you mean concatenate([x, y], axis)?)"
        )
    if not tensor_list:
        raise ValueError("concatenate: needs at least one tensor")
    if axis is None:
        flat = [as_tensor_variable(t) for t in tensor_list]
        return join(0, *[t if t.ndim == 1 else t.flatten() for t in flat])
    return join(axis, *tensor_list)


def stack(*tensors: Any, axis: int = 0):
    """``numpy.stack``: join tensors of equal shape along a new axis.

    ``stack([a, b, c], axis=0)`` (also ``stack([a, b], 1)``), and Theano's old form
    ``stack(a, b, c)`` with the tensors as separate arguments. Python scalars follow the
    other operands' dtype; 0-d tensors give a vector built by one ``MakeVector`` node.
    """
    if not tensors:
        raise ValueError("stack: nothing to stack")
    if isinstance(tensors[0], (list, tuple)):
        if len(tensors) > 2:
            raise TypeError("stack: use stack([a, b, ...], axis) or stack(a, b, ...)")
        if len(tensors) == 2:
            axis = tensors[1]
        items = list(tensors[0])
    else:
        items = list(tensors)
    if not items:
        raise ValueError("stack: nothing to stack (empty list)")
    ax = const_int(axis)
    if ax is None:
        raise TypeError(f"stack: axis must be a constant integer, got {axis!r}")
    vars_ = as_elemwise_inputs(*items)  # Python scalars are weak (NEP 50)
    ndim = vars_[0].ndim
    if any(v.ndim != ndim for v in vars_):
        raise TypeError(
            f"stack: all tensors must have the same number of dimensions, got {_types(vars_)}"
        )
    ax = _norm_axis(ax, ndim + 1, "stack")
    if ndim == 0:  # scalars: one MakeVector node, which shape rewrites understand (Theano)
        return MakeVector(resolve_dtype(np.result_type(*[v.dtype for v in vars_])))(*vars_)
    pattern = list(range(ax)) + ["x"] + list(range(ax, ndim))
    return join(ax, *[v.dimshuffle(pattern) for v in vars_])


class Split(Op):
    """``Split(len_splits)(x, axis, splits)``: ``x`` cut along ``axis`` into ``len_splits``
    pieces of lengths ``splits`` (an int vector summing to ``x.shape[axis]``). The pieces are
    views of ``x``."""

    __props__ = ("len_splits",)

    def __init__(self, len_splits: int) -> None:
        self.len_splits = int(len_splits)
        if self.len_splits < 1:
            raise ValueError(f"Split: len_splits must be at least 1, got {len_splits}")
        self.view_map = {i: [0] for i in range(self.len_splits)}

    def make_node(self, x: Any, axis: Any, splits: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise TypeError("Split: cannot split a 0-d tensor")
        axis = as_int_scalar(axis, "Split", "axis")
        splits = as_tensor_variable(splits)
        if (
            isinstance(splits, Constant)
            and splits.ndim == 1
            and splits.dtype != "int64"
            and splits.dtype in INTEGER_DTYPES
        ):
            splits = constant(np.asarray(splits.data, dtype="int64"))
        if splits.ndim != 1 or splits.dtype not in INTEGER_DTYPES:
            raise TypeError(f"Split: splits must be an integer vector, got {splits.type}")
        n = splits.type.shape[0]
        if n is not None and n != self.len_splits:
            raise ValueError(f"Split: expected {self.len_splits} split sizes, got {n}")
        sizes = [None] * self.len_splits
        if isinstance(splits, Constant):
            sizes = [int(s) for s in splits.data]
            if any(s < 0 for s in sizes):
                raise ValueError(f"Split: negative split size in {sizes}")
        ax = const_int(axis)
        if ax is None:
            out_shapes = [[None] * x.ndim for _ in sizes]
        else:
            ax = _norm_axis(ax, x.ndim, "Split")
            axis = constant(ax, dtype="int64")
            total = x.type.shape[ax]
            if total is not None and None not in sizes and sum(sizes) != total:
                raise ValueError(
                    f"Split: split sizes {sizes} do not add up to the length {total} of axis {ax}"
                )
            out_shapes = []
            for s in sizes:
                shp = list(x.type.shape)
                shp[ax] = s
                out_shapes.append(shp)
        outs = [TensorType(x.dtype, shape=shp)() for shp in out_shapes]
        return Apply(self, [x, axis, splits], outs)

    def perform(self, node, inputs, output_storage, params=None):
        x, axis, splits = inputs
        ax = int(axis)
        if not -x.ndim <= ax < x.ndim:
            raise ValueError(f"Split: axis {ax} is out of range for an array of shape {x.shape}")
        if len(splits) != self.len_splits:
            raise ValueError(
                f"Split: expected {self.len_splits} split sizes, got {len(splits)} ({list(splits)})"
            )
        if np.any(splits < 0):
            raise ValueError(f"Split: negative split size in {list(splits)}")
        if int(np.sum(splits)) != x.shape[ax]:
            raise ValueError(
                f"Split: split sizes {list(splits)} add up to {int(np.sum(splits))}, not to the "
                f"length {x.shape[ax]} of axis {ax} of an array of shape {x.shape}"
            )
        pieces = np.split(x, np.cumsum(splits)[:-1], axis=ax)
        for store, piece in zip(output_storage, pieces, strict=True):
            store[0] = piece

    def infer_shape(self, node, input_shapes):
        x, axis, splits = node.inputs
        xshp = list(input_shapes[0])
        ax = const_int(axis)
        res = []
        for i in range(self.len_splits):
            si = int(splits.data[i]) if isinstance(splits, Constant) else shape_as_int64(splits[i])
            if ax is not None:
                shp = list(xshp)
                shp[ax] = si
                res.append(tuple(shp))
            else:
                res.append(tuple(_symbolic_axis_dims(axis, len(xshp), [si] * len(xshp), xshp)))
        return res

    def connection_pattern(self, node):
        n = self.len_splits
        return [[True] * n, [False] * n, [False] * n]

    def L_op(self, inputs, outputs, output_grads):
        x, axis, splits = inputs
        if all(isinstance(g.type, DisconnectedType) for g in output_grads):
            return [disconnected_type() for _ in inputs]
        if x.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(x), disconnected_type(), disconnected_type()]
        gs = [
            zeros_like(o) if isinstance(g.type, DisconnectedType) else g
            for o, g in zip(outputs, output_grads, strict=True)
        ]
        gx = join(axis, *gs)
        if gx.dtype != x.dtype:
            gx = gx.astype(x.dtype)
        return [gx, disconnected_type(), disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None] * self.len_splits
        return self(eval_points[0], inputs[1], inputs[2], return_list=True)


def split(x: Any, splits_size: Any, n_splits: int, axis: Any = 0):
    """Theano's ``split(x, splits_size, n_splits, axis=0)``: pieces of ``x`` of lengths
    ``splits_size`` (list or int vector) along ``axis``. Returns a list (or the single piece
    when ``n_splits`` is 1)."""
    return Split(n_splits)(x, axis, splits_size)


def _unwrap(args: tuple) -> list:
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return list(args[0])
    return list(args)


def horizontal_stack(*args: Any):
    """Join along the second axis (``numpy.hstack``: vectors are joined end to end)."""
    ts = [as_tensor_variable(a) for a in _unwrap(args)]
    if not ts:
        raise ValueError("horizontal_stack: nothing to stack")
    if all(t.ndim == 1 for t in ts):
        return join(0, *ts)
    if any(t.ndim < 2 for t in ts):
        raise TypeError(
            f"horizontal_stack: expected tensors of at least 2 dimensions, got {_types(ts)}"
        )
    return join(1, *ts)


def vertical_stack(*args: Any):
    """Join along the first axis (``numpy.vstack``: vectors become rows)."""
    ts = [as_tensor_variable(a) for a in _unwrap(args)]
    if not ts:
        raise ValueError("vertical_stack: nothing to stack")
    ts = [t.dimshuffle("x", 0) if t.ndim == 1 else t for t in ts]
    if any(t.ndim < 2 for t in ts):
        raise TypeError(f"vertical_stack: expected vectors or matrices, got {_types(ts)}")
    return join(0, *ts)
