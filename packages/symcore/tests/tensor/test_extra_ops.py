"""cumsum/cumprod, repeat, tile, roll, nonzero family, bincount, searchsorted, unique,
fill_diagonal and diff against NumPy, with infer_shape and gradients."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import grad, verify_grad
from symcore.tensor import extra_ops
from symcore.tensor.extra_ops import CumOp, CumprodGrad, RepeatGrad, RepeatOp, Roll, Tile, TileGrad
from symcore.tensor.search import Nonzero
from symcore.testing.shapes import check_infer_shape

rng = np.random.default_rng(3)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


# ---------------------------------------------------------------------------------------
# cumsum / cumprod
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn,npfn", [(T.cumsum, np.cumsum), (T.cumprod, np.cumprod)])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, 2])
def test_cum_matches_numpy(fn, npfn, axis):
    x = T.dtensor3("x")
    a = rng.random((2, 3, 4)) + 0.5
    out = fn(x, axis=axis)
    assert isinstance(out.owner.op, CumOp)
    np.testing.assert_allclose(run(out, [x], a), npfn(a, axis=axis))
    check_infer_shape(out, [x], [a])


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int32", "float32", "complex64"])
def test_cum_dtype_follows_numpy(dtype):
    x = T.vector(dtype=dtype)
    a = np.array([1, 0, 1, 1], dtype=dtype)
    for fn, npfn in [(T.cumsum, np.cumsum), (T.cumprod, np.cumprod)]:
        res = run(fn(x), [x], a)
        assert fn(x).dtype == npfn(a).dtype.name == res.dtype.name
        np.testing.assert_array_equal(res, npfn(a))


def test_cum_methods_empty_and_non_contiguous():
    x = T.dmatrix("x")
    a = rng.random((5, 6))[::-2, ::3]
    np.testing.assert_allclose(run(x.cumsum(axis=0), [x], a), np.cumsum(a, axis=0))
    np.testing.assert_allclose(run(x.cumprod(), [x], a), np.cumprod(a))
    e = np.zeros((0, 3))
    assert run(x.cumsum(axis=1), [x], e).shape == (0, 3)
    assert run(x.cumprod(), [x], e).shape == (0,)


def test_cum_errors():
    with pytest.raises(ValueError, match="out of range"):
        T.cumsum(T.dmatrix(), axis=2)
    with pytest.raises(ValueError, match="0-d"):
        T.cumsum(T.dscalar(), axis=0)
    with pytest.raises(TypeError, match="constant"):
        T.cumsum(T.dvector(), axis=T.iscalar())
    with pytest.raises(ValueError, match="mode"):
        CumOp(0, "max")


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_cumsum_grad(axis):
    verify_grad(lambda x: T.cumsum(x, axis), [rng.random((3, 4))])


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_cumprod_grad(axis):
    verify_grad(lambda x: T.cumprod(x, axis), [rng.random((3, 4)) + 0.5])


def test_cumprod_grad_exact_with_zeros():
    x = T.dvector("x")
    w = np.array([1.0, -2.0, 3.0, 0.5, 2.0])
    g = grad((T.cumprod(x) * w).sum(), x)
    f = symcore.function([x], g)
    for a in [
        np.array([2.0, 0.0, 3.0, 0.0, 1.5]),
        np.array([0.0, 2.0, 3.0, 4.0, 5.0]),
        np.array([1.0, 2.0, 0.0, 4.0, 5.0]),
    ]:
        expected = np.zeros(5)
        for i in range(5):  # d/dx_i sum_j w_j prod_{k<=j} x_k
            for j in range(i, 5):
                expected[i] += w[j] * np.prod(np.delete(a[: j + 1], i))
        res = f(a)
        assert np.all(np.isfinite(res))
        np.testing.assert_allclose(res, expected)


def test_cumprod_grad_no_loss_when_product_underflows():
    x = T.dvector("x")
    a = np.array([1e-200, 1e-200, 1e200])
    g = symcore.function([x], grad(T.cumprod(x).sum(), x))(a)
    # d/dx_0 = 1 + x1 + x1 x2 = 1 + 1e-200 + 1
    np.testing.assert_allclose(g[0], 2.0)


def test_cumprod_grad_op_is_marked_first_order_only():
    assert CumprodGrad.differentiable is False


# ---------------------------------------------------------------------------------------
# repeat
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "repeats,axis",
    [(2, None), (3, 0), (2, 1), ([1, 0, 2], 1), ([2], -1), (0, 0), ([1, 2, 0, 1, 1, 3], None)],
)
def test_repeat_matches_numpy(repeats, axis):
    x = T.dmatrix("x")
    a = rng.random((2, 3))
    out = T.repeat(x, repeats, axis=axis)
    assert isinstance(out.owner.op, RepeatOp)
    np.testing.assert_array_equal(run(out, [x], a), np.repeat(a, repeats, axis=axis))
    check_infer_shape(out, [x], [a])


def test_repeat_symbolic_repeats_and_static_shape():
    x, r = T.dvector("x"), T.lvector("r")
    out = x.repeat(r)
    np.testing.assert_array_equal(
        run(out, [x, r], [1.0, 2.0], [3, 1]), np.repeat([1.0, 2.0], [3, 1])
    )
    n = T.iscalar("n")
    np.testing.assert_array_equal(run(T.repeat(x, n), [x, n], [1.0, 2.0], 2), [1, 1, 2, 2])
    assert T.repeat(T.tensor("float64", shape=(3, 2)), 2, axis=0).type.shape == (6, 2)
    assert T.repeat(T.tensor("float64", shape=(3, 2)), [1, 2], axis=1).type.shape == (3, 3)


def test_repeat_errors():
    x, r = T.dvector("x"), T.lvector("r")
    f = symcore.function([x, r], T.repeat(x, r))
    with pytest.raises(ValueError, match="entries"):
        f(np.zeros(3), np.array([1, 2]))
    with pytest.raises(ValueError, match="non-negative"):
        f(np.zeros(2), np.array([1, -2]))
    with pytest.raises(TypeError, match="integer"):
        T.repeat(x, 1.5)
    with pytest.raises(ValueError, match="non-negative"):
        T.repeat(x, -1)
    with pytest.raises(ValueError, match="out of range"):
        T.repeat(T.dmatrix(), 2, axis=2)


def test_repeat_non_contiguous_and_empty():
    x = T.dmatrix("x")
    a = rng.random((4, 6))[::-1, 1::2]
    np.testing.assert_array_equal(run(T.repeat(x, 2, axis=1), [x], a), np.repeat(a, 2, axis=1))
    assert run(T.repeat(x, 3, axis=0), [x], np.zeros((0, 2))).shape == (0, 2)


@pytest.mark.parametrize("repeats,axis", [(2, None), (3, 0), ([1, 0, 2], 1), ([2, 1], 0), (0, 1)])
def test_repeat_grad(repeats, axis):
    verify_grad(lambda x: T.repeat(x, repeats, axis=axis), [rng.random((2, 3))])


def test_repeat_grad_op_second_order():
    r = np.array([2, 0, 3])
    verify_grad(lambda x, g: RepeatGrad(0)(x, g, r), [rng.random((3, 2)), rng.random((5, 2))])


# ---------------------------------------------------------------------------------------
# tile
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,reps",
    [
        ((2, 3), (2, 2)),
        ((2, 3), (3,)),
        ((3,), (2, 2)),
        ((2, 3), (1, 2, 1)),
        ((2, 3), (0, 2)),
        ((), (3,)),
        ((2,), 3),
    ],
)
def test_tile_matches_numpy(shape, reps):
    x = T.tensor("float64", ndim=len(shape))
    a = rng.random(shape)
    out = T.tile(x, reps)
    assert isinstance(out.owner.op, Tile)
    np.testing.assert_array_equal(run(out, [x], a), np.tile(a, reps))
    check_infer_shape(out, [x], [a])


def test_tile_symbolic_reps_and_static_shape():
    x = T.dmatrix("x")
    n = T.lscalar("n")
    a = rng.random((2, 3))
    np.testing.assert_array_equal(run(T.tile(x, [n, 2]), [x, n], a, 3), np.tile(a, (3, 2)))
    rv = T.lvector("rv")
    out = T.tile(x, rv, ndim=2)
    np.testing.assert_array_equal(run(out, [x, rv], a, np.array([2, 1])), np.tile(a, (2, 1)))
    b = rng.random((4, 6))[::-2, 1::2]
    np.testing.assert_array_equal(run(T.tile(x, (2, 3)), [x], b), np.tile(b, (2, 3)))
    assert T.tile(T.tensor("float64", shape=(2, 3)), (2, 2)).type.shape == (4, 6)
    with pytest.raises(ValueError, match="unknown"):
        T.tile(x, rv)
    with pytest.raises(ValueError, match="non-negative"):
        T.tile(x, (-1, 2))
    f = symcore.function([x, n], T.tile(x, [n, 1]))
    with pytest.raises(ValueError, match="non-negative"):
        f(a, -2)


@pytest.mark.parametrize(
    "shape,reps", [((2, 3), (2, 2)), ((3,), (2, 2)), ((2, 3), (3,)), ((2,), (0,))]
)
def test_tile_grad(shape, reps):
    verify_grad(lambda x: T.tile(x, reps), [rng.random(shape)])


def test_tile_grad_op_second_order():
    verify_grad(lambda x, g: TileGrad()(x, g, 2, 1), [rng.random((2, 3)), rng.random((4, 3))])


# ---------------------------------------------------------------------------------------
# roll
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shift,axis", [(1, None), (-2, None), (1, 0), (5, 1), (-1, -1), (0, 0)])
def test_roll_matches_numpy(shift, axis):
    x = T.dmatrix("x")
    a = rng.random((3, 4))
    out = T.roll(x, shift, axis)
    assert isinstance(out.owner.op, Roll)
    np.testing.assert_array_equal(run(out, [x], a), np.roll(a, shift, axis))
    check_infer_shape(out, [x], [a])


def test_roll_symbolic_shift_empty_and_errors():
    x, s = T.dvector("x"), T.iscalar("s")
    a = np.arange(5.0)[::-1]
    np.testing.assert_array_equal(run(T.roll(x, s), [x, s], a, 7), np.roll(a, 7))
    assert run(T.roll(x, s), [x, s], np.zeros(0), 2).shape == (0,)
    with pytest.raises(TypeError, match="integer"):
        T.roll(x, 1.5)
    with pytest.raises(ValueError, match="out of range"):
        T.roll(x, 1, axis=1)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_roll_grad(axis):
    verify_grad(lambda x: T.roll(x, 2, axis) * np.arange(12.0).reshape(3, 4), [rng.random((3, 4))])


# ---------------------------------------------------------------------------------------
# nonzero family
# ---------------------------------------------------------------------------------------


def test_nonzero_matches_numpy():
    x = T.dtensor3("x")
    a = (rng.random((2, 3, 4)) > 0.5) * rng.random((2, 3, 4))
    idx = T.nonzero(x)
    assert isinstance(idx, tuple) and len(idx) == 3
    for r, e in zip(run(list(idx), [x], a), np.nonzero(a), strict=True):
        assert r.dtype == np.int64
        np.testing.assert_array_equal(r, e)
    m = run(T.nonzero(x, return_matrix=True), [x], a)
    np.testing.assert_array_equal(m, np.array(np.nonzero(a)))
    np.testing.assert_array_equal(run(x.nonzero()[2], [x], a), np.nonzero(a)[2])


def test_nonzero_bool_empty_and_errors():
    b = T.bvector("b")
    np.testing.assert_array_equal(run(T.nonzero(b)[0], [b], np.array([0, 1, 0, 3], "int8")), [1, 3])
    assert run(T.nonzero(b)[0], [b], np.zeros(0, "int8")).shape == (0,)
    with pytest.raises(ValueError, match="0-d"):
        T.nonzero(T.dscalar())
    assert Nonzero.differentiable is False


def test_flatnonzero_and_nonzero_values():
    x = T.dmatrix("x")
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -3.0]])
    np.testing.assert_array_equal(run(T.flatnonzero(x), [x], a), np.flatnonzero(a))
    np.testing.assert_array_equal(run(T.nonzero_values(x), [x], a), a[a.nonzero()])
    np.testing.assert_array_equal(run(x.nonzero_values(), [x], a), a[a.nonzero()])
    v = T.dvector("v")
    np.testing.assert_array_equal(run(T.flatnonzero(v), [v], np.array([0.0, 2.0])), [1])


def test_nonzero_values_grad_and_indices_disconnected():
    # (finite differences would move the zeros: check the gradient directly)
    m = T.dmatrix("m")
    w = np.array([2.0, 3.0, 4.0])
    g = grad((T.nonzero_values(m) * w).sum(), m)
    np.testing.assert_array_equal(
        symcore.function([m], g)(np.array([[0.0, 1.5], [2.0, -3.0]])), [[0.0, 2.0], [3.0, 4.0]]
    )
    x = T.dvector("x")
    g = grad(x[T.nonzero(x)[0]].sum(), x)
    np.testing.assert_array_equal(
        symcore.function([x], g)(np.array([0.0, 2.0, 0.0, 1.0])), [0, 1, 0, 1]
    )


# ---------------------------------------------------------------------------------------
# bincount / searchsorted / unique
# ---------------------------------------------------------------------------------------


def test_bincount_matches_numpy():
    x = T.lvector("x")
    a = np.array([0, 3, 3, 1, 7])
    np.testing.assert_array_equal(run(T.bincount(x), [x], a), np.bincount(a))
    np.testing.assert_array_equal(
        run(T.bincount(x, minlength=10), [x], a), np.bincount(a, minlength=10)
    )
    assert run(T.bincount(x), [x], np.zeros(0, "int64")).shape == (0,)
    w = T.dvector("w")
    wv = rng.random(5)
    np.testing.assert_allclose(run(T.bincount(x, w), [x, w], a, wv), np.bincount(a, wv))
    wf = T.fvector("wf")
    out = T.bincount(x, wf)
    assert out.dtype == "float32"
    np.testing.assert_allclose(
        run(out, [x, wf], a, wv.astype("float32")), np.bincount(a, wv), rtol=1e-6
    )
    assert T.bincount(x, T.ivector()).dtype == "float64"


def test_bincount_errors_and_grad():
    x = T.lvector("x")
    f = symcore.function([x], T.bincount(x))
    with pytest.raises(ValueError, match="non-negative"):
        f(np.array([1, -1]))
    with pytest.raises(TypeError, match="integer vector"):
        T.bincount(T.dvector())
    a = np.array([0, 2, 2, 1])
    verify_grad(lambda w: T.bincount(a, w) * np.array([1.0, 2.0, 3.0]), [rng.random(4)])


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy(side):
    x, v = T.dvector("x"), T.dmatrix("v")
    a = np.array([1.0, 2.0, 2.0, 5.0])
    b = np.array([[0.0, 2.0], [3.0, 9.0]])
    out = T.searchsorted(x, v, side=side)
    assert out.dtype == "int64"
    np.testing.assert_array_equal(run(out, [x, v], a, b), np.searchsorted(a, b, side=side))
    check_infer_shape(out, [x, v], [a, b])
    s = T.lvector("s")
    c = np.array([5.0, 1.0, 2.0])
    np.testing.assert_array_equal(
        run(T.searchsorted(x, v, side, sorter=s), [x, v, s], c, b, np.argsort(c)),
        np.searchsorted(c, b, side=side, sorter=np.argsort(c)),
    )
    with pytest.raises(ValueError, match="side"):
        T.searchsorted(x, v, side="middle")


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"return_index": True},
        {"return_inverse": True},
        {"return_counts": True, "return_index": True, "return_inverse": True},
        {"axis": 0, "return_inverse": True},
    ],
)
def test_unique_matches_numpy(kw):
    x = T.imatrix("x")
    a = np.array([[3, 1], [3, 1], [2, 2]], "int32")
    out = T.unique(x, **kw)
    outs = list(out) if isinstance(out, tuple) else [out]
    res = run(outs, [x], a)
    exp = np.unique(a, **kw)
    exp = exp if isinstance(exp, tuple) else (exp,)
    assert len(res) == len(exp)
    for r, e in zip(res, exp, strict=True):
        np.testing.assert_array_equal(r, e)


# ---------------------------------------------------------------------------------------
# fill_diagonal / diff
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (3, 3, 3)])
def test_fill_diagonal_matches_numpy(shape):
    x = T.tensor("float64", ndim=len(shape))
    a = rng.random(shape)
    exp = a.copy()
    np.fill_diagonal(exp, 7.0)
    res = run(T.fill_diagonal(x, 7.0), [x], a)
    np.testing.assert_array_equal(res, exp)
    assert not np.array_equal(a, exp)  # input untouched
    check_infer_shape(T.fill_diagonal(x, 7.0), [x], [a])


def test_fill_diagonal_grad_and_symbolic_val():
    verify_grad(lambda x, v: T.fill_diagonal(x, v), [rng.random((3, 4)), np.array(2.0)])
    x, v = T.imatrix("x"), T.dscalar("v")
    np.testing.assert_array_equal(
        run(T.fill_diagonal(x, v), [x, v], np.zeros((2, 2), "int32"), 3.7), [[3, 0], [0, 3]]
    )
    with pytest.raises(TypeError, match="2 dimensions"):
        T.fill_diagonal(T.dvector(), 1.0)


@pytest.mark.parametrize("n,axis", [(1, -1), (2, 0), (0, 1), (3, 1)])
def test_diff_matches_numpy(n, axis):
    x = T.dmatrix("x")
    a = rng.random((4, 5))
    np.testing.assert_allclose(run(T.diff(x, n, axis), [x], a), np.diff(a, n, axis))


def test_diff_grad_and_errors():
    verify_grad(lambda x: T.diff(x, 2), [rng.random(6)])
    with pytest.raises(ValueError, match="non-negative"):
        T.diff(T.dvector(), -1)


def test_linear_ops_rop():
    from symcore.gradient import Rop

    x, v = T.dmatrices("x", "v")
    a, b = rng.random((2, 3)), rng.random((2, 3))
    for fn, npfn in [
        (lambda t: T.cumsum(t, 1), lambda t: np.cumsum(t, 1)),
        (lambda t: T.repeat(t, 2, 0), lambda t: np.repeat(t, 2, 0)),
        (lambda t: T.tile(t, (2, 1)), lambda t: np.tile(t, (2, 1))),
        (lambda t: T.roll(t, 1, 1), lambda t: np.roll(t, 1, 1)),
    ]:
        r = Rop(fn(x) * 3, x, v)
        np.testing.assert_allclose(symcore.function([x, v], r)(a, b), 3 * npfn(b))


def test_theano_extra_ops_paths():
    for name in (
        "bincount",
        "searchsorted",
        "Unique",
        "to_one_hot",
        "compress",
        "fill_diagonal",
        "cumsum",
        "repeat",
        "diff",
    ):
        assert getattr(extra_ops, name) is getattr(T, name)


def test_to_one_hot():
    y = T.ivector("y")
    out = T.to_one_hot(y, 4)
    assert out.dtype == symcore.config.floatX
    np.testing.assert_array_equal(run(out, [y], np.array([1, 3, 0], "int32")), np.eye(4)[[1, 3, 0]])
    n = T.lscalar("n")
    res = run(T.to_one_hot(y, n, dtype="int8"), [y, n], np.array([2, 0], "int32"), 3)
    assert res.dtype == np.int8
    np.testing.assert_array_equal(res, np.eye(3, dtype="int8")[[2, 0]])
    with pytest.raises(TypeError, match="integer vector"):
        T.to_one_hot(T.dvector(), 3)


@pytest.mark.parametrize(
    "cond,axis", [([1, 0, 1], 0), ([0, 1], 1), ([1, 0, 0, 1, 1], None), ([0, 0, 0], 0)]
)
def test_compress_matches_numpy(cond, axis):
    x, c = T.dmatrix("x"), T.bvector("c")
    a = rng.random((3, 4))
    cv = np.array(cond, "int8")
    np.testing.assert_array_equal(
        run(T.compress(c, x, axis), [c, x], cv, a), np.compress(cv, a, axis)
    )
    if cv.any():
        verify_grad(lambda t: T.compress(cv, t, axis), [a])
