"""C code for the shape Ops: ``Shape``, ``Shape_i``, ``MakeVector``, ``Reshape`` (a view
when NumPy can make one, else a copy; one -1 entry), ``SpecifyShape`` and ``Rebroadcast``
(the input itself after a run-time check, as their ``perform``)."""

from __future__ import annotations

import numpy as np
from symcore.tensor.shape import MakeVector, Rebroadcast, Reshape, Shape, Shape_i, SpecifyShape

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import native

DIMS_STR_C = r"""
/* "(2, 3)" (Python's tuple spelling) for n sizes, in buf. */
static const char* symc_dims_str(const npy_intp* d, int n, char* buf, size_t len) {
    size_t pos = 0;
    pos += snprintf(buf + pos, len - pos, "(");
    for (int i = 0; i < n && pos < len; i++)
        pos += snprintf(buf + pos, len - pos, i ? ", %ld" : "%ld", (long)d[i]);
    if (n == 1 && pos < len) pos += snprintf(buf + pos, len - pos, ",");
    if (pos < len) snprintf(buf + pos, len - pos, ")");
    return buf;
}
"""


def _read_vector(ctx: NodeContext, src: str, dtype: str, n: int, dst: str) -> list[str]:
    """C lines reading the integer vector ``src`` (length ``n``, any stride) into the
    ``npy_intp`` array ``dst``."""
    return [
        f"        npy_intp {dst}[{max(n, 1)}];",
        f"        for (int k = 0; k < {n}; k++) {dst}[k] = (npy_intp)*({c_type(dtype)}*)"
        f"(SYMC_DATA({src}) + k * PyArray_STRIDE(SYMC_A({src}), 0));",
    ]


@register_c_impl(Shape)
def shape_c(op: Shape, node, ctx: NodeContext) -> str:
    x, out = ctx.inputs[0], ctx.outputs[0]
    nd = node.inputs[0].ndim
    return "\n".join(
        [
            f"        npy_intp n = {nd};",
            f"        {out} = PyArray_EMPTY(1, &n, NPY_INT64, 0); if (!{out}) {ctx.fail}",
            f"        for (int k = 0; k < {nd}; k++) ((npy_int64*)SYMC_DATA({out}))[k] = "
            f"PyArray_DIM(SYMC_A({x}), k);",
        ]
    )


@register_c_impl(Shape_i)
def shape_i_c(op: Shape_i, node, ctx: NodeContext) -> str:
    x, out = ctx.inputs[0], ctx.outputs[0]
    return "\n".join(
        [
            f"        {out} = PyArray_EMPTY(0, NULL, NPY_INT64, 0); if (!{out}) {ctx.fail}",
            f"        *(npy_int64*)SYMC_DATA({out}) = PyArray_DIM(SYMC_A({x}), {op.i});",
        ]
    )


@register_c_impl(MakeVector)
def make_vector_c(op: MakeVector, node, ctx: NodeContext) -> str | None:
    dt = op.dtype
    ins = [v.type.dtype for v in node.inputs]
    # values that might not fit (e.g. int64 into int8) raise in NumPy: leave them to perform
    if not native(dt, *ins) or not all(np.can_cast(d, dt, "safe") for d in ins):
        return None
    out = ctx.outputs[0]
    L = [
        f"        npy_intp n = {len(ins)};",
        f"        {out} = PyArray_EMPTY(1, &n, {npy_typenum(dt)}, 0); if (!{out}) {ctx.fail}",
        f"        {c_type(dt)}* p = ({c_type(dt)}*)SYMC_DATA({out});",
    ]
    for k, (v, d) in enumerate(zip(ctx.inputs, ins, strict=True)):
        L.append(f"        p[{k}] = ({c_type(dt)})*({c_type(d)}*)SYMC_DATA({v});")
    return "\n".join(L)


@register_c_impl(Reshape)
def reshape_c(op: Reshape, node, ctx: NodeContext) -> str | None:
    x, shp = ctx.inputs
    out = ctx.outputs[0]
    n = op.ndim
    sdt = node.inputs[1].type.dtype
    if not native(sdt):
        return None
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    L = [
        f"        if (PyArray_DIM(SYMC_A({shp}), 0) != {n}) {{",
        f"            npy_intp e[64]; const npy_intp ns = PyArray_DIM(SYMC_A({shp}), 0); char "
        "b[512];",
        "            for (int k = 0; k < ns && k < 64; k++)",
        f"                e[k] = (npy_intp)*({c_type(sdt)}*)(SYMC_DATA({shp}) + k * "
        f"PyArray_STRIDE(SYMC_A({shp}), 0));",
        f'            PyErr_Format(PyExc_ValueError, "%s: {op}: the shape argument %s has length '
        f'%ld, expected {n}",'
        f" {ctx.desc}, symc_dims_str(e, ns < 64 ? (int)ns : 64, b, 512), (long)ns); {ctx.fail}",
        "        }",
    ]
    L += _read_vector(ctx, shp, sdt, n, "d")
    L += [
        "        int unknown = -1, bad = 0; npy_intp known = 1;",
        f"        for (int k = 0; k < {n}; k++) {{",
        "            if (d[k] == -1) { if (unknown >= 0) bad = 1; unknown = k; }",
        "            else if (d[k] < 0) bad = 1; else known *= d[k];",
        "        }",
        f"        PyArrayObject* xa = SYMC_A({x});",
        "        const npy_intp size = PyArray_SIZE(xa);",
        "        char b1[256], b2[128];",
        f'        if (bad) {{ PyErr_Format(PyExc_ValueError, "%s: {op}: invalid target shape %s '
        "(at most one -1,"
        f' no other negative sizes)", {ctx.desc}, symc_dims_str(d, {n}, b1, 256)); {ctx.fail} }}',
        "        if (unknown >= 0 ? (known == 0 || size % known != 0) : known != size) {",
        f'            PyErr_Format(PyExc_ValueError, "%s: {op}: cannot reshape an array of shape '
        "%s (size %ld)"
        f' into shape %s", {ctx.desc}, symc_shape_str({x}, b2, 128), (long)size, symc_dims_str(d, '
        f"{n}, b1, 256));",
        f"            {ctx.fail}",
        "        }",
        "        if (unknown >= 0) d[unknown] = size / known;",
        f"        PyArray_Dims nd = {{d, {n}}};",
        f"        {out} = PyArray_Newshape(xa, &nd, NPY_CORDER); if (!{out}) {ctx.fail}",
    ]
    return "\n".join(L)


@register_c_impl(SpecifyShape)
def specify_shape_c(op: SpecifyShape, node, ctx: NodeContext) -> str | None:
    x, shp = ctx.inputs
    out = ctx.outputs[0]
    nd = node.inputs[0].ndim
    sdt = node.inputs[1].type.dtype
    if not native(sdt):
        return None
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    xdt = node.inputs[0].type.dtype
    L = [
        f"        const npy_intp ns = PyArray_DIM(SYMC_A({shp}), 0);",
        "        npy_intp d[64]; const int nr = ns < 64 ? (int)ns : 64;",
        "        for (int k = 0; k < nr; k++)",
        f"            d[k] = (npy_intp)*({c_type(sdt)}*)(SYMC_DATA({shp}) + k * "
        f"PyArray_STRIDE(SYMC_A({shp}), 0));",
        f"        int ok = ns == {nd};",
        f"        for (int k = 0; ok && k < {nd}; k++) ok = d[k] == PyArray_DIM(SYMC_A({x}), k);",
        "        if (!ok) {",
        "            char b1[128], b2[512];",
        '            PyErr_Format(PyExc_ValueError, "%s: SpecifyShape: the input has shape %s '
        f"(dtype {xdt}) but the"
        f' specified shape is %s", {ctx.desc}, symc_shape_str({x}, b1, 128), symc_dims_str(d, nr, '
        "b2, 512));",
        f"            {ctx.fail}",
        "        }",
        f"        Py_INCREF({x}); {out} = {x};",
    ]
    return "\n".join(L)


@register_c_impl(Rebroadcast)
def rebroadcast_c(op: Rebroadcast, node, ctx: NodeContext) -> str:
    x, out = ctx.inputs[0], ctx.outputs[0]
    xdt = node.inputs[0].type.dtype
    L = []
    for a, b in op.axis:
        if b:
            L.append(
                f"        if (PyArray_DIM(SYMC_A({x}), {a}) != 1) {{ char b1[128]; "
                "PyErr_Format(PyExc_ValueError,"
                f' "%s: {op}: dimension {a} of the input has length %ld but is declared '
                "broadcastable (length 1);"
                f' input shape %s, dtype {xdt}", {ctx.desc}, (long)PyArray_DIM(SYMC_A({x}), {a}),'
                f" symc_shape_str({x}, b1, 128)); {ctx.fail} }}"
            )
    L.append(f"        Py_INCREF({x}); {out} = {x};")
    return "\n".join(L)
