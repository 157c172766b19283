"""C code for ``RepeatOp`` (``numpy.repeat``), ``Tile`` (``numpy.tile``), ``Roll``
(``numpy.roll``) and the gradients ``RepeatGrad`` / ``TileGrad``.

``RepeatOp`` and ``Roll`` move contiguous blocks of bytes (any dtype); ``Tile`` copies the
input into a strided view of the output in which every axis is split into (tile, element)
(NumPy's copy routine broadcasts the input over the tile axes); the two gradients add the
groups/tiles of the output gradient in C loops, in the gradient's dtype (integers wrap as
in NumPy), in the order NumPy's ``add.reduceat``/``sum`` would.
"""

from __future__ import annotations

from symcore.tensor.extra_ops import RepeatGrad, RepeatOp, Roll, Tile, TileGrad

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import COMMON_C, native, read_int, wrap_type


def _can_add(dtype: str) -> bool:
    return native(dtype) and dtype != "bool"


def _lanes(src: str, axis: int | None, nd: int) -> list[str]:
    """C lines: ``outer``/``n``/``inner`` of the C-contiguous array ``src`` around ``axis``
    (``axis=None``: the flattened array)."""
    if axis is None:
        return [
            "        npy_intp outer = 1, inner = 1; const npy_intp n = PyArray_SIZE(" + src + ");"
        ]
    return [
        f"        npy_intp outer = 1, inner = 1; const npy_intp n = PyArray_DIM({src}, {axis});",
        f"        for (int d = 0; d < {axis}; d++) outer *= PyArray_DIM({src}, d);",
        f"        for (int d = {axis + 1}; d < {nd}; d++) inner *= PyArray_DIM({src}, d);",
    ]


def _counts(ctx: NodeContext, node, ri: str, r, who: str, n: str, shape_of: str, fail: str):
    """C lines reading the repeats input into ``cnt`` (int64, contiguous; ``rstep`` is 0 when
    one count serves every element) with NumPy's checks (non-negative, 1 or ``n`` entries)."""
    return [
        f"        PyArrayObject* rc = (PyArrayObject*)PyArray_FromArray(SYMC_A({ri}),"
        " PyArray_DescrFromType(NPY_INT64), NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED"
        " | NPY_ARRAY_FORCECAST);",
        f"        if (!rc) {fail}",
        "        const npy_int64* cnt = (const npy_int64*)PyArray_DATA(rc);",
        "        const npy_intp nr = PyArray_SIZE(rc);",
        f"        const npy_intp rstep = {'0' if r.ndim == 0 else '(nr == 1 ? 0 : 1)'};",
        f"        if ({'0' if r.ndim == 0 else f'nr != 1 && nr != {n}'}) {{ char b[128];"
        f' PyErr_Format(PyExc_ValueError, "%s: {who}: repeats has %ld entries but the axis has'
        f' length %ld (input shape %s)", {ctx.desc}, (long)nr, (long){n},'
        f" symc_shape_str({shape_of}, b, 128)); Py_DECREF(rc); {fail} }}",
        "        for (npy_intp i = 0; i < nr; i++) if (cnt[i] < 0) {"
        f' PyErr_Format(PyExc_ValueError, "%s: {who}: repeats must be non-negative, got %lld'
        f' at position %ld", {ctx.desc}, (long long)cnt[i], (long)i); Py_DECREF(rc);'
        f" {fail} }}",
    ]


@register_c_impl(RepeatOp)
def repeat_c(op: RepeatOp, node, ctx: NodeContext) -> str | None:
    x, r = node.inputs
    if not native(r.type.dtype):
        return None
    xi, ri = ctx.inputs
    out = ctx.outputs[0]
    nd, ax = x.ndim, op.axis
    L = [
        f"        PyArrayObject* xc = (PyArrayObject*)PyArray_GETCONTIGUOUS(SYMC_A({xi}));"
        f" if (!xc) {ctx.fail}",
        *_lanes("xc", ax, nd),
    ]
    fail = f"{{ Py_DECREF(xc); {ctx.fail} }}"
    L += _counts(ctx, node, ri, r, "RepeatOp", "n", xi, fail)
    fail = f"{{ Py_DECREF(xc); Py_DECREF(rc); {ctx.fail} }}"
    L += [
        "        npy_intp total = 0;",
        "        for (npy_intp i = 0; i < n; i++) total += (npy_intp)cnt[i * rstep];",
    ]
    if ax is None:
        L.append(f"        {out} = PyArray_EMPTY(1, &total, {npy_typenum(x.type.dtype)}, 0);")
    else:
        L += [
            f"        npy_intp odims[{nd}];",
            f"        for (int d = 0; d < {nd}; d++) odims[d] = PyArray_DIM(xc, d);",
            f"        odims[{ax}] = total;",
            f"        {out} = PyArray_EMPTY({nd}, odims, {npy_typenum(x.type.dtype)}, 0);",
        ]
    L += [
        f"        if (!{out}) {fail}",
        "        const npy_intp blk = inner * PyArray_ITEMSIZE(xc);",
        f"        const char* X = PyArray_BYTES(xc); char* O = SYMC_DATA({out});",
        "        if (blk > 0)",
        "        for (npy_intp o = 0; o < outer; o++)",
        "            for (npy_intp i = 0; i < n; i++) {",
        "                const char* src = X + (o * n + i) * blk;",
        "                for (npy_int64 c = cnt[i * rstep]; c > 0; c--) { memcpy(O, src, blk);"
        " O += blk; }",
        "            }",
        "        Py_DECREF(xc); Py_DECREF(rc);",
    ]
    return "\n".join(L)


@register_c_impl(RepeatGrad)
def repeat_grad_c(op: RepeatGrad, node, ctx: NodeContext) -> str | None:
    x, g, r = node.inputs
    dt = node.outputs[0].type.dtype
    if not (_can_add(dt) and g.type.dtype == dt and native(r.type.dtype)):
        return None
    xi, gi, ri = ctx.inputs
    out = ctx.outputs[0]
    nd, ax = x.ndim, op.axis
    T, W = c_type(dt), wrap_type(dt)
    who = "RepeatGrad"
    L = [
        f"        PyArrayObject* xa = SYMC_A({xi});",
        *_lanes("xa", ax, nd),
        *_counts(ctx, node, ri, r, who, "n", xi, ctx.fail),
        "        npy_intp total = 0;",
        "        for (npy_intp i = 0; i < n; i++) total += (npy_intp)cnt[i * rstep];",
    ]
    fail = f"{{ Py_DECREF(rc); {ctx.fail} }}"
    # the gradient's shape: x's with `total` along the axis (one flat vector for axis=None)
    if ax is None:
        bad = f"PyArray_NDIM(SYMC_A({gi})) != 1 || PyArray_DIM(SYMC_A({gi}), 0) != total"
    else:
        bad = " || ".join(
            f"PyArray_DIM(SYMC_A({gi}), {d}) != "
            + ("total" if d == ax else f"PyArray_DIM(xa, {d})")
            for d in range(nd)
        )
    L += [
        f"        if ({bad}) {{ char b1[128], b2[128]; PyErr_Format(PyExc_ValueError,"
        f" \"%s: {who}: the gradient has shape %s, expected the input's shape %s with %ld"
        f' along the repeated axis", {ctx.desc}, symc_shape_str({gi}, b1, 128),'
        f" symc_shape_str({xi}, b2, 128), (long)total); {fail} }}",
        f"        PyArrayObject* gc = (PyArrayObject*)PyArray_GETCONTIGUOUS(SYMC_A({gi}));"
        f" if (!gc) {fail}",
        f"        {out} = PyArray_ZEROS({nd}, PyArray_DIMS(xa), {npy_typenum(dt)}, 0);",
        f"        if (!{out}) {{ Py_DECREF(gc); Py_DECREF(rc); {ctx.fail} }}",
        f"        const {T}* G = (const {T}*)PyArray_DATA(gc); {T}* O = ({T}*)SYMC_DATA({out});",
        "        for (npy_intp o = 0; o < outer; o++)",
        "            for (npy_intp i = 0; i < n; i++) {",
        f"                {T}* orow = O + (o * n + i) * inner;",
        "                for (npy_int64 c = cnt[i * rstep]; c > 0; c--) {",
        f"                    for (npy_intp j = 0; j < inner; j++) orow[j] = ({T})(({W})orow[j]"
        f" + ({W})G[j]);",
        "                    G += inner;",
        "                }",
        "            }",
        "        Py_DECREF(gc); Py_DECREF(rc);",
    ]
    return "\n".join(L)


def _reps(ctx: NodeContext, node, first: int, nd: int, who: str, shape_of: str) -> list[str]:
    """C lines: ``rp[nd]``, the reps inputs ``first..`` padded on the left with 1s, checked
    non-negative."""
    k = len(node.inputs) - first
    L = [f"        npy_intp rp[{max(nd, 1)}];"]
    for d in range(nd - k):
        L.append(f"        rp[{d}] = 1;")
    for j in range(k):
        v = node.inputs[first + j]
        L.append(
            f"        rp[{nd - k + j}] = (npy_intp){read_int(ctx.inputs[first + j], v.type.dtype)};"
        )
    if k:
        L.append(
            f"        for (int d = {nd - k}; d < {nd}; d++) if (rp[d] < 0) {{ char b[128];"
            f' PyErr_Format(PyExc_ValueError, "%s: {who}: reps must be non-negative, got %ld'
            f' for axis %d (input shape %s)", {ctx.desc}, (long)rp[d], d,'
            f" symc_shape_str({shape_of}, b, 128)); {ctx.fail} }}"
        )
    return L


def _padded(arr: str, nd: int, xnd: int, dims: str, strides: str) -> list[str]:
    """C lines: ``dims``/``strides`` of ``arr`` padded on the left to ``nd`` axes."""
    return [
        f"        npy_intp {dims}[{max(nd, 1)}], {strides}[{max(nd, 1)}];",
        f"        for (int d = 0; d < {nd}; d++) {{ const int s = d - {nd - xnd};"
        f" {dims}[d] = s < 0 ? 1 : PyArray_DIM(SYMC_A({arr}), s);"
        f" {strides}[d] = s < 0 ? 0 : PyArray_STRIDE(SYMC_A({arr}), s); }}",
    ]


@register_c_impl(Tile)
def tile_c(op: Tile, node, ctx: NodeContext) -> str | None:
    x = node.inputs[0]
    if not native(*[v.type.dtype for v in node.inputs[1:]]):
        return None
    nd = node.outputs[0].ndim
    if 2 * nd > 32:
        return None
    ctx.add_support("symc_common", COMMON_C)
    xi, out = ctx.inputs[0], ctx.outputs[0]
    n2 = max(2 * nd, 1)
    L = _reps(ctx, node, 1, nd, "Tile", xi)
    L += _padded(xi, nd, x.ndim, "xd", "xs")
    L += [
        f"        npy_intp od[{max(nd, 1)}];",
        f"        for (int d = 0; d < {nd}; d++) od[d] = xd[d] * rp[d];",
        f"        {out} = PyArray_EMPTY({nd}, od, {npy_typenum(x.type.dtype)}, 0);"
        f" if (!{out}) {ctx.fail}",
        f"        if (PyArray_SIZE(SYMC_A({out})) > 0) {{",
        # the output as (tile, element) pairs of axes; the input broadcast over the tiles
        f"            npy_intp vd[{n2}], vs[{n2}], wd[{n2}], ws[{n2}];",
        f"            for (int d = 0; d < {nd}; d++) {{",
        f"                const npy_intp os = PyArray_STRIDE(SYMC_A({out}), d);",
        "                vd[2 * d] = rp[d]; vs[2 * d] = xd[d] * os;"
        " vd[2 * d + 1] = xd[d]; vs[2 * d + 1] = os;",
        "                wd[2 * d] = 1; ws[2 * d] = 0; wd[2 * d + 1] = xd[d];"
        " ws[2 * d + 1] = xs[d];",
        "            }",
        f"            PyObject* ov = symc_view({out}, {2 * nd}, vd, vs, SYMC_DATA({out}));",
        f"            if (!ov) {ctx.fail}",
        f"            PyObject* xv = symc_view({xi}, {2 * nd}, wd, ws, SYMC_DATA({xi}));",
        f"            if (!xv) {{ Py_DECREF(ov); {ctx.fail} }}",
        "            const int rc = PyArray_CopyInto(SYMC_A(ov), SYMC_A(xv));",
        f"            Py_DECREF(ov); Py_DECREF(xv); if (rc < 0) {ctx.fail}",
        "        }",
    ]
    return "\n".join(L)


@register_c_impl(TileGrad)
def tile_grad_c(op: TileGrad, node, ctx: NodeContext) -> str | None:
    x, g = node.inputs[:2]
    dt = node.outputs[0].type.dtype
    if not (_can_add(dt) and g.type.dtype == dt):
        return None
    if not native(*[v.type.dtype for v in node.inputs[2:]]):
        return None
    nd = g.ndim
    if nd < x.ndim or len(node.inputs) - 2 > nd:
        return None
    ctx.add_support("symc_common", COMMON_C)
    xi, gi = ctx.inputs[:2]
    out = ctx.outputs[0]
    T, W = c_type(dt), wrap_type(dt)
    who = "TileGrad"
    L = _reps(ctx, node, 2, nd, who, xi)
    L += _padded(xi, nd, x.ndim, "xd", "xs")
    L += [
        f"        for (int d = 0; d < {nd}; d++) if (PyArray_DIM(SYMC_A({gi}), d) != xd[d] * rp[d])"
        f' {{ char b1[128], b2[128]; PyErr_Format(PyExc_ValueError, "%s: {who}: the gradient'
        f' has shape %s, not the tiled shape of the input (shape %s) on axis %d", {ctx.desc},'
        f" symc_shape_str({gi}, b1, 128), symc_shape_str({xi}, b2, 128), d); {ctx.fail} }}",
        f"        {out} = PyArray_ZEROS({x.ndim}, PyArray_DIMS(SYMC_A({xi})),"
        f" {npy_typenum(dt)}, 0); if (!{out}) {ctx.fail}",
    ]
    if nd == 0:
        L.append(f"        *({T}*)SYMC_DATA({out}) = *(const {T}*)SYMC_DATA({gi});")
        return "\n".join(L)
    L += [
        f"        if (PyArray_SIZE(SYMC_A({gi})) > 0) {{",
        # odometer over g's elements; the output position is the element index of each axis
        f"            npy_intp os[{nd}], idx[{nd}];",
        "            { npy_intp s = 1;"
        f" for (int d = {nd - 1}; d >= 0; d--) {{ os[d] = s; s *= xd[d]; idx[d] = 0; }} }}",
        f"            const npy_intp* gs = PyArray_STRIDES(SYMC_A({gi}));",
        f"            const npy_intp last = PyArray_DIM(SYMC_A({gi}), {nd - 1});",
        f"            const npy_intp xl = xd[{nd - 1}], gl = gs[{nd - 1}];",
        f"            {T}* O = ({T}*)SYMC_DATA({out}); const char* G = SYMC_DATA({gi});",
        "            for (;;) {",
        "                npy_intp oo = 0; const char* gp = G;",
        f"                for (int d = 0; d < {nd - 1}; d++) {{ oo += (idx[d] % xd[d]) * os[d];"
        " gp += idx[d] * gs[d]; }",
        "                for (npy_intp j = 0, e = 0; j < last; j++) {",
        f"                    O[oo + e] = ({T})(({W})O[oo + e] + ({W})*(const {T}*)(gp + j * gl));",
        "                    if (++e == xl) e = 0;",
        "                }",
        f"                int d = {nd - 2};",
        f"                for (; d >= 0; d--) {{ if (++idx[d] < PyArray_DIM(SYMC_A({gi}), d))"
        " break; idx[d] = 0; }",
        "                if (d < 0) break;",
        "            }",
        "        }",
    ]
    return "\n".join(L)


@register_c_impl(Roll)
def roll_c(op: Roll, node, ctx: NodeContext) -> str | None:
    x, s = node.inputs
    if not native(s.type.dtype):
        return None
    xi, si = ctx.inputs
    out = ctx.outputs[0]
    nd, ax = x.ndim, op.axis
    return "\n".join(
        [
            f"        PyArrayObject* xc = (PyArrayObject*)PyArray_GETCONTIGUOUS(SYMC_A({xi}));"
            f" if (!xc) {ctx.fail}",
            *_lanes("xc", ax, nd),
            f"        {out} = PyArray_NewLikeArray(xc, NPY_CORDER, NULL, 0);",
            f"        if (!{out}) {{ Py_DECREF(xc); {ctx.fail} }}",
            f"        npy_int64 sh = n > 0 ? {read_int(si, s.type.dtype)} % (npy_int64)n : 0;",
            "        if (sh < 0) sh += n;",
            "        const npy_intp blk = inner * PyArray_ITEMSIZE(xc);",
            f"        const char* X = PyArray_BYTES(xc); char* O = SYMC_DATA({out});",
            "        if (blk > 0)",
            "        for (npy_intp o = 0; o < outer; o++) {",
            "            const char* src = X + o * n * blk; char* dst = O + o * n * blk;",
            "            memcpy(dst + sh * blk, src, (n - sh) * blk);",
            "            memcpy(dst, src + (n - sh) * blk, sh * blk);",
            "        }",
            "        Py_DECREF(xc);",
        ]
    )
