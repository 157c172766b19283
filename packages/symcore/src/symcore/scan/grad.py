"""Differentiating a ``Scan``: back-propagation through time (``L_op``) and ``R_op``.

Reverse mode builds a second scan that runs the steps backwards. Every differentiable
state (mit_mot, mit_sot, sit_sot) is seen as a buffer ``B`` that step ``t`` reads at
``t + i`` and writes at ``t + o``; the backward scan carries the cotangent of that buffer,
reversed, as a mit_mot: at backward step ``s`` (forward step ``n - 1 - s``) it takes the
cotangents of the step's outputs from the buffer, computes the vector-Jacobian product of
the step, and adds the cotangents of the step's inputs into the buffer. The VJP reads the
step's inputs (stored states, sequences) and, where it needs the step's own results (``1 -
y**2`` of ``tanh``), the forward scan's stored traced outputs as extra sequences, so the
forward step is not recomputed; only intermediate values nobody stored are. Cotangents of
sequences come out per step (nit_sot), those of non-sequences are accumulated (untraced
states).
``truncate_gradient=k`` runs only the last ``k`` backward steps.

Forward mode (``R_op``) builds one scan computing the outputs and their tangents together.
"""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Variable, ancestors, clone_replace
from symcore.graph.type import disconnected_type
from symcore.scan.info import ScanInfo
from symcore.scan.op import Scan
from symcore.scan.utils import as_type, elem_type, is_float_tensor, seq_type

__all__ = ["scan_L_op", "scan_R_op"]


def _T():
    import symcore.tensor as T

    return T


def _is_disc(g: Any) -> bool:
    from symcore.graph.type import DisconnectedType

    return g is None or isinstance(getattr(g, "type", None), DisconnectedType)


def _is_null(g: Any) -> bool:
    from symcore.graph.type import NullType

    return isinstance(getattr(g, "type", None), NullType)


class _State:
    """A differentiable buffer state of the forward scan (see the module docstring)."""

    def __init__(self, kind, outer_in, outer_out, reads, writes, K, zero_writes, etype):
        self.kind = kind  # "mit_mot" or "sot"
        self.outer_in = outer_in
        self.outer_out = outer_out
        self.reads = reads  # [(inner input position, offset)]
        self.writes = writes  # [(inner output position, offset)]
        self.K = K
        self.zero_writes = zero_writes
        self.etype = etype
        out_off = {o for _, o in writes}
        in_off = {i for _, i in reads}
        self.r_in = sorted({K - o for o in out_off} | {K - i for i in in_off})
        zeroed = {K - o for o in out_off}
        self.zeroed = zeroed
        self.r_out_all = sorted({K - i for i in in_off} | (zeroed if zero_writes else set()))


def _forward_states(op, inputs) -> list[_State]:
    info = op.info
    oi, io = info.outer_in(), info.inner_out()
    states = []
    out_groups = info.mit_mot_out_groups()
    for j, k in enumerate(oi["mit_mot"]):
        reads = list(zip(info.mit_mot_in_groups()[j], info.mit_mot_in_taps[j], strict=True))
        writes = list(zip(out_groups[j], info.mit_mot_out_taps[j], strict=True))
        K = max(info.mit_mot_in_taps[j] + info.mit_mot_out_taps[j])
        states.append(_State("mit_mot", k, j, reads, writes, K, True, elem_type(inputs[k].type)))
    sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])
    for j, (k, grp) in enumerate(zip(sot_outer, info.sot_in_groups(), strict=True)):
        L = info.init_len(j)
        reads = [(slot, L + tap) for slot, tap in zip(grp, info.sot_taps[j], strict=True)]
        writes = [(io["mit_sot"].start + j, L)]
        states.append(
            _State(
                "sot", k, info.n_mit_mot + j, reads, writes, L, False, op.inner_inputs[grp[0]].type
            )
        )
    return states


def _read_stored_results(op: Scan, outputs, Y, g_of: dict):
    """Make the step's vector-Jacobian product read the forward step's stored results.

    The VJP of the step refers to the step's own outputs where an Op's gradient uses its
    result (``tanh``'s ``1 - y**2``, ``exp``, ``sqrt`` ...): left as they are, the backward
    step would recompute the whole forward step to get them. The forward scan already keeps
    every result of its traced outputs (mit_sot, sit_sot, nit_sot: row ``t`` of the outer
    output is step ``t``'s value), so each such inner output becomes a sequence of the
    backward scan fed with the outer output reversed (backward step ``s`` is forward step
    ``n - 1 - s``; the outputs have exactly ``n`` rows, a while loop's too). Only values the forward
    scan does not keep (its intermediate results, untraced states) are still recomputed.

    Returns ``(inner sequences, outer sequences, g_of)`` with ``g_of`` rewritten.
    """
    if not g_of:
        return [], [], g_of
    info = op.info
    io = info.inner_out()
    traced = [(io["mit_sot"].start + j, info.n_mit_mot + j) for j in range(info.n_sot)]
    traced += [(p, info.n_mit_mot + info.n_sot + j) for j, p in enumerate(io["nit_sot"])]
    reads = set(ancestors(list(g_of.values())))
    repl: dict[Variable, Variable] = {}
    stored_inner, stored_outer = [], []
    for pos, k in traced:
        y = Y[pos]
        # an inner input (or constant) returned as is costs nothing to "recompute"
        if y.owner is None or y in repl or y not in reads:
            continue
        ph = y.type()
        ph.name = f"stored_{y.name or f'out{k}'}"
        repl[y] = ph
        stored_inner.append(ph)
        stored_outer.append(outputs[k][::-1])
    if not repl:
        return [], [], g_of
    keys = list(g_of)
    new = clone_replace([g_of[j] for j in keys], repl)
    return stored_inner, stored_outer, dict(zip(keys, new, strict=True))


def scan_L_op(op: Scan, inputs: list[Variable], outputs: list[Variable], output_grads: list):
    """The gradients of a scan node's inputs (one per input) given its outputs' gradients."""
    from symcore.gradient import grad, grad_not_implemented

    T = _T()
    info = op.info
    if any(s != -1 for s in op.store_steps):
        raise NotImplementedError(
            f"{op}: cannot differentiate a scan that keeps only its last steps (store_steps="
            f"{list(op.store_steps)}); take the gradient before compiling"
        )
    oi, ii, io = info.outer_in(), info.inner_in(), info.inner_out()
    X = [v.type() for v in op.inner_inputs]
    for x, v in zip(X, op.inner_inputs, strict=True):
        x.name = v.name
    Y = clone_replace(list(op.inner_outputs), dict(zip(op.inner_inputs, X, strict=True)))

    if info.as_while:
        traced = [outputs[j] for j in range(info.n_mit_mot, info.n_mit_mot + info.n_traced)]
        if not traced:
            return [
                grad_not_implemented(op, i, x, "while loop without traced outputs")
                for i, x in enumerate(inputs)
            ]
        n_eff = T.cast(traced[0].shape[0], "int64")
    else:
        n_eff = inputs[0]
    k_steps = n_eff if op.truncate_gradient == -1 else T.minimum(n_eff, op.truncate_gradient)

    states = _forward_states(op, inputs)
    diff_states = [s for s in states if is_float_tensor(outputs[s.outer_out])]

    # -- cotangent placeholders and the step's vector-Jacobian product -----------------------
    known: dict[Variable, Variable] = {}

    def seed(y: Variable, ct: Variable) -> None:
        if not is_float_tensor(y):
            return
        ct = as_type(ct, y.type) if ct.type != y.type else ct
        known[y] = known[y] + ct if y in known else ct

    c_taps: dict[tuple[int, int], Variable] = {}
    for si, s in enumerate(diff_states):
        for r in s.r_in:
            ph = s.etype()
            ph.name = f"d_state{si}[{r}]"
            c_taps[(si, r)] = ph
        for pos, o in s.writes:
            seed(Y[pos], c_taps[(si, s.K - o)])
    nit_ct: dict[int, Variable] = {}
    for j, pos in enumerate(io["nit_sot"]):
        g = output_grads[info.n_mit_mot + info.n_sot + j]
        if not _is_disc(g) and is_float_tensor(Y[pos]):
            ph = Y[pos].type()
            nit_ct[j] = ph
            seed(Y[pos], ph)
    sh_ct: dict[int, Variable] = {}
    for j, pos in enumerate(io["shared"]):
        if is_float_tensor(Y[pos]):
            ph = Y[pos].type()
            sh_ct[j] = ph
            seed(Y[pos], ph)

    def zero_grads():
        return [disconnected_type() for _ in inputs]

    if not known:
        return zero_grads()
    wrt_pos = [j for j, x in enumerate(X) if is_float_tensor(x)]
    gs = grad(
        None,
        [X[j] for j in wrt_pos],
        known_grads=known,
        disconnected_inputs="ignore",
        return_disconnected="Disconnected",
        null_gradients="return",
    )
    g_of = dict(zip(wrt_pos, gs, strict=True))
    nulls = {j: g for j, g in g_of.items() if _is_null(g)}
    g_of = {j: g for j, g in g_of.items() if not _is_null(g) and not _is_disc(g)}
    stored_inner, stored_outer, g_of = _read_stored_results(op, outputs, Y, g_of)
    used = set(ancestors(list(g_of.values()))) if g_of else set()
    untraced_inner = {X[j] for j in ii["shared"]}
    if used & untraced_inner:
        why = (
            "the gradient of the step needs the per-step values of a shared variable it "
            "updates (or of a random generator), which scan does not keep"
        )
        return [grad_not_implemented(op, i, x, why) for i, x in enumerate(inputs)]

    # -- the backward scan's step ---------------------------------------------------------
    b_seq_inner: list[Variable] = []
    b_seq_outer: list[Variable] = []
    for k, j in zip(oi["seqs"], ii["seqs"], strict=True):
        b_seq_inner.append(X[j])
        b_seq_outer.append(inputs[k][:n_eff][::-1])
    full_of: dict[int, Variable] = {}
    for s in states:
        if s.kind == "mit_mot":
            full = outputs[s.outer_out]
        else:
            L = s.K
            full = T.concatenate([inputs[s.outer_in][:L], outputs[s.outer_out]], axis=0)
        full_of[s.outer_out] = full
        for slot, off in s.reads:
            b_seq_inner.append(X[slot])
            b_seq_outer.append(full[off : off + n_eff][::-1])
    for j, ph in nit_ct.items():
        b_seq_inner.append(ph)
        b_seq_outer.append(output_grads[info.n_mit_mot + info.n_sot + j][::-1])
    b_seq_inner.extend(stored_inner)
    b_seq_outer.extend(stored_outer)

    mm_in_taps, mm_out_taps, mm_inner_in, mm_inner_out, mm_outer = [], [], [], [], []
    for si, s in enumerate(diff_states):
        read_terms: dict[int, list[Variable]] = {}
        for slot, off in s.reads:
            if slot in g_of:
                read_terms.setdefault(s.K - off, []).append(g_of[slot])
        r_out = [r for r in s.r_out_all if r in read_terms or (s.zero_writes and r in s.zeroed)]
        mm_in_taps.append(tuple(s.r_in))
        mm_out_taps.append(tuple(r_out))
        mm_inner_in.extend(c_taps[(si, r)] for r in s.r_in)
        for r in r_out:
            base = T.zeros_like(c_taps[(si, r)]) if r in s.zeroed else c_taps[(si, r)]
            total = base
            for term in read_terms.get(r, []):
                total = total + term
            mm_inner_out.append(as_type(total, s.etype))
        g_out = output_grads[s.outer_out]
        out_var = outputs[s.outer_out]
        if s.kind == "mit_mot":
            g_buf = T.zeros_like(out_var) if _is_disc(g_out) else g_out
            c0 = g_buf[: n_eff + s.K][::-1]
        else:
            g_res = T.zeros_like(out_var) if _is_disc(g_out) else g_out
            zeros = T.zeros_like(inputs[s.outer_in][: s.K], dtype=out_var.dtype)
            c0 = T.concatenate([zeros, as_type(g_res, out_var.type)], axis=0)[::-1]
        mm_outer.append(as_type(c0, seq_type(s.etype)))

    nit_seq_pos = [j for j in ii["seqs"] if j in g_of]
    nit_inner_out = [as_type(g_of[j], X[j].type) for j in nit_seq_pos]

    acc_inner_in, acc_inner_out, acc_outer, acc_kind = [], [], [], []
    for k, j in zip(oi["non_seqs"], ii["non_seqs"], strict=True):
        if j in g_of:
            ph = X[j].type()
            ph.name = f"d_{X[j].name or 'non_seq'}"
            acc_inner_in.append(ph)
            acc_inner_out.append(ph + as_type(g_of[j], X[j].type))
            acc_outer.append(T.zeros_like(inputs[k]))
            acc_kind.append(("non_seq", k))
    for jj, (k, j) in enumerate(zip(oi["shared"], ii["shared"], strict=True)):
        if jj in sh_ct:
            ph = sh_ct[jj]
            new = as_type(g_of[j], X[j].type) if j in g_of else T.zeros_like(ph)
            acc_inner_in.append(ph)
            acc_inner_out.append(new)
            g = output_grads[info.n_mit_mot + info.n_sot + info.n_nit_sot + jj]
            acc_outer.append(
                T.zeros_like(outputs[info.n_mit_mot + info.n_sot + info.n_nit_sot + jj])
                if _is_disc(g)
                else as_type(g, inputs[k].type)
            )
            acc_kind.append(("shared", k))

    ns_inner = [X[j] for j in ii["non_seqs"]]
    ns_outer = [inputs[k] for k in oi["non_seqs"]]
    b_info = ScanInfo(
        n_seqs=len(b_seq_inner),
        mit_mot_in_taps=tuple(mm_in_taps),
        mit_mot_out_taps=tuple(mm_out_taps),
        n_nit_sot=len(nit_inner_out),
        n_shared=len(acc_inner_in),
        n_non_seqs=len(ns_inner),
    )
    b_op = Scan(
        b_seq_inner + mm_inner_in + acc_inner_in + ns_inner,
        mm_inner_out + nit_inner_out + acc_inner_out,
        b_info,
        mode=op.mode,
        name=f"grad_of_{op.name or 'scan_fn'}",
    )
    b_outs = b_op(k_steps, *b_seq_outer, *mm_outer, *acc_outer, *ns_outer, return_list=True)

    # -- gradients of the outer inputs ----------------------------------------------------
    result: list[Any] = [disconnected_type() for _ in inputs]
    for s, c_final in zip(diff_states, b_outs[: len(diff_states)], strict=True):
        x = inputs[s.outer_in]
        if s.kind == "mit_mot":
            g_out = output_grads[s.outer_out]
            g_buf = T.zeros_like(outputs[s.outer_out]) if _is_disc(g_out) else g_out
            result[s.outer_in] = T.concatenate([c_final[::-1], g_buf[n_eff + s.K :]], axis=0)
        else:
            g_init = c_final[n_eff:][::-1]
            result[s.outer_in] = T.set_subtensor(T.zeros_like(x)[: s.K], g_init)
    pos = len(diff_states)
    for j, g in zip(nit_seq_pos, b_outs[pos : pos + len(nit_seq_pos)], strict=True):
        k = oi["seqs"][ii["seqs"].index(j)]
        x = inputs[k]
        result[k] = T.set_subtensor(T.zeros_like(x)[n_eff - k_steps : n_eff], g[::-1])
    pos += len(nit_seq_pos)
    for (_, k), g in zip(acc_kind, b_outs[pos:], strict=True):
        result[k] = g
    # undefined gradients of the step make the matching outer gradients undefined
    slot_outer = {}
    for k, j in zip(oi["seqs"], ii["seqs"], strict=True):
        slot_outer[j] = k
    for s in states:
        for slot, _ in s.reads:
            slot_outer[slot] = s.outer_in
    for k, j in zip(
        list(oi["shared"]) + list(oi["non_seqs"]),
        list(ii["shared"]) + list(ii["non_seqs"]),
        strict=True,
    ):
        slot_outer[j] = k
    for j, g in nulls.items():
        result[slot_outer[j]] = g
    for i, x in enumerate(inputs):
        if not _is_disc(result[i]) and not _is_null(result[i]) and result[i].type != x.type:
            if is_float_tensor(x):
                result[i] = as_type(result[i], x.type)
    return result


# ---------------------------------------------------------------------------------------
# Forward mode
# ---------------------------------------------------------------------------------------


def scan_R_op(op: Scan, inputs: list[Variable], eval_points: list):
    """Tangents of the outputs (one per output, None for non-float ones), or None when
    this scan has mit_mot states (the caller then uses two reverse passes)."""
    from symcore.gradient import Rop

    T = _T()
    info = op.info
    if info.n_mit_mot or any(s != -1 for s in op.store_steps):
        return None
    oi, ii, io = info.outer_in(), info.inner_in(), info.inner_out()
    X = [v.type() for v in op.inner_inputs]
    Y = clone_replace(list(op.inner_outputs), dict(zip(op.inner_inputs, X, strict=True)))

    def ev(k):
        e = eval_points[k]
        return None if e is None or _is_disc(e) else e

    wrt, evs = [], []
    # sequences with a tangent
    seq_t = []
    for k, j in zip(oi["seqs"], ii["seqs"], strict=True):
        if ev(k) is not None and is_float_tensor(X[j]):
            ph = X[j].type()
            seq_t.append((k, j, ph))
            wrt.append(X[j])
            evs.append(ph)
    # float states always get a tangent (zero when the initial value has none)
    sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])
    sot_t = []
    for j, (k, grp) in enumerate(zip(sot_outer, info.sot_in_groups(), strict=True)):
        if is_float_tensor(X[grp[0]]):
            phs = [X[slot].type() for slot in grp]
            sot_t.append((j, k, grp, phs))
            wrt.extend(X[slot] for slot in grp)
            evs.extend(phs)
    sh_t = []
    for jj, (k, j) in enumerate(zip(oi["shared"], ii["shared"], strict=True)):
        if is_float_tensor(X[j]):
            ph = X[j].type()
            sh_t.append((jj, k, j, ph))
            wrt.append(X[j])
            evs.append(ph)
    ns_t = []
    for k, j in zip(oi["non_seqs"], ii["non_seqs"], strict=True):
        if ev(k) is not None and is_float_tensor(X[j]):
            ph = X[j].type()
            ns_t.append((k, j, ph))
            wrt.append(X[j])
            evs.append(ph)
    if not wrt:
        return [None] * info.n_outer_outputs

    n_user = info.n_sot + info.n_nit_sot + info.n_shared
    body = Y[:n_user]
    float_pos = [p for p in range(n_user) if is_float_tensor(body[p])]
    tans = Rop(
        [body[p] for p in float_pos],
        wrt,
        evs,
        disconnected_outputs="ignore",
        return_disconnected="zero",
    )
    tan_of = {p: as_type(t, body[p].type) for p, t in zip(float_pos, tans, strict=True)}

    sot_tan_out = [tan_of[io["mit_sot"].start + j] for j, _, _, _ in sot_t]
    nit_t = [p for p in io["nit_sot"] if p in tan_of]
    sh_tan_out = [tan_of[io["shared"].start + jj] for jj, _, _, _ in sh_t]
    mit_t = [e for e in sot_t if e[0] < info.n_mit_sot]
    sit_t = [e for e in sot_t if e[0] >= info.n_mit_sot]

    new_inner_in = (
        [X[j] for j in ii["seqs"]]
        + [ph for _, _, ph in seq_t]
        + [X[j] for j in ii["mit_sot"]]
        + [ph for e in mit_t for ph in e[3]]
        + [X[j] for j in ii["sit_sot"]]
        + [e[3][0] for e in sit_t]
        + [X[j] for j in ii["shared"]]
        + [e[3] for e in sh_t]
        + [X[j] for j in ii["non_seqs"]]
        + [ph for _, _, ph in ns_t]
    )
    n_mit_t = len(mit_t)
    new_inner_out = (
        [Y[p] for p in io["mit_sot"]]
        + sot_tan_out[:n_mit_t]
        + [Y[p] for p in io["sit_sot"]]
        + sot_tan_out[n_mit_t:]
        + [Y[p] for p in io["nit_sot"]]
        + [tan_of[p] for p in nit_t]
        + [Y[p] for p in io["shared"]]
        + sh_tan_out
        + ([Y[-1]] if info.as_while else [])
    )
    new_info = ScanInfo(
        n_seqs=info.n_seqs + len(seq_t),
        mit_sot_taps=info.mit_sot_taps + tuple(info.mit_sot_taps[e[0]] for e in mit_t),
        n_sit_sot=info.n_sit_sot + len(sit_t),
        n_nit_sot=info.n_nit_sot + len(nit_t),
        n_shared=info.n_shared + len(sh_t),
        n_non_seqs=info.n_non_seqs + len(ns_t),
        as_while=info.as_while,
    )

    def tangent_init(k):
        e = ev(k)
        return T.zeros_like(inputs[k]) if e is None else as_type(e, inputs[k].type)

    new_outer = (
        [inputs[0]]
        + [inputs[k] for k in oi["seqs"]]
        + [as_type(ev(k), inputs[k].type) for k, _, _ in seq_t]
        + [inputs[k] for k in oi["mit_sot"]]
        + [tangent_init(e[1]) for e in mit_t]
        + [inputs[k] for k in oi["sit_sot"]]
        + [tangent_init(e[1]) for e in sit_t]
        + [inputs[k] for k in oi["shared"]]
        + [tangent_init(e[1]) for e in sh_t]
        + [inputs[k] for k in oi["non_seqs"]]
        + [as_type(ev(k), inputs[k].type) for k, _, _ in ns_t]
    )
    new_op = Scan(
        new_inner_in,
        new_inner_out,
        new_info,
        truncate_gradient=op.truncate_gradient,
        mode=op.mode,
        name=f"rop_of_{op.name or 'scan_fn'}",
    )
    outs = new_op(*new_outer, return_list=True)
    # map the tangent outputs back to the original outputs
    pos = 0
    res: list[Any] = [None] * info.n_outer_outputs
    pos += info.n_mit_sot
    for e in mit_t:
        res[e[0]] = outs[pos]
        pos += 1
    pos += info.n_sit_sot
    for e in sit_t:
        res[e[0]] = outs[pos]
        pos += 1
    pos += info.n_nit_sot
    for p in nit_t:
        res[info.n_sot + (p - io["nit_sot"].start)] = outs[pos]
        pos += 1
    pos += info.n_shared
    for e in sh_t:
        res[info.n_sot + info.n_nit_sot + e[0]] = outs[pos]
        pos += 1
    return res
