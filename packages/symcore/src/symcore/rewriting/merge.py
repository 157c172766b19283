"""Common-subexpression elimination: merge nodes with equal ops and identical inputs.

``MergeFeature`` indexes the nodes of a graph by ``(op, inputs)`` and constants by their
signature, and queues duplicates as the graph changes; ``MergeOptimizer`` replaces each
queued duplicate by its twin. The first run indexes the whole graph (linear); later runs
only look at what changed since.
"""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import OUTPUT, FunctionGraph, InconsistencyError
from symcore.rewriting.basic import GraphRewriter

__all__ = ["MergeFeature", "MergeOptimizer", "MergeRewriter", "merge_rewriter"]


class _NodeKey:
    """``(op, ids of the inputs)`` with its hash computed once: hashing an op hashes its
    props (recursively for Elemwise/Composite), and the key is looked up several times."""

    __slots__ = ("op", "ids", "_hash")

    def __init__(self, op: Any, ids: tuple[int, ...]) -> None:
        self.op, self.ids = op, ids
        self._hash = hash((op, ids))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: Any) -> bool:
        return (
            type(other) is _NodeKey
            and self._hash == other._hash
            and self.ids == other.ids
            and (self.op is other.op or self.op == other.op)
        )


def _node_key(node: Apply) -> Any:
    try:
        return _NodeKey(node.op, tuple(id(i) for i in node.inputs))
    except TypeError:  # an op that is not hashable never merges
        return None


def _const_key(c: Constant) -> Any:
    try:
        key = c.signature()
        hash(key)
        return key
    except Exception:  # noqa: BLE001 - unhashable data never merges
        return None


class MergeFeature:
    """Keeps ``(op, inputs) -> node`` and ``signature -> constant`` indexes of a graph.

    Duplicates found on import or input change are queued in ``pending`` (node pairs) and
    ``pending_constants`` (constant pairs) for ``MergeOptimizer``.
    """

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if hasattr(fgraph, "merge_feature"):
            raise ValueError("a MergeFeature is already attached")
        fgraph.merge_feature = self
        self.fgraph = fgraph
        self.by_key: dict[Any, Apply] = {}
        self.key_of: dict[Apply, Any] = {}
        self.consts: dict[Any, Constant] = {}
        self.pending: list[tuple[Apply, Apply]] = []
        self.pending_constants: list[tuple[Constant, Constant]] = []
        for var in list(fgraph.variables):
            if isinstance(var, Constant):
                self._see_constant(var)
        for node in fgraph.toposort():
            self._index(node)

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.merge_feature

    def clone(self) -> MergeFeature:
        return MergeFeature()

    # -- indexing --------------------------------------------------------------------
    def _see_constant(self, c: Constant) -> None:
        key = _const_key(c)
        if key is None:
            return
        first = self.consts.get(key)
        if first is None or first not in self.fgraph.variables:
            self.consts[key] = c
        elif first is not c:
            self.pending_constants.append((c, first))

    def _index(self, node: Apply) -> None:
        for inp in node.inputs:
            if isinstance(inp, Constant):
                self._see_constant(inp)
        key = _node_key(node)
        self.key_of[node] = key
        if key is None:
            return
        twin = self.by_key.get(key)
        if twin is None or twin not in self.fgraph.apply_nodes:
            self.by_key[key] = node
        elif twin is not node:
            self.pending.append((node, twin))

    def _unindex(self, node: Apply) -> None:
        key = self.key_of.pop(node, None)
        if key is not None and self.by_key.get(key) is node:
            del self.by_key[key]

    # -- callbacks -------------------------------------------------------------------
    def on_import(self, fgraph, node, reason) -> None:
        self._index(node)

    def on_prune(self, fgraph, node, reason) -> None:
        self._unindex(node)

    def on_change_input(self, fgraph, node, i, old, new, reason) -> None:
        if node is OUTPUT or node == OUTPUT:
            if isinstance(new, Constant):
                self._see_constant(new)
            return
        self._unindex(node)
        self._index(node)


class MergeOptimizer(GraphRewriter):
    """Merge equal constants and nodes with equal ops applied to the same inputs."""

    name = "merge"

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        super().add_requirements(fgraph)
        if not hasattr(fgraph, "merge_feature"):
            fgraph.attach_feature(MergeFeature())

    def apply(self, fgraph: FunctionGraph) -> int:
        feat: MergeFeature = fgraph.merge_feature
        merged = 0
        while feat.pending_constants or feat.pending:
            while feat.pending_constants:
                c, first = feat.pending_constants.pop()
                if c in fgraph.variables and first in fgraph.variables and c is not first:
                    if self._replace(fgraph, [(c, first)]):
                        merged += 1
            while feat.pending:
                node, twin = feat.pending.pop()
                if node not in fgraph.apply_nodes or twin not in fgraph.apply_nodes or node is twin:
                    continue
                if node.op != twin.op or any(
                    a is not b for a, b in zip(node.inputs, twin.inputs, strict=True)
                ):
                    continue
                if len(node.inputs) != len(twin.inputs):
                    continue
                if self._replace(fgraph, list(zip(node.outputs, twin.outputs, strict=True))):
                    merged += 1
                    if (
                        twin in fgraph.apply_nodes
                        and feat.by_key.get(feat.key_of.get(twin)) is not twin
                    ):
                        feat.by_key[feat.key_of[twin]] = twin
        return merged

    @staticmethod
    def _replace(fgraph: FunctionGraph, pairs: list[tuple[Variable, Variable]]) -> bool:
        pairs = [(a, b) for a, b in pairs if a in fgraph.variables]
        if not pairs:
            return False
        try:
            fgraph.replace_all_validate(pairs, reason="merge")
        except InconsistencyError:
            return False
        return True


MergeRewriter = MergeOptimizer
merge_rewriter = MergeOptimizer()
