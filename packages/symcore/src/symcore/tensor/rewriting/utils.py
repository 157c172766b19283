"""Small helpers shared by the tensor rewrites: matching Elemwise nodes, reading scalar
constants, counting clients, making typed constants, fitting a replacement to the type of
the variable it replaces, and comparing graphs structurally (to detect a fixed point).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import OUTPUT, FunctionGraph
from symcore.tensor.basic import constant
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.type import TensorType

__all__ = [
    "clients_of",
    "elemwise_node",
    "fit_to",
    "is_single_client",
    "same_graph",
    "scalar_const",
    "typed_const",
    "value_in_dtype",
]


def elemwise_node(var: Variable, *scalar_classes: type) -> Apply | None:
    """``var.owner`` when it is a non-inplace ``Elemwise`` whose scalar op is an instance of
    one of ``scalar_classes`` (any scalar op when none is given), else None."""
    node = var.owner
    if node is None or not isinstance(node.op, Elemwise) or node.op.inplace_pattern:
        return None
    if scalar_classes and not isinstance(node.op.scalar_op, scalar_classes):
        return None
    return node


def scalar_const(var: Variable) -> np.ndarray | None:
    """The value (0-d array) of a constant holding exactly one element, seen through
    DimShuffles; None for anything else."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    if isinstance(var, Constant) and isinstance(var.type, TensorType):
        data = np.asarray(var.data)
        if data.size == 1:
            return data.reshape(())
    return None


def clients_of(fgraph: FunctionGraph, var: Variable) -> list[tuple[Any, int]]:
    """The ``(node, index)`` clients of ``var`` (``node`` is ``"output"`` for outputs)."""
    return fgraph.clients.get(var, [])


def is_single_client(fgraph: FunctionGraph, var: Variable) -> bool:
    """True when ``var`` is read exactly once, by a node (not as a graph output)."""
    cl = clients_of(fgraph, var)
    return len(cl) == 1 and cl[0][0] != OUTPUT


def value_in_dtype(value: Any, dtype: str) -> np.ndarray:
    """``value`` as a 0-d array of ``dtype``; integers wrap around like NumPy arithmetic."""
    kind = np.dtype(dtype).kind
    if kind in "iu":
        bits = np.dtype(dtype).itemsize * 8
        wrapped = int(np.real(value)) % (1 << bits)
        return np.array(wrapped, dtype=f"uint{bits}").astype(dtype)
    if kind == "b":
        return np.array(bool(value))
    if kind == "f":
        return np.array(np.real(value), dtype=dtype)
    return np.array(value, dtype=dtype)


def typed_const(value: Any, dtype: str, ndim: int) -> Constant:
    """A constant of ``dtype`` with ``ndim`` broadcastable dimensions holding ``value``."""
    arr = value_in_dtype(value, dtype).reshape((1,) * ndim)
    return constant(arr, dtype=dtype)


def fit_to(res: Variable, out: Variable, sources: Sequence[Variable] = ()) -> Variable | None:
    """``res`` made to have exactly the type of ``out`` (which it replaces).

    Casts to ``out``'s dtype, pads missing leading dimensions, and where ``res`` is
    broadcastable but ``out`` is not, takes the shape from one of ``sources`` (variables
    with ``out``'s number of dimensions) with ``fill``. None when that is impossible.
    """
    # function-level import: symcore.tensor.math imports elemwise helpers used above
    from symcore.tensor import math as M

    if res.type.ndim > out.type.ndim:
        return None
    if res.type.dtype != out.type.dtype:
        res = M.cast(res, out.type.dtype)
    if res.type.ndim < out.type.ndim:
        k = out.type.ndim - res.type.ndim
        res = DimShuffle(res.type.broadcastable, ["x"] * k + list(range(res.type.ndim)))(res)
    obc = out.type.broadcastable
    for d in range(out.type.ndim):
        if res.type.broadcastable[d] and not obc[d]:
            src = next(
                (
                    s
                    for s in sources
                    if s.type.ndim == out.type.ndim and not s.type.broadcastable[d]
                ),
                None,
            )
            if src is None:
                return None
            res = M.second(src, res)
    if res.type != out.type:
        return None
    return res


def same_graph(a: Variable, b: Variable, _memo: dict | None = None) -> bool:
    """True when ``a`` and ``b`` are the same computation: identical variables, equal
    constants, or outputs of equal ops applied to structurally equal inputs."""
    if a is b:
        return True
    if isinstance(a, Constant) or isinstance(b, Constant):
        return isinstance(a, Constant) and isinstance(b, Constant) and a.equals(b)
    na, nb = a.owner, b.owner
    if na is None or nb is None or a.index != b.index or na.op != nb.op:
        return False
    if len(na.inputs) != len(nb.inputs):
        return False
    memo = {} if _memo is None else _memo
    key = (id(a), id(b))
    if key in memo:
        return memo[key]
    res = all(same_graph(x, y, memo) for x, y in zip(na.inputs, nb.inputs, strict=True))
    memo[key] = res
    return res
