"""Hand-written matrix-vector loops for row-contiguous float32/float64 matrices, shared by
``Gemv``'s C code (:mod:`sym_backend_c.ops.blas`) and ``RowBlockLinear``.

``symc_rbl_dots_{d,s}``: ``z[i] = a * dot(X[i, :], v)``; ``symc_rbl_axpys_{d,s}``:
``acc[j] += a * sum_i r[i] * X[i, j]``. On the development machine (AMD EPYC, one thread) each
pass over a 400x784 float64 matrix takes ~29 us against ~33 us for SciPy's OpenBLAS
``dgemv``: for matrices that fit in the caches a single-threaded BLAS call's set-up and
kernel selection cost more than they save. ``Gemv`` uses them up to ``GEMV_HAND_MAX_BYTES``.
"""

from __future__ import annotations

from sym_backend_c.codegen.context import NodeContext, c_type

#: Largest matrix (bytes) that ``Gemv`` multiplies with these loops rather than BLAS
#: (larger ones go to BLAS, which may use several threads).
GEMV_HAND_MAX_BYTES = 8 << 20

KERNELS = r"""
/* 32-byte vectors (GCC vector extension: AVX when the target has it, else split by the
   compiler); unaligned loads and stores through memcpy. */
typedef @CT@ symc_rbl_v@T@ __attribute__((vector_size(32)));
#define SYMC_RBL_VL_@T@ ((npy_intp)(32 / sizeof(@CT@)))
static inline symc_rbl_v@T@ symc_rbl_ld_@T@(const @CT@* p) {
    symc_rbl_v@T@ r; memcpy(&r, p, sizeof r); return r;
}
static inline void symc_rbl_st_@T@(@CT@* p, symc_rbl_v@T@ v) { memcpy(p, &v, sizeof v); }
static inline @CT@ symc_rbl_hsum_@T@(symc_rbl_v@T@ v) {
    @CT@ s = 0;
    for (npy_intp k = 0; k < SYMC_RBL_VL_@T@; k++) s += v[k];
    return s;
}

/* z[i] = a * dot(X[i, :], v) for rows i < nb of a row-contiguous X (row stride ld): four
   rows at a time, two vectors of columns per step (eight independent accumulators). */
static void symc_rbl_dots_@T@(const @CT@* restrict X, npy_intp ld, npy_intp nb, npy_intp F,
    const @CT@* restrict v, @CT@ a, @CT@* restrict z) {
    const npy_intp VL = SYMC_RBL_VL_@T@, F2 = F - F % (2 * VL);
    npy_intp i = 0;
    for (; i + 4 <= nb; i += 4) {
        const @CT@* x0 = X + i * ld; const @CT@* x1 = x0 + ld;
        const @CT@* x2 = x1 + ld; const @CT@* x3 = x2 + ld;
        symc_rbl_v@T@ a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0},
            b3 = {0};
        npy_intp j = 0;
        for (; j < F2; j += 2 * VL) {
            const symc_rbl_v@T@ va = symc_rbl_ld_@T@(v + j), vb = symc_rbl_ld_@T@(v + j + VL);
            a0 += symc_rbl_ld_@T@(x0 + j) * va; a1 += symc_rbl_ld_@T@(x1 + j) * va;
            a2 += symc_rbl_ld_@T@(x2 + j) * va; a3 += symc_rbl_ld_@T@(x3 + j) * va;
            b0 += symc_rbl_ld_@T@(x0 + j + VL) * vb; b1 += symc_rbl_ld_@T@(x1 + j + VL) * vb;
            b2 += symc_rbl_ld_@T@(x2 + j + VL) * vb; b3 += symc_rbl_ld_@T@(x3 + j + VL) * vb;
        }
        @CT@ s0 = symc_rbl_hsum_@T@(a0 + b0), s1 = symc_rbl_hsum_@T@(a1 + b1);
        @CT@ s2 = symc_rbl_hsum_@T@(a2 + b2), s3 = symc_rbl_hsum_@T@(a3 + b3);
        for (; j < F; j++) {
            const @CT@ vj = v[j];
            s0 += x0[j] * vj; s1 += x1[j] * vj; s2 += x2[j] * vj; s3 += x3[j] * vj;
        }
        z[i] = a * s0; z[i + 1] = a * s1; z[i + 2] = a * s2; z[i + 3] = a * s3;
    }
    for (; i < nb; i++) {
        const @CT@* x0 = X + i * ld;
        symc_rbl_v@T@ a0 = {0}, b0 = {0};
        npy_intp j = 0;
        for (; j < F2; j += 2 * VL) {
            a0 += symc_rbl_ld_@T@(x0 + j) * symc_rbl_ld_@T@(v + j);
            b0 += symc_rbl_ld_@T@(x0 + j + VL) * symc_rbl_ld_@T@(v + j + VL);
        }
        @CT@ s0 = symc_rbl_hsum_@T@(a0 + b0);
        for (; j < F; j++) s0 += x0[j] * v[j];
        z[i] = a * s0;
    }
}

/* acc[j] += a * sum_i r[i] * X[i, j] over rows i < nb: eight rows per pass over acc, then
   four, then one. */
static void symc_rbl_axpys_@T@(const @CT@* restrict X, npy_intp ld, npy_intp nb, npy_intp F,
    const @CT@* restrict r, @CT@ a, @CT@* restrict acc) {
    const npy_intp VL = SYMC_RBL_VL_@T@, F1 = F - F % VL;
    npy_intp i = 0;
    for (; i + 8 <= nb; i += 8) {
        const @CT@* x[8]; @CT@ c[8];
        for (int k = 0; k < 8; k++) { x[k] = X + (i + k) * ld; c[k] = a * r[i + k]; }
        npy_intp j = 0;
        for (; j < F1; j += VL) {
            symc_rbl_v@T@ s = symc_rbl_ld_@T@(acc + j);
            s += symc_rbl_ld_@T@(x[0] + j) * c[0] + symc_rbl_ld_@T@(x[1] + j) * c[1];
            s += symc_rbl_ld_@T@(x[2] + j) * c[2] + symc_rbl_ld_@T@(x[3] + j) * c[3];
            s += symc_rbl_ld_@T@(x[4] + j) * c[4] + symc_rbl_ld_@T@(x[5] + j) * c[5];
            s += symc_rbl_ld_@T@(x[6] + j) * c[6] + symc_rbl_ld_@T@(x[7] + j) * c[7];
            symc_rbl_st_@T@(acc + j, s);
        }
        for (; j < F; j++)
            acc[j] += c[0] * x[0][j] + c[1] * x[1][j] + c[2] * x[2][j] + c[3] * x[3][j]
                + c[4] * x[4][j] + c[5] * x[5][j] + c[6] * x[6][j] + c[7] * x[7][j];
    }
    for (; i + 4 <= nb; i += 4) {
        const @CT@* x0 = X + i * ld; const @CT@* x1 = x0 + ld;
        const @CT@* x2 = x1 + ld; const @CT@* x3 = x2 + ld;
        const @CT@ c0 = a * r[i], c1 = a * r[i + 1], c2 = a * r[i + 2], c3 = a * r[i + 3];
        npy_intp j = 0;
        for (; j < F1; j += VL) {
            symc_rbl_v@T@ s = symc_rbl_ld_@T@(acc + j);
            s += symc_rbl_ld_@T@(x0 + j) * c0 + symc_rbl_ld_@T@(x1 + j) * c1;
            s += symc_rbl_ld_@T@(x2 + j) * c2 + symc_rbl_ld_@T@(x3 + j) * c3;
            symc_rbl_st_@T@(acc + j, s);
        }
        for (; j < F; j++) acc[j] += c0 * x0[j] + c1 * x1[j] + c2 * x2[j] + c3 * x3[j];
    }
    for (; i < nb; i++) {
        const @CT@* x0 = X + i * ld;
        const @CT@ c0 = a * r[i];
        npy_intp j = 0;
        for (; j < F1; j += VL)
            symc_rbl_st_@T@(acc + j, symc_rbl_ld_@T@(acc + j) + symc_rbl_ld_@T@(x0 + j) * c0);
        for (; j < F; j++) acc[j] += c0 * x0[j];
    }
}
"""


def add_gemv_kernels(ctx: NodeContext, dtype: str) -> str:
    """Add the loops for ``dtype`` to the module; returns the name suffix (``d``/``s``)."""
    t = "d" if dtype == "float64" else "s"
    ctx.add_support(f"symc_rbl_{t}", KERNELS.replace("@T@", t).replace("@CT@", c_type(dtype)))
    return t
