"""Rewrites of basic indexing (``Subtensor``), in ``canonicalize`` (and ``useless``).

* ``local_useless_subtensor``: ``x[:]``, ``x[0:n]`` with ``n`` the length (or at least
  ``sys.maxsize``) → ``x``.
* ``local_subtensor_make_vector``: ``make_vector(a, b, c)[1]`` → ``b`` (so ``x.shape[0]``
  becomes ``Shape_i{0}(x)``); constant slices give a shorter ``make_vector``.
* ``local_subtensor_of_alloc``: ``alloc(v, *s)[idx]`` → ``alloc(v[idx'], *s')`` (only the
  part of ``v`` that is read, then filled to the indexed shape).
* ``local_subtensor_of_join``: ``join(axis, a, b)[idx]`` with a constant index on the join
  axis inside one input (static lengths) → that input indexed.
* ``local_subtensor_inc_subtensor``: ``set_subtensor(x[idx], y)[idx]`` → ``y`` (filled to
  the indexed shape); likewise ``inc_subtensor`` of zeros.
* ``local_subtensor_merge``: ``x[a:b][c]`` / ``x[a:b][c:d]`` with constant non-negative
  bounds and positive steps → one Subtensor.

Index bounds: like Theano, a rewritten graph may no longer raise ``IndexError`` for an
integer index that was out of range in the original.
"""

from __future__ import annotations

import sys
from typing import Any

from symcore.rewriting.basic import node_rewriter
from symcore.rewriting.register import register_canonicalize, register_specialize, register_useless
from symcore.tensor import math as M
from symcore.tensor.alloc import Alloc, alloc
from symcore.tensor.indexing import getitem
from symcore.tensor.join import Join
from symcore.tensor.rewriting.shape import attach_shape_feature
from symcore.tensor.rewriting.utils import elemwise_node, is_single_client, scalar_const
from symcore.tensor.shape import MakeVector, patternbroadcast
from symcore.tensor.subtensor import IncSubtensor, Subtensor, get_idx_list

__all__ = [
    "local_subtensor_inc_subtensor",
    "local_subtensor_make_vector",
    "local_subtensor_merge",
    "local_subtensor_of_alloc",
    "local_subtensor_of_join",
    "local_useless_subtensor",
]

_NO = object()  # "not a constant"


def _entries(node) -> list[Any]:
    """The node's index entries: None, slices of variables/None, or index variables."""
    return get_idx_list(node.inputs[1:], node.op.idx_list)


def _cint(v: Any) -> Any:
    """Python int of a constant integer entry part, None for None, ``_NO`` when symbolic."""
    if v is None:
        return None
    c = scalar_const(v)
    return _NO if c is None else int(c)


def _const_entries(entries: list[Any]) -> list[Any] | None:
    """Entries as Python ints/slices of ints (None entries stay None), or None if any part
    is symbolic."""
    out: list[Any] = []
    for e in entries:
        if e is None:
            out.append(None)
        elif isinstance(e, slice):
            parts = [_cint(p) for p in (e.start, e.stop, e.step)]
            if any(p is _NO for p in parts):
                return None
            out.append(slice(*parts))
        else:
            c = _cint(e)
            if c is _NO:
                return None
            out.append(c)
    return out


def _padded(entries: list[Any], ndim: int) -> list[Any]:
    used = sum(1 for e in entries if e is not None)
    return list(entries) + [slice(None)] * (ndim - used)


def _shape_of(fgraph, var):
    feat = getattr(fgraph, "shape_feature", None)
    return None if feat is None else feat.shape_of.get(var)


def _fit_bcast(res, out):
    """``res`` cast/rebroadcast to ``out``'s type, or None."""
    if res.type.ndim != out.type.ndim:
        return None
    if res.type.dtype != out.type.dtype:
        res = M.cast(res, out.type.dtype)
    if res.type.broadcastable != out.type.broadcastable:
        res = patternbroadcast(res, out.type.broadcastable)
    return res if res.type == out.type else None


# ---------------------------------------------------------------------------------------


@register_useless(name="local_useless_subtensor")
@node_rewriter([Subtensor], requirements=[attach_shape_feature])
def local_useless_subtensor(fgraph, node):
    """``x[:]``, ``x[0:n:1]`` (``n`` = the length, or a constant at least the static
    length) → ``x``."""
    x = node.inputs[0]
    out = node.outputs[0]
    if x.type != out.type:
        return None
    entries = _entries(node)
    if any(not isinstance(e, slice) for e in entries):
        return None
    shape = _shape_of(fgraph, x)
    for d, e in enumerate(entries):
        start, step = _cint(e.start), _cint(e.step)
        if start not in (None, 0) or step not in (None, 1):
            return None
        if e.stop is None:
            continue
        stop = _cint(e.stop)
        n = x.type.shape[d]
        if stop is not _NO and ((n is not None and stop >= n) or stop >= sys.maxsize):
            continue
        if shape is not None and shape[d] is e.stop:
            continue
        return None
    return [x]


@register_canonicalize(name="local_subtensor_make_vector")
@register_specialize(name="local_subtensor_make_vector")
@node_rewriter([Subtensor])
def local_subtensor_make_vector(fgraph, node):
    """``make_vector(a, b, c)[i]`` → the ``i``-th entry; a constant slice → a shorter vector."""
    vec = node.inputs[0]
    mv = vec.owner
    if mv is None or not isinstance(mv.op, MakeVector):
        return None
    entries = _const_entries(_entries(node))
    if entries is None or len(entries) != 1 or entries[0] is None:
        return None
    (e,) = entries
    items = mv.inputs
    out = node.outputs[0]
    if isinstance(e, int):
        if not -len(items) <= e < len(items):
            return None
        res = items[e]
        if res.type.dtype != out.type.dtype:
            res = M.cast(res, out.type.dtype)
        return [res] if res.type == out.type else None
    picked = items[e]
    res = MakeVector(mv.op.dtype)(*picked)
    return [res] if res.type == out.type else None


@register_canonicalize(name="local_subtensor_of_alloc")
@node_rewriter([Subtensor], requirements=[attach_shape_feature])
def local_subtensor_of_alloc(fgraph, node):
    """``alloc(v, *s)[idx]`` → ``alloc(v[idx'], *shape_of_result)``."""
    a = node.inputs[0]
    anode = a.owner
    if anode is None or not isinstance(anode.op, Alloc) or not is_single_client(fgraph, a):
        return None
    entries = _entries(node)
    if any(e is None for e in entries):
        return None
    out_shape = _shape_of(fgraph, node.outputs[0])
    if out_shape is None:
        return None
    v = anode.inputs[0]
    n_new = a.type.ndim - v.type.ndim
    v_index: list[Any] = []
    for d, e in enumerate(_padded(entries, a.type.ndim)):
        if d < n_new:
            continue
        j = d - n_new
        if v.type.broadcastable[j]:
            v_index.append(slice(None) if isinstance(e, slice) else 0)
        else:
            v_index.append(e)
    if v_index and not all(isinstance(e, slice) and e == slice(None) for e in v_index):
        v = getitem(v, tuple(v_index))
    res = alloc(v, *out_shape)
    return [res] if res.type == node.outputs[0].type else None


@register_canonicalize(name="local_subtensor_of_join")
@node_rewriter([Subtensor])
def local_subtensor_of_join(fgraph, node):
    """``join(axis, *ts)[..., i, ...]`` (constant ``i`` and join axis, static lengths) →
    ``ts[k][..., i - offset_k, ...]``; a constant slice covering exactly ``ts[k]`` → ``ts[k]``."""
    j = node.inputs[0]
    jnode = j.owner
    if jnode is None or not isinstance(jnode.op, Join):
        return None
    ax = scalar_const(jnode.inputs[0])
    entries = _const_entries(_entries(node))
    if ax is None or entries is None or any(e is None for e in entries):
        return None
    ax = int(ax)
    entries = _padded(entries, j.type.ndim)
    tensors = jnode.inputs[1:]
    lengths = [t.type.shape[ax] for t in tensors]
    if any(n is None for n in lengths):
        return None
    total = sum(lengths)
    e = entries[ax]
    offsets = [sum(lengths[:k]) for k in range(len(tensors))]
    if isinstance(e, int):
        i = e + total if e < 0 else e
        if not 0 <= i < total:
            return None
        k = max(kk for kk in range(len(tensors)) if offsets[kk] <= i and lengths[kk] > 0)
        new = list(entries)
        new[ax] = i - offsets[k]
    else:
        start, stop, step = e.indices(total)
        if step != 1:
            return None
        hits = [
            kk
            for kk in range(len(tensors))
            if offsets[kk] == start and offsets[kk] + lengths[kk] == stop
        ]
        if not hits or start >= stop:
            return None
        k = hits[0]
        new = list(entries)
        new[ax] = slice(None)
    t = tensors[k]
    res = (
        getitem(t, tuple(new))
        if any(not (isinstance(x, slice) and x == slice(None)) for x in new)
        else t
    )
    res = _fit_bcast(res, node.outputs[0])
    return None if res is None else [res]


def _same_index_inputs(a: list, b: list) -> bool:
    if len(a) != len(b):
        return False
    for u, v in zip(a, b, strict=True):
        if u is v:
            continue
        cu, cv = scalar_const(u), scalar_const(v)
        if cu is None or cv is None or int(cu) != int(cv):
            return False
    return True


def _is_zeros(var) -> bool:
    c = scalar_const(var)
    if c is not None:
        return c == 0
    if var.owner is None:
        return False
    if isinstance(var.owner.op, Alloc):
        c = scalar_const(var.owner.inputs[0])
        return c is not None and c == 0
    fill = elemwise_node(var, type(M.second.scalar_op))
    if fill is not None:
        c = scalar_const(fill.inputs[1])
        return c is not None and c == 0
    return False


@register_canonicalize(name="local_subtensor_inc_subtensor")
@node_rewriter([Subtensor], requirements=[attach_shape_feature])
def local_subtensor_inc_subtensor(fgraph, node):
    """``set_subtensor(x[idx], y)[idx]`` → ``y`` broadcast to the indexed shape (also
    ``inc_subtensor`` of zeros)."""
    xi = node.inputs[0]
    inc = xi.owner
    if inc is None or not isinstance(inc.op, IncSubtensor):
        return None
    if inc.op.idx_list != node.op.idx_list or not _same_index_inputs(
        inc.inputs[2:], node.inputs[1:]
    ):
        return None
    x, y = inc.inputs[0], inc.inputs[1]
    if not inc.op.set_instead_of_inc and not _is_zeros(x):
        return None
    out = node.outputs[0]
    if y.type.dtype != out.type.dtype:
        y = M.cast(y, out.type.dtype)
    if y.type == out.type:
        return [y]
    shape = _shape_of(fgraph, out)
    if shape is None:
        return None
    res = alloc(y, *shape)
    return [res] if res.type == out.type else None


def _merge_dim(e1: Any, e2: Any) -> Any:
    """The entry selecting, on one dimension, what ``e2`` selects in what ``e1`` selects
    (both constants: non-negative ints, slices with non-negative bounds and positive steps);
    ``_NO`` when it cannot be written as one entry."""
    a1 = e1.start or 0
    s1 = e1.step or 1
    if isinstance(e2, int):
        i = a1 + e2 * s1
        if e1.stop is not None and i >= e1.stop:
            return _NO  # out of range of the inner slice: keep the original error
        return i
    a2, s2 = e2.start or 0, e2.step or 1
    stops = [s for s in (e1.stop, None if e2.stop is None else a1 + e2.stop * s1) if s is not None]
    start, step = a1 + a2 * s1, s1 * s2
    return slice(start or None, min(stops) if stops else None, None if step == 1 else step)


def _simple(e: Any) -> bool:
    if isinstance(e, int):
        return e >= 0
    return (
        isinstance(e, slice)
        and (e.start is None or e.start >= 0)
        and (e.stop is None or e.stop >= 0)
        and (e.step is None or e.step > 0)
    )


@register_canonicalize(name="local_subtensor_merge")
@node_rewriter([Subtensor])
def local_subtensor_merge(fgraph, node):
    """``x[i1][i2]`` → ``x[i]`` for constant, non-negative basic indices."""
    inner_var = node.inputs[0]
    inner = inner_var.owner
    if inner is None or not isinstance(inner.op, Subtensor):
        return None
    x = inner.inputs[0]
    idx1 = _const_entries(_entries(inner))
    idx2 = _const_entries(_entries(node))
    if idx1 is None or idx2 is None or not all(e is not None and _simple(e) for e in idx1 + idx2):
        return None
    idx1 = _padded(idx1, x.type.ndim)
    idx2 = _padded(idx2, inner_var.type.ndim)
    merged: list[Any] = []
    k = 0
    for e1 in idx1:
        if isinstance(e1, int):
            merged.append(e1)
            continue
        m = _merge_dim(e1, idx2[k])
        k += 1
        if m is _NO:
            return None
        merged.append(m)
    while merged and merged[-1] == slice(None):
        merged.pop()
    res = getitem(x, tuple(merged)) if merged else x
    res = _fit_bcast(res, node.outputs[0])
    return None if res is None else [res]
