"""C code for ``Dot`` (the four cases of ``numpy.dot`` on 1-d/2-d operands) and the BLAS
Ops of the rewrites (``Dot22``, ``Dot22Scalar``, ``Gemm``, ``Gemv``, ``Ger``; in place on
their accumulator when the Op says so and it is writeable) through BLAS.

float64/float32 products call SciPy's BLAS (``dgemm``/``dgemv``/``ddot`` and the ``s``
forms) through the pointer table: an operand is passed as it is when BLAS can read its
strides (C- or Fortran-ordered rows, any positive leading dimension, any vector increment
including negative ones) and copied otherwise. Zero-size dimensions never reach BLAS.
Operands of another dtype than the output's are cast first (``int32 . float64`` is a
float64 product, as in NumPy). Integer and bool products run plain C loops that wrap
around like NumPy's.

The helpers of ``_BLAS_TEMPLATE`` (``symc_xgemm_d``, ``symc_xgemv_d``, ``symc_xdot_d``,
``symc_ger_into_d`` and their float32 twins ``_s``: one template, parametrized by dtype)
compute ``C = alpha*A@B + beta*C`` etc. on arrays of any layout; the Gemm/Gemv/Ger Ops of
the rewrites reuse them.

``Ger`` (rank-1 update) runs its own loop, one pass that reads A and writes the output
(A itself when in place), with any strides: it is memory bound, so BLAS gains nothing
single-threaded, and OpenBLAS's ``?ger`` starts its threads from about 100x100 on, which
cost milliseconds per call on a busy machine (the RNN gradient's scan spent 17 ms per
100x100 ``Ger``). Only in-place updates of 4M elements or more go to ``?ger``.
"""

from __future__ import annotations

from symcore.tensor.dot import Dot
from symcore.tensor.rewriting.blas_ops import Dot22, Dot22Scalar, Gemm, Gemv, Ger

from sym_backend_c.blas import C_DECLS, available, index
from sym_backend_c.codegen.context import NodeContext, c_type, npy_typenum
from sym_backend_c.codegen.registry import register_c_impl
from sym_backend_c.ops._common import COMMON_C, native, wrap_type

_BLAS_TEMPLATE = r"""
/* A 2-d array as a BLAS operand: trans 'N' when its rows are contiguous (the Fortran view
   of the memory is the transpose), 'T' when its columns are; ld: leading dimension.
   Returns -1 when BLAS cannot read it as it is. */
static int symc_blas_mat_@T@(PyArrayObject* a, char* trans, int* ld) {
    const npy_intp isz = sizeof(@CT@);
    const npy_intp r = PyArray_DIM(a, 0), c = PyArray_DIM(a, 1);
    const npy_intp b0 = PyArray_STRIDE(a, 0), b1 = PyArray_STRIDE(a, 1);
    if (!PyArray_ISALIGNED(a) || b0 % isz || b1 % isz || r > INT_MAX || c > INT_MAX) return -1;
    const npy_intp s0 = b0 / isz, s1 = b1 / isz;
    if ((s1 == 1 || c == 1) && (r == 1 || (s0 >= 1 && s0 >= c && s0 <= INT_MAX))) {
        *trans = 'N'; *ld = (int)(r == 1 ? (c > 1 ? c : 1) : s0); return 0;
    }
    if ((s0 == 1 || r == 1) && (c == 1 || (s1 >= 1 && s1 >= r && s1 <= INT_MAX))) {
        *trans = 'T'; *ld = (int)(c == 1 ? (r > 1 ? r : 1) : s1); return 0;
    }
    return -1;
}

/* A 1-d array as a BLAS vector: pointer to its lowest address and increment. */
static int symc_blas_vec_@T@(PyArrayObject* a, @CT@** ptr, int* inc) {
    const npy_intp isz = sizeof(@CT@);
    const npy_intp n = PyArray_DIM(a, 0), b = PyArray_STRIDE(a, 0);
    if (!PyArray_ISALIGNED(a) || b % isz || n > INT_MAX) return -1;
    const npy_intp s = b / isz;
    if (n <= 1) { *ptr = (@CT@*)PyArray_DATA(a); *inc = 1; return 0; }
    if (s == 0 || s > INT_MAX || s < -INT_MAX) return -1;
    *inc = (int)s;
    *ptr = (@CT@*)PyArray_DATA(a) + (s < 0 ? (n - 1) * s : 0);
    return 0;
}

/* `a` itself (new reference) when BLAS can read it, else a C-ordered copy. */
static PyArrayObject* symc_blas_ready_@T@(PyArrayObject* a) {
    char t; int ld; @CT@* p; int inc;
    int ok = PyArray_NDIM(a) == 2 ? symc_blas_mat_@T@(a, &t, &ld) : symc_blas_vec_@T@(a, &p, &inc);
    if (ok == 0) { Py_INCREF(a); return a; }
    return (PyArrayObject*)PyArray_NewCopy(a, NPY_CORDER);
}

/* C = alpha * A @ B + beta * C for 2-d arrays (row-major semantics, any layouts). */
static int symc_xgemm_@T@(@CT@ alpha, PyArrayObject* A, PyArrayObject* B, @CT@ beta,
    PyArrayObject* C) {
    const npy_intp M = PyArray_DIM(C, 0), N = PyArray_DIM(C, 1), K = PyArray_DIM(A, 1);
    if (M == 0 || N == 0) return 0;
    if (K == 0 || alpha == 0) {  /* C = beta * C, without reading C when beta == 0 */
        if (beta == 1) return 0;
        char* base = PyArray_BYTES(C);
        const npy_intp s0 = PyArray_STRIDE(C, 0), s1 = PyArray_STRIDE(C, 1);
        for (npy_intp i = 0; i < M; i++)
            for (npy_intp j = 0; j < N; j++) { @CT@* e = (@CT@*)(base + i * s0 + j * s1); *e =
                beta == 0 ? 0 : *e * beta; }
        return 0;
    }
    char tc; int ldc;
    PyArrayObject* Cw = C;
    if (symc_blas_mat_@T@(C, &tc, &ldc) < 0) {
        Cw = (PyArrayObject*)PyArray_NewCopy(C, NPY_CORDER);
        if (!Cw) return -1;
        symc_blas_mat_@T@(Cw, &tc, &ldc);
    }
    PyArrayObject* Ar = symc_blas_ready_@T@(A);
    PyArrayObject* Br = Ar ? symc_blas_ready_@T@(B) : NULL;
    if (!Ar || !Br) { Py_XDECREF(Ar); if (Cw != C) Py_DECREF(Cw); return -1; }
    char ta, tb; int lda, ldb;
    symc_blas_mat_@T@(Ar, &ta, &lda); symc_blas_mat_@T@(Br, &tb, &ldb);
    int m = (int)M, n = (int)N, k = (int)K;
    symc_gemm_@T@ gemm = (symc_gemm_@T@)symc_ptrs[@GEMM@];
    if (tc == 'N') {
        /* C's memory is C^T col-major: C^T = B^T A^T */
        gemm(&tb, &ta, &n, &m, &k, &alpha, (@CT@*)PyArray_DATA(Br), &ldb, (@CT@*)PyArray_DATA(Ar),
            &lda,
             &beta, (@CT@*)PyArray_DATA(Cw), &ldc);
    } else {
        /* C's memory is C col-major: C = A B, each operand's flag flipped */
        char fa = ta == 'N' ? 'T' : 'N', fb = tb == 'N' ? 'T' : 'N';
        gemm(&fa, &fb, &m, &n, &k, &alpha, (@CT@*)PyArray_DATA(Ar), &lda, (@CT@*)PyArray_DATA(Br),
            &ldb,
             &beta, (@CT@*)PyArray_DATA(Cw), &ldc);
    }
    Py_DECREF(Ar); Py_DECREF(Br);
    if (Cw != C) { int r = PyArray_CopyInto(C, Cw); Py_DECREF(Cw); return r; }
    return 0;
}

/* y = alpha * op(A) @ x + beta * y, op(A) = A (trans=0) or A.T (trans=1). */
static int symc_xgemv_@T@(@CT@ alpha, PyArrayObject* A, int trans, PyArrayObject* x, @CT@ beta,
    PyArrayObject* y) {
    const npy_intp R = PyArray_DIM(A, 0), Cc = PyArray_DIM(A, 1);
    const npy_intp M = trans ? Cc : R, K = trans ? R : Cc;
    if (M == 0) return 0;
    if (K == 0 || alpha == 0) {  /* y = beta * y, without reading y when beta == 0 */
        if (beta == 1) return 0;
        char* base = PyArray_BYTES(y); const npy_intp st = PyArray_STRIDE(y, 0);
        for (npy_intp i = 0; i < M; i++) { @CT@* e = (@CT@*)(base + i * st); *e = beta == 0 ? 0 :
            *e * beta; }
        return 0;
    }
    PyArrayObject* yw = y; @CT@* yp; int incy;
    if (symc_blas_vec_@T@(y, &yp, &incy) < 0) {
        yw = (PyArrayObject*)PyArray_NewCopy(y, NPY_CORDER);
        if (!yw) return -1;
        symc_blas_vec_@T@(yw, &yp, &incy);
    }
    PyArrayObject* Ar = symc_blas_ready_@T@(A);
    PyArrayObject* xr = Ar ? symc_blas_ready_@T@(x) : NULL;
    if (!Ar || !xr) { Py_XDECREF(Ar); if (yw != y) Py_DECREF(yw); return -1; }
    char ta; int lda; @CT@* xp; int incx;
    symc_blas_mat_@T@(Ar, &ta, &lda); symc_blas_vec_@T@(xr, &xp, &incx);
    /* memory of A as col-major: A^T (ta 'N', R' = Cc rows) or A (ta 'T', R rows) */
    int rows = (int)(ta == 'N' ? Cc : R), cols = (int)(ta == 'N' ? R : Cc);
    /* we want op(A) @ x; in terms of the col-major matrix Mc: A = Mc^T (ta 'N') or A = Mc */
    char t = (ta == 'N') ^ (trans != 0) ? 'T' : 'N';
    const @CT@* Ap = (const @CT@*)PyArray_DATA(Ar);
    if (incx == 1 && incy == 1 && (npy_intp)rows * cols * (npy_intp)sizeof(@CT@) <= @HANDMAX@) {
        /* hand-written loops over B, the row-major view of the memory (cols x rows, row
           stride lda): t 'T' is y = B x (row dots), t 'N' is y = B^T x (row updates) */
        if (t == 'T') {
            if (beta == 0) symc_rbl_dots_@T@(Ap, lda, cols, rows, xp, alpha, yp);
            else {
                @CT@* tmp = (@CT@*)malloc((size_t)cols * sizeof(@CT@));
                if (!tmp) { Py_DECREF(Ar); Py_DECREF(xr); if (yw != y) Py_DECREF(yw);
                    PyErr_NoMemory(); return -1; }
                symc_rbl_dots_@T@(Ap, lda, cols, rows, xp, alpha, tmp);
                for (npy_intp i = 0; i < cols; i++) yp[i] = beta * yp[i] + tmp[i];
                free(tmp);
            }
        } else {
            if (beta == 0) memset(yp, 0, (size_t)rows * sizeof(@CT@));
            else if (beta != 1) for (npy_intp j = 0; j < rows; j++) yp[j] *= beta;
            symc_rbl_axpys_@T@(Ap, lda, cols, rows, xp, alpha, yp);
        }
    } else {
        symc_gemv_@T@ gemv = (symc_gemv_@T@)symc_ptrs[@GEMV@];
        gemv(&t, &rows, &cols, &alpha, (@CT@*)Ap, &lda, xp, &incx, &beta, yp, &incy);
    }
    Py_DECREF(Ar); Py_DECREF(xr);
    if (yw != y) { int r = PyArray_CopyInto(y, yw); Py_DECREF(yw); return r; }
    return 0;
}

/* x . y for 1-d arrays of equal length. */
static int symc_xdot_@T@(PyArrayObject* x, PyArrayObject* y, @CT@* out) {
    const npy_intp n = PyArray_DIM(x, 0);
    if (n == 0) { *out = 0; return 0; }
    PyArrayObject* xr = symc_blas_ready_@T@(x);
    PyArrayObject* yr = xr ? symc_blas_ready_@T@(y) : NULL;
    if (!xr || !yr) { Py_XDECREF(xr); return -1; }
    @CT@ *xp, *yp; int incx, incy, nn = (int)n;
    symc_blas_vec_@T@(xr, &xp, &incx); symc_blas_vec_@T@(yr, &yp, &incy);
    *out = ((symc_dot_@T@)symc_ptrs[@DOT@])(&nn, xp, &incx, yp, &incy);
    Py_DECREF(xr); Py_DECREF(yr);
    return 0;
}

/* A += alpha * outer(x, y) (A 2-d, any layout) through BLAS ?ger: only for large in-place
   updates (see symc_ger_into_@T@). */
static int symc_xger_@T@(@CT@ alpha, PyArrayObject* x, PyArrayObject* y, PyArrayObject* A) {
    const npy_intp M = PyArray_DIM(A, 0), N = PyArray_DIM(A, 1);
    if (M == 0 || N == 0 || alpha == 0) return 0;
    char ta; int lda;
    PyArrayObject* Aw = A;
    if (symc_blas_mat_@T@(A, &ta, &lda) < 0) {
        Aw = (PyArrayObject*)PyArray_NewCopy(A, NPY_CORDER);
        if (!Aw) return -1;
        symc_blas_mat_@T@(Aw, &ta, &lda);
    }
    PyArrayObject* xr = symc_blas_ready_@T@(x);
    PyArrayObject* yr = xr ? symc_blas_ready_@T@(y) : NULL;
    if (!xr || !yr) { Py_XDECREF(xr); if (Aw != A) Py_DECREF(Aw); return -1; }
    @CT@ *xp, *yp; int incx, incy;
    symc_blas_vec_@T@(xr, &xp, &incx); symc_blas_vec_@T@(yr, &yp, &incy);
    int m = (int)M, n = (int)N;
    symc_ger_@T@ ger = (symc_ger_@T@)symc_ptrs[@GER@];
    if (ta == 'N')  /* memory is A^T col-major (N x M): A^T += alpha y x^T */
        ger(&n, &m, &alpha, yp, &incy, xp, &incx, (@CT@*)PyArray_DATA(Aw), &lda);
    else
        ger(&m, &n, &alpha, xp, &incx, yp, &incy, (@CT@*)PyArray_DATA(Aw), &lda);
    Py_DECREF(xr); Py_DECREF(yr);
    if (Aw != A) { int r = PyArray_CopyInto(A, Aw); Py_DECREF(Aw); return r; }
    return 0;
}

/* One row of a rank-1 update, contiguous operands: o = a + s*y (o may be a). */
static void symc_ger_row_@T@(@CT@* o, const @CT@* a, const @CT@* restrict y, @CT@ s,
    npy_intp n) {
    if (o == a) { @CT@* restrict w = o; for (npy_intp j = 0; j < n; j++) w[j] += s * y[j]; }
    else {
        @CT@* restrict w = o; const @CT@* restrict r = a;
        for (npy_intp j = 0; j < n; j++) w[j] = r[j] + s * y[j];
    }
}

/* O = A + alpha * outer(x, y) in one pass over A and O (O may be A: in place; x and y
   must not overlap O then). Any strides, including negative and zero ones; the inner
   loop runs along O's smaller stride. alpha == 0 copies A (x and y are not read, as in
   BLAS). Large in-place updates of BLAS-readable matrices go to ?ger, whose threads pay
   off there; small ones stay here: a rank-1 update is memory bound, and OpenBLAS starts
   its threads from 100x100 on, which costs milliseconds per call on a loaded machine. */
static int symc_ger_into_@T@(@CT@ alpha, PyArrayObject* x, PyArrayObject* y, PyArrayObject* A,
    PyArrayObject* O) {
    npy_intp M = PyArray_DIM(O, 0), N = PyArray_DIM(O, 1);
    if (M == 0 || N == 0) return 0;
    if (alpha == 0) return O == A ? 0 : PyArray_CopyInto(O, A);
    if (O == A && M * N >= ((npy_intp)1 << 22)) {
        char t; int ld;
        if (symc_blas_mat_@T@(A, &t, &ld) == 0) return symc_xger_@T@(alpha, x, y, A);
    }
    const char *xb = PyArray_BYTES(x), *yb = PyArray_BYTES(y), *ab = PyArray_BYTES(A);
    char* ob = PyArray_BYTES(O);
    npy_intp xs = PyArray_STRIDE(x, 0), ys = PyArray_STRIDE(y, 0);
    npy_intp as0 = PyArray_STRIDE(A, 0), as1 = PyArray_STRIDE(A, 1);
    npy_intp os0 = PyArray_STRIDE(O, 0), os1 = PyArray_STRIDE(O, 1);
    const npy_intp isz = sizeof(@CT@);
    #define SYMC_ABS(v) ((v) < 0 ? -(v) : (v))
    if (N == 1 || (M > 1 && SYMC_ABS(os0) < SYMC_ABS(os1))) {
        /* walk O^T = A^T + alpha * outer(y, x) instead */
        npy_intp tn; const char* tp;
        tn = M; M = N; N = tn;
        tp = xb; xb = yb; yb = tp;
        tn = xs; xs = ys; ys = tn;
        tn = as0; as0 = as1; as1 = tn;
        tn = os0; os0 = os1; os1 = tn;
    }
    #undef SYMC_ABS
    const int aligned = PyArray_ISALIGNED(x) && PyArray_ISALIGNED(y) && PyArray_ISALIGNED(A)
        && PyArray_ISALIGNED(O);
    if (aligned && os1 == isz && as1 == isz && ys == isz) {
        for (npy_intp i = 0; i < M; i++)
            symc_ger_row_@T@((@CT@*)(ob + i * os0), (const @CT@*)(ab + i * as0),
                (const @CT@*)yb, alpha * *(const @CT@*)(xb + i * xs), N);
        return 0;
    }
    for (npy_intp i = 0; i < M; i++) {
        @CT@ xv; memcpy(&xv, xb + i * xs, sizeof xv);
        const @CT@ s = alpha * xv;
        char* o = ob + i * os0; const char* a = ab + i * as0;
        for (npy_intp j = 0; j < N; j++) {
            @CT@ av, yv;
            memcpy(&av, a + j * as1, sizeof av); memcpy(&yv, yb + j * ys, sizeof yv);
            av += s * yv;
            memcpy(o + j * os1, &av, sizeof av);
        }
    }
    return 0;
}

/* O[i] = A[i] @ B[i] for each index i of O's leading nb batch dimensions; A and B have
   their own batch dimensions aligned on the right (missing or length-1 ones broadcast). */
static int symc_batched_gemm_@T@(PyArrayObject* A, PyArrayObject* B, PyArrayObject* O, int nb) {
    const int na = PyArray_NDIM(A) - 2, nbb = PyArray_NDIM(B) - 2;
    npy_intp cnt[NPY_MAXDIMS];
    npy_intp total = 1;
    for (int d = 0; d < nb; d++) { cnt[d] = 0; total *= PyArray_DIM(O, d); }
    if (total == 0 || PyArray_SIZE(O) == 0) return 0;
    npy_intp ad[2] = {PyArray_DIM(A, na), PyArray_DIM(A, na + 1)};
    npy_intp bd[2] = {PyArray_DIM(B, nbb), PyArray_DIM(B, nbb + 1)};
    npy_intp od[2] = {PyArray_DIM(O, nb), PyArray_DIM(O, nb + 1)};
    for (npy_intp it = 0; it < total; it++) {
        char *pa = PyArray_BYTES(A), *pb = PyArray_BYTES(B), *po = PyArray_BYTES(O);
        for (int d = 0; d < nb; d++) {
            const int da = d - (nb - na), db = d - (nb - nbb);
            if (da >= 0 && PyArray_DIM(A, da) != 1) pa += cnt[d] * PyArray_STRIDE(A, da);
            if (db >= 0 && PyArray_DIM(B, db) != 1) pb += cnt[d] * PyArray_STRIDE(B, db);
            po += cnt[d] * PyArray_STRIDE(O, d);
        }
        PyArray_Descr* dsc = PyArray_DESCR(O);
        Py_INCREF(dsc); Py_INCREF(dsc); Py_INCREF(dsc);
        PyObject* va = PyArray_NewFromDescr(&PyArray_Type, dsc, 2, ad, PyArray_STRIDES(A) + na, pa,
                                            PyArray_FLAGS(A) & NPY_ARRAY_ALIGNED, NULL);
        PyObject* vb = PyArray_NewFromDescr(&PyArray_Type, dsc, 2, bd, PyArray_STRIDES(B) + nbb, pb,
                                            PyArray_FLAGS(B) & NPY_ARRAY_ALIGNED, NULL);
        PyObject* vo = PyArray_NewFromDescr(&PyArray_Type, dsc, 2, od, PyArray_STRIDES(O) + nb, po,
                                            NPY_ARRAY_WRITEABLE | NPY_ARRAY_ALIGNED, NULL);
        int rc = (va && vb && vo) ? symc_xgemm_@T@(1, (PyArrayObject*)va, (PyArrayObject*)vb, 0,
                                                   (PyArrayObject*)vo) : -1;
        Py_XDECREF(va); Py_XDECREF(vb); Py_XDECREF(vo);
        if (rc < 0) return -1;
        for (int d = nb - 1; d >= 0; d--) { if (++cnt[d] < PyArray_DIM(O, d)) break; cnt[d] = 0; }
    }
    return 0;
}
"""

_TYPEDEF_ALIASES = r"""
#include <limits.h>
"""


def blas_support(ctx: NodeContext, dtype: str) -> str:
    """Add the BLAS helpers for ``dtype`` (float32/float64) to the module; returns the
    suffix of their names (``d`` or ``s``)."""
    t = "d" if dtype == "float64" else "s"
    ctx.add_support("blas_decls", C_DECLS)
    ctx.add_support("blas_aliases", _TYPEDEF_ALIASES)
    from sym_backend_c.ops.gemv_kernels import GEMV_HAND_MAX_BYTES, add_gemv_kernels

    add_gemv_kernels(ctx, dtype)
    code = _BLAS_TEMPLATE
    for k, v in {
        "@T@": t,
        "@CT@": c_type(dtype),
        "@GEMM@": str(index(t + "gemm")),
        "@GEMV@": str(index(t + "gemv")),
        "@DOT@": str(index(t + "dot")),
        "@GER@": str(index(t + "ger")),
        "@HANDMAX@": str(GEMV_HAND_MAX_BYTES),
    }.items():
        code = code.replace(k, v)
    ctx.add_support(f"blas_helpers_{t}", code)
    return t


def cast_to(ctx: NodeContext, src: str, var, dtype: str, dst: str) -> list[str]:
    """C lines making ``dst`` (a new ``PyArrayObject*`` reference) hold input ``src`` in
    ``dtype`` (a copy only when its dtype differs)."""
    if var.type.dtype == dtype:
        return [f"        PyArrayObject* {dst} = SYMC_A({src}); Py_INCREF({dst});"]
    return [
        f"        PyArrayObject* {dst} = (PyArrayObject*)PyArray_CastToType(SYMC_A({src}),"
        f" PyArray_DescrFromType({npy_typenum(dtype)}), 0);",
        f"        if (!{dst}) {ctx.fail}",
    ]


def _int_loops(out_dtype: str) -> str:
    """C statements of an integer/bool product of 2-d views (M,K)x(K,N) -> C-contig (M,N)."""
    CT = c_type(out_dtype)
    if out_dtype == "bool":
        acc = "acc = acc | (a != 0 && b != 0);"
        W = CT
    else:
        W = wrap_type(out_dtype)
        acc = f"acc += ({W})a * ({W})b;"
    return f"""
            {CT}* op = ({CT}*)SYMC_DATA(out);
            for (npy_intp i = 0; i < M; i++)
                for (npy_intp j = 0; j < N; j++) {{
                    {W} acc = 0;
                    for (npy_intp k = 0; k < K; k++) {{
                        const {CT} a = *(const {CT}*)(xp + i * sx0 + k * sx1);
                        const {CT} b = *(const {CT}*)(yp + k * sy0 + j * sy1);
                        {acc}
                    }}
                    op[i * N + j] = ({CT})acc;
                }}"""


@register_c_impl(Dot)
def dot_c(op: Dot, node, ctx: NodeContext) -> str | None:
    x, y = node.inputs
    out_dt = node.outputs[0].type.dtype
    if not native(x.type.dtype, y.type.dtype, out_dt):
        return None
    use_blas = out_dt in ("float32", "float64")
    if use_blas and not available():
        return None
    nx, ny = x.ndim, y.ndim
    xi, yi = ctx.inputs
    out = ctx.outputs[0]
    L: list[str] = []
    w = L.append
    w(
        f"        const npy_intp kx = PyArray_DIM(SYMC_A({xi}), {nx - 1}), ky = "
        f"PyArray_DIM(SYMC_A({yi}), 0);"
    )
    w(
        f'        if (kx != ky) {{ char b1[128], b2[128]; PyErr_Format(PyExc_ValueError, "%s: '
        "Dot: shapes %s "
        f"({x.type.dtype}) and %s ({y.type.dtype}) are not aligned: %ld (dim {nx - 1}) != %ld "
        '(dim 0)", '
        f"{ctx.desc}, symc_shape_str({xi}, b1, 128), symc_shape_str({yi}, b2, 128), (long)kx, "
        f"(long)ky); {ctx.fail} }}"
    )
    out_nd = nx + ny - 2
    w("        npy_intp odims[2];")
    k = 0
    if nx == 2:
        w(f"        odims[{k}] = PyArray_DIM(SYMC_A({xi}), 0);")
        k += 1
    if ny == 2:
        w(f"        odims[{k}] = PyArray_DIM(SYMC_A({yi}), 1);")
    w(
        f"        {out} = PyArray_EMPTY({out_nd}, odims, {npy_typenum(out_dt)}, 0); if (!{out}) "
        f"{ctx.fail}"
    )
    L += cast_to(ctx, xi, x, out_dt, "xa")
    L += [
        ln.replace(ctx.fail, f"{{ Py_DECREF(xa); {ctx.fail} }}")
        for ln in cast_to(ctx, yi, y, out_dt, "ya")
    ]
    if use_blas:
        t = blas_support(ctx, out_dt)
        CT = c_type(out_dt)
        w("        int rc = 0;")
        if nx == 2 and ny == 2:
            w(f"        rc = symc_xgemm_{t}(1, xa, ya, 0, SYMC_A({out}));")
        elif nx == 2:
            w(f"        rc = symc_xgemv_{t}(1, xa, 0, ya, 0, SYMC_A({out}));")
        elif ny == 2:
            w(f"        rc = symc_xgemv_{t}(1, ya, 1, xa, 0, SYMC_A({out}));")
        else:
            w(f"        rc = symc_xdot_{t}(xa, ya, ({CT}*)SYMC_DATA({out}));")
        w("        Py_DECREF(xa); Py_DECREF(ya);")
        w(f"        if (rc < 0) {ctx.fail}")
        return "\n".join(L)
    # integer / bool: 2-d views of everything
    w("        const char* xp = PyArray_BYTES(xa); const char* yp = PyArray_BYTES(ya);")
    w("        const npy_intp K = kx;")
    if nx == 2:
        w(
            "        const npy_intp M = PyArray_DIM(xa, 0), sx0 = PyArray_STRIDE(xa, 0), sx1 = "
            "PyArray_STRIDE(xa, 1);"
        )
    else:
        w("        const npy_intp M = 1, sx0 = 0, sx1 = PyArray_STRIDE(xa, 0);")
    if ny == 2:
        w(
            "        const npy_intp N = PyArray_DIM(ya, 1), sy0 = PyArray_STRIDE(ya, 0), sy1 = "
            "PyArray_STRIDE(ya, 1);"
        )
    else:
        w("        const npy_intp N = 1, sy0 = PyArray_STRIDE(ya, 0), sy1 = 0;")
    w(f"        PyObject* const out = {out};")
    w("        {" + _int_loops(out_dt) + "\n        }")
    w("        Py_DECREF(xa); Py_DECREF(ya);")
    return "\n".join(L)


# ---------------------------------------------------------------------------------------
# The BLAS Ops of the rewrites: Dot22, Dot22Scalar, Gemm, Gemv, Ger
# ---------------------------------------------------------------------------------------


def _blas_op_prelude(node, ctx: NodeContext) -> tuple[str, str] | None:
    """(dtype, BLAS suffix) when the node can run BLAS code, else None (complex dtypes
    run their ``perform``)."""
    dt = node.outputs[0].type.dtype
    if dt not in ("float32", "float64") or not available():
        return None
    ctx.add_support("symc_common", COMMON_C)
    return dt, blas_support(ctx, dt)


def _accumulator(ctx: NodeContext, inplace: bool, acc: str, out: str, copy: str) -> list[str]:
    """C lines making ``out`` the array to accumulate into: the input ``acc`` itself when
    the Op is in place and ``acc`` is writeable, else a new C-contiguous array (holding a
    copy of ``acc`` when ``copy`` is a C condition that is true)."""
    fresh = (
        f"{out} = PyArray_NewLikeArray(SYMC_A({acc}), NPY_CORDER, NULL, 0); if (!{out}) "
        f"{ctx.fail}\n"
        f"            if (({copy}) && PyArray_CopyInto(SYMC_A({out}), SYMC_A({acc})) < 0) "
        f"{ctx.fail}"
    )
    if not inplace:
        return [f"        {{ {fresh} }}"]
    return [
        f"        if (PyArray_ISWRITEABLE(SYMC_A({acc}))) {{ {out} = {acc}; Py_INCREF({out}); }}",
        f"        else {{ {fresh} }}",
    ]


def _unalias(ctx: NodeContext, inplace: bool, out: str, pairs: list[tuple[str, str]]) -> list[str]:
    """C lines: for each (input expression, name), ``name`` = a new reference to the input,
    or to a copy when it may share memory with ``out`` (an in-place accumulator must not be
    read through another operand while it is written)."""
    L = []
    for src, nm in pairs:
        L.append(f"        PyObject* {nm} = {src}; Py_INCREF({nm});")
        if inplace:
            L.append(
                f"        if (symc_may_overlap({src}, {out})) {{ Py_DECREF({nm});"
                f" {nm} = PyArray_NewCopy(SYMC_A({src}), NPY_CORDER); if (!{nm}) {ctx.fail} }}"
            )
    return L


def _shape_error(ctx: NodeContext, cond: str, msg: str, arrays: list[str], dtype: str) -> str:
    bufs = " ".join(f"char b{k}[128];" for k in range(len(arrays)))
    args = ", ".join(f"symc_shape_str({a}, b{k}, 128)" for k, a in enumerate(arrays))
    return (
        f'        if ({cond}) {{ {bufs} PyErr_Format(PyExc_ValueError, "%s: {msg} (dtype {dtype})",'
        f" {ctx.desc}, {args}); {ctx.fail} }}"
    )


def _dot22_code(op, node, ctx: NodeContext, scaled: bool) -> str | None:
    pre = _blas_op_prelude(node, ctx)
    if pre is None:
        return None
    dt, t = pre
    CT = c_type(dt)
    x, y = ctx.inputs[:2]
    out = ctx.outputs[0]
    alpha = f"*({CT}*)SYMC_DATA({ctx.inputs[2]})" if scaled else "1"
    name = type(op).__name__
    return "\n".join(
        [
            _shape_error(
                ctx,
                f"PyArray_DIM(SYMC_A({x}), 1) != PyArray_DIM(SYMC_A({y}), 0)",
                f"{name}: shapes %s and %s are not aligned",
                [x, y],
                dt,
            ),
            f"        npy_intp dims[2] = {{PyArray_DIM(SYMC_A({x}), 0), PyArray_DIM(SYMC_A({y}), "
            f"1)}};",
            f"        {out} = PyArray_EMPTY(2, dims, {npy_typenum(dt)}, 0); if (!{out}) {ctx.fail}",
            f"        if (symc_xgemm_{t}({alpha}, SYMC_A({x}), SYMC_A({y}), 0, SYMC_A({out})) < "
            f"0) {ctx.fail}",
        ]
    )


@register_c_impl(Dot22)
def dot22_c(op, node, ctx: NodeContext) -> str | None:
    return _dot22_code(op, node, ctx, scaled=False)


@register_c_impl(Dot22Scalar)
def dot22scalar_c(op, node, ctx: NodeContext) -> str | None:
    return _dot22_code(op, node, ctx, scaled=True)


@register_c_impl(Gemm)
def gemm_c(op, node, ctx: NodeContext) -> str | None:
    pre = _blas_op_prelude(node, ctx)
    if pre is None:
        return None
    dt, t = pre
    CT = c_type(dt)
    z, a, x, y, b = ctx.inputs
    out = ctx.outputs[0]
    L = [
        _shape_error(
            ctx,
            f"PyArray_DIM(SYMC_A({x}), 1) != PyArray_DIM(SYMC_A({y}), 0) || "
            f"PyArray_DIM(SYMC_A({z}), 0) != PyArray_DIM(SYMC_A({x}), 0) || "
            f"PyArray_DIM(SYMC_A({z}), 1) != PyArray_DIM(SYMC_A({y}), 1)",
            f"{op}: shapes z %s, x %s, y %s do not fit z = b*z + a*(x @ y)",
            [z, x, y],
            dt,
        ),
        f"        const {CT} av = *({CT}*)SYMC_DATA({a}), bv = *({CT}*)SYMC_DATA({b});",
    ]
    L += _accumulator(ctx, op.inplace, z, out, "bv != 0")
    L += _unalias(ctx, op.inplace, out, [(x, "xr"), (y, "yr")])
    L.append(f"        int rc = symc_xgemm_{t}(av, SYMC_A(xr), SYMC_A(yr), bv, SYMC_A({out}));")
    L.append(f"        Py_DECREF(xr); Py_DECREF(yr); if (rc < 0) {ctx.fail}")
    return "\n".join(L)


@register_c_impl(Gemv)
def gemv_c(op, node, ctx: NodeContext) -> str | None:
    pre = _blas_op_prelude(node, ctx)
    if pre is None:
        return None
    dt, t = pre
    CT = c_type(dt)
    y, alpha, A, x, beta = ctx.inputs
    out = ctx.outputs[0]
    L = [
        _shape_error(
            ctx,
            f"PyArray_DIM(SYMC_A({A}), 1) != PyArray_DIM(SYMC_A({x}), 0) || "
            f"PyArray_DIM(SYMC_A({y}), 0) != PyArray_DIM(SYMC_A({A}), 0)",
            f"{op}: shapes y %s, A %s, x %s do not fit y = beta*y + alpha*(A @ x)",
            [y, A, x],
            dt,
        ),
        f"        const {CT} av = *({CT}*)SYMC_DATA({alpha}), bv = *({CT}*)SYMC_DATA({beta});",
    ]
    L += _accumulator(ctx, op.inplace, y, out, "bv != 0")
    L += _unalias(ctx, op.inplace, out, [(A, "Ar"), (x, "xr")])
    L.append(f"        int rc = symc_xgemv_{t}(av, SYMC_A(Ar), 0, SYMC_A(xr), bv, SYMC_A({out}));")
    L.append(f"        Py_DECREF(Ar); Py_DECREF(xr); if (rc < 0) {ctx.fail}")
    return "\n".join(L)


@register_c_impl(Ger)
def ger_c(op, node, ctx: NodeContext) -> str | None:
    pre = _blas_op_prelude(node, ctx)
    if pre is None:
        return None
    dt, t = pre
    CT = c_type(dt)
    A, alpha, x, y = ctx.inputs
    out = ctx.outputs[0]
    L = [
        _shape_error(
            ctx,
            f"PyArray_DIM(SYMC_A({A}), 0) != PyArray_DIM(SYMC_A({x}), 0) || "
            f"PyArray_DIM(SYMC_A({A}), 1) != PyArray_DIM(SYMC_A({y}), 0)",
            f"{op}: shapes A %s, x %s, y %s do not fit A = A + alpha*outer(x, y)",
            [A, x, y],
            dt,
        ),
        f"        const {CT} av = *({CT}*)SYMC_DATA({alpha});",
    ]
    # the output: A itself when in place and writeable, else a new array written in the
    # same pass that reads A (no copy of A first)
    fresh = (
        f"{out} = PyArray_NewLikeArray(SYMC_A({A}), NPY_CORDER, NULL, 0); if (!{out}) {ctx.fail}"
    )
    if op.inplace:
        L.append(
            f"        if (PyArray_ISWRITEABLE(SYMC_A({A}))) {{ {out} = {A}; Py_INCREF({out}); }}"
            f" else {{ {fresh} }}"
        )
    else:
        L.append(f"        {fresh}")
    L += _unalias(ctx, op.inplace, out, [(x, "xr"), (y, "yr")])
    L.append(
        f"        int rc = symc_ger_into_{t}(av, SYMC_A(xr), SYMC_A(yr), SYMC_A({A}),"
        f" SYMC_A({out}));"
    )
    L.append(f"        Py_DECREF(xr); Py_DECREF(yr); if (rc < 0) {ctx.fail}")
    return "\n".join(L)
