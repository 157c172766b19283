"""C code for ``SortOp``, ``ArgSortOp`` (any axis, run-time axis input, ``axis=None``) and
``PermuteAlongAxis`` (``take_along_axis`` by a permutation: the gradient of ``sort``).

Sorting calls NumPy's own sort routines from C (``PyArray_Sort``/``PyArray_ArgSort``:
its vectorized quicksort, timsort and radix sorts), so values and NaN placement (last) are
exactly ``numpy.sort``'s for every dtype. ``ArgSortOp`` always sorts stably: NumPy's
quicksort/heapsort leave the order of ties unspecified, a stable sort is one valid answer
and it is deterministic (equal to ``numpy.argsort(kind="stable")``).
"""

from __future__ import annotations

from symcore.tensor.sort import ArgSortOp, PermuteAlongAxis, SortOp

from sym_backend_c.codegen.context import NodeContext
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


@register_c_impl(ArgSortOp)
def argsort_c(op: ArgSortOp, node, ctx: NodeContext) -> str | None:
    xi, out = ctx.inputs[0], ctx.outputs[0]
    if len(node.inputs) == 1:
        L = [
            f"        PyObject* src = PyArray_Ravel(SYMC_A({xi}), NPY_CORDER);",
            f"        if (!src) {ctx.fail}",
            "        const npy_int64 ax = 0;",
        ]
    else:
        L = _axis_lines(ctx, node, "ArgSortOp", ctx.fail)
        L.append(f"        PyObject* src = {xi}; Py_INCREF(src);")
    L += [
        "        PyObject* r = PyArray_ArgSort(SYMC_A(src), (int)ax, NPY_STABLESORT);",
        "        Py_DECREF(src); if (!r) " + ctx.fail,
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
