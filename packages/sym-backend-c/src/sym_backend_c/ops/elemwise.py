"""C code for ``Elemwise`` (incl. fused ``Composite`` nodes: one loop, no temporaries)
and ``DimShuffle`` (a strided view, no copy).

Elemwise loops take a flat, vectorizable path when every non-scalar operand is
C-contiguous with the output's shape, and strided nested loops otherwise (broadcasting,
transposed or negative-stride inputs). Large flat loops run on OpenMP threads when the
``openmp`` flag is on. The flat loop picks its store order at run time: a large output
allocated by the call is written last element first with normal stores (fresh pages come
zeroed and cached from the kernel), a large output that existed before (recycled buffer,
in-place input) with streaming stores, anything else in order with normal stores.
"""

from __future__ import annotations

import numpy as np
from symcore.scalar.composite import Composite
from symcore.tensor.elemwise import DimShuffle, Elemwise

from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops.scalar_exprs import NO_C_DTYPES, c_literal, scalar_expr, support_code


def _body(
    op, in_vals: list[str], in_dtypes: list[str], out_dtypes: list[str]
) -> tuple[list[str], list[str]] | None:
    """C statements and output expressions computing ``op`` on scalar C values."""
    if isinstance(op, Composite):
        vals: dict[int, str] = {}
        dts: dict[int, str] = {}
        for k, (v, d) in enumerate(zip(in_vals, in_dtypes, strict=True)):
            vals[k], dts[k] = v, d
        for slot, data in op._consts:
            d = op._vars[slot].type.dtype
            if d in NO_C_DTYPES:  # e.g. a complex constant: the node runs its perform
                return None
            vals[slot], dts[slot] = c_literal(data, d), d
        stmts: list[str] = []
        for sop, ins, outs, odts in op._program:
            args = [vals[i] for i in ins]
            exprs = scalar_expr(sop, args, [dts[i] for i in ins], [o.name for o in odts])
            if exprs is None:
                return None
            for o, e, od in zip(outs, exprs, odts, strict=False):
                name = f"t{o}"
                stmts.append(f"const {c_type(od.name)} {name} = {e};")
                vals[o], dts[o] = name, od.name
        return stmts, [vals[s] for s in op._out_slots]
    exprs = scalar_expr(op, in_vals, in_dtypes, out_dtypes)
    if exprs is None:
        return None
    return [], exprs


#: Outputs of at least this many bytes that already existed before the call (a recycled
#: output buffer, an in-place input) are written with streaming stores (by chunks of
#: STREAM_CHUNK elements computed into an L1 buffer): above the last-level cache a normal
#: store first reads the line it writes, a streaming store does not.
STREAM_MIN_BYTES = 16 << 20
STREAM_CHUNK = 512
#: Outputs of at least this many bytes that were allocated by this call are written with
#: normal stores from the last element down to the first. A fresh large allocation is new
#: memory: each first write to a page faults, and the kernel zeroes the page (2 MB with
#: transparent huge pages) so that the part near the faulting address is cleared last and
#: still sits in the cache. Normal stores hit those lines; streaming stores to them would
#: evict the zeroes and write again. Measured on Linux 6.18 (AMD EPYC, 2 cores), 1e7
#: float64 into a fresh array: descending 10-11 ms, ascending 15-23 ms, ascending streaming
#: 18-22 ms; glibc's memcpy (regular stores, descending here) 10-11 ms. None: no such loop.
FRESH_DESCEND_MIN_BYTES: int | None = 1 << 20

STREAM_C = r"""
#if defined(__x86_64__) && (defined(__AVX512F__) || defined(__AVX__) || defined(__SSE2__))
#include <immintrin.h>
#define SYMC_HAVE_STREAM 1
#define SYMC_SFENCE() _mm_sfence()
#if defined(__AVX512F__)
#define SYMC_SA 64
#elif defined(__AVX__)
#define SYMC_SA 32
#else
#define SYMC_SA 16
#endif
/* memcpy with non-temporal stores for the aligned part of dst (one copy per module) */
static SYMC_NOINLINE void symc_stream_copy(char* restrict dst, const char* restrict src,
                                           size_t bytes) {
    size_t head = (SYMC_SA - ((uintptr_t)dst & (SYMC_SA - 1))) & (SYMC_SA - 1);
    if (head > bytes) head = bytes;
    memcpy(dst, src, head);
    dst += head; src += head; bytes -= head;
    const size_t body = bytes & ~(size_t)(SYMC_SA - 1);
    for (size_t i = 0; i < body; i += SYMC_SA) {
#if defined(__AVX512F__)
        _mm512_stream_si512((void*)(dst + i), _mm512_loadu_si512((const void*)(src + i)));
#elif defined(__AVX__)
        _mm256_stream_si256((__m256i*)(dst + i), _mm256_loadu_si256((const __m256i*)(src + i)));
#else
        _mm_stream_si128((__m128i*)(dst + i), _mm_loadu_si128((const __m128i*)(src + i)));
#endif
    }
    memcpy(dst + body, src + body, bytes - body);
}
#else
#define SYMC_HAVE_STREAM 0
#define SYMC_SFENCE() ((void)0)
static SYMC_NOINLINE void symc_stream_copy(char* dst, const char* src, size_t bytes) {
    memcpy(dst, src, bytes);
}
#endif
"""

#: Added to a broadcasting error when one of the lengths is 1 (as the reference backend).
_HINT = (
    '": an input has length 1 there but is not broadcastable: declare it broadcastable (a '
    "row/col type, T.addbroadcast, or dimshuffle with 'x') to broadcast it\""
)


def _size(name: str, nd: int) -> str:
    """Element count of an input of ``nd`` dimensions, unrolled (PyArray_SIZE is a call into
    NumPy: ~1.5 ns per input, which shows in a scan step of small arrays)."""
    return " * ".join(f"PyArray_DIM(SYMC_A({name}), {d})" for d in range(nd)) or "1"


@register_c_impl(Elemwise)
def elemwise_c(op: Elemwise, node, ctx: NodeContext) -> str | None:
    nd = node.outputs[0].ndim
    if any(i.ndim != nd for i in node.inputs) or any(o.ndim != nd for o in node.outputs):
        return None
    in_dtypes = [i.type.dtype for i in node.inputs]
    out_dtypes = [o.type.dtype for o in node.outputs]
    loads = [f"x{k}" for k in range(len(node.inputs))]
    body = _body(op.scalar_op, loads, in_dtypes, out_dtypes)
    if body is None:
        return None
    stmts, out_exprs = body
    ctx.add_support("scalar_math", support_code())
    bcast = [i.type.broadcastable for i in node.inputs]
    scalar_in = [all(b) for b in bcast]  # statically one element: load once
    ins, outs = ctx.inputs, ctx.outputs
    L: list[str] = []
    w = L.append
    w(f"        npy_intp dims[{max(nd, 1)}];")
    for d in range(nd):
        w(f"        dims[{d}] = 1;")
        first = True
        for k, b in enumerate(bcast):
            if b[d]:
                continue
            if first:
                w(f"        dims[{d}] = PyArray_DIM(SYMC_A({ins[k]}), {d});")
                first = False
            else:
                dk = f"PyArray_DIM(SYMC_A({ins[k]}), {d})"
                w(f"        if ({dk} != dims[{d}]) {{ char b1[96], b2[96];"
                  f' PyErr_Format(PyExc_ValueError, "%s: input shapes %s and %s cannot be broadcast'
                  f' (dimension {d})%s", {ctx.desc}, symc_shape_str({ins[0]}, b1, 96),'
                  f" symc_shape_str({ins[k]}, b2, 96),"
                  f" ({dk} == 1 || dims[{d}] == 1) ? {_HINT} : \"\");"
                  f" {ctx.fail} }}")
    w("        npy_intp n = 1;")
    for d in range(nd):
        w(f"        n *= dims[{d}];")
    # outputs: reuse an input for in-place patterns when shapes allow, else allocate;
    # symc_fresh stays 1 when every output was allocated by this call
    w("        int symc_fresh = 1;")
    for j, o in enumerate(outs):
        tn = npy_typenum(out_dtypes[j])
        src = op.inplace_pattern.get(j)
        alloc = f"{o} = PyArray_EMPTY({nd}, dims, {tn}, 0); if (!{o}) {ctx.fail}"
        if ctx.out_cache is not None:  # reuse last run's array when no one else holds it
            c = ctx.out_cache[j]
            same = "".join(f" && PyArray_DIM(SYMC_A({c}), {d}) == dims[{d}]" for d in range(nd))
            alloc = (f"if ({c} && Py_REFCNT({c}) == 1{same}) {{"
                     f" {o} = {c}; Py_INCREF({o}); symc_fresh = 0; }}"
                     f" else {{ {alloc} Py_XSETREF({c}, {o}); Py_INCREF({o}); }}")
        if src is not None and in_dtypes[src] == out_dtypes[j]:
            s = ins[src]
            w(f"        if (PyArray_IS_C_CONTIGUOUS(SYMC_A({s})) && {_size(s, nd)} == n"
              f" && PyArray_ISWRITEABLE(SYMC_A({s})))"
              f" {{ {o} = {s}; Py_INCREF({o}); symc_fresh = 0; }}"
              f" else {{ {alloc} }}")
        else:
            w(f"        {alloc}")
    # flat path condition: every non-scalar input is C-contiguous with the output's shape
    conds = [f"(PyArray_IS_C_CONTIGUOUS(SYMC_A({ins[k]})) && {_size(ins[k], nd)} == n)"
             for k in range(len(ins)) if not scalar_in[k]]
    flat_cond = " && ".join(conds) or "1"
    ctypes_in = [c_type(d) for d in in_dtypes]
    ctypes_out = [c_type(d) for d in out_dtypes]
    # scalar inputs are read once before the loop
    pre = [f"        const {ctypes_in[k]} s{k} = *({ctypes_in[k]}*)SYMC_DATA({ins[k]});"
           for k in range(len(ins)) if scalar_in[k]]
    L.extend(pre)
    w("        if (n > 0) {")
    w(f"        if ({flat_cond}) {{")
    for k in range(len(ins)):
        if not scalar_in[k]:
            t = ctypes_in[k]
            w(f"            const {t}* restrict p{k} = (const {t}*)SYMC_DATA({ins[k]});")
    for j in range(len(outs)):
        w(f"            {ctypes_out[j]}* restrict q{j} = ({ctypes_out[j]}*)SYMC_DATA({outs[j]});")
    itemsize = max(np.dtype(d).itemsize for d in out_dtypes)

    def loop_body(pad: str, at: str, dest: str) -> None:
        """One element: inputs read at index ``at``, outputs stored to ``dest{j}[i]``."""
        for k in range(len(ins)):
            value = f"s{k}" if scalar_in[k] else f"p{k}[{at}]"
            w(f"{pad}const {ctypes_in[k]} x{k} = {value};")
        for st in stmts:
            w(f"{pad}{st}")
        for j, e in enumerate(out_exprs):
            w(f"{pad}{dest}{j}[i] = ({ctypes_out[j]})({e});")

    # Large outputs allocated by this call: one descending loop with normal stores (see
    # FRESH_DESCEND_MIN_BYTES).
    descend = FRESH_DESCEND_MIN_BYTES is not None
    if descend:
        desc_min = max(1, FRESH_DESCEND_MIN_BYTES // itemsize)
        w(f"            if (symc_fresh && n >= {desc_min}) {{")
        if ctx.openmp:
            w(f"            #pragma omp parallel for simd if(n > {ctx.omp_min_size})")
        else:
            w("            #pragma omp simd")
        w("            for (npy_intp i = n - 1; i >= 0; i--) {")
        loop_body(" " * 16, "i", "q")
        w("            }")
        w("            } else {")
    else:
        w("            (void)symc_fresh; {")
    # Otherwise one loop over chunks of STREAM_CHUNK elements. Outputs much larger than
    # the caches (a recycled buffer, an in-place input) are computed into an L1 buffer and
    # written out with streaming stores (no read of the destination lines before writing
    # them: a third less memory traffic); smaller ones directly. One vectorized body
    # serves both.
    nt_min = STREAM_MIN_BYTES // itemsize
    ctx.add_support("symc_stream", STREAM_C)
    w(f"            const int use_stream = SYMC_HAVE_STREAM && n >= {nt_min};")
    if ctx.openmp:
        w(f"            #pragma omp parallel for if(n > {ctx.omp_min_size})")
    w(f"            for (npy_intp i0 = 0; i0 < n; i0 += {STREAM_CHUNK}) {{")
    w(f"                const npy_intp m = n - i0 < {STREAM_CHUNK} ? n - i0 : {STREAM_CHUNK};")
    for j in range(len(outs)):
        w(f"                {ctypes_out[j]} buf{j}[{STREAM_CHUNK}] __attribute__((aligned(64)));")
        w(f"                {ctypes_out[j]}* restrict d{j} = use_stream ? buf{j} : q{j} + i0;")
    w("                #pragma omp simd")
    w("                for (npy_intp i = 0; i < m; i++) {")
    loop_body(" " * 20, "i0 + i", "d")
    w("                }")
    w("                if (use_stream) {")
    for j in range(len(outs)):
        w(f"                    symc_stream_copy((char*)(q{j} + i0), (const char*)buf{j},"
          f" (size_t)m * sizeof({ctypes_out[j]}));")
    w("                }")
    w("            }")
    w("            if (use_stream) SYMC_SFENCE();")
    w("            }")
    w("        } else {")
    L.extend(
        _strided_loops(nd, ins, outs, ctypes_in, ctypes_out, scalar_in, bcast, stmts, out_exprs)
    )
    w("        }")
    w("        }")
    return "\n".join(L)


def _strided_loops(nd, ins, outs, ctin, ctout, scalar_in, bcast, stmts, out_exprs) -> list[str]:
    """Nested loops over ``nd`` dimensions with byte strides (0 on broadcast dimensions)."""
    L: list[str] = []
    w = L.append
    ind = "            "
    for k, v in enumerate(ins):
        if scalar_in[k]:
            continue
        w(f"{ind}const char* b{k} = SYMC_DATA({v});")
        for d in range(nd):
            stride = (
                "0"
                if bcast[k][d]
                else f"(PyArray_DIM(SYMC_A({v}), {d}) == 1 ? 0 : PyArray_STRIDE(SYMC_A({v}), {d}))"
            )
            w(f"{ind}const npy_intp st{k}_{d} = {stride};")
    for j, v in enumerate(outs):
        w(f"{ind}char* c{j} = SYMC_DATA({v});")
        for d in range(nd):
            w(f"{ind}const npy_intp so{j}_{d} = PyArray_STRIDE(SYMC_A({v}), {d});")
    if nd >= 1:
        L.extend(_unit_inner_loops(nd, ins, outs, ctin, ctout, scalar_in, stmts, out_exprs, ind))
        w(f"{ind}else {{")
    for d in range(nd):
        w(f"{ind}for (npy_intp i{d} = 0; i{d} < dims[{d}]; i{d}++) {{")
        ind += "    "
    for k in range(len(ins)):
        if scalar_in[k]:
            w(f"{ind}const {ctin[k]} x{k} = s{k};")
        else:
            off = " + ".join(f"i{d}*st{k}_{d}" for d in range(nd)) or "0"
            w(f"{ind}const {ctin[k]} x{k} = *(const {ctin[k]}*)(b{k} + {off});")
    for s in stmts:
        w(f"{ind}{s}")
    for j, e in enumerate(out_exprs):
        off = " + ".join(f"i{d}*so{j}_{d}" for d in range(nd)) or "0"
        w(f"{ind}*({ctout[j]}*)(c{j} + {off}) = ({ctout[j]})({e});")
    for _ in range(nd):
        ind = ind[:-4]
        w(f"{ind}}}")
    if nd >= 1:
        w(f"{ind}}}")
    return L


def _unit_inner_loops(nd, ins, outs, ctin, ctout, scalar_in, stmts, out_exprs, ind) -> list[str]:
    """``if (...) { loops }`` for the common strided case: along the last dimension every
    operand is contiguous (e.g. a matrix plus a row, slices of rows). The inner loop then
    indexes typed pointers and vectorizes (libmvec calls included); other layouts
    (transposed, negative strides, a column broadcast along rows) take the byte-stride
    loops."""
    L: list[str] = []
    w = L.append
    last = nd - 1
    conds = [f"so{j}_{last} == (npy_intp)sizeof({ctout[j]})" for j in range(len(outs))]
    conds += [
        f"st{k}_{last} == (npy_intp)sizeof({ctin[k]})"
        for k in range(len(ins))
        if not scalar_in[k]
    ]
    w(f"{ind}if ({' && '.join(conds) or '1'}) {{")
    inner = ind + "    "
    for d in range(last):
        w(f"{inner}for (npy_intp i{d} = 0; i{d} < dims[{d}]; i{d}++) {{")
        inner += "    "
    for k in range(len(ins)):
        if not scalar_in[k]:
            off = " + ".join(f"i{d}*st{k}_{d}" for d in range(last)) or "0"
            w(f"{inner}const {ctin[k]}* restrict r{k} = (const {ctin[k]}*)(b{k} + {off});")
    for j in range(len(outs)):
        off = " + ".join(f"i{d}*so{j}_{d}" for d in range(last)) or "0"
        w(f"{inner}{ctout[j]}* restrict u{j} = ({ctout[j]}*)(c{j} + {off});")
    w(f"{inner}#pragma omp simd")
    w(f"{inner}for (npy_intp i = 0; i < dims[{last}]; i++) {{")
    body = inner + "    "
    for k in range(len(ins)):
        value = f"s{k}" if scalar_in[k] else f"r{k}[i]"
        w(f"{body}const {ctin[k]} x{k} = {value};")
    for st in stmts:
        w(f"{body}{st}")
    for j, e in enumerate(out_exprs):
        w(f"{body}u{j}[i] = ({ctout[j]})({e});")
    w(f"{inner}}}")
    for _ in range(last):
        inner = inner[:-4]
        w(f"{inner}}}")
    w(f"{ind}}}")
    return L


@register_c_impl(DimShuffle)
def dimshuffle_c(op: DimShuffle, node, ctx: NodeContext) -> str | None:
    """A view: permuted strides, inserted length-1 dims, dropped broadcastable dims."""
    x, out = ctx.inputs[0], ctx.outputs[0]
    order = list(op.new_order)
    nd_out = len(order)
    nd_in = node.inputs[0].ndim
    dtype = node.outputs[0].type.dtype
    L = [f"        npy_intp dims[{max(nd_out, 1)}], strides[{max(nd_out, 1)}];"]
    for k, o in enumerate(order):
        if o == "x":
            L.append(f"        dims[{k}] = 1; strides[{k}] = 0;")
        else:
            L.append(f"        dims[{k}] = PyArray_DIM(SYMC_A({x}), {o});"
                     f" strides[{k}] = PyArray_STRIDE(SYMC_A({x}), {o});")
    dropped = [d for d in range(nd_in) if d not in order]
    for d in dropped:
        dx = f"PyArray_DIM(SYMC_A({x}), {d})"
        L.append(f"        if ({dx} != 1) {{ PyErr_Format(PyExc_ValueError,"
                 f' "%s: cannot drop dimension {d} of length %ld", {ctx.desc}, (long){dx});'
                 f" {ctx.fail} }}")
    L.append(f"        {out} = PyArray_NewFromDescr(&PyArray_Type,"
             f" PyArray_DescrFromType({npy_typenum(dtype)}), {nd_out}, dims, strides,"
             f" SYMC_DATA({x}), PyArray_FLAGS(SYMC_A({x})) & NPY_ARRAY_WRITEABLE, NULL);")
    L.append(f"        if (!{out}) {ctx.fail}")
    L.append(f"        Py_INCREF({x});"
             f" if (PyArray_SetBaseObject(SYMC_A({out}), {x}) < 0) {{ {ctx.fail} }}")
    L.append(f"        PyArray_UpdateFlags(SYMC_A({out}),"
             " NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_F_CONTIGUOUS | NPY_ARRAY_ALIGNED);")
    return "\n".join(L)
