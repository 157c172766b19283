"""The reference loop of ``Scan``: call the compiled step once per step.

Nothing is built or compiled per step: the step function is compiled once
(``Scan.inner_function``) and the index bookkeeping is done before the loop. Recurrent
states are kept as a small ring of the arrays the step returned (no copy per step: the step
never overwrites those inputs); results that must all be returned are copied into the output
array in chunks (one ``np.stack`` per ``_CHUNK`` steps), so memory stays one output array
plus a chunk, and an output kept only for its last ``k`` steps (``store_steps``) never
needs more than a ring of ``k`` arrays. Outputs that are views of a mit_mot buffer (which
is written in place) are copied.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply

__all__ = ["run_scan", "set_loop_driver"]

_CHUNK = 64

#: A backend's compiled loop (see ``set_loop_driver``), or None for the Python loop.
_driver_factory: Any = None


def set_loop_driver(factory: Any) -> None:
    """Let a backend run the steps: ``factory()`` returns the loop function (or None when
    it is not available), called as ``loop(thunk, start, n, vals, seqs, reads, traced,
    shared, cur, as_while, helper, chunk) -> steps done`` with the tables ``run_scan``
    builds (``shared``: ``(slot, out_slot, destroyed)``; a destroyed state must get an
    array the loop owns, as in the Python loop); ``sym_backend_c.ops.scan`` registers one
    written in C. None restores the Python loop."""
    global _driver_factory
    _driver_factory = factory


def _driver():
    return _driver_factory() if _driver_factory is not None else None


class _Helper:
    """Callbacks of a compiled loop: flush a traced output's chunk, report a bad shape."""

    failed_step = None

    def __init__(self, op, traced) -> None:
        self.op = op
        self.traced = traced

    def __call__(self, j: int) -> None:
        self.traced[j].flush()

    def shape_error(self, j: int, t: int, v: Any) -> None:
        tr = self.traced[j]
        raise _shape_error(self.op, tr.name, t, getattr(v, "shape", type(v).__name__), tr.shape)


def _n_steps(op, value: Any) -> int:
    n = int(np.asarray(value))
    if n < 0:
        raise ValueError(
            f"{op}: n_steps must be >= 0, got {n} (scan does not run backwards for "
            "negative n_steps; use go_backwards=True)"
        )
    return n


def _shape_error(op, what: str, t: int, got: tuple, want: tuple) -> ValueError:
    return ValueError(
        f"{op}: at step {t} the step function returned {what} with shape {got}, but the scan "
        f"stores values of shape {want} there (every step must return the shape of the "
        "initial state / of the first step's result)"
    )


def _at_step(exc: BaseException, t: int, op) -> BaseException:
    """``exc`` with "at step t of <scan>" in its message (same type when possible)."""
    msg = f"{exc}\n(raised by step {t} of {op})"
    try:
        new = type(exc)(msg)
        if str(new) == msg:
            return new.with_traceback(exc.__traceback__)
    except Exception:  # noqa: BLE001 - exception types with other constructors
        pass
    exc.add_note(f"(raised by step {t} of {op})")
    return exc


def _empty_elem_shape(var) -> tuple:
    """Best guess of an entry's shape when no step ran: static sizes, else 0."""
    t = var.type
    return tuple(
        s if s is not None else (1 if b else 0)
        for s, b in zip(t.shape[1:], t.broadcastable[1:], strict=True)
    )


def _is_view(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.base is not None


class _Traced:
    """A traced output (sot state or nit_sot): a ring of the last arrays, plus the full
    result array when every step is returned."""

    __slots__ = (
        "L",
        "R",
        "ring",
        "store",
        "full",
        "pending",
        "flushed",
        "shape",
        "dtype",
        "oslot",
        "name",
    )

    def __init__(self, L, store, n, shape, dtype, oslot, name, init=None):
        self.L = L
        self.store = store
        self.R = max(L + 1, store if store != -1 else 1)
        self.ring: list[Any] = [None] * self.R
        if init is not None:
            for i in range(L):
                self.ring[i] = init[i, ...]
        self.shape = shape
        self.dtype = dtype
        self.oslot = oslot
        self.name = name
        self.full = None
        self.pending: list[Any] = []
        self.flushed = 0
        if store == -1 and shape is not None:
            self.full = np.empty((n, *shape), dtype=dtype)

    def flush(self) -> None:
        if self.pending:
            k = len(self.pending)
            np.stack(self.pending, out=self.full[self.flushed : self.flushed + k])
            self.flushed += k
            self.pending.clear()  # in place: a compiled loop holds this list

    def result(self, done: int) -> np.ndarray:
        if self.store == -1:
            if self.full is None:
                return np.empty((0, *(self.shape or ())), dtype=self.dtype)
            self.flush()
            return self.full[:done]
        m = min(self.store, done)
        if m == 0:
            return np.empty((0, *(self.shape or ())), dtype=self.dtype)
        L, R = self.L, self.R
        return np.stack([self.ring[p % R] for p in range(L + done - m, L + done)])


def run_scan(op, node: Apply, inputs: list[Any]) -> list[Any]:  # noqa: C901 - one loop
    """Run the loop of ``node`` on ``inputs``; return one value per output."""
    info = op.info
    fn = op.inner_function()
    thunk = fn.maker.thunk
    copy_outs = bool(getattr(thunk, "reuses_output_storage", False))
    oi, ii, io = info.outer_in(), info.inner_in(), info.inner_out()
    n = _n_steps(op, inputs[0])
    vals: list[Any] = [None] * info.n_inner_inputs

    seqs = []
    for k, slot in zip(oi["seqs"], ii["seqs"], strict=True):
        s = inputs[k]
        if s.shape[0] < n:
            raise ValueError(
                f"{op}: sequence {k - 1} ({node.inputs[k]}) has {s.shape[0]} entries but the loop "
                f"runs {n} steps (n_steps is larger than the sequence)"
            )
        seqs.append((slot, s))

    # mit_mot buffers (copied: the input is not overwritten), read and written in place
    mm_bufs, mm_reads, mm_writes = [], [], []
    out_groups = info.mit_mot_out_groups()
    for j, k in enumerate(oi["mit_mot"]):
        buf = np.array(inputs[k], copy=True)
        need = n + max(info.mit_mot_in_taps[j] + info.mit_mot_out_taps[j])
        if buf.shape[0] < need:
            raise ValueError(
                f"{op}: mit_mot buffer {j} has {buf.shape[0]} entries; {n} steps "
                f"with offsets up to {need - n} need {need}"
            )
        mm_bufs.append(buf)
        for slot, off in zip(info.mit_mot_in_groups()[j], info.mit_mot_in_taps[j], strict=True):
            mm_reads.append((slot, buf, off))
        for oslot, off in zip(out_groups[j], info.mit_mot_out_taps[j], strict=True):
            mm_writes.append((oslot, buf, off))

    traced: list[_Traced] = []
    reads: list[tuple[int, _Traced, int]] = []
    sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])
    for j, (k, grp) in enumerate(zip(sot_outer, info.sot_in_groups(), strict=True)):
        init = np.asarray(inputs[k])
        L = info.init_len(j)
        if init.shape[0] < L:
            raise ValueError(
                f"{op}: state {j} ({node.inputs[k]}) needs {L} initial values "
                f"(taps {list(info.sot_taps[j])}), got {init.shape[0]}"
            )
        tr = _Traced(
            L,
            op.store_steps[j],
            n,
            init.shape[1:],
            node.outputs[info.n_mit_mot + j].dtype,
            io["mit_sot"].start + j,
            f"state {j}",
            init,
        )
        traced.append(tr)
        for slot, tap in zip(grp, info.sot_taps[j], strict=True):
            reads.append((slot, tr, L + tap))
    for j, oslot in enumerate(io["nit_sot"]):
        traced.append(
            _Traced(
                0,
                op.store_steps[info.n_sot + j],
                n,
                None,
                node.outputs[info.n_mit_mot + info.n_sot + j].dtype,
                oslot,
                f"output {oslot}",
            )
        )

    cur = [inputs[k] for k in oi["shared"]]
    sh_slots = list(ii["shared"])
    sh_outs = list(io["shared"])
    # untraced states the step overwrites in place (``Scan.inner_function``): the loop
    # passes there an array it owns (nothing else holds or views it), a copy made before
    # the step when the current value is not known to be one
    destroyed = getattr(fn, "scan_destroyed", frozenset())
    own_idx = [i for i, slot in enumerate(sh_slots) if slot in destroyed]
    owned = [False] * len(cur)
    for k, slot in zip(oi["non_seqs"], ii["non_seqs"], strict=True):
        vals[slot] = inputs[k]

    def _py_steps(t0: int, t1: int) -> int | None:
        for t in range(t0, t1):
            for slot, s in seqs:
                vals[slot] = s[t, ...]
            for slot, tr, off in reads:
                vals[slot] = tr.ring[(t + off) % tr.R]
            if mm_reads:
                for slot, buf, off in mm_reads:
                    vals[slot] = buf[t + off, ...]
            if sh_slots:
                for i in own_idx:
                    if not owned[i]:
                        cur[i] = np.array(cur[i], copy=True, order="C")
                        owned[i] = True
                for slot, v in zip(sh_slots, cur, strict=True):
                    vals[slot] = v
            try:
                outs = thunk(vals)
            except Exception as exc:
                new = _at_step(exc, t, op)
                if new is exc:
                    raise
                raise new from exc
            for tr in traced:
                v = outs[tr.oslot]
                if copy_outs or (mm_writes and _is_view(v)):  # mit_mot buffers are overwritten
                    v = np.array(v, copy=True)
                if v.shape != tr.shape:
                    if tr.shape is None:  # a nit_sot's first step fixes its shape
                        tr.shape = v.shape
                        if tr.store == -1:
                            tr.full = np.empty((n, *v.shape), dtype=tr.dtype)
                    else:
                        raise _shape_error(op, tr.name, t, v.shape, tr.shape)
                tr.ring[(t + tr.L) % tr.R] = v
                if tr.full is not None:
                    tr.pending.append(v)
                    if len(tr.pending) >= _CHUNK:
                        tr.flush()
            if mm_writes:
                news = [(buf, t + off, outs[oslot]) for oslot, buf, off in mm_writes]
                news = [(b, p, np.array(v, copy=True) if _is_view(v) else v) for b, p, v in news]
                for buf, pos, v in news:
                    if v.shape != buf.shape[1:]:
                        raise _shape_error(op, "a mit_mot value", t, v.shape, buf.shape[1:])
                    buf[pos] = v
            if sh_outs:
                for i in own_idx:  # the same array, written in place, and no other output views it
                    v = outs[sh_outs[i]]
                    owned[i] = v is cur[i] and not any(
                        k != sh_outs[i] and isinstance(o, np.ndarray) and np.may_share_memory(o, v)
                        for k, o in enumerate(outs)
                    )
                cur[:] = [outs[s] for s in sh_outs]
                if copy_outs or mm_writes:
                    cur[:] = [
                        np.array(v, copy=True)
                        if (copy_outs and isinstance(v, np.ndarray)) or _is_view(v)
                        else v
                        for v in cur
                    ]
                    for i in own_idx:  # a copy the loop just made is its own
                        owned[i] = owned[i] or cur[i] is not outs[sh_outs[i]]
            if as_while and bool(outs[-1]):
                return t + 1
        return None

    as_while = info.as_while
    done = n
    start = 0
    driver = _driver() if not (mm_reads or mm_writes or copy_outs) else None
    if driver is not None and n > 0:
        if any(tr.shape is None for tr in traced):
            stop = _py_steps(0, 1)  # the first step gives the nit_sot shapes
            start = 1
        else:
            stop = None
        if stop is None:
            helper = _Helper(op, traced)
            try:
                done = driver(
                    thunk,
                    start,
                    n,
                    vals,
                    seqs,
                    [(sl, tr.ring, off, tr.R) for sl, tr, off in reads],
                    [
                        (
                            tr.oslot,
                            tr.ring,
                            tr.L,
                            tr.R,
                            tuple(tr.shape),
                            tr.pending if tr.full is not None else None,
                            j,
                        )
                        for j, tr in enumerate(traced)
                    ],
                    [
                        (slot, o, slot in destroyed)
                        for slot, o in zip(sh_slots, sh_outs, strict=True)
                    ],
                    cur,
                    as_while,
                    helper,
                    _CHUNK,
                )
            except Exception as exc:
                if helper.failed_step is None:
                    raise
                new = _at_step(exc, -helper.failed_step - 1, op)
                if new is exc:
                    raise
                raise new from exc
        else:
            done = stop
    else:
        stop = _py_steps(0, n)
        if stop is not None:
            done = stop

    results: list[Any] = list(mm_bufs)
    for j, tr in enumerate(traced):
        if tr.shape is None:  # a nit_sot of a loop that ran no step
            out_var = node.outputs[info.n_mit_mot + j]
            tr.shape = _empty_elem_shape(out_var)
        results.append(tr.result(done))
    results.extend(_unaliased(cur, inputs))
    return results


def _unaliased(values: list[Any], inputs: list[Any]) -> list[Any]:
    """``values`` with a copy of each array whose memory is one of the node's inputs (a
    shared state after zero steps, or a step that returns an input as it is): Scan declares
    no ``view_map``, so a later in-place Op must be free to overwrite its outputs."""
    arrays = [a for a in inputs if isinstance(a, np.ndarray)]
    return [
        v.copy()
        if isinstance(v, np.ndarray) and any(np.may_share_memory(v, a) for a in arrays)
        else v
        for v in values
    ]
