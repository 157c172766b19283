"""Graph rewriters that drive node rewriters over a graph: one walk, or until equilibrium.

The equilibrium driver keeps a worklist of nodes whose surroundings changed (imported
nodes, nodes whose inputs changed and their clients, producers of pruned nodes' inputs)
instead of re-walking the whole graph after every change, so its cost grows about
linearly with the size of the graph. A full sweep per round guards against rewrites that
look deeper than one node.
"""

from __future__ import annotations

import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from symcore.graph.basic import Apply
from symcore.graph.fg import OUTPUT, FunctionGraph
from symcore.rewriting.basic import (
    GraphRewriter,
    NodeRewriter,
    OpToRewriterTracker,
    RewriteWarning,
    SequentialNodeRewriter,
    apply_node_rewriter,
    report_rewrite_error,
)

__all__ = [
    "EquilibriumGraphRewriter",
    "WalkingGraphRewriter",
    "in2out",
    "out2in",
    "DEFAULT_MAX_USE_RATIO",
]

#: A rewriter applied more than this many times per node of the initial graph stops the loop.
DEFAULT_MAX_USE_RATIO = 8.0


class _Listener:
    """FunctionGraph feature forwarding graph changes to callbacks of a running rewriter."""

    def __init__(
        self,
        on_import: Callable[[Apply], None] | None = None,
        on_prune: Callable[[Apply], None] | None = None,
        on_change: Callable[[Any, int], None] | None = None,
    ) -> None:
        self._import = on_import
        self._prune = on_prune
        self._change = on_change
        self.events = 0

    def on_import(self, fgraph, node, reason):
        self.events += 1
        if self._import is not None:
            self._import(node)

    def on_prune(self, fgraph, node, reason):
        self.events += 1
        if self._prune is not None:
            self._prune(node)

    def on_change_input(self, fgraph, node, i, old, new, reason):
        self.events += 1
        if self._change is not None:
            self._change(node, i)


class WalkingGraphRewriter(GraphRewriter):
    """Applies a node rewriter once to every node, inputs-to-outputs or outputs-to-inputs.

    Nodes created by replacements are visited too unless ``ignore_newtrees``.
    """

    def __init__(
        self,
        node_rewriter: NodeRewriter,
        order: str = "in_to_out",
        ignore_newtrees: bool = False,
        failure_callback: Callable | None = None,
        name: str | None = None,
    ) -> None:
        if order not in ("in_to_out", "out_to_in"):
            raise ValueError(
                f"WalkingGraphRewriter: order must be 'in_to_out' or 'out_to_in', got {order!r}"
            )
        self.node_rewriter = node_rewriter
        self.order = order
        self.ignore_newtrees = ignore_newtrees
        self.failure_callback = failure_callback
        self.name = name or f"{order}({node_rewriter})"
        self.n_applied = 0

    def add_requirements(self, fgraph):
        super().add_requirements(fgraph)
        self.node_rewriter.add_requirements(fgraph)

    def apply(self, fgraph: FunctionGraph, start_from: Sequence | None = None):
        queue = deque(fgraph.toposort())
        current: list[Apply | None] = [None]
        tracker = OpToRewriterTracker([self.node_rewriter])

        def importer(node: Apply) -> None:
            if node is not current[0] and not self.ignore_newtrees:
                queue.append(node)

        listener = _Listener(on_import=importer)
        fgraph.attach_feature(listener)
        self.n_applied = 0
        try:
            while queue:
                node = queue.pop() if self.order == "out_to_in" else queue.popleft()
                if node not in fgraph.apply_nodes:
                    continue
                if not tracker.get(node.op):
                    continue
                current[0] = node
                if apply_node_rewriter(fgraph, self.node_rewriter, node):
                    self.n_applied += 1
        finally:
            fgraph.remove_feature(listener)
        return self.n_applied


def in2out(
    *rewriters: NodeRewriter, name: str | None = None, ignore_newtrees: bool = False, **kwargs: Any
) -> WalkingGraphRewriter:
    """A walk from inputs to outputs applying ``rewriters`` (first that applies wins)."""
    rw = rewriters[0] if len(rewriters) == 1 else SequentialNodeRewriter(*rewriters)
    return WalkingGraphRewriter(
        rw, "in_to_out", ignore_newtrees=ignore_newtrees, name=name, **kwargs
    )


def out2in(
    *rewriters: NodeRewriter, name: str | None = None, ignore_newtrees: bool = False, **kwargs: Any
) -> WalkingGraphRewriter:
    """A walk from outputs to inputs applying ``rewriters`` (first that applies wins)."""
    rw = rewriters[0] if len(rewriters) == 1 else SequentialNodeRewriter(*rewriters)
    return WalkingGraphRewriter(
        rw, "out_to_in", ignore_newtrees=ignore_newtrees, name=name, **kwargs
    )


class EquilibriumGraphRewriter(GraphRewriter):
    """Applies node rewriters (and graph rewriters) until the graph stops changing.

    Each round runs the graph rewriters in ``rewriters``, then every node rewriter on a
    worklist (all nodes, then the nodes touched by changes), then ``final_rewriters``.
    Rounds repeat while something changed. A rewriter applied more than
    ``max_use_ratio * (number of nodes at the start)`` times stops the loop with a
    ``RewriteWarning`` (a sign of two rewrites undoing each other).
    ``stats`` holds ``{rewriter name: [applications, seconds]}`` after a run.
    """

    def __init__(
        self,
        rewriters: Iterable[Any],
        max_use_ratio: float | None = None,
        final_rewriters: Iterable[GraphRewriter] = (),
        ignore_newtrees: bool = False,
        name: str | None = None,
        min_max_uses: int = 32,
    ) -> None:
        rewriters = list(rewriters)
        self.node_rewriters = [r for r in rewriters if isinstance(r, NodeRewriter)]
        self.graph_rewriters = [r for r in rewriters if isinstance(r, GraphRewriter)]
        other = [r for r in rewriters if not isinstance(r, (NodeRewriter, GraphRewriter))]
        if other:
            raise TypeError(f"EquilibriumGraphRewriter: not a rewriter: {other[0]!r}")
        self.final_rewriters = list(final_rewriters)
        self.max_use_ratio = DEFAULT_MAX_USE_RATIO if max_use_ratio is None else max_use_ratio
        self.min_max_uses = min_max_uses
        self.ignore_newtrees = ignore_newtrees
        self.name = name
        self.tracker = OpToRewriterTracker(self.node_rewriters)
        self.stats: dict[str, list] = {}
        self._stat_by_id: dict[int, list] = {}
        self.rounds = 0

    def add_requirements(self, fgraph):
        super().add_requirements(fgraph)
        for rw in self.node_rewriters + self.graph_rewriters + self.final_rewriters:
            rw.add_requirements(fgraph)

    def __str__(self):
        return (
            self.name
            or "EquilibriumGraphRewriter("
            + ", ".join(str(r) for r in self.node_rewriters + self.graph_rewriters)
            + ")"
        )

    def _stat(self, rw: Any) -> list:
        st = self._stat_by_id.get(id(rw))
        if st is None:
            st = self.stats.setdefault(str(rw), [0, 0.0])
            self._stat_by_id[id(rw)] = st
        return st

    def apply(self, fgraph: FunctionGraph):
        queue: deque[Apply] = deque()
        queued: set[Apply] = set()
        ignore_new = self.ignore_newtrees

        def push(node: Any) -> None:
            if node is OUTPUT or node in queued:
                return
            queued.add(node)
            queue.append(node)

        def on_import(node: Apply) -> None:
            if not ignore_new:
                push(node)

        def on_change(node: Any, i: int) -> None:
            if node is OUTPUT or node == OUTPUT:
                return
            push(node)
            for out in node.outputs:
                for client, _ in fgraph.clients.get(out, ()):
                    push(client)

        def on_prune(node: Apply) -> None:
            for inp in node.inputs:
                owner = inp.owner
                if owner is not None and owner in fgraph.apply_nodes:
                    push(owner)

        listener = _Listener(on_import, on_prune, on_change)
        fgraph.attach_feature(listener)
        self.stats = {}
        self._stat_by_id: dict[int, list] = {}
        stat_by_id, perf = self._stat_by_id, time.perf_counter
        self.rounds = 0
        max_uses = max(int(self.max_use_ratio * max(len(fgraph.apply_nodes), 1)), self.min_max_uses)
        counts: dict[int, int] = {}
        try:
            changed = True
            while changed:
                changed = False
                self.rounds += 1
                if self.rounds > max_uses:
                    self._max_out(f"{self.rounds} rounds", max_uses)
                    return
                if self._run_graph_rewriters(fgraph, self.graph_rewriters, listener):
                    changed = True
                for node in fgraph.toposort():
                    push(node)
                # (hot loop: one iteration per node and rewriter tracking its op)
                apply_nodes, rewriters_of, clock = fgraph.apply_nodes, self.tracker.get, perf
                while queue:
                    node = queue.popleft()
                    queued.discard(node)
                    if node not in apply_nodes:
                        continue
                    for rw in rewriters_of(node.op):
                        if node not in apply_nodes:
                            break
                        t0 = clock()
                        ok = apply_node_rewriter(fgraph, rw, node)
                        st = stat_by_id.get(id(rw)) or self._stat(rw)
                        st[1] += clock() - t0
                        if ok:
                            st[0] += 1
                            changed = True
                            n = counts[id(rw)] = counts.get(id(rw), 0) + 1
                            if n > max_uses:
                                self._max_out(rw, max_uses)
                                return
                if self._run_graph_rewriters(fgraph, self.final_rewriters, listener):
                    changed = True
        finally:
            fgraph.remove_feature(listener)

    def _run_graph_rewriters(
        self, fgraph: FunctionGraph, rewriters: list, listener: _Listener
    ) -> bool:
        changed = False
        for rw in rewriters:
            before = listener.events
            t0 = time.perf_counter()
            try:
                rw.rewrite(fgraph)
            except Exception as exc:  # noqa: BLE001
                report_rewrite_error(rw, None, exc)
            st = self._stat(rw)
            st[1] += time.perf_counter() - t0
            if listener.events != before:
                st[0] += 1
                changed = True
        return changed

    def _max_out(self, what: Any, max_uses: int) -> None:
        warnings.warn(
            f"{self}: stopped after {what} was applied more than {max_uses} times "
            f"(max_use_ratio={self.max_use_ratio}); two rewrites may be undoing each other. "
            "The graph is valid but may not be fully rewritten.",
            RewriteWarning,
            stacklevel=3,
        )
