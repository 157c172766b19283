"""C code of boolean-mask indexing on the leading axes (``x[mask]``, ``x[mask] = y``,
``inc_subtensor(x[mask], y)``) against NumPy: 1-d/2-d masks, broadcasting values, dtypes,
negative strides, empty and all-false masks, gradients, and errors naming the Op."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from symcore.gradient import grad

RNG = np.random.default_rng(17)
DTYPES = ["float64", "float32", "int32", "int8", "bool"]


def sample(dtype, shape):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    return (RNG.standard_normal(shape) * 20).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mask_read(c_function, dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    m1 = T.tensor("bool", (False,), name="m1")
    m2 = T.tensor("bool", (False, False), name="m2")
    f = c_function([x, m1, m2], [x[m1], x[m2], x[m2, :]])
    a0 = sample(dtype, (4, 3, 5))
    for a in (a0, np.asfortranarray(a0), a0[::-1, :, ::-2]):
        for k1, k2 in (
            (RNG.random(4) > 0.5, RNG.random((4, 3)) > 0.5),
            (np.zeros(4, bool), np.ones((4, 3), bool)),
        ):
            k2s = np.ascontiguousarray(np.vstack([k2, k2])[::-2][::-1])  # same values
            for g, e in zip(f(a, k1[::-1], k2s), [a[k1[::-1]], a[k2s], a[k2s, :]], strict=True):
                assert g.dtype == e.dtype and g.shape == e.shape
                np.testing.assert_array_equal(g, e)
    e = np.zeros((0, 3, 5), dtype)
    assert f(e, np.zeros(0, bool), np.zeros((0, 3), bool))[0].shape == (0, 3, 5)
    with pytest.raises(IndexError, match="AdvancedSubtensor.*boolean index did not match"):
        f(a0, np.ones(5, bool), np.ones((4, 3), bool))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int16"])
@pytest.mark.parametrize("mode", ["set", "inc"])
def test_mask_set_and_inc(c_function, dtype, mode):
    x = T.tensor(dtype, (False, False), name="x")
    m = T.tensor("bool", (False,), name="m")
    m2 = T.tensor("bool", (False, False), name="m2")
    y = T.tensor(dtype, (False, False), name="y")
    row = T.tensor(dtype, (False,), name="row")  # broadcast over the selected rows
    flat = T.tensor(dtype, (False,), name="flat")  # one value per selected element
    s = T.tensor(dtype, (), name="s")
    op = T.set_subtensor if mode == "set" else T.inc_subtensor
    outs = [op(x[m], y), op(x[m], row), op(x[m2], s), op(x[m2], flat)]
    f = c_function([x, m, m2, y, row, flat, s], outs)
    a = sample(dtype, (5, 4))[::-1]
    mv = RNG.random(5) > 0.4
    m2v = RNG.random((5, 4)) > 0.5
    yv = sample(dtype, (int(mv.sum()), 4))
    rowv = sample(dtype, (4,))
    flatv = sample(dtype, (int(m2v.sum()),))
    sv = np.asarray(3, dtype)
    before = a.copy()
    got = f(a, mv, m2v, yv, rowv, flatv, sv)
    np.testing.assert_array_equal(a, before)  # not in place: the input is untouched
    for g, mask, val in zip(got, [mv, mv, m2v, m2v], [yv, rowv, sv, flatv], strict=True):
        e = a.copy()
        if mode == "set":
            e[mask] = val
        else:
            e[mask] += val
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        f(a, mv, m2v, sample(dtype, (int(mv.sum()) + 1, 4)), rowv, flatv, sv)
    with pytest.raises(IndexError, match="boolean index did not match"):
        f(a, np.ones(6, bool), m2v, yv, rowv, flatv, sv)


def test_mask_gradient(c_function):
    x = T.dmatrix("x")
    m = T.tensor("bool", (False,), name="m")
    w = T.dmatrix("w")
    gx = grad((x[m] * w).sum(), x)
    f = c_function([x, m, w], [gx])
    a = sample("float64", (5, 3))
    mv = np.array([True, False, True, True, False])
    wv = sample("float64", (3, 3))
    expect = np.zeros_like(a)
    expect[mv] = wv
    np.testing.assert_array_equal(f(a, mv, wv)[0], expect)


def test_mask_of_a_comparison(c_function):
    x = T.dvector("x")
    f = c_function([x], [x[x > 0], T.set_subtensor(x[x < 0], 0.0)])
    a = sample("float64", (50,))
    pos, relu = f(a)
    np.testing.assert_array_equal(pos, a[a > 0])
    np.testing.assert_array_equal(relu, np.maximum(a, 0.0))
