"""C code for reductions: ``CAReduce`` (by add/mul/maximum/minimum/and/or/xor) and its
named forms ``Sum``, ``Prod``, ``ProdWithoutZeros``, ``Max``, ``Min``, ``All``, ``Any``, plus
``Argmax``, ``Argmin`` and ``MaxAndArgmax``.

The generated node code works for any input strides: a small C planner (``symc_red_plan``)
drops length-1 dimensions, orders the loops by stride (smallest stride innermost) and merges
dimensions that are contiguous for both input and output; a per-(kind, dtype) kernel then
walks the input once, accumulating either into one scalar (innermost dimension reduced) or
along a row of accumulators (innermost dimension kept). Accumulation happens in the Op's
``acc_dtype`` like its ``perform``; integer sums and products wrap around like NumPy's.

Arg-reductions keep the reduced dimensions in C order, so the first maximum (or the first
NaN) wins as in NumPy. With OpenMP, large reductions run on threads: a whole-array sum is
split across threads (results equal up to summation order), and row-/column-wise
reductions hand whole output elements to threads (results identical).
"""

from __future__ import annotations

from symcore import scalar as S
from symcore.tensor.reduction import (
    All,
    Any,
    Argmax,
    Argmin,
    CAReduce,
    CAReduceDtype,
    Max,
    MaxAndArgmax,
    Min,
    ProdWithoutZeros,
)

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import convert, highest, is_float, lowest, native, wrap_type

PLAN_C = r"""
typedef struct {
    int nd;
    npy_intp n[NPY_MAXDIMS];
    npy_intp is[NPY_MAXDIMS];   /* input byte strides */
    npy_intp os[NPY_MAXDIMS];   /* accumulator element strides, 0 on reduced dims */
    npy_intp rs[NPY_MAXDIMS];   /* stride of the flat index into the reduced block (C order) */
    char red[NPY_MAXDIMS];
} symc_redplan;

/* Loop plan for reducing the `red` axes of x (accumulators laid out C-contiguously over
   the kept axes). keep_red_order: reduced axes stay in C order (arg-reductions). */
static void symc_red_plan(PyArrayObject* x, const char* red, int keep_red_order, symc_redplan* p) {
    const int nd = PyArray_NDIM(x);
    const npy_intp* dims = PyArray_DIMS(x);
    const npy_intp* st = PyArray_STRIDES(x);
    npy_intp os[NPY_MAXDIMS], rs[NPY_MAXDIMS];
    npy_intp ko = 1, kr = 1;
    for (int d = nd - 1; d >= 0; d--) {
        if (red[d]) { os[d] = 0; rs[d] = kr; kr *= dims[d]; }
        else { os[d] = ko; rs[d] = 0; ko *= dims[d]; }
    }
    int idx[NPY_MAXDIMS];
    int k = 0;
    for (int d = 0; d < nd; d++) if (dims[d] != 1) idx[k++] = d;
    /* insertion sort: larger |stride| outside; reduced axes never swap with each other
       when their order matters */
    for (int i = 1; i < k; i++) {
        for (int j = i; j > 0; j--) {
            int a = idx[j - 1], b = idx[j];
            npy_intp sa = st[a] < 0 ? -st[a] : st[a], sb = st[b] < 0 ? -st[b] : st[b];
            if (sb <= sa) break;
            if (keep_red_order && red[a] && red[b]) break;
            idx[j - 1] = b; idx[j] = a;
        }
    }
    int m = 0;
    for (int i = 0; i < k; i++) {
        int d = idx[i];
        if (m > 0) {
            int q = m - 1;  /* merge d into the previous (outer) loop when contiguous */
            if (p->red[q] == red[d] && p->is[q] == st[d] * dims[d] && p->os[q] == os[d] * dims[d]
                && p->rs[q] == rs[d] * dims[d]) {
                p->n[q] *= dims[d]; p->is[q] = st[d]; p->os[q] = os[d]; p->rs[q] = rs[d];
                continue;
            }
        }
        p->n[m] = dims[d]; p->is[m] = st[d]; p->os[m] = os[d]; p->rs[m] = rs[d]; p->red[m] = red[d];
        m++;
    }
    p->nd = m;
}
"""


# ---------------------------------------------------------------------------------------
# What each reduction computes
# ---------------------------------------------------------------------------------------

_KIND_OF_SCALAR = {
    S.Add: "add",
    S.Mul: "mul",
    S.Maximum: "max",
    S.Minimum: "min",
    S.AND: "and",
    S.OR: "or",
    S.XOR: "xor",
}


def _scalar_kind(scalar_op) -> str | None:
    for cls in type(scalar_op).__mro__:
        if cls in _KIND_OF_SCALAR:
            return _KIND_OF_SCALAR[cls]
    return None


def _identity(kind: str, acc: str) -> str:
    if kind in ("add", "or", "xor", "any", "copy"):
        return "0"
    if kind in ("mul", "mul_nz", "all"):
        return "1"
    if kind == "and":
        return "1" if acc == "bool" else f"(({c_type(acc)})~(({c_type(acc)})0))"
    if kind in ("max", "argmax"):
        return lowest(acc)
    if kind in ("min", "argmin"):
        return highest(acc)
    raise ValueError(kind)


def _step(kind: str, a: str, v: str, in_dt: str, acc: str, b: str = "", i: str = "") -> str:
    """C statement folding the input value ``v`` into the accumulator lvalue ``a``
    (``b``/``i``: best-index lvalue and current index, for arg kinds)."""
    cv = convert(v, in_dt, acc)
    if kind == "copy":
        return f"{a} = {cv};"
    if kind in ("add", "mul", "mul_nz"):
        if acc == "bool":
            return f"{a} = {a} {'|' if kind == 'add' else '&'} ({v} != 0);"
        op = "+" if kind == "add" else "*"
        w = wrap_type(acc)
        expr = (
            f"({a} {op} {cv})"
            if w == c_type(acc)
            else f"(({c_type(acc)})(({w}){a} {op} ({w}){cv}))"
        )
        if kind == "mul_nz":
            return f"if ({v} != 0) {a} = {expr};"
        return f"{a} = {expr};"
    if kind in ("and", "or", "xor"):
        op = {"and": "&", "or": "|", "xor": "^"}[kind]
        return f"{a} = {a} {op} {cv};"
    if kind in ("all", "any"):
        op = "&" if kind == "all" else "|"
        return f"{a} = {a} {op} ({v} != 0);"
    if kind in ("max", "min"):
        cmp = ">" if kind == "max" else "<"
        nan = f" || {v} != {v}" if is_float(in_dt) else ""
        return f"if ({v} {cmp} {a}{nan}) {a} = {v};"
    if kind in ("argmax", "argmin"):
        cmp = ">" if kind == "argmax" else "<"
        nan = f" || ({v} != {v} && {a} == {a})" if is_float(in_dt) else ""
        return f"if ({v} {cmp} {a}{nan}) {{ {a} = {v}; {b} = {i}; }}"
    raise ValueError(kind)


_OMP_REDUCTION = {"add": "+", "mul": "*", "and": "&", "or": "|", "xor": "^", "all": "&", "any": "|"}


_FLOAT_BITS = {
    "float64": ("npy_int64", "0x7fffffffffffffffLL", "0x7ff0000000000000LL"),
    "float32": ("npy_int32", "0x7fffffff", "0x7f800000"),
}


def _extremum_row(kind: str, in_dt: str, acc: str) -> list[str]:
    """C lines folding a contiguous row ``q[0..n)`` into ``a`` (and ``ba``) for max/min and
    their arg forms: a vectorizable pass finds the extremum, arg kinds then look for its
    first position (the first NaN when there is one), 64 values at a time.

    Floats are compared through integer keys (the IEEE bits with the magnitude of negative
    values flipped orders them like the values): integer max/min reductions vectorize
    where a float compare-select keeping NumPy's NaN rule does not; NaNs are counted
    apart and make the result NaN, as in NumPy."""
    IN = c_type(in_dt)
    mx = kind in ("max", "argmax")
    cmp = ">" if mx else "<"
    arg = kind in ("argmax", "argmin")
    L = ["        npy_intp nan = 0;"]
    if is_float(in_dt):
        KT, absm, inf = _FLOAT_BITS[in_dt]
        L += [
            f"        #define SYMC_KEY(b) ((b) ^ (((b) >> (8 * sizeof({KT}) - 1)) & {absm}))",
            f"        const {IN} init = {lowest(in_dt) if mx else highest(in_dt)};",
            f"        {KT} ib; memcpy(&ib, &init, sizeof ib); {KT} mk = SYMC_KEY(ib);",
            "        for (npy_intp i = 0; i < n; i++) {",
            f"            {KT} b; memcpy(&b, q + i, sizeof b); const {KT} k = SYMC_KEY(b);",
            f"            mk = k {cmp} mk ? k : mk; nan += (b & {absm}) > {inf};",
            "        }",
            f"        {KT} mb = SYMC_KEY(mk); {IN} m; memcpy(&m, &mb, sizeof m);",
            "        #undef SYMC_KEY",
            "        if (nan) m = NAN;",
        ]
    else:
        L += [
            f"        {IN} m = {lowest(in_dt) if mx else highest(in_dt)};",
            f"        for (npy_intp i = 0; i < n; i++) {{ const {IN} v = q[i]; m = v {cmp} m ? v "
            f": m; }}",
        ]
    if not arg:
        L.append(f"        if (n > 0) {{ const {IN} v = m; {_step(kind, 'a', 'v', in_dt, acc)} }}")
        return L
    # first position of the extremum: blocks of 64 tested with a vectorizable OR, then
    # the matching block scanned
    if is_float(in_dt):
        hit = "(q[j + t] != q[j + t])"
        hit1 = "(q[j] != q[j])"
        L += [
            "        if (n > 0) {",
            "            npy_intp j = 0;",
            "            if (nan) {",
            "                for (; j + 64 <= n; j += 64) { int f = 0;",
            f"                    for (int t = 0; t < 64; t++) f |= {hit}; if (f) break; }}",
            f"                while (!{hit1}) j++;",
            "            } else {",
            "                for (; j + 64 <= n; j += 64) { int f = 0;",
            "                    for (int t = 0; t < 64; t++) f |= (q[j + t] == m); if (f) break; "
            "}",
            "                while (q[j] != m) j++;",
            "            }",
        ]
    else:
        L += [
            "        if (n > 0) {",
            "            npy_intp j = 0;",
            "            for (; j + 64 <= n; j += 64) { int f = 0;",
            "                for (int t = 0; t < 64; t++) f |= (q[j + t] == m); if (f) break; }",
            "            while (q[j] != m) j++;",
        ]
    L += [
        f"            const {IN} v = q[j];",
        f"            {_step(kind, 'a', 'v', in_dt, acc, 'ba', 'r + j * rs')}",
        "        }",
    ]
    return L


def _row_fn(name: str, kind: str, in_dt: str, acc: str) -> str:
    """``name(ptr, n, s, pa, pb, r, rs)``: fold ``n`` input values (byte stride ``s``) into
    the accumulator ``*pa`` (best index ``*pb``; value ``i`` has flat index ``r + i*rs``).
    Contiguous rows take a vectorizable loop."""
    IN, ACC = c_type(in_dt), c_type(acc)
    arg = kind in ("argmax", "argmin")
    L: list[str] = []
    w = L.append
    w(
        f"static inline void {name}(const char* ptr, npy_intp n, npy_intp s, {ACC}* pa, "
        "npy_int64* pb,"
        " npy_int64 r, npy_intp rs) {"
    )
    w(f"    {ACC} a = *pa; npy_int64 ba = pb ? *pb : 0; (void)r; (void)rs;")
    w(f"    if (s == (npy_intp)sizeof({IN})) {{")
    w(f"        const {IN}* q = (const {IN}*)ptr;")
    # Contiguous rows: 8 independent lanes (the compiler turns them into SIMD registers
    # without needing to reorder a single dependency chain; also more accurate for sums).
    # A float product keeps its order (over/underflow would depend on it).
    if kind in ("max", "min", "argmax", "argmin"):
        L += _extremum_row(kind, in_dt, acc)
    elif kind in ("copy", "mul_nz") or (kind == "mul" and is_float(acc)):
        w(
            f"        for (npy_intp i = 0; i < n; i++) {{ const {IN} v = q[i]; "
            f"{_step(kind, 'a', 'v', in_dt, acc)} }}"
        )
    else:
        # lanes in the wrap-around type with plain compound assignments (GCC 12 with
        # -march=native mis-vectorizes the same loop written with casts back and forth)
        W = ACC if acc == "bool" else wrap_type(acc)
        if acc == "bool":
            op = {"add": "|", "mul": "&", "all": "&", "any": "|"}.get(
                kind, {"and": "&", "or": "|", "xor": "^"}.get(kind)
            )
            load = "(v != 0)"
        elif kind in ("all", "any"):
            op, load = ("&" if kind == "all" else "|"), "(v != 0)"
        else:
            op = {"add": "+", "mul": "*", "and": "&", "or": "|", "xor": "^"}[kind]
            load = f"({W})({convert('v', in_dt, acc)})"
        w(f"        {W} al[8]; for (int k = 0; k < 8; k++) al[k] = ({W}){_identity(kind, acc)};")
        w("        npy_intp i = 0;")
        w("        for (; i + 8 <= n; i += 8)")
        w(
            f"            for (int k = 0; k < 8; k++) {{ const {IN} v = q[i + k]; al[k] {op}= "
            f"{load}; }}"
        )
        w(f"        for (; i < n; i++) {{ const {IN} v = q[i]; al[0] {op}= {load}; }}")
        w(f"        al[0] {op}= al[1]; al[2] {op}= al[3]; al[4] {op}= al[5]; al[6] {op}= al[7];")
        w(f"        al[0] {op}= al[2]; al[4] {op}= al[6]; al[0] {op}= al[4];")
        w(f"        a = ({ACC})(({W})a {op} al[0]);")
    w("    } else {")
    w(
        f"        for (npy_intp i = 0; i < n; i++) {{ const {IN} v = *(const {IN}*)(ptr + i * s); "
        f"{_step(kind, 'a', 'v', in_dt, acc, 'ba', 'r + i * rs')} }}"
    )
    w("    }")
    w(f"    *pa = a; {'*pb = ba;' if arg else '(void)ba;'}")
    w("}")
    return "\n".join(L)


def _kernel(name: str, kind: str, in_dt: str, acc: str, ctx: NodeContext) -> str:
    """A C function ``name(plan, data, acc, arg)`` running one reduction over a plan."""
    IN, ACC = c_type(in_dt), c_type(acc)
    arg = kind in ("argmax", "argmin")
    row = name + "_row"

    def st(a, v, i="0", b="ba"):
        return _step(kind, a, v, in_dt, acc, b, i)

    omp_op = _OMP_REDUCTION.get(kind)
    if acc == "bool" and kind in ("add", "mul"):
        omp_op = "|" if kind == "add" else "&"
    if kind == "mul" and is_float(acc):
        omp_op = None
    L: list[str] = [_row_fn(row, kind, in_dt, acc)]
    w = L.append
    w(f"static void {name}(const symc_redplan* p, const char* data, {ACC}* acc, npy_int64* arg) {{")
    w(f"    if (p->nd == 0) {{ {row}(data, 1, sizeof({IN}), acc, arg, 0, 0); return; }}")
    w("    const int L = p->nd - 1;")
    w("    const npy_intp n = p->n[L], s = p->is[L], os = p->os[L], rs = p->rs[L];")
    if ctx.openmp:
        mn = ctx.omp_min_size
        if omp_op and not arg:
            w(f"    if (p->nd == 1 && p->red[0] && n > {mn}) {{")
            w(f"        {ACC} a = acc[0];")
            w(f"        #pragma omp parallel for simd reduction({omp_op}:a)")
            w(
                f"        for (npy_intp i = 0; i < n; i++) {{ const {IN} v = *(const {IN}*)(data "
                f"+ i * s); {st('a', 'v')} }}"
            )
            w("        acc[0] = a; return;")
            w("    }")
        w(f"    if (p->nd == 2 && p->red[1] && !p->red[0] && p->n[0] > 1 && p->n[0] * n > {mn}) {{")
        w("        const npy_intp n0 = p->n[0], s0 = p->is[0], o0 = p->os[0];")
        w("        #pragma omp parallel for")
        w("        for (npy_intp j = 0; j < n0; j++)")
        w(
            f"            {row}(data + j * s0, n, s, acc + j * o0, arg ? arg + j * o0 : NULL, 0, "
            "rs);"
        )
        w("        return;")
        w("    }")
        w(f"    if (p->nd == 2 && !p->red[1] && p->red[0] && n > 1 && p->n[0] * n > {mn}) {{")
        w("        const npy_intp n0 = p->n[0], s0 = p->is[0], r0 = p->rs[0];")
        w("        const npy_intp nchunk = (n + 255) / 256;")
        w("        #pragma omp parallel for")
        w("        for (npy_intp c = 0; c < nchunk; c++) {")
        w("            const npy_intp lo = c * 256, hi = lo + 256 < n ? lo + 256 : n;")
        w("            for (npy_intp j = 0; j < n0; j++) {")
        w("                const char* ptr = data + j * s0;")
        w(
            f"                for (npy_intp i = lo; i < hi; i++) {{ const {IN} v = *(const "
            f"{IN}*)(ptr + i * s); "
            f"{st('acc[i * os]', 'v', 'j * r0', 'arg[i * os]')} }}"
        )
        w("            }")
        w("        }")
        w("        return;")
        w("    }")
    w("    npy_intp cnt[NPY_MAXDIMS];")
    w("    for (int d = 0; d < L; d++) cnt[d] = 0;")
    w("    const char* ptr = data; npy_intp o = 0, r = 0;")
    w("    for (;;) {")
    w("        if (p->red[L]) {")
    w(f"            {row}(ptr, n, s, acc + o, arg ? arg + o : NULL, r, rs);")
    w("        } else {")
    w(f"            {ACC}* ao = acc + o;")
    if arg:
        w("            npy_int64* bo = arg + o;")
    w(
        f"            for (npy_intp i = 0; i < n; i++) {{ const {IN} v = *(const {IN}*)(ptr + i * "
        "s); "
        f"{st('ao[i * os]', 'v', 'r', 'bo[i * os]')} }}"
    )
    w("        }")
    w("        int d = L - 1;")
    w("        for (; d >= 0; d--) {")
    w("            ptr += p->is[d]; o += p->os[d]; r += p->rs[d];")
    w("            if (++cnt[d] < p->n[d]) break;")
    w(
        "            ptr -= p->is[d] * p->n[d]; o -= p->os[d] * p->n[d]; r -= p->rs[d] * p->n[d]; "
        "cnt[d] = 0;"
    )
    w("        }")
    w("        if (d < 0) break;")
    w("    }")
    w("}")
    return "\n".join(L)


def _reduction_code(
    node,
    ctx: NodeContext,
    kind: str,
    axes: tuple,
    acc: str,
    out_dtype: str,
    with_max: bool = False,
    needs_nonempty: str | None = None,
) -> str | None:
    """Node code: allocate the output(s), run the kernel, convert accumulators."""
    x = node.inputs[0]
    in_dt = x.type.dtype
    if not native(in_dt, acc, out_dtype):
        return None
    nd = x.ndim
    arg = kind in ("argmax", "argmin")
    if not axes and not arg:
        kind = "copy" if kind not in ("all", "any") else kind
    key = f"symc_red_{kind}_{in_dt}_{acc}_{int(ctx.openmp)}_{ctx.omp_min_size}"
    ctx.add_support("symc_redplan", PLAN_C)
    ctx.add_support(key, _kernel(key, kind, in_dt, acc, ctx))
    xin = ctx.inputs[0]
    out = ctx.outputs[0]
    kept = [d for d in range(nd) if d not in axes]
    ACC = c_type(acc)
    L: list[str] = []
    w = L.append
    w(f"        PyArrayObject* x = SYMC_A({xin});")
    if needs_nonempty and axes:
        who = str(node.op).replace("%", "%%").replace('"', '\\"')
        cond = " || ".join(f"PyArray_DIM(x, {d}) == 0" for d in axes)
        w(
            f'        if ({cond}) {{ char sb[128]; PyErr_Format(PyExc_ValueError, "%s: {who}: '
            "cannot compute the "
            f"{needs_nonempty} of an empty array (shape=%s dtype={in_dt}) along axis "
            f"{tuple(axes)}: "
            f'the {needs_nonempty} has no identity", {ctx.desc}, symc_shape_str({xin}, sb, 128)); '
            f"{ctx.fail} }}"
        )
    w(f"        npy_intp odims[{max(len(kept), 1)}];")
    for k, d in enumerate(kept):
        w(f"        odims[{k}] = PyArray_DIM(x, {d});")
    if arg:
        # output 0 (MaxAndArgmax) or the only output holds indices
        idx_out = ctx.outputs[1] if with_max else out
        w(
            f"        {idx_out} = PyArray_EMPTY({len(kept)}, odims, NPY_INT64, 0); if "
            f"(!{idx_out}) {ctx.fail}"
        )
        if with_max:
            w(
                f"        {out} = PyArray_EMPTY({len(kept)}, odims, {npy_typenum(out_dtype)}, 0); "
                f"if (!{out}) {ctx.fail}"
            )
        w(f"        const npy_intp nout = PyArray_SIZE(SYMC_A({idx_out}));")
        w(f"        npy_int64* argp = (npy_int64*)SYMC_DATA({idx_out});")
        if with_max:
            w(f"        {ACC}* accp = ({ACC}*)SYMC_DATA({out});")
        else:
            w(f"        {ACC}* accp = ({ACC}*)malloc((nout > 0 ? nout : 1) * sizeof({ACC}));")
            w(f"        if (!accp) {{ PyErr_NoMemory(); {ctx.fail} }}")
        w(
            "        for (npy_intp i = 0; i < nout; i++) { accp[i] = "
            + _identity(kind, acc)
            + "; argp[i] = 0; }"
        )
    else:
        w(
            f"        {out} = PyArray_EMPTY({len(kept)}, odims, {npy_typenum(out_dtype)}, 0); if "
            f"(!{out}) {ctx.fail}"
        )
        w(f"        const npy_intp nout = PyArray_SIZE(SYMC_A({out}));")
        w("        npy_int64* argp = NULL;")
        if acc == out_dtype:
            w(f"        {ACC}* accp = ({ACC}*)SYMC_DATA({out});")
        else:
            w(f"        {ACC}* accp = ({ACC}*)malloc((nout > 0 ? nout : 1) * sizeof({ACC}));")
            w(f"        if (!accp) {{ PyErr_NoMemory(); {ctx.fail} }}")
        w(f"        for (npy_intp i = 0; i < nout; i++) accp[i] = {_identity(kind, acc)};")
    w("        if (nout > 0 && PyArray_SIZE(x) > 0) {")
    red = ", ".join("1" if d in axes else "0" for d in range(nd)) or "0"
    w(f"            static const char red[{max(nd, 1)}] = {{{red}}};")
    w("            symc_redplan plan;")
    w(f"            symc_red_plan(x, red, {int(arg)}, &plan);")
    w(f"            {key}(&plan, PyArray_BYTES(x), accp, argp);")
    w("        }")
    separate = (arg and not with_max) or (not arg and acc != out_dtype)
    if separate:
        if not arg:
            OUT = c_type(out_dtype)
            w(f"        {OUT}* op = ({OUT}*)SYMC_DATA({out});")
            w(
                "        for (npy_intp i = 0; i < nout; i++) op[i] = "
                f"{convert('accp[i]', acc, out_dtype)};"
            )
        w("        free(accp);")
    return "\n".join(L)


# ---------------------------------------------------------------------------------------
# Registered implementations
# ---------------------------------------------------------------------------------------


@register_c_impl(CAReduce)
def careduce_c(op: CAReduce, node, ctx: NodeContext) -> str | None:
    axes = tuple(op.axis or ())
    in_dt = node.inputs[0].type.dtype
    out_dt = node.outputs[0].type.dtype
    if isinstance(op, (All, Any)):
        return _reduction_code(
            node, ctx, "all" if isinstance(op, All) else "any", axes, "bool", "bool"
        )
    kind = _scalar_kind(op.scalar_op)
    if kind is None:
        return None
    if isinstance(op, ProdWithoutZeros):
        kind = "mul_nz"
    if kind in ("and", "or", "xor") and (is_float(in_dt) or is_float(out_dt)):
        return None  # NumPy refuses bitwise ops on floats: let perform raise
    if isinstance(op, CAReduceDtype):
        return _reduction_code(node, ctx, kind, axes, op.acc_dtype, out_dt)
    nonempty = {"max": "maximum", "min": "minimum"}.get(kind)
    if isinstance(op, (Max, Min)):
        nonempty = "maximum" if isinstance(op, Max) else "minimum"
    return _reduction_code(node, ctx, kind, axes, out_dt, out_dt, needs_nonempty=nonempty)


@register_c_impl(Argmax, Argmin)
def argreduce_c(op, node, ctx: NodeContext) -> str | None:
    kind = "argmax" if isinstance(op, Argmax) else "argmin"
    axes = tuple(op.axis or ())
    dt = node.inputs[0].type.dtype
    return _reduction_code(node, ctx, kind, axes, dt, "int64", needs_nonempty=kind)


@register_c_impl(MaxAndArgmax)
def max_and_argmax_c(op: MaxAndArgmax, node, ctx: NodeContext) -> str | None:
    axes = tuple(op.axis or ())
    dt = node.inputs[0].type.dtype
    return _reduction_code(
        node, ctx, "argmax", axes, dt, dt, with_max=True, needs_nonempty="maximum"
    )
