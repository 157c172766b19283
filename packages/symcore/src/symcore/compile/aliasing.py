"""Which outputs of a compiled graph may share memory with what, and which must be copied.

An Op declares aliasing with ``view_map`` (output views an input) and ``destroy_map``
(output is an input overwritten in place). Following those maps from each output back to
the graph's roots gives the set of buffers the output may live in. ``copy_plan`` uses that
to decide, once at compile time, which returned values must be copied so that:

* a returned array never aliases a value the caller passed in, a constant, or a shared
  variable's storage (unless the caller asked for borrowing);
* two returned arrays never alias each other;
* a shared variable's new value never aliases a returned array, a constant, an input the
  caller holds, or another shared variable's storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symcore.graph.basic import Variable

__all__ = ["alias_roots", "copy_plan"]


def alias_roots(fgraph) -> dict[Variable, frozenset]:
    """Map every variable of ``fgraph`` to the root variables whose memory it may use.

    A root is a graph input, a constant/orphan, or a node output that is freshly allocated
    (no ``view_map``/``destroy_map`` entry).
    """
    roots: dict[Variable, frozenset] = {}
    for v in fgraph.inputs:
        roots[v] = frozenset((v,))
    for node in fgraph.toposort():
        for v in node.inputs:
            if v not in roots:
                roots[v] = frozenset((v,))
        vmap = getattr(node.op, "view_map", None) or {}
        dmap = getattr(node.op, "destroy_map", None) or {}
        for k, out in enumerate(node.outputs):
            srcs = list(vmap.get(k, ())) + list(dmap.get(k, ()))
            if srcs:
                acc: set = set()
                for i in srcs:
                    acc |= roots[node.inputs[i]]
                roots[out] = frozenset(acc)
            else:
                roots[out] = frozenset((out,))
    for v in fgraph.outputs:
        if v not in roots:
            roots[v] = frozenset((v,))
    return roots


def copy_plan(
    fgraph,
    n_user_outputs: int,
    output_borrow: Sequence[bool],
    borrowable_inputs: Sequence[Any],
    update_mapping: dict[int, int],
) -> list[int]:
    """Indices of ``fgraph.outputs`` whose value must be copied after each call.

    ``output_borrow[k]``: output ``k`` was declared ``Out(borrow=True)``.
    ``borrowable_inputs``: graph inputs declared ``In(borrow=True)`` (outputs may alias them).
    ``update_mapping``: output index → input index for update outputs (indices ≥ n_user).
    """
    roots = alias_roots(fgraph)
    inputs = list(fgraph.inputs)
    produced = {o for n in fgraph.apply_nodes for o in n.outputs}
    external = {v for v in roots if v not in produced}  # inputs, constants, orphans
    borrowable = set(borrowable_inputs)
    claimed: set = set()
    copies: list[int] = []
    for k in range(n_user_outputs):
        r = roots[fgraph.outputs[k]]
        if output_borrow[k]:
            claimed |= r
            continue
        if (r & (external - borrowable)) or (r & claimed):
            copies.append(k)
        else:
            claimed |= r
    for k in range(n_user_outputs, len(fgraph.outputs)):
        target = inputs[update_mapping[k]]
        r = roots[fgraph.outputs[k]]
        if (r & (external - {target})) or (r & claimed):
            copies.append(k)
        else:
            claimed |= r
    return copies
