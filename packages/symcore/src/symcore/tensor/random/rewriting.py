"""Rewrites of random variables: draw in place on the generator when that is safe.

A ``RandomVariable`` copies its input generator before drawing, so the input state stays
valid for any other reader. When the generator is a shared variable that the function
updates anyway (the default update of a random stream), the copy is useless:
``random_make_inplace`` swaps in the same Op with ``inplace=True`` (``destroy_map
{0: [0]}``), and the DestroyHandler refuses it whenever the generator must survive the
call (``no_default_updates``, a second reader, a graph input that is not updated).
"""

from __future__ import annotations

import copy

from symcore.rewriting import node_rewriter, register_inplace
from symcore.tensor.random.op import RandomVariable

__all__ = ["random_make_inplace", "inplace_version"]


def inplace_version(op: RandomVariable) -> RandomVariable:
    """The same random Op drawing in place on its generator input."""
    new = copy.copy(op)
    new.inplace = True
    new.destroy_map = {0: [0]}
    return new


@node_rewriter([RandomVariable], inplace=True)
def random_make_inplace(fgraph, node):
    """Draw in place when the DestroyHandler allows destroying the generator input."""
    op = node.op
    if op.inplace:
        return None
    handler = getattr(fgraph, "destroy_handler", None)
    if handler is not None and not handler.destroyable(fgraph, node.inputs[0]):
        return None
    return inplace_version(op).make_node(*node.inputs).outputs


register_inplace(random_make_inplace, position=70.0)
