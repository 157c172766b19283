"""``scan``: build a symbolic loop from a Python step function (Theano's ``theano.scan``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symcore.graph.basic import Constant, Variable, clone_replace, graph_inputs
from symcore.scan.info import ScanInfo
from symcore.scan.op import Scan
from symcore.scan.returns import split_step_return
from symcore.scan.utils import OrderedUpdates, elem_type

__all__ = ["scan"]


def _T():
    import symcore.tensor as T

    return T


def _wrap(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _as_var(x: Any, what: str) -> Variable:
    from symcore.tensor.basic import as_tensor_variable

    if isinstance(x, Variable):
        return x
    try:
        return as_tensor_variable(x)
    except Exception as exc:  # noqa: BLE001
        raise TypeError(f"scan: {what} {x!r} is not a symbolic variable or an array") from exc


def _is_shared(v: Any) -> bool:
    return getattr(v, "_is_shared_variable", False)


def _copy_test_value(dst: Variable, src: Variable, index: Any = None) -> None:
    from symcore.config import config

    if config.compute_test_value == "off":
        return
    tv = getattr(src.tag, "test_value", None) if not isinstance(src, Constant) else src.data
    if tv is None and _is_shared(src):
        tv = src.get_value(borrow=True)
    if tv is None:
        return
    try:
        dst.tag.test_value = tv if index is None else tv[index]
    except Exception:  # noqa: BLE001 - test values are a debugging aid
        pass


# ---------------------------------------------------------------------------------------
# Normalising the arguments
# ---------------------------------------------------------------------------------------


def _norm_sequences(sequences: Any, go_backwards: bool) -> list[tuple[Variable, list[int]]]:
    out = []
    for i, s in enumerate(_wrap(sequences)):
        if isinstance(s, dict):
            if "input" not in s:
                raise ValueError(f"scan: sequence {i} is a dict without an 'input' key: {s}")
            var = _as_var(s["input"], f"sequence {i}")
            taps = s.get("taps", [0])
            taps = [0] if taps is None else [int(t) for t in _wrap(taps)]
        else:
            var, taps = _as_var(s, f"sequence {i}"), [0]
        if getattr(var, "ndim", 0) < 1:
            raise ValueError(
                f"scan: sequence {i} ({var}, {var.type}) must have at least one "
                "dimension (scan iterates over its first axis)"
            )
        if not taps:
            continue
        if go_backwards:
            var = var[::-1]
        out.append((var, taps))
    return out


def _norm_outputs_info(outputs_info: Any) -> list[tuple[Variable | None, list[int]]]:
    """One ``(initial, taps)`` per output; ``(None, [])`` for outputs not fed back."""
    if outputs_info is None:
        return []
    items = [outputs_info] if isinstance(outputs_info, (dict, Variable)) else _wrap(outputs_info)
    out = []
    for i, o in enumerate(items):
        if o is None:
            out.append((None, []))
        elif isinstance(o, dict):
            init = o.get("initial")
            if init is None:
                out.append((None, []))
                continue
            init = _as_var(init, f"outputs_info[{i}]['initial']")
            taps = o.get("taps", [-1])
            taps = [-1] if taps is None else [int(t) for t in _wrap(taps)]
            if any(t >= 0 for t in taps):
                raise ValueError(
                    f"scan: outputs_info[{i}] asks for taps {taps}; an output can "
                    "only read its past values (negative taps)"
                )
            if not taps:
                out.append((None, []))
            else:
                out.append((init, taps))
        else:
            out.append((_as_var(o, f"outputs_info[{i}]"), [-1]))
    return out


def _n_steps_var(n_steps: Any, seq_lengths: list[Variable]):
    T = _T()
    if n_steps is not None:
        n = _as_var(n_steps, "n_steps")
        if n.ndim != 0 or n.type.dtype[:3] not in ("int", "uin"):
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n} ({n.type})")
        if isinstance(n, Constant) and int(n.data) < 0:
            raise ValueError(f"scan: n_steps must be >= 0, got {int(n.data)}")
        return T.cast(n, "int64") if n.type.dtype != "int64" else n
    if not seq_lengths:
        raise ValueError(
            "scan: no information about the number of steps: give n_steps or at least one sequence"
        )
    n = seq_lengths[0]
    for ln in seq_lengths[1:]:
        n = T.minimum(n, ln)
    return T.cast(n, "int64") if n.type.dtype != "int64" else n


# ---------------------------------------------------------------------------------------
# scan
# ---------------------------------------------------------------------------------------


def scan(  # noqa: C901 - follows Theano's argument handling step by step
    fn: Callable,
    sequences: Any = None,
    outputs_info: Any = None,
    non_sequences: Any = None,
    n_steps: Any = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    mode: Any = None,
    name: str | None = None,
    profile: Any = False,
    allow_gc: bool | None = None,
    strict: bool = False,
    return_list: bool = False,
):
    """Repeat ``fn`` over sequences and/or recurrent states; return ``(outputs, updates)``.

    ``fn`` receives, in order: one argument per tap of each sequence (``sequences`` items
    are variables, read at tap 0, or ``dict(input=x, taps=[-2, 0, 2])``), one per tap of
    each fed-back output (``outputs_info`` items are initial values — tap -1 —,
    ``dict(initial=h0, taps=[-1, -3])``, or None for outputs not fed back), then the
    ``non_sequences``. It returns its outputs (one per ``outputs_info`` entry), optionally
    with an updates dict for shared variables and an :class:`until` condition, in any order.

    The loop runs ``n_steps`` steps, or as many as the shortest sequence allows.
    ``go_backwards`` iterates the sequences from the end; ``truncate_gradient=k`` limits
    back-propagation to the last ``k`` steps. Variables ``fn`` uses without receiving them
    (closures, shared variables) become non-sequences automatically unless ``strict``.

    Returns the outputs (one variable, or a list; always a list with ``return_list``), each
    stacking the results of every step along a new first axis, and an ``OrderedUpdates``
    of the shared variables the step updates (random generators included), to pass to
    ``symcore.function(..., updates=updates)``.
    """
    T = _T()
    seqs = _norm_sequences(sequences, go_backwards)
    outs_info = _norm_outputs_info(outputs_info)
    non_seqs = [_as_var(v, f"non_sequences[{i}]") for i, v in enumerate(_wrap(non_sequences))]
    if truncate_gradient is None or int(truncate_gradient) == 0 or int(truncate_gradient) < -1:
        raise ValueError(
            f"scan: truncate_gradient must be -1 or a positive number of steps, got "
            f"{truncate_gradient}"
        )

    # -- sequences: one outer slice and one inner placeholder per tap ----------------------
    seq_outer: list[Variable] = []
    seq_inner: list[Variable] = []
    lengths: list[Variable] = []
    for var, taps in seqs:
        lo, hi = min(taps), max(taps)
        span = hi - lo
        length = var.shape[0] - span if span else var.shape[0]
        lengths.append(length)
        for tap in taps:
            start = tap - lo
            stop = hi - tap
            outer = var[start : var.shape[0] - stop] if stop else (var[start:] if start else var)
            ph = elem_type(var.type)()
            ph.name = f"{var.name}[t{tap:+d}]" if var.name else None
            _copy_test_value(ph, var, start)
            seq_outer.append(outer)
            seq_inner.append(ph)
    n = _n_steps_var(n_steps, lengths)

    # -- states -------------------------------------------------------------------------
    state_args: list[Variable] = []  # inner placeholders passed to fn, in order
    out_kinds: list[tuple[str, int]] = []  # per user output: (kind, index in kind)
    mit_sot: list[tuple[Variable, list[int], list[Variable]]] = []
    sit_sot: list[tuple[Variable, list[Variable]]] = []
    n_nit = 0
    for i, (init, taps) in enumerate(outs_info):
        if init is None:
            out_kinds.append(("nit_sot", n_nit))
            n_nit += 1
            continue
        if taps == [-1]:
            ph = init.type()
            ph.name = f"{init.name}[t-1]" if init.name else None
            _copy_test_value(ph, init)
            sit_sot.append((init, [ph]))
            out_kinds.append(("sit_sot", len(sit_sot) - 1))
            state_args.append(ph)
        else:
            if init.ndim < 1:
                raise ValueError(
                    f"scan: outputs_info[{i}] has taps {taps}, so its initial value must stack "
                    f"{-min(taps)} past values along a first axis; got {init} ({init.type})"
                )
            L = -min(taps)
            phs = []
            for tap in taps:
                ph = elem_type(init.type)()
                ph.name = f"{init.name}[t{tap:+d}]" if init.name else None
                _copy_test_value(ph, init, L + tap)
                phs.append(ph)
            mit_sot.append((init, taps, phs))
            out_kinds.append(("mit_sot", len(mit_sot) - 1))
            state_args.extend(phs)

    # -- call the step function -------------------------------------------------------------
    args = list(seq_inner) + state_args + list(non_seqs)
    raw = fn(*args)
    outputs, updates, condition = split_step_return(raw)
    outputs = [_as_var(o, "the step output") for o in outputs]
    if outs_info and len(outputs) != len(outs_info):
        raise ValueError(
            f"scan: the step function returned {len(outputs)} outputs but outputs_info has "
            f"{len(outs_info)} entries (one per output; None for outputs not fed back)"
        )
    if not outs_info:
        out_kinds = [("nit_sot", i) for i in range(len(outputs))]
        n_nit = len(outputs)

    # -- the step's outputs must have the types of the states they feed back -----------------
    for i, (kind, idx) in enumerate(out_kinds):
        if kind == "sit_sot":
            init, phs = sit_sot[idx]
            outputs[i] = _check_state_type(outputs[i], phs[0], init, i)
        elif kind == "mit_sot":
            init, taps, phs = mit_sot[idx]
            outputs[i] = _check_state_type(outputs[i], phs[0], init, i)
        elif outputs[i].type.dtype is None:  # pragma: no cover - non-tensor outputs
            raise TypeError(f"scan: output {i} is not a tensor")

    # -- shared variables and free variables the step uses -------------------------------
    known = set(args)
    explicit_ns = list(dict.fromkeys(non_seqs))
    blockers = known | set(explicit_ns)
    updated: dict[Variable, Variable] = dict(updates)
    for sv in updated:
        if not _is_shared(sv):
            raise TypeError(
                f"scan: the step function returned an update of {sv}, which is not "
                "a shared variable"
            )

    def step_graph() -> list[Variable]:
        extra = [condition] if condition is not None else []
        return list(outputs) + list(updated.values()) + extra

    def free_vars() -> list[Variable]:
        return [
            v
            for v in graph_inputs(step_graph(), blockers)
            if v not in known and v not in explicit_ns and not isinstance(v, Constant)
        ]

    # default updates (random generators) of the shared variables the step reads
    while True:
        added = False
        for v in free_vars() + explicit_ns:
            default = getattr(v, "default_update", None)
            if _is_shared(v) and v not in updated and default is not None:
                updated[v] = default
                added = True
        if not added:
            break
    free = free_vars()
    if strict:
        missing = [v for v in free if v not in updated]
        if missing:
            raise ValueError(
                "scan(strict=True): the step function uses "
                + ", ".join(f"{v} ({v.type})" for v in missing)
                + " without receiving it; pass it in non_sequences (or sequences/outputs_info)"
            )
    shared_states = list(updated)
    ns_outer = [
        v for v in explicit_ns + [f for f in free if f not in explicit_ns] if v not in updated
    ]

    # -- replace outer variables in the step graph by inner placeholders --------------------
    replace: dict[Variable, Variable] = {}
    sh_inner = []
    for sv in shared_states:
        ph = sv.type()
        ph.name = f"{sv.name}[t-1]" if sv.name else None
        _copy_test_value(ph, sv)
        replace[sv] = ph
        sh_inner.append(ph)
    ns_inner = []
    for v in ns_outer:
        ph = v.type()
        ph.name = v.name
        _copy_test_value(ph, v)
        replace[v] = ph
        ns_inner.append(ph)
    inner_outs = step_graph()
    if replace:
        inner_outs = clone_replace(inner_outs, replace=replace)

    n_user = len(outputs)
    user_inner = inner_outs[:n_user]
    sh_updates = inner_outs[n_user : n_user + len(shared_states)]
    cond_inner = inner_outs[-1] if condition is not None else None
    sh_updates = [
        _check_update_type(u, ph, sv)
        for u, ph, sv in zip(sh_updates, sh_inner, shared_states, strict=True)
    ]

    # -- assemble the Op -----------------------------------------------------------------------
    mit_sot_idx = [i for i, (k, _) in enumerate(out_kinds) if k == "mit_sot"]
    sit_sot_idx = [i for i, (k, _) in enumerate(out_kinds) if k == "sit_sot"]
    nit_sot_idx = [i for i, (k, _) in enumerate(out_kinds) if k == "nit_sot"]
    mit_sot_idx.sort(key=lambda i: out_kinds[i][1])
    sit_sot_idx.sort(key=lambda i: out_kinds[i][1])
    nit_sot_idx.sort(key=lambda i: out_kinds[i][1])

    inner_inputs = (
        list(seq_inner)
        + [ph for _, _, phs in mit_sot for ph in phs]
        + [phs[0] for _, phs in sit_sot]
        + sh_inner
        + ns_inner
    )
    inner_outputs = (
        [user_inner[i] for i in mit_sot_idx]
        + [user_inner[i] for i in sit_sot_idx]
        + [user_inner[i] for i in nit_sot_idx]
        + sh_updates
        + ([_as_condition(cond_inner)] if cond_inner is not None else [])
    )
    info = ScanInfo(
        n_seqs=len(seq_outer),
        mit_sot_taps=tuple(tuple(taps) for _, taps, _ in mit_sot),
        n_sit_sot=len(sit_sot),
        n_nit_sot=n_nit,
        n_shared=len(shared_states),
        n_non_seqs=len(ns_outer),
        as_while=condition is not None,
    )
    op = Scan(
        inner_inputs,
        inner_outputs,
        info,
        truncate_gradient=truncate_gradient,
        mode=mode,
        name=name,
        allow_gc=allow_gc,
        profile=profile,
    )
    outer_inputs = (
        [n]
        + seq_outer
        + [init[: -min(taps)] for init, taps, _ in mit_sot]
        + [T.shape_padleft(init) for init, _ in sit_sot]
        + shared_states
        + ns_outer
    )
    node_outs = op(*outer_inputs, return_list=True)
    n_sot = len(mit_sot) + len(sit_sot)
    by_user: dict[int, Variable] = {}
    for pos, i in enumerate(mit_sot_idx + sit_sot_idx + nit_sot_idx):
        by_user[i] = node_outs[pos]
    results = [by_user[i] for i in range(n_user)]
    for r, i in zip(results, range(n_user), strict=True):
        if name and r.name is None:
            r.name = f"{name}[{i}]" if n_user > 1 else name
    upd = OrderedUpdates()
    for sv, out in zip(shared_states, node_outs[n_sot + n_nit :], strict=True):
        upd[sv] = out
    if return_list:
        return results, upd
    if len(results) == 1:
        return results[0], upd
    if not results:
        return None, upd
    return results, upd


def _as_condition(cond: Variable) -> Variable:
    T = _T()
    if cond.type.dtype != "bool":
        cond = T.neq(cond, 0)
    return cond


def _check_state_type(out: Variable, ph: Variable, init: Variable, i: int) -> Variable:
    """The step output ``out`` as a value of the state type ``ph.type``, or a clear error."""
    st, ot = ph.type, out.type
    if ot == st:
        return out
    if getattr(ot, "ndim", None) != st.ndim:
        raise ValueError(
            f"scan: output {i} of the step function ({out}) has {ot.ndim} dimensions "
            f"({ot}) but its initial state in outputs_info ({init}) gives states of "
            f"{st.ndim} dimensions ({st}). The step must return a value shaped like the state."
        )
    if ot.dtype != st.dtype:
        raise TypeError(
            f"scan: output {i} of the step function ({out}) has dtype {ot.dtype} "
            f"(broadcastable {ot.broadcastable}) but its initial state in outputs_info "
            f"({init}) has dtype {st.dtype} (broadcastable {st.broadcastable}). Scan feeds "
            "each output back as the next state, so the two must have the same type; an "
            f"implicit conversion from {ot.dtype} to {st.dtype} could lose information. "
            f"Give the initial state the output's dtype (e.g. T.cast(init, '{ot.dtype}') or "
            f"np.asarray(0, dtype='{ot.dtype}')), or cast the step's result "
            f"(T.cast(result, '{st.dtype}'))."
        )
    if st.is_super(ot):  # the output is more specific: fine
        return st.filter_variable(out)
    axes = [
        a
        for a, (b1, b2) in enumerate(zip(st.broadcastable, ot.broadcastable, strict=True))
        if b1 and not b2
    ]
    raise TypeError(
        f"scan: output {i} of the step function ({out}) has broadcastable pattern "
        f"{ot.broadcastable} but its initial state in outputs_info ({init}) has "
        f"{st.broadcastable}: dimension(s) {axes} of the state have length 1 fixed while the "
        f"step's result may not. Make them consistent, e.g. outputs_info=T.unbroadcast(init, "
        f"{', '.join(map(str, axes))}) or T.addbroadcast on the step's result."
    )


def _check_update_type(u: Variable, ph: Variable, sv: Variable) -> Variable:
    if u.type == ph.type:
        return u
    try:
        if getattr(u.type, "dtype", None) == getattr(ph.type, "dtype", None):
            return ph.type.filter_variable(u)
    except TypeError:
        pass
    raise TypeError(
        f"scan: the update of the shared variable {sv} ({sv.type}) returned by the step "
        f"function has type {u.type}; cast it to {getattr(sv.type, 'dtype', sv.type)}"
    )
