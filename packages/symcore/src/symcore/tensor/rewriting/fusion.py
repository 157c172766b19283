"""Elementwise fusion: chains of ``Elemwise`` nodes become one ``Elemwise(Composite)``.

Registered in the ``elemwise_fusion`` phase (position 49 of ``rewrite_db``; tags
``fast_run``, ``fusion``), so ``mode.excluding("fusion")`` turns it off.

Starting from the last node of the graph, each elementwise node grows a cluster by taking
in the elementwise nodes that compute its inputs, as long as every client of such a node
is already in the cluster (a value needed elsewhere, or a graph output, is never fused
away). The cluster's scalar graph becomes a ``Composite``; scalar constants are inlined,
every other outside value is an input of the fused node. Broadcasting is unchanged: the
fused node checks the same dimension pairs as the nodes it replaces, and NumPy evaluates
each inner op on its own operands' shapes.
"""

from __future__ import annotations

from symcore import scalar as S
from symcore.graph.basic import Apply, Variable
from symcore.graph.fg import OUTPUT, FunctionGraph, InconsistencyError
from symcore.rewriting.basic import GraphRewriter, copy_stack_trace
from symcore.rewriting.register import register_fusion
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.rewriting.utils import scalar_const

__all__ = ["FusionOptimizer", "fuse_cluster"]

#: Largest number of inputs a fused node gets (a backend may need a bound on arguments).
MAX_FUSED_INPUTS = 64


def _fusable(node: Apply | None) -> bool:
    return (
        node is not None
        and isinstance(node.op, Elemwise)
        and not node.op.inplace_pattern
        and len(node.outputs) == 1
        and isinstance(node.op.scalar_op, S.ScalarOp)
    )


def _grow(fgraph: FunctionGraph, root: Apply, position: dict[Apply, int]) -> list[Apply]:
    """The cluster of fusable nodes ending at ``root`` (root last, topologically sorted by
    ``position``, the nodes' indices in a topological order of the graph)."""
    cluster = {root}
    frontier = [root]
    n_leaves = len(root.inputs)
    while frontier:
        node = frontier.pop()
        for inp in node.inputs:
            m = inp.owner
            if m is None or m in cluster or m not in position or not _fusable(m):
                continue
            if m.outputs[0].type.ndim != root.outputs[0].type.ndim:
                continue
            clients = fgraph.clients.get(inp, [])
            if not clients or any(c == OUTPUT or c not in cluster for c, _ in clients):
                continue
            if n_leaves + len(m.inputs) > MAX_FUSED_INPUTS:
                continue
            cluster.add(m)
            n_leaves += len(m.inputs)
            frontier.append(m)
    return sorted(cluster, key=position.__getitem__)


def fuse_cluster(nodes: list[Apply]) -> Variable | None:
    """One ``Elemwise(Composite)`` computing the output of ``nodes[-1]`` (``nodes`` in
    topological order, each read only inside the list). None when nothing can be fused."""
    inside = {o for n in nodes for o in n.outputs}
    scalar_of: dict[Variable, Variable] = {}
    leaves: list[Variable] = []
    s_inputs: list[Variable] = []
    for node in nodes:
        for inp in node.inputs:
            if inp in inside or inp in scalar_of:
                continue
            c = scalar_const(inp)
            if c is not None:
                scalar_of[inp] = S.constant(c, dtype=inp.type.dtype)
                continue
            sv = S.get_scalar_type(inp.type.dtype)()
            scalar_of[inp] = sv
            leaves.append(inp)
            s_inputs.append(sv)
    if not leaves:
        return None
    for node in nodes:
        snode = node.op.scalar_op.make_node(*[scalar_of[i] for i in node.inputs])
        if snode.outputs[0].type.dtype != node.outputs[0].type.dtype:
            return None
        scalar_of[node.outputs[0]] = snode.outputs[0]
    comp = S.Composite(s_inputs, [scalar_of[nodes[-1].outputs[0]]])
    res = Elemwise(comp)(*leaves)
    return res if res.type == nodes[-1].outputs[0].type else None


class FusionOptimizer(GraphRewriter):
    """Fuse elementwise chains into ``Elemwise(Composite)`` nodes (see the module doc)."""

    name = "FusionOptimizer"

    def apply(self, fgraph: FunctionGraph) -> int:
        n_fused = 0
        order = fgraph.toposort()
        # Fused nodes replace roots visited earlier (later in the order): they never join
        # a later cluster, so the positions of the original nodes are all that is needed.
        position = {node: k for k, node in enumerate(order)}
        for node in reversed(order):
            if node not in fgraph.apply_nodes or not _fusable(node):
                continue
            cluster = _grow(fgraph, node, position)
            if len(cluster) < 2:
                continue
            new = fuse_cluster(cluster)
            if new is None:
                continue
            copy_stack_trace(node.outputs[0], new)
            try:
                fgraph.replace_all_validate([(node.outputs[0], new)], reason="elemwise_fusion")
            except InconsistencyError:
                continue
            n_fused += 1
        return n_fused


register_fusion(FusionOptimizer(), name="composite_elemwise_fusion", position=1)
