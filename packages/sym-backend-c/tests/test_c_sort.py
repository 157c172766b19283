"""C code of SortOp, ArgSortOp and PermuteAlongAxis against NumPy: axes (constant, symbolic,
None), dtypes, NaN/inf placement, ties (argsort is stable), negative strides, Fortran
order, empty arrays, the gradient of sort, and errors naming the Op."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from symcore.gradient import grad
from symcore.tensor.sort import PermuteAlongAxis

RNG = np.random.default_rng(7)


def sample(dtype, shape, ties=False):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    a = RNG.standard_normal(shape) * (2 if ties else 50)
    if ties or np.dtype(dtype).kind in "iu":
        a = np.round(a)
    if np.dtype(dtype).kind == "u":
        a = np.abs(a)
    return a.astype(dtype)


def layouts(a):
    yield a
    yield np.asfortranarray(a)
    yield a[::-1, :, ::-2]
    yield a[:, :0]


@pytest.mark.parametrize(
    "dtype", ["float64", "float32", "int64", "int32", "int8", "uint16", "bool"]
)
def test_sort_argsort_axes_dtypes_layouts(c_function, dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    axes = [0, 1, 2, -1, None]
    outs = [T.sort(x, ax) for ax in axes] + [T.argsort(x, ax) for ax in axes]
    f = c_function([x], outs)
    for ties in (False, True):
        for a in layouts(sample(dtype, (4, 5, 6), ties)):
            got = f(a)
            for ax, g in zip(axes, got[:5], strict=True):
                e = np.sort(a, axis=ax)
                assert g.dtype == e.dtype and g.shape == e.shape
                np.testing.assert_array_equal(g, e)
            for ax, g in zip(axes, got[5:], strict=True):
                e = np.argsort(a, axis=ax, kind="stable")
                assert g.dtype == np.int64 and g.shape == e.shape
                np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["quicksort", "mergesort", "heapsort", "stable"])
def test_nan_inf_and_signed_zero_placement(c_function, dtype, kind):
    x = T.tensor(dtype, (False, False), name="x")
    f = c_function([x], [T.sort(x, 1, kind=kind), T.argsort(x, 1, kind=kind), T.sort(x, None)])
    a = np.array(
        [[3.0, np.nan, -1.0, np.inf, -np.inf, np.nan, 0.0, -0.0], [np.nan] * 4 + [1.0] * 4],
        dtype=dtype,
    )
    s, i, flat = f(a)
    np.testing.assert_array_equal(s, np.sort(a, 1, kind=kind))
    np.testing.assert_array_equal(i, np.argsort(a, 1, kind="stable"))
    np.testing.assert_array_equal(flat, np.sort(a, None))


def test_symbolic_axis_and_bad_axis(c_function):
    x, ax = T.dmatrix("x"), T.lscalar("ax")
    f = c_function([x, ax], [T.sort(x, ax), T.argsort(x, ax)])
    a = sample("float64", (3, 4))
    for axis in (0, 1, -1, -2):
        s, i = f(a, axis)
        np.testing.assert_array_equal(s, np.sort(a, axis))
        np.testing.assert_array_equal(i, np.argsort(a, axis, kind="stable"))
    with pytest.raises(ValueError, match=r"SortOp|ArgSortOp") as info:
        f(a, 2)
    assert "out of bounds" in str(info.value)


def test_large_lanes_and_0d_flatten(c_function):
    x, s = T.fvector("x"), T.dscalar("s")
    f = c_function([x, s], [T.sort(x), T.argsort(x), T.sort(s, None), T.argsort(s, None)])
    a = sample("float32", (100_001,), ties=True)
    r = f(a[::-1], 2.5)
    np.testing.assert_array_equal(r[0], np.sort(a[::-1]))
    np.testing.assert_array_equal(r[1], np.argsort(a[::-1], kind="stable"))
    np.testing.assert_array_equal(r[2], [2.5])
    np.testing.assert_array_equal(r[3], [0])


def test_wrong_input_is_a_type_error(c_function):
    x = T.dvector("x")
    f = c_function([x], [T.sort(x)])
    with pytest.raises(TypeError):
        f(np.zeros((2, 2)))


@pytest.mark.parametrize("axis", [0, 1, None])
def test_sort_gradient_uses_permute_along_axis(c_function, py_function, axis):
    x = T.dmatrix("x")
    w = T.dmatrix("w")
    cost = (T.sort(x, axis) * (w if axis is not None else w.flatten())).sum()
    gx = grad(cost, x)
    f = c_function([x, w], [gx])
    ref = py_function([x, w], [gx])
    a = sample("float64", (4, 5))[::-1]
    wv = sample("float64", (4, 5))
    np.testing.assert_allclose(f(a, wv)[0], ref(a, wv)[0])
    # by hand: the weight of each sorted position goes back to the element it came from
    perm = np.argsort(a, axis=axis, kind="stable")
    expect = np.zeros(a.size)
    if axis is None:
        expect[perm] = wv.reshape(-1)
        expect = expect.reshape(a.shape)
    else:
        expect = np.zeros_like(a)
        np.put_along_axis(expect, perm, wv, axis=axis)
    np.testing.assert_allclose(f(a, wv)[0], expect)


@pytest.mark.parametrize("dtype", ["float32", "int16", "bool"])
def test_permute_along_axis_direct(c_function, dtype):
    x = T.tensor(dtype, (False, False), name="x")
    p = T.imatrix("p")
    ax = T.lscalar("ax")
    f = c_function([x, p, ax], [PermuteAlongAxis()(x, p, ax)])
    a = sample(dtype, (3, 4))
    for axis in (0, 1, -1):
        perm = np.argsort(RNG.random((3, 4)), axis=axis).astype("int32")
        perm[0, 0] -= a.shape[axis]  # a negative index counts from the end, as in NumPy
        got = f(a[:, ::-1], perm, axis)[0]
        np.testing.assert_array_equal(got, np.take_along_axis(a[:, ::-1], perm, axis))
    with pytest.raises(IndexError, match="PermuteAlongAxis.*out of bounds"):
        f(a, np.full((3, 4), 7, dtype="int32"), 1)
    with pytest.raises(ValueError, match="PermuteAlongAxis.*perm shape"):
        f(a, np.zeros((3, 5), dtype="int32"), 1)
    empty = np.zeros((0, 4), dtype=dtype)
    assert f(empty, np.zeros((0, 4), dtype="int32"), 0)[0].shape == (0, 4)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint32", "int16"])
def test_argsort_ties_of_every_run_length_are_stable(c_function, dtype):
    """Runs of equal values from 2 to thousands of elements (the quicksort result's runs
    are put in index order), NaNs included, along the last and the first axis."""
    x = T.tensor(dtype, (False, False), name="x")
    f = c_function([x], [T.argsort(x, -1), T.argsort(x, 0), T.argsort(x, None)])
    for n_distinct in (1, 2, 7, 60, 3000):
        a = RNG.integers(0, n_distinct, (3, 5000)).astype(dtype)
        if dtype.startswith("float"):
            a[a == 1] = np.nan
        b = np.ascontiguousarray(a.T[:, ::-1])
        got = f(a)
        np.testing.assert_array_equal(got[0], np.argsort(a, -1, kind="stable"))
        np.testing.assert_array_equal(got[2], np.argsort(a, None, kind="stable"))
        np.testing.assert_array_equal(f(b)[1], np.argsort(b, 0, kind="stable"))
