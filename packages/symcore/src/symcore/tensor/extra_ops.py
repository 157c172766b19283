"""NumPy's array routines as Ops: ``CumOp`` (``cumsum``/``cumprod``), ``RepeatOp``
(``repeat``), ``Tile`` (``tile``), ``Roll`` (``roll``) and ``diff``.

Theano's ``tensor.extra_ops`` also held ``bincount``, ``searchsorted``, ``Unique``,
``to_one_hot``, ``compress`` and ``fill_diagonal``: they live in ``symcore.tensor.search``
and ``symcore.tensor.diagonal`` and are importable from here too."""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.gradient.errors import grad_not_implemented
from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.alloc import as_int_scalar, const_int, grad_for_discrete, shape_as_int64
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.diagonal import FillDiagonal, fill_diagonal  # noqa: F401  (Theano's path)
from symcore.tensor.search import (  # noqa: F401  (Theano's extra_ops path)
    BinCount,
    SearchsortedOp,
    Unique,
    _norm_axis,
    _op_axis,
    bincount,
    compress,
    searchsorted,
    to_one_hot,
    unique,
)
from symcore.tensor.type import DISCRETE_DTYPES, INTEGER_DTYPES, TensorType, resolve_dtype

__all__ = [
    "CumOp",
    "CumprodGrad",
    "cumsum",
    "cumprod",
    "RepeatOp",
    "RepeatGrad",
    "repeat",
    "Tile",
    "TileGrad",
    "tile",
    "Roll",
    "roll",
    "diff",
]


def _static_size(x: Variable) -> int | None:
    """The number of elements of ``x`` when its static shape is fully known, else None."""
    shp = x.type.shape
    return None if None in shp else int(np.prod(shp, dtype=np.int64))


def _prod(entries):
    """The product of ints and/or scalar variables (``1`` when empty; no ``1 *`` term)."""
    out = 1
    for e in entries:
        out = e if isinstance(out, int) and out == 1 else out * e
    return out


def _flip(x: Variable, axis: int) -> Variable:
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


# ---------------------------------------------------------------------------------------
# cumsum / cumprod
# ---------------------------------------------------------------------------------------


class CumOp(Op):
    """``CumOp(axis, mode)(x)``: ``numpy.cumsum`` (mode ``'add'``) or ``numpy.cumprod``
    (``'mul'``); ``axis=None`` works on the flattened input. The dtype is NumPy's (small
    integers and bool accumulate in int64/uint64)."""

    __props__ = ("axis", "mode")

    def __init__(self, axis: int | None = None, mode: str = "add") -> None:
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis = None if axis is None else int(axis)
        self.mode = mode

    def __str__(self) -> str:
        return f"{'Cumsum' if self.mode == 'add' else 'Cumprod'}{{{self.axis}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        fn = np.cumsum if self.mode == "add" else np.cumprod
        dtype = resolve_dtype(fn(np.zeros(1, dtype=x.dtype)).dtype)
        if self.axis is None:
            return Apply(self, [x], [TensorType(dtype, shape=(_static_size(x),))()])
        if x.ndim == 0:
            raise ValueError(f"{self}: axis {self.axis} is out of range for a 0-d input")
        ax = _norm_axis(self.axis, x.ndim, str(self))
        if ax != self.axis:
            return CumOp(ax, self.mode).make_node(x)
        return Apply(self, [x], [TensorType(dtype, shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        fn = np.cumsum if self.mode == "add" else np.cumprod
        output_storage[0][0] = np.asarray(
            fn(inputs[0], axis=self.axis, dtype=node.outputs[0].type.numpy_dtype)
        )

    def infer_shape(self, node, input_shapes):
        if self.axis is None:
            return [(_prod(input_shapes[0]),)]
        return [input_shapes[0]]

    def L_op(self, inputs, outputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(x)]
        if self.mode == "mul":
            return [CumprodGrad(self.axis)(x, g)]
        if self.axis is None:
            gx = _flip(CumOp(0, "add")(_flip(g, 0)), 0).reshape(x.shape, ndim=x.ndim)
        else:
            gx = _flip(CumOp(self.axis, "add")(_flip(g, self.axis)), self.axis)
        return [gx.astype(x.dtype) if gx.dtype != x.dtype else gx]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        if self.mode == "add":
            return [self(eval_points[0])]
        raise NotImplementedError("R_op of cumprod is not implemented")


class CumprodGrad(Op):
    """``CumprodGrad(axis)(x, g)``: the gradient of ``cumprod(x, axis)`` for output gradient
    ``g``, exact where ``x`` has zeros (no division): ``prefix_excl(x)_i * s_i`` with the
    reverse recurrence ``s_i = g_i + x_{i+1} s_{i+1}``. Its own gradient (second order) is
    not implemented."""

    __props__ = ("axis",)
    differentiable = False

    def __init__(self, axis: int | None = None) -> None:
        self.axis = None if axis is None else int(axis)

    def make_node(self, x: Any, g: Any) -> Apply:
        x, g = as_tensor_variable(x), as_tensor_variable(g)
        return Apply(self, [x, g], [x.type.clone(shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, g = inputs
        shape = x.shape
        ax = 0 if self.axis is None else self.axis
        if self.axis is None:
            x = x.reshape(-1)
        dt = np.result_type(x.dtype, g.dtype)
        xm = np.moveaxis(x.astype(dt, copy=False), ax, 0)
        gm = np.moveaxis(g.astype(dt, copy=False), ax, 0)
        n = xm.shape[0]
        res = np.zeros(xm.shape, dtype=dt)
        if n:
            excl = np.ones(xm.shape, dtype=dt)
            np.cumprod(xm[:-1], axis=0, out=excl[1:])
            s = np.empty(xm.shape, dtype=dt)
            s[n - 1] = gm[n - 1]
            for i in range(n - 2, -1, -1):
                s[i] = gm[i] + xm[i + 1] * s[i + 1]
            res = excl * s
        res = np.moveaxis(res, 0, ax)
        output_storage[0][0] = np.asarray(
            res.reshape(shape), dtype=node.outputs[0].type.numpy_dtype
        )

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, inputs, outputs, output_grads):
        return [
            grad_not_implemented(self, i, v, "second derivative of cumprod")
            for i, v in enumerate(inputs)
        ]


def _cum(x: Any, axis: Any, mode: str):
    x = as_tensor_variable(x)
    return CumOp(_op_axis(axis, "cumsum" if mode == "add" else "cumprod"), mode)(x)


def cumsum(x: Any, axis: Any = None):
    """``numpy.cumsum``: cumulative sum along ``axis`` (flattened when None)."""
    return _cum(x, axis, "add")


def cumprod(x: Any, axis: Any = None):
    """``numpy.cumprod``: cumulative product along ``axis``; its gradient is exact at zeros."""
    return _cum(x, axis, "mul")


# ---------------------------------------------------------------------------------------
# repeat
# ---------------------------------------------------------------------------------------


def _as_repeats(repeats: Any, opname: str) -> Variable:
    r = as_tensor_variable(repeats)
    if isinstance(r, Constant) and r.dtype in INTEGER_DTYPES and r.dtype != "int64":
        r = constant(np.asarray(r.data, dtype="int64"))
    if r.ndim > 1 or r.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{opname}: repeats must be an integer scalar or vector, got {r.type}")
    if isinstance(r, Constant) and np.any(np.asarray(r.data) < 0):
        raise ValueError(f"{opname}: repeats must be non-negative, got {r.data}")
    return r


def _check_repeats(r: np.ndarray, n: int, opname: str, shape) -> None:
    if np.any(r < 0):
        raise ValueError(f"{opname}: repeats must be non-negative, got {r}")
    if r.ndim == 1 and r.shape[0] not in (1, n):
        raise ValueError(
            f"{opname}: repeats has {r.shape[0]} entries but the axis has length {n} "
            f"(input shape {shape})"
        )


class RepeatOp(Op):
    """``RepeatOp(axis)(x, repeats)``: ``numpy.repeat``; ``repeats`` is an int scalar or a
    vector with one count per element along ``axis`` (``axis=None``: flattened input)."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None = None) -> None:
        self.axis = None if axis is None else int(axis)

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x = as_tensor_variable(x)
        r = _as_repeats(repeats, str(self))
        if self.axis is None:
            n_in, shape = _static_size(x), [None]
            ax = 0
        else:
            if x.ndim == 0:
                raise ValueError(f"{self}: axis {self.axis} is out of range for a 0-d input")
            ax = _norm_axis(self.axis, x.ndim, str(self))
            if ax != self.axis:
                return RepeatOp(ax).make_node(x, r)
            n_in, shape = x.type.shape[ax], list(x.type.shape)
        if isinstance(r, Constant):
            rv = np.asarray(r.data)
            if rv.ndim == 1 and n_in is not None and rv.shape[0] not in (1, n_in):
                raise ValueError(
                    f"{self}: repeats has {rv.shape[0]} entries but the axis has length {n_in}"
                )
            if rv.ndim == 0 or rv.shape[0] == 1:
                shape[ax] = None if n_in is None else n_in * int(rv.reshape(-1)[0])
            else:
                shape[ax] = int(rv.sum())
        else:
            shape[ax] = None
        return Apply(self, [x, r], [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, r = inputs
        n = x.size if self.axis is None else x.shape[self.axis]
        _check_repeats(r, n, str(self), x.shape)
        output_storage[0][0] = np.repeat(x, r, axis=self.axis)

    def infer_shape(self, node, input_shapes):
        x, r = node.inputs
        xs = input_shapes[0]
        n = _prod(xs) if self.axis is None else xs[self.axis]
        if r.ndim == 0 or r.type.shape[0] == 1:
            rr = r if r.ndim == 0 else r[0]
            length = n * shape_as_int64(rr)
        else:
            length = r.sum().astype("int64") if r.dtype != "int64" else r.sum()
        if self.axis is None:
            return [(length,)]
        shp = list(xs)
        shp[self.axis] = length
        return [tuple(shp)]

    def connection_pattern(self, node):
        return [[True], [False]]

    def L_op(self, inputs, outputs, output_grads):
        x, r = inputs
        if x.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(x), disconnected_type()]
        return [RepeatGrad(self.axis)(x, output_grads[0], r), disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1])]


class RepeatGrad(Op):
    """``RepeatGrad(axis)(x, g, repeats)``: sums ``g`` over each group of repeated elements,
    giving an array shaped like ``x`` (the gradient of ``repeat``; ``x`` gives the shape)."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None = None) -> None:
        self.axis = None if axis is None else int(axis)

    def make_node(self, x: Any, g: Any, repeats: Any) -> Apply:
        x, g = as_tensor_variable(x), as_tensor_variable(g)
        r = _as_repeats(repeats, str(self))
        return Apply(self, [x, g, r], [TensorType(g.dtype, shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, g, r = inputs
        ax = 0 if self.axis is None else self.axis
        n = x.size if self.axis is None else x.shape[ax]
        _check_repeats(r, n, str(self), x.shape)
        counts = np.broadcast_to(r.reshape(-1) if r.ndim else r, (n,)).astype(np.int64)
        gm = np.moveaxis(g, ax, 0)
        out = np.zeros((n,) + gm.shape[1:], dtype=node.outputs[0].type.numpy_dtype)
        nz = counts > 0
        if nz.any():
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[nz]
            out[nz] = np.add.reduceat(gm, starts, axis=0)
        out = np.moveaxis(out, 0, ax)
        output_storage[0][0] = out.reshape(x.shape)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[False], [True], [False]]

    def L_op(self, inputs, outputs, output_grads):
        x, g, r = inputs
        gg = output_grads[0]
        if self.axis is None:
            gg = gg.flatten()
        return [disconnected_type(), RepeatOp(self.axis)(gg, r), disconnected_type()]


def repeat(x: Any, repeats: Any, axis: Any = None):
    """``numpy.repeat``: repeat elements of ``x`` ``repeats`` times (a scalar or one count per
    element) along ``axis`` (flattened when None)."""
    return RepeatOp(_op_axis(axis, "repeat"))(x, repeats)


# ---------------------------------------------------------------------------------------
# tile
# ---------------------------------------------------------------------------------------


def _reps_list(reps: Any, ndim: int | None) -> list[Any]:
    if isinstance(reps, (int, np.integer)) or (isinstance(reps, Variable) and reps.ndim == 0):
        return [reps]
    if isinstance(reps, np.ndarray):
        return [int(r) for r in reps.reshape(-1)]
    if isinstance(reps, Variable):
        if reps.ndim != 1 or reps.dtype not in INTEGER_DTYPES:
            raise TypeError(f"tile: reps must be an integer vector, got {reps.type}")
        if isinstance(reps, Constant):
            return [int(r) for r in reps.data]
        n = reps.type.shape[0] if reps.type.shape[0] is not None else ndim
        if n is None:
            raise ValueError("tile: the length of the symbolic reps vector is unknown; pass ndim=")
        return [reps[i] for i in range(n)]
    return list(reps)


class Tile(Op):
    """``Tile()(x, *reps)``: ``numpy.tile``; the output has ``max(x.ndim, len(reps))``
    dimensions (``x`` is padded with leading length-1 dimensions, ``reps`` with 1s)."""

    __props__ = ()

    def make_node(self, x: Any, *reps: Any) -> Apply:
        x = as_tensor_variable(x)
        rs = [as_int_scalar(r, "Tile", f"reps[{i}]") for i, r in enumerate(reps)]
        rs = [constant(c, dtype="int64") if (c := const_int(r)) is not None else r for r in rs]
        for r in rs:
            c = const_int(r)
            if c is not None and c < 0:
                raise ValueError(
                    f"Tile: reps must be non-negative, got {[const_int(e) for e in rs]}"
                )
        nd = max(x.ndim, len(rs))
        xs = (1,) * (nd - x.ndim) + tuple(x.type.shape)
        rc = [1] * (nd - len(rs)) + [const_int(r) for r in rs]
        shape = [
            0 if c == 0 else (None if s is None or c is None else s * c)
            for s, c in zip(xs, rc, strict=True)
        ]
        return Apply(self, [x, *rs], [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, *reps = inputs
        reps = [int(r) for r in reps]
        if any(r < 0 for r in reps):
            raise ValueError(f"Tile: reps must be non-negative, got {reps} (input shape {x.shape})")
        output_storage[0][0] = np.tile(x, reps) if reps else x.copy()

    def infer_shape(self, node, input_shapes):
        reps = [shape_as_int64(r) for r in node.inputs[1:]]
        nd = node.outputs[0].ndim
        xs = [1] * (nd - len(input_shapes[0])) + list(input_shapes[0])
        rs = [1] * (nd - len(reps)) + reps
        pairs = zip(xs, rs, strict=True)
        return [tuple(r if (isinstance(s, int) and s == 1) else s * r for s, r in pairs)]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def L_op(self, inputs, outputs, output_grads):
        x, *reps = inputs
        if x.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(x)] + [disconnected_type() for _ in reps]
        return [TileGrad()(x, output_grads[0], *reps)] + [disconnected_type() for _ in reps]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], *inputs[1:])]


class TileGrad(Op):
    """``TileGrad()(x, g, *reps)``: sums the ``reps`` tiles of ``g`` into an array shaped like
    ``x`` (the gradient of ``tile``; ``x`` gives the shape)."""

    __props__ = ()

    def make_node(self, x: Any, g: Any, *reps: Any) -> Apply:
        x, g = as_tensor_variable(x), as_tensor_variable(g)
        rs = [as_int_scalar(r, "TileGrad", f"reps[{i}]") for i, r in enumerate(reps)]
        return Apply(self, [x, g, *rs], [TensorType(g.dtype, shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, g, *reps = inputs
        nd = g.ndim
        rs = [1] * (nd - len(reps)) + [int(r) for r in reps]
        xs = [1] * (nd - x.ndim) + list(x.shape)
        inter = [v for pair in zip(rs, xs, strict=True) for v in pair]
        summed = g.reshape(inter).sum(axis=tuple(range(0, 2 * nd, 2)))
        output_storage[0][0] = np.asarray(summed, dtype=node.outputs[0].type.numpy_dtype).reshape(
            x.shape
        )

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[False], [True]] + [[False]] * (len(node.inputs) - 2)

    def L_op(self, inputs, outputs, output_grads):
        x, g, *reps = inputs
        return [disconnected_type(), Tile()(output_grads[0], *reps)] + [
            disconnected_type() for _ in reps
        ]


def tile(x: Any, reps: Any, ndim: int | None = None):
    """``numpy.tile``: ``x`` repeated ``reps`` times along each axis. ``reps`` is an int, a
    list of ints/int scalars, or an int vector (of known length, or give ``ndim``, the
    number of output dimensions)."""
    x = as_tensor_variable(x)
    rs = _reps_list(reps, ndim)
    if ndim is not None:
        if ndim < max(x.ndim, len(rs)):
            raise ValueError(
                f"tile: ndim={ndim} is less than the input's ({x.ndim}) or reps' ({len(rs)}) length"
            )
        rs = [1] * (ndim - len(rs)) + rs
    return Tile()(x, *rs)


# ---------------------------------------------------------------------------------------
# roll
# ---------------------------------------------------------------------------------------


class Roll(Op):
    """``Roll(axis)(x, shift)``: ``numpy.roll`` (``axis=None`` rolls the flattened array and
    keeps the shape)."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None = None) -> None:
        self.axis = None if axis is None else int(axis)

    def make_node(self, x: Any, shift: Any) -> Apply:
        x = as_tensor_variable(x)
        shift = as_int_scalar(shift, str(self), "shift")
        if self.axis is not None:
            if x.ndim == 0:
                raise ValueError(f"{self}: axis {self.axis} is out of range for a 0-d input")
            ax = _norm_axis(self.axis, x.ndim, str(self))
            if ax != self.axis:
                return Roll(ax).make_node(x, shift)
        return Apply(self, [x, shift], [x.type.clone(shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, shift = inputs
        output_storage[0][0] = np.roll(x, int(shift), axis=self.axis)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[True], [False]]

    def L_op(self, inputs, outputs, output_grads):
        x, shift = inputs
        if x.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(x), disconnected_type()]
        return [self(output_grads[0], -shift), disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1])]


def roll(x: Any, shift: Any, axis: Any = None):
    """``numpy.roll``: shift elements of ``x`` by ``shift`` along ``axis`` (flattened order
    when None); ``shift`` may be symbolic."""
    return Roll(_op_axis(axis, "roll"))(x, shift)


# ---------------------------------------------------------------------------------------
# diff, one-hot, compress
# ---------------------------------------------------------------------------------------


def diff(x: Any, n: int = 1, axis: int = -1):
    """``numpy.diff``: the ``n``-th discrete difference along ``axis`` (a graph of slices)."""
    x = as_tensor_variable(x)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: n must be a non-negative integer, got {n!r}")
    if x.ndim == 0:
        raise ValueError("diff: the input must have at least 1 dimension")
    ax = _norm_axis(int(axis), x.ndim, "diff")
    lead = (slice(None),) * ax
    for _ in range(int(n)):
        x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x
