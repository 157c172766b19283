"""The whole loop of a ``Scan`` node in C, the step's code inlined (no call per step).

The C implementation registered here for ``Scan`` emits, inside the Scan node's kernel:

* setup: checks of ``n_steps``, sequence lengths and initial states; one buffer per traced
  output (the ``L`` initial values then every step's result when all are returned, else a
  ring of ``max(L + 1, store)`` rows; a nit_sot's buffer is made once its first step gave
  its shape); a copy of each mit_mot buffer (the backward scans of gradients), read and
  written in place; the initial value of each untraced (shared) state; the inner graph's
  constants; one read-only "row view" array object per sequence / state / mit_mot tap;
* the loop: per step the row views are pointed at their rows (their data pointer is
  moved: no array is created), the inner graph's nodes run their registered C code
  (``codegen`` implementations, one block each, as in a graph module), each traced result
  is checked against its state's shape and copied into its buffer row, the untraced
  states take the step's values (kept by reference; views copied: their rows may be
  overwritten later), the mit_mot values are taken (views copied when a
  step writes several rows) and then written at ``t + offset``; a while loop (``until``)
  stops after the step whose condition is true. Elemwise outputs reuse the array of the
  previous step (``NodeContext.out_cache``), so a step of elementwise nodes calls no
  allocator;
* the results: the mit_mot buffers, views of the full buffers (the steps run), or the
  last ``store`` rows gathered from a ring, and the last value of each untraced state.

The step graph is the one the active mode compiled (``op.inner_function()``: the same
rewrites as the per-step runner). The implementation returns None — and the node runs
``Scan.perform`` (the per-step compiled runner, ``sym_backend_c.ops.scan``) — for
non-tensor values (random generators among the untraced states), nested scans, inner
nodes without C code, large constants, a float16 ``until`` condition, or an inner
function not built by the C backend. Generated loops carry the marker ``INLINE_MARKER``
in their source.
"""

from __future__ import annotations

import numpy as np
from symcore.graph.basic import Constant, Variable
from symcore.scan.op import Scan

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import lookup, register_c_impl
from sym_backend_c.ops.scan_inline_support import SUPPORT as _SUPPORT

#: Present in the source of every module whose Scan loop is inlined.
INLINE_MARKER = "symc-scan-inlined"

#: Largest constant of the step graph copied into the generated source (bytes).
MAX_CONST_BYTES = 1 << 16


def _step_error(exc: BaseException, t: int, op: str) -> BaseException:
    """``exc`` naming the failing step (called by the generated code on an error)."""
    from symcore.scan.loop import _at_step

    new = _at_step(exc, t, op)
    if new is not exc:
        new.__cause__ = exc
    return new


def _c_str(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("?")
    return '"' + "".join(out) + '"'


def _tensor(var: Variable) -> bool:
    from symcore.tensor.type import TensorType

    return isinstance(var.type, TensorType)


def _native(dtype: str) -> bool:
    from sym_backend_c.codegen.context import C_TYPES

    return np.dtype(dtype).name in C_TYPES and np.dtype(dtype).kind in "biuf"


def _inner_graph(op: Scan):
    """The rewritten step graph the active mode compiled, or None when it cannot be used."""
    try:
        fn = op.inner_function()
    except Exception:  # noqa: BLE001 - the node's perform reports it
        return None
    fg = fn.maker.fgraph
    report = getattr(fg, "linker_report", None)
    if report is None or report.backend != "c" or report.fallback_nodes:
        return None
    info = op.info
    if len(fg.inputs) != info.n_inner_inputs or len(fg.outputs) != info.n_inner_outputs:
        return None
    return fg


@register_c_impl(Scan)
def scan_c(op: Scan, node, ctx: NodeContext) -> str | None:  # noqa: C901 - one generator
    info = op.info
    if not all(_tensor(v) for v in node.inputs) or not all(_tensor(v) for v in node.outputs):
        return None
    fg = _inner_graph(op)
    if fg is None:
        return None
    if not all(_tensor(v) and _native(v.type.dtype) for v in fg.inputs + fg.outputs):
        return None
    if info.as_while and fg.outputs[-1].type.dtype == "float16":
        return None  # the condition is read as a C value
    destroyed = getattr(op.inner_function(), "scan_destroyed", frozenset())
    return _generate(op, node, ctx, fg, destroyed)


def _generate(op: Scan, node, ctx: NodeContext, fg, destroyed=frozenset()) -> str | None:  # noqa: C901
    info = op.info
    oi, ii, io = info.outer_in(), info.inner_in(), info.inner_out()
    u = ctx.node_id
    ins = ctx.inputs
    opname = _c_str(str(op))
    n_in = info.n_inner_inputs
    n_traced = info.n_traced

    # --- names of inner values -----------------------------------------------------------
    names: dict[Variable, str] = {}
    rv_base: dict[int, str] = {}  # inner input slot -> C expr of the buffer its rows come from
    for slot, k in zip(ii["seqs"], oi["seqs"], strict=True):
        names[fg.inputs[slot]] = f"sc_rv[{slot}]"
        rv_base[slot] = ins[k]
    for slot, k in zip(ii["non_seqs"], oi["non_seqs"], strict=True):
        names[fg.inputs[slot]] = ins[k]
    mm_reads: list[tuple[int, int, int]] = []  # (slot, mit_mot j, offset)
    for j, grp in enumerate(info.mit_mot_in_groups()):
        for slot, off in zip(grp, info.mit_mot_in_taps[j], strict=True):
            names[fg.inputs[slot]] = f"sc_rv[{slot}]"
            rv_base[slot] = f"sc_mm[{j}]"
            mm_reads.append((slot, j, off))
    mm_writes: list[tuple[int, int, int]] = []  # (inner output slot, mit_mot j, offset)
    for j, grp in enumerate(info.mit_mot_out_groups()):
        for oslot, off in zip(grp, info.mit_mot_out_taps[j], strict=True):
            mm_writes.append((oslot, j, off))
    for i, slot in enumerate(ii["shared"]):
        names[fg.inputs[slot]] = f"sc_sh[{i}]"
    sot_reads: list[tuple[int, int, int]] = []  # (slot, state j, tap)
    for j, grp in enumerate(info.sot_in_groups()):
        for slot, tap in zip(grp, info.sot_taps[j], strict=True):
            names[fg.inputs[slot]] = f"sc_rv[{slot}]"
            rv_base[slot] = f"sc_buf[{j}]"
            sot_reads.append((slot, j, tap))

    consts: list[str] = []
    const_code: list[str] = []

    def name_of(var: Variable) -> str | None:
        if var in names:
            return names[var]
        if isinstance(var, Constant) and _tensor(var):
            data = var.data
            if not isinstance(data, np.ndarray) or not _native(data.dtype.name):
                return None
            if data.dtype.name != var.type.dtype or data.ndim != var.type.ndim:
                return None
            if data.nbytes > MAX_CONST_BYTES or not data.dtype.isnative:
                return None
            k = len(consts)
            nm = f"sc_c[{k}]"
            consts.append(nm)
            raw = np.ascontiguousarray(data).tobytes()
            dims = ", ".join(str(int(d)) for d in data.shape) or "0"
            byts = ", ".join(str(b) for b in raw) or "0"
            const_code.append(
                f"    {{ static const unsigned char cd[{max(len(raw), 1)}] = {{{byts}}};"
                f" npy_intp cdims[{max(data.ndim, 1)}] = {{{dims}}};"
                f" {nm} = PyArray_EMPTY({data.ndim}, cdims, {npy_typenum(var.type.dtype)}, 0);"
                f" if (!{nm}) goto sc_err_{u};"
                f" if ({len(raw)}) memcpy(PyArray_DATA(SYMC_A({nm})), cd, {len(raw)});"
                f" PyArray_CLEARFLAGS(SYMC_A({nm}), NPY_ARRAY_WRITEABLE); }}"
            )
            names[var] = nm
            return nm
        return None

    # mit_mot values computed straight into the row they are written to: an Elemwise result
    # (elementwise, so reading the row it overwrites, element by element, is what an
    # in-place Elemwise does) that is one inner output, when no other node and no output
    # reads that row in this step
    from symcore.tensor.elemwise import Elemwise

    mm_direct: dict[Variable, int] = {}  # inner output variable -> index in mm_writes
    for q, (oslot, j, off) in enumerate(mm_writes):
        v = fg.outputs[oslot]
        buf_type = node.outputs[j].type
        if (
            v.owner is None
            or not isinstance(v.owner.op, Elemwise)
            or fg.outputs.count(v) != 1
            or v.type.dtype != buf_type.dtype
            or v.type.ndim + 1 != buf_type.ndim
        ):
            continue
        readers = [
            c
            for slot, jj, o2 in mm_reads
            if jj == j and o2 == off
            for c, _ in fg.clients.get(fg.inputs[slot], [])
        ]
        if all(c is v.owner for c in readers):
            mm_direct[v] = q

    # --- the step's nodes ------------------------------------------------------------------
    order = fg.toposort()
    last_use: dict[Variable, int] = {}
    for step, nd in enumerate(order):
        for v in nd.inputs:
            last_use[v] = step
    inner_outs = set(fg.outputs)
    # outputs that become an untraced state: the state holds the array through the next
    # step, so its cache slot alternates between two arrays (reused every other step)
    shared_outs = {fg.outputs[k] for k in io["shared"]}
    # traced outputs computed straight into their buffer row: the output's cache slot is a
    # row view of the buffer pointed at the step's write row (``sc_dw``), so an Elemwise
    # writes its result there and the store copies nothing. Only for a node output that
    # is one inner output (not also a state's next value, a mit_mot value or another
    # traced output) with the buffer's dtype and row rank.
    traced_slots = [io["mit_sot"].start + j for j in range(info.n_sot)] + list(io["nit_sot"])
    direct: dict[Variable, int] = {}  # inner output variable -> traced output j
    for j, oslot in enumerate(traced_slots):
        v = fg.outputs[oslot]
        buf_var = node.outputs[info.n_mit_mot + j]
        if (
            v.owner is not None
            and fg.outputs.count(v) == 1
            and v.type.dtype == buf_var.type.dtype
            and v.type.ndim + 1 == buf_var.type.ndim
        ):
            direct[v] = j
    pingpong: list[int] = []
    n_slots = 0
    n_cache = 0
    blocks: list[str] = []
    for step, nd in enumerate(order):
        if isinstance(nd.op, Scan):
            return None  # nested loops run their own (inlined) step function
        impl = lookup(nd.op)
        if impl is None:
            return None
        nd_ins = []
        for v in nd.inputs:
            nm = name_of(v)
            if nm is None:
                return None
            nd_ins.append(nm)
        outs = []
        for v in nd.outputs:
            nm = f"sc_v[{n_slots}]"
            n_slots += 1
            names[v] = nm
            outs.append(nm)
        cache = [
            f"sc_dw[{direct[v]}]"
            if v in direct
            else f"sc_mdw[{mm_direct[v]}]"
            if v in mm_direct
            else f"sc_cache[{n_cache + j}]"
            for j, v in enumerate(nd.outputs)
        ]
        for j, v in enumerate(nd.outputs):
            if v in shared_outs:
                pingpong.append(n_cache + j)
        n_cache += len(nd.outputs)
        nctx = NodeContext(
            u * 10000 + step + 1,
            nd_ins,
            outs,
            f"goto sc_stepfail_{u};",
            ctx.desc,
            ctx.support,
            ctx.openmp,
            ctx.omp_min_size,
            cache,
        )
        code = impl(nd.op, nd, nctx)
        if code is None:
            return None
        blk = [
            f"        /* inner node {step}: {str(nd.op)[:50].replace('*/', '* /')} */\n"
            f"        {{\n{code}\n        }}"
        ]
        for v in nd.inputs:
            if last_use.get(v) == step and v.owner is not None and v not in inner_outs:
                blk.append(f"        Py_CLEAR({names[v]});")
        for v, nm in zip(nd.outputs, outs, strict=True):
            if v not in last_use and v not in inner_outs:
                blk.append(f"        Py_CLEAR({nm});")
        blocks.append("\n".join(blk))
    out_names = []
    for v in fg.outputs:
        nm = name_of(v)
        if nm is None:
            return None
        out_names.append(nm)

    ctx.add_support("symc_scan_inline", _SUPPORT)

    # --- traced outputs: (inner output slot, L, store, dtype) -----------------------------
    traced = []
    for j in range(info.n_sot):
        traced.append(
            (
                io["mit_sot"].start + j,
                info.init_len(j),
                op.store_steps[j],
                node.outputs[info.n_mit_mot + j].type.dtype,
            )
        )
    for j, oslot in enumerate(io["nit_sot"]):
        traced.append(
            (
                oslot,
                0,
                op.store_steps[info.n_sot + j],
                node.outputs[info.n_mit_mot + info.n_sot + j].type.dtype,
            )
        )
    sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])

    L: list[str] = []
    w = L.append
    w(f"    /* {INLINE_MARKER}: the loop of {str(op)[:60].replace('*/', '* /')} */")
    w(f"    PyObject* sc_buf[{max(n_traced, 1)}] = {{NULL}};")
    w(f"    PyObject* sc_wv[{max(n_traced, 1)}] = {{NULL}};")
    w(f"    PyObject* sc_dw[{max(n_traced, 1)}] = {{NULL}};  /* direct-write row views */")
    w(f"    PyObject* sc_rv[{max(n_in, 1)}] = {{NULL}};")
    w(f"    PyObject* sc_c[{max(len(consts), 1)}] = {{NULL}};")
    w(f"    PyObject* sc_v[{max(n_slots, 1)}] = {{NULL}};")
    w(f"    PyObject* sc_cache[{max(n_cache, 1)}] = {{NULL}};")
    w(f"    PyObject* sc_cache2[{max(len(pingpong), 1)}] = {{NULL}};  /* second arrays */")
    w(f"    npy_intp sc_rows[{max(n_traced, 1)}] = {{0}};  /* rows of each buffer */")
    w(f"    npy_intp sc_rb[{max(n_traced, 1)}] = {{0}};  /* bytes of one row */")
    w(f"    npy_intp sc_rp[{max(n_in, 1)}] = {{0}};  /* ring row each tap reads */")
    w(f"    npy_intp sc_wp[{max(n_traced, 1)}] = {{0}};  /* ring row each output writes */")
    n_mm, n_sh = info.n_mit_mot, info.n_shared
    w(f"    PyObject* sc_mm[{max(n_mm, 1)}] = {{NULL}};  /* mit_mot buffers (the outputs) */")
    w(f"    PyObject* sc_mw[{max(n_mm, 1)}] = {{NULL}};  /* a row view of each: shape checks */")
    w(f"    PyObject* sc_mv[{max(len(mm_writes), 1)}] = {{NULL}};  /* values to write */")
    w(f"    PyObject* sc_mdw[{max(len(mm_writes), 1)}] = {{NULL}};  /* direct-write row views */")
    w(f"    PyObject* sc_sh[{max(n_sh, 1)}] = {{NULL}};  /* untraced states */")
    w(f"    PyObject* sc_shn[{max(n_sh, 1)}] = {{NULL}};  /* their next values */")
    w("    npy_intp t = 0;")
    w("    npy_intp sc_done = 0;  /* steps run (fewer than n when the until condition held) */")
    w("    int sc_ok = 0;")
    n_dt = node.inputs[0].type.dtype
    w(f"    const npy_intp n = (npy_intp)(*({c_type(n_dt)}*)SYMC_DATA({ins[0]}));")
    w(
        f'    if (n < 0) {{ PyErr_Format(PyExc_ValueError, "%s: n_steps must be >= 0, got %ld'
        f' (scan does not run backwards for negative n_steps; use go_backwards=True)", {opname},'
        f" (long)n); goto sc_err_{u}; }}"
    )
    # sequences long enough
    for i, k in enumerate(oi["seqs"]):
        w(
            f"    if (PyArray_DIM(SYMC_A({ins[k]}), 0) < n) {{ PyErr_Format(PyExc_ValueError,"
            f' "%s: sequence {i} (outer input {k}) has %ld entries but the loop runs %ld steps'
            f' (n_steps is larger than the sequence)", {opname},'
            f" (long)PyArray_DIM(SYMC_A({ins[k]}), 0), (long)n); goto sc_err_{u}; }}"
        )
    # mit_mot buffers: copies of the inputs, read and written in place
    for j, k in enumerate(oi["mit_mot"]):
        top = max(info.mit_mot_in_taps[j] + info.mit_mot_out_taps[j])
        w(f"    sc_mm[{j}] = PyArray_NewCopy(SYMC_A({ins[k]}), NPY_CORDER);")
        w(f"    if (!sc_mm[{j}]) goto sc_err_{u};")
        w(
            f"    if (PyArray_DIM(SYMC_A(sc_mm[{j}]), 0) < n + {top}) {{ PyErr_Format("
            f'PyExc_ValueError, "%s: mit_mot buffer {j} has %ld entries; %ld steps with offsets'
            f' up to {top} need %ld", {opname}, (long)PyArray_DIM(SYMC_A(sc_mm[{j}]), 0),'
            f" (long)n, (long)(n + {top})); goto sc_err_{u}; }}"
        )
        w(f"    sc_mw[{j}] = symc_scan_rowview(sc_mm[{j}], 0, 1);")
        w(f"    if (!sc_mw[{j}]) goto sc_err_{u};")
    for i, (k, slot) in enumerate(zip(oi["shared"], ii["shared"], strict=True)):
        var = fg.inputs[slot]
        bc = "".join("1" if b else "0" for b in var.type.broadcastable)
        w(f"    sc_sh[{i}] = {ins[k]}; Py_INCREF(sc_sh[{i}]);")
        w(
            f"    if (symc_check_input(sc_sh[{i}], {npy_typenum(var.type.dtype)},"
            f' {var.type.ndim}, "{bc}", {slot}, "of the scan step") < 0) goto sc_err_{u};'
        )
    # state buffers, filled with the initial values
    for j, k in enumerate(sot_outer):
        _, Lj, store, dt = traced[j]
        taps = list(info.sot_taps[j])
        init = ins[k]
        rows = f"(n + {Lj})" if store == -1 else str(max(Lj + 1, store))
        w(
            f"    if (PyArray_DIM(SYMC_A({init}), 0) < {Lj}) {{ PyErr_Format(PyExc_ValueError,"
            f' "%s: state {j} needs {Lj} initial values (taps {taps}), got %ld", {opname},'
            f" (long)PyArray_DIM(SYMC_A({init}), 0)); goto sc_err_{u}; }}"
        )
        w("    {")
        w(f"        npy_intp bd[NPY_MAXDIMS]; const int bn = SYMC_NDIM({init});")
        w(f"        bd[0] = {rows}; for (int d = 1; d < bn; d++) bd[d] = SYMC_DIMS({init})[d];")
        w(f"        sc_buf[{j}] = PyArray_EMPTY(bn, bd, {npy_typenum(dt)}, 0);")
        w(f"        if (!sc_buf[{j}]) goto sc_err_{u};")
        w(f"        sc_rows[{j}] = bd[0]; sc_rb[{j}] = PyArray_STRIDE(SYMC_A(sc_buf[{j}]), 0);")
        w(f"        PyObject* dst = symc_scan_rows(sc_buf[{j}], 0, {Lj});")
        w(f"        PyObject* src = dst ? symc_scan_rows({init}, 0, {Lj}) : NULL;")
        w("        int rc = src ? PyArray_CopyInto(SYMC_A(dst), SYMC_A(src)) : -1;")
        w(f"        Py_XDECREF(dst); Py_XDECREF(src); if (rc < 0) goto sc_err_{u};")
        w(f"        sc_wv[{j}] = symc_scan_rowview(sc_buf[{j}], 0, 1);")
        w(f"        if (!sc_wv[{j}]) goto sc_err_{u};")
        w("    }")
    L.extend(const_code)
    # read views (checked once against the step's input types)
    w("    if (n > 0) {")
    # row views are read-only, but for the mit_mot taps the step overwrites in place (their
    # row is the one the step writes: ``Scan.mutable_inner_inputs``)
    rv_writeable = {slot: int(slot in destroyed) for slot in rv_base}
    for slot, base in rv_base.items():
        var = fg.inputs[slot]
        bc = "".join("1" if b else "0" for b in var.type.broadcastable)
        w(f"        sc_rv[{slot}] = symc_scan_rowview({base}, 0, {rv_writeable[slot]});")
        w(f"        if (!sc_rv[{slot}]) goto sc_err_{u};")
        w(
            f"        if (symc_check_input(sc_rv[{slot}], {npy_typenum(var.type.dtype)},"
            f' {var.type.ndim}, "{bc}", {slot}, "of the scan step") < 0) goto sc_err_{u};'
        )
    w("    }")

    # --- the loop ----------------------------------------------------------------------------
    # ring positions advance by one row per step (no division in the loop)
    for slot, j, tap in sot_reads:
        if traced[j][2] != -1:
            w(f"    sc_rp[{slot}] = {traced[j][1] + tap} % sc_rows[{j}];")
    for j, (_, Lj, store, _) in enumerate(traced):
        if store != -1 and j < info.n_sot:
            w(f"    sc_wp[{j}] = {Lj} % sc_rows[{j}];")
    w("    sc_done = n;")
    w("    for (t = 0; t < n; t++) {")
    for slot, k in zip(ii["seqs"], oi["seqs"], strict=True):
        w(
            f"        if (symc_scan_point(&sc_rv[{slot}], {ins[k]}, SYMC_DATA({ins[k]})"
            f" + t * SYMC_STRIDES({ins[k]})[0], 0) < 0) goto sc_stepfail_{u};"
        )
    for slot, j, tap in sot_reads:
        _, Lj, store, _ = traced[j]
        row = f"(t + {Lj + tap})" if store == -1 else f"sc_rp[{slot}]"
        w(
            f"        if (symc_scan_point(&sc_rv[{slot}], sc_buf[{j}], SYMC_DATA(sc_buf[{j}])"
            f" + {row} * sc_rb[{j}], 0) < 0) goto sc_stepfail_{u};"
        )
    for slot, j, off in mm_reads:
        w(
            f"        if (symc_scan_point(&sc_rv[{slot}], sc_mm[{j}], SYMC_DATA(sc_mm[{j}])"
            f" + (t + {off}) * SYMC_STRIDES(sc_mm[{j}])[0], {rv_writeable[slot]}) < 0)"
            f" goto sc_stepfail_{u};"
        )
    # direct writes: point each output's cache slot at the row this step writes
    for j, (_, Lj, store, _) in enumerate(traced):
        if j not in direct.values():
            continue
        row = f"(t + {Lj})" if store == -1 else f"sc_wp[{j}]"
        w(
            f"        if (sc_buf[{j}] && symc_scan_point_row(&sc_dw[{j}], sc_buf[{j}],"
            f" SYMC_DATA(sc_buf[{j}]) + {row} * sc_rb[{j}]) < 0) goto sc_stepfail_{u};"
        )
    for q, (_oslot, j, off) in enumerate(mm_writes):
        if q in mm_direct.values():
            w(
                f"        if (symc_scan_point_row(&sc_mdw[{q}], sc_mm[{j}], SYMC_DATA(sc_mm[{j}])"
                f" + (t + {off}) * SYMC_STRIDES(sc_mm[{j}])[0]) < 0) goto sc_stepfail_{u};"
            )
    # untraced states the step overwrites in place: an array only the loop holds
    for i, slot in enumerate(ii["shared"]):
        if slot in destroyed:
            w(f"        if (symc_scan_own_state(&sc_sh[{i}]) < 0) goto sc_stepfail_{u};")
    L.extend(blocks)
    # store the results
    for j, (oslot, Lj, store, dt) in enumerate(traced):
        v = out_names[oslot]
        is_nit = j >= info.n_sot
        if is_nit:
            rows = "n" if store == -1 else str(max(1, store))
            w(f"        if (t == 0) {{  /* the first step gives output {oslot}'s shape */")
            w(f"            npy_intp bd[NPY_MAXDIMS]; const int bn = SYMC_NDIM({v}) + 1;")
            w(
                f"            bd[0] = {rows};"
                f" for (int d = 1; d < bn; d++) bd[d] = SYMC_DIMS({v})[d - 1];"
            )
            w(f"            sc_buf[{j}] = PyArray_EMPTY(bn, bd, {npy_typenum(dt)}, 0);")
            w(f"            if (!sc_buf[{j}]) goto sc_stepfail_{u};")
            w(
                f"            sc_rows[{j}] = bd[0];"
                f" sc_rb[{j}] = PyArray_STRIDE(SYMC_A(sc_buf[{j}]), 0);"
            )
            w(f"            sc_wv[{j}] = symc_scan_rowview(sc_buf[{j}], 0, 1);")
            w(f"            if (!sc_wv[{j}]) goto sc_stepfail_{u};")
            w("        }")
        what = f"output {oslot}" if is_nit else f"state {j}"
        # computed in its row (the row view itself, at the row: the row's shape): nothing to
        # check or copy. (At a nit_sot's first step sc_dw holds the node's own array.)
        row = f"(t + {Lj})" if store == -1 else f"sc_wp[{j}]"
        dst = f"SYMC_DATA(sc_buf[{j}]) + {row} * sc_rb[{j}]"
        if j in direct.values():
            w(f"        if (!({v} == sc_dw[{j}] && SYMC_DATA({v}) == {dst})) {{")
        else:
            w("        {")
        w(
            f"        if (!symc_scan_same_shape({v}, sc_wv[{j}])) {{ char b1[128], b2[128];"
            f' PyErr_Format(PyExc_ValueError, "%s: at step %ld the step function returned {what}'
            f" with shape %s, but the scan stores values of shape %s there (every step must return"
            f" the shape of the initial state / of the first step's result)\", {opname}, (long)t,"
            f" symc_shape_str({v}, b1, 128), symc_shape_str(sc_wv[{j}], b2, 128));"
            f" goto sc_err_{u}; }}"
        )
        w(
            f"        if (symc_scan_store(&sc_wv[{j}], sc_buf[{j}], {dst}, sc_rb[{j}], {v}) < 0)"
            f" goto sc_stepfail_{u};"
        )
        w("        }")
    # Every value is taken before any state changes: the condition, the mit_mot values and
    # the untraced states' new values may be inner inputs (a state's row, an untraced state).
    if info.as_while:
        cond = out_names[-1]
        ct = c_type(fg.outputs[-1].type.dtype)
        w(f"        const int sc_stop = *({ct}*)SYMC_DATA({cond}) != 0;")
    # mit_mot values (views copied when several rows are written: a value may be a view of
    # a row written first)
    for q, (oslot, j, off) in enumerate(mm_writes):
        v = out_names[oslot]
        if q in mm_direct.values():  # computed in its row: nothing to check or store
            dst = f"SYMC_DATA(sc_mm[{j}]) + (t + {off}) * SYMC_STRIDES(sc_mm[{j}])[0]"
            w(f"        if (!({v} == sc_mdw[{q}] && SYMC_DATA({v}) == {dst})) {{")
        else:
            w("        {")
        w(
            f"        if (!symc_scan_same_shape({v}, sc_mw[{j}])) {{ char b1[128], b2[128];"
            f' PyErr_Format(PyExc_ValueError, "%s: at step %ld the step function returned a'
            f" mit_mot value with shape %s, but the scan stores values of shape %s there (every"
            f" step must return the shape of the initial state / of the first step's result)\","
            f" {opname}, (long)t, symc_shape_str({v}, b1, 128), symc_shape_str(sc_mw[{j}], b2,"
            f" 128)); goto sc_err_{u}; }}"
        )
        if len(mm_writes) > 1:
            w(f"        sc_mv[{q}] = symc_scan_own({v}); if (!sc_mv[{q}]) goto sc_stepfail_{u};")
        else:
            w(f"        sc_mv[{q}] = {v}; Py_INCREF(sc_mv[{q}]);")
        w("        }")
    # untraced states: the step's values become the next step's inputs, copied when they
    # are views (of a state's row or a mit_mot row the loop overwrites later: an ifelse may
    # keep such a view for many steps); all taken, then all replaced (a step may swap two)
    for i, oslot in enumerate(io["shared"]):
        v = out_names[oslot]
        w(f"        sc_shn[{i}] = symc_scan_own({v}); if (!sc_shn[{i}]) goto sc_stepfail_{u};")
    for i in range(n_sh):
        w(f"        Py_SETREF(sc_sh[{i}], sc_shn[{i}]); sc_shn[{i}] = NULL;")
    for q, (_oslot, j, off) in enumerate(mm_writes):
        w(
            f"        if (sc_mv[{q}] && symc_scan_store(&sc_mw[{j}], sc_mm[{j}],"
            f" SYMC_DATA(sc_mm[{j}]) + (t + {off}) * SYMC_STRIDES(sc_mm[{j}])[0],"
            f" SYMC_STRIDES(sc_mm[{j}])[0], sc_mv[{q}]) < 0) goto sc_stepfail_{u};"
        )
        w(f"        Py_CLEAR(sc_mv[{q}]);")
    w(f"        for (int q = 0; q < {max(n_slots, 1)}; q++) Py_CLEAR(sc_v[q]);")
    for q, c in enumerate(pingpong):
        w(
            f"        {{ PyObject* sc_x = sc_cache[{c}]; sc_cache[{c}] = sc_cache2[{q}];"
            f" sc_cache2[{q}] = sc_x; }}"
        )
    for slot, j, _ in sot_reads:
        if traced[j][2] != -1:
            w(f"        if (++sc_rp[{slot}] == sc_rows[{j}]) sc_rp[{slot}] = 0;")
    for j, (_, _, store, _) in enumerate(traced):
        if store != -1:
            w(f"        if (++sc_wp[{j}] == sc_rows[{j}]) sc_wp[{j}] = 0;")
    if info.as_while:
        w("        if (sc_stop) { sc_done = t + 1; break; }")
    w("    }")

    # --- results ---------------------------------------------------------------------------
    for j in range(n_mm):
        o = ctx.outputs[j]
        w(f"    {o} = sc_mm[{j}]; sc_mm[{j}] = NULL;")
    if n_sh:
        w(f"    {{ PyObject* const sc_ins[{len(ins)}] = {{{', '.join(ins)}}};")
        for i in range(n_sh):
            o = ctx.outputs[n_mm + n_traced + i]
            w(f"      if (symc_scan_detach(&sc_sh[{i}], sc_ins, {len(ins)}) < 0) goto sc_err_{u};")
            w(f"      {o} = sc_sh[{i}]; sc_sh[{i}] = NULL;")
        w("    }")
    for j, (_, Lj, store, dt) in enumerate(traced):
        o = ctx.outputs[n_mm + j]
        is_nit = j >= info.n_sot
        if is_nit:
            out_var = node.outputs[info.n_mit_mot + j]
            guess = [
                s if s is not None else (1 if b else 0)
                for s, b in zip(out_var.type.shape[1:], out_var.type.broadcastable[1:], strict=True)
            ]
            gd = ", ".join(["0", *(str(int(g)) for g in guess)])
            w(f"    if (!sc_buf[{j}]) {{  /* no step ran */")
            w(f"        npy_intp ed[{len(guess) + 1}] = {{{gd}}};")
            w(f"        {o} = PyArray_EMPTY({len(guess) + 1}, ed, {npy_typenum(dt)}, 0);")
            w(f"        if (!{o}) goto sc_err_{u};")
            w("    } else {")
        else:
            w("    {")
        if store == -1:
            w(f"        {o} = symc_scan_rows(sc_buf[{j}], {Lj}, sc_done);")
        else:
            w(f"        const npy_intp m = sc_done < {store} ? sc_done : {store};")
            w(f"        {o} = symc_scan_gather(sc_buf[{j}], {Lj} + sc_done - m, m, sc_rows[{j}]);")
        w(f"        if (!{o}) goto sc_err_{u};")
        w("    }")
    w("    sc_ok = 1;")
    w(f"    goto sc_done_{u};")
    w(f"sc_stepfail_{u}:")
    w(f"    symc_scan_step_error(t, {opname});")
    w(f"sc_err_{u}:")
    w(f"sc_done_{u}:")
    for arr, size in (
        ("sc_buf", n_traced),
        ("sc_wv", n_traced),
        ("sc_dw", n_traced),
        ("sc_rv", n_in),
        ("sc_c", len(consts)),
        ("sc_v", n_slots),
        ("sc_cache", n_cache),
        ("sc_cache2", len(pingpong)),
        ("sc_mm", n_mm),
        ("sc_mw", n_mm),
        ("sc_mv", len(mm_writes)),
        ("sc_mdw", len(mm_writes)),
        ("sc_sh", n_sh),
        ("sc_shn", n_sh),
    ):
        w(f"    for (int q = 0; q < {max(size, 1)}; q++) Py_XDECREF({arr}[q]);")
    w(f"    if (!sc_ok) {ctx.fail}")
    return "\n".join(L)
