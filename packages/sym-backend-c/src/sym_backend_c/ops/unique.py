"""C code for ``Unique`` (``axis=None``, any of ``return_index``/``return_inverse``/
``return_counts``) and ``UltraFastSigmoid`` (float32/float64).

``Unique`` sorts the flattened input with NumPy's own routines called from C (the same
ones ``numpy.unique`` uses: ``PyArray_Sort`` for the values alone, a stable
``PyArray_ArgSort`` when first-occurrence indices are asked for, NumPy's quicksort argsort
for the inverse/counts alone), then makes one pass over the sorted order grouping equal
values, NaNs all equal to each other (NumPy 2's ``equal_nan=True``). The inverse has the
input's shape when the node's output has its rank (NumPy >= 2.0.1), else it is a vector.
An ``axis`` other than None, float16 and complex keep running ``perform``.

``UltraFastSigmoid`` is ``perform``'s piecewise formula as one C loop over a contiguous
copy, computed in the input's dtype like ``perform`` (which keeps float32 in float32), without
fused multiply-adds, so results equal ``perform``'s bit for bit.
"""

from __future__ import annotations

from symcore.tensor.nnet.sigm import _A, _B, _KNEE1, _KNEE2, _TOP, UltraFastSigmoid
from symcore.tensor.search import Unique

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import native


def _unique_kernel(dt: str) -> str:
    """C ``symc_unique_<dt>(S, P, n, V, I, INV, C)``: group the sorted values ``S`` (``P``:
    their positions in the input when not NULL) into the unique values ``V``, first indices
    ``FI``, inverse ``INV`` and counts ``CT`` (each written when not NULL); returns the number
    of unique values."""
    T = c_type(dt)
    eq = "(a == b)" if dt not in ("float32", "float64") else "(a == b || (a != a && b != b))"
    return f"""
static npy_intp symc_unique_{dt}(const {T}* S, const npy_intp* P, npy_intp n, {T}* V,
                                 npy_int64* FI, npy_int64* INV, npy_int64* CT) {{
    npy_intp k = 0, i = 0;
    while (i < n) {{
        const {T} a = S[i];
        npy_intp j = i + 1;
        while (j < n) {{ const {T} b = S[j]; if (!{eq}) break; j++; }}
        if (V) V[k] = a;
        if (FI) FI[k] = (npy_int64)P[i];
        if (INV) for (npy_intp q = i; q < j; q++) INV[P[q]] = (npy_int64)k;
        if (CT) CT[k] = (npy_int64)(j - i);
        k++;
        i = j;
    }}
    return k;
}}
"""


@register_c_impl(Unique)
def unique_c(op: Unique, node, ctx: NodeContext) -> str | None:
    x = node.inputs[0]
    dt = x.type.dtype
    if op.axis is not None or not native(dt):
        return None
    ctx.add_support(f"symc_unique_{dt}", _unique_kernel(dt))
    T = c_type(dt)
    tn = npy_typenum(dt)
    xi = ctx.inputs[0]
    outs = list(ctx.outputs)
    vals = outs.pop(0)
    idx = outs.pop(0) if op.return_index else None
    inv = outs.pop(0) if op.return_inverse else None
    inv_nd = node.outputs[1 + int(op.return_index)].ndim if op.return_inverse else 0
    cnt = outs.pop(0) if op.return_counts else None
    fail = ctx.fail
    L = [
        f"        PyObject* rav = PyArray_Ravel(SYMC_A({xi}), NPY_CORDER); if (!rav) {fail}",
        "        PyArrayObject* xf = (PyArrayObject*)PyArray_FromAny(rav,"
        f" PyArray_DescrFromType({tn}), 1, 1, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL);",
        f"        Py_DECREF(rav); if (!xf) {fail}",
        "        npy_intp n = PyArray_DIM(xf, 0);",
        "        PyArrayObject* srt = NULL; PyArrayObject* perm = NULL;",
    ]
    if idx or inv:
        kind = "NPY_STABLESORT" if idx else "NPY_QUICKSORT"
        L += [
            f"        perm = (PyArrayObject*)PyArray_ArgSort(xf, 0, {kind});",
            f"        if (!perm) {{ Py_DECREF(xf); {fail} }}",
            "        { PyArrayObject* p = (PyArrayObject*)PyArray_FromAny((PyObject*)perm,"
            " PyArray_DescrFromType(NPY_INTP), 1, 1, NPY_ARRAY_C_CONTIGUOUS |"
            " NPY_ARRAY_ALIGNED, NULL); Py_DECREF(perm); perm = p;"
            f" if (!p) {{ Py_DECREF(xf); {fail} }} }}",
            f"        srt = (PyArrayObject*)PyArray_SimpleNew(1, &n, {tn});",
            f"        if (!srt) {{ Py_DECREF(xf); Py_DECREF(perm); {fail} }}",
            "        { const npy_intp* p = (const npy_intp*)PyArray_DATA(perm);"
            f" const {T}* src = (const {T}*)PyArray_DATA(xf); {T}* d = ({T}*)PyArray_DATA(srt);"
            " for (npy_intp i = 0; i < n; i++) d[i] = src[p[i]]; }",
        ]
    else:
        L += [
            "        srt = (PyArrayObject*)PyArray_NewCopy(xf, NPY_CORDER);",
            f"        if (!srt) {{ Py_DECREF(xf); {fail} }}",
            f"        if (PyArray_Sort(srt, 0, NPY_QUICKSORT) < 0) {{ Py_DECREF(xf);"
            f" Py_DECREF(srt); {fail} }}",
        ]
    cleanup = "Py_DECREF(xf); Py_DECREF(srt); Py_XDECREF(perm);"
    # the unique values and counts are at most n long: allocate n, shrink after the pass
    L += [
        f"        PyArrayObject* v = (PyArrayObject*)PyArray_SimpleNew(1, &n, {tn});",
        f"        if (!v) {{ {cleanup} {fail} }}",
        "        PyArrayObject* ix = NULL; PyArrayObject* iv = NULL; PyArrayObject* ct = NULL;",
    ]
    bad = f"{{ {cleanup} Py_DECREF(v); Py_XDECREF(ix); Py_XDECREF(iv); Py_XDECREF(ct); {fail} }}"
    if idx:
        L.append(
            f"        ix = (PyArrayObject*)PyArray_SimpleNew(1, &n, NPY_INT64); if (!ix) {bad}"
        )
    if inv:
        if inv_nd == x.ndim and x.ndim != 1:
            L.append(
                f"        iv = (PyArrayObject*)PyArray_SimpleNew({x.ndim},"
                f" PyArray_DIMS(SYMC_A({xi})), NPY_INT64); if (!iv) {bad}"
            )
        else:
            L.append(
                f"        iv = (PyArrayObject*)PyArray_SimpleNew(1, &n, NPY_INT64); if (!iv) {bad}"
            )
    if cnt:
        L.append(
            f"        ct = (PyArrayObject*)PyArray_SimpleNew(1, &n, NPY_INT64); if (!ct) {bad}"
        )

    def data(a: str, t: str) -> str:
        return f"({t}*)PyArray_DATA({a})"

    L += [
        f"        npy_intp k = symc_unique_{dt}((const {T}*)PyArray_DATA(srt),"
        f" perm ? (const npy_intp*)PyArray_DATA(perm) : NULL, n, {data('v', T)},"
        f" ix ? {data('ix', 'npy_int64')} : NULL, iv ? {data('iv', 'npy_int64')} : NULL,"
        f" ct ? {data('ct', 'npy_int64')} : NULL);",
        "        PyArrayObject* res[3] = {v, ix, ct};",
        "        for (int r = 0; r < 3; r++) if (res[r] && k < n) {",
        "            PyArray_Dims nd = {&k, 1};",
        "            PyObject* s = PyArray_Resize(res[r], &nd, 0, NPY_CORDER);",
        f"            if (!s) {bad}",
        "            Py_DECREF(s);",
        "        }",
        f"        {cleanup}",
        f"        {vals} = (PyObject*)v;",
    ]
    if idx:
        L.append(f"        {idx} = (PyObject*)ix;")
    if inv:
        L.append(f"        {inv} = (PyObject*)iv;")
    if cnt:
        L.append(f"        {cnt} = (PyObject*)ct;")
    return "\n".join(L)


def _ufs_kernel(dt: str) -> str:
    T = c_type(dt)
    s = "f" if dt == "float32" else ""

    def c(v: float) -> str:
        return f"(({T}){v!r})"

    # no fused multiply-add: ``perform`` rounds the product, and for x < 0 the result
    # 0.5 * (1 - z) turns one ulp of z into many
    return f"""
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
static void symc_ultra_fast_sigmoid_{dt}(const {T}* restrict X, {T}* restrict O, npy_intp n) {{
#ifdef __clang__
    #pragma STDC FP_CONTRACT OFF
#endif
    for (npy_intp i = 0; i < n; i++) {{
        const {T} x = X[i];
        const {T} h = fabs{s}(x) * ({T})0.5;
        {T} z;
        if (h < {c(_KNEE1)}) z = ({T})1.5 * h / (({T})1.0 + h);
        else if (h < {c(_KNEE2)}) z = {c(_A)} + {c(_B)} * (h - {c(_KNEE1)});
        else z = {c(_TOP)};
        if (x < 0) z = -z;
        O[i] = ({T})0.5 * (z + ({T})1.0);
    }}
}}
"""


@register_c_impl(UltraFastSigmoid)
def ultra_fast_sigmoid_c(op: UltraFastSigmoid, node, ctx: NodeContext) -> str | None:
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or node.inputs[0].type.dtype != dt:
        return None
    ctx.add_support(f"symc_ultra_fast_sigmoid_{dt}", _ufs_kernel(dt))
    T = c_type(dt)
    tn = npy_typenum(dt)
    xi, out = ctx.inputs[0], ctx.outputs[0]
    nd = node.inputs[0].ndim
    return "\n".join(
        [
            f"        PyArrayObject* xc = (PyArrayObject*)PyArray_FromAny({xi},"
            f" PyArray_DescrFromType({tn}), 0, 0, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED,"
            " NULL);",
            f"        if (!xc) {ctx.fail}",
            f"        {out} = PyArray_SimpleNew({nd}, PyArray_DIMS(xc), {tn});",
            f"        if (!{out}) {{ Py_DECREF(xc); {ctx.fail} }}",
            f"        symc_ultra_fast_sigmoid_{dt}((const {T}*)PyArray_DATA(xc),"
            f" ({T}*)SYMC_DATA({out}), PyArray_SIZE(xc));",
            "        Py_DECREF(xc);",
        ]
    )
