"""Small pieces used by every part of scan: ``until``, ``OrderedUpdates`` and type helpers."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from symcore.graph.basic import Constant, Variable

__all__ = ["until", "OrderedUpdates", "as_type", "is_float_tensor", "elem_type", "seq_type"]


class until:  # noqa: N801 - Theano's name
    """Stop the loop after the step whose ``condition`` is true (a while loop).

    The step function returns it next to its outputs (and updates), in any order::

        def step(x):
            y = x * 2
            return y, until(y > 100)
    """

    def __init__(self, condition: Any) -> None:
        from symcore.tensor.basic import as_tensor_variable

        cond = as_tensor_variable(condition)
        if cond.ndim != 0:
            raise TypeError(
                f"until: the condition must be a scalar (0-d), got {cond} of type {cond.type}"
            )
        self.condition = cond

    def __repr__(self) -> str:
        return f"until({self.condition})"


class OrderedUpdates(OrderedDict):
    """The updates returned by ``scan``: ``{shared_variable: new_value}`` in a fixed order.

    Usable as ``function(..., updates=updates)``; adding two update dicts (``u1 + u2``)
    merges them and refuses a variable updated twice with different expressions.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        if not getattr(key, "_is_shared_variable", False):
            raise TypeError(
                f"updates: the key {key!r} is not a shared variable; only shared variables "
                "(symcore.shared) can be updated"
            )
        if key in self and self[key] is not value:
            raise KeyError(f"updates: {key} is already updated by another expression")
        super().__setitem__(key, value)

    def update(self, other: Any = None, **kw: Any) -> None:  # type: ignore[override]
        if other is None:
            return
        items = other.items() if hasattr(other, "items") else other
        for k, v in items:
            self[k] = v

    def __add__(self, other: Any) -> OrderedUpdates:
        out = OrderedUpdates(self)
        out.update(other)
        return out


def is_float_tensor(v: Variable) -> bool:
    """True for a tensor variable of a float or complex dtype."""
    dtype = getattr(v.type, "dtype", None)
    return dtype is not None and dtype[0] in "fc" and hasattr(v.type, "broadcastable")


def elem_type(ttype: Any) -> Any:
    """The type of one entry along the first axis of a tensor type (``x[0]``'s type)."""
    from symcore.tensor.type import TensorType

    if ttype.ndim < 1:
        raise TypeError(f"scan: a sequence or buffer must have at least one dimension, not {ttype}")
    return TensorType(ttype.dtype, shape=tuple(ttype.shape[1:]))


def seq_type(ttype: Any) -> Any:
    """The type of a stack of values of ``ttype`` along a new, non-broadcastable first axis."""
    from symcore.tensor.type import TensorType

    return TensorType(ttype.dtype, shape=(None, *ttype.shape))


def as_type(var: Any, ttype: Any) -> Variable:
    """``var`` cast to ``ttype``'s dtype and given its broadcastable pattern."""
    from symcore.tensor.basic import as_tensor_variable
    from symcore.tensor.math import cast

    var = as_tensor_variable(var)
    if var.type == ttype:
        return var
    if var.ndim != ttype.ndim:
        raise TypeError(f"scan: cannot make {var} ({var.type}) of type {ttype}")
    if var.type.dtype != ttype.dtype:
        var = cast(var, ttype.dtype)
    if var.type != ttype:
        var = ttype.filter_variable(var)
    return var


def is_constant(v: Any) -> bool:
    return isinstance(v, Constant)
