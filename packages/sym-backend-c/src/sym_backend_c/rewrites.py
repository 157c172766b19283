"""``fuse_row_linear``: the rewrite that builds
:class:`sym_backend_c.ops.fused_linear.RowBlockLinear`.

It matches, on the graph after elementwise fusion and before the in-place rewrites:

* ``g2 = Gemv(y2, a2, X.T, r, b2)`` where ``X.T`` is ``DimShuffle{1,0}(X)``;
* ``z = Gemv(y1, a1, X, v, 0)`` (``beta`` the constant 0) or ``Dot(X, v)`` on the SAME X;
* ``r`` computed from ``z`` by ``Elemwise`` nodes on length-N vectors (row-local: every
  other input is a vector that does not depend on the fused nodes, of length N or
  broadcastable), each with C code for its scalar op;

and takes with them the other row-local ``Elemwise`` nodes reading those vectors (e.g. a
prediction, a per-row loss) and the ``Sum`` over the rows of any of them. Anything that
does not fit exactly leaves the graph unchanged. It runs only when the C backend is the
one ``config`` selects (the reference backend keeps the unfused graph).
"""

from __future__ import annotations

import numpy as np
from symcore.graph.basic import Constant
from symcore.rewriting.basic import graph_rewriter
from symcore.tensor.dot import Dot
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.reduction import Sum
from symcore.tensor.rewriting.blas_ops import Gemv

FLOATS = ("float32", "float64")


def _c_backend_selected() -> bool:
    from symcore import plugins

    try:
        return plugins.get_backend_for_device().name == "c"
    except Exception:  # noqa: BLE001 - no backend decision: do nothing
        return False


def _is_zero(var) -> bool:
    return isinstance(var, Constant) and np.asarray(var.data).size == 1 and not np.any(var.data)


def _row_elemwise(node) -> bool:
    """An Elemwise on vectors, not in place, producing non-broadcastable vectors, whose
    scalar op has C code."""
    from sym_backend_c.ops.elemwise import _body

    op = node.op
    if not isinstance(op, Elemwise) or op.inplace_pattern:
        return False
    if any(i.ndim != 1 for i in node.inputs):
        return False
    if any(o.ndim != 1 or o.type.broadcastable[0] for o in node.outputs):
        return False
    dts = [i.type.dtype for i in node.inputs]
    odts = [o.type.dtype for o in node.outputs]
    return _body(op.scalar_op, [f"x{k}" for k in range(len(dts))], dts, odts) is not None


def _first_product(fgraph, X, dt):
    """Candidates ``(node, v, a1)`` computing ``a1 * X @ v``."""
    for client, idx in fgraph.clients.get(X, []):
        if client == "output" or not hasattr(client, "op"):
            continue
        op = client.op
        if isinstance(op, Gemv) and idx == 2:
            y1, a1, _, v, b1 = client.inputs
            if _is_zero(b1) and a1.ndim == 0 and a1.type.dtype == dt and v.type.dtype == dt:
                yield client, v, a1
        elif isinstance(op, Dot) and idx == 0 and client.inputs[1].ndim == 1:
            v = client.inputs[1]
            if v.type.dtype == dt and client.outputs[0].type.dtype == dt:
                yield client, v, None


def _depends_on(roots, nodes) -> bool:
    """Whether any variable of ``roots`` has an ancestor computed by a node of ``nodes``."""
    seen = set()
    stack = [r.owner for r in roots if r.owner is not None]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        if n in nodes:
            return True
        seen.add(n)
        stack.extend(i.owner for i in n.inputs if i.owner is not None)
    return False


def _try_fuse(fgraph, g2) -> bool:
    from sym_backend_c.ops.fused_linear import RowBlockLinear

    y2, a2, At, r, b2 = g2.inputs
    dt = g2.outputs[0].type.dtype
    if dt not in FLOATS or any(x.type.dtype != dt for x in (y2, a2, At, r, b2)):
        return False
    if a2.ndim != 0 or b2.ndim != 0 or r.ndim != 1:
        return False
    if At.owner is None or not isinstance(At.owner.op, DimShuffle):
        return False
    if tuple(At.owner.op.new_order) != (1, 0):
        return False
    X = At.owner.inputs[0]
    if X.ndim != 2 or X.type.broadcastable != (False, False):
        return False
    for g1, v, a1 in _first_product(fgraph, X, dt):
        z = g1.outputs[0]
        if z.type.broadcastable != (False,) or z.type.dtype != dt:
            continue
        if _fuse_with(fgraph, g2, g1, X, v, a1, z, RowBlockLinear):
            return True
    return False


def _fuse_with(fgraph, g2, g1, X, v, a1, z, op_cls) -> bool:
    r = g2.inputs[3]
    inner: dict = {z: 0}  # variable -> slot
    nodes: list = []  # Elemwise nodes, in topological order
    ext: list = []

    # backward: the Elemwise nodes between z and r
    memo: dict = {}

    def reaches_z(var) -> bool:
        if var is z:
            return True
        if var in memo:
            return memo[var]
        memo[var] = False
        owner = var.owner
        if owner is not None and _row_elemwise(owner):
            hits = [reaches_z(i) for i in owner.inputs]
            memo[var] = any(hits)
        return memo[var]

    if not reaches_z(r):
        return False
    order = fgraph.toposort()
    pos = {n: k for k, n in enumerate(order)}
    chosen = {var.owner for var, ok in memo.items() if ok and var is not z}
    # forward: other row-local Elemwise nodes reading the chosen vectors
    inside_vars = {z} | {o for n in chosen for o in n.outputs}
    changed = True
    while changed:
        changed = False
        for var in list(inside_vars):
            for client, _ in fgraph.clients.get(var, []):
                if not hasattr(client, "op") or client in chosen or not _row_elemwise(client):
                    continue
                others = [i for i in client.inputs if i not in inside_vars]
                if _depends_on(others, chosen | {g1, g2}):
                    continue
                chosen.add(client)
                inside_vars.update(client.outputs)
                changed = True
    nodes = sorted(chosen, key=pos.__getitem__)
    sums = []
    for var in sorted(inside_vars, key=lambda x: -1 if x is z else pos[x.owner]):
        for client, _ in fgraph.clients.get(var, []):
            op = getattr(client, "op", None)
            if type(op) is Sum and op.axis == (0,) and var.type.dtype in FLOATS:
                odt = client.outputs[0].type.dtype
                if odt in FLOATS and op.acc_dtype in FLOATS:
                    sums.append(client)
    fused = set(nodes) | set(sums) | {g1, g2}
    # slots: z, externals, node outputs
    for n in nodes:
        for i in n.inputs:
            if i not in inside_vars and i not in ext:
                ext.append(i)
    for k, e in enumerate(ext):
        inner[e] = k + 1
    for n in nodes:
        for o in n.outputs:
            inner[o] = len(inner)
    fixed = [X, v, g2.inputs[0], g2.inputs[1], g2.inputs[4]] + ([a1] if a1 is not None else [])
    if _depends_on(fixed + ext, fused):
        return False
    program = [
        (n.op, [inner[i] for i in n.inputs], [inner[o] for o in n.outputs]) for n in nodes
    ]
    slot_dtypes = [None] * len(inner)
    for var, s in inner.items():
        slot_dtypes[s] = var.type.dtype
    outputs = set(fgraph.outputs)
    vec_outs = []
    for var, s in sorted(inner.items(), key=lambda kv: kv[1]):
        if var not in inside_vars:
            continue
        used_outside = var in outputs or any(
            not hasattr(c, "op") or c not in fused for c, _ in fgraph.clients.get(var, [])
        )
        if used_outside:
            vec_outs.append((var, s))
    sum_specs = [(inner[s.inputs[0]], s.outputs[0].type.dtype, s.op.acc_dtype) for s in sums]
    op = op_cls(
        program,
        slot_dtypes,
        [e.type.broadcastable[0] for e in ext],
        inner[r],
        [s for _, s in vec_outs],
        sum_specs,
    )
    if a1 is None:
        from symcore.tensor.basic import constant

        a1 = constant(np.asarray(1, dtype=X.type.dtype))
    new = op(X, v, a1, g2.inputs[0], g2.inputs[1], g2.inputs[4], *ext)
    pairs = [(g2.outputs[0], new[0])]
    pairs += [(var, new[1 + k]) for k, (var, _) in enumerate(vec_outs)]
    pairs += [(s.outputs[0], new[1 + len(vec_outs) + k]) for k, s in enumerate(sums)]
    try:
        replace = getattr(fgraph, "replace_all_validate", None) or fgraph.replace_all
        replace(pairs, reason="fuse_row_linear")
    except Exception:  # noqa: BLE001 - an inconsistent replacement: leave the graph as is
        return False
    return True


@graph_rewriter(name="fuse_row_linear")
def fuse_row_linear(fgraph) -> int:
    """Fuse ``Gemv(X) -> row-local Elemwise -> Gemv(X.T)`` chains into ``RowBlockLinear``."""
    if not _c_backend_selected():
        return 0
    done = 0
    for node in fgraph.toposort():
        if node in fgraph.apply_nodes and isinstance(node.op, Gemv):
            if _try_fuse(fgraph, node):
                done += 1
    return done


#: After elementwise fusion (49), before the in-place rewrites (49.5 on).
POSITION = 49.25
#: The tag that turns the rewrite on: ``mode.including(TAG)``.
TAG = "fuse_row_linear"


def register_opt_in() -> None:
    """Add ``fuse_row_linear`` to the global rewrite database, off by default: a mode
    runs it with ``mode.including("fuse_row_linear")``. Idempotent.

    It is not registered by the plugin: on the development machine it made the seed's
    logistic-regression step only ~10% faster in float64 and ~2-3% in float32 (the two
    ``Gemv`` are bound by the L2-to-L1 bandwidth of the core, not by main memory, so
    reading X once saves less than hoped); see the README of this package."""
    from symcore.rewriting.db import rewrite_db

    rewrite_db.ensure_loaded()
    if TAG not in rewrite_db.positions:
        rewrite_db.register(TAG, fuse_row_linear, TAG, position=POSITION)
