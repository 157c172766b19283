"""C code for ``SortOp``, ``ArgSortOp`` (any axis, run-time axis input, ``axis=None``) and
``PermuteAlongAxis`` (``take_along_axis`` by a permutation: the gradient of ``sort``).

Sorting calls NumPy's own sort routines from C (``PyArray_Sort``/``PyArray_ArgSort``:
its vectorized quicksort, timsort and radix sorts), so values and NaN placement (last) are
exactly ``numpy.sort``'s for every dtype. ``ArgSortOp`` always gives the stable order
(``numpy.argsort(kind="stable")``) whatever its ``kind``: NumPy's quicksort/heapsort leave
the order of ties unspecified, the stable order is one valid answer and deterministic. For
32/64-bit numbers it runs NumPy's (vectorized) quicksort and then sorts each run of equal
values by index, which is the stable order and faster than NumPy's stable sort; other
dtypes use NumPy's stable sort (a radix sort for bool and 8/16-bit integers).
"""

from __future__ import annotations

from symcore.tensor.sort import ArgSortOp, PermuteAlongAxis, SortOp

from sym_backend_c.codegen.context import NodeContext, c_type
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import native, read_int

_KIND = {
    "quicksort": "NPY_QUICKSORT",
    "mergesort": "NPY_MERGESORT",
    "heapsort": "NPY_HEAPSORT",
    "stable": "NPY_STABLESORT",
}


def _axis_lines(ctx: NodeContext, node, who: str, fail: str, j: int = 1) -> list[str]:
    """C lines reading the run-time axis input ``j`` into ``ax`` (made non-negative,
    checked)."""
    nd = node.inputs[0].ndim
    return [
        f"        npy_int64 ax = {read_int(ctx.inputs[j], node.inputs[j].type.dtype)};",
        f"        if (ax < -{nd} || ax >= {nd}) {{ PyErr_Format(PyExc_ValueError,"
        f' "%s: {who}: axis %lld is out of bounds for an array of dimension {nd}", {ctx.desc},'
        f" (long long)ax); {fail} }}",
        f"        if (ax < 0) ax += {nd};",
    ]


@register_c_impl(SortOp)
def sort_c(op: SortOp, node, ctx: NodeContext) -> str | None:
    xi, out = ctx.inputs[0], ctx.outputs[0]
    kind = _KIND[op.kind]
    if len(node.inputs) == 1:
        L = [
            f"        {out} = PyArray_Flatten(SYMC_A({xi}), NPY_CORDER); if (!{out}) {ctx.fail}",
            "        const npy_int64 ax = 0;",
        ]
    else:
        L = _axis_lines(ctx, node, "SortOp", ctx.fail)
        L.append(
            f"        {out} = PyArray_NewCopy(SYMC_A({xi}), NPY_CORDER); if (!{out}) {ctx.fail}"
        )
    L.append(f"        if (PyArray_Sort(SYMC_A({out}), (int)ax, {kind}) < 0) {ctx.fail}")
    return "\n".join(L)


#: dtypes whose argsort runs NumPy's quicksort and then puts each run of ties in index
#: order (equal to a stable sort, faster than NumPy's stable sort for these: it uses the
#: vectorized quicksort); the small integer types and bool use NumPy's stable radix sort.
_TIE_FIX = ("int32", "int64", "uint32", "uint64", "float32", "float64")

_TIE_C = r"""
/* Sort distinct indices ascending: quicksort (median of three, smaller part first), a
   heapsort past 2 log2(n) levels, insertion sort below 16 elements. */
static void symc_heapsort_intp(npy_intp* a, npy_intp n) {
    for (npy_intp start = n / 2 - 1, end = n; ; ) {
        npy_intp root;
        if (start >= 0) root = start--;
        else { if (--end <= 0) return; npy_intp t = a[0]; a[0] = a[end]; a[end] = t; root = 0; }
        for (;;) {
            npy_intp c = 2 * root + 1;
            if (c >= end) break;
            if (c + 1 < end && a[c + 1] > a[c]) c++;
            if (a[root] >= a[c]) break;
            npy_intp t = a[root]; a[root] = a[c]; a[c] = t; root = c;
        }
    }
}

static void symc_sort_intp(npy_intp* a, npy_intp n, int depth) {
    while (n > 16) {
        if (depth-- <= 0) { symc_heapsort_intp(a, n); return; }
        npy_intp m = n / 2, l = n - 1, t;
        if (a[m] < a[0]) { t = a[m]; a[m] = a[0]; a[0] = t; }
        if (a[l] < a[0]) { t = a[l]; a[l] = a[0]; a[0] = t; }
        if (a[l] < a[m]) { t = a[l]; a[l] = a[m]; a[m] = t; }
        const npy_intp p = a[m];
        npy_intp i = 0, j = l;
        for (;;) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i >= j) break;
            t = a[i]; a[i] = a[j]; a[j] = t; i++; j--;
        }
        /* [0, j] <= p <= [j + 1, n) */
        if (j + 1 < n - j - 1) { symc_sort_intp(a, j + 1, depth); a += j + 1; n -= j + 1; }
        else { symc_sort_intp(a + j + 1, n - j - 1, depth); n = j + 1; }
    }
    for (npy_intp i = 1; i < n; i++) {
        const npy_intp v = a[i]; npy_intp k = i;
        while (k > 0 && a[k - 1] > v) { a[k] = a[k - 1]; k--; }
        a[k] = v;
    }
}
"""


def _tie_fix_c(dtype: str) -> str:
    """C function: in each lane of the argsort result ``R`` (C-contiguous, like ``X``),
    sort every run of indices whose values are equal (NaNs equal to each other) by index."""
    T = c_type(dtype)
    eq = "(a == b)" if dtype not in ("float32", "float64") else "(a == b || (a != a && b != b))"
    return f"""
static void symc_argsort_ties_{dtype}(const {T}* X, npy_intp* R, npy_intp outer, npy_intp n,
                                      npy_intp inner, npy_intp* buf) {{
    for (npy_intp o = 0; o < outer; o++)
        for (npy_intp l = 0; l < inner; l++) {{
            const {T}* x = X + o * n * inner + l;
            npy_intp* r = R + o * n * inner + l;
            npy_intp i = 0;
            while (i < n) {{
                const {T} a = x[r[i * inner] * inner];
                npy_intp j = i + 1;
                while (j < n) {{ const {T} b = x[r[j * inner] * inner]; if (!{eq}) break; j++; }}
                if (j - i > 1) {{
                    for (npy_intp k = i; k < j; k++) buf[k - i] = r[k * inner];
                    int dl = 0; for (npy_intp q = j - i; q > 1; q >>= 1) dl += 2;
                    symc_sort_intp(buf, j - i, dl);
                    for (npy_intp k = i; k < j; k++) r[k * inner] = buf[k - i];
                }}
                i = j;
            }}
        }}
}}
"""


@register_c_impl(ArgSortOp)
def argsort_c(op: ArgSortOp, node, ctx: NodeContext) -> str | None:
    x = node.inputs[0]
    xi, out = ctx.inputs[0], ctx.outputs[0]
    dt = x.type.dtype
    fix = dt in _TIE_FIX
    if len(node.inputs) == 1:
        L = [
            f"        PyObject* src = PyArray_Ravel(SYMC_A({xi}), NPY_CORDER);",
            f"        if (!src) {ctx.fail}",
            "        const npy_int64 ax = 0;",
        ]
    else:
        L = _axis_lines(ctx, node, "ArgSortOp", ctx.fail)
        L.append(f"        PyObject* src = {xi}; Py_INCREF(src);")
    if not fix:
        L += [
            "        PyObject* r = PyArray_ArgSort(SYMC_A(src), (int)ax, NPY_STABLESORT);",
            "        Py_DECREF(src); if (!r) " + ctx.fail,
        ]
    else:
        ctx.add_support("symc_argsort_cmp", _TIE_C)
        ctx.add_support(f"symc_argsort_ties_{dt}", _tie_fix_c(dt))
        T = c_type(dt)
        nd = 1 if len(node.inputs) == 1 else x.ndim
        L += [
            "        { PyObject* c = (PyObject*)PyArray_GETCONTIGUOUS(SYMC_A(src));"
            f" Py_DECREF(src); src = c; if (!c) {ctx.fail} }}",
            "        PyObject* r = PyArray_ArgSort(SYMC_A(src), (int)ax, NPY_QUICKSORT);",
            f"        if (!r) {{ Py_DECREF(src); {ctx.fail} }}",
            "        {",
            "            npy_intp outer = 1, inner = 1; const npy_intp n = PyArray_DIM(SYMC_A(src),"
            " (int)ax);",
            f"            for (int d = 0; d < {nd}; d++) {{ if (d < ax) outer *="
            " PyArray_DIM(SYMC_A(src), d); else if (d > ax) inner *= PyArray_DIM(SYMC_A(src), d);"
            " }",
            "            npy_intp* buf = n > 1 ? (npy_intp*)malloc(n * sizeof(npy_intp)) : NULL;",
            "            if (n > 1 && !buf) { Py_DECREF(src); Py_DECREF(r); PyErr_NoMemory();"
            f" {ctx.fail} }}",
            "            if (!PyArray_ISCARRAY(SYMC_A(r))) {  /* not expected: sort stably */",
            "                Py_DECREF(r);",
            "                r = PyArray_ArgSort(SYMC_A(src), (int)ax, NPY_STABLESORT);",
            f"                if (!r) {{ free(buf); Py_DECREF(src); {ctx.fail} }}",
            "            } else if (n > 1 && PyArray_SIZE(SYMC_A(r)) > 0)",
            f"                symc_argsort_ties_{dt}((const {T}*)PyArray_DATA(SYMC_A(src)),"
            " (npy_intp*)PyArray_DATA(SYMC_A(r)), outer, n, inner, buf);",
            "            free(buf);",
            "        }",
            "        Py_DECREF(src);",
        ]
    L += [
        "        if (PyArray_TYPE(SYMC_A(r)) != NPY_INT64) {",
        "            PyObject* c = PyArray_Cast(SYMC_A(r), NPY_INT64); Py_DECREF(r);"
        f" if (!c) {ctx.fail} r = c;",
        "        }",
        f"        {out} = r;",
    ]
    return "\n".join(L)


@register_c_impl(PermuteAlongAxis)
def permute_along_axis_c(op: PermuteAlongAxis, node, ctx: NodeContext) -> str | None:
    x, perm, _ = node.inputs
    if not native(perm.type.dtype):
        return None
    nd = x.ndim
    xi, pi = ctx.inputs[:2]
    out = ctx.outputs[0]
    who = "PermuteAlongAxis"
    L = [
        f"        if (!PyArray_SAMESHAPE(SYMC_A({xi}), SYMC_A({pi}))) {{ char b1[128], b2[128];"
        f' PyErr_Format(PyExc_ValueError, "%s: {who}: perm shape %s differs from x shape %s",'
        f" {ctx.desc}, symc_shape_str({pi}, b1, 128), symc_shape_str({xi}, b2, 128)); "
        f"{ctx.fail} }}",
    ]
    L += _axis_lines(ctx, node, who, ctx.fail, 2)
    L += [
        f"        PyArrayObject* xc = (PyArrayObject*)PyArray_GETCONTIGUOUS(SYMC_A({xi}));"
        f" if (!xc) {ctx.fail}",
        f"        PyArrayObject* pc = (PyArrayObject*)PyArray_FromArray(SYMC_A({pi}),"
        " PyArray_DescrFromType(NPY_INT64), NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED"
        " | NPY_ARRAY_FORCECAST);",
        f"        if (!pc) {{ Py_DECREF(xc); {ctx.fail} }}",
        f"        {out} = PyArray_NewLikeArray(xc, NPY_CORDER, NULL, 0);",
        f"        if (!{out}) {{ Py_DECREF(xc); Py_DECREF(pc); {ctx.fail} }}",
        "        npy_intp outer = 1, inner = 1; const npy_intp n = PyArray_DIM(xc, (int)ax);",
        f"        for (int d = 0; d < {nd}; d++) {{ if (d < ax) outer *= PyArray_DIM(xc, d);"
        " else if (d > ax) inner *= PyArray_DIM(xc, d); }",
        "        const npy_intp isz = PyArray_ITEMSIZE(xc);",
        "        const char* X = PyArray_BYTES(xc); const npy_int64* P = (const npy_int64*)"
        f"PyArray_DATA(pc); char* O = SYMC_DATA({out});",
        "        int bad = 0; npy_int64 badv = 0;",
        "        for (npy_intp r = 0; r < outer && !bad; r++)",
        "            for (npy_intp j = 0; j < n && !bad; j++)",
        "                for (npy_intp i = 0; i < inner; i++) {",
        "                    const npy_intp k = (r * n + j) * inner + i;",
        "                    npy_int64 p = P[k];",
        "                    if (p < -n || p >= n) { bad = 1; badv = p; break; }",
        "                    if (p < 0) p += n;",
        "                    memcpy(O + k * isz, X + ((r * n + p) * inner + i) * isz, isz);",
        "                }",
        "        Py_DECREF(xc); Py_DECREF(pc);",
        f'        if (bad) {{ PyErr_Format(PyExc_IndexError, "%s: {who}: index %lld is out of'
        f' bounds for axis %lld with size %ld", {ctx.desc}, (long long)badv, (long long)ax,'
        f" (long)n); Py_CLEAR({out}); {ctx.fail} }}",
    ]
    return "\n".join(L)
