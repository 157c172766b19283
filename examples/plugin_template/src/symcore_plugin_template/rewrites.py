"""The rewrite ``double(double(x)) -> x * 4``."""

from __future__ import annotations

from typing import Any

from symcore.rewriting import node_rewriter

from symcore_plugin_template.ops import Double


@node_rewriter([Double])
def local_double_double(fgraph: Any, node: Any) -> list[Any] | None:
    """Replace two nested doublings by one multiplication by four."""
    (x,) = node.inputs
    if x.owner is None or not isinstance(x.owner.op, Double):
        return None
    return [x.owner.inputs[0] * 4]
