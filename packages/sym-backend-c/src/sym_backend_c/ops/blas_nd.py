"""C code for the products of higher ranks through BLAS: ``TensorDot`` (what ``T.dot``
builds for 3-d and more), ``BatchedTensorDot`` and ``MatMul`` (``@`` with batch
dimensions), for float32/float64 results; integer products run their ``perform``.

Operands are transposed and reshaped with NumPy's C API (views when the layout allows,
copies otherwise) into matrices, or stacks of matrices multiplied one ``gemm`` each;
shape errors are ValueErrors worded as the Ops' ``perform``.
"""

from __future__ import annotations

from symcore.tensor.dot import BatchedTensorDot, MatMul, TensorDot

from sym_backend_c.blas import available
from sym_backend_c.codegen.context import NodeContext, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import native
from sym_backend_c.ops.blas import blas_support, cast_to


def _prelude(node, ctx: NodeContext) -> tuple[str, str] | None:
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or not available():
        return None
    if not native(*[v.type.dtype for v in node.inputs]):
        return None
    return dt, blas_support(ctx, dt)


def _operands(ctx: NodeContext, node, dt: str) -> list[str]:
    """C lines: ``a``/``b`` = new references to the operands in the output dtype."""
    a, b = ctx.inputs
    L = cast_to(ctx, a, node.inputs[0], dt, "a")
    L += [
        ln.replace(ctx.fail, f"{{ Py_DECREF(a); {ctx.fail} }}")
        for ln in cast_to(ctx, b, node.inputs[1], dt, "b")
    ]
    return L


def _matrix(src: str, perm: list[int], dims: list[str], dst: str, fail: str) -> list[str]:
    """C lines: ``dst`` = ``src`` transposed by ``perm`` and reshaped to ``dims`` (a view
    when possible)."""
    p = ", ".join(str(d) for d in perm) or "0"
    return [
        f"        npy_intp {dst}_perm[{max(len(perm), 1)}] = {{{p}}};",
        f"        PyArray_Dims {dst}_pd = {{{dst}_perm, {len(perm)}}};",
        f"        PyObject* {dst}_t = PyArray_Transpose({src}, &{dst}_pd); if (!{dst}_t) {fail}",
        f"        npy_intp {dst}_dims[{len(dims)}] = {{{', '.join(dims)}}};",
        f"        PyArray_Dims {dst}_nd = {{{dst}_dims, {len(dims)}}};",
        f"        PyArrayObject* {dst} = (PyArrayObject*)PyArray_Newshape((PyArrayObject*){dst}_t,"
        f" &{dst}_nd, NPY_CORDER);",
        f"        Py_DECREF({dst}_t); if (!{dst}) {fail}",
    ]


def _prod(arr: str, axes: list[int]) -> str:
    return " * ".join(f"PyArray_DIM({arr}, {d})" for d in axes) or "1"


def _tensordot_code(op, node, ctx: NodeContext, batch: int) -> str | None:
    pre = _prelude(node, ctx)
    if pre is None:
        return None
    dt, t = pre
    av, bv = node.inputs
    fa = [d for d in range(batch, av.ndim) if d not in op.axes_a]
    fb = [d for d in range(batch, bv.ndim) if d not in op.axes_b]
    out = ctx.outputs[0]
    who = str(op).replace("%", "%%").replace('"', '\\"')
    pairs = list(zip(op.axes_a, op.axes_b, strict=True))
    L = _operands(ctx, node, dt)
    fail = f"{{ Py_DECREF(a); Py_DECREF(b); {ctx.fail} }}"
    # shape checks, worded as _TensorDotBase._check
    L.append("        char bad[256]; size_t bp = 0; bad[0] = 0; int nbad = 0;")
    for da, db in pairs:
        L.append(
            f"        if (PyArray_DIM(a, {da}) != PyArray_DIM(b, {db})) {{ bp += snprintf(bad + bp,"
            f' bp < 256 ? 256 - bp : 0, "%s({da}, {db})", nbad++ ? ", " : ""); }}'
        )
    if batch:
        L.append("        const int batch_bad = PyArray_DIM(a, 0) != PyArray_DIM(b, 0);")
    else:
        L.append("        const int batch_bad = 0;")
    L += [
        "        if (nbad || batch_bad) {",
        "            char b1[128], b2[128], what[300];",
        '            if (nbad) snprintf(what, sizeof what, "summed axes [%s]", bad);',
        '            else snprintf(what, sizeof what, "batch sizes");',
        f'            PyErr_Format(PyExc_ValueError, "%s: {who}: shape mismatch (%s) for operands '
        "%s"
        f' ({av.type.dtype}) and %s ({bv.type.dtype})", {ctx.desc}, what,'
        " symc_shape_str((PyObject*)a, b1, 128), symc_shape_str((PyObject*)b, b2, 128));",
        f"            {fail}",
        "        }",
    ]
    ma, k, nb_ = _prod("a", fa), _prod("a", list(op.axes_a)), _prod("b", fb)
    lead = ["PyArray_DIM(a, 0)"] if batch else []
    L += _matrix("a", list(range(batch)) + fa + list(op.axes_a), [*lead, ma, k], "a2", fail)
    fail2 = f"{{ Py_DECREF(a2); Py_DECREF(a); Py_DECREF(b); {ctx.fail} }}"
    L += _matrix("b", list(range(batch)) + list(op.axes_b) + fb, [*lead, k, nb_], "b2", fail2)
    fail3 = f"{{ Py_DECREF(a2); Py_DECREF(b2); Py_DECREF(a); Py_DECREF(b); {ctx.fail} }}"
    dims = lead + [f"PyArray_DIM(a, {d})" for d in fa] + [f"PyArray_DIM(b, {d})" for d in fb]
    out_nd = len(dims)
    L += [
        f"        npy_intp odims[{max(out_nd, 1)}] = {{{', '.join(dims) or '0'}}};",
        f"        {out} = PyArray_EMPTY({out_nd}, odims, {npy_typenum(dt)}, 0); if (!{out}) "
        f"{fail3}",
        f"        npy_intp o2d[3] = {{{', '.join([*lead, ma, nb_])}}};",
        f"        PyArray_Dims o2n = {{o2d, {batch + 2}}};",
        f"        PyArrayObject* o2 = (PyArrayObject*)PyArray_Newshape(SYMC_A({out}), &o2n, "
        "NPY_CORDER);",
        f"        if (!o2) {fail3}",
    ]
    call = f"symc_batched_gemm_{t}(a2, b2, o2, 1)" if batch else f"symc_xgemm_{t}(1, a2, b2, 0, o2)"
    L += [
        f"        int rc = {call};",
        "        Py_DECREF(o2); Py_DECREF(a2); Py_DECREF(b2); Py_DECREF(a); Py_DECREF(b);",
        f"        if (rc < 0) {ctx.fail}",
    ]
    return "\n".join(L)


@register_c_impl(TensorDot)
def tensordot_c(op: TensorDot, node, ctx: NodeContext) -> str | None:
    return _tensordot_code(op, node, ctx, batch=0)


@register_c_impl(BatchedTensorDot)
def batched_tensordot_c(op: BatchedTensorDot, node, ctx: NodeContext) -> str | None:
    return _tensordot_code(op, node, ctx, batch=1)


@register_c_impl(MatMul)
def matmul_c(op: MatMul, node, ctx: NodeContext) -> str | None:
    pre = _prelude(node, ctx)
    if pre is None:
        return None
    dt, t = pre
    av, bv = node.inputs
    out = ctx.outputs[0]
    nb = max(av.ndim, bv.ndim) - 2
    L = _operands(ctx, node, dt)
    fail = f"{{ Py_DECREF(a); Py_DECREF(b); {ctx.fail} }}"
    L.append(f"        npy_intp odims[{nb + 2}];")
    for d in range(nb):
        da, db = d - (nb - (av.ndim - 2)), d - (nb - (bv.ndim - 2))
        xa = f"PyArray_DIM(a, {da})" if da >= 0 else "1"
        xb = f"PyArray_DIM(b, {db})" if db >= 0 else "1"
        fa_ = da < 0 or av.type.broadcastable[da]
        fb_ = db < 0 or bv.type.broadcastable[db]
        L.append(f"        odims[{d}] = {xa} == 1 && {int(fa_)} ? {xb} : {xa};")
        if not (fa_ or fb_):
            L.append(
                f"        if ({xa} != {xb}) {{ char b1[128], b2[128]; "
                "PyErr_Format(PyExc_ValueError,"
                f' "%s: MatMul: batch dimension {d} differs between operands %s ({av.type.dtype}) '
                f"and %s ({bv.type.dtype}) (%ld vs %ld)"
                f" and neither is broadcastable in its type ({av.type} and {bv.type}); use"
                f' addbroadcast to allow broadcasting", {ctx.desc}, symc_shape_str((PyObject*)a, '
                "b1,"
                f" 128), symc_shape_str((PyObject*)b, b2, 128), (long){xa}, (long){xb}); {fail} }}"
            )
    na, nbb = av.ndim, bv.ndim
    L += [
        f"        if (PyArray_DIM(a, {na - 1}) != PyArray_DIM(b, {nbb - 2})) {{ char b1[128], "
        "b2[128];"
        f' PyErr_Format(PyExc_ValueError, "%s: MatMul: operands %s ({av.type.dtype}) and %s '
        f"({bv.type.dtype}) are not aligned (%ld !="
        f' %ld)", {ctx.desc}, symc_shape_str((PyObject*)a, b1, 128), symc_shape_str((PyObject*)b,'
        f" b2, 128), (long)PyArray_DIM(a, {na - 1}), (long)PyArray_DIM(b, {nbb - 2})); {fail} }}",
        f"        odims[{nb}] = PyArray_DIM(a, {na - 2}); odims[{nb + 1}] = PyArray_DIM(b, "
        f"{nbb - 1});",
        f"        {out} = PyArray_EMPTY({nb + 2}, odims, {npy_typenum(dt)}, 0); if (!{out}) {fail}",
        f"        int rc = symc_batched_gemm_{t}(a, b, SYMC_A({out}), {nb});",
        "        Py_DECREF(a); Py_DECREF(b);",
        f"        if (rc < 0) {ctx.fail}",
    ]
    return "\n".join(L)
