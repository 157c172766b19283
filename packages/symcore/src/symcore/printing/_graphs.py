"""What the printers accept: a variable, a list of them, an Apply node, a FunctionGraph or a
compiled function; and how values are shortened for display."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph


@dataclass
class GraphView:
    """The outputs to print, plus what a compiled function or FunctionGraph adds."""

    outputs: list[Variable]
    fgraph: FunctionGraph | None = None
    topo: list[Apply] | None = None  # execution order, when the object has one
    storage: dict = field(default_factory=dict)  # variable -> value, when known
    function: Any = None


def is_compiled_function(obj: Any) -> bool:
    return hasattr(obj, "maker") and isinstance(getattr(obj.maker, "fgraph", None), FunctionGraph)


def as_graph_view(obj: Any) -> GraphView:
    """Normalise anything the printers accept; ``TypeError`` for anything else."""
    if isinstance(obj, Variable):
        return GraphView([obj])
    if isinstance(obj, Apply):
        return GraphView(list(obj.outputs))
    if isinstance(obj, FunctionGraph):
        return GraphView(list(obj.outputs), fgraph=obj, topo=obj.toposort())
    if is_compiled_function(obj):
        fg = obj.maker.fgraph
        return GraphView(
            list(fg.outputs), fgraph=fg, topo=fg.toposort(), storage=_storage_of(obj), function=obj
        )
    if isinstance(obj, (list, tuple)):
        outs: list[Variable] = []
        for item in obj:
            outs.extend(as_graph_view(item).outputs)
        return GraphView(outs)
    raise TypeError(
        "Expected a symbolic Variable, a list of them, an Apply node, a FunctionGraph or a "
        f"compiled function, got {type(obj).__name__}: {obj!r}"
    )


def _storage_of(fn: Any) -> dict:
    """Values a compiled function exposes: its ``storage_map`` (variable -> [value]) if any."""
    smap = getattr(fn, "storage_map", None)
    if smap is None:
        smap = getattr(getattr(fn, "vm", None), "storage_map", None)
    out: dict = {}
    # the values in the function's input cells (defaults, shared variables, last inputs)
    cells = getattr(fn, "input_storage", None)
    inputs = fn.maker.fgraph.inputs
    if isinstance(cells, (list, tuple)) and len(cells) == len(inputs):
        for var, cell in zip(inputs, cells, strict=True):
            value = getattr(cell, "storage", [None])[0]
            if value is not None:
                out[var] = value
    if not isinstance(smap, dict):
        return out
    for var, cell in smap.items():
        try:
            out[var] = cell[0]
        except (TypeError, IndexError, KeyError):
            continue
    return out


def short_value(value: Any, max_len: int = 60) -> str:
    """A one-line rendering of ``value`` (arrays summarised by dtype and shape when long)."""
    if isinstance(value, np.ndarray):
        s = np.array2string(value, threshold=8, separator=", ", max_line_width=10**6)
        s = " ".join(s.split())
        if len(s) > max_len:
            return f"array(dtype={value.dtype}, shape={value.shape})"
        return s
    s = " ".join(repr(value).split())
    return s if len(s) <= max_len else s[: max_len - 3] + "..."


def known_value(var: Variable) -> tuple[bool, Any]:
    """``(True, value)`` for constants and shared variables, else ``(False, None)``."""
    if isinstance(var, Constant):
        return True, var.data
    if getattr(var, "_is_shared_variable", False):
        return True, var.get_value(borrow=True)
    return False, None


def inner_graph(op: Any) -> tuple[list, list] | None:
    """``(inner_inputs, inner_outputs)`` of an Op (or Elemwise scalar op) holding a graph."""
    for holder in (op, getattr(op, "scalar_op", None)):
        if holder is None:
            continue
        outs = getattr(holder, "inner_outputs", None)
        if outs:
            return list(getattr(holder, "inner_inputs", []) or []), list(outs)
    return None
