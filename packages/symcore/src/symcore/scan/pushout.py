"""``scan_push_out_dot``: a sum of per-step matrix products becomes one product after the loop.

A gradient scan accumulates the gradient of a weight matrix step by step, in an untraced
state ``acc = acc + dot(a_t, b_t)`` (``x_tᵀ δ_t``, ``h_{t-1}ᵀ δ_t``): a small product per
step. The same sum is one large product of the steps' operands laid side by side::

    Σ_t a_t @ b_t = [a_0 a_1 ... a_{T-1}] @ [b_0; b_1; ...; b_{T-1}]

so the rewrite drops the accumulator from the loop, makes the loop return each operand
per step (a nit_sot; an operand that is a sequence is read from the outer sequence
directly) and computes ``acc_0 + L @ R`` after the loop, where ``L`` (m, T*k) and ``R``
(T*k, n) are reshapes of the stacked operands: with ``a_t = u_tᵀ`` (the usual case) and
``b_t`` plain, both are free reshapes of the stacked arrays and the product is one Gemm
(Theano's ``PushOutDot1``). Outer products of vectors (``dot(u_t[:, None], v_t[None, :])``)
are the case ``k = 1``.

When it pays: the per-step product of a short inner dimension ``k`` (an outer product of
vectors, ``k = 1``; a small batch) runs far below the speed of one large product, while
with ``k`` of about 8 or more a small Gemm per step into the cache-resident accumulator is
already as fast as the large product, which then only adds the stores of the per-step
operands (measured with one BLAS thread, m = n = 100, T = 100: ``k`` = 1, 2, 4 take 0.31,
0.57, 0.75x the time of the loop's accumulation; ``k`` = 8 about 0.95x; ``k`` = 16
1.1x; ``k`` = 16 with 1000 steps 1.3x). So the rewrite applies only when the static shapes
say ``k <= MAX_STEP_K`` (4); a batch of unknown size keeps the accumulation in the loop.

Conditions: the state is a float matrix; its step output is ``acc + dot(a, b)`` (either
order) with ``dot`` of two matrices of the state's dtype; nothing else in the step reads
``acc``; the scan is not a while loop (the number of steps must be ``n_steps``). Operands
that do not change between steps (non-sequences, constants) keep the loop as it is.

Registered in ``canonicalize`` (tags ``fast_run``, ``fast_compile``, ``scan``; name
``scan_push_out_dot``), like the other scan rewrites; exclude it with
``mode.excluding('scan_push_out_dot')``.
"""

from __future__ import annotations

from symcore.graph.basic import Constant, Variable, ancestors
from symcore.rewriting import node_rewriter, register_canonicalize
from symcore.scan.op import Scan
from symcore.scan.parts import NitSot, ScanParts

__all__ = ["scan_push_out_dot"]


def _T():
    import symcore.tensor as T

    return T


def _split_operand(v: Variable, side: str) -> tuple[str, Variable]:
    """``(form, source)``: the operand is ``source`` transposed (``"t"``), a vector made a
    column (left) / row (right) (``"vec"``), or ``source`` itself (``"plain"``)."""
    from symcore.tensor.elemwise import DimShuffle

    o = v.owner
    if o is not None and isinstance(o.op, DimShuffle):
        src = o.inputs[0]
        order = tuple(o.op.new_order)
        if order == (1, 0) and src.ndim == 2:
            return "t", src
        if src.ndim == 1 and order == ((0, "x") if side == "left" else ("x", 0)):
            return "vec", src
    return "plain", v


def _stack_left(form: str, S: Variable, m: Variable) -> Variable:
    """``[a_0 ... a_{T-1}]`` (m, T*k) from the stacked sources ``S``."""
    T = _T()
    if form == "t":  # S: (T, k, m)
        return T.reshape(S, (S.shape[0] * S.shape[1], m), ndim=2).T
    if form == "vec":  # S: (T, m)
        return T.reshape(S, (S.shape[0], m), ndim=2).T
    # S: (T, m, k)
    return T.reshape(S.dimshuffle(1, 0, 2), (m, S.shape[0] * S.shape[2]), ndim=2)


def _stack_right(form: str, S: Variable, n: Variable) -> Variable:
    """``[b_0; ...; b_{T-1}]`` (T*k, n) from the stacked sources ``S``."""
    T = _T()
    if form == "plain":  # S: (T, k, n)
        return T.reshape(S, (S.shape[0] * S.shape[1], n), ndim=2)
    if form == "vec":  # S: (T, n)
        return T.reshape(S, (S.shape[0], n), ndim=2)
    # S: (T, n, k)
    return T.reshape(S.dimshuffle(0, 2, 1), (S.shape[0] * S.shape[2], n), ndim=2)


#: the rewrite applies when each step's product sums over at most this many terms (its
#: inner dimension ``k``, known from the static shapes; 1 for outer products of vectors)
MAX_STEP_K = 4


def _static_k(lf: str, lsrc: Variable, rf: str, rsrc: Variable) -> int | None:
    """The inner dimension ``k`` of each step's product when the static shapes give it."""
    if lf == "vec" or rf == "vec":
        return 1
    left = lsrc.type.shape[0] if lf == "t" else lsrc.type.shape[1]
    right = rsrc.type.shape[1] if rf == "t" else rsrc.type.shape[0]
    return left if left is not None else right


def _match(state, p: ScanParts):
    """``(a, b)`` when the state's step output is ``acc + dot(a, b)`` as described above."""
    from symcore.scalar.basic import Add
    from symcore.tensor.dot import Dot
    from symcore.tensor.elemwise import Elemwise

    acc, out = state.inner_in, state.inner_out
    if getattr(acc.type, "ndim", None) != 2 or not str(acc.type.dtype).startswith("float"):
        return None
    o = out.owner
    if (
        o is None
        or not isinstance(o.op, Elemwise)
        or not isinstance(o.op.scalar_op, Add)
        or len(o.inputs) != 2
        or out.type != acc.type
    ):
        return None
    if o.inputs[0] is acc:
        prod = o.inputs[1]
    elif o.inputs[1] is acc:
        prod = o.inputs[0]
    else:
        return None
    d = prod.owner
    if d is None or not isinstance(d.op, Dot) or prod.ndim != 2:
        return None
    if prod.type.dtype != acc.type.dtype:
        return None
    a, b = d.inputs
    if a.ndim != 2 or b.ndim != 2:
        return None
    others = [v for v in p.inner_outputs() if v is not out] + [prod]
    if acc in set(ancestors(others)):
        return None
    return a, b


@register_canonicalize("scan", name="scan_push_out_dot")
@node_rewriter([Scan])
def scan_push_out_dot(fgraph, node):
    """Replace ``acc = acc + dot(a_t, b_t)`` accumulators by one product after the loop."""
    if node.op.info.as_while:
        return None
    p = ScanParts.from_node(node)
    seq_outer = {s.inner: s.outer for s in p.seqs}
    invariant = {s.inner for s in p.non_seqs}
    found = []
    for s in p.shared:
        ab = _match(s, p)
        if ab is None:
            continue
        (lf, lsrc), (rf, rsrc) = _split_operand(ab[0], "left"), _split_operand(ab[1], "right")
        if any(isinstance(v, Constant) or v in invariant for v in (lsrc, rsrc)):
            continue
        k = _static_k(lf, lsrc, rf, rsrc)
        if k is None or k > MAX_STEP_K:
            continue
        found.append((s, lf, lsrc, rf, rsrc))
    if not found:
        return None
    T = _T()
    # each source read per step: an outer sequence, or a new nit_sot output of the loop
    new_nit: dict[Variable, int] = {}
    for _, _, lsrc, _, rsrc in found:
        for v in (lsrc, rsrc):
            if v not in seq_outer and v not in new_nit:
                new_nit[v] = len(p.nit_sot)
                p.nit_sot.append(NitSot(v, None, -1))
    dropped = {id(s) for s, *_ in found}
    p.shared = [s for s in p.shared if id(s) not in dropped]
    op, outer, old = p.build()
    new_outs = op(*outer, return_list=True)
    repl = {o: n for o, n in zip(old, new_outs, strict=True) if o is not None}
    nit_base = op.info.n_mit_mot + op.info.n_sot

    def stacked(v: Variable) -> Variable:
        if v in seq_outer:
            return seq_outer[v][: p.n_steps]
        return new_outs[nit_base + new_nit[v]]

    for s, lf, lsrc, rf, rsrc in found:
        acc0 = s.outer
        L = _stack_left(lf, stacked(lsrc), acc0.shape[0])
        R = _stack_right(rf, stacked(rsrc), acc0.shape[1])
        total = acc0 + T.dot(L, R)
        if total.type != s.outer_out.type:
            total = s.outer_out.type.filter_variable(total)
        repl[s.outer_out] = total
    return repl
