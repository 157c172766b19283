"""C code of Alloc, AllocEmpty, ARange, Eye, Tri, tril/triu and Join against NumPy: dtypes,
broadcasting rules, empty and negative sizes, NumPy's arange lengths/values, join axes and
casts, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from sym_backend_c.testing import compile_c, skip_module_without_compiler
from symcore.tensor.alloc import Alloc, AllocEmpty, ARange, Eye, Tri
from symcore.tensor.join import Join

skip_module_without_compiler()


RNG = np.random.default_rng(11)


def sample(dtype, shape):
    if dtype == "bool":
        return np.asarray(RNG.random(shape) > 0.5)
    return np.asarray(RNG.standard_normal(shape) * 10).astype(dtype)


I, J = T.lscalars("i", "j")  # noqa: E741
K = T.bscalar("k")


@pytest.mark.parametrize("dtype", ["float64", "int32", "bool", "float32"])
def test_alloc_eye_tri_tril_triu(dtype):
    v0 = T.tensor(dtype, (), name="v0")
    v1 = T.tensor(dtype, (False,), name="v1")
    vr = T.tensor(dtype, (True, False), name="vr")
    outs = [
        Alloc()(v0, I, J),
        Alloc()(v1, I, J),
        Alloc()(vr, I, I, J),
        AllocEmpty(dtype)(I, J),
        Eye(dtype)(I, J, K),
        Tri(dtype)(I, J, K),
        T.tril(Alloc()(v1, I, J), K),
        T.triu(vr, K),
    ]
    run = compile_c([v0, v1, vr, I, J, K], outs)
    for i, j, k in [(3, 4, 2), (0, 4, 1), (3, 0, 0), (2, 4, -1), (3, 4, -5), (3, 4, 9), (3, 1, 2)]:
        a0, a1, ar = sample(dtype, ()), sample(dtype, (j,)), sample(dtype, (1, j))
        got = run([a0, a1, ar, np.array(i), np.array(j), np.array(k, "int8")])
        expected = [
            np.full((i, j), a0),
            np.broadcast_to(a1, (i, j)),
            np.broadcast_to(ar, (i, i, j)),
            np.empty((i, j), dtype),
            np.eye(i, j, k, dtype=dtype),
            np.tri(i, j, k, dtype=dtype),
            np.tril(np.broadcast_to(a1, (i, j)), k),
            np.triu(ar, k),
        ]
        for g, e, o in zip(got, expected, outs, strict=True):
            assert g.dtype == np.dtype(o.dtype) and g.shape == e.shape
            if o.owner.op.__class__ is not AllocEmpty:
                np.testing.assert_array_equal(g, e)
            assert g.flags.writeable


def test_alloc_broadcasting_rules_and_errors():
    v1 = T.dvector("v1")
    vr = T.drow("vr")
    run = compile_c([v1, I, J], [Alloc()(v1, I, J)])
    with pytest.raises(
        ValueError, match=r"(?s)Alloc: cannot broadcast a value of shape \(3,\) to shape \(2, 4\)"
    ):
        run([np.ones(3), np.array(2), np.array(4)])
    # a length-1 dimension that is not broadcastable in the type may not be stretched
    with pytest.raises(
        ValueError, match="runtime broadcasting of a dimension not marked broadcastable"
    ):
        run([np.ones(1), np.array(2), np.array(4)])
    with pytest.raises(ValueError, match=r"negative dimension in shape \(-2, 1\)"):
        run([np.ones(1), np.array(-2), np.array(1)])
    run_r = compile_c([vr, I, J], [Alloc()(vr, I, J)])
    np.testing.assert_array_equal(
        run_r([np.full((1, 4), 2.0), np.array(3), np.array(4)])[0], np.full((3, 4), 2.0)
    )
    # zeros: -0.0 gives +0.0 like numpy.zeros (the perform's shortcut)
    s = T.dscalar("s")
    z = compile_c([s, I], [Alloc()(s, I)])([np.array(-0.0), np.array(3)])[0]
    assert not np.signbit(z).any()


@pytest.mark.parametrize(
    "dtype, bound_dtype",
    [
        ("int64", "int64"),
        ("float64", "float64"),
        ("float32", "float32"),
        ("int32", "int8"),
        ("float64", "int64"),
        ("uint8", "int64"),
    ],
)
def test_arange_matches_numpy(dtype, bound_dtype):
    s, e, st = (T.tensor(bound_dtype, (), name=n) for n in ("s", "e", "st"))
    run = compile_c([s, e, st], [ARange(dtype)(s, e, st)])
    for a, b, c in [
        (0, 10, 1),
        (10, 0, -3),
        (0, 1, 0.1),
        (5, 5, 1),
        (-3, 7, 2.5),
        (0.5, -2.25, -0.25),
        (7, 2, 1),
    ]:
        vals = [np.asarray(v).astype(bound_dtype) for v in (a, b, c)]
        if vals[2] == 0:
            with pytest.raises(ValueError, match="step must not be zero"):
                run(vals)
            continue
        try:
            expected = np.arange(*(v.item() for v in vals), dtype=dtype)
        except (OverflowError, ValueError) as exc:  # e.g. negative bounds for uint8
            with pytest.raises(type(exc)):
                run(vals)
            continue
        got = run(vals)[0]
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "dtypes",
    [("float64", "float64"), ("float32", "int32"), ("int8", "bool"), ("float64", "float32")],
)
def test_join_matches_concatenate(dtypes):
    x = T.tensor(dtypes[0], (False, False), name="x")
    y = T.tensor(dtypes[1], (False, False), name="y")
    ax = T.bscalar("ax")
    outs = [Join()(ax, x, y), Join()(ax, x, y, x)]
    run = compile_c([x, y, ax], outs)
    for xs, ys, axis in [
        ((2, 3), (4, 3), 0),
        ((2, 3), (2, 5), 1),
        ((2, 3), (2, 3), -1),
        ((2, 3), (2, 3), -2),
        ((0, 3), (0, 3), 0),
        ((2, 0), (2, 0), 1),
        ((0, 3), (2, 3), 0),
    ]:
        xv, yv = sample(dtypes[0], xs), sample(dtypes[1], ys)
        for xx in [xv, xv[::-1], np.asfortranarray(xv)]:
            got = run([xx, yv, np.array(axis, "int8")])
            expected = [
                np.concatenate([xx, yv], axis=axis),
                np.concatenate([xx, yv, xx], axis=axis),
            ]
            for g, e, o in zip(got, expected, outs, strict=True):
                assert g.dtype == np.dtype(o.dtype) and g.shape == e.shape
                np.testing.assert_array_equal(g, e.astype(o.dtype))


def test_join_errors():
    x, y = T.dmatrices("x", "y")
    ax = T.lscalar("ax")
    run = compile_c([x, y, ax], [Join()(ax, x, y)])
    with pytest.raises(
        ValueError,
        match=r"(?s)Join\(axis=0\): cannot join arrays of shapes \(2, 3\) float64, \(2, 4\)",
    ):
        run([np.zeros((2, 3)), np.zeros((2, 4)), np.array(0)])
    with pytest.raises(ValueError, match="axis 2 is out of range for 2-d arrays"):
        run([np.zeros((2, 3)), np.zeros((2, 3)), np.array(2)])
    with pytest.raises(ValueError, match="axis -3 is out of range"):
        run([np.zeros((2, 3)), np.zeros((2, 3)), np.array(-3)])


def test_concatenate_constant_axis_and_stack():
    x, y = T.fmatrices("x", "y")
    run = compile_c([x, y], [T.concatenate([x, y], axis=1), T.stack([x, y], axis=0)])
    a, b = sample("float32", (3, 2)), sample("float32", (3, 2))
    got = run([a, b])
    np.testing.assert_array_equal(got[0], np.concatenate([a, b], axis=1))
    np.testing.assert_array_equal(got[1], np.stack([a, b]))


def test_split_gives_views_like_numpy_split():
    from symcore.tensor.join import Split

    x = T.dmatrix("x")
    ax = T.bscalar("ax")
    sizes = T.lvector("sizes")
    run = compile_c([x, ax, sizes], Split(3)(x, ax, sizes))
    a = np.arange(20.0).reshape(4, 5)
    for axis, split in [(0, [1, 0, 3]), (1, [2, 2, 1]), (-1, [5, 0, 0])]:
        for xv in [a, a[::-1, ::-1], np.asfortranarray(a)]:
            got = run([xv, np.array(axis, "int8"), np.array(split)])
            expected = np.split(xv, np.cumsum(split)[:-1], axis=axis)
            for g, e in zip(got, expected, strict=True):
                assert g.shape == e.shape
                np.testing.assert_array_equal(g, e)
                assert np.shares_memory(g, xv) == (e.size > 0)
    for axis, split, message in [
        (0, [1, 1, 1], r"split sizes \(1, 1, 1\) add up to 3, not to the length 4 of axis 0"),
        (2, [1, 1, 2], r"axis 2 is out of range for an array of shape \(4, 5\)"),
        (0, [1, 4, -1], r"negative split size in \(1, 4, -1\)"),
        (0, [4], "expected 3 split sizes, got 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            run([a, np.array(axis, "int8"), np.array(split)])
