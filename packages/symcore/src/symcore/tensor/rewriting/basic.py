"""Removing useless nodes, and the ``fill``/``switch``/``alloc`` simplifications.

``useless`` group (run in its own walk and inside canonicalize/specialize):
casts to the same dtype, ``tensor_copy``, ``Rebroadcast`` that changes nothing (and two
Rebroadcasts merged into one), ``SpecifyShape`` of a shape the graph already knows,
``Alloc`` of a value that already has the shape, ``Reshape`` to the shape the input
already has, ``switch`` with a constant condition or equal branches, ``fill(x, y)`` where
``y`` already has the result's type.

``canonicalize``: ``cast(cast(x))`` with a lossless inner cast, ``alloc(alloc(v))``, and
``local_fill_sink``: an elementwise op applied to ``fill(a, b)`` applies to ``b`` and the
``fill`` moves to the result, so the algebraic canonizers see through it.

``specialize``: ``local_fill_to_alloc``: ``fill(x, v)`` → ``alloc(v, *shape(x))`` so that
``x`` is no longer computed when only its shape was needed.

Removing a node that checked shapes at run time (``fill``, ``Alloc``) follows Theano: the
rewritten graph no longer raises for inputs the original graph would have refused.
"""

from __future__ import annotations

import numpy as np

from symcore import scalar as S
from symcore.graph.basic import Constant
from symcore.rewriting.basic import node_rewriter
from symcore.rewriting.register import register_canonicalize, register_specialize, register_useless
from symcore.tensor import math as M
from symcore.tensor.alloc import Alloc, alloc
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.rewriting.shape import attach_shape_feature
from symcore.tensor.rewriting.utils import elemwise_node, fit_to, is_single_client, scalar_const
from symcore.tensor.shape import Rebroadcast, Reshape, SpecifyShape, _vector_entries

__all__ = [
    "local_alloc_alloc",
    "local_cast_cast",
    "local_fill_sink",
    "local_fill_to_alloc",
    "local_useless_alloc",
    "local_useless_cast",
    "local_useless_fill",
    "local_useless_rebroadcast",
    "local_useless_reshape",
    "local_useless_specify_shape",
    "local_useless_switch",
    "local_useless_tensor_copy",
]


def _same_entry(a, b) -> bool:
    """Two int64 scalar shape entries known to be equal (same variable or equal constants)."""
    if a is b:
        return True
    ca, cb = _entry_value(a), _entry_value(b)
    return ca is not None and cb is not None and ca == cb


def _entry_value(e) -> int | None:
    if isinstance(e, (int, np.integer)):
        return int(e)
    c = scalar_const(e)
    return None if c is None else int(c)


def _shape_entries(fgraph, var):
    feat = getattr(fgraph, "shape_feature", None)
    if feat is None:
        return None
    return feat.shape_of.get(var)


# ---------------------------------------------------------------------------------------
# Casts and copies
# ---------------------------------------------------------------------------------------


@register_useless(name="local_useless_cast")
@node_rewriter([Elemwise])
def local_useless_cast(fgraph, node):
    """``cast(x, x.dtype)`` → ``x``."""
    if elemwise_node(node.outputs[0], S.Cast) is None:
        return None
    x = node.inputs[0]
    return [x] if x.type == node.outputs[0].type else None


@register_useless(name="local_useless_tensor_copy")
@node_rewriter([Elemwise])
def local_useless_tensor_copy(fgraph, node):
    """``tensor_copy(x)`` → ``x`` (the compiler copies outputs that would alias inputs)."""
    if elemwise_node(node.outputs[0], S.Identity) is None:
        return None
    x = node.inputs[0]
    return [x] if x.type == node.outputs[0].type else None


@register_canonicalize(name="local_cast_cast")
@node_rewriter([Elemwise])
def local_cast_cast(fgraph, node):
    """``cast(cast(x, d1), d2)`` → ``cast(x, d2)`` when ``x`` → ``d1`` loses nothing."""
    if elemwise_node(node.outputs[0], S.Cast) is None:
        return None
    inner = elemwise_node(node.inputs[0], S.Cast)
    if inner is None:
        return None
    x = inner.inputs[0]
    if not np.can_cast(x.type.dtype, inner.outputs[0].type.dtype, "safe"):
        return None
    res = M.cast(x, node.outputs[0].type.dtype)
    return [res] if res.type == node.outputs[0].type else None


# ---------------------------------------------------------------------------------------
# Broadcast patterns and shapes
# ---------------------------------------------------------------------------------------


@register_useless(name="local_useless_rebroadcast")
@node_rewriter([Rebroadcast])
def local_useless_rebroadcast(fgraph, node):
    """A Rebroadcast that changes no flag is removed; two in a row become one."""
    x = node.inputs[0]
    out = node.outputs[0]
    if x.type == out.type:
        return [x]
    inner = x.owner
    if inner is not None and isinstance(inner.op, Rebroadcast):
        base = inner.inputs[0]
        target = out.type.broadcastable
        changes = [
            (a, target[a]) for a in range(out.type.ndim) if base.type.broadcastable[a] != target[a]
        ]
        res = Rebroadcast(*changes)(base) if changes else base
        return [res] if res.type == out.type else None
    return None


@register_useless(name="local_useless_specify_shape")
@node_rewriter([SpecifyShape], requirements=[attach_shape_feature])
def local_useless_specify_shape(fgraph, node):
    """``specify_shape(x, s)`` → ``x`` when ``x``'s shape is already known to be ``s``;
    ``specify_shape(specify_shape(x, s), s)`` → the inner one."""
    x, shp = node.inputs
    out = node.outputs[0]
    entries = _vector_entries(shp, x.type.ndim)
    inner = x.owner
    if inner is not None and isinstance(inner.op, SpecifyShape) and inner.inputs[1] is shp:
        return [x] if x.type == out.type else None
    known = _shape_entries(fgraph, x)
    if known is None or x.type != out.type or x.type.shape != out.type.shape:
        return None
    if all(_same_entry(k, e) for k, e in zip(known, entries, strict=True)):
        return [x]
    return None


@register_useless(name="local_useless_alloc")
@node_rewriter([Alloc], requirements=[attach_shape_feature])
def local_useless_alloc(fgraph, node):
    """``alloc(v, *shape)`` → ``v`` when ``v`` already has that shape and type."""
    v = node.inputs[0]
    out = node.outputs[0]
    if v.type != out.type:
        return None
    known = _shape_entries(fgraph, v)
    if known is None:
        return None
    if all(_same_entry(k, s) for k, s in zip(known, node.inputs[1:], strict=True)):
        return [v]
    return None


@register_canonicalize(name="local_alloc_alloc")
@node_rewriter([Alloc])
def local_alloc_alloc(fgraph, node):
    """``alloc(alloc(v, *s1), *s2)`` → ``alloc(v, *s2)`` when the inner alloc is read only
    here and only adds dimensions that the outer one covers."""
    inner_var = node.inputs[0]
    inner = inner_var.owner
    if inner is None or not isinstance(inner.op, Alloc) or not is_single_client(fgraph, inner_var):
        return None
    v = inner.inputs[0]
    s1 = inner.inputs[1:]
    s2 = node.inputs[1:]
    # the inner alloc's non-broadcast dims must equal the outer's (it stretched v to them)
    off = len(s2) - len(s1)
    for j, s in enumerate(s1):
        if not inner_var.type.broadcastable[j] and not _same_entry(s, s2[off + j]):
            return None
    res = alloc(v, *s2)
    return [res] if res.type == node.outputs[0].type else None


@register_useless(name="local_useless_reshape")
@node_rewriter([Reshape], requirements=[attach_shape_feature])
def local_useless_reshape(fgraph, node):
    """``reshape(x, s)`` → ``x`` when ``s`` is ``x``'s own shape; a reshape of a reshape
    reshapes the original once."""
    x, shp = node.inputs
    out = node.outputs[0]
    inner = x.owner
    if inner is not None and isinstance(inner.op, Reshape) and is_single_client(fgraph, x):
        res = node.op(inner.inputs[0], shp)
        return [res] if res.type == out.type else None
    if x.type.ndim != node.op.ndim or x.type != out.type:
        return None
    known = _shape_entries(fgraph, x)
    if known is None:
        return None
    entries = _vector_entries(shp, node.op.ndim)
    if all(_same_entry(k, e) for k, e in zip(known, entries, strict=True)):
        return [x]
    return None


# ---------------------------------------------------------------------------------------
# switch and fill
# ---------------------------------------------------------------------------------------


@register_useless(name="local_useless_switch")
@node_rewriter([Elemwise])
def local_useless_switch(fgraph, node):
    """``switch(c, a, b)`` with a constant ``c`` → ``a`` or ``b``; with ``a is b`` → ``a``."""
    if elemwise_node(node.outputs[0], S.Switch) is None:
        return None
    cond, a, b = node.inputs
    out = node.outputs[0]
    c = scalar_const(cond)
    if c is not None:
        res = a if bool(c) else b
    elif a is b:
        res = a
    else:
        return None
    res = fit_to(res, out, node.inputs)
    return None if res is None else [res]


@register_useless(name="local_useless_fill")
@node_rewriter([Elemwise])
def local_useless_fill(fgraph, node):
    """``fill(x, y)`` → ``y`` when ``y`` already has the result's type."""
    if elemwise_node(node.outputs[0], S.Second) is None:
        return None
    y = node.inputs[1]
    return [y] if y.type == node.outputs[0].type else None


@register_canonicalize(name="local_fill_sink")
@node_rewriter([Elemwise])
def local_fill_sink(fgraph, node):
    """``f(fill(a, b), c)`` → ``fill(a, f(b, c))`` (the fill read only here): the values
    meet directly, the shape still comes from ``a``."""
    if elemwise_node(node.outputs[0]) is None or isinstance(node.op.scalar_op, S.Second):
        return None
    if len(node.outputs) != 1:
        return None
    new_inputs = []
    shape_sources = []
    changed = False
    for inp in node.inputs:
        fill = elemwise_node(inp, S.Second)
        if fill is not None and is_single_client(fgraph, inp):
            shape_sources.append(fill.inputs[0])
            new_inputs.append(fill.inputs[1])
            changed = True
        else:
            new_inputs.append(inp)
    if not changed:
        return None
    out = node.outputs[0]
    res = node.op(*new_inputs)
    for src in shape_sources:
        if res.type.ndim == out.type.ndim and res.type.broadcastable == out.type.broadcastable:
            break
        res = M.second(src, res)
    res = fit_to(res, out, list(node.inputs) + shape_sources)
    return None if res is None else [res]


@register_specialize(name="local_fill_to_alloc")
@node_rewriter([Elemwise], requirements=[attach_shape_feature])
def local_fill_to_alloc(fgraph, node):
    """``fill(x, v)`` → ``alloc(v, *shape)``: the value no longer depends on ``x``."""
    if elemwise_node(node.outputs[0], S.Second) is None:
        return None
    x, v = node.inputs
    out = node.outputs[0]
    if isinstance(x, Constant):
        return None
    shape = _shape_entries(fgraph, out)
    if shape is None:
        return None
    res = alloc(v, *shape)
    if res.type != out.type:
        return None
    return [res]
