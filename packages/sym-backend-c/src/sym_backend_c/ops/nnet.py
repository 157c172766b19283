"""C code for the softmax family: ``Softmax``, ``LogSoftmax`` and ``SoftmaxGrad`` along one
axis (or over all elements), ``LogSumExp`` over any axes, and the cross-entropy Ops
``CrossentropyCategorical1Hot`` (+ its gradient) and ``CrossentropySoftmaxArgmax1HotWithBias``
for matrices of probabilities/logits.

Softmax is computed stably as its ``perform``: the group maximum is subtracted before
exponentiating (groups whose maximum is not finite are left unshifted), sums accumulate in
double precision, and rows (or column blocks, for an inner axis) are independent, so large
inputs run on OpenMP threads with results identical to one thread.
"""

from __future__ import annotations

from symcore.tensor.nnet.crossentropy import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    CrossentropySoftmaxArgmax1HotWithBias,
)
from symcore.tensor.nnet.softmax_ops import LogSoftmax, LogSumExp, Softmax, SoftmaxGrad

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import native
from sym_backend_c.ops.scalar_exprs import support_code


def _fn(name: str, dt: str) -> str:
    return name + ("f" if dt == "float32" else "")


def _group_dims(ctx: NodeContext, src: str, axis: int | None, nd: int) -> list[str]:
    """C lines: ``outer``, ``n`` (the softmax axis) and ``inner`` sizes of array ``src``."""
    if axis is None:
        return [f"        const npy_intp outer = 1, n = PyArray_SIZE(SYMC_A({src})), inner = 1;"]
    L = ["        npy_intp outer = 1, inner = 1;"]
    L.append(f"        for (int d = 0; d < {axis}; d++) outer *= PyArray_DIM(SYMC_A({src}), d);")
    L.append(
        f"        for (int d = {axis + 1}; d < {nd}; d++) inner *= PyArray_DIM(SYMC_A({src}), d);"
    )
    L.append(f"        const npy_intp n = PyArray_DIM(SYMC_A({src}), {axis});")
    return L


def _softmax_kernel(name: str, dt: str, log: bool, ctx: NodeContext) -> str:
    """``name(x, o, outer, n, inner)``: (log-)softmax over the middle index of contiguous data."""
    T = c_type(dt)
    exp, lg = _fn("exp", dt), _fn("log", dt)
    par = (
        f"#pragma omp parallel for if(outer * n * inner > {ctx.omp_min_size})" if ctx.openmp else ""
    )
    finish_row = (
        f"const {T} ls = ({T}){lg}(({T})s); for (npy_intp j = 0; j < n; j++) o[j] = (x[j] - m) - "
        "ls;"
        if log
        else f"const {T} t = ({T})s; for (npy_intp j = 0; j < n; j++) o[j] = o[j] / t;"
    )
    finish_col = (
        f"const {T} ls = ({T}){lg}(({T})s[i]); o[j * inner + i] = (x[j * inner + i] - m[i]) - ls;"
        if log
        else f"o[j * inner + i] = o[j * inner + i] / ({T})s[i];"
    )
    store = "" if log else "o[j] = e;"
    store_col = "" if log else "o[j * inner + i] = e;"
    return f"""
static int {name}(const {T}* restrict X, {T}* restrict O, npy_intp outer, npy_intp n, npy_intp
    inner) {{
    if (inner == 1) {{
        {par}
        for (npy_intp r = 0; r < outer; r++) {{
            const {T}* x = X + r * n; {T}* o = O + r * n;
            {T} m = x[0];
            for (npy_intp j = 1; j < n; j++) {{ const {T} v = x[j]; m = (m >= v || m != m) ? m :
                v; }}
            if (!isfinite(m)) m = 0;
            double s = 0;
            #pragma omp simd reduction(+:s)
            for (npy_intp j = 0; j < n; j++) {{ const {T} e = {exp}(x[j] - m); {store} s += e; }}
            {finish_row}
        }}
        return 0;
    }}
    int err = 0;
    {par}
    for (npy_intp r = 0; r < outer; r++) {{
        const {T}* x = X + r * n * inner; {T}* o = O + r * n * inner;
        {T}* m = ({T}*)malloc(inner * sizeof({T}));
        double* s = (double*)calloc(inner, sizeof(double));
        if (!m || !s) {{ free(m); free(s); err = 1; continue; }}
        for (npy_intp i = 0; i < inner; i++) m[i] = x[i];
        for (npy_intp j = 1; j < n; j++)
            for (npy_intp i = 0; i < inner; i++) {{ const {T} v = x[j * inner + i]; m[i] = (m[i]
                >= v || m[i] != m[i]) ? m[i] : v; }}
        for (npy_intp i = 0; i < inner; i++) if (!isfinite(m[i])) m[i] = 0;
        for (npy_intp j = 0; j < n; j++)
            #pragma omp simd
            for (npy_intp i = 0; i < inner; i++) {{ const {T} e = {exp}(x[j * inner + i] - m[i]);
                {store_col} s[i] += e; }}
        for (npy_intp j = 0; j < n; j++)
            for (npy_intp i = 0; i < inner; i++) {{ {finish_col} }}
        free(m); free(s);
    }}
    if (err) {{ PyErr_NoMemory(); return -1; }}
    return 0;
}}
"""


def _contig(ctx: NodeContext, src: str, dst: str, var, dtype: str) -> list[str]:
    """C lines: ``dst`` = C-contiguous ``src`` in ``dtype`` (a new reference; ``src`` itself
    when it already is)."""
    return [
        f"        PyArrayObject* {dst} = (PyArrayObject*)PyArray_FromArray(SYMC_A({src}),"
        f" PyArray_DescrFromType({npy_typenum(dtype)}), NPY_ARRAY_C_CONTIGUOUS | "
        "NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);",
        f"        if (!{dst}) {ctx.fail}",
    ]


def _softmax_c(op, node, ctx: NodeContext, log: bool) -> str | None:
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or node.inputs[0].type.dtype != dt:
        return None
    ctx.add_support("scalar_math", support_code())
    key = f"symc_{'log' if log else ''}softmax_{dt}_{int(ctx.openmp)}_{ctx.omp_min_size}"
    ctx.add_support(key, _softmax_kernel(key, dt, log, ctx))
    x, out = ctx.inputs[0], ctx.outputs[0]
    nd = node.inputs[0].ndim
    T = c_type(dt)
    L = _contig(ctx, x, "xc", node.inputs[0], dt)
    L.append(f"        {out} = PyArray_EMPTY({nd}, PyArray_DIMS(xc), {npy_typenum(dt)}, 0);")
    L.append(f"        if (!{out}) {{ Py_DECREF(xc); {ctx.fail} }}")
    L += _group_dims(ctx, x, op.axis, nd)
    L.append(
        f"        if (PyArray_SIZE(xc) > 0 && {key}((const {T}*)PyArray_DATA(xc), "
        f"({T}*)SYMC_DATA({out}),"
        f" outer, n, inner) < 0) {{ Py_DECREF(xc); {ctx.fail} }}"
    )
    L.append("        Py_DECREF(xc);")
    return "\n".join(L)


@register_c_impl(Softmax)
def softmax_c(op: Softmax, node, ctx: NodeContext) -> str | None:
    return _softmax_c(op, node, ctx, log=False)


@register_c_impl(LogSoftmax)
def log_softmax_c(op: LogSoftmax, node, ctx: NodeContext) -> str | None:
    return _softmax_c(op, node, ctx, log=True)


@register_c_impl(SoftmaxGrad)
def softmax_grad_c(op: SoftmaxGrad, node, ctx: NodeContext) -> str | None:
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or not native(*[v.type.dtype for v in node.inputs]):
        return None
    dy, sm = ctx.inputs
    out = ctx.outputs[0]
    nd = node.inputs[0].ndim
    T = c_type(dt)
    L = [
        f"        if (!PyArray_SAMESHAPE(SYMC_A({dy}), SYMC_A({sm}))) {{ char b1[128], b2[128];"
        f' PyErr_Format(PyExc_ValueError, "%s: {op}: dy of shape %s and sm of shape %s differ", '
        f"{ctx.desc},"
        f" symc_shape_str({dy}, b1, 128), symc_shape_str({sm}, b2, 128)); {ctx.fail} }}"
    ]
    L += _contig(ctx, dy, "dyc", node.inputs[0], dt)
    L += [
        ln.replace(ctx.fail, f"{{ Py_DECREF(dyc); {ctx.fail} }}")
        for ln in _contig(ctx, sm, "smc", node.inputs[1], dt)
    ]
    L.append(f"        {out} = PyArray_EMPTY({nd}, PyArray_DIMS(dyc), {npy_typenum(dt)}, 0);")
    L.append(f"        if (!{out}) {{ Py_DECREF(dyc); Py_DECREF(smc); {ctx.fail} }}")
    L += _group_dims(ctx, dy, op.axis, nd)
    L += [
        f"        const {T}* g = (const {T}*)PyArray_DATA(dyc); const {T}* p = (const "
        f"{T}*)PyArray_DATA(smc);",
        f"        {T}* o = ({T}*)SYMC_DATA({out});",
        "        if (PyArray_SIZE(dyc) > 0)",
        "        for (npy_intp r = 0; r < outer; r++)",
        "            for (npy_intp i = 0; i < inner; i++) {",
        "                const npy_intp b = r * n * inner + i;",
        "                double s = 0;",
        f"                for (npy_intp j = 0; j < n; j++) {{ const {T} d = g[b + j * inner] * "
        "p[b + j * inner];"
        " o[b + j * inner] = d; s += d; }",
        f"                const {T} st = ({T})s;",
        "                for (npy_intp j = 0; j < n; j++) o[b + j * inner] -= p[b + j * inner] * "
        "st;",
        "            }",
        "        Py_DECREF(dyc); Py_DECREF(smc);",
    ]
    return "\n".join(L)


def _labels_check(
    ctx: NodeContext,
    node,
    lab: str,
    lab_dt: str,
    nrows: str,
    ncls: str,
    lead_ok: str,
    who: str,
    decref: str,
) -> list[str]:
    """C lines checking the integer labels (shape and range), failing with ``decref`` run."""
    return [
        f'        if (!({lead_ok})) {{ char b1[128]; PyErr_Format(PyExc_ValueError, "%s: {who}: '
        "labels of shape %s do"
        f' not match the leading shape of the distributions", {ctx.desc}, symc_shape_str({lab}, '
        "b1, 128));"
        f" {decref} {ctx.fail} }}",
        f"        const char* lb = SYMC_DATA({lab});",
        f"        const npy_intp ls0 = PyArray_NDIM(SYMC_A({lab})) ? "
        f"PyArray_STRIDE(SYMC_A({lab}), 0) : 0;",
        f"        for (npy_intp r = 0; r < {nrows}; r++) {{",
        f"            const npy_int64 v = (npy_int64)*(const {c_type(lab_dt)}*)(lb + r * ls0);",
        f'            if (v < 0 || v >= {ncls}) {{ PyErr_Format(PyExc_IndexError, "%s: {who}: '
        "label %lld is out of"
        f' bounds for %ld classes", {ctx.desc}, (long long)v, (long){ncls}); {decref} {ctx.fail} '
        f"}}",
        "        }",
    ]


@register_c_impl(CrossentropyCategorical1Hot)
def crossentropy_1hot_c(op, node, ctx: NodeContext) -> str | None:
    coding, labels = node.inputs
    dt = coding.type.dtype
    if dt not in ("float32", "float64") or coding.ndim != 2 or not native(labels.type.dtype):
        return None  # other ranks run perform
    ci, li = ctx.inputs
    out = ctx.outputs[0]
    T = c_type(dt)
    L = _labels_check(
        ctx,
        node,
        li,
        labels.type.dtype,
        "R",
        "C",
        f"PyArray_DIM(SYMC_A({li}), 0) == R",
        "CrossentropyCategorical1Hot",
        "",
    )
    L = [
        f"        const npy_intp R = PyArray_DIM(SYMC_A({ci}), 0), C = PyArray_DIM(SYMC_A({ci}), "
        "1);"
    ] + L
    L += [
        f"        {out} = PyArray_EMPTY(1, (npy_intp*)&R, {npy_typenum(dt)}, 0); if (!{out}) "
        f"{ctx.fail}",
        f"        const char* cb = SYMC_DATA({ci}); const npy_intp cs0 = "
        f"PyArray_STRIDE(SYMC_A({ci}), 0),"
        f" cs1 = PyArray_STRIDE(SYMC_A({ci}), 1);",
        "        for (npy_intp r = 0; r < R; r++) {",
        f"            const npy_int64 v = (npy_int64)*(const {c_type(labels.type.dtype)}*)(lb + r "
        "* ls0);",
        f"            (({T}*)SYMC_DATA({out}))[r] = -{_fn('log', dt)}(*(const {T}*)(cb + r * cs0 "
        "+ v * cs1));",
        "        }",
    ]
    return "\n".join(L)


@register_c_impl(CrossentropySoftmaxArgmax1HotWithBias)
def crossentropy_softmax_c(op, node, ctx: NodeContext) -> str | None:
    x, b, y = node.inputs
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or not native(x.type.dtype, b.type.dtype, y.type.dtype):
        return None
    ctx.add_support("scalar_math", support_code())
    xi, bi, yi = ctx.inputs
    nll, sm, am = ctx.outputs
    T = c_type(dt)
    exp, lg = _fn("exp", dt), _fn("log", dt)
    who = "CrossentropySoftmaxArgmax1HotWithBias"
    L = [
        f"        const npy_intp R = PyArray_DIM(SYMC_A({xi}), 0), C = PyArray_DIM(SYMC_A({xi}), "
        "1);",
        f"        const npy_intp nb = PyArray_DIM(SYMC_A({bi}), 0);",
        f"        if (nb != 1 && nb != C) {{ char b1[128], b2[128]; "
        f'PyErr_Format(PyExc_ValueError, "%s: {who}: bias of'
        f' shape %s does not match x of shape %s", {ctx.desc}, symc_shape_str({bi}, b1, 128),'
        f" symc_shape_str({xi}, b2, 128)); {ctx.fail} }}",
        f'        if (C == 0) {{ char b1[128]; PyErr_Format(PyExc_ValueError, "%s: {who}: x of '
        'shape %s has no classes",'
        f" {ctx.desc}, symc_shape_str({xi}, b1, 128)); {ctx.fail} }}",
    ]
    L += _labels_check(
        ctx, node, yi, y.type.dtype, "R", "C", f"PyArray_DIM(SYMC_A({yi}), 0) == R", who, ""
    )
    L += _contig(ctx, xi, "xc", x, dt)
    L += [
        ln.replace(ctx.fail, f"{{ Py_DECREF(xc); {ctx.fail} }}")
        for ln in _contig(ctx, bi, "bc", b, dt)
    ]
    L += [
        "        npy_intp dims2[2] = {R, C};",
        f"        {nll} = PyArray_EMPTY(1, (npy_intp*)&R, {npy_typenum(dt)}, 0);",
        f"        {sm} = PyArray_EMPTY(2, dims2, {npy_typenum(dt)}, 0);",
        f"        {am} = PyArray_EMPTY(1, (npy_intp*)&R, NPY_INT64, 0);",
        f"        if (!{nll} || !{sm} || !{am}) {{ Py_DECREF(xc); Py_DECREF(bc); {ctx.fail} }}",
        f"        const {T}* X = (const {T}*)PyArray_DATA(xc); const {T}* B = (const "
        f"{T}*)PyArray_DATA(bc);",
        f"        {T}* S = ({T}*)SYMC_DATA({sm}); {T}* N = ({T}*)SYMC_DATA({nll});"
        f" npy_int64* A = (npy_int64*)SYMC_DATA({am});",
        "        const npy_intp bst = nb == 1 ? 0 : 1;",
        "        for (npy_intp r = 0; r < R; r++) {",
        f"            const {T}* x = X + r * C; {T}* s = S + r * C;",
        "            /* z = x + b (kept in s); max with NaN propagation; argmax: first max or "
        "first NaN */",
        f"            {T} m = x[0] + B[0]; npy_int64 k = 0;",
        "            for (npy_intp j = 0; j < C; j++) {",
        f"                const {T} z = x[j] + B[j * bst]; s[j] = z;",
        "                if (j && (z > m || (z != z && m == m))) { m = z; k = j; }",
        "            }",
        "            A[r] = k;",
        f"            const {T} mm = isfinite(m) ? m : 0;",
        "            double t = 0;",
        f"            for (npy_intp j = 0; j < C; j++) t += {exp}(s[j] - mm);",
        f"            const {T} lt = ({T}){lg}(({T})t);",
        f"            const npy_int64 v = (npy_int64)*(const {c_type(y.type.dtype)}*)(lb + r * "
        "ls0);",
        "            N[r] = -((s[v] - mm) - lt);",
        f"            for (npy_intp j = 0; j < C; j++) s[j] = {exp}((s[j] - mm) - lt);",
        "        }",
        "        Py_DECREF(xc); Py_DECREF(bc);",
    ]
    return "\n".join(L)


@register_c_impl(LogSumExp)
def logsumexp_c(op: LogSumExp, node, ctx: NodeContext) -> str | None:
    dt = node.outputs[0].type.dtype
    x = node.inputs[0]
    if dt not in ("float32", "float64") or x.type.dtype != dt:
        return None
    ctx.add_support("scalar_math", support_code())
    xi, out = ctx.inputs[0], ctx.outputs[0]
    T = c_type(dt)
    axes = list(op.axis)
    kept = [d for d in range(x.ndim) if d not in axes]
    perm = kept + axes
    if op.keepdims:
        dims = [("1" if d in axes else f"PyArray_DIM(SYMC_A({xi}), {d})") for d in range(x.ndim)]
    else:
        dims = [f"PyArray_DIM(SYMC_A({xi}), {d})" for d in kept]
    exp, lg = _fn("exp", dt), _fn("log", dt)
    rows = " * ".join(f"PyArray_DIM(SYMC_A({xi}), {d})" for d in kept) or "1"
    p = ", ".join(str(d) for d in perm) or "0"
    L = [
        f"        npy_intp odims[{max(len(dims), 1)}] = {{{', '.join(dims) or '0'}}};",
        f"        {out} = PyArray_EMPTY({len(dims)}, odims, {npy_typenum(dt)}, 0); if (!{out}) "
        f"{ctx.fail}",
        f"        {T}* o = ({T}*)SYMC_DATA({out});",
        f"        const npy_intp K = {rows};",
        f"        if (PyArray_SIZE(SYMC_A({xi})) == 0) {{",
        "            for (npy_intp k = 0; k < PyArray_SIZE(SYMC_A("
        + out
        + ")); k++) o[k] = -INFINITY;",
        "        } else {",
        f"            npy_intp perm[{max(len(perm), 1)}] = {{{p}}};",
        f"            PyArray_Dims pd = {{perm, {len(perm)}}};",
        f"            PyObject* xt = PyArray_Transpose(SYMC_A({xi}), &pd); if (!xt) {ctx.fail}",
        "            PyArrayObject* xc = (PyArrayObject*)PyArray_FromArray((PyArrayObject*)xt, "
        "NULL,"
        " NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);",
        f"            Py_DECREF(xt); if (!xc) {ctx.fail}",
        f"            const npy_intp R = PyArray_SIZE(xc) / K; const {T}* X = (const "
        f"{T}*)PyArray_DATA(xc);",
        "            for (npy_intp k = 0; k < K; k++) {",
        f"                const {T}* q = X + k * R; {T} m = q[0];",
        "                for (npy_intp j = 1; j < R; j++) { const " + T + " v = q[j];"
        " m = (m >= v || m != m) ? m : v; }",
        "                if (!isfinite(m)) m = 0;",
        "                double s = 0;",
        "                #pragma omp simd reduction(+:s)",
        f"                for (npy_intp j = 0; j < R; j++) s += {exp}(q[j] - m);",
        f"                o[k] = ({T}){lg}(({T})s) + m;",
        "            }",
        "            Py_DECREF(xc);",
        "        }",
    ]
    return "\n".join(L)


@register_c_impl(CrossentropyCategorical1HotGrad)
def crossentropy_1hot_grad_c(op, node, ctx: NodeContext) -> str | None:
    g, coding, labels = node.inputs
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or coding.ndim != 2 or g.ndim != 1:
        return None  # other ranks run perform
    if not native(g.type.dtype, coding.type.dtype, labels.type.dtype):
        return None
    gi, ci, li = ctx.inputs
    out = ctx.outputs[0]
    T, G, C = c_type(dt), c_type(g.type.dtype), c_type(coding.type.dtype)
    who = "CrossentropyCategorical1HotGrad"
    L = [
        f"        const npy_intp R = PyArray_DIM(SYMC_A({ci}), 0), C = PyArray_DIM(SYMC_A({ci}), "
        "1);",
        *_labels_check(
            ctx,
            node,
            li,
            labels.type.dtype,
            "R",
            "C",
            f"PyArray_DIM(SYMC_A({li}), 0) == R",
            who,
            "",
        ),
        f"        const npy_intp ng = PyArray_DIM(SYMC_A({gi}), 0);",
        f"        if (ng != R && ng != 1) {{ char b1[128], b2[128]; PyErr_Format(PyExc_ValueError,"
        f' "%s: {who}: g_y of shape %s cannot be broadcast to the labels\' shape %s", {ctx.desc},'
        f" symc_shape_str({gi}, b1, 128), symc_shape_str({li}, b2, 128)); {ctx.fail} }}",
        f"        {out} = PyArray_ZEROS(2, PyArray_DIMS(SYMC_A({ci})), {npy_typenum(dt)}, 0);"
        f" if (!{out}) {ctx.fail}",
        f"        {T}* o = ({T}*)SYMC_DATA({out});",
        f"        const char* cb = SYMC_DATA({ci}); const npy_intp cs0 = "
        f"PyArray_STRIDE(SYMC_A({ci}), 0),"
        f" cs1 = PyArray_STRIDE(SYMC_A({ci}), 1);",
        f"        const char* gb = SYMC_DATA({gi}); const npy_intp gs = ng == 1 ? 0 :"
        f" PyArray_STRIDE(SYMC_A({gi}), 0);",
        "        for (npy_intp r = 0; r < R; r++) {",
        f"            const npy_int64 v = (npy_int64)*(const {c_type(labels.type.dtype)}*)(lb + r "
        "* ls0);",
        f"            const {T} gv = ({T})*(const {G}*)(gb + r * gs);",
        f"            const {T} cv = ({T})*(const {C}*)(cb + r * cs0 + v * cs1);",
        "            o[r * C + v] = -gv / cv;",
        "        }",
    ]
    return "\n".join(L)
