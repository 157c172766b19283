"""The user-facing indexing API: ``getitem`` (``x[idx]``), ``set_subtensor``,
``inc_subtensor`` and ``take``. They turn NumPy-style indices into the right Op:
``Subtensor`` for basic indices, ``AdvancedSubtensor1`` for ``x[int_vector]``,
``AdvancedSubtensor`` for any other integer-array or boolean-mask index.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from symcore.graph.basic import Variable
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.shape import addbroadcast, flatten
from symcore.tensor.subtensor import IncSubtensor, Subtensor, as_inc_value, make_idx_list
from symcore.tensor.subtensor_advanced import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    advanced_subtensor1,
)
from symcore.tensor.type import INTEGER_DTYPES, TensorType

__all__ = ["getitem", "set_subtensor", "inc_subtensor", "take"]


def _T():
    """The ``symcore.tensor`` namespace at call time (see ``shape._T``)."""
    return sys.modules["symcore.tensor"]


_INT_TYPES = (int, np.integer)
_BOOL_TYPES = (bool, np.bool_)


def _bound(p: Any, who: str) -> Any:
    """A slice bound as None or an integer scalar variable."""
    if p is None:
        return None
    if isinstance(p, _BOOL_TYPES) or isinstance(p, _INT_TYPES):
        return constant(int(p), dtype="int64")
    if isinstance(p, np.ndarray) and p.ndim == 0 and p.dtype.kind in "biu":
        return constant(int(p), dtype="int64")
    if isinstance(p, Variable):
        v = as_tensor_variable(p)
        if v.ndim != 0 or v.dtype not in INTEGER_DTYPES:
            raise TypeError(
                f"{who}: slice bounds must be integer scalars, got {v} of type {v.type}"
            )
        return v
    raise TypeError(
        f"{who}: slice bounds must be integers, None or integer scalar variables, got {p!r} "
        f"({type(p).__name__})"
    )


def _entry(e: Any, who: str) -> tuple[str, Any]:
    """Classify one index entry: ('none'|'ellipsis'|'slice'|'int'|'adv', value)."""
    if e is None:
        return "none", None
    if e is Ellipsis:
        return "ellipsis", None
    if isinstance(e, slice):
        return "slice", slice(_bound(e.start, who), _bound(e.stop, who), _bound(e.step, who))
    if isinstance(e, _BOOL_TYPES):
        return "adv", constant(np.asarray(bool(e)))
    if isinstance(e, _INT_TYPES):
        return "int", constant(int(e), dtype="int64" if -(2**63) <= int(e) < 2**63 else "uint64")
    if isinstance(e, Variable):
        v = as_tensor_variable(e)
        if v.dtype == "bool":
            return "adv", v
        if v.dtype not in INTEGER_DTYPES:
            raise TypeError(
                f"{who}: index {v} has dtype {v.dtype}; indices must be integers or booleans"
            )
        return ("int", v) if v.ndim == 0 else ("adv", v)
    if isinstance(e, (list, tuple)) and any(isinstance(i, Variable) for i in _flat(e)):
        return _entry(as_tensor_variable(list(e)), who)
    if isinstance(e, (list, tuple, np.ndarray)):
        arr = np.asarray(e)
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype("int64")  # NumPy reads an empty list as an empty integer index
        if arr.dtype.kind == "b":
            return "adv", constant(arr)
        if arr.dtype.kind in "iu":
            if arr.ndim == 0:
                return "int", constant(int(arr), dtype="int64")
            return "adv", constant(arr.astype("int64") if arr.dtype.kind == "i" else arr)
        raise TypeError(
            f"{who}: index {e!r} has dtype {arr.dtype}; indices must be integers or booleans"
        )
    if isinstance(e, (float, np.floating, complex)):
        raise TypeError(
            f"{who}: index {e!r} is a {type(e).__name__}; only integers, slices, None, "
            "Ellipsis and "
            "integer or boolean arrays are valid indices"
        )
    raise TypeError(f"{who}: unsupported index {e!r} of type {type(e).__name__}")


def _flat(seq):
    for i in seq:
        if isinstance(i, (list, tuple)):
            yield from _flat(i)
        else:
            yield i


def _consumed(kind: str, v: Any) -> int:
    if kind in ("none", "ellipsis"):
        return 0
    if kind == "adv" and v.dtype == "bool":
        return v.ndim
    return 1


def _is_full_slice(kind: str, v: Any) -> bool:
    return kind == "slice" and v.start is None and v.stop is None and v.step is None


def getitem(x: Any, index: Any) -> Variable:
    """``x[index]`` with NumPy's semantics (``TensorVariable.__getitem__`` calls this)."""
    x = as_tensor_variable(x)
    who = f"indexing {x}"
    if not isinstance(index, tuple):
        index = (index,)
    entries = [_entry(e, who) for e in index]
    if sum(k == "ellipsis" for k, _ in entries) > 1:
        raise IndexError(f"{who}: an index can only have a single ellipsis ('...')")
    used = sum(_consumed(k, v) for k, v in entries)
    if x.ndim == 0 and used:
        raise IndexError(
            f"cannot index the 0-d tensor {x} (type {x.type}) with {index!r}: a scalar has no "
            "dimensions to index"
        )
    if used > x.ndim:
        raise IndexError(
            f"{who}: too many indices: the tensor is {x.ndim}-dimensional, but {used} were indexed"
        )
    expanded: list[tuple[str, Any]] = []
    for k, v in entries:
        if k == "ellipsis":
            expanded.extend([("slice", slice(None))] * (x.ndim - used))
        else:
            expanded.append((k, v))
    if not any(k == "adv" for k, _ in expanded):
        idx_list, inputs = make_idx_list([v for _, v in expanded])
        return Subtensor(idx_list)(x, *inputs)
    rest = expanded[1:]
    first_kind, first = expanded[0]
    if (
        first_kind == "adv"
        and first.ndim == 1
        and first.dtype != "bool"
        and all(_is_full_slice(k, v) for k, v in rest)
    ):
        return advanced_subtensor1(x, first)
    idx_list, inputs = make_idx_list([v for _, v in expanded])
    return AdvancedSubtensor(idx_list)(x, *inputs)


def inc_subtensor(
    x: Any,
    y: Any,
    inplace: bool = False,
    set_instead_of_inc: bool = False,
    tolerate_inplace_aliasing: bool = False,
    ignore_duplicates: bool = False,
) -> Variable:
    """The whole tensor indexed by ``x = a[idx]`` with ``y`` added at ``a[idx]``
    (``set_instead_of_inc``: stored there). Repeated advanced indices accumulate unless
    ``ignore_duplicates`` (then they follow ``a[idx] += y``)."""
    if (
        not isinstance(x, Variable)
        or x.owner is None
        or not isinstance(x.owner.op, (Subtensor, AdvancedSubtensor1, AdvancedSubtensor))
    ):
        raise TypeError(
            f"{'set' if set_instead_of_inc else 'inc'}_subtensor expects the result of an indexing "
            f"operation such as x[idx] as its first argument, got {x!r}"
        )
    node = x.owner
    real_x = node.inputs[0]
    who = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
    y = as_inc_value(y, real_x, who)
    if y.ndim > x.ndim:
        raise TypeError(
            f"{who}: trying to {'set' if set_instead_of_inc else 'increment'} a "
            f"{x.ndim}-d subtensor "
            f"with a {y.ndim}-d value {y}"
        )
    offset = x.ndim - y.ndim
    fix = [d for d in range(y.ndim) if x.broadcastable[d + offset] and not y.broadcastable[d]]
    if fix:
        y = addbroadcast(y, *fix)  # its length must then be 1 (checked at run time)
    op = node.op
    if isinstance(op, Subtensor):
        return IncSubtensor(op.idx_list, inplace, set_instead_of_inc)(real_x, y, *node.inputs[1:])
    if isinstance(op, AdvancedSubtensor1) and not ignore_duplicates:
        return AdvancedIncSubtensor1(inplace, set_instead_of_inc)(real_x, y, node.inputs[1])
    if isinstance(op, AdvancedSubtensor1):
        idx_list = (TensorType(node.inputs[1].dtype, node.inputs[1].broadcastable),)
    else:
        idx_list = op.idx_list
    return AdvancedIncSubtensor(idx_list, inplace, set_instead_of_inc, ignore_duplicates)(
        real_x, y, *node.inputs[1:]
    )


def set_subtensor(
    x: Any, y: Any, inplace: bool = False, tolerate_inplace_aliasing: bool = False
) -> Variable:
    """The whole tensor indexed by ``x = a[idx]`` with ``a[idx]`` replaced by ``y``."""
    return inc_subtensor(
        x, y, inplace, set_instead_of_inc=True, tolerate_inplace_aliasing=tolerate_inplace_aliasing
    )


def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Variable:
    """``np.take``: elements of ``a`` at ``indices`` along ``axis`` (flattened ``a`` when
    None). ``mode`` is 'raise' (out of range is an IndexError), 'wrap' or 'clip'."""
    a = as_tensor_variable(a)
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if axis is not None and not isinstance(axis, _INT_TYPES):
        raise TypeError(f"take: axis must be an integer or None, got {axis!r}")
    if axis is None:
        a = flatten(a, 1)
        axis = 0
    axis = int(axis)
    if not -a.ndim <= axis < a.ndim:
        raise np.exceptions.AxisError(
            f"take: axis {axis} is out of bounds for a tensor of dimension {a.ndim}"
        )
    axis %= a.ndim
    if isinstance(indices, Variable):
        idx = as_tensor_variable(indices)
    else:
        arr = np.asarray(indices)
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype("int64")
        idx = constant(arr.astype("int64") if arr.dtype.kind == "i" else arr)
    if idx.dtype not in INTEGER_DTYPES:
        raise TypeError(f"take: indices must be integers, got {idx} of dtype {idx.dtype}")
    if mode != "raise":
        n = a.shape[axis]
        if mode == "wrap":
            idx = _T().mod(idx, n)
        else:
            idx = _T().clip(idx, 0, n - 1)
    return getitem(a, (slice(None),) * axis + (idx,))
