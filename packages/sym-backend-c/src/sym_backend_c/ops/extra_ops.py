"""C code for ``CumOp`` (``cumsum``/``cumprod`` along an axis, or over the flattened input
for ``axis=None``): sequential like NumPy's, in the output dtype (integers wrap around)."""

from __future__ import annotations

from symcore.tensor.extra_ops import CumOp

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import native, wrap_type


@register_c_impl(CumOp)
def cumop_c(op: CumOp, node, ctx: NodeContext) -> str | None:
    x = node.inputs[0]
    dt = node.outputs[0].type.dtype
    if not native(x.type.dtype, dt) or dt == "bool":
        return None
    xi, out = ctx.inputs[0], ctx.outputs[0]
    T = c_type(dt)
    W = wrap_type(dt)
    sym = "+" if op.mode == "add" else "*"
    if op.axis is None:
        groups = [
            "        const npy_intp outer = 1, inner = 1, n = PyArray_SIZE(xc);",
            f"        {out} = PyArray_EMPTY(1, (npy_intp*)&n, {npy_typenum(dt)}, 0);",
        ]
    else:
        a = op.axis
        groups = [
            "        npy_intp outer = 1, inner = 1;",
            f"        for (int d = 0; d < {a}; d++) outer *= PyArray_DIM(xc, d);",
            f"        for (int d = {a + 1}; d < {x.ndim}; d++) inner *= PyArray_DIM(xc, d);",
            f"        const npy_intp n = PyArray_DIM(xc, {a});",
            f"        {out} = PyArray_EMPTY({x.ndim}, PyArray_DIMS(xc), {npy_typenum(dt)}, 0);",
        ]
    L = [
        f"        PyArrayObject* xc = (PyArrayObject*)PyArray_FromArray(SYMC_A({xi}),"
        f" PyArray_DescrFromType({npy_typenum(dt)}),"
        " NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);",
        f"        if (!xc) {ctx.fail}",
        *groups,
        f"        if (!{out}) {{ Py_DECREF(xc); {ctx.fail} }}",
        f"        const {T}* X = (const {T}*)PyArray_DATA(xc); {T}* O = ({T}*)SYMC_DATA({out});",
        "        if (n > 0)",
        "        for (npy_intp r = 0; r < outer; r++) {",
        "            const npy_intp b = r * n * inner;",
        "            for (npy_intp i = 0; i < inner; i++) O[b + i] = X[b + i];",
        "            for (npy_intp j = 1; j < n; j++)",
        "                for (npy_intp i = 0; i < inner; i++) {",
        "                    const npy_intp k = b + j * inner + i;",
        f"                    O[k] = ({T})(({W})O[k - inner] {sym} ({W})X[k]);",
        "                }",
        "        }",
        "        Py_DECREF(xc);",
    ]
    return "\n".join(L)
