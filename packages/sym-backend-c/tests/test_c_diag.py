"""C code of ExtractDiag, ExtractDiagGrad, AllocDiag and FillDiagonal against NumPy: offsets
(incl. beyond the matrix), axis pairs, dtypes, negative strides, Fortran order, empty
arrays, casts of the fill value, the gradients, and errors naming the Op."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from symcore.gradient import grad
from symcore.tensor.diagonal import AllocDiag, ExtractDiag, ExtractDiagGrad, FillDiagonal

RNG = np.random.default_rng(3)
DTYPES = ["float64", "float32", "int32", "int8", "bool"]


def sample(dtype, shape):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    return (RNG.standard_normal(shape) * 20).astype(dtype)


def layouts(a):
    yield a
    yield np.asfortranarray(a)
    yield a[::-1, ::-2]
    yield a[:0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_extract_diag(c_function, dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    params = [(0, 0, 1), (1, 0, 1), (-2, 0, 1), (2, 1, 2), (-1, 2, 0), (0, 0, 2), (9, 0, 1)]
    f = c_function([x], [ExtractDiag(*p)(x) for p in params])
    for a in layouts(sample(dtype, (4, 5, 3))):
        for p, g in zip(params, f(a), strict=True):
            e = np.diagonal(a, *p)
            assert g.dtype == e.dtype and g.shape == e.shape, p
            np.testing.assert_array_equal(g, e)
            assert g.flags.c_contiguous and g.flags.writeable


def test_extract_diag_matrix_and_trace(c_function):
    m = T.dmatrix("m")
    f = c_function([m], [T.diag(m), T.diag(m, -1), T.trace(m)], fallbacks=())
    for a in layouts(sample("float64", (5, 4))):
        d, dm, tr = f(a)
        np.testing.assert_array_equal(d, np.diag(a))
        np.testing.assert_array_equal(dm, np.diag(a, -1))
        np.testing.assert_allclose(tr, np.trace(a))


@pytest.mark.parametrize("dtype", DTYPES)
def test_alloc_diag(c_function, dtype):
    v = T.tensor(dtype, (False,), name="v")
    offsets = [0, 2, -3]
    f = c_function([v], [AllocDiag(k)(v) for k in offsets])
    a = sample(dtype, (6,))
    for vv in (a, a[::-2], a[:0]):
        for k, g in zip(offsets, f(vv), strict=True):
            e = np.diag(vv, k)
            assert g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int16"])
def test_extract_diag_grad(c_function, dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    d = T.tensor(dtype, (False, False), name="d")
    params = [(0, 0, 1), (1, 2, 0), (-1, 1, 2), (5, 0, 1)]
    fs = [c_function([x, d], [ExtractDiagGrad(*p)(x, d)]) for p in params]
    a = sample(dtype, (4, 5, 3))[::-1]
    for p, f in zip(params, fs, strict=True):
        dv = sample(dtype, np.diagonal(a, *p).shape)[..., ::-1]
        got = f(a, dv)[0]
        assert got.dtype == np.dtype(dtype) and got.shape == a.shape
        # d on the diagonal, zeros everywhere else
        np.testing.assert_array_equal(np.diagonal(got, *p), dv)
        assert np.count_nonzero(got) == np.count_nonzero(dv)
    with pytest.raises(IndexError, match="ExtractDiagGrad"):
        fs[0](a, np.zeros((3, 9), dtype=dtype))


def test_extract_diag_gradient_graph(c_function, py_function):
    x = T.dtensor3("x")
    w = T.dmatrix("w")
    gx = grad((T.diagonal(x, 1, 0, 2) * w).sum(), x)
    f = c_function([x, w], [gx])
    a = sample("float64", (4, 3, 5))
    wv = sample("float64", (3, 4))
    got = f(a, wv)[0]
    np.testing.assert_array_equal(got, py_function([x, w], [gx])(a, wv)[0])
    np.testing.assert_array_equal(np.diagonal(got, 1, 0, 2), wv)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fill_diagonal(c_function, dtype):
    m = T.tensor(dtype, (False, False), name="m")
    c = T.tensor(dtype, (False,) * 3, name="c")
    val = T.dscalar("val")
    f = c_function([m, c, val], [FillDiagonal()(m, val), FillDiagonal()(c, val)])
    cube = sample(dtype, (3, 3, 3))
    for a in [*layouts(sample(dtype, (5, 3))), sample(dtype, (3, 5)), np.zeros((0, 4), dtype)]:
        for v in (2.75, -1.0, 0.0):
            gm, gc = f(a, cube[:, ::-1], v)
            for src, g in ((a, gm), (cube[:, ::-1], gc)):
                e = src.copy()
                np.fill_diagonal(e, v)
                assert g.dtype == e.dtype and g.shape == e.shape
                np.testing.assert_array_equal(g, e)
    with pytest.raises(ValueError, match="FillDiagonal.*must be equal"):
        f(a, sample(dtype, (3, 3, 2)), 1.0)


def test_fill_diagonal_does_not_touch_its_input(c_function):
    m = T.dmatrix("m")
    f = c_function([m], [T.fill_diagonal(m, 5.0)])
    a = sample("float64", (4, 4))
    before = a.copy()
    out = f(a)[0]
    np.testing.assert_array_equal(a, before)
    np.testing.assert_array_equal(np.diag(out), [5.0] * 4)


def test_wrong_rank_is_a_type_error(c_function):
    m = T.dmatrix("m")
    f = c_function([m], [T.diag(m)])
    with pytest.raises(TypeError):
        f(np.zeros(3))
