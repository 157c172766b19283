"""Rewrites written as tuple patterns: ``(log, (add, 1, "x"))`` → ``(log1p, "x")``.

See ``PatternNodeRewriter`` for the pattern language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import Op
from symcore.rewriting.basic import NodeRewriter

__all__ = ["PatternNodeRewriter"]

_NO_MATCH = object()


class PatternNodeRewriter(NodeRewriter):
    """Replace subgraphs matching ``in_pattern`` by ``out_pattern``.

    A pattern is a leaf or a tuple ``(head, *sub_patterns)``.

    * Heads in ``in_pattern``: an Op instance (``node.op == head``), an Op class
      (``isinstance``), or a callable building a node (probed once per input types on
      placeholder variables; the op it builds must equal ``node.op``).
    * Leaves: a string binds a pattern variable (the same name must bind the same
      variable); a number or array matches a constant of that value (broadcastable
      dimensions seen through); ``{"pattern": p, "constraint": fn}`` matches ``p`` when
      ``fn(var)`` is true.
    * In ``out_pattern`` heads are called with the built arguments; strings are the bound
      variables, other leaves are passed as they are (Python numbers stay weakly typed).

    Nodes matched below the root must have a single client unless
    ``allow_multiple_clients`` (otherwise rewriting would duplicate work).
    """

    def __init__(
        self,
        in_pattern: Any,
        out_pattern: Any,
        allow_multiple_clients: bool = False,
        name: str | None = None,
        tracks: Any = None,
        get_nodes: Callable | None = None,
    ) -> None:
        if not isinstance(in_pattern, tuple) and not (
            isinstance(in_pattern, dict) and isinstance(in_pattern.get("pattern"), tuple)
        ):
            raise TypeError(
                f"PatternNodeRewriter: in_pattern must be a tuple (op, ...), got {in_pattern!r}"
            )
        self.in_pattern = in_pattern
        self.out_pattern = out_pattern
        self.allow_multiple_clients = allow_multiple_clients
        self.name = name or f"{_fmt(in_pattern)} -> {_fmt(out_pattern)}"
        root = in_pattern if isinstance(in_pattern, tuple) else in_pattern["pattern"]
        head = root[0]
        if tracks is not None:
            self._tracks = list(tracks)
        elif isinstance(head, Op) or (isinstance(head, type) and issubclass(head, Op)):
            self._tracks = [head]
        else:
            self._tracks = None  # a builder function: the op it makes is only known per node
        self._probe_cache: dict[tuple, Any] = {}

    def tracks(self):
        return self._tracks

    # -- matching --------------------------------------------------------------------
    def transform(self, fgraph: FunctionGraph, node: Apply):
        bindings: dict[str, Variable] = {}
        root = self.in_pattern
        if not self._match_node(fgraph, root, node, bindings, is_root=True):
            return False
        new = self._build(self.out_pattern, bindings)
        if not isinstance(new, Variable):
            from symcore.tensor.basic import as_tensor_variable

            new = as_tensor_variable(new)
        old = node.outputs[0]
        if new.type != old.type:
            conv = old.type.convert_variable(new)
            if conv is None:
                return False
            new = conv
        return [new] + [None] * (len(node.outputs) - 1)

    def _match_node(
        self, fgraph: FunctionGraph, pattern: Any, node: Apply, bindings: dict, is_root: bool
    ) -> bool:
        constraint = None
        if isinstance(pattern, dict):
            constraint = pattern.get("constraint")
            pattern = pattern["pattern"]
            if constraint is not None and not constraint(node.outputs[0]):
                return False
        head, args = pattern[0], pattern[1:]
        if not self._head_matches(head, node):
            return False
        if len(args) != len(node.inputs):
            return False
        if not is_root and not self.allow_multiple_clients:
            if len(fgraph.clients.get(node.outputs[0], ())) > 1:
                return False
        for sub, var in zip(args, node.inputs, strict=True):
            if not self._match(fgraph, sub, var, bindings):
                return False
        return True

    def _match(self, fgraph: FunctionGraph, pattern: Any, var: Variable, bindings: dict) -> bool:
        if isinstance(pattern, dict):
            inner = pattern["pattern"]
            constraint = pattern.get("constraint")
            if isinstance(inner, tuple):
                return (
                    var.owner is not None
                    and self._match_node(fgraph, pattern, var.owner, bindings, False)
                    and var is var.owner.outputs[0]
                )
            if constraint is not None and not constraint(var):
                return False
            return self._match(fgraph, inner, var, bindings)
        if isinstance(pattern, tuple):
            if var.owner is None or var is not var.owner.outputs[0]:
                return False
            return self._match_node(fgraph, pattern, var.owner, bindings, False)
        if isinstance(pattern, str):
            bound = bindings.get(pattern)
            if bound is None:
                bindings[pattern] = var
                return True
            return bound is var or (
                isinstance(bound, Constant) and isinstance(var, Constant) and bound.equals(var)
            )
        return _constant_matches(pattern, var)

    def _head_matches(self, head: Any, node: Apply) -> bool:
        if isinstance(head, Op):
            return node.op == head
        if isinstance(head, type):
            return isinstance(node.op, head)
        if callable(head):
            return self._probe(head, node) == node.op
        return False

    def _probe(self, fn: Callable, node: Apply) -> Any:
        """The op that ``fn`` builds on inputs of the node's input types (cached)."""
        key = (id(fn), tuple(i.type for i in node.inputs))
        if key in self._probe_cache:
            return self._probe_cache[key]
        op = None
        try:
            out = fn(*[i.type() for i in node.inputs])
            owner = getattr(out, "owner", None)
            if owner is None and isinstance(out, (list, tuple)) and out:
                owner = getattr(out[0], "owner", None)
            op = owner.op if owner is not None else None
        except Exception:  # noqa: BLE001 - a builder that refuses these types does not match
            op = None
        self._probe_cache[key] = op
        return op

    # -- building --------------------------------------------------------------------
    def _build(self, pattern: Any, bindings: dict) -> Any:
        if isinstance(pattern, str):
            return bindings[pattern]
        if isinstance(pattern, dict):
            return self._build(pattern["pattern"], bindings)
        if isinstance(pattern, tuple):
            head, args = pattern[0], pattern[1:]
            built = [self._build(a, bindings) for a in args]
            return head(*built)
        return pattern


def _constant_matches(pattern: Any, var: Variable) -> bool:
    """True when ``var`` is a constant equal to ``pattern`` (ignoring broadcastable dims)."""
    if not isinstance(var, Constant):
        owner = var.owner
        fold = getattr(owner.op, "scalar_constant_value", None) if owner is not None else None
        if fold is None:
            return False
        try:
            data = np.asarray(fold(owner, var))
        except Exception:  # noqa: BLE001 - not provably constant
            return False
    else:
        data = np.asarray(var.data)
    try:
        want = np.asarray(pattern)
    except Exception:  # noqa: BLE001
        return False
    if want.dtype == object or data.dtype == object:
        return False
    if data.size == 0:
        return False
    if want.size == 1 and data.size >= 1:
        return bool(np.all(data == want.reshape(())))
    try:
        return bool(np.array_equal(np.squeeze(data), np.squeeze(want)))
    except Exception:  # noqa: BLE001
        return False


def _fmt(pattern: Any) -> str:
    if isinstance(pattern, tuple):
        head = pattern[0]
        name = getattr(head, "__name__", None) or str(head)
        return f"{name}(" + ", ".join(_fmt(p) for p in pattern[1:]) + ")"
    if isinstance(pattern, dict):
        return _fmt(pattern["pattern"])
    return str(pattern)
