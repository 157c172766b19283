"""Constant folding: replace a node whose inputs are all constants by its computed value."""

from __future__ import annotations

import numpy as np

from symcore.graph.basic import Constant
from symcore.rewriting.basic import node_rewriter

__all__ = ["constant_folding", "fold_node"]


def fold_node(fgraph, node):
    """The outputs of ``node`` as constants, or None when it cannot or should not be folded.

    Ops opt out with ``do_constant_folding(fgraph, node) -> False``; ops that destroy an
    input are never folded; an op whose ``perform`` raises is left for run time (so the
    error is reported where the user runs the function).
    """
    if not all(isinstance(i, Constant) for i in node.inputs):
        return None
    if getattr(node.op, "destroy_map", None):
        return None
    try:
        if not node.op.do_constant_folding(fgraph, node):
            return None
    except Exception:  # noqa: BLE001 - an op that cannot answer is not folded
        return None
    storage = [[None] for _ in node.outputs]
    try:
        node.op.prepare_node(node)
        with np.errstate(all="ignore"):
            node.op.perform(node, [i.data for i in node.inputs], storage, node.run_params())
    except Exception:  # noqa: BLE001 - leave the error to run time
        return None
    out = []
    for var, cell in zip(node.outputs, storage, strict=True):
        if cell[0] is None:
            return None
        try:
            const = var.type.make_constant(cell[0])
        except Exception:  # noqa: BLE001 - a type with no constants (e.g. NullType)
            return None
        if var.name is not None:
            const.name = var.name
        out.append(const)
    return out


@node_rewriter(None)
def constant_folding(fgraph, node):
    """Compute nodes whose inputs are all constants at compile time."""
    return fold_node(fgraph, node)
