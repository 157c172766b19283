"""C code for ``x[int_vector]`` along the first axis: ``AdvancedSubtensor1`` (rows gathered
into a new C-contiguous array) and ``AdvancedIncSubtensor1`` (rows set, or incremented with
repeated indices accumulating like ``np.add.at``; in place when the Op says so).

Indices of any integer dtype and stride count from the end when negative; every index is
checked before anything is written (IndexError naming the node, the index and the size).
The general ``AdvancedSubtensor``/``AdvancedIncSubtensor`` run their NumPy ``perform``.
"""

from __future__ import annotations

from symcore.tensor.subtensor_advanced import AdvancedIncSubtensor1, AdvancedSubtensor1

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import COMMON_C, native
from sym_backend_c.ops.shape import DIMS_STR_C
from sym_backend_c.ops.subtensor import apply_region, c_text

COPY_BLOCK_C = r"""
/* Copy the strided block (nd dims, byte strides st) at src into contiguous dst. */
static void symc_copy_block(char* dst, const char* src, int nd, const npy_intp* dims,
                            const npy_intp* st, npy_intp isz) {
    if (nd == 0) { memcpy(dst, src, isz); return; }
    npy_intp inner = dims[nd - 1];
    if (st[nd - 1] == isz) {  /* merge contiguous trailing dims into one memcpy */
        int d = nd - 1;
        while (d > 0 && st[d - 1] == st[d] * dims[d]) { d--; inner *= dims[d]; }
        if (d == 0) { memcpy(dst, src, inner * isz); return; }
        npy_intp cnt[NPY_MAXDIMS] = {0};
        for (;;) {
            const char* p = src;
            for (int k = 0; k < d; k++) p += cnt[k] * st[k];
            memcpy(dst, p, inner * isz); dst += inner * isz;
            int k = d - 1;
            for (; k >= 0; k--) { if (++cnt[k] < dims[k]) break; cnt[k] = 0; }
            if (k < 0) return;
        }
    }
    npy_intp cnt[NPY_MAXDIMS] = {0};
    const npy_intp sl = st[nd - 1];
    for (;;) {
        const char* p = src;
        for (int k = 0; k < nd - 1; k++) p += cnt[k] * st[k];
        for (npy_intp i = 0; i < inner; i++) { memcpy(dst, p + i * sl, isz); dst += isz; }
        int k = nd - 2;
        for (; k >= 0; k--) { if (++cnt[k] < dims[k]) break; cnt[k] = 0; }
        if (k < 0) return;
    }
}
"""


def _check_indices(ctx: NodeContext, node, idx: str, base: str, who: str) -> list[str]:
    """C lines: ``ni`` / ``ip(k)`` (k-th index, wrapped) and a bounds check of all indices."""
    idt = node.inputs[-1].type.dtype
    IT = c_type(idt)
    return [
        f"        const npy_intp ni = PyArray_DIM(SYMC_A({idx}), 0);",
        f"        const npy_intp n0 = PyArray_DIM(SYMC_A({base}), 0);",
        f"        const char* ib = SYMC_DATA({idx}); const npy_intp is = "
        f"PyArray_STRIDE(SYMC_A({idx}), 0);",
        f"        #define ip(k) ((npy_int64)*(const {IT}*)(ib + (k) * is))",
        "        for (npy_intp k = 0; k < ni; k++) {",
        "            const npy_int64 v = ip(k);",
        "            if (v < -(npy_int64)n0 || v >= (npy_int64)n0) {",
        "                char sb[128];",
        f'                PyErr_Format(PyExc_IndexError, "%s: {who}: index %lld is out of bounds '
        "for axis 0 with "
        f'size %ld (input shape %s)", {ctx.desc}, (long long)v, (long)n0, symc_shape_str({base}, '
        "sb, 128));",
        f"                {ctx.fail}",
        "            }",
        "        }",
    ]


@register_c_impl(AdvancedSubtensor1)
def advanced_subtensor1_c(op: AdvancedSubtensor1, node, ctx: NodeContext) -> str | None:
    x, i = node.inputs
    if not native(i.type.dtype):
        return None
    ctx.add_support("symc_copy_block", COPY_BLOCK_C)
    xi, ii = ctx.inputs
    out = ctx.outputs[0]
    nd = x.ndim
    L = _check_indices(ctx, node, ii, xi, str(op))
    L += [
        f"        npy_intp odims[{nd}]; odims[0] = ni;",
        f"        for (int d = 1; d < {nd}; d++) odims[d] = PyArray_DIM(SYMC_A({xi}), d);",
        f"        {out} = PyArray_EMPTY({nd}, odims, {npy_typenum(x.type.dtype)}, 0);",
        f"        if (!{out}) {{ {ctx.fail} }}",
        f"        PyArrayObject* xa = SYMC_A({xi});",
        "        const npy_intp isz = PyArray_ITEMSIZE(xa), s0 = PyArray_STRIDE(xa, 0);",
        "        npy_intp row = isz;",
        f"        for (int d = 1; d < {nd}; d++) row *= PyArray_DIM(xa, d);",
        f"        char* dst = SYMC_DATA({out});",
        "        const char* src = PyArray_BYTES(xa);",
        "        if (row > 0) {",
    ]
    if nd == 1:
        CT = c_type(x.type.dtype)
        L += [
            "            for (npy_intp k = 0; k < ni; k++) { npy_int64 v = ip(k); if (v < 0) v += "
            "n0;",
            f"                (({CT}*)dst)[k] = *(const {CT}*)(src + v * s0); }}",
        ]
    else:
        L += [
            "            for (npy_intp k = 0; k < ni; k++) {",
            "                npy_int64 v = ip(k); if (v < 0) v += n0;",
            f"                symc_copy_block(dst + k * row, src + v * s0, {nd - 1}, "
            "PyArray_DIMS(xa) + 1,"
            " PyArray_STRIDES(xa) + 1, isz);",
            "            }",
        ]
    L += ["        }", "        #undef ip"]
    return "\n".join(L)


@register_c_impl(AdvancedIncSubtensor1)
def advanced_inc_subtensor1_c(op: AdvancedIncSubtensor1, node, ctx: NodeContext) -> str | None:
    x, y, i = node.inputs
    xdt, ydt = x.type.dtype, y.type.dtype
    if not native(xdt, ydt, i.type.dtype):
        return None
    ctx.add_support("symc_common", COMMON_C)
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    xi, yi, ii = ctx.inputs
    out = ctx.outputs[0]
    nd = x.ndim
    L = []
    if op.inplace:
        # NumPy refuses to write into a read-only array; so does the in-place update
        L.append(
            f"        if (!PyArray_ISWRITEABLE(SYMC_A({xi}))) {{ PyErr_Format(PyExc_ValueError,"
            f' "%s: {c_text(str(op))}: the destination x is read-only (in-place update)",'
            f" {ctx.desc}); {ctx.fail} }}"
        )
        L.append(f"        {out} = {xi}; Py_INCREF({out});")
    else:
        L.append(
            f"        {out} = PyArray_NewCopy(SYMC_A({xi}), NPY_CORDER); if (!{out}) {ctx.fail}"
        )
    L.append(f"        PyObject* const xo = {out};")
    L.append(f"        const npy_intp ni = PyArray_DIM(SYMC_A({ii}), 0);")
    L.append(f"        PyObject* yv = {yi}; Py_INCREF(yv);")
    if op.inplace:
        L.append(
            f"        if (symc_may_overlap(yv, xo)) {{ Py_DECREF(yv); yv = "
            f"PyArray_NewCopy(SYMC_A({yi}), NPY_CORDER);"
            f" if (!yv) {{ {ctx.fail} }} }}"
        )
    # the region is x[indices] of shape (ni,) + x.shape[1:]: dimension 0 walks the indices
    L.append(
        f"        npy_intp rdims[{nd}], rstrides[{nd}]; char* rdata = PyArray_BYTES(SYMC_A(xo)); "
        "int rempty = 0;"
    )
    L.append("        rdims[0] = ni; rstrides[0] = 0;")
    for d in range(1, nd):
        L.append(
            f"        rdims[{d}] = PyArray_DIM(SYMC_A(xo), {d}); rstrides[{d}] = "
            f"PyArray_STRIDE(SYMC_A(xo), {d});"
        )
    L.append("        for (int d = 0; d < " + str(nd) + "; d++) if (rdims[d] == 0) rempty = 1;")
    target = ['char idesc[] = "[indices]";']
    check, loops = apply_region(ctx, nd, ydt, xdt, y.ndim, op.set_instead_of_inc, str(op), target)
    # row k of the region starts at row ip(k) of x
    s0 = "PyArray_STRIDE(SYMC_A(xo), 0)"
    loops = [
        ln.replace(
            "char* xb1 = xb0 + i0 * rstrides[0];",
            f"npy_int64 v0 = ip(i0); if (v0 < 0) v0 += n0; char* xb1 = xb0 + v0 * {s0};",
        )
        for ln in loops
    ]
    indices = _check_indices(ctx, node, ii, "xo", str(op))[1:]
    # NumPy's order: x[i] = y checks the value's shape first, np.add.at the indices first
    body = check + indices if op.set_instead_of_inc else indices + check
    L += [ln.replace(ctx.fail, f"{{ Py_DECREF(yv); {ctx.fail} }}") for ln in body + loops]
    L += ["        Py_DECREF(yv);", "        #undef ip"]
    return "\n".join(L)
