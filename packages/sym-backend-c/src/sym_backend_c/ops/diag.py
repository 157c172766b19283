"""C code for the diagonal Ops: ``ExtractDiag`` (``numpy.diagonal``, a C-ordered copy as
the Op declares no view), its gradient ``ExtractDiagGrad``, ``AllocDiag`` (``numpy.diag``
of a vector) and ``FillDiagonal`` (``numpy.fill_diagonal`` without wrap).

Each builds a strided view of the diagonal (offset ``k``: start at row ``max(0, -k)``,
column ``max(0, k)``; step = the sum of the two axes' strides) and lets NumPy's copy
routines move the elements, so every dtype and layout is handled and values are cast
as NumPy's assignment casts them.
"""

from __future__ import annotations

from symcore.tensor.diagonal import AllocDiag, ExtractDiag, ExtractDiagGrad, FillDiagonal

from sym_backend_c.codegen.context import NodeContext, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import COMMON_C

DIAG_C = r"""
/* A view of the diagonal `offset` of `a` over axes a1, a2 (the other axes first, in order,
   then the diagonal; its length is `want` when >= 0 and at most the diagonal's length,
   else the whole diagonal). NULL with IndexError when `want` is too long. */
static PyObject* symc_diag_view(PyObject* a, int a1, int a2, npy_intp offset, npy_intp want,
                                const char* desc, const char* who) {
    PyArrayObject* x = (PyArrayObject*)a;
    const int nd = PyArray_NDIM(x);
    npy_intp dims[NPY_MAXDIMS], strides[NPY_MAXDIMS];
    int j = 0;
    for (int d = 0; d < nd; d++) {
        if (d == a1 || d == a2) continue;
        dims[j] = PyArray_DIM(x, d); strides[j] = PyArray_STRIDE(x, d); j++;
    }
    const npy_intp r0 = offset < 0 ? -offset : 0, c0 = offset > 0 ? offset : 0;
    npy_intp len = PyArray_DIM(x, a1) - r0;
    if (PyArray_DIM(x, a2) - c0 < len) len = PyArray_DIM(x, a2) - c0;
    if (len < 0) len = 0;
    if (want >= 0) {
        if (want > len) {
            PyErr_Format(PyExc_IndexError, "%s: %s: a diagonal of length %ld does not fit on"
                         " diagonal %ld (length %ld)", desc, who, (long)want, (long)offset,
                         (long)len);
            return NULL;
        }
        len = want;
    }
    dims[j] = len;
    strides[j] = PyArray_STRIDE(x, a1) + PyArray_STRIDE(x, a2);
    char* data = PyArray_BYTES(x);
    if (len > 0) data += r0 * PyArray_STRIDE(x, a1) + c0 * PyArray_STRIDE(x, a2);
    return symc_view(a, nd - 1, dims, strides, data);
}
"""


def _support(ctx: NodeContext) -> None:
    ctx.add_support("symc_common", COMMON_C)
    ctx.add_support("symc_diag_view", DIAG_C)


@register_c_impl(ExtractDiag)
def extract_diag_c(op: ExtractDiag, node, ctx: NodeContext) -> str | None:
    _support(ctx)
    xi, out = ctx.inputs[0], ctx.outputs[0]
    return "\n".join(
        [
            f"        PyObject* v = symc_diag_view({xi}, {op.axis1}, {op.axis2}, {op.offset}, -1,"
            f' {ctx.desc}, "ExtractDiag"); if (!v) {ctx.fail}',
            f"        {out} = PyArray_NewCopy(SYMC_A(v), NPY_CORDER); Py_DECREF(v);"
            f" if (!{out}) {ctx.fail}",
        ]
    )


@register_c_impl(ExtractDiagGrad)
def extract_diag_grad_c(op: ExtractDiagGrad, node, ctx: NodeContext) -> str | None:
    _support(ctx)
    x, d = node.inputs
    xi, di = ctx.inputs
    out = ctx.outputs[0]
    tn = npy_typenum(node.outputs[0].type.dtype)
    return "\n".join(
        [
            f"        {out} = PyArray_ZEROS({x.ndim}, PyArray_DIMS(SYMC_A({xi})), {tn}, 0);"
            f" if (!{out}) {ctx.fail}",
            f"        PyObject* v = symc_diag_view({out}, {op.axis1}, {op.axis2}, {op.offset},"
            f' PyArray_DIM(SYMC_A({di}), {d.ndim - 1}), {ctx.desc}, "ExtractDiagGrad");'
            f" if (!v) {ctx.fail}",
            f"        const int rc = PyArray_CopyInto(SYMC_A(v), SYMC_A({di})); Py_DECREF(v);"
            f" if (rc < 0) {ctx.fail}",
        ]
    )


@register_c_impl(AllocDiag)
def alloc_diag_c(op: AllocDiag, node, ctx: NodeContext) -> str | None:
    _support(ctx)
    vi, out = ctx.inputs[0], ctx.outputs[0]
    tn = npy_typenum(node.outputs[0].type.dtype)
    k = op.offset
    return "\n".join(
        [
            "        npy_intp dims[2];",
            f"        dims[0] = dims[1] = PyArray_DIM(SYMC_A({vi}), 0) + {abs(k)};",
            f"        {out} = PyArray_ZEROS(2, dims, {tn}, 0); if (!{out}) {ctx.fail}",
            f"        PyObject* v = symc_diag_view({out}, 0, 1, {k}, -1, {ctx.desc},"
            f' "AllocDiag"); if (!v) {ctx.fail}',
            f"        const int rc = PyArray_CopyInto(SYMC_A(v), SYMC_A({vi})); Py_DECREF(v);"
            f" if (rc < 0) {ctx.fail}",
        ]
    )


@register_c_impl(FillDiagonal)
def fill_diagonal_c(op: FillDiagonal, node, ctx: NodeContext) -> str | None:
    ctx.add_support("symc_common", COMMON_C)
    a = node.inputs[0]
    ai, vi = ctx.inputs
    out = ctx.outputs[0]
    nd = a.ndim
    L = [f"        PyArrayObject* A = SYMC_A({ai});"]
    if nd > 2:
        L.append(
            f"        for (int d = 1; d < {nd}; d++) if (PyArray_DIM(A, d) != PyArray_DIM(A, 0))"
            ' { char b[128]; PyErr_Format(PyExc_ValueError, "%s: FillDiagonal: all dimensions'
            f' of a {nd}-d input must be equal, got %s", {ctx.desc},'
            f" symc_shape_str({ai}, b, 128)); {ctx.fail} }}"
        )
    L += [
        f"        {out} = PyArray_NewCopy(A, NPY_CORDER); if (!{out}) {ctx.fail}",
        "        npy_intp n = PyArray_DIM(A, 0), step = 0;",
        f"        for (int d = 0; d < {nd}; d++) {{ if (PyArray_DIM(A, d) < n) n = "
        f"PyArray_DIM(A, d); step += PyArray_STRIDE(SYMC_A({out}), d); }}",
        f"        PyObject* v = symc_view({out}, 1, &n, &step, SYMC_DATA({out}));",
        f"        if (!v) {ctx.fail}",
        f"        const int rc = PyArray_CopyInto(SYMC_A(v), SYMC_A({vi})); Py_DECREF(v);"
        f" if (rc < 0) {ctx.fail}",
    ]
    return "\n".join(L)
