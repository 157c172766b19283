"""The reference loop of ``Scan``: allocate the buffers, call the compiled step per step.

Nothing is built or compiled per step: the step function is compiled once
(``Scan.inner_function``), the index bookkeeping is computed before the loop, and each
step only slices the buffers, calls the step's thunk and copies its outputs in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply

__all__ = ["run_scan"]


def _n_steps(op, value: Any) -> int:
    n = int(np.asarray(value))
    if n < 0:
        raise ValueError(f"{op}: n_steps must be >= 0, got {n} (scan does not run backwards for "
                         "negative n_steps; use go_backwards=True)")
    return n


def _shape_error(op, what: str, t: int, got: tuple, want: tuple) -> ValueError:
    return ValueError(
        f"{op}: at step {t} the step function returned {what} with shape {got}, but the scan "
        f"stores values of shape {want} there (every step must return the shape of the "
        "initial state / of the first step's result)"
    )


def _empty_elem_shape(var) -> tuple:
    """Best guess of an entry's shape when no step ran: static sizes, else 0."""
    t = var.type
    return tuple(
        s if s is not None else (1 if b else 0)
        for s, b in zip(t.shape[1:], t.broadcastable[1:], strict=True)
    )


def _is_view(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.base is not None


def run_scan(op, node: Apply, inputs: list[Any]) -> list[Any]:  # noqa: C901 - one loop
    """Run the loop of ``node`` on ``inputs``; return one value per output."""
    info = op.info
    fn = op.inner_function()
    thunk = fn.maker.thunk
    copy_outs = bool(getattr(thunk, "reuses_output_storage", False))
    oi, ii, io = info.outer_in(), info.inner_in(), info.inner_out()
    n = _n_steps(op, inputs[0])
    vals: list[Any] = [None] * info.n_inner_inputs

    # -- sequences -----------------------------------------------------------------------
    seqs = []
    for k, slot in zip(oi["seqs"], ii["seqs"], strict=True):
        s = inputs[k]
        if s.shape[0] < n:
            raise ValueError(
                f"{op}: sequence {k - 1} ({node.inputs[k]}) has {s.shape[0]} entries but the loop "
                f"runs {n} steps (n_steps is larger than the sequence)"
            )
        seqs.append((slot, s))

    # -- mit_mot buffers (copied: the input is not overwritten) -------------------------------
    mm_bufs, mm_reads, mm_writes = [], [], []
    out_groups = info.mit_mot_out_groups()
    for j, k in enumerate(oi["mit_mot"]):
        buf = np.array(inputs[k], copy=True)
        need = n + max(info.mit_mot_in_taps[j] + info.mit_mot_out_taps[j])
        if buf.shape[0] < need:
            raise ValueError(f"{op}: mit_mot buffer {j} has {buf.shape[0]} entries; {n} steps "
                             f"with offsets up to {need - n} need {need}")
        mm_bufs.append(buf)
        for slot, off in zip(info.mit_mot_in_groups()[j], info.mit_mot_in_taps[j], strict=True):
            mm_reads.append((slot, buf, off))
        for oslot, off in zip(out_groups[j], info.mit_mot_out_taps[j], strict=True):
            mm_writes.append((oslot, buf, off))

    # -- mit_sot / sit_sot buffers (circular when only the last results are kept) -----------
    sot_bufs, sot_reads, sot_writes = [], [], []
    sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])
    for j, (k, grp) in enumerate(zip(sot_outer, info.sot_in_groups(), strict=True)):
        init = np.asarray(inputs[k])
        L = info.init_len(j)
        if init.shape[0] < L:
            raise ValueError(f"{op}: state {j} ({node.inputs[k]}) needs {L} initial values "
                             f"(taps {list(info.sot_taps[j])}), got {init.shape[0]}")
        store = op.store_steps[j]
        size = L + n if store == -1 else max(L + 1, store)
        buf = np.empty((size, *init.shape[1:]), dtype=node.outputs[info.n_mit_mot + j].dtype)
        buf[:L] = init[:L]
        sot_bufs.append((buf, L, size, store))
        for slot, tap in zip(grp, info.sot_taps[j], strict=True):
            sot_reads.append((slot, buf, L + tap, size))
        sot_writes.append((io["mit_sot"].start + j, buf, L, size, init.shape[1:]))

    # -- nit_sot: allocated after the first step (their shape comes from it) ---------------
    nit = [None] * info.n_nit_sot
    nit_store = op.store_steps[info.n_sot:]
    nit_out = list(io["nit_sot"])

    # -- untraced states and non-sequences ----------------------------------------------------
    cur = [inputs[k] for k in oi["shared"]]
    sh_slots = list(ii["shared"])
    sh_outs = list(io["shared"])
    for k, slot in zip(oi["non_seqs"], ii["non_seqs"], strict=True):
        vals[slot] = inputs[k]

    as_while = info.as_while
    done = n
    for t in range(n):
        for slot, s in seqs:
            vals[slot] = s[t, ...]
        for slot, buf, off in mm_reads:
            vals[slot] = buf[t + off, ...]
        for slot, buf, off, size in sot_reads:
            vals[slot] = buf[(t + off) % size, ...]
        for slot, v in zip(sh_slots, cur, strict=True):
            vals[slot] = v
        try:
            outs = thunk(vals)
        except Exception as exc:
            exc.add_note(f"(raised by step {t} of {op})")
            raise
        for oslot, buf, L, size, shape in sot_writes:
            v = outs[oslot]
            if v.shape != shape:
                raise _shape_error(op, f"state {oslot - io['mit_sot'].start}", t, v.shape, shape)
            buf[(t + L) % size] = v
        for j, oslot in enumerate(nit_out):
            v = outs[oslot]
            buf = nit[j]
            if buf is None:
                store = nit_store[j]
                rows = n if store == -1 else min(store, n)
                buf = nit[j] = np.empty((rows, *np.shape(v)), dtype=node.outputs[
                    info.n_mit_mot + info.n_sot + j].dtype)
            elif v.shape != buf.shape[1:]:
                raise _shape_error(op, f"output {oslot}", t, v.shape, buf.shape[1:])
            buf[t % buf.shape[0]] = v
        if mm_writes:
            news = [(buf, t + off, outs[oslot]) for oslot, buf, off in mm_writes]
            news = [(b, p, np.array(v, copy=True) if _is_view(v) else v) for b, p, v in news]
            for buf, pos, v in news:
                if v.shape != buf.shape[1:]:
                    raise _shape_error(op, "a mit_mot value", t, v.shape, buf.shape[1:])
                buf[pos] = v
        if sh_outs:
            cur = [outs[s] for s in sh_outs]
            if copy_outs:
                cur = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in cur]
            else:
                cur = [np.array(v, copy=True) if _is_view(v) else v for v in cur]
        if as_while and bool(outs[-1]):
            done = t + 1
            break

    # -- outputs ------------------------------------------------------------------------------
    results: list[Any] = list(mm_bufs)
    for buf, L, size, store in sot_bufs:
        if store == -1:
            results.append(buf[L:L + done])
        else:
            m = min(store, done)
            idx = [(p % size) for p in range(L + done - m, L + done)]
            results.append(buf[idx])
    for j, buf in enumerate(nit):
        out_var = node.outputs[info.n_mit_mot + info.n_sot + j]
        if buf is None:
            results.append(np.empty((0, *_empty_elem_shape(out_var)), dtype=out_var.dtype))
            continue
        store = nit_store[j]
        if store == -1:
            results.append(buf[:done])
        else:
            size = buf.shape[0]
            m = min(store, done)
            results.append(buf[[p % size for p in range(done - m, done)]] if size else buf)
    results.extend(cur)
    return results
