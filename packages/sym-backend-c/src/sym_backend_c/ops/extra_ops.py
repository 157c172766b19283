"""C code for ``CumOp`` (``cumsum``/``cumprod`` along an axis, or over the flattened input
for ``axis=None``): sequential like NumPy's, in the output dtype (integers wrap around), and for its
gradient ``CumprodGrad`` (float32/float64)."""

from __future__ import annotations

from symcore.tensor.extra_ops import CumOp, CumprodGrad

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


@register_c_impl(CumprodGrad)
def cumprod_grad_c(op: CumprodGrad, node, ctx: NodeContext) -> str | None:
    """The gradient of ``cumprod`` without division (exact at zeros), as ``perform``:
    ``out_i = prod(x_0..x_{i-1}) * s_i`` with ``s_{n-1} = g_{n-1}``,
    ``s_i = g_i + x_{i+1} s_{i+1}``; float inputs and gradient of one dtype."""
    x, g = node.inputs
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or x.type.dtype != dt or g.type.dtype != dt:
        return None
    xi, gi = ctx.inputs
    out = ctx.outputs[0]
    T = c_type(dt)
    flags = "NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED"
    if op.axis is None:
        same = f"PyArray_SIZE(SYMC_A({gi})) == PyArray_SIZE(SYMC_A({xi}))"
        lanes = [
            "        npy_intp outer = 1, inner = 1; const npy_intp n = PyArray_SIZE(xc);",
        ]
    else:
        same = f"PyArray_SAMESHAPE(SYMC_A({gi}), SYMC_A({xi}))"
        a = op.axis
        lanes = [
            f"        npy_intp outer = 1, inner = 1; const npy_intp n = PyArray_DIM(xc, {a});",
            f"        for (int d = 0; d < {a}; d++) outer *= PyArray_DIM(xc, d);",
            f"        for (int d = {a + 1}; d < {x.ndim}; d++) inner *= PyArray_DIM(xc, d);",
        ]
    L = [
        f"        if (!({same})) {{ char b1[128], b2[128]; PyErr_Format(PyExc_ValueError,"
        f' "%s: CumprodGrad: the gradient has shape %s, the input %s", {ctx.desc},'
        f" symc_shape_str({gi}, b1, 128), symc_shape_str({xi}, b2, 128)); {ctx.fail} }}",
        f"        PyArrayObject* xc = (PyArrayObject*)PyArray_FromArray(SYMC_A({xi}), NULL,"
        f" {flags});",
        f"        if (!xc) {ctx.fail}",
        f"        PyArrayObject* gc = (PyArrayObject*)PyArray_FromArray(SYMC_A({gi}), NULL,"
        f" {flags});",
        f"        if (!gc) {{ Py_DECREF(xc); {ctx.fail} }}",
        *lanes,
        f"        {out} = PyArray_EMPTY({x.ndim}, PyArray_DIMS(xc), {npy_typenum(dt)}, 0);",
        f"        {T}* E = ({T}*)malloc((inner > 0 ? inner : 1) * sizeof({T}));",
        f"        if (!{out} || !E) {{ free(E); Py_DECREF(xc); Py_DECREF(gc);"
        f" if ({out}) PyErr_NoMemory(); {ctx.fail} }}",
        f"        const {T}* X = (const {T}*)PyArray_DATA(xc);"
        f" const {T}* G = (const {T}*)PyArray_DATA(gc); {T}* O = ({T}*)SYMC_DATA({out});",
        "        if (n > 0)",
        "        for (npy_intp r = 0; r < outer; r++) {",
        "            const npy_intp b = r * n * inner;",
        "            for (npy_intp i = 0; i < inner; i++) O[b + (n - 1) * inner + i] ="
        " G[b + (n - 1) * inner + i];",
        "            for (npy_intp j = n - 2; j >= 0; j--)",
        "                for (npy_intp i = 0; i < inner; i++) {",
        "                    const npy_intp k = b + j * inner + i;",
        "                    O[k] = G[k] + X[k + inner] * O[k + inner];",
        "                }",
        "            for (npy_intp i = 0; i < inner; i++) E[i] = 1;",
        "            for (npy_intp j = 0; j < n; j++)",
        "                for (npy_intp i = 0; i < inner; i++) {",
        "                    const npy_intp k = b + j * inner + i;",
        "                    O[k] = E[i] * O[k]; E[i] = E[i] * X[k];",
        "                }",
        "        }",
        "        free(E); Py_DECREF(xc); Py_DECREF(gc);",
    ]
    return "\n".join(L)
