"""C code for ``AdvancedSubtensor`` / ``AdvancedIncSubtensor`` when the index is made of
integer arrays (and integers) only, on the leading axes: ``x[rows, cols]``,
``log_p[arange(n), labels]`` and their gradients. The index arrays broadcast together into
a block of positions; each position selects a sub-array of the remaining axes.

A boolean mask over the leading axes (``x[mask]``, ``x[mask] = y``, ``inc``) is the same
index as the integer arrays of ``mask.nonzero()`` (NumPy's definition): after checking the
mask's shape against ``x``'s, the C code takes ``PyArray_Nonzero(mask)`` and runs the
integer-array code on them.

``AdvancedIncSubtensor`` sets (the last write wins, as NumPy's ``x[idx] = y``) or adds
with repeated positions accumulating (``np.add.at``); ``ignore_duplicates``, masks that are not
alone on the leading axes and indices mixed with slices/newaxis run the NumPy ``perform``.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
from symcore.tensor.subtensor import is_placeholder
from symcore.tensor.subtensor_advanced import AdvancedIncSubtensor, AdvancedSubtensor
from symcore.tensor.type import INTEGER_DTYPES, TensorType

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import COMMON_C, native, wrap_type
from sym_backend_c.ops.shape import DIMS_STR_C
from sym_backend_c.ops.subtensor import c_text
from sym_backend_c.ops.subtensor_advanced import COPY_BLOCK_C


def _array_index_count(op) -> int | None:
    """The number ``k`` of leading axes indexed when the index is integer arrays/scalars
    only (trailing full slices allowed), else None."""
    entries = list(op.idx_list)
    while entries and isinstance(entries[-1], slice) and entries[-1] == slice(None):
        entries.pop()
    for e in entries:
        if not is_placeholder(e) or e.dtype not in INTEGER_DTYPES:
            return None
    return len(entries) or None


def _positions(ctx: NodeContext, node, op, xo: str, first: int, k: int) -> tuple[list[str], int]:
    """C lines: broadcast the ``k`` index arrays (inputs ``first``..) into the block ``B``
    (``nb`` dims, ``total`` positions), ``SYMC_POS(it)``-style iteration helpers:
    ``ioff[j]``/``icnt`` walk the index arrays, ``symc_adv_at(...)`` gives the byte offset
    of the current position in ``xo``, or fails on an index out of bounds."""
    idx = node.inputs[first : first + k]
    nb = max(v.ndim for v in idx)
    who = c_text(str(op))
    L = [
        f"        npy_intp B[{max(nb, 1)}], istr[{k}][{max(nb, 1)}], icnt[{max(nb, 1)}]; int ibad "
        "= 0;",
        "        npy_intp total = 1;",
    ]
    for b in range(nb):
        L.append(f"        B[{b}] = 1; icnt[{b}] = 0;")
        for j, v in enumerate(idx):
            jj = b - (nb - v.ndim)
            if jj < 0:
                L.append(f"        istr[{j}][{b}] = 0;")
                continue
            a = f"SYMC_A({ctx.inputs[first + j]})"
            L.append(
                f"        {{ const npy_intp s = PyArray_DIM({a}, {jj}); istr[{j}][{b}] = s == 1 ? "
                "0 :"
                f" PyArray_STRIDE({a}, {jj});"
                f" if (s != 1) {{ if (B[{b}] == 1) B[{b}] = s; else if (B[{b}] != s) ibad = 1; }} "
                f"}}"
            )
        L.append(f"        total *= B[{b}];")
    shapes = " ".join("%s" for _ in idx)
    bufs = ", ".join(f"symc_shape_str({ctx.inputs[first + j]}, sb{j}, 128)" for j in range(k))
    decl = " ".join(f"char sb{j}[128];" for j in range(k))
    L.append(
        f'        if (ibad) {{ {decl} PyErr_Format(PyExc_IndexError, "%s: {who}: shape mismatch:'
        f' indexing arrays could not be broadcast together with shapes {shapes}", {ctx.desc}, '
        f"{bufs});"
        f" {ctx.fail} }}"
    )
    # the byte offset of the current position, with bounds checks
    L.append("        #define SYMC_ADV_OFFSET(OFF) do { OFF = 0; \\")
    for j, v in enumerate(idx):
        it = c_type(v.type.dtype)
        a = ctx.inputs[first + j]
        L.append(
            f"            {{ npy_intp ip = 0; for (int b = 0; b < {nb}; b++) ip += icnt[b] * "
            f"istr[{j}][b]; \\"
        )
        L.append(
            f"              npy_int64 iv = (npy_int64)*(const {it}*)(SYMC_DATA({a}) + ip);"
            f" const npy_intp n = PyArray_DIM(SYMC_A({xo}), {j}); \\"
        )
        L.append(
            "              if (iv < -(npy_int64)n || iv >= (npy_int64)n) { char sbx[128];"
            f' PyErr_Format(PyExc_IndexError, "%s: {who}: index %lld is out of bounds for axis '
            f"{j} with"
            f' size %ld (input shape %s)", {ctx.desc}, (long long)iv, (long)n,'
            f" symc_shape_str({xo}, sbx, 128)); SYMC_ADV_FAIL; }} \\"
        )
        L.append(
            f"              OFF += (iv < 0 ? iv + n : iv) * PyArray_STRIDE(SYMC_A({xo}), {j}); }} "
            "\\"
        )
    L.append("        } while (0)")
    L.append(
        "        #define SYMC_ADV_NEXT() do { for (int b = " + str(nb - 1) + "; b >= 0; b--) {"
        " if (++icnt[b] < B[b]) break; icnt[b] = 0; } } while (0)"
    )
    return L, nb


def _int_subtensor_c(op: AdvancedSubtensor, node, ctx: NodeContext) -> str | None:
    k = _array_index_count(op)
    if k is None or not native(*[v.type.dtype for v in node.inputs[1:]]):
        return None
    ctx.add_support("symc_copy_block", COPY_BLOCK_C)
    x = node.inputs[0]
    xi, out = ctx.inputs[0], ctx.outputs[0]
    L, nb = _positions(ctx, node, op, xi, 1, k)
    rest = x.ndim - k
    L.append(f"        #define SYMC_ADV_FAIL {{ {ctx.fail} }}")
    L += [
        f"        npy_intp odims[{max(nb + rest, 1)}];",
        f"        for (int b = 0; b < {nb}; b++) odims[b] = B[b];",
        f"        for (int d = 0; d < {rest}; d++) odims[{nb} + d] = PyArray_DIM(SYMC_A({xi}), "
        f"{k} + d);",
        f"        {out} = PyArray_EMPTY({nb + rest}, odims, {npy_typenum(x.type.dtype)}, 0);"
        f" if (!{out}) {ctx.fail}",
        f"        const npy_intp isz = PyArray_ITEMSIZE(SYMC_A({xi}));",
        "        npy_intp row = isz;",
        f"        for (int d = 0; d < {rest}; d++) row *= PyArray_DIM(SYMC_A({xi}), {k} + d);",
        f"        char* dst = SYMC_DATA({out}); const char* src = SYMC_DATA({xi});",
        "        for (npy_intp it = 0; it < total; it++) {",
        "            npy_intp off; SYMC_ADV_OFFSET(off);",
        f"            if (row > 0) symc_copy_block(dst + it * row, src + off, {rest},"
        f" PyArray_DIMS(SYMC_A({xi})) + {k}, PyArray_STRIDES(SYMC_A({xi})) + {k}, isz);",
        "            SYMC_ADV_NEXT();",
        "        }",
        "        #undef SYMC_ADV_OFFSET",
        "        #undef SYMC_ADV_NEXT",
        "        #undef SYMC_ADV_FAIL",
    ]
    return "\n".join(L)


def _int_inc_subtensor_c(op: AdvancedIncSubtensor, node, ctx: NodeContext) -> str | None:
    k = _array_index_count(op)
    x, y = node.inputs[:2]
    xdt, ydt = x.type.dtype, y.type.dtype
    if (
        k is None
        or op.ignore_duplicates
        or not native(xdt, ydt, *[v.type.dtype for v in node.inputs[2:]])
    ):
        return None
    ctx.add_support("symc_common", COMMON_C)
    ctx.add_support("symc_dims_str", DIMS_STR_C)
    xi, yi = ctx.inputs[:2]
    out = ctx.outputs[0]
    who = c_text(str(op))
    L = []
    if op.inplace:
        L.append(
            f"        if (!PyArray_ISWRITEABLE(SYMC_A({xi}))) {{ PyErr_Format(PyExc_ValueError,"
            f' "%s: {who}: the destination x is read-only (in-place update)", {ctx.desc}); '
            f"{ctx.fail} }}"
        )
        L.append(f"        {out} = {xi}; Py_INCREF({out});")
    else:
        L.append(
            f"        {out} = PyArray_NewCopy(SYMC_A({xi}), NPY_CORDER); if (!{out}) {ctx.fail}"
        )
    L.append(f"        PyObject* const xo = {out};")
    pos, nb = _positions(ctx, node, op, "xo", 2, k)
    rest = x.ndim - k
    nr = nb + rest
    L += pos
    L.append(f"        PyObject* yv = {yi}; Py_INCREF(yv);")
    if op.inplace:
        L.append(
            f"        if (symc_may_overlap(yv, xo)) {{ Py_DECREF(yv); yv = "
            f"PyArray_NewCopy(SYMC_A({yi}),"
            f" NPY_CORDER); if (!yv) {ctx.fail} }}"
        )
    fail = f"{{ Py_DECREF(yv); {ctx.fail} }}"
    L.append(f"        #define SYMC_ADV_FAIL {fail}")
    # the region x[idx] has shape B + x.shape[k:]; y broadcasts to it from the right
    check = [
        f"        npy_intp rdims[{max(nr, 1)}], ys[{max(nr, 1)}]; int ybad = 0;",
        f"        for (int b = 0; b < {nb}; b++) rdims[b] = B[b];",
        f"        for (int d = 0; d < {rest}; d++) rdims[{nb} + d] = PyArray_DIM(SYMC_A(xo), {k} "
        "+ d);",
    ]
    for r in range(nr):
        yj = r - (nr - y.ndim)
        if yj < 0:
            check.append(f"        ys[{r}] = 0;")
        else:
            check.append(
                f"        if (PyArray_DIM(SYMC_A(yv), {yj}) == rdims[{r}]) ys[{r}] = rdims[{r}] "
                "== 1 ? 0 :"
                f" PyArray_STRIDE(SYMC_A(yv), {yj}); else if (PyArray_DIM(SYMC_A(yv), {yj}) == 1) "
                f"ys[{r}] = 0;"
                " else ybad = 1;"
            )
    check.append(
        "        if (ybad) { char b1[128], b2[256], b3[128]; PyErr_Format(PyExc_ValueError,"
        f' "%s: {who}: a value of shape %s cannot be broadcast to the indexed region of shape %s'
        f' (x has shape %s)", {ctx.desc}, symc_shape_str(yv, b1, 128), symc_dims_str(rdims, {nr}, '
        "b2,"
        f" 256), symc_shape_str(xo, b3, 128)); {fail} }}"
    )
    bounds = [
        "        for (npy_intp it = 0; it < total; it++) { npy_intp off; SYMC_ADV_OFFSET(off); "
        "(void)off;"
        " SYMC_ADV_NEXT(); }",
        f"        for (int b = 0; b < {max(nb, 1)}; b++) icnt[b] = 0;",
    ]
    # NumPy's order: x[idx] = y checks the value's shape first, np.add.at the indices first
    L += check + bounds if op.set_instead_of_inc else bounds + check
    X, Y = c_type(xdt), c_type(ydt)
    if op.set_instead_of_inc:
        expr = (
            f"*({Y}*)(yb)"
            if ydt == xdt
            else (f"(*({Y}*)(yb) != 0)" if xdt == "bool" else f"({X})*({Y}*)(yb)")
        )
    elif xdt == "bool":
        expr = f"(*({X}*)(xb) | (*({Y}*)(yb) != 0))"
    else:
        common = np.result_type(xdt, ydt).name
        C, W = c_type(common), wrap_type(common)
        expr = f"({X})(({W})({C})*({X}*)(xb) + ({W})({C})*({Y}*)(yb))"
    L += [
        "        char* xbase = SYMC_DATA(xo);",
        "        for (npy_intp it = 0; it < total; it++) {",
        "            npy_intp off; SYMC_ADV_OFFSET(off);",
        "            char* xb0 = xbase + off; const char* yb0 = SYMC_DATA(yv);",
        f"            for (int b = 0; b < {nb}; b++) yb0 += icnt[b] * ys[b];",
    ]
    ind = "            "
    for d in range(rest):
        L.append(f"{ind}for (npy_intp i{d} = 0; i{d} < rdims[{nb + d}]; i{d}++) {{")
        ind += "    "
        L.append(
            f"{ind}char* xb{d + 1} = xb{d} + i{d} * PyArray_STRIDE(SYMC_A(xo), {k + d});"
            f" const char* yb{d + 1} = yb{d} + i{d} * ys[{nb + d}];"
        )
    L.append(f"{ind}char* xb = xb{rest}; const char* yb = yb{rest};")
    L.append(f"{ind}*({X}*)(xb) = {expr};")
    for _ in range(rest):
        ind = ind[:-4]
        L.append(f"{ind}}}")
    L += [
        "            SYMC_ADV_NEXT();",
        "        }",
        "        Py_DECREF(yv);",
        "        #undef SYMC_ADV_OFFSET",
        "        #undef SYMC_ADV_NEXT",
        "        #undef SYMC_ADV_FAIL",
    ]
    return "\n".join(L)


def _leading_mask(op) -> int | None:
    """The rank ``m`` of a boolean mask that is the whole index (trailing full slices
    allowed), else None."""
    entries = list(op.idx_list)
    while entries and isinstance(entries[-1], slice) and entries[-1] == slice(None):
        entries.pop()
    if len(entries) == 1 and is_placeholder(entries[0]) and entries[0].dtype == "bool":
        return entries[0].ndim or None
    return None


class _NonzeroIndex:
    """The Op as the integer-array code sees it: the mask replaced by the ``m`` int64
    vectors of its ``nonzero()``; everything else (name, flags) is the real Op's."""

    def __init__(self, op, m: int) -> None:
        self._op = op
        self.idx_list = tuple(TensorType("int64", shape=(None,)) for _ in range(m))

    def __getattr__(self, name):
        return getattr(self._op, name)

    def __str__(self) -> str:
        return str(self._op)


def _mask_c(op, node, ctx: NodeContext, first: int, m: int, impl) -> str | None:
    """C code of a mask index (input ``first``) of rank ``m``: check its shape against x,
    take its nonzero() arrays, run the integer-array implementation ``impl`` on them."""
    xi, mi = ctx.inputs[0], ctx.inputs[first]
    who = c_text(str(op))
    nz = [TensorType("int64", shape=(None,))() for _ in range(m)]
    sub_node = SimpleNamespace(inputs=[*node.inputs[:first], *nz], outputs=node.outputs)
    fail = f"{{ Py_DECREF(nzt); {ctx.fail} }}"
    sub_ctx = dataclasses.replace(
        ctx,
        inputs=[*ctx.inputs[:first], *[f"PyTuple_GET_ITEM(nzt, {j})" for j in range(m)]],
        fail=fail,
    )
    body = impl(_NonzeroIndex(op, m), sub_node, sub_ctx)
    if body is None:
        return None
    L = [
        f"        for (int d = 0; d < {m}; d++) if (PyArray_DIM(SYMC_A({mi}), d) !="
        f" PyArray_DIM(SYMC_A({xi}), d)) {{ char b1[128], b2[128];"
        f' PyErr_Format(PyExc_IndexError, "%s: {who}: boolean index did not match indexed'
        ' array along axis %d; size of axis is %ld but size of corresponding boolean axis is'
        f' %ld (x has shape %s, the mask %s)", {ctx.desc}, d, (long)PyArray_DIM(SYMC_A({xi}),'
        f" d), (long)PyArray_DIM(SYMC_A({mi}), d), symc_shape_str({xi}, b1, 128),"
        f" symc_shape_str({mi}, b2, 128)); {ctx.fail} }}",
        f"        PyObject* nzt = PyArray_Nonzero(SYMC_A({mi})); if (!nzt) {ctx.fail}",
        "        {",
        body,
        "        }",
        "        Py_DECREF(nzt);",
    ]
    return "\n".join(L)


def _int_or_mask_c(op, node, ctx: NodeContext, index_at: int, int_impl) -> str | None:
    """``int_impl`` for integer-array indices; for a leading boolean mask (the index from
    input ``index_at``) the same code on the mask's ``nonzero()`` arrays; else None."""
    if _array_index_count(op) is not None:
        return int_impl(op, node, ctx)
    m = _leading_mask(op)
    if m is None or m > node.inputs[0].ndim:
        return None
    return _mask_c(op, node, ctx, index_at, m, int_impl)


@register_c_impl(AdvancedSubtensor)
def advanced_subtensor_c(op: AdvancedSubtensor, node, ctx: NodeContext) -> str | None:
    return _int_or_mask_c(op, node, ctx, 1, _int_subtensor_c)


@register_c_impl(AdvancedIncSubtensor)
def advanced_inc_subtensor_c(op: AdvancedIncSubtensor, node, ctx: NodeContext) -> str | None:
    return _int_or_mask_c(op, node, ctx, 2, _int_inc_subtensor_c)
