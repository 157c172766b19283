"""C code of ``Dot`` (BLAS for float32/float64, C loops for integers and bool) against
``numpy.dot``: the four ndim combinations, mixed dtypes, zero-size dimensions, C/Fortran/
negative-stride/non-contiguous operands (passed to BLAS or copied), alignment errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import symcore.tensor as T
from sym_backend_c.linker import CLinker
from sym_backend_c.testing import compile_c, skip_module_without_compiler
from symcore.graph.fg import FunctionGraph

skip_module_without_compiler()


RNG = np.random.default_rng(7)


def sample(dtype, shape):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    if dtype.startswith("float"):
        return RNG.standard_normal(shape).astype(dtype)
    return RNG.integers(-9, 9, shape).astype(dtype)


def matrix_layouts(a):
    yield a
    yield np.asfortranarray(a)
    yield a[::-1]  # negative row stride: copied
    yield a[:, ::-1]  # negative column stride: copied
    yield np.repeat(a, 2, axis=1)[:, ::2]  # column stride 2: copied
    yield np.repeat(a, 3, axis=0)[::3]  # row stride > columns: passed with a larger ld


def vector_layouts(v):
    yield v
    yield v[::-1]  # negative increment
    yield np.repeat(v, 3)[::3]  # increment 3


def tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}


@pytest.mark.parametrize(
    "dx, dy",
    [
        ("float64", "float64"),
        ("float32", "float32"),
        ("float32", "float64"),
        ("int32", "float64"),
        ("int64", "int64"),
        ("int8", "int16"),
        ("uint8", "int8"),
        ("bool", "bool"),
    ],
)
def test_dot_all_ranks_and_layouts(dx, dy):
    x2, x1 = T.tensor(dx, (False, False), name="x2"), T.tensor(dx, (False,), name="x1")
    y2, y1 = T.tensor(dy, (False, False), name="y2"), T.tensor(dy, (False,), name="y1")
    outs = [T.dot(x2, y2), T.dot(x2, y1), T.dot(x1, y2), T.dot(x1, y1)]
    run = compile_c([x2, x1, y2, y1], outs)
    for m, k, n in [(3, 4, 5), (1, 1, 1), (0, 3, 2), (3, 0, 2), (2, 3, 0), (17, 33, 9)]:
        a, v, b, u = sample(dx, (m, k)), sample(dx, (k,)), sample(dy, (k, n)), sample(dy, (k,))
        for a_, v_, b_, u_ in zip(
            matrix_layouts(a),
            itertools.cycle(vector_layouts(v)),
            matrix_layouts(b),
            itertools.cycle(vector_layouts(u)),
        ):
            got = run([a_, v_, b_, u_])
            expected = [np.dot(a_, b_), np.dot(a_, u_), np.dot(v_, b_), np.asarray(np.dot(v_, u_))]
            for g, e, o in zip(got, expected, outs, strict=True):
                assert g.dtype == np.dtype(o.dtype) == e.dtype
                assert g.shape == e.shape
                if e.dtype.kind == "f":
                    np.testing.assert_allclose(g, e, **tol(e.dtype))
                else:
                    np.testing.assert_array_equal(g, e)


def test_dot_does_not_modify_inputs_and_returns_fresh_arrays():
    x, y = T.dmatrices("x", "y")
    run = compile_c([x, y], [T.dot(x, y)])
    a, b = sample("float64", (4, 4)), sample("float64", (4, 4))
    a0, b0 = a.copy(), b.copy()
    out = run([a, b])[0]
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    assert not np.shares_memory(out, a) and not np.shares_memory(out, b)
    assert out.flags.c_contiguous


def test_dot_nan_and_inf_propagate():
    x, y = T.dmatrix("x"), T.dvector("y")
    run = compile_c([x, y], [T.dot(x, y)])
    a = np.array([[1.0, np.nan], [np.inf, 1.0], [1.0, 2.0]])
    v = np.array([2.0, 0.5])
    np.testing.assert_array_equal(run([a, v])[0], np.dot(a, v))


def test_dot_shape_mismatch_raises_value_error_naming_shapes():
    x, y = T.fmatrix("x"), T.fmatrix("y")
    run = compile_c([x, y], [T.dot(x, y)])
    with pytest.raises(
        ValueError, match=r"(?s)Dot.*\(2, 3\) \(float32\) and \(4, 2\) \(float32\) are not aligned"
    ):
        run([sample("float32", (2, 3)), sample("float32", (4, 2))])
    xi, yi = T.lvector("xi"), T.lvector("yi")
    run = compile_c([xi, yi], [T.dot(xi, yi)])
    with pytest.raises(ValueError, match="not aligned"):
        run([sample("int64", (3,)), sample("int64", (4,))])


def test_integer_dot_wraps_like_numpy():
    x, y = T.bmatrix("x"), T.bmatrix("y")
    run = compile_c([x, y], [T.dot(x, y)])
    a = np.full((2, 40), 100, "int8")
    b = np.full((40, 3), 100, "int8")
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(run([a, b])[0], np.dot(a, b))


def test_large_float32_product():
    x, y = T.fmatrix("x"), T.fmatrix("y")
    run = compile_c([x, y], [T.dot(x, y)])
    a, b = sample("float32", (300, 200)), sample("float32", (200, 150))
    c = sample("float32", (300, 150))
    got = run([a, b])[0]
    np.testing.assert_allclose(got, a @ b, rtol=1e-3, atol=1e-3)
    got_t = compile_c([x, y], [T.dot(x.T, y)])([a, c])[0]
    np.testing.assert_allclose(got_t, a.T @ c, rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------------------------------
# BLAS Ops of the rewrites
# ---------------------------------------------------------------------------------------


def _blas_graph(dtype, inplace):
    from symcore.tensor.rewriting.blas_ops import Dot22, Dot22Scalar, Gemm, Gemv, Ger

    z, x, y, A = (T.tensor(dtype, (False, False), name=n) for n in ("z", "x", "y", "A"))
    v, u, w, gx = (T.tensor(dtype, (False,), name=n) for n in ("v", "u", "w", "gx"))
    a, b = T.tensor(dtype, (), name="a"), T.tensor(dtype, (), name="b")
    outs = [Gemm(inplace)(z, a, x, y, b), Gemv(inplace)(v, a, x, u, b), Ger(inplace)(A, a, gx, w)]
    if not inplace:
        outs += [Dot22()(x, y), Dot22Scalar()(x, y, a)]
    return [z, x, y, A, v, u, w, a, b, gx], outs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("inplace", [False, True])
def test_gemm_gemv_ger_dot22(dtype, inplace):
    ins, outs = _blas_graph(dtype, inplace)
    run = compile_c(ins, outs)
    for m, k, n in [(3, 4, 5), (0, 2, 3), (2, 0, 3), (1, 1, 1), (30, 20, 10)]:
        for alpha, beta in [(1.5, 0.0), (2.0, -1.0), (0.0, 1.0)]:
            for layout in (lambda q: q, np.asfortranarray, lambda q: q[::-1]):
                bz, bx, by, bA = (sample(dtype, s) for s in ((m, n), (m, k), (k, n), (m, n)))
                bv, uu, ww, gx = (
                    sample(dtype, (m,)),
                    sample(dtype, (k,)),
                    sample(dtype, (n,)),
                    sample(dtype, (m,)),
                )
                if beta == 0:  # the accumulators are never read: NaN there must not leak
                    bz, bv = np.full_like(bz, np.nan), np.full_like(bv, np.nan)
                zz, xx, yy, AA, vv = layout(bz), layout(bx), layout(by), layout(bA), bv[::-1]
                a, b = np.asarray(alpha, dtype), np.asarray(beta, dtype)
                # accumulators: fresh arrays with the same layout (in-place Ops overwrite them)
                args = [
                    layout(bz.copy()),
                    xx,
                    yy,
                    layout(bA.copy()),
                    bv.copy()[::-1],
                    uu,
                    ww,
                    a,
                    b,
                    gx,
                ]
                zero = np.zeros(1, dtype)[0]
                expected = [
                    (beta * zz if beta else zero) + alpha * (xx.astype("float64") @ yy),
                    (beta * vv if beta else zero) + alpha * (xx.astype("float64") @ uu),
                    AA + alpha * np.outer(gx.astype("float64"), ww),
                    xx.astype("float64") @ yy,
                    alpha * (xx.astype("float64") @ yy),
                ]
                acc_before = [args[0], args[4], args[3]]
                got = run(args)
                for g, e in zip(got, expected, strict=False):
                    assert g.dtype == np.dtype(dtype) and g.shape == e.shape
                    np.testing.assert_allclose(g, e, **tol(np.dtype(dtype)))
                for g, acc in zip(got[:3], acc_before, strict=True):
                    assert np.shares_memory(g, acc) == (inplace and acc.size > 0)
                    if not inplace:
                        assert g.flags.c_contiguous


def test_blas_ops_shape_errors_and_complex_fallback():
    from symcore.tensor.rewriting.blas_ops import Dot22, Gemm

    x, y, z = T.dmatrices("x", "y", "z")
    a = T.dscalar("a")
    run = compile_c([x, y], [Dot22()(x, y)])
    with pytest.raises(
        ValueError,
        match=r"(?s)Dot22: shapes \(2, 3\) and \(2, 3\) are not aligned \(dtype float64\)",
    ):
        run([np.zeros((2, 3)), np.zeros((2, 3))])
    run = compile_c([z, a, x, y], [Gemm(False)(z, a, x, y, a)])
    with pytest.raises(ValueError, match=r"shapes z \(2, 2\), x \(2, 3\), y \(3, 4\) do not fit"):
        run([np.zeros((2, 2)), np.array(1.0), np.zeros((2, 3)), np.zeros((3, 4))])
    cx, cy = T.zmatrices("cx", "cy")
    fg = FunctionGraph([cx, cy], [Dot22()(cx, cy)])
    crun = CLinker().make_thunk(fg)
    assert [type(n.op).__name__ for n in fg.linker_report.fallback_nodes] == ["Dot22"]
    c = np.array([[1 + 2j, 3j], [1, 1]])
    np.testing.assert_allclose(crun([c, c])[0], c @ c)


def test_inplace_gemm_reads_an_aliased_operand_from_a_copy():
    from symcore.tensor.rewriting.blas_ops import Gemm

    z = T.dmatrix("z")
    a = T.dscalar("a")
    run = compile_c([z, a], [Gemm(True)(z, a, z, z, a)])
    m = sample("float64", (4, 4))
    expected = 0.5 * m + 0.5 * (m @ m)
    out = run([m, np.array(0.5)])[0]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert np.shares_memory(out, m)


def _ger_run(dtype, inplace):
    from symcore.tensor.rewriting.blas_ops import Ger

    A = T.tensor(dtype, (False, False), name="A")
    x, y = T.tensor(dtype, (False,), name="x"), T.tensor(dtype, (False,), name="y")
    a = T.tensor(dtype, (), name="a")
    return compile_c([A, a, x, y], [Ger(inplace)(A, a, x, y)])


def _ger_matrices(base):
    """``base`` in several layouts, each a fresh array (in-place Gers overwrite them)."""
    m, n = base.shape
    yield base.copy()
    yield np.asfortranarray(base)
    yield base.copy()[::-1]
    yield base.copy()[:, ::-1]
    yield np.repeat(base, 2, axis=1)[:, ::2]  # column stride 2
    yield np.repeat(base, 3, axis=0)[::3]  # row stride 3n
    yield np.asfortranarray(np.repeat(base, 2, axis=0))[::2]  # F-ordered, column stride 2m
    big = np.zeros((m + 1, n + 2), base.dtype)
    big[1:, 2:] = base
    yield big[1:, 2:]  # a window of a larger array


def _ger_vectors(v):
    yield v.copy()
    yield v.copy()[::-1]
    yield np.repeat(v, 2)[::2]
    yield np.repeat(v, 3)[::-3][::-1]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("inplace", [False, True])
def test_ger_layouts_strides_and_sizes_against_numpy(dtype, inplace):
    run = _ger_run(dtype, inplace)
    for m, n in [(0, 3), (3, 0), (1, 1), (1, 7), (7, 1), (5, 3), (100, 100), (33, 130)]:
        base = sample(dtype, (m, n))
        for A, x, y in zip(
            _ger_matrices(base),
            itertools.cycle(_ger_vectors(sample(dtype, (m,)))),
            itertools.cycle(_ger_vectors(sample(dtype, (n,)))),
            strict=False,
        ):
            for alpha in (1.0, -0.5):
                Ain = A.copy(order="K") if A.flags.owndata else A
                before = Ain.copy()
                a = np.asarray(alpha, dtype)
                expected = before.astype("float64") + alpha * np.outer(x, y)
                (got,) = run([Ain, a, x, y])
                assert got.dtype == np.dtype(dtype) and got.shape == (m, n)
                np.testing.assert_allclose(got, expected, **tol(np.dtype(dtype)))
                if inplace and got.size:
                    assert np.shares_memory(got, Ain)
                else:
                    assert not np.shares_memory(got, Ain)
                    np.testing.assert_array_equal(Ain, before)  # input left alone


@pytest.mark.parametrize("inplace", [False, True])
def test_ger_alpha_zero_leaves_a_unchanged_without_reading_x_y(inplace):
    run = _ger_run("float64", inplace)
    A = sample("float64", (4, 5))
    before = A.copy()
    x, y = np.full(4, np.inf), np.full(5, np.nan)
    (got,) = run([A, np.asarray(0.0), x, y])
    np.testing.assert_array_equal(got, before)  # as BLAS ?ger: alpha 0 is a no-op
    assert np.shares_memory(got, A) == inplace


def test_ger_inplace_reads_an_aliased_vector_from_a_copy():
    from symcore.tensor.rewriting.blas_ops import Ger

    A = T.dmatrix("A")
    a = T.dscalar("a")
    run = compile_c([A, a], [Ger(True)(A, a, A[0], A[:, 1])])
    for n in (4, 300):
        m = sample("float64", (n, n))
        expected = m + 0.5 * np.outer(m[0], m[:, 1])
        out = run([m, np.asarray(0.5)])[0]
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        assert np.shares_memory(out, m)


@pytest.mark.parametrize("inplace", [False, True])
def test_ger_large_matrix_and_nan_inf_propagate(inplace):
    run = _ger_run("float64", inplace)
    A = sample("float64", (1100, 1000))  # large enough for the BLAS path when in place
    x, y = sample("float64", (1100,)), sample("float64", (1000,))
    x[3], y[5] = np.inf, np.nan
    expected = A + 2.0 * np.outer(x, y)
    (got,) = run([A, np.asarray(2.0), x, y])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    A2 = np.asfortranarray(sample("float64", (1100, 1000)))
    expected = A2 - np.outer(x, y)
    (got,) = run([A2, np.asarray(-1.0), x, y])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_ger_shape_mismatch_raises_value_error_naming_shapes():
    run = _ger_run("float64", False)
    with pytest.raises(ValueError, match=r"shapes A \(3, 4\), x \(2,\), y \(4,\) do not fit"):
        run([np.zeros((3, 4)), np.asarray(1.0), np.zeros(2), np.zeros(4)])


# ---------------------------------------------------------------------------------------
# TensorDot, BatchedTensorDot, MatMul
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tensordot_batched_and_matmul(dtype):
    a3 = T.tensor(dtype, (False,) * 3, name="a3")
    m = T.tensor(dtype, (False,) * 2, name="m")
    w = T.tensor(dtype, (False,) * 2, name="w")
    v = T.tensor(dtype, (False,), name="v")
    b4 = T.tensor(dtype, (False,) * 4, name="b4")
    c4 = T.tensor(dtype, (False,) * 4, name="c4")
    y3 = T.tensor(dtype, (True, False, False), name="y3")
    cases = [
        (T.dot(a3, m), lambda A, M, W, V, B, C, Y: np.dot(A, M)),
        (T.dot(a3, v), lambda A, M, W, V, B, C, Y: np.dot(A, V)),
        (
            T.tensordot(a3, b4, [[1, 2], [3, 0]]),
            lambda A, M, W, V, B, C, Y: np.tensordot(A, B, [[1, 2], [3, 0]]),
        ),
        (
            T.tensordot(a3, w, [[0], [1]]),
            lambda A, M, W, V, B, C, Y: np.tensordot(A, W, [[0], [1]]),
        ),
        (
            T.batched_dot(a3, a3.transpose(0, 2, 1)),
            lambda A, M, W, V, B, C, Y: A @ A.transpose(0, 2, 1),
        ),
        (
            T.batched_tensordot(a3, c4, [[2], [1]]),
            lambda A, M, W, V, B, C, Y: np.einsum("ijk,ikab->ijab", A, C),
        ),
        (T.matmul(c4, y3), lambda A, M, W, V, B, C, Y: np.matmul(C, Y)),
    ]
    run = compile_c([a3, m, w, v, b4, c4, y3], [c for c, _ in cases])
    for n in (4, 0):
        base = [
            sample(dtype, s)
            for s in ((n, 5, 6), (6, 3), (2, n), (6,), (6, 6, 2, 5), (n, 6, 2, 5), (1, 5, 7))
        ]
        for layout in (lambda q: q, lambda q: q[..., ::-1].copy()[..., ::-1], np.asfortranarray):
            args = [layout(q) for q in base]
            got = run(args)
            wide = [q.astype("float64") for q in args]
            for (_, fn), g in zip(cases, got, strict=True):
                e = fn(*wide)
                assert g.dtype == np.dtype(dtype) and g.shape == e.shape
                np.testing.assert_allclose(g, e, **tol(np.dtype(dtype)))


def test_tensordot_and_matmul_shape_errors():
    a3, c4 = T.dtensor3("a3"), T.dtensor4("c4")
    w = T.dmatrix("w")
    x4 = T.dtensor4("x4")
    run = compile_c(
        [a3, w, c4, x4],
        [T.tensordot(a3, w, [[0], [1]]), T.batched_tensordot(a3, c4, [[2], [1]]), T.matmul(a3, x4)],
    )
    good = [
        sample("float64", (4, 5, 6)),
        sample("float64", (2, 4)),
        sample("float64", (4, 6, 2, 5)),
        sample("float64", (3, 4, 6, 2)),
    ]
    run(good)
    with pytest.raises(ValueError, match=r"TensorDot.*shape mismatch \(summed axes \[\(0, 1\)\]\)"):
        run([good[0], sample("float64", (2, 3)), good[2], good[3]])
    with pytest.raises(ValueError, match=r"BatchedTensorDot.*shape mismatch \(batch sizes\)"):
        run([good[0], good[1], sample("float64", (3, 6, 2, 5)), good[3]])
    with pytest.raises(
        ValueError, match=r"MatMul: operands \(4, 5, 6\) \(float64\) and .* not aligned"
    ):
        run([good[0], good[1], good[2], sample("float64", (3, 4, 5, 2))])
    with pytest.raises(ValueError, match="neither is broadcastable in its type"):
        run([good[0], good[1], good[2], sample("float64", (3, 2, 6, 2))])


def test_integer_tensordot_falls_back_to_perform():
    a3, m = T.ltensor3("a3"), T.lmatrix("m")
    fg = FunctionGraph([a3, m], [T.dot(a3, m)])
    run = CLinker().make_thunk(fg)
    assert [type(n.op).__name__ for n in fg.linker_report.fallback_nodes] == ["TensorDot"]
    a, b = np.arange(24).reshape(2, 3, 4), np.arange(8).reshape(4, 2)
    np.testing.assert_array_equal(run([a, b])[0], np.dot(a, b))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(1, 1), (13, 37), (37, 13), (64, 33), (1100, 1000)])
def test_gemv_hand_loops_and_blas_match_numpy(dtype, shape):
    """Gemv on contiguous vectors: small matrices run the hand-written row loops (row dots
    for a row-major A, row updates for a column-major one, i.e. X.T), the 1100x1000 one
    goes to BLAS; both orientations, a row stride larger than the row, any beta."""
    from symcore.tensor.rewriting.blas_ops import Gemv

    y, x = T.tensor(dtype, (False,), name="y"), T.tensor(dtype, (False,), name="x")
    A = T.tensor(dtype, (False, False), name="A")
    a, b = T.tensor(dtype, (), name="a"), T.tensor(dtype, (), name="b")
    run = compile_c([y, A, x, a, b], [Gemv(False)(y, a, A, x, b)])
    m, k = shape
    padded = sample(dtype, (m, k + 3))[:, :k]  # rows contiguous, row stride k + 3
    for mat in (sample(dtype, (m, k)), np.asfortranarray(sample(dtype, (m, k))), padded):
        xv, yv = sample(dtype, (k,)), sample(dtype, (m,))
        for alpha, beta in [(1.5, 0.0), (-0.5, 1.0), (2.0, 0.25)]:
            yin = np.full_like(yv, np.nan) if beta == 0 else yv
            (got,) = run([yin, mat, xv, np.asarray(alpha, dtype), np.asarray(beta, dtype)])
            expected = alpha * (mat.astype("float64") @ xv) + (beta * yv if beta else 0.0)
            rtol = 1e-10 if dtype == "float64" else 2e-4
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * k * 100)
            assert not np.isnan(got).any()
