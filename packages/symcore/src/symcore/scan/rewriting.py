"""Rewrites of ``Scan`` nodes (registered in ``symcore.rewriting.rewrite_db`` on import).

* ``scan_push_out_non_seq`` (canonicalize): inner computations that read only
  non-sequences and constants are loop invariants; they are computed once, outside.
* ``scan_remove_unused`` (canonicalize): drop outputs nobody reads (and that no other
  output needs), inputs the step does not read, and repeated non-sequences/sequences.
* ``scan_merge`` (graph rewrite at 1.6): scans running the same number of steps (the same
  ``n_steps`` variable, e.g. over the same sequence) that do not depend on each other
  become one loop.
* ``scan_save_mem`` (specialize): when every reader of an output takes only its last
  ``k`` steps (``out[-1]``, ``out[-k:]``), the scan keeps only ``k`` steps
  (``store_steps``) instead of all of them — Theano's "Scan is smart enough to notice this
  and not waste memory".
* ``scan_push_out_dot`` (canonicalize; in :mod:`symcore.scan.pushout`): an untraced
  accumulator ``acc + dot(a_t, b_t)`` whose per-step product has a small inner dimension
  (outer products of vectors, a small static batch) becomes one product after the loop.

All carry the tags ``fast_run`` and ``scan`` (exclude them with ``mode.excluding('scan')``).
"""

from __future__ import annotations

from symcore.graph.basic import Constant, Variable, ancestors
from symcore.rewriting import (
    graph_rewriter,
    node_rewriter,
    register_canonicalize,
    register_specialize,
    rewrite_db,
)
from symcore.scan.op import Scan
from symcore.scan.parts import ScanParts, Seq

__all__ = ["scan_push_out_non_seq", "scan_remove_unused", "scan_merge", "scan_save_mem"]


# ---------------------------------------------------------------------------------------
# Loop invariants
# ---------------------------------------------------------------------------------------


@register_canonicalize("scan")
@node_rewriter([Scan])
def scan_push_out_non_seq(fgraph, node):
    """Compute outside the loop what the step computes from non-sequences only."""
    p = ScanParts.from_node(node)
    op = node.op
    ns_outer = {s.inner: s.outer for s in p.non_seqs}
    invariant: set[Variable] = set(ns_outer)
    order = op.fgraph.toposort()
    for n in order:
        if all(i in invariant or isinstance(i, Constant) for i in n.inputs):
            if getattr(n.op, "destroy_map", None):
                continue
            invariant.update(n.outputs)
    # the invariant values the rest of the step reads
    frontier: list[Variable] = []
    seen: set[Variable] = set()

    def use(v: Variable) -> None:
        if v in invariant and v.owner is not None and v not in seen:
            seen.add(v)
            frontier.append(v)

    for n in order:
        if not all(o in invariant for o in n.outputs):
            for i in n.inputs:
                use(i)
    for o in p.inner_outputs():
        use(o)
    if not frontier:
        return None
    outer_vals = _clone_out(frontier, ns_outer)
    replace = {}
    for v, outer in zip(frontier, outer_vals, strict=True):
        ph = v.type()
        ph.name = v.name
        replace[v] = ph
        p.non_seqs.append(Seq(outer, ph))
    p.substitute(replace)
    return p.replacements()


def _clone_out(vars_: list[Variable], ns_outer: dict[Variable, Variable]) -> list[Variable]:
    from symcore.graph.basic import clone_replace

    return clone_replace(vars_, replace=ns_outer)


# ---------------------------------------------------------------------------------------
# Unused outputs and inputs, repeated inputs
# ---------------------------------------------------------------------------------------


def _dedupe_inputs(p: ScanParts) -> bool:
    """Sequences / non-sequences given twice (the same outer variable) are read once."""
    replace: dict[Variable, Variable] = {}
    for group in (p.seqs, p.non_seqs):
        first: dict[Variable, Variable] = {}
        keep = []
        for s in group:
            if s.outer in first and first[s.outer].type == s.inner.type:
                replace[s.inner] = first[s.outer]
            else:
                first.setdefault(s.outer, s.inner)
                keep.append(s)
        group[:] = keep
    p.substitute(replace)
    return bool(replace)


def _used(fgraph, var: Variable | None) -> bool:
    return var is not None and bool(fgraph.clients.get(var))


@register_canonicalize("scan")
@node_rewriter([Scan])
def scan_remove_unused(fgraph, node):
    """Remove outputs nobody reads, inputs the step ignores and duplicated inputs."""
    p = ScanParts.from_node(node)
    changed = _dedupe_inputs(p)
    # -- outputs: keep the read ones and the states they need -----------------------------
    states = p.mit_sot + p.sit_sot + p.shared
    keep_nit = [s for s in p.nit_sot if _used(fgraph, s.outer_out)]
    if len(keep_nit) != len(p.nit_sot):
        changed = True
    p.nit_sot = keep_nit

    def ins_of(s):
        return s.inner_ins if hasattr(s, "inner_ins") else [s.inner_in]

    needed = {id(s) for s in states if _used(fgraph, s.outer_out)}
    while True:
        roots = (
            [s.inner_out for s in states if id(s) in needed]
            + [s.inner_out for s in p.nit_sot]
            + [v for m in p.mit_mot for v in m.inner_outs]
            + ([p.cond] if p.cond is not None else [])
        )
        reads = set(ancestors(roots))
        more = {id(s) for s in states if any(v in reads for v in ins_of(s))}
        if more <= needed:
            break
        needed |= more
    for lst in (p.mit_sot, p.sit_sot, p.shared):
        kept = [s for s in lst if id(s) in needed]
        if len(kept) != len(lst):
            changed = True
        lst[:] = kept
    if not (p.mit_mot or p.mit_sot or p.sit_sot or p.nit_sot or p.shared):
        return None  # nothing read at all: the node is pruned by the graph itself
    # -- inputs the step no longer reads ----------------------------------------------------
    reads = set(ancestors(p.inner_outputs()))
    for group in (p.seqs, p.non_seqs):
        kept = [s for s in group if s.inner in reads]
        if len(kept) != len(group):
            changed = True
        group[:] = kept
    if not changed:
        return None
    return p.replacements()


# ---------------------------------------------------------------------------------------
# Merging loops over the same steps
# ---------------------------------------------------------------------------------------


def _mergeable(a, b) -> bool:
    oa, ob = a.op, b.op
    return (
        a.inputs[0] is b.inputs[0]
        and not oa.info.as_while
        and not ob.info.as_while
        and oa.truncate_gradient == ob.truncate_gradient
        and oa.mode == ob.mode
    )


def _merge_parts(a, b) -> ScanParts:
    pa, pb = ScanParts.from_node(a), ScanParts.from_node(b)
    for f in ("seqs", "mit_mot", "mit_sot", "sit_sot", "nit_sot", "shared", "non_seqs"):
        getattr(pa, f).extend(getattr(pb, f))
    names = [n for n in (a.op.name, b.op.name) if n]
    pa.attrs["name"] = "&".join(names) if names else None
    _dedupe_inputs(pa)
    return pa


@graph_rewriter
def scan_merge(fgraph):
    """Merge scans with the same ``n_steps`` that do not depend on each other."""
    while True:
        nodes = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
        pair = None
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                if not _mergeable(a, b):
                    continue
                # b comes after a in topological order: b must not read a
                a_outs = set(a.outputs)
                if any(v in a_outs for v in ancestors(b.inputs)):
                    continue
                pair = (a, b)
                break
            if pair:
                break
        if pair is None:
            return
        repl = _merge_parts(*pair).replacements()
        fgraph.replace_all_validate(list(repl.items()), reason="scan_merge")


rewrite_db.register("scan_merge", scan_merge, "fast_run", "scan", position=1.6)


# ---------------------------------------------------------------------------------------
# Keeping only the last steps
# ---------------------------------------------------------------------------------------


def _tail_length(client) -> int | None:
    """``k`` when ``client`` reads only the last ``k`` entries along axis 0, else None."""
    from symcore.tensor.basic import NotScalarConstantError, get_scalar_constant_value
    from symcore.tensor.subtensor import Subtensor, get_idx_list

    if client == "output" or type(client.op) is not Subtensor:
        return None
    idx = get_idx_list(client.inputs[1:], client.op.idx_list)
    if not idx:
        return None
    first = idx[0]

    def const(v):
        if v is None:
            return None
        try:
            return int(get_scalar_constant_value(v))
        except (NotScalarConstantError, TypeError, ValueError):
            raise LookupError from None

    try:
        if isinstance(first, slice):
            start, stop, step = const(first.start), const(first.stop), const(first.step)
            if stop is None and step in (None, 1) and start is not None and start < 0:
                return -start
            return None
        if isinstance(first, Variable):
            c = const(first)
            return -c if c is not None and c < 0 else None
    except LookupError:
        return None
    return None


@register_specialize("scan", "scan_save_mem")
@node_rewriter([Scan])
def scan_save_mem(fgraph, node):
    """Store only the last ``k`` steps of outputs read only through ``out[-k]``/``out[-k:]``."""
    op = node.op
    info = op.info
    new_store = list(op.store_steps)
    changed = False
    for j in range(info.n_traced):
        if op.store_steps[j] != -1:
            continue
        out = node.outputs[info.n_mit_mot + j]
        clients = fgraph.clients.get(out, [])
        need = 1
        ok = True
        for client, _ in clients:
            k = _tail_length(client)
            if k is None:
                ok = False
                break
            need = max(need, k)
        if ok:
            new_store[j] = need
            changed = True
    if not changed:
        return None
    new_op = op.clone_with(store_steps=tuple(new_store))
    new_outs = new_op(*node.inputs, return_list=True)
    return dict(zip(node.outputs, new_outs, strict=True))


# sums of per-step products pushed out of the loop (``scan_push_out_dot``)
from symcore.scan import pushout  # noqa: E402,F401 - registers on import
