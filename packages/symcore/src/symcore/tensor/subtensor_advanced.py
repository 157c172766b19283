"""Advanced (NumPy integer-array and boolean-mask) indexing.

``AdvancedSubtensor1`` is the common ``x[int_vector]`` along the first axis;
``AdvancedSubtensor`` is NumPy's general advanced indexing (integer arrays, boolean masks,
integer scalars, slices and newaxis mixed). Their ``Inc`` counterparts accumulate repeated
indices like ``np.add.at`` (``set`` stores, the last write winning as in NumPy).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.shape import sh_eq, sh_switch, sh_var
from symcore.tensor.subtensor import (
    IndexIncMixin,
    IndexReadMixin,
    as_inc_value,
    check_inc_value,
    check_index_inputs,
    describe_index,
    get_idx_list,
    idx_list_key,
    idx_list_str,
    inc_grads,
    is_placeholder,
    make_idx_list,
    runtime_index,
    slice_length,
    slice_static,
)
from symcore.tensor.type import INTEGER_DTYPES, TensorType

__all__ = [
    "AdvancedSubtensor1",
    "AdvancedIncSubtensor1",
    "AdvancedSubtensor",
    "AdvancedIncSubtensor",
    "advanced_subtensor1",
    "advanced_inc_subtensor1",
    "advanced_set_subtensor1",
    "advanced_subtensor",
    "advanced_inc_subtensor",
    "advanced_set_subtensor",
    "AdvancedSetWinners",
]


def _T():
    """The ``symcore.tensor`` namespace at call time (see ``shape._T``)."""
    return sys.modules["symcore.tensor"]


def _check_index_vector(who: str, x: Variable, ilist: Variable) -> None:
    if ilist.ndim != 1 or ilist.dtype not in INTEGER_DTYPES:
        raise TypeError(
            f"{who}: the index must be an integer vector, got {ilist} of type {ilist.type}"
        )
    if x.ndim == 0:
        raise IndexError(f"{who}: cannot index the 0-d tensor {x}")
    _check_constant_bounds(who, ilist, x.type.shape[0], 0, x)


def _check_constant_bounds(who: str, idx: Variable, n: int | None, axis: int, x: Variable) -> None:
    if n is None or not isinstance(idx, Constant):
        return
    data = np.asarray(idx.data)
    if data.size and (data.min() < -n or data.max() >= n):
        bad = data[(data < -n) | (data >= n)].reshape(-1)[0]
        raise IndexError(
            f"{who}: index {bad} is out of bounds for axis {axis} with size {n} ({x} has static "
            f"shape {x.type.shape})"
        )


def _wrap_errors(who: str, index: Any, shape: tuple, fn):
    try:
        return fn()
    except IndexError as exc:
        raise IndexError(
            f"{who}: index {describe_index(index)} is invalid for an input of shape {shape}: {exc}"
        ) from exc


# ---------------------------------------------------------------------------------------
# x[int_vector]
# ---------------------------------------------------------------------------------------


class AdvancedSubtensor1(IndexReadMixin, Op):
    """``x[ilist]`` for an integer vector ``ilist`` (rows of ``x``; negative indices count
    from the end; out of range is an IndexError)."""

    __props__ = ()

    def make_node(self, x: Any, ilist: Any) -> Apply:
        x = as_tensor_variable(x)
        ilist = as_tensor_variable(ilist)
        _check_index_vector(str(self), x, ilist)
        out = TensorType(
            x.dtype,
            broadcastable=(ilist.broadcastable[0],) + x.broadcastable[1:],
            shape=(ilist.type.shape[0],) + x.type.shape[1:],
        )
        return Apply(self, [x, ilist], [out()])

    def perform(self, node, inputs, output_storage, params=None):
        x, i = inputs
        output_storage[0][0] = _wrap_errors(str(self), (i,), x.shape, lambda: x.take(i, axis=0))

    def infer_shape(self, node, input_shapes):
        xs, ishp = input_shapes
        return [(ishp[0],) + tuple(xs[1:])]

    def grad_inc_op(self) -> Op:
        return AdvancedIncSubtensor1()


advanced_subtensor1 = AdvancedSubtensor1()


class AdvancedIncSubtensor1(IndexIncMixin, Op):
    """``x`` with ``y`` added at the rows ``ilist`` (repeated rows accumulate, as
    ``np.add.at``), or stored there with ``set_instead_of_inc`` (last write wins)."""

    __props__ = ("inplace", "set_instead_of_inc")

    def __init__(self, inplace: bool = False, set_instead_of_inc: bool = False) -> None:
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def __str__(self) -> str:
        name = "AdvancedSetSubtensor1" if self.set_instead_of_inc else "AdvancedIncSubtensor1"
        return f"{name}{{inplace}}" if self.inplace else name

    __repr__ = __str__

    def make_node(self, x: Any, y: Any, ilist: Any) -> Apply:
        x = as_tensor_variable(x)
        y = as_inc_value(y, x, str(self))
        ilist = as_tensor_variable(ilist)
        _check_index_vector(str(self), x, ilist)
        check_inc_value(str(self), advanced_subtensor1.make_node(x, ilist).outputs[0].type, y)
        return Apply(self, [x, y, ilist], [x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        x, y, i = inputs
        if not self.inplace:
            x = x.copy()

        def run():
            if self.set_instead_of_inc:
                x[i] = y
            else:
                np.add.at(x, i, y)

        try:
            _wrap_errors(str(self), (i,), x.shape, run)
        except ValueError as exc:
            raise ValueError(
                f"{self}: a value of shape {np.shape(y)} cannot be broadcast to x[indices] "
                f"of shape {(len(i),) + x.shape[1:]}"
            ) from exc
        output_storage[0][0] = x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        x, y, i = inputs
        (g,) = output_grads
        grads = inc_grads(
            x,
            y,
            g,
            self.set_instead_of_inc,
            lambda gz, zero: AdvancedIncSubtensor1(set_instead_of_inc=True)(gz, zero, i),
            lambda gz: advanced_subtensor1(gz, i),
            lambda: AdvancedSetWinners((TensorType(i.dtype, i.broadcastable),))(x, i),
        )
        return grads + [disconnected_type()]


def advanced_inc_subtensor1(x: Any, y: Any, ilist: Any) -> Variable:
    return AdvancedIncSubtensor1()(x, y, ilist)


def advanced_set_subtensor1(x: Any, y: Any, ilist: Any) -> Variable:
    return AdvancedIncSubtensor1(set_instead_of_inc=True)(x, y, ilist)


# ---------------------------------------------------------------------------------------
# general advanced indexing
# ---------------------------------------------------------------------------------------


def is_array_placeholder(p: Any) -> bool:
    return is_placeholder(p) and (p.ndim > 0 or p.dtype == "bool")


def _check_advanced_idx_list(idx_list: Sequence[Any]) -> tuple:
    idx_list = tuple(idx_list)
    for e in idx_list:
        if isinstance(e, slice):
            for p in (e.start, e.stop, e.step):
                if p is not None and not (
                    is_placeholder(p) and p.ndim == 0 and p.dtype in INTEGER_DTYPES
                ):
                    raise TypeError(
                        "AdvancedSubtensor: slice bounds must be integer scalar placeholders, "
                        f"got {p!r}"
                    )
        elif e is not None:
            if not is_placeholder(e) or e.dtype not in INTEGER_DTYPES + ("bool",):
                raise TypeError(
                    f"AdvancedSubtensor: index entries must be integer or boolean placeholders, "
                    f"got {e!r}"
                )
    if not any(is_array_placeholder(e) for e in idx_list):
        raise TypeError(
            "AdvancedSubtensor: the index has no integer array or boolean mask; use Subtensor"
        )
    return idx_list


def _mask_nnz(v: Variable) -> int | None:
    return int(np.count_nonzero(v.data)) if isinstance(v, Constant) else None


def advanced_output_type(x: Variable, entries: Sequence[Any], who: str) -> TensorType:
    """The type of ``x[entries]`` under NumPy's advanced-indexing rules."""
    consumed = sum(
        0 if e is None else (e.ndim if isinstance(e, Variable) and e.dtype == "bool" else 1)
        for e in entries
    )
    if consumed > x.ndim:
        raise IndexError(
            f"{who}: too many indices for tensor {x}: it is {x.ndim}-dimensional, but {consumed} "
            "were indexed"
        )
    entries = list(entries) + [slice(None)] * (x.ndim - consumed)
    parts: list[tuple[bool, int | None] | str] = []  # output dims, with "ADV" where the block goes
    adv: list[tuple[tuple[bool, ...], tuple[int | None, ...]]] = []
    tokens = []
    d = 0
    for e in entries:
        if e is None:
            parts.append((True, 1))
            tokens.append("S")  # newaxis separates advanced indices, as in NumPy
            continue
        if isinstance(e, slice):
            parts.append(slice_static(e, x.type.shape[d], x.broadcastable[d], who))
            tokens.append("S")
            d += 1
            continue
        tokens.append("A")
        if "ADV" not in parts:
            parts.append("ADV")
        if e.dtype == "bool":
            for j in range(e.ndim):
                n, m = x.type.shape[d + j], e.type.shape[j]
                if n is not None and m is not None and n != m:
                    raise IndexError(
                        f"{who}: boolean index of static shape {e.type.shape} does not match "
                        f"dimension {d + j} of {x} (static shape {x.type.shape})"
                    )
            tokens.extend("A" * max(e.ndim - 1, 0))
            nnz = _mask_nnz(e)
            adv.append(((False,), (nnz if nnz != 1 else None,)))
            d += e.ndim
        else:
            _check_constant_bounds(who, e, x.type.shape[d], d, x)
            adv.append((tuple(e.broadcastable), tuple(e.type.shape)))
            d += 1
    block = _broadcast_static(adv, who)
    adjacent = "".join(tokens).strip("S").count("S") == 0
    if adjacent:
        pos = parts.index("ADV")
        dims = parts[:pos] + block + parts[pos + 1 :]
    else:
        dims = block + [p for p in parts if p != "ADV"]
    return TensorType(x.dtype, broadcastable=[b for b, _ in dims], shape=[s for _, s in dims])


def _broadcast_static(adv, who: str) -> list[tuple[bool, int | None]]:
    nd = max((len(bc) for bc, _ in adv), default=0)
    out = []
    for k in range(nd):
        bcs, sizes = [], []
        for bc, shp in adv:
            j = k - (nd - len(bc))
            if j >= 0:
                bcs.append(bc[j])
                if shp[j] is not None and shp[j] != 1:
                    sizes.append(shp[j])
        if len(set(sizes)) > 1:
            raise IndexError(
                f"{who}: shape mismatch: indexing arrays could not be broadcast together "
                f"(static shapes {[s for _, s in adv]})"
            )
        b = all(bcs)
        out.append((b, 1 if b else (sizes[0] if sizes else None)))
    return out


class AdvancedSubtensor(IndexReadMixin, Op):
    """NumPy advanced indexing ``x[idx]`` with integer arrays and/or boolean masks (mixed
    with integers, slices and newaxis). The output is a new array."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list: Iterable[Any]) -> None:
        self.idx_list = _check_advanced_idx_list(idx_list)

    def __hash__(self) -> int:
        return hash((type(self), idx_list_key(self.idx_list)))

    def __str__(self) -> str:
        return f"AdvancedSubtensor{{{idx_list_str(self.idx_list)}}}"

    __repr__ = __str__

    def make_node(self, x: Any, *inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        inputs = check_index_inputs(self, self.idx_list, inputs)
        if x.ndim == 0 and any(
            e is not None and not (is_placeholder(e) and e.ndim == 0 and e.dtype == "bool")
            for e in self.idx_list
        ):
            raise IndexError(f"{self}: cannot index the 0-d tensor {x}")
        out_type = advanced_output_type(x, get_idx_list(inputs, self.idx_list), str(self))
        return Apply(self, [x, *inputs], [out_type()])

    def perform(self, node, inputs, output_storage, params=None):
        x = inputs[0]
        index = runtime_index(self.idx_list, inputs[1:])
        out = _wrap_errors(str(self), index, x.shape, lambda: x[index])
        output_storage[0][0] = np.asarray(out)

    def infer_shape(self, node, input_shapes):
        return [advanced_infer_shape(self.idx_list, node.inputs, input_shapes)]

    def grad_inc_op(self) -> Op:
        return AdvancedIncSubtensor(self.idx_list)


def advanced_infer_shape(
    idx_list: Sequence[Any], inputs: Sequence[Variable], input_shapes
) -> tuple:
    """Symbolic output shape of an advanced index (node inputs: x, then the index inputs)."""
    x = inputs[0]
    xshape = input_shapes[0]
    positions = get_idx_list(range(1, len(inputs)), idx_list)
    consumed = sum(
        0
        if e is None
        else (inputs[e].ndim if isinstance(e, int) and inputs[e].dtype == "bool" else 1)
        for e in positions
    )
    positions = list(positions) + [slice(None)] * (x.ndim - consumed)
    parts: list[Any] = []
    adv: list[list[tuple[bool, Any]]] = []
    tokens = []
    d = 0
    for e in positions:
        if e is None:
            parts.append(sh_var(1))
            tokens.append("S")
            continue
        if isinstance(e, slice):
            bounds = [None if p is None else inputs[p] for p in (e.start, e.stop, e.step)]
            parts.append(sh_var(slice_length(xshape[d], *bounds)))
            tokens.append("S")
            d += 1
            continue
        v = inputs[e]
        tokens.append("A")
        if "ADV" not in parts:
            parts.append("ADV")
        if v.dtype == "bool":
            tokens.extend("A" * max(v.ndim - 1, 0))
            nnz = _mask_nnz(v)
            adv.append([(False, nnz if nnz is not None else _T().sum(v, dtype="int64"))])
            d += v.ndim
        else:
            adv.append(list(zip(v.broadcastable, input_shapes[e], strict=True)))
            d += 1
    nd = max((len(a) for a in adv), default=0)
    block = []
    for k in range(nd):
        size: Any = 1
        for a in adv:
            j = k - (nd - len(a))
            if j >= 0 and not a[j][0]:
                size = sh_switch(sh_eq(size, 1), a[j][1], size)  # broadcasting: 1 gives way
        block.append(sh_var(size))
    adjacent = "".join(tokens).strip("S").count("S") == 0
    if adjacent:
        pos = parts.index("ADV")
        dims = parts[:pos] + block + parts[pos + 1 :]
    else:
        dims = block + [p for p in parts if not isinstance(p, str)]
    return tuple(dims)


class AdvancedIncSubtensor(IndexIncMixin, Op):
    """``x`` with ``y`` added at ``x[idx]`` (advanced index; repeated positions accumulate
    as ``np.add.at``, or follow ``x[idx] += y`` when ``ignore_duplicates``), or stored
    there with ``set_instead_of_inc``."""

    __props__ = ("idx_list", "inplace", "set_instead_of_inc", "ignore_duplicates")

    def __init__(
        self,
        idx_list: Iterable[Any],
        inplace: bool = False,
        set_instead_of_inc: bool = False,
        ignore_duplicates: bool = False,
    ) -> None:
        self.idx_list = _check_advanced_idx_list(idx_list)
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.ignore_duplicates = bool(ignore_duplicates)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def __hash__(self) -> int:
        return hash(
            (
                type(self),
                idx_list_key(self.idx_list),
                self.inplace,
                self.set_instead_of_inc,
                self.ignore_duplicates,
            )
        )

    def __str__(self) -> str:
        name = "AdvancedSetSubtensor" if self.set_instead_of_inc else "AdvancedIncSubtensor"
        flags = ("inplace, " if self.inplace else "") + (
            "ignore_duplicates, " if self.ignore_duplicates else ""
        )
        return f"{name}{{{flags}{idx_list_str(self.idx_list)}}}"

    __repr__ = __str__

    def make_node(self, x: Any, y: Any, *inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        y = as_inc_value(y, x, str(self))
        inputs = check_index_inputs(self, self.idx_list, inputs)
        sub_type = advanced_output_type(x, get_idx_list(inputs, self.idx_list), str(self))
        check_inc_value(str(self), sub_type, y)
        return Apply(self, [x, y, *inputs], [x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        x, y = inputs[0], inputs[1]
        index = runtime_index(self.idx_list, inputs[2:])
        if not self.inplace:
            x = x.copy()

        def run():
            if self.set_instead_of_inc:
                x[index] = y
            elif self.ignore_duplicates:
                x[index] += y
            else:
                np.add.at(x, index, y)

        try:
            _wrap_errors(str(self), index, x.shape, run)
        except ValueError as exc:
            raise ValueError(
                f"{self}: a value of shape {np.shape(y)} cannot be broadcast to "
                f"x{describe_index(index)} (x has shape {x.shape}): {exc}"
            ) from exc
        output_storage[0][0] = x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        x, y, rest = inputs[0], inputs[1], list(inputs[2:])
        (g,) = output_grads
        grads = inc_grads(
            x,
            y,
            g,
            self.set_instead_of_inc,
            lambda gz, zero: AdvancedIncSubtensor(self.idx_list, set_instead_of_inc=True)(
                gz, zero, *rest
            ),
            lambda gz: AdvancedSubtensor(self.idx_list)(gz, *rest),
            lambda: AdvancedSetWinners(self.idx_list)(x, *rest),
        )
        return grads + [disconnected_type() for _ in rest]


class AdvancedSetWinners(Op):
    """``AdvancedSetWinners(idx_list)(x, *idx)``: a boolean mask shaped like ``x[idx]``,
    true where storing into ``x[idx]`` is the write that lands (for repeated indices, the
    last one, as in NumPy). Used by the gradient of advanced ``set_subtensor``."""

    __props__ = ("idx_list",)
    differentiable = False

    def __init__(self, idx_list: Iterable[Any]) -> None:
        self.idx_list = _check_advanced_idx_list(idx_list)

    def __hash__(self) -> int:
        return hash((type(self), idx_list_key(self.idx_list)))

    def make_node(self, x: Any, *inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        inputs = check_index_inputs(self, self.idx_list, inputs)
        region = advanced_output_type(x, get_idx_list(inputs, self.idx_list), str(self))
        out = TensorType("bool", broadcastable=region.broadcastable, shape=region.shape)
        return Apply(self, [x, *inputs], [out()])

    def perform(self, node, inputs, output_storage, params=None):
        x = inputs[0]
        index = runtime_index(self.idx_list, inputs[1:])
        scratch = np.full(x.shape, -1, dtype="int64")
        region_shape = _wrap_errors(str(self), index, x.shape, lambda: scratch[index].shape)
        ids = np.arange(int(np.prod(region_shape)), dtype="int64").reshape(region_shape)
        scratch[index] = ids
        output_storage[0][0] = np.asarray(scratch[index] == ids)

    def infer_shape(self, node, input_shapes):
        return [advanced_infer_shape(self.idx_list, node.inputs, input_shapes)]

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    def grad(self, inputs, output_grads):
        return [disconnected_type() for _ in inputs]


def _split(index_vars: Sequence[Any]):
    return make_idx_list(index_vars)


def advanced_subtensor(x: Any, *index: Any) -> Variable:
    """``x[index]`` through ``AdvancedSubtensor``; ``index`` entries are None, slices of
    integer scalars, or integer/boolean tensors (already variables or array-likes)."""
    idx_list, inputs = _split([_as_index_var(e) for e in index])
    return AdvancedSubtensor(idx_list)(x, *inputs)


def advanced_inc_subtensor(
    x: Any, y: Any, *index: Any, set_instead_of_inc: bool = False, ignore_duplicates: bool = False
) -> Variable:
    idx_list, inputs = _split([_as_index_var(e) for e in index])
    return AdvancedIncSubtensor(
        idx_list, set_instead_of_inc=set_instead_of_inc, ignore_duplicates=ignore_duplicates
    )(x, y, *inputs)


def advanced_set_subtensor(x: Any, y: Any, *index: Any) -> Variable:
    return advanced_inc_subtensor(x, y, *index, set_instead_of_inc=True)


def _as_index_var(e: Any) -> Any:
    if e is None:
        return None
    if isinstance(e, slice):
        return slice(*(None if p is None else _as_index_var(p) for p in (e.start, e.stop, e.step)))
    if isinstance(e, Variable):
        return as_tensor_variable(e)
    arr = np.asarray(e)
    if arr.dtype.kind == "i" or arr.dtype.kind == "u" or arr.dtype.kind == "b":
        return as_tensor_variable(arr if arr.dtype.kind == "b" else arr.astype("int64"))
    raise TypeError(
        f"advanced index entries must be integers or booleans, got {e!r} (dtype {arr.dtype})"
    )
