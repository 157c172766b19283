"""C code of Nonzero, SearchsortedOp and BinCount against NumPy: dtypes, strides, empty
inputs, sides and sorters, weights of each dtype, minlength, and errors naming the Op."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from symcore.tensor.search import BinCount, Nonzero

RNG = np.random.default_rng(23)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int8", "bool"])
def test_nonzero(c_function, dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    v = T.tensor(dtype, (False,), name="v")
    f = c_function([x, v], [*Nonzero()(x, return_list=True), T.flatnonzero(v)])
    a0 = (RNG.random((3, 4, 5)) > 0.6).astype(dtype) * (2 if dtype != "bool" else 1)
    a0 = a0.astype(dtype)
    if dtype.startswith("float"):
        a0[0, 0, 0] = np.nan  # NaN is non-zero
        a0[0, 0, 1] = -0.0  # -0.0 is zero
    for a in (a0, np.asfortranarray(a0), a0[::-1, :, ::-2], a0[:, :0], np.zeros_like(a0)):
        vec = a.reshape(-1)[::-1]
        got = f(a, vec)
        expect = [*np.nonzero(a), np.flatnonzero(vec)]
        for g, e in zip(got, expect, strict=True):
            assert g.dtype == np.int64 and g.shape == e.shape
            np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int16"])
def test_searchsorted(c_function, side, dtype):
    x = T.tensor(dtype, (False,), name="x")
    v = T.tensor(dtype, (False, False), name="v")
    s = T.tensor(dtype, (), name="s")
    sorter = T.ivector("sorter")
    f = c_function(
        [x, v, s, sorter],
        [
            T.searchsorted(x, v, side),
            T.searchsorted(x, s, side),
            T.searchsorted(x[sorter], v, side),
            T.searchsorted(x, v, side, sorter=sorter),
        ],
    )
    raw = np.round(RNG.standard_normal(12) * 5).astype(dtype)
    order = np.argsort(raw, kind="stable").astype("int32")
    xs = np.sort(raw)
    vv = np.round(RNG.standard_normal((3, 4)) * 6).astype(dtype)
    for xv, vals in ((xs, vv), (xs[::2], vv[::-1, ::2]), (xs[:0], vv)):
        o = np.argsort(xv, kind="stable").astype("int32")
        got = f(xv, vals, xv[0] if xv.size else np.asarray(0, dtype), o)
        expect = [
            np.searchsorted(xv, vals, side),
            np.searchsorted(xv, xv[0] if xv.size else 0, side),
            np.searchsorted(xv[o], vals, side),
            np.searchsorted(xv, vals, side, sorter=o),
        ]
        for g, e in zip(got, expect, strict=True):
            assert g.dtype == np.int64 and g.shape == np.shape(e)
            np.testing.assert_array_equal(g, e)
    got = f(raw, vv, raw[0], order)[3]
    np.testing.assert_array_equal(got, np.searchsorted(raw, vv, side, sorter=order))
    with pytest.raises(ValueError, match="sorter"):
        f(raw, vv, raw[0], order[:3])


def test_searchsorted_nan_and_mixed_dtypes(c_function):
    x = T.fvector("x")
    v = T.dvector("v")
    f = c_function([x, v], [T.searchsorted(x, v), T.searchsorted(x, v, "right")])
    xv = np.array([-1.0, 0.5, 0.5, 2.0, np.nan], "float32")
    vv = np.array([np.nan, 0.5, 0.50000001, -np.inf, 3.0])
    for g, side in zip(f(xv, vv), ["left", "right"], strict=True):
        np.testing.assert_array_equal(g, np.searchsorted(xv, vv, side))


@pytest.mark.parametrize("xdtype", ["int64", "int32", "uint8"])
def test_bincount(c_function, xdtype):
    x = T.tensor(xdtype, (False,), name="x")
    ml = T.lscalar("ml")
    w64, w32, wi = T.dvector("w64"), T.fvector("w32"), T.ivector("wi")
    outs = [
        T.bincount(x, minlength=ml),
        T.bincount(x, w64),
        T.bincount(x, w32, minlength=ml),
        T.bincount(x, wi),
    ]
    f = c_function([x, ml, w64, w32, wi], outs)
    xv0 = RNG.integers(0, 9, 40).astype(xdtype)
    for xv in (xv0, xv0[::-3], xv0[:0]):
        n = xv.size
        w = RNG.standard_normal(n)
        wint = RNG.integers(-5, 5, n).astype("int32")
        for m in (0, 15):
            got = f(xv, m, w, w.astype("float32"), wint)
            e32 = np.zeros(max(m, int(xv.max()) + 1 if n else 0), "float32")
            np.add.at(e32, xv, w.astype("float32"))
            expect = [
                np.bincount(xv, minlength=m),
                np.bincount(xv, w),
                e32,
                np.bincount(xv, wint.astype("float64")),
            ]
            # the Op's dtypes (NumPy's empty weighted bincount is int64: the Op keeps float)
            dtypes = ["int64", "float64", "float32", "float64"]
            for g, e, dt in zip(got, expect, dtypes, strict=True):
                assert g.dtype == dt and g.shape == e.shape
                np.testing.assert_array_equal(g, e)


def test_bincount_errors(c_function):
    x = T.lvector("x")
    w = T.dvector("w")
    f = c_function([x, w], [T.bincount(x, w)])
    with pytest.raises(ValueError, match="BinCount.*non-negative"):
        f(np.array([1, -2, 3]), np.ones(3))
    with pytest.raises(ValueError, match="BinCount.*weights shape"):
        f(np.array([1, 2, 3]), np.ones(4))
    g = c_function([x], [BinCount()(x, -3)])  # a negative minlength is ignored, as perform
    np.testing.assert_array_equal(g(np.array([2, 0]))[0], [1, 0, 1])
    assert g(np.zeros(0, "int64"))[0].shape == (0,)
