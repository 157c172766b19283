"""C code of ``Unique`` (axis=None) and ``UltraFastSigmoid``: NumPy (``np.unique``) and the
Op's ``perform`` (reference backend) are the oracles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import symcore.tensor as T
from symcore.tensor.nnet.sigm import ultra_fast_sigmoid
from symcore.tensor.search import unique


def _data(dtype, shape, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("int"):
        return rng.integers(-4, 5, size=shape).astype(dtype)
    x = rng.integers(-4, 5, size=shape).astype(dtype)  # many ties
    x.flat[::5] = np.nan
    x.flat[1::7] = -0.0
    return x


FLAGS = list(itertools.product([False, True], repeat=3))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool"])
@pytest.mark.parametrize("shape", [(0,), (1,), (23,), (4, 6), ()])
@pytest.mark.parametrize("flags", FLAGS)
def test_unique_matches_numpy(c_function, dtype, shape, flags):
    rng = np.random.default_rng(len(shape) + sum(shape))
    x = T.tensor(dtype=dtype, shape=(None,) * len(shape))
    outs = unique(x, *flags)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    f = c_function([x], outs)
    xv = _data(dtype, shape, rng)
    got = f(xv)
    want = np.unique(xv, *flags)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == (xv.dtype if w is want[0] else np.int64)
        assert g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    if flags[1]:  # the inverse rebuilds the input
        inv = got[1 + int(flags[0])]
        np.testing.assert_array_equal(got[0][inv], xv)


@pytest.mark.parametrize("flags", FLAGS)
def test_unique_non_contiguous_and_all_nan(c_function, flags):
    x = T.matrix(dtype="float64")
    outs = unique(x[:, ::2].T, *flags)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    f = c_function([x], outs)
    rng = np.random.default_rng(3)
    for xv in (
        rng.integers(0, 6, size=(7, 9)).astype("float64"),
        np.full((3, 4), np.nan),
        np.array([[np.inf, -np.inf, np.nan, 1.0, np.inf, np.nan]]),
    ):
        want = np.unique(xv[:, ::2].T, *flags)
        want = want if isinstance(want, tuple) else (want,)
        for g, w in zip(f(xv), want, strict=True):
            assert g.shape == w.shape
            np.testing.assert_array_equal(g, w)


def test_unique_first_occurrence_index(c_function):
    x = T.vector(dtype="int64")
    f = c_function([x], list(unique(x, return_index=True, return_counts=True)))
    xv = np.array([5, 3, 5, 3, 1, 5, 1, 1, 9], dtype="int64")
    v, i, c = f(xv)
    np.testing.assert_array_equal(v, [1, 3, 5, 9])
    np.testing.assert_array_equal(i, [4, 1, 0, 8])
    np.testing.assert_array_equal(c, [3, 2, 3, 1])


def test_unique_with_axis_falls_back(c_function):
    x = T.matrix(dtype="float64")
    f = c_function([x], unique(x, axis=0), fallbacks=("Unique",))
    xv = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0]])
    np.testing.assert_array_equal(f(xv), np.unique(xv, axis=0))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ultra_fast_sigmoid_matches_perform(c_function, py_function, dtype):
    x = T.matrix(dtype=dtype)
    y = ultra_fast_sigmoid(x[::2, ::-1])  # non-contiguous input
    f = c_function([x], y)
    g = py_function([x], y)
    rng = np.random.default_rng(0)
    xv = (rng.standard_normal((40, 30)) * 6).astype(dtype)
    # the knees (|x| = 3.4, 6), both signs, zeros, infinities, NaN
    special = np.array([0.0, -0.0, 3.4, -3.4, 6.0, -6.0, np.inf, -np.inf, np.nan], dtype=dtype)
    xv[0, : special.size] = special
    xv[0, special.size : 2 * special.size] = np.nextafter(special, np.zeros_like(special))
    got, want = f(xv), g(xv)
    assert got.dtype == want.dtype == np.dtype(dtype)
    assert got.shape == want.shape == (20, 30)
    np.testing.assert_array_equal(got, want)  # bit for bit (no FMA in the C loop)
    # and close to the true sigmoid (the approximation is off by up to ~0.03)
    fin = np.isfinite(xv[::2, ::-1])
    with np.errstate(over="ignore"):
        true = 1 / (1 + np.exp(-xv[::2, ::-1][fin].astype("float64")))
    np.testing.assert_allclose(got[fin], true, atol=0.03)


def test_ultra_fast_sigmoid_empty_and_int_input(c_function):
    x = T.vector(dtype="int32")
    f = c_function([x], ultra_fast_sigmoid(x))  # cast to float64 before the Op
    out = f(np.array([], dtype="int32"))
    assert out.shape == (0,) and out.dtype == np.float64
    np.testing.assert_array_equal(f(np.array([0], dtype="int32")), [0.5])
