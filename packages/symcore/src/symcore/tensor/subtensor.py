"""Basic indexing: ``Subtensor`` (``x[2:, i, ::-1, None]``, a view) and ``IncSubtensor``
(``set_subtensor``/``inc_subtensor`` of such a view), plus the index bookkeeping shared
with the advanced-indexing Ops.

An Op's ``idx_list`` describes the index structure and stays hashable: each entry is
``None`` (np.newaxis), a placeholder type (a 0-d ``TensorType`` standing for an integer
index read from an input), or a ``slice`` whose start/stop/step are ``None`` or
placeholders. Every integer, constant or symbolic, is an input, so ``x[0]`` and ``x[1]``
share one Op. Advanced Ops use array placeholders (``TensorType`` of ndim >= 1, or of
dtype bool) in the same list.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.shape import (
    _const_int,
    patternbroadcast,
    sh_add,
    sh_floordiv,
    sh_lt,
    sh_max,
    sh_min,
    sh_neg,
    sh_sub,
    sh_switch,
    sh_var,
)
from symcore.tensor.type import DISCRETE_DTYPES, INTEGER_DTYPES, TensorType

__all__ = ["Subtensor", "IncSubtensor", "get_idx_list", "slice_length"]


def _T():
    """The ``symcore.tensor`` namespace at call time (see ``shape._T``)."""
    return sys.modules["symcore.tensor"]


def _floatX() -> str:
    from symcore.config import config

    return config.floatX


# ---------------------------------------------------------------------------------------
# idx_list bookkeeping
# ---------------------------------------------------------------------------------------


def is_placeholder(entry: Any) -> bool:
    return isinstance(entry, TensorType)


def make_idx_list(entries: Sequence[Any]) -> tuple[tuple, list[Variable]]:
    """Split index entries (None, slices, index variables) into an Op's ``idx_list`` and
    the list of index inputs. Entries must already be variables (or None)."""
    idx_list: list[Any] = []
    inputs: list[Variable] = []

    def conv(p):
        if p is None:
            return None
        inputs.append(p)
        return p.type

    for e in entries:
        if e is None:
            idx_list.append(None)
        elif isinstance(e, slice):
            idx_list.append(slice(conv(e.start), conv(e.stop), conv(e.step)))
        elif isinstance(e, Variable):
            idx_list.append(conv(e))
        else:
            raise TypeError(f"make_idx_list: unexpected index entry {e!r}")
    return tuple(idx_list), inputs


def get_idx_list(inputs: Sequence[Any], idx_list: Sequence[Any]) -> list[Any]:
    """``idx_list`` with its placeholders replaced, in order, by ``inputs`` (values or
    variables)."""
    it = iter(inputs)

    def sub(p):
        return None if p is None else next(it)

    out = []
    for e in idx_list:
        if e is None:
            out.append(None)
        elif isinstance(e, slice):
            out.append(slice(sub(e.start), sub(e.stop), sub(e.step)))
        else:
            out.append(next(it))
    return out


def count_placeholders(idx_list: Sequence[Any]) -> int:
    n = 0
    for e in idx_list:
        if isinstance(e, slice):
            n += sum(p is not None for p in (e.start, e.stop, e.step))
        elif e is not None:
            n += 1
    return n


def idx_list_key(idx_list: Sequence[Any]) -> tuple:
    """A hashable form of ``idx_list`` (slices are unhashable before Python 3.12)."""
    return tuple(
        ("slice", e.start, e.stop, e.step) if isinstance(e, slice) else e for e in idx_list
    )


def _entry_str(p: Any) -> str:
    return "" if p is None else p.dtype if p.ndim == 0 else f"{p.dtype}[{p.ndim}d]"


def idx_list_str(idx_list: Sequence[Any]) -> str:
    parts = []
    for e in idx_list:
        if e is None:
            parts.append("newaxis")
        elif isinstance(e, slice):
            s = f"{_entry_str(e.start)}:{_entry_str(e.stop)}"
            if e.step is not None:
                s += f":{_entry_str(e.step)}"
            parts.append(s)
        else:
            parts.append(_entry_str(e))
    return ", ".join(parts)


def check_index_inputs(op: Op, idx_list: Sequence[Any], inputs: Sequence[Any]) -> list[Variable]:
    """Index inputs as variables matching the placeholders of ``idx_list``."""
    placeholders = []
    for e in idx_list:
        if isinstance(e, slice):
            placeholders.extend(p for p in (e.start, e.stop, e.step) if p is not None)
        elif e is not None:
            placeholders.append(e)
    if len(inputs) != len(placeholders):
        raise TypeError(f"{op}: expected {len(placeholders)} index inputs, got {len(inputs)}")
    out = []
    for k, (p, v) in enumerate(zip(placeholders, inputs, strict=True)):
        if not isinstance(v, Variable):
            v = constant(np.asarray(v), dtype=p.dtype)
        v = as_tensor_variable(v)
        if v.type != p:
            if v.ndim == p.ndim and v.dtype == p.dtype:
                v = p.filter_variable(v)
            else:
                raise TypeError(f"{op}: index input {k} ({v}) has type {v.type}, expected {p}")
        out.append(v)
    return out


def _index_value(v: Any) -> int:
    return int(np.asarray(v))


def runtime_index(idx_list: Sequence[Any], values: Sequence[Any]) -> tuple:
    """The NumPy index for ``idx_list`` given the index input values (basic entries only)."""
    out = []
    for e in get_idx_list(values, idx_list):
        if isinstance(e, slice):
            out.append(
                slice(*(None if p is None else _index_value(p) for p in (e.start, e.stop, e.step)))
            )
        elif e is None:
            out.append(None)
        else:
            arr = np.asarray(e)
            out.append(int(arr) if arr.ndim == 0 and arr.dtype.kind in "iu" else arr)
    return tuple(out)


def describe_index(index: tuple) -> str:
    def one(e):
        if isinstance(e, slice):
            return (
                ":".join("" if p is None else str(p) for p in (e.start, e.stop, e.step)).rstrip(":")
                or ":"
            )
        if e is None:
            return "None"
        if isinstance(e, np.ndarray) and e.ndim > 0:
            return (
                f"array(shape={e.shape}, dtype={e.dtype})"
                if e.size > 8
                else np.array2string(e, separator=",")
            )
        return str(e)

    return "[" + ", ".join(one(e) for e in index) + "]"


# ---------------------------------------------------------------------------------------
# static types and symbolic lengths of basic indexing
# ---------------------------------------------------------------------------------------


def basic_output_type(x: Variable, entries: Sequence[Any], who: str) -> TensorType:
    """The type of ``x[entries]`` for basic entries (None, slices, integer scalars).

    A slice of a broadcastable dimension stays broadcastable only when it provably has
    length 1 (Theano's rule); other static lengths are kept when known and not 1.
    """
    used = sum(1 for e in entries if e is not None)
    if used > x.ndim:
        raise IndexError(
            f"{who}: too many indices for tensor {x}: it is {x.ndim}-dimensional, but {used} were "
            "indexed"
        )
    bc: list[bool] = []
    static: list[int | None] = []
    d = 0
    for e in list(entries) + [slice(None)] * (x.ndim - used):
        if e is None:
            bc.append(True)
            static.append(1)
            continue
        n, xb = x.type.shape[d], x.broadcastable[d]
        d += 1
        if isinstance(e, slice):
            b, length = slice_static(e, n, xb, who)
            bc.append(b)
            static.append(length)
        else:
            c = _const_int(e)
            if c is not None and n is not None and not -n <= c < n:
                raise IndexError(
                    f"{who}: index {c} is out of bounds for axis {d - 1} with size {n} "
                    f"({x} has static shape {x.type.shape})"
                )
    return TensorType(x.dtype, broadcastable=bc, shape=static)


def slice_static(e: slice, n: int | None, xb: bool, who: str) -> tuple[bool, int | None]:
    """(broadcastable, static length or None) of slicing a dimension of static length
    ``n`` (broadcastable when ``xb``) with the slice ``e`` of variables/None."""
    parts = [None if p is None else _const_int(p) for p in (e.start, e.stop, e.step)]
    known = all(
        p is None or c is not None for p, c in zip((e.start, e.stop, e.step), parts, strict=True)
    )
    if parts[2] == 0:
        raise ValueError(f"{who}: slice step cannot be zero")
    if known and n is not None:
        length: int | None = len(range(*slice(*parts).indices(n)))
    elif xb and e.start is None and e.stop is None:
        length = 1
    else:
        length = None
    b = bool(xb and length == 1)
    return b, (None if (length == 1 and not b) else length)


def slice_length(n: Any, start: Any = None, stop: Any = None, step: Any = None) -> Any:
    """Length of ``range(n)[start:stop:step]`` with NumPy's clipping rules.

    Arguments are ints, None or integer scalar variables; the result is an int when all
    are known, else a symbolic int64 scalar.
    """
    c_step = 1 if step is None else _const_int(step)
    if c_step == 0:
        raise ValueError("slice step cannot be zero")
    if c_step is not None:
        if c_step > 0:
            return _len_pos(n, start, stop, c_step)
        return _len_neg(n, start, stop, c_step)
    return sh_switch(sh_lt(0, step), _len_pos(n, start, stop, step), _len_neg(n, start, stop, step))


def _wrap(i: Any, n: Any) -> Any:
    return sh_switch(sh_lt(i, 0), sh_add(i, n), i)


def _len_pos(n, start, stop, step):
    lo = 0 if start is None else sh_min(sh_max(_wrap(start, n), 0), n)
    hi = n if stop is None else sh_min(sh_max(_wrap(stop, n), 0), n)
    return sh_max(0, sh_floordiv(sh_add(sh_sub(hi, lo), sh_sub(step, 1)), step))


def _len_neg(n, start, stop, step):
    last = sh_sub(n, 1)
    hi = last if start is None else sh_min(sh_max(_wrap(start, n), -1), last)
    lo = -1 if stop is None else sh_min(sh_max(_wrap(stop, n), -1), last)
    neg = sh_neg(step)
    return sh_max(0, sh_floordiv(sh_add(sh_sub(hi, lo), sh_sub(neg, 1)), neg))


def basic_infer_shape(entries: Sequence[Any], xshape: Sequence[Any]) -> tuple:
    """Symbolic shape of ``x[entries]`` (basic entries holding variables) from ``x``'s shape."""
    out = []
    d = 0
    used = sum(1 for e in entries if e is not None)
    for e in list(entries) + [slice(None)] * (len(xshape) - used):
        if e is None:
            out.append(sh_var(1))
        elif isinstance(e, slice):
            out.append(sh_var(slice_length(xshape[d], e.start, e.stop, e.step)))
            d += 1
        else:
            d += 1
    return tuple(out)


# ---------------------------------------------------------------------------------------
# helpers shared by the Inc* Ops
# ---------------------------------------------------------------------------------------


def as_inc_value(y: Any, x: Variable, who: str) -> Variable:
    """``y`` as a tensor to store into ``x``: Python scalars are weak (take ``x``'s dtype
    when they fit), others must cast to ``x``'s dtype with NumPy's same_kind rule."""
    if isinstance(y, (bool, int, float, complex)) and not isinstance(y, Variable):
        kind = np.dtype(x.dtype).kind
        ok = (
            isinstance(y, bool)
            or (isinstance(y, int) and kind in "iufc")
            or (isinstance(y, float) and kind in "fc")
            or (isinstance(y, complex) and kind == "c")
        )
        if ok and isinstance(y, int) and not isinstance(y, bool) and kind in "iu":
            info = np.iinfo(x.dtype)
            ok = info.min <= y <= info.max
        if not ok:
            raise TypeError(
                f"{who}: the Python value {y!r} cannot be stored in {x} of dtype {x.dtype}"
            )
        return constant(y, dtype=x.dtype)
    y = as_tensor_variable(y)
    if not np.can_cast(np.dtype(y.dtype), np.dtype(x.dtype), "same_kind"):
        raise TypeError(
            f"{who}: cannot store values of dtype {y.dtype} ({y}) into {x} of dtype {x.dtype} "
            "without changing their kind; cast them explicitly"
        )
    return y


def check_inc_value(who: str, sub_type: TensorType, y: Variable) -> None:
    """``y`` must broadcast (statically, as far as known) to the indexed region."""
    if y.ndim > sub_type.ndim:
        raise ValueError(
            f"{who}: trying to set or increment a {sub_type.ndim}-d subtensor with a {y.ndim}-d "
            f"value {y} (type {y.type})"
        )
    for ys, ss in zip(reversed(y.type.shape), reversed(sub_type.shape), strict=False):
        if ys is not None and ss is not None and ys != ss and ys != 1:
            raise ValueError(
                f"{who}: a value of static shape {y.type.shape} cannot be broadcast to the "
                f"indexed region of static shape {sub_type.shape}"
            )


def sum_grad_over_broadcast_dims(y: Variable, gy: Variable) -> Variable:
    """Reduce ``gy`` (gradient w.r.t. a value broadcast to ``gy``'s shape) to ``y``'s type."""
    added = gy.ndim - y.ndim
    y_bc = (True,) * added + tuple(y.broadcastable)
    axes = [i for i in range(gy.ndim) if y_bc[i] and not gy.broadcastable[i]]
    if axes:
        gy = _T().sum(gy, axis=axes, keepdims=True)
        gy = patternbroadcast(gy, [b or i in axes for i, b in enumerate(gy.broadcastable)])
    if added:
        gy = _T().dimshuffle(gy, list(range(added, gy.ndim)))
    if gy.broadcastable != y.broadcastable:
        gy = patternbroadcast(gy, y.broadcastable)
    if gy.dtype != y.dtype:
        gy = _T().cast(gy, y.dtype)
    return gy


def discrete_zeros(v: Variable) -> Variable:
    """The zero gradient Theano gives an integer input (in floatX)."""
    return _T().zeros_like(v, dtype=_floatX())


def inc_grads(
    x: Variable, y: Variable, g: Variable, set_instead_of_inc: bool, rebuild_set, take, winners=None
) -> list:
    """Gradients of ``x[idx] = y`` / ``x[idx] += y`` w.r.t. ``x`` and ``y``.

    ``rebuild_set(g, zero)`` sets the indexed region of ``g`` to zero; ``take(g)`` indexes it.
    ``winners()`` (advanced set only) is a boolean mask over the indexed region, true where
    the write is the one that lands (repeated indices: the last); other writes get no
    gradient.
    """
    if x.dtype in DISCRETE_DTYPES:
        gy = discrete_zeros(y) if y.dtype in DISCRETE_DTYPES else _T().zeros_like(y)
        return [discrete_zeros(x), gy]
    gx = rebuild_set(g, constant(0, dtype=g.dtype)) if set_instead_of_inc else g
    if y.dtype in DISCRETE_DTYPES:
        gy = discrete_zeros(y)
    else:
        region = take(g)
        if set_instead_of_inc and winners is not None:
            region = _T().switch(winners(), region, constant(0, dtype=region.dtype))
        gy = sum_grad_over_broadcast_dims(y, region)
    return [gx, gy]


# ---------------------------------------------------------------------------------------
# Subtensor
# ---------------------------------------------------------------------------------------


class IndexReadMixin:
    """``connection_pattern``, ``grad`` and ``R_op`` of the Ops computing ``x[index]`` from
    inputs ``(x, *index_inputs)``; the class names the Op scattering a gradient back in
    ``grad_inc_op``."""

    def grad_inc_op(self) -> Op:
        """The Op adding ``g`` into ``x[index]``: called as ``op(x, g, *index_inputs)``."""
        raise NotImplementedError

    def connection_pattern(self, node):
        """Only ``x`` is connected to the output; the index inputs are not."""
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def grad(self, inputs, output_grads):
        """``g`` scattered into zeros shaped like ``x`` (zeros for a discrete ``x``)."""
        x, rest = inputs[0], list(inputs[1:])
        (g,) = output_grads
        if x.dtype in DISCRETE_DTYPES:
            first = discrete_zeros(x)
        else:
            first = self.grad_inc_op()(_T().zeros_like(x), g, *rest)
        return [first] + [disconnected_type() for _ in rest]

    def R_op(self, inputs, eval_points):
        """The same indexing applied to ``x``'s evaluation point."""
        if eval_points[0] is None:
            return [None]
        return self.make_node(eval_points[0], *inputs[1:]).outputs


class IndexIncMixin:
    """``connection_pattern`` and ``R_op`` of the Ops adding (or setting) ``y`` into
    ``x[index]`` from inputs ``(x, y, *index_inputs)``."""

    def connection_pattern(self, node):
        """``x`` and ``y`` are connected to the output; the index inputs are not."""
        return [[True], [True]] + [[False]] * (len(node.inputs) - 2)

    def R_op(self, inputs, eval_points):
        """The same increment applied to the evaluation points of ``x`` and ``y``."""
        if eval_points[0] is None or eval_points[1] is None:
            return [None]
        return self.make_node(eval_points[0], eval_points[1], *inputs[2:]).outputs


class Subtensor(IndexReadMixin, Op):
    """Basic indexing ``x[idx]`` (integers, slices, newaxis); the output is a view of ``x``."""

    __props__ = ("idx_list",)
    view_map = {0: [0]}

    def __init__(self, idx_list: Iterable[Any]) -> None:
        idx_list = tuple(idx_list)
        for e in idx_list:
            parts = (e.start, e.stop, e.step) if isinstance(e, slice) else (e,)
            for p in parts:
                if p is not None and not (
                    is_placeholder(p) and p.ndim == 0 and p.dtype in INTEGER_DTYPES
                ):
                    raise TypeError(
                        f"Subtensor: idx_list entries must be None, integer scalar placeholder "
                        f"types or slices of them, got {p!r}"
                    )
        self.idx_list = idx_list

    def __hash__(self) -> int:
        return hash((type(self), idx_list_key(self.idx_list)))

    def __str__(self) -> str:
        return f"Subtensor{{{idx_list_str(self.idx_list)}}}"

    __repr__ = __str__

    def make_node(self, x: Any, *inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        inputs = check_index_inputs(self, self.idx_list, inputs)
        entries = get_idx_list(inputs, self.idx_list)
        if x.ndim == 0 and any(e is not None for e in entries):
            raise IndexError(
                f"{self}: cannot index the 0-d tensor {x} (a scalar has no dimensions to index)"
            )
        out_type = basic_output_type(x, entries, str(self))
        return Apply(self, [x, *inputs], [out_type()])

    def perform(self, node, inputs, output_storage, params=None):
        x = inputs[0]
        index = runtime_index(self.idx_list, inputs[1:])
        try:
            out = x[index + (Ellipsis,)]
        except IndexError as exc:
            raise IndexError(
                f"{self}: index {describe_index(index)} is out of bounds for an input of shape "
                f"{x.shape}: {exc}"
            ) from exc
        except ValueError as exc:
            raise ValueError(
                f"{self}: invalid index {describe_index(index)} for an input of shape {x.shape}: "
                f"{exc}"
            ) from exc
        output_storage[0][0] = out

    def infer_shape(self, node, input_shapes):
        entries = get_idx_list(node.inputs[1:], self.idx_list)
        return [basic_infer_shape(entries, input_shapes[0])]

    def grad_inc_op(self) -> Op:
        return IncSubtensor(self.idx_list)

    def scalar_constant_value(self, node: Apply, var: Variable):
        """See through ``constant[i]``, ``shape(x)[i]`` and ``make_vector(...)[i]``."""
        from symcore.tensor.basic import NotScalarConstantError, get_scalar_constant_value
        from symcore.tensor.shape import MakeVector, Shape

        if var.ndim != 0:
            raise NotScalarConstantError(var)
        idx = []
        for e in get_idx_list(node.inputs[1:], self.idx_list):
            if isinstance(e, slice) or e is None:
                raise NotScalarConstantError(var)
            c = _const_int(e)
            if c is None:
                raise NotScalarConstantError(var)
            idx.append(c)
        x = node.inputs[0]
        if hasattr(x, "data"):
            try:
                return np.asarray(np.asarray(x.data)[tuple(idx)])
            except IndexError:
                raise NotScalarConstantError(var) from None
        if x.owner is not None and len(idx) == 1:
            if isinstance(x.owner.op, Shape):
                shp = x.owner.inputs[0].type.shape
                if -len(shp) <= idx[0] < len(shp) and shp[idx[0]] is not None:
                    return np.asarray(shp[idx[0]], dtype="int64")
            if isinstance(x.owner.op, MakeVector) and -len(x.owner.inputs) <= idx[0] < len(
                x.owner.inputs
            ):
                return np.asarray(get_scalar_constant_value(x.owner.inputs[idx[0]]), dtype=x.dtype)
        raise NotScalarConstantError(var)

    def vector_length(self, node: Apply, var: Variable) -> int | None:
        """Static length of a slice of a vector of known length (for ``get_vector_length``)."""
        from symcore.tensor.shape import get_vector_length

        x = node.inputs[0]
        entries = get_idx_list(node.inputs[1:], self.idx_list)
        if x.ndim != 1 or len(entries) != 1 or not isinstance(entries[0], slice):
            return None
        try:
            n = get_vector_length(x)
        except ValueError:
            return None
        c = slice_length(n, entries[0].start, entries[0].stop, entries[0].step)
        return c if isinstance(c, int) else None


# ---------------------------------------------------------------------------------------
# IncSubtensor
# ---------------------------------------------------------------------------------------


class IncSubtensor(IndexIncMixin, Op):
    """``x`` with ``y`` added to (or, with ``set_instead_of_inc``, stored into) ``x[idx]``
    for a basic index. Works on a copy of ``x`` unless ``inplace``."""

    __props__ = ("idx_list", "inplace", "set_instead_of_inc")

    def __init__(
        self,
        idx_list: Iterable[Any],
        inplace: bool = False,
        set_instead_of_inc: bool = False,
        destroyhandler_tolerate_aliased: Sequence = (),
    ) -> None:
        self.idx_list = Subtensor(idx_list).idx_list  # validated the same way
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.destroyhandler_tolerate_aliased = list(destroyhandler_tolerate_aliased)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def __hash__(self) -> int:
        return hash(
            (type(self), idx_list_key(self.idx_list), self.inplace, self.set_instead_of_inc)
        )

    def __str__(self) -> str:
        name = "SetSubtensor" if self.set_instead_of_inc else "IncSubtensor"
        return f"{name}{{{'inplace, ' if self.inplace else ''}{idx_list_str(self.idx_list)}}}"

    __repr__ = __str__

    def make_node(self, x: Any, y: Any, *inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        y = as_inc_value(y, x, str(self))
        inputs = check_index_inputs(self, self.idx_list, inputs)
        entries = get_idx_list(inputs, self.idx_list)
        if x.ndim == 0 and any(e is not None for e in entries):
            raise IndexError(f"{self}: cannot index the 0-d tensor {x}")
        check_inc_value(str(self), basic_output_type(x, entries, str(self)), y)
        return Apply(self, [x, y, *inputs], [x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        x, y = inputs[0], inputs[1]
        index = runtime_index(self.idx_list, inputs[2:])
        if not self.inplace:
            x = x.copy()
        try:
            view = x[index + (Ellipsis,)]
        except IndexError as exc:
            raise IndexError(
                f"{self}: index {describe_index(index)} is out of bounds for an input of shape "
                f"{x.shape}: {exc}"
            ) from exc
        try:
            if self.set_instead_of_inc:
                view[...] = y
            else:
                np.add(view, y, out=view, casting="unsafe")
        except ValueError as exc:
            raise ValueError(
                f"{self}: a value of shape {np.shape(y)} cannot be broadcast to "
                f"x{describe_index(index)} of shape {view.shape} (x has shape {x.shape})"
            ) from exc
        output_storage[0][0] = x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        x, y, rest = inputs[0], inputs[1], list(inputs[2:])
        (g,) = output_grads

        def rebuild_set(gz, zero):
            return IncSubtensor(self.idx_list, set_instead_of_inc=True)(gz, zero, *rest)

        def take(gz):
            return Subtensor(self.idx_list)(gz, *rest)

        return inc_grads(x, y, g, self.set_instead_of_inc, rebuild_set, take) + [
            disconnected_type() for _ in rest
        ]
