"""C code for ``Nonzero`` (NumPy's ``PyArray_Nonzero``), ``SearchsortedOp`` (NumPy's
``PyArray_SearchSorted``: same dtype promotion, ``side`` and ``sorter`` checks as
``numpy.searchsorted``) and ``BinCount`` (a C loop adding counts or weights in the output
dtype, in order, as ``numpy.bincount``/``np.add.at`` do; complex weights run ``perform``).
"""

from __future__ import annotations

from symcore.tensor.search import BinCount, Nonzero, SearchsortedOp

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import native, read_int


def _as_int64(expr: str, fail: str) -> list[str]:
    """C lines replacing the new reference ``expr`` by an int64 array (fails on error)."""
    return [
        f"        if (PyArray_TYPE(SYMC_A({expr})) != NPY_INT64) {{",
        f"            PyObject* c = PyArray_Cast(SYMC_A({expr}), NPY_INT64); Py_DECREF({expr});"
        f" {expr} = c; if (!c) {fail}",
        "        }",
    ]


@register_c_impl(Nonzero)
def nonzero_c(op: Nonzero, node, ctx: NodeContext) -> str | None:
    xi = ctx.inputs[0]
    L = [f"        PyObject* nzt = PyArray_Nonzero(SYMC_A({xi})); if (!nzt) {ctx.fail}"]
    fail = f"{{ Py_DECREF(nzt); {ctx.fail} }}"
    for j, o in enumerate(ctx.outputs):
        L.append(f"        {o} = PyTuple_GET_ITEM(nzt, {j}); Py_INCREF({o});")
        L += _as_int64(o, fail)
    L.append("        Py_DECREF(nzt);")
    return "\n".join(L)


@register_c_impl(SearchsortedOp)
def searchsorted_c(op: SearchsortedOp, node, ctx: NodeContext) -> str | None:
    xi, vi = ctx.inputs[:2]
    out = ctx.outputs[0]
    side = "NPY_SEARCHLEFT" if op.side == "left" else "NPY_SEARCHRIGHT"
    sorter = ctx.inputs[2] if len(ctx.inputs) == 3 else "NULL"
    L = [
        f"        {out} = PyArray_SearchSorted(SYMC_A({xi}), {vi}, {side}, {sorter});"
        f" if (!{out}) {ctx.fail}",
        f"        if (!PyArray_Check({out})) {{ PyObject* a = PyArray_FROM_O({out});"
        f" Py_DECREF({out}); {out} = a; if (!a) {ctx.fail} }}",
    ]
    L += _as_int64(out, ctx.fail)
    return "\n".join(L)


@register_c_impl(BinCount)
def bincount_c(op: BinCount, node, ctx: NodeContext) -> str | None:
    x, ml = node.inputs[:2]
    dt = node.outputs[0].type.dtype
    weighted = len(node.inputs) == 3
    if not native(x.type.dtype, ml.type.dtype, dt) or (
        weighted and not native(node.inputs[2].type.dtype)
    ):
        return None
    xi, mi = ctx.inputs[:2]
    out = ctx.outputs[0]
    T = c_type(dt)
    L = [
        f"        PyArrayObject* xc = (PyArrayObject*)PyArray_FromArray(SYMC_A({xi}),"
        " PyArray_DescrFromType(NPY_INT64), NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED"
        " | NPY_ARRAY_FORCECAST);",
        f"        if (!xc) {ctx.fail}",
        "        const npy_int64* X = (const npy_int64*)PyArray_DATA(xc);",
        "        const npy_intp nx = PyArray_SIZE(xc);",
        "        npy_int64 lo = 0, hi = -1;",
        "        for (npy_intp i = 0; i < nx; i++) { if (X[i] < lo) lo = X[i];"
        " if (X[i] > hi) hi = X[i]; }",
        '        if (lo < 0) { PyErr_Format(PyExc_ValueError, "%s: BinCount: x must be'
        f' non-negative, got a minimum of %lld", {ctx.desc}, (long long)lo); Py_DECREF(xc);'
        f" {ctx.fail} }}",
        "        npy_intp n = (npy_intp)(hi + 1);",
        f"        const npy_int64 ml = {read_int(mi, ml.type.dtype)};",
        "        if (ml > n) n = (npy_intp)ml;  /* a negative minlength is ignored (perform) */",
    ]
    if weighted:
        wi = ctx.inputs[2]
        L += [
            f"        if (!PyArray_SAMESHAPE(SYMC_A({wi}), xc)) {{ char b1[128], b2[128];"
            f' PyErr_Format(PyExc_ValueError, "%s: BinCount: weights shape %s differs from x'
            f' shape %s", {ctx.desc}, symc_shape_str({wi}, b1, 128), symc_shape_str({xi}, b2,'
            f" 128)); Py_DECREF(xc); {ctx.fail} }}",
            f"        PyArrayObject* wc = (PyArrayObject*)PyArray_FromArray(SYMC_A({wi}),"
            f" PyArray_DescrFromType({npy_typenum(dt)}), NPY_ARRAY_C_CONTIGUOUS |"
            " NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);",
            f"        if (!wc) {{ Py_DECREF(xc); {ctx.fail} }}",
            f"        const {T}* Wt = (const {T}*)PyArray_DATA(wc);",
        ]
        add, done = "Wt[i]", "Py_DECREF(wc); "
    else:
        add, done = "1", ""
    L += [
        f"        {out} = PyArray_ZEROS(1, &n, {npy_typenum(dt)}, 0);",
        f"        if (!{out}) {{ {done}Py_DECREF(xc); {ctx.fail} }}",
        f"        {T}* O = ({T}*)SYMC_DATA({out});",
        f"        for (npy_intp i = 0; i < nx; i++) O[X[i]] += {add};",
        f"        {done}Py_DECREF(xc);",
    ]
    return "\n".join(L)
