"""``RowBlockLinear``: a matrix-vector product, row-local elementwise work on its result,
and the transposed product back, in one pass over the matrix (the logistic-regression
step: ``z = X @ w``, ``r = f(z, y, ...)``, ``w' = beta*w + alpha*X.T @ r``).

Unfused, the two ``Gemv`` each read the whole of ``X``. Here ``X`` is processed by blocks
of rows that stay in the L2 cache (``BLOCK_BYTES``): for each block, ``z_blk = a1 * X_blk @
v``, the elementwise nodes on the block (one loop of the generated scalar code, storing
the vectors other nodes need and the partial sums of the ``Sum`` nodes), then ``acc +=
a2 * X_blk.T @ r_blk`` while the block is still cached. Row-contiguous X runs hand-written
vector loops (four rows per dot, eight per update of acc); any other layout BLAS ``?gemv``
on each block. The result equals the unfused graph's up to the order of the additions.

Measured on the development machine (AMD EPYC, 2.6 GHz, loaded): each pass over the
400x784 float64 X costs ~29 us whether X comes from L2 or L3 (the core's L2-to-L1
bandwidth, 32 B/cycle, is the limit, not main memory), so reading X once saves less than
half: the seed's logreg step went from ~74 to ~67 us in float64, ~34 to ~33 us in
float32. That is why the rewrite (:mod:`sym_backend_c.rewrites`) is opt-in.
"""

from __future__ import annotations

import numpy as np
from symcore.graph.basic import Apply
from symcore.graph.op import Op, perform_of
from symcore.tensor.rewriting.blas_ops import gemv_kernel
from symcore.tensor.type import TensorType

from sym_backend_c.blas import available, index
from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops.blas import blas_support
from sym_backend_c.ops.elemwise import _body
from sym_backend_c.ops.gemv_kernels import add_gemv_kernels
from sym_backend_c.ops.scalar_exprs import support_code

#: Bytes of X per block of rows (the block is read twice: it must stay in L2).
BLOCK_BYTES = 512 << 10
#: Most rows per block (the block buffers of z and r live on the C stack).
MAX_BLOCK_ROWS = 256

#: Rows contiguous: hand-written loops (True) or BLAS ?gemv on each block (False).
HAND_KERNELS = True






class RowBlockLinear(Op):
    """Outputs ``(w_out, *vectors, *sums)`` of::

        z = a1 * X @ v                      # slot 0
        slots 1..n_ext = the external vectors (length N, or broadcastable length 1)
        for (op, ins, outs) in program:     # Elemwise ops on slots (row-local)
            slots[outs] = op(*slots[ins])
        w_out = b2 * y2 + a2 * X.T @ slots[r_slot]   # y2 unread when b2 == 0
        vectors = slots[vec_outs]
        sums = [sum(slots[s], dtype=acc).astype(dt) for (s, dt, acc) in sums]

    Inputs: ``X, v, a1, y2, a2, b2, *externals``. ``slot_dtypes[s]`` is the dtype of slot
    ``s`` and ``ext_bcast[k]`` whether external ``k`` is broadcastable.
    """

    __props__ = ("program", "slot_dtypes", "ext_bcast", "r_slot", "vec_outs", "sums")

    def __init__(self, program, slot_dtypes, ext_bcast, r_slot, vec_outs, sums) -> None:
        self.program = tuple((op, tuple(i), tuple(o)) for op, i, o in program)
        self.slot_dtypes = tuple(slot_dtypes)
        self.ext_bcast = tuple(bool(b) for b in ext_bcast)
        self.r_slot = int(r_slot)
        self.vec_outs = tuple(vec_outs)
        self.sums = tuple(tuple(s) for s in sums)

    def __str__(self) -> str:
        return (
            f"RowBlockLinear{{{len(self.program)} elemwise, {len(self.vec_outs)} vectors, "
            f"{len(self.sums)} sums}}"
        )

    def make_node(self, X, v, a1, y2, a2, b2, *ext) -> Apply:
        dt = X.type.dtype
        if X.ndim != 2 or v.ndim != 1 or y2.ndim != 1 or any(s.ndim != 0 for s in (a1, a2, b2)):
            raise TypeError(f"{self}: X must be a matrix, v and y2 vectors, a1/a2/b2 scalars")
        if len(ext) != len(self.ext_bcast) or any(
            e.ndim != 1 or e.type.broadcastable[0] != b
            for e, b in zip(ext, self.ext_bcast, strict=True)
        ):
            types = [e.type for e in ext]
            raise TypeError(f"{self}: externals {types} do not fit {self.ext_bcast}")
        outs = [TensorType(dt, (False,))()]
        outs += [TensorType(self.slot_dtypes[s], (False,))() for s in self.vec_outs]
        outs += [TensorType(odt, ())() for _, odt, _ in self.sums]
        return Apply(self, [X, v, a1, y2, a2, b2, *ext], outs)

    def _inner_nodes(self) -> list[Apply]:
        nodes = self.__dict__.get("_nodes")
        if nodes is None:
            nodes = []
            bc = {0: False, **{k + 1: b for k, b in enumerate(self.ext_bcast)}}
            for op, ins, outs in self.program:
                node = op.make_node(*[TensorType(self.slot_dtypes[i], (bc[i],))() for i in ins])
                for s in outs:
                    bc[s] = False
                nodes.append(node)
            self.__dict__["_nodes"] = nodes
        return nodes

    def perform(self, node, inputs, output_storage, params=None) -> None:
        X, v, a1, y2, a2, b2, *ext = inputs
        n, f = X.shape
        if v.shape != (f,) or y2.shape != (f,):
            raise ValueError(
                f"{self}: shapes X {X.shape}, v {v.shape}, y2 {y2.shape} do not fit "
                f"z = a1*X@v, out = b2*y2 + a2*X.T@r (dtype {X.dtype})"
            )
        for k, (e, b) in enumerate(zip(ext, self.ext_bcast, strict=True)):
            if not b and e.shape != (n,):
                raise ValueError(
                    f"{self}: vector input {k} has shape {e.shape}, the rows of X {X.shape} "
                    "need length {n}"
                )
        dt = node.outputs[0].type.numpy_dtype
        vals = {0: gemv_kernel(None, a1, X, v, 0, False, dt)}
        vals.update({k + 1: e for k, e in enumerate(ext)})
        for inner, (_, ins, outs) in zip(self._inner_nodes(), self.program, strict=True):
            storage = [[None] for _ in outs]
            perform_of(inner)(inner, [vals[i] for i in ins], storage, inner.run_params())
            for s, cell in zip(outs, storage, strict=True):
                vals[s] = cell[0]
        r = vals[self.r_slot]
        b2v = b2.item()
        y = y2.copy() if b2v != 0 else None
        output_storage[0][0] = gemv_kernel(y, a2, X.T, r, b2v, True, dt)
        k = 1
        for s in self.vec_outs:
            output_storage[k][0] = vals[s]
            k += 1
        for s, odt, acc in self.sums:
            output_storage[k][0] = np.asarray(np.sum(vals[s], dtype=acc), dtype=odt)
            k += 1

    def infer_shape(self, node, input_shapes):
        xs, _, _, ys = input_shapes[:4]
        return [ys] + [(xs[0],)] * len(self.vec_outs) + [()] * len(self.sums)


def _statements(op: RowBlockLinear) -> tuple[list[str], dict[int, str]] | None:
    """C statements of one row (values ``v<slot>``) and the C expression of each slot."""
    vals = {0: "v0", **{k + 1: f"v{k + 1}" for k in range(len(op.ext_bcast))}}
    stmts: list[str] = []
    for op_, ins, outs in op.program:
        body = _body(op_.scalar_op, [vals[i] for i in ins], [op.slot_dtypes[i] for i in ins],
                     [op.slot_dtypes[s] for s in outs])
        if body is None:
            return None
        inner, exprs = body
        decl = " ".join(f"{c_type(op.slot_dtypes[s])} v{s};" for s in outs)
        sets = " ".join(
            f"v{s} = ({c_type(op.slot_dtypes[s])})({e});" for s, e in zip(outs, exprs, strict=True)
        )
        stmts.append(f"{decl} {{ {' '.join(inner)} {sets} }}")
        for s in outs:
            vals[s] = f"v{s}"
    return stmts, vals


@register_c_impl(RowBlockLinear)
def row_block_linear_c(op: RowBlockLinear, node, ctx: NodeContext) -> str | None:
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or not available():
        return None
    made = _statements(op)
    if made is None:
        return None
    stmts, _ = made
    t = blas_support(ctx, dt)
    add_gemv_kernels(ctx, dt)
    ctx.add_support("scalar_math", support_code())
    CT = c_type(dt)
    X, v, a1, y2, a2, b2, *ext = ctx.inputs
    w_out, *rest = ctx.outputs
    vec_o = rest[: len(op.vec_outs)]
    sum_o = rest[len(op.vec_outs) :]
    slot_out = dict(zip(op.vec_outs, vec_o, strict=True))
    tn = npy_typenum(dt)
    L: list[str] = []
    w = L.append
    w(f"        PyArrayObject* Xa = SYMC_A({X});")
    w("        const npy_intp N = PyArray_DIM(Xa, 0), F = PyArray_DIM(Xa, 1);")
    w(
        f"        if (PyArray_DIM(SYMC_A({v}), 0) != F || PyArray_DIM(SYMC_A({y2}), 0) != F) {{"
        " char b1[128], b2[128], b3[128]; PyErr_Format(PyExc_ValueError, \"%s: shapes X %s,"
        f" v %s, y2 %s do not fit z = a1*X@v, out = b2*y2 + a2*X.T@r (dtype {dt})\", {ctx.desc},"
        f" symc_shape_str({X}, b1, 128), symc_shape_str({v}, b2, 128),"
        f" symc_shape_str({y2}, b3, 128)); {ctx.fail} }}"
    )
    for k, (e, b) in enumerate(zip(ext, op.ext_bcast, strict=True)):
        if not b:
            w(
                f"        if (PyArray_DIM(SYMC_A({e}), 0) != N) {{ char b1[128], b2[128];"
                f' PyErr_Format(PyExc_ValueError, "%s: vector input {k} has shape %s, the rows'
                f' of X %s need as many elements", {ctx.desc}, symc_shape_str({e}, b1, 128),'
                f" symc_shape_str({X}, b2, 128)); {ctx.fail} }}"
            )
    w(
        f"        const {CT} a1v = *({CT}*)SYMC_DATA({a1}), a2v = *({CT}*)SYMC_DATA({a2}),"
        f" b2v = *({CT}*)SYMC_DATA({b2});"
    )
    w(f"        {w_out} = PyArray_EMPTY(1, (npy_intp*)&F, {tn}, 0); if (!{w_out}) {ctx.fail}")
    for s, o in slot_out.items():
        w(
            f"        {o} = PyArray_EMPTY(1, (npy_intp*)&N, {npy_typenum(op.slot_dtypes[s])}, 0);"
            f" if (!{o}) {ctx.fail}"
        )
    for (_, odt, _), o in zip(op.sums, sum_o, strict=True):
        w(f"        {o} = PyArray_EMPTY(0, NULL, {npy_typenum(odt)}, 0); if (!{o}) {ctx.fail}")
    # w_out = b2 * y2 (y2 unread when b2 == 0)
    w(f"        {CT}* restrict wo = ({CT}*)SYMC_DATA({w_out});")
    w(
        f"        {{ const char* yb = SYMC_DATA({y2}); const npy_intp ys ="
        f" PyArray_STRIDE(SYMC_A({y2}), 0);"
    )
    w(
        f"          for (npy_intp j = 0; j < F; j++) {{ {CT} yv = 0; if (b2v != 0) {{"
        " memcpy(&yv, yb + j * ys, sizeof yv); yv *= b2v; } wo[j] = yv; } }"
    )
    for k in range(len(op.sums)):
        w(f"        double acc{k} = 0;")
    # externals: byte pointers and strides; broadcastable ones read once
    for k, (e, b) in enumerate(zip(ext, op.ext_bcast, strict=True)):
        s = k + 1
        ect = c_type(op.slot_dtypes[s])
        if b:
            w(f"        {ect} e{s}; memcpy(&e{s}, SYMC_DATA({e}), sizeof e{s});")
        else:
            w(
                f"        const char* eb{s} = SYMC_DATA({e}); const npy_intp es{s} ="
                f" PyArray_STRIDE(SYMC_A({e}), 0);"
            )
    for s, o in slot_out.items():
        w(f"        {c_type(op.slot_dtypes[s])}* restrict q{s} = ({c_type(op.slot_dtypes[s])}*)"
          f"SYMC_DATA({o});")
    w("        if (N > 0) {")
    # X and v as BLAS operands (copies when BLAS cannot read them)
    w(f"        PyArrayObject* Xr = NULL; PyArrayObject* vr = NULL; {CT}* vp = NULL;")
    w("        char ta = 'N'; int lda = 1, incv = 1;")
    w("        if (F > 0) {")
    w(f"            Xr = symc_blas_ready_{t}(Xa); if (!Xr) {ctx.fail}")
    w(
        f"            vr = symc_blas_ready_{t}(SYMC_A({v}));"
        f" if (!vr) {{ Py_DECREF(Xr); {ctx.fail} }}"
    )
    w(
        f"            if (symc_blas_mat_{t}(Xr, &ta, &lda) < 0 || symc_blas_vec_{t}(vr, &vp, &incv)"
        f" < 0) {{ Py_DECREF(Xr); Py_DECREF(vr); char b1[128]; PyErr_Format(PyExc_ValueError,"
        f' "%s: X %s is too large for BLAS", {ctx.desc}, symc_shape_str({X}, b1, 128));'
        f" {ctx.fail} }}"
    )
    w("        }")
    w(f"        const {CT}* Xp = Xr ? (const {CT}*)PyArray_DATA(Xr) : NULL;")
    # rows contiguous: the hand-written kernels (X read once from memory, the block again
    # from the cache); v must then be contiguous (copied when it is not)
    w(f"        const int hand = {int(HAND_KERNELS)} && F > 0 && ta == 'N';")
    w(f"        {CT}* vc = NULL; const {CT}* vh = vp;")
    w("        if (hand && incv != 1) {")
    w(f"            vc = ({CT}*)malloc(F * sizeof({CT})); if (!vc) {{ Py_DECREF(Xr); Py_DECREF(vr);"
      f" PyErr_NoMemory(); {ctx.fail} }}")
    w("            const npy_intp s0 = incv < 0 ? (F - 1) * (npy_intp)(-incv) : 0;")
    w("            for (npy_intp j = 0; j < F; j++) vc[j] = vp[s0 + j * (npy_intp)incv]; vh = vc;")
    w("        }")
    w(
        f"        npy_intp NB = F > 0 ? (npy_intp){BLOCK_BYTES} / (F * (npy_intp)sizeof({CT}))"
        f" : {MAX_BLOCK_ROWS};"
    )
    w(f"        if (NB < 1) NB = 1; if (NB > {MAX_BLOCK_ROWS}) NB = {MAX_BLOCK_ROWS};")
    w(f"        {CT} zbuf[{MAX_BLOCK_ROWS}] __attribute__((aligned(64)));")
    w(f"        {CT} rbuf[{MAX_BLOCK_ROWS}] __attribute__((aligned(64)));")
    w(f"        symc_gemv_{t} gemv = (symc_gemv_{t})symc_ptrs[{index(t + 'gemv')}];")
    w(f"        {CT} zero = 0, one = 1, a1c = a1v, a2c = a2v;")
    w("        int Fi = (int)F, one_i = 1;")
    w("        for (npy_intp i0 = 0; i0 < N; i0 += NB) {")
    w("            const npy_intp nb = N - i0 < NB ? N - i0 : NB; int nbi = (int)nb;")
    zdst = "q0 + i0" if 0 in slot_out else "zbuf"
    w(f"            {CT}* restrict zb = {zdst};")
    w(f"            if (hand) symc_rbl_dots_{t}(Xp + i0 * lda, lda, nb, F, vh, a1v, zb);")
    w("            else if (F > 0) {")
    w("                if (ta == 'N') {  /* memory: X^T col-major (F x N), lda */")
    w("                    char tt = 'T';")
    w(f"                    gemv(&tt, &Fi, &nbi, &a1c, ({CT}*)(Xp + i0 * lda), &lda, vp, &incv,"
      " &zero, zb, &one_i);")
    w("                } else {  /* memory: X col-major (N x F), lda */")
    w("                    char tn = 'N';")
    w(f"                    gemv(&tn, &nbi, &Fi, &a1c, ({CT}*)(Xp + i0), &lda, vp, &incv,"
      " &zero, zb, &one_i);")
    w("                }")
    w("            } else { for (npy_intp i = 0; i < nb; i++) zb[i] = 0; }")
    if op.r_slot == 0:
        w(f"            {CT}* restrict rb = zb;")
    elif op.r_slot in slot_out:
        w(f"            {CT}* restrict rb = q{op.r_slot} + i0;")
    else:
        w(f"            {CT}* restrict rb = rbuf;")
    red = "".join(f" reduction(+:acc{k})" for k in range(len(op.sums)))
    w(f"            #pragma omp simd{red}")
    w("            for (npy_intp i = 0; i < nb; i++) {")
    w(f"                const {CT} v0 = zb[i];")
    for k, b in enumerate(op.ext_bcast):
        s = k + 1
        ect = c_type(op.slot_dtypes[s])
        if b:
            w(f"                const {ect} v{s} = e{s};")
        else:
            w(f"                const {ect} v{s} = *(const {ect}*)(eb{s} + (i0 + i) * es{s});")
    for st in stmts:
        w(f"                {st}")
    for s in slot_out:
        if s != 0:
            w(f"                q{s}[i0 + i] = v{s};")
    if op.r_slot != 0 and op.r_slot not in slot_out:
        w(f"                rb[i] = v{op.r_slot};")
    for k, (s, _, _) in enumerate(op.sums):
        w(f"                acc{k} += (double)v{s};")
    w("            }")
    w(
        f"            if (hand) {{ if (a2v != 0) symc_rbl_axpys_{t}(Xp + i0 * lda, lda, nb, F, rb,"
        " a2v, wo); }"
    )
    w("            else if (F > 0 && a2v != 0) {")
    w("                if (ta == 'N') {")
    w("                    char tn = 'N';")
    w(f"                    gemv(&tn, &Fi, &nbi, &a2c, ({CT}*)(Xp + i0 * lda), &lda, rb, &one_i,"
      " &one, wo, &one_i);")
    w("                } else {")
    w("                    char tt = 'T';")
    w(f"                    gemv(&tt, &nbi, &Fi, &a2c, ({CT}*)(Xp + i0), &lda, rb, &one_i,"
      " &one, wo, &one_i);")
    w("                }")
    w("            }")
    w("        }")
    w("        Py_XDECREF(Xr); Py_XDECREF(vr); free(vc);")
    w("        }")
    for k, ((_, odt, _), o) in enumerate(zip(op.sums, sum_o, strict=True)):
        w(f"        *({c_type(odt)}*)SYMC_DATA({o}) = ({c_type(odt)})acc{k};")
    return "\n".join(L)
