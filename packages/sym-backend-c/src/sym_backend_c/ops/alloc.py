"""C code for the Ops that make arrays: ``Alloc`` (a value broadcast to a shape),
``AllocEmpty``, ``ARange`` (NumPy's own ``arange`` routine, so values and lengths are
exactly ``numpy.arange``'s), ``Eye``, ``Tri``, ``TriangularPart`` (``tril``/``triu``),
``Join`` (``concatenate``) and its inverse ``Split`` (views of the input)."""

from __future__ import annotations

from symcore.tensor.alloc import Alloc, AllocEmpty, ARange, Eye, Tri, TriangularPart
from symcore.tensor.join import Join, Split

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import COMMON_C, native, read_int
from sym_backend_c.ops.shape import DIMS_STR_C


def _read_shape(ctx: NodeContext, node, first: int, who: str) -> list[str]:
    """C lines reading the shape inputs ``first..`` into ``dims`` (checked non-negative)."""
    n = len(node.inputs) - first
    L = [f"        npy_intp dims[{max(n, 1)}];"]
    for k in range(n):
        j = first + k
        L.append(
            f"        dims[{k}] = (npy_intp){read_int(ctx.inputs[j], node.inputs[j].type.dtype)};"
        )
    L.append(
        f"        for (int k = 0; k < {n}; k++) if (dims[k] < 0) {{ char b[256]; "
        "PyErr_Format(PyExc_ValueError,"
        f' "%s: {who}: negative dimension in shape %s", {ctx.desc}, symc_dims_str(dims, {n}, b, '
        f"256)); {ctx.fail} }}"
    )
    return L


@register_c_impl(Alloc)
def alloc_c(op: Alloc, node, ctx: NodeContext) -> str | None:
    v = node.inputs[0]
    dt = v.type.dtype
    if not native(*[s.type.dtype for s in node.inputs[1:]]):
        return None
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    nd = len(node.inputs) - 1
    n_new = nd - v.ndim
    vi, out = ctx.inputs[0], ctx.outputs[0]
    L = _read_shape(ctx, node, 1, "Alloc")
    for j in range(v.ndim):
        bc = v.type.broadcastable[j]
        vs = f"PyArray_DIM(SYMC_A({vi}), {j})"
        cond = f"{vs} != dims[{n_new + j}]" + (f" && {vs} != 1" if bc else "")
        hint = "" if bc else ("%s")
        L.append(
            f'        if ({cond}) {{ char b1[128], b2[256]; PyErr_Format(PyExc_ValueError, "%s: '
            "Alloc: cannot "
            f"broadcast a value of shape %s to shape %s: dimension {n_new + j} has length %ld in "
            "the value and "
            f'%ld in the shape{hint}", {ctx.desc}, symc_shape_str({vi}, b1, 128), '
            f"symc_dims_str(dims, {nd}, b2, 256),"
            f" (long){vs}, (long)dims[{n_new + j}]"
            + (
                ""
                if bc
                else f', {vs} == 1 ? " (runtime broadcasting of a dimension not marked '
                "broadcastable is "
                'not allowed)" : ""'
            )
            + f"); {ctx.fail} }}"
        )
    L.append(f"        {ctx.alloc(0, nd, 'dims', npy_typenum(dt))}")
    L.append(f"        const npy_intp n = PyArray_SIZE(SYMC_A({out}));")
    if native(dt):
        CT = c_type(dt)
        L += [
            f"        if (PyArray_SIZE(SYMC_A({vi})) == 1) {{",
            f"            const {CT} val = *({CT}*)SYMC_DATA({vi});",
            f"            {CT}* o = ({CT}*)SYMC_DATA({out});",
            f"            if (val == 0) memset(o, 0, n * sizeof({CT}));  /* -0.0 gives +0.0, as "
            "NumPy's zeros */",
            "            else for (npy_intp i = 0; i < n; i++) o[i] = val;",
            "        } else if (n > 0) {",
            f"            if (PyArray_CopyInto(SYMC_A({out}), SYMC_A({vi})) < 0) {ctx.fail}",
            "        }",
        ]
    else:
        L.append(
            f"        if (n > 0 && PyArray_CopyInto(SYMC_A({out}), SYMC_A({vi})) < 0) {ctx.fail}"
        )
    return "\n".join(L)


@register_c_impl(AllocEmpty)
def alloc_empty_c(op: AllocEmpty, node, ctx: NodeContext) -> str | None:
    if not native(*[s.type.dtype for s in node.inputs]):
        return None
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    L = _read_shape(ctx, node, 0, "AllocEmpty")
    L.append(f"        {ctx.alloc(0, len(node.inputs), 'dims', npy_typenum(op.dtype))}")
    return "\n".join(L)


@register_c_impl(ARange)
def arange_c(op: ARange, node, ctx: NodeContext) -> str | None:
    dts = [v.type.dtype for v in node.inputs]
    if not native(*dts):
        return None
    a, b, s = ctx.inputs
    out = ctx.outputs[0]
    return "\n".join(
        [
            f"        if ({'*(' + c_type(dts[2]) + '*)SYMC_DATA(' + s + ')'} == 0) {{",
            '            PyErr_Format(PyExc_ValueError, "%s: ARange: step must not be zero", '
            + ctx.desc
            + ");",
            f"            {ctx.fail}",
            "        }",
            f"        PyObject* pa = PyArray_GETITEM(SYMC_A({a}), SYMC_DATA({a}));",
            f"        PyObject* pb = pa ? PyArray_GETITEM(SYMC_A({b}), SYMC_DATA({b})) : NULL;",
            f"        PyObject* ps = pb ? PyArray_GETITEM(SYMC_A({s}), SYMC_DATA({s})) : NULL;",
            f"        PyArray_Descr* descr = PyArray_DescrFromType({npy_typenum(op.dtype)});",
            f"        if (ps && descr) {out} = PyArray_ArangeObj(pa, pb, ps, descr);",
            "        Py_XDECREF(pa); Py_XDECREF(pb); Py_XDECREF(ps); Py_XDECREF(descr);",
            f"        if (!{out}) {ctx.fail}",
        ]
    )


def _matrix_maker(op, node, ctx: NodeContext, body: str) -> str | None:
    if not native(op.dtype, *[v.type.dtype for v in node.inputs]):
        return None
    n, m, k = (read_int(ctx.inputs[j], node.inputs[j].type.dtype) for j in range(3))
    out = ctx.outputs[0]
    CT = c_type(op.dtype)
    name = type(op).__name__
    return "\n".join(
        [
            f"        const npy_int64 n = {n}, m = {m}, k = {k};",
            f'        if (n < 0 || m < 0) {{ PyErr_Format(PyExc_ValueError, "%s: {name}: negative '
            "dimensions n=%lld,"
            f' m=%lld", {ctx.desc}, (long long)n, (long long)m); {ctx.fail} }}',
            "        npy_intp dims[2] = {(npy_intp)n, (npy_intp)m};",
            f"        {ctx.alloc(0, 2, 'dims', npy_typenum(op.dtype), zero=True)}",
            f"        {CT}* o = ({CT}*)SYMC_DATA({out});",
            body,
        ]
    )


@register_c_impl(Eye)
def eye_c(op: Eye, node, ctx: NodeContext) -> str | None:
    body = (
        "        for (npy_int64 i = k < 0 ? -k : 0; i < n && i + k < m; i++) o[i * m + i + k] = 1;"
    )
    return _matrix_maker(op, node, ctx, body)


@register_c_impl(Tri)
def tri_c(op: Tri, node, ctx: NodeContext) -> str | None:
    body = (
        "        for (npy_int64 i = 0; i < n; i++) {\n"
        "            npy_int64 hi = i + k + 1; if (hi > m) hi = m;\n"
        "            for (npy_int64 j = 0; j < hi; j++) o[i * m + j] = 1;\n"
        "        }"
    )
    return _matrix_maker(op, node, ctx, body)


@register_c_impl(TriangularPart)
def triangular_part_c(op: TriangularPart, node, ctx: NodeContext) -> str | None:
    if not native(node.inputs[1].type.dtype):
        return None
    mi, ki = ctx.inputs
    out = ctx.outputs[0]
    nd = node.inputs[0].ndim
    drop = "j > i + k" if op.lower else "j < i + k"
    return "\n".join(
        [
            f"        const npy_int64 k = {read_int(ki, node.inputs[1].type.dtype)};",
            f"        {out} = PyArray_NewCopy(SYMC_A({mi}), NPY_CORDER); if (!{out}) {ctx.fail}",
            f"        const npy_intp R = PyArray_DIM(SYMC_A({out}), {nd - 2}), C = "
            f"PyArray_DIM(SYMC_A({out}), {nd - 1});",
            f"        const npy_intp isz = PyArray_ITEMSIZE(SYMC_A({out}));",
            f"        const npy_intp nmat = R * C > 0 ? PyArray_SIZE(SYMC_A({out})) / (R * C) : 0;",
            f"        char* base = SYMC_DATA({out});",
            "        for (npy_intp t = 0; t < nmat; t++)",
            "            for (npy_intp i = 0; i < R; i++)",
            "                for (npy_intp j = 0; j < C; j++)",
            f"                    if ({drop}) memset(base + ((t * R + i) * C + j) * isz, 0, isz);",
        ]
    )


@register_c_impl(Join)
def join_c(op: Join, node, ctx: NodeContext) -> str | None:
    axis, *ts = node.inputs
    out_dt = node.outputs[0].type.dtype
    if not native(axis.type.dtype):
        return None
    ctx.add_support("symc_common", COMMON_C)
    nd = ts[0].ndim
    ins = ctx.inputs[1:]
    out = ctx.outputs[0]
    n = len(ins)
    L = [
        f"        npy_int64 ax = {read_int(ctx.inputs[0], axis.type.dtype)};",
        f'        if (ax < -{nd} || ax >= {nd}) {{ PyErr_Format(PyExc_ValueError, "%s: Join: axis '
        "%lld is out of "
        f'range for {nd}-d arrays", {ctx.desc}, (long long)ax); {ctx.fail} }}',
        f"        if (ax < 0) ax += {nd};",
        f"        PyObject* const ts[{n}] = {{{', '.join(ins)}}};",
        f"        npy_intp dims[{nd}];",
        f"        for (int d = 0; d < {nd}; d++) dims[d] = PyArray_DIM(SYMC_A(ts[0]), d);",
        "        dims[ax] = 0; int bad = -1;",
        f"        for (int t = 0; t < {n}; t++) {{",
        "            dims[ax] += PyArray_DIM(SYMC_A(ts[t]), ax);",
        f"            for (int d = 0; d < {nd}; d++)",
        "                if (d != ax && PyArray_DIM(SYMC_A(ts[t]), d) != "
        "PyArray_DIM(SYMC_A(ts[0]), d)) bad = d;",
        "        }",
        "        if (bad >= 0) {",
        "            char msg[1024]; size_t pos = 0;",
        f"            static const char* const dtn[{n}] = "
        f"{{{', '.join(f'{chr(34)}{t.type.dtype}{chr(34)}' for t in ts)}}};",
        f"            for (int t = 0; t < {n} && pos < 900; t++) {{",
        '                char b[128]; pos += snprintf(msg + pos, sizeof(msg) - pos, "%s%s %s", t '
        '? ", " : "",',
        "                    symc_shape_str(ts[t], b, 128), dtn[t]);",
        "            }",
        '            PyErr_Format(PyExc_ValueError, "%s: Join(axis=%lld): cannot join arrays of '
        "shapes %s: all the "
        "input array dimensions except for the concatenation axis must match exactly, but along "
        "dimension %d "
        f'they differ", {ctx.desc}, (long long)ax, msg, bad);',
        f"            {ctx.fail}",
        "        }",
        f"        {ctx.alloc(0, nd, 'dims', npy_typenum(out_dt))}",
        f"        PyArrayObject* oa = SYMC_A({out});",
        "        char* dst = PyArray_BYTES(oa);",
        f"        for (int t = 0; t < {n}; t++) {{",
        "            PyArrayObject* ta = SYMC_A(ts[t]);",
        "            const npy_intp len = PyArray_DIM(ta, ax);",
        "            if (PyArray_SIZE(ta) == 0) continue;",
        "            if (ax == 0 && PyArray_TYPE(ta) == PyArray_TYPE(oa) && "
        "PyArray_IS_C_CONTIGUOUS(ta)) {",
        "                memcpy(dst, PyArray_BYTES(ta), PyArray_NBYTES(ta));",
        "            } else {",
        f"                PyObject* view = symc_view({out}, {nd}, PyArray_DIMS(ta), "
        "PyArray_STRIDES(oa), dst);",
        f"                if (!view) {ctx.fail}",
        "                int rc = PyArray_CopyInto(SYMC_A(view), ta); Py_DECREF(view);",
        f"                if (rc < 0) {ctx.fail}",
        "            }",
        "            dst += len * PyArray_STRIDE(oa, ax);",
        "        }",
    ]
    return "\n".join(L)


@register_c_impl(Split)
def split_c(op: Split, node, ctx: NodeContext) -> str | None:
    x, axis, splits = node.inputs
    if not native(axis.type.dtype, splits.type.dtype):
        return None
    ctx.add_support("symc_common", COMMON_C)
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    xi, ai, si = ctx.inputs
    nd, n = x.ndim, op.len_splits
    S = c_type(splits.type.dtype)
    L = [
        f"        npy_int64 ax = {read_int(ai, axis.type.dtype)};",
        "        char sb[128], db[512];",
        f'        if (ax < -{nd} || ax >= {nd}) {{ PyErr_Format(PyExc_ValueError, "%s: Split: '
        "axis %lld is out"
        f' of range for an array of shape %s", {ctx.desc}, (long long)ax, symc_shape_str({xi}, '
        "sb, 128));"
        f" {ctx.fail} }}",
        f"        if (ax < 0) ax += {nd};",
        f"        const npy_intp ns = PyArray_DIM(SYMC_A({si}), 0);",
        "        npy_intp sz[64]; npy_intp total = 0; int neg = 0;",
        "        for (npy_intp k = 0; k < ns && k < 64; k++) {",
        f"            sz[k] = (npy_intp)*(const {S}*)(SYMC_DATA({si}) + k * "
        f"PyArray_STRIDE(SYMC_A({si}), 0));",
        "            total += sz[k]; neg |= sz[k] < 0;",
        "        }",
        f'        if (ns != {n}) {{ PyErr_Format(PyExc_ValueError, "%s: Split: expected {n} split '
        "sizes, got"
        f' %ld", {ctx.desc}, (long)ns); {ctx.fail} }}',
        f'        if (neg) {{ PyErr_Format(PyExc_ValueError, "%s: Split: negative split size in '
        f'%s", {ctx.desc},'
        f" symc_dims_str(sz, {n}, db, 512)); {ctx.fail} }}",
        f"        if (total != PyArray_DIM(SYMC_A({xi}), ax)) {{ PyErr_Format(PyExc_ValueError, "
        '"%s: Split: split'
        ' sizes %s add up to %ld, not to the length %ld of axis %lld of an array of shape %s", '
        f"{ctx.desc},"
        f" symc_dims_str(sz, {n}, db, 512), (long)total, (long)PyArray_DIM(SYMC_A({xi}), ax), "
        "(long long)ax,"
        f" symc_shape_str({xi}, sb, 128)); {ctx.fail} }}",
        f"        npy_intp dims[{nd}];",
        f"        for (int d = 0; d < {nd}; d++) dims[d] = PyArray_DIM(SYMC_A({xi}), d);",
        f"        char* base = SYMC_DATA({xi});",
    ]
    for k, out in enumerate(ctx.outputs):
        L.append(f"        dims[ax] = sz[{k}];")
        L.append(
            f"        {out} = symc_view({xi}, {nd}, dims, PyArray_STRIDES(SYMC_A({xi})),"
            f" sz[{k}] ? base : SYMC_DATA({xi})); if (!{out}) {ctx.fail}"
        )
        L.append(f"        base += sz[{k}] * PyArray_STRIDE(SYMC_A({xi}), ax);")
    return "\n".join(L)
