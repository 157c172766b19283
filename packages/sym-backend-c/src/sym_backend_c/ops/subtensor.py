"""C code for basic indexing: ``Subtensor`` (a strided view, negative steps included) and
``IncSubtensor`` (set/increment the indexed region of a copy of ``x``, or of ``x`` itself
when the Op is ``inplace``).

Index entries follow Python's rules: an integer counts from the end when negative and must
be in range (IndexError naming the node, the axis and the input shape); slices are clipped
as ``slice.indices`` does; a zero step is a ValueError.
"""

from __future__ import annotations

import numpy as np
from symcore.tensor.subtensor import IncSubtensor, Subtensor

from sym_backend_c.codegen.context import NodeContext, c_type
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import COMMON_C, native, read_int, wrap_type
from sym_backend_c.ops.shape import DIMS_STR_C

SLICE_C = r"""
/* Python's slice.indices for a dimension of length n; returns the slice's length. */
static npy_intp symc_slice(npy_intp n, int has_start, npy_int64 start, int has_stop,
                           npy_int64 stop, npy_int64 step, npy_intp* first) {
    npy_int64 a, b;
    if (!has_start) {
        a = step < 0 ? n - 1 : 0;
    } else {
        a = start;
        if (a < 0) { a += n; if (a < 0) a = step < 0 ? -1 : 0; }
        else if (a >= n) a = step < 0 ? n - 1 : n;
    }
    if (!has_stop) {
        b = step < 0 ? -1 : n;
    } else {
        b = stop;
        if (b < 0) { b += n; if (b < 0) b = step < 0 ? -1 : 0; }
        else if (b >= n) b = step < 0 ? n - 1 : n;
    }
    *first = (npy_intp)a;
    if (step < 0) return b < a ? (npy_intp)((a - b - 1) / (-step) + 1) : 0;
    return a < b ? (npy_intp)((b - a - 1) / step + 1) : 0;
}

/* printf into buf at *pos, never past cap. */
static void symc_catf(char* buf, size_t cap, size_t* pos, const char* fmt, ...) {
    if (*pos >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
    va_end(ap);
    if (r > 0) *pos += (size_t)r;
    if (*pos > cap) *pos = cap;
}

/* A slice as the core's describe_index spells it ("1:3", "::-1" -> "::-1", "1::" -> "1"). */
static void symc_slice_desc(char* buf, size_t cap, size_t* pos, int ha, long long a, int hb,
                            long long b, int hc, long long c) {
    char t[96];
    size_t n = 0;
    t[0] = 0;
    if (ha) symc_catf(t, 96, &n, "%lld", a);
    symc_catf(t, 96, &n, ":");
    if (hb) symc_catf(t, 96, &n, "%lld", b);
    symc_catf(t, 96, &n, ":");
    if (hc) symc_catf(t, 96, &n, "%lld", c);
    while (n > 0 && t[n - 1] == ':') t[--n] = 0;
    symc_catf(buf, cap, pos, "%s", n ? t : ":");
}
"""


def c_text(text: str) -> str:
    """``text`` escaped for a C string literal used as a printf format."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("\n", "\\n")


def _index_desc(idx_list, vals: list[str]) -> list[str]:
    """C lines writing ``[i, 1:3, None]`` (the core's ``describe_index``) into ``idesc``."""
    L = ["char idesc[256]; size_t ipos = 0;", 'symc_catf(idesc, 256, &ipos, "[");']
    k = 0
    for n, e in enumerate(idx_list):
        if n:
            L.append('symc_catf(idesc, 256, &ipos, ", ");')
        if e is None:
            L.append('symc_catf(idesc, 256, &ipos, "None");')
        elif isinstance(e, slice):
            args = []
            for p in (e.start, e.stop, e.step):
                if p is None:
                    args.append("0, 0LL")
                else:
                    args.append(f"1, (long long){vals[k]}")
                    k += 1
            L.append(f"symc_slice_desc(idesc, 256, &ipos, {', '.join(args)});")
        else:
            L.append(f'symc_catf(idesc, 256, &ipos, "%lld", (long long){vals[k]});')
            k += 1
    L.append('symc_catf(idesc, 256, &ipos, "]");')
    return L


def index_region(
    op, node, ctx: NodeContext, base: str, first_index_input: int
) -> tuple[list[str], int, list[str]]:
    """C lines computing ``rdims``/``rstrides``/``rdata``: the region ``base[idx]`` of the
    array ``base`` (a ``PyObject*`` with ``x``'s type); returns (lines, region ndim, lines
    writing the index description into ``idesc``)."""
    ctx.add_support("symc_slice", SLICE_C)
    x = node.inputs[0]
    ins = node.inputs
    vals = [read_int(ctx.inputs[j], ins[j].type.dtype) for j in range(first_index_input, len(ins))]
    desc = _index_desc(op.idx_list, vals)
    who = c_text(str(op))
    used = sum(1 for e in op.idx_list if e is not None)
    entries = list(op.idx_list) + [slice(None)] * (x.ndim - used)
    out_nd = sum(1 for e in entries if e is None or isinstance(e, slice))
    L = [
        f"        npy_intp rdims[{max(out_nd, 1)}], rstrides[{max(out_nd, 1)}];",
        f"        char* rdata = PyArray_BYTES(SYMC_A({base}));",
        "        int rempty = 0; (void)rempty;",
    ]
    od = d = k = 0

    def fail(exc: str, message: str, *args: str) -> str:
        """An error block: ``message`` may use %s for idesc (first) and the shape (second)."""
        extra = "".join(f", {a}" for a in args)
        return (
            f'{{ {" ".join(desc)} char sb[128]; (void)sb; PyErr_Format({exc}, "%s: {who}: '
            f'{message}",'
            f" {ctx.desc}{extra}); {ctx.fail} }}"
        )

    shape = f"symc_shape_str({base}, sb, 128)"
    for e in entries:
        if e is None:
            L.append(f"        rdims[{od}] = 1; rstrides[{od}] = 0;")
            od += 1
            continue
        n = f"PyArray_DIM(SYMC_A({base}), {d})"
        st = f"PyArray_STRIDE(SYMC_A({base}), {d})"
        if isinstance(e, slice):
            parts = []
            for p in (e.start, e.stop, e.step):
                parts.append(None if p is None else vals[k])
                k += p is not None
            start, stop, step = parts
            L.append("        {")
            L.append(f"            const npy_int64 step = {step or 1};")
            if step is not None:
                msg = "invalid index %s for an input of shape %s: slice step cannot be zero"
                L.append(
                    "            if (step == 0) " + fail("PyExc_ValueError", msg, "idesc", shape)
                )
            L.append(
                f"            npy_intp first; const npy_intp len = symc_slice({n},"
                f" {int(start is not None)}, {start or 0}, {int(stop is not None)}, {stop or 0},"
                " step, &first);"
            )
            L.append(f"            rdims[{od}] = len; rstrides[{od}] = {st} * step;")
            L.append(f"            if (len > 0) rdata += first * {st}; else rempty = 1;")
            L.append("        }")
            od += 1
        else:
            L.append("        {")
            L.append(f"            npy_int64 i = {vals[k]}; const npy_intp n = {n};")
            k += 1
            L.append("            if (i < 0) i += n;")
            msg = (
                "index %s is out of bounds for an input of shape %s: index %lld is out of bounds"
                f" for axis {d} with size %ld"
            )
            L.append(
                "            if (i < 0 || i >= n) "
                + fail(
                    "PyExc_IndexError",
                    msg,
                    "idesc",
                    shape,
                    "(long long)(i < 0 ? i - n : i)",
                    "(long)n",
                )
            )
            L.append(f"            rdata += i * {st};")
            L.append("        }")
        d += 1
    return L, out_nd, desc


@register_c_impl(Subtensor)
def subtensor_c(op: Subtensor, node, ctx: NodeContext) -> str | None:
    if not all(native(v.type.dtype) for v in node.inputs[1:]):
        return None
    ctx.add_support("symc_common", COMMON_C)
    x, out = ctx.inputs[0], ctx.outputs[0]
    L, nd, _ = index_region(op, node, ctx, x, 1)
    L.append(
        f"        {out} = symc_view({x}, {nd}, rdims, rstrides, rdata); if (!{out}) {ctx.fail}"
    )
    return "\n".join(L)


def apply_region(
    ctx: NodeContext,
    nd: int,
    ydt: str,
    xdt: str,
    y_nd: int,
    set_: bool,
    who: str,
    target: list[str],
) -> tuple[list[str], list[str]]:
    """C lines storing/adding the array ``yv`` (``y_nd`` dims, broadcast on the trailing
    dims) into the region ``rdims``/``rstrides``/``rdata`` (``nd`` dims, dtype ``xdt``) of
    ``xo``: (lines checking ``yv``'s shape, raising ValueError; lines of the loops).
    ``target``: C lines writing how the region is spelled (``x[0, 1:]``) into ``idesc``."""
    X, Y = c_type(xdt), c_type(ydt)
    common = np.result_type(xdt, ydt).name
    L = [f"        npy_intp ys[{max(nd, 1)}];", "        { int ybad = 0;"]
    for j in range(nd):
        yj = j - (nd - y_nd)
        if yj < 0:
            L.append(f"        ys[{j}] = 0;")
        else:
            L.append(
                f"        if (PyArray_DIM(SYMC_A(yv), {yj}) == rdims[{j}]) ys[{j}] = "
                f"rdims[{j}] == 1 ? 0 : PyArray_STRIDE(SYMC_A(yv), {yj});"
            )
            L.append(
                f"        else if (PyArray_DIM(SYMC_A(yv), {yj}) == 1) ys[{j}] = 0; else ybad = 1;"
            )
    L.append("        if (ybad) {")
    L.append("            char b1[128], b2[128], b3[256];")
    L += ["            " + ln for ln in target]
    L.append(
        f'            PyErr_Format(PyExc_ValueError, "%s: {c_text(who)}: a value of shape %s cannot'
        f' be broadcast to x%s of shape %s (x has shape %s)", {ctx.desc},'
        f" symc_shape_str(yv, b1, 128), idesc, symc_dims_str(rdims, {nd}, b3, 256),"
        " symc_shape_str(xo, b2, 128));"
    )
    L.append(f"            {ctx.fail}")
    L.append("        } }")
    check = L
    L = []
    if set_:
        expr = (
            f"*({Y}*)(yb)"
            if ydt == xdt
            else (f"(*({Y}*)(yb) != 0)" if xdt == "bool" else f"({X})*({Y}*)(yb)")
        )
    elif xdt == "bool":
        expr = f"(*({X}*)(xb) | (*({Y}*)(yb) != 0))"
    else:
        C = c_type(common)
        W = wrap_type(common)
        expr = f"({X})(({W})({C})*({X}*)(xb) + ({W})({C})*({Y}*)(yb))"
    L.append("        if (!rempty) {")
    ind = "        "
    L.append(f"{ind}char* xb0 = rdata; const char* yb0 = SYMC_DATA(yv);")
    for j in range(nd):
        ind += "    "
        L.append(f"{ind}for (npy_intp i{j} = 0; i{j} < rdims[{j}]; i{j}++) {{")
        L.append(
            f"{ind}    char* xb{j + 1} = xb{j} + i{j} * rstrides[{j}]; const char* yb{j + 1} = "
            f"yb{j} + i{j} * ys[{j}];"
        )
    ind += "    "
    L.append(f"{ind}char* xb = xb{nd}; const char* yb = yb{nd};")
    L.append(f"{ind}*({X}*)(xb) = {expr};")
    for _ in range(nd):
        ind = ind[:-4]
        L.append(f"{ind}}}")
    L.append("        }")
    return check, L


@register_c_impl(IncSubtensor)
def inc_subtensor_c(op: IncSubtensor, node, ctx: NodeContext) -> str | None:
    xdt, ydt = node.inputs[0].type.dtype, node.inputs[1].type.dtype
    if not native(xdt, ydt, *[v.type.dtype for v in node.inputs[2:]]):
        return None
    ctx.add_support("symc_common", COMMON_C)
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    x, y = ctx.inputs[0], ctx.inputs[1]
    out = ctx.outputs[0]
    L = []
    if op.inplace:
        # NumPy refuses to write into a read-only array; so does the in-place update
        L.append(
            f"        if (!PyArray_ISWRITEABLE(SYMC_A({x}))) {{ PyErr_Format(PyExc_ValueError,"
            f' "%s: {c_text(str(op))}: the destination x is read-only (in-place update)",'
            f" {ctx.desc}); {ctx.fail} }}"
        )
        L.append(f"        {out} = {x}; Py_INCREF({out});")
    else:
        L.append(
            f"        {out} = PyArray_NewCopy(SYMC_A({x}), NPY_CORDER); if (!{out}) {ctx.fail}"
        )
    L.append(f"        PyObject* const xo = {out};")
    R, nd, desc = index_region(op, node, ctx, "xo", 2)
    L += R
    # a value sharing memory with the destination is read from a copy first
    L.append(f"        PyObject* yv = {y}; Py_INCREF(yv);")
    if op.inplace:
        L.append(
            "        if (symc_may_overlap(yv, xo)) { Py_DECREF(yv); yv = PyArray_NewCopy(SYMC_A("
            f"{y}), NPY_CORDER); if (!yv) {ctx.fail} }}"
        )
    check, loops = apply_region(
        ctx, nd, ydt, xdt, node.inputs[1].ndim, op.set_instead_of_inc, str(op), desc
    )
    body = [ln.replace(ctx.fail, f"{{ Py_DECREF(yv); {ctx.fail} }}") for ln in check + loops]
    L += body
    L.append("        Py_DECREF(yv);")
    return "\n".join(L)
