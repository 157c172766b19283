"""C code of RepeatOp, Tile, Roll, their gradients RepeatGrad/TileGrad and CumprodGrad
against NumPy: axes (incl. None), scalar/vector/symbolic counts, dtypes, negative strides,
Fortran order, empty arrays, zero counts, and errors naming the Op."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from symcore.gradient import grad
from symcore.tensor.extra_ops import CumprodGrad, RepeatGrad, RepeatOp, Roll, Tile, TileGrad

RNG = np.random.default_rng(13)
DTYPES = ["float64", "float32", "int32", "int8", "uint16", "bool"]


def sample(dtype, shape):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    return (RNG.standard_normal(shape) * 20).astype(dtype)


def layouts(a):
    yield a
    yield np.asfortranarray(a)
    yield a[::-1, :, ::-2]
    yield a[:, :0]


def check(got, expect):
    assert got.dtype == expect.dtype and got.shape == expect.shape
    if expect.dtype.kind == "f":
        np.testing.assert_allclose(got, expect, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, expect)


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat(c_function, dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    r = T.lscalar("r")
    rv = T.ivector("rv")
    outs = [T.repeat(x, r, axis=1), T.repeat(x, r), T.repeat(x, rv, axis=0), T.repeat(x, 2, -1)]
    f = c_function([x, r, rv], outs)
    for a in layouts(sample(dtype, (3, 4, 5))):
        counts = RNG.integers(0, 3, a.shape[0]).astype("int32")
        for k in (0, 3):
            got = f(a, k, counts)
            expect = [
                np.repeat(a, k, axis=1),
                np.repeat(a, k),
                np.repeat(a, counts, axis=0),
                np.repeat(a, 2, -1),
            ]
            for g, e in zip(got, expect, strict=True):
                check(g, e)
    a = sample(dtype, (3, 4, 5))
    check(f(a, 1, np.array([4], "int32"))[2], np.repeat(a, [4], axis=0))
    with pytest.raises(ValueError, match="RepeatOp.*non-negative"):
        f(a, -1, counts)
    with pytest.raises(ValueError, match="RepeatOp.*repeats has 2 entries"):
        f(a, 1, np.array([1, 2], "int32"))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8"])
@pytest.mark.parametrize("axis", [0, 1, None])
def test_repeat_grad(c_function, py_function, dtype, axis):
    x = T.tensor(dtype, (False, False), name="x")
    rv = T.lvector("rv")
    r = T.lscalar("r")
    g = T.tensor(dtype, (False,) * (1 if axis is None else 2), name="g")
    f = c_function([x, g, rv], [RepeatGrad(axis)(x, g, rv)])
    fs = c_function([x, g, r], [RepeatGrad(axis)(x, g, r)])
    ref = py_function([x, g, rv], [RepeatGrad(axis)(x, g, rv)])
    a = sample(dtype, (4, 3))
    n = a.size if axis is None else a.shape[axis]
    counts = RNG.integers(0, 4, n)
    out_shape = np.repeat(a, counts, axis=axis).shape
    gv = sample(dtype, out_shape)
    got = f(a, gv[::-1] if axis is not None else gv, counts)[0]
    e = ref(a, gv[::-1] if axis is not None else gv, counts)[0]
    check(got, e)
    # oracle: the gradient of repeat sums each group of copies
    idx = np.repeat(np.arange(n), counts)
    src = gv[::-1] if axis is not None else gv
    expect = np.zeros((n,) + (() if axis is None else np.moveaxis(a, axis, 0).shape[1:]), dtype)
    np.add.at(expect, idx, src if axis is None else np.moveaxis(src, axis, 0))
    expect = expect.reshape(a.shape) if axis is None else np.moveaxis(expect, 0, axis)
    check(got, expect)
    gs = sample(dtype, np.repeat(a, 2, axis=axis).shape)
    check(fs(a, gs, 2)[0], ref(a, gs, np.full(n, 2))[0])
    with pytest.raises(ValueError, match="RepeatGrad"):
        f(a, gv, counts + 1)


def test_repeat_gradient_graph(c_function, py_function):
    x = T.dmatrix("x")
    w = T.dmatrix("w")
    gx = grad((T.repeat(x, 3, axis=1) * w).sum(), x)
    f = c_function([x, w], [gx])
    a, wv = sample("float64", (2, 3)), sample("float64", (2, 9))
    np.testing.assert_allclose(f(a, wv)[0], wv.reshape(2, 3, 3).sum(-1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tile(c_function, dtype):
    x = T.tensor(dtype, (False, False), name="x")
    i, j = T.lscalars("i", "j")
    outs = [Tile()(x, i, j), Tile()(x, 2, i, 1), Tile()(x, j), Tile()(x)]
    f = c_function([x, i, j], outs)
    a0 = sample(dtype, (3, 4))
    for a in (a0, np.asfortranarray(a0), a0[::-1, ::-2], a0[:0]):
        for iv, jv in ((2, 3), (0, 1), (1, 1)):
            got = f(a, iv, jv)
            expect = [np.tile(a, (iv, jv)), np.tile(a, (2, iv, 1)), np.tile(a, jv), a.copy()]
            for g, e in zip(got, expect, strict=True):
                check(g, e)
    with pytest.raises(ValueError, match="Tile.*non-negative"):
        f(a0, -1, 2)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_tile_grad(c_function, dtype):
    x = T.tensor(dtype, (False, False), name="x")
    g3 = T.tensor(dtype, (False,) * 3, name="g3")
    i, j = T.lscalars("i", "j")
    f = c_function([x, g3, i, j], [TileGrad()(x, g3, 2, i, j)])
    a = sample(dtype, (3, 4))
    for iv, jv in ((2, 3), (1, 1), (0, 2)):
        gv = sample(dtype, (2, 3 * iv, 4 * jv))[:, ::-1]
        got = f(a, gv, iv, jv)[0]
        expect = gv.reshape(2, iv, 3, jv, 4).sum(axis=(0, 1, 3)).astype(dtype)
        check(got, expect)
    with pytest.raises(ValueError, match="TileGrad"):
        f(a, sample(dtype, (2, 6, 5)), 2, 1)


def test_tile_gradient_graph(c_function):
    x = T.dmatrix("x")
    w = T.dmatrix("w")
    gx = grad((T.tile(x, (2, 3)) * w).sum(), x)
    f = c_function([x, w], [gx])
    a, wv = sample("float64", (2, 3)), sample("float64", (4, 9))
    np.testing.assert_allclose(f(a, wv)[0], wv.reshape(2, 2, 3, 3).sum(axis=(0, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_roll(c_function, dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    s = T.lscalar("s")
    axes = [0, 1, -1, None]
    f = c_function([x, s], [Roll(ax)(x, s) for ax in axes])
    for a in layouts(sample(dtype, (3, 4, 5))):
        for sh in (0, 1, -2, 7, -13):
            for ax, g in zip(axes, f(a, sh), strict=True):
                check(g, np.roll(a, sh, axis=ax))


def test_roll_gradient_graph(c_function):
    x = T.dvector("x")
    w = T.dvector("w")
    s = T.lscalar("s")
    gx = grad((T.roll(x, s) * w).sum(), x)
    f = c_function([x, w, s], [gx])
    a, wv = sample("float64", (7,)), sample("float64", (7,))
    np.testing.assert_allclose(f(a, wv, 3)[0], np.roll(wv, -3))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("axis", [0, 1, None])
def test_cumprod_grad(c_function, py_function, dtype, axis):
    x = T.tensor(dtype, (False, False), name="x")
    g = T.tensor(dtype, (False,) * (1 if axis is None else 2), name="g")
    f = c_function([x, g], [CumprodGrad(axis)(x, g)])
    ref = py_function([x, g], [CumprodGrad(axis)(x, g)])
    a = sample(dtype, (4, 5)) / 20
    a[1, 2] = 0.0  # exact at zeros
    for av in (a, a[::-1, ::-1], np.asfortranarray(a), a[:0]):
        gv = sample(dtype, (av.size,) if axis is None else av.shape)
        check(f(av, gv)[0], ref(av, gv)[0])
    with pytest.raises(ValueError, match="CumprodGrad"):
        f(a, sample(dtype, (3,) if axis is None else (4, 3)))


def test_cumprod_gradient_against_finite_differences(c_function):
    x = T.dvector("x")
    gx = grad(T.cumprod(x).sum(), x)
    f = c_function([x], [gx])
    a = np.array([0.5, -2.0, 0.0, 3.0, 1.5])
    # d/dx_i sum_k prod_{j<=k} x_j, computed by brute force
    eps = 1e-6
    num = np.array(
        [
            (np.cumprod(a + eps * e).sum() - np.cumprod(a - eps * e).sum()) / (2 * eps)
            for e in np.eye(5)
        ]
    )
    np.testing.assert_allclose(f(a)[0], num, rtol=1e-6, atol=1e-8)


def test_repeat_op_is_the_compiled_node(c_function):
    x = T.dvector("x")
    f = c_function([x], [RepeatOp(0)(x, 2)])
    np.testing.assert_array_equal(f(np.arange(3.0))[0], [0, 0, 1, 1, 2, 2])


@pytest.mark.parametrize("dtype", ["float16", "complex128"])
def test_dtype_agnostic_ops_take_float16_and_complex(c_function, dtype):
    """The Ops whose C code only moves elements (or calls NumPy's routines) have no
    fallback for float16/complex either: sort, diagonal, fill_diagonal, repeat, roll, tile,
    nonzero."""
    x = T.tensor(dtype, (False, False), name="x")
    s = T.lscalar("s")
    val = T.constant(np.asarray(2, dtype))
    outs = [
        T.sort(x, 1),
        T.argsort(x, None),
        T.diagonal(x),
        T.fill_diagonal(x, val),
        T.repeat(x, 2, 0),
        T.roll(x, s, 1),
        Tile()(x, 2, 1),
        T.nonzero(x)[1],
    ]
    f = c_function([x, s], outs)
    a = np.round(RNG.standard_normal((3, 4)) * 3).astype(dtype)
    if dtype.startswith("complex"):
        a = a + 1j * a[::-1]
    filled = a.copy()
    np.fill_diagonal(filled, 2)
    expect = [
        np.sort(a, 1),
        np.argsort(a, None, kind="stable"),
        np.diagonal(a),
        filled,
        np.repeat(a, 2, 0),
        np.roll(a, 3, 1),
        np.tile(a, (2, 1)),
        np.nonzero(a)[1],
    ]
    for g, e in zip(f(a, 3), expect, strict=True):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)
