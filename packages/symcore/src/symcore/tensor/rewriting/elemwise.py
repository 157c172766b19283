"""DimShuffle rewrites (``canonicalize``), so that elementwise chains meet directly.

* ``local_useless_dimshuffle``: a DimShuffle that keeps every dimension in place → its input.
* ``local_dimshuffle_dimshuffle``: two DimShuffles in a row → one (also in ``specialize``,
  for the DimShuffles the BLAS rewrites add).
* ``local_dimshuffle_lift``: ``dimshuffle(f(a, b))`` → ``f(dimshuffle(a), dimshuffle(b))``
  when the elementwise result is read only by the DimShuffle; the DimShuffles sink to the
  leaves (where those of constants fold) and the elementwise nodes become adjacent, ready
  for fusion.

Elementwise fusion itself is in ``symcore.tensor.rewriting.fusion``.
"""

from __future__ import annotations

from symcore.rewriting.basic import node_rewriter
from symcore.rewriting.register import register_canonicalize, register_specialize, register_useless
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.rewriting.utils import is_single_client

__all__ = ["local_dimshuffle_dimshuffle", "local_dimshuffle_lift", "local_useless_dimshuffle"]


def _compose(inner_order: tuple, outer_order: tuple) -> list:
    """The order of one DimShuffle doing ``inner`` then ``outer``."""
    return ["x" if o == "x" else inner_order[o] for o in outer_order]


def _apply(order: list, x):
    """``x`` dimshuffled by ``order`` (``x`` itself for the identity)."""
    if order == list(range(x.type.ndim)):
        return x
    return DimShuffle(x.type.broadcastable, order)(x)


@register_useless(name="local_useless_dimshuffle")
@node_rewriter([DimShuffle])
def local_useless_dimshuffle(fgraph, node):
    """``dimshuffle(x, range(x.ndim))`` → ``x``."""
    x = node.inputs[0]
    if list(node.op.new_order) == list(range(x.type.ndim)):
        return [x]
    return None


@register_canonicalize(name="local_dimshuffle_dimshuffle")
@register_specialize(name="local_dimshuffle_dimshuffle")
@node_rewriter([DimShuffle])
def local_dimshuffle_dimshuffle(fgraph, node):
    """``dimshuffle(dimshuffle(x, o1), o2)`` → ``dimshuffle(x, o1∘o2)``."""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, DimShuffle):
        return None
    x = inner.inputs[0]
    res = _apply(_compose(inner.op.new_order, node.op.new_order), x)
    return [res] if res.type == node.outputs[0].type else None


@register_canonicalize(name="local_dimshuffle_lift")
@node_rewriter([DimShuffle])
def local_dimshuffle_lift(fgraph, node):
    """``dimshuffle(f(a, b), o)`` → ``f(dimshuffle(a, o), dimshuffle(b, o))`` for an
    elementwise ``f`` whose result is read only by this DimShuffle."""
    var = node.inputs[0]
    enode = var.owner
    if (
        enode is None
        or not isinstance(enode.op, Elemwise)
        or enode.op.inplace_pattern
        or len(enode.outputs) != 1
        or not is_single_client(fgraph, var)
    ):
        return None
    order = list(node.op.new_order)
    new_inputs = []
    for inp in enode.inputs:
        inner = inp.owner
        if inner is not None and isinstance(inner.op, DimShuffle):
            new_inputs.append(_apply(_compose(inner.op.new_order, order), inner.inputs[0]))
        else:
            new_inputs.append(_apply(order, inp))
    res = enode.op(*new_inputs)
    return [res] if res.type == node.outputs[0].type else None
