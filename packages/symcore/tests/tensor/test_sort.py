"""sort/argsort against NumPy (axes incl. None and symbolic, kinds, dtypes, empty and
strided inputs), infer_shape, and the gradient of sort through PermuteAlongAxis."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import Rop, grad, verify_grad
from symcore.tensor.sort import ArgSortOp, PermuteAlongAxis, SortOp
from symcore.testing.shapes import check_infer_shape

rng = np.random.default_rng(5)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -3])
def test_sort_and_argsort_match_numpy(axis):
    x = T.dtensor3("x")
    a = rng.random((3, 4, 5))
    s, i = T.sort(x, axis), T.argsort(x, axis)
    assert isinstance(s.owner.op, SortOp) and isinstance(i.owner.op, ArgSortOp)
    rs, ri = run([s, i], [x], a)
    np.testing.assert_array_equal(rs, np.sort(a, axis))
    np.testing.assert_array_equal(ri, np.argsort(a, axis))
    assert ri.dtype == np.int64 and i.dtype == "int64"
    check_infer_shape(s, [x], [a])
    check_infer_shape(i, [x], [a])


def test_sort_default_axis_is_last_and_methods():
    x = T.dmatrix("x")
    a = rng.random((3, 4))
    np.testing.assert_array_equal(run(x.sort(), [x], a), np.sort(a))
    np.testing.assert_array_equal(run(x.argsort(), [x], a), np.argsort(a))
    np.testing.assert_array_equal(run(x.sort(axis=0), [x], a), np.sort(a, axis=0))


@pytest.mark.parametrize("kind", ["quicksort", "mergesort", "heapsort", "stable"])
def test_sort_kinds_and_stable_ties(kind):
    x = T.lvector("x")
    a = np.array([3, 1, 2, 1, 3, 0, 2])
    np.testing.assert_array_equal(run(T.sort(x, kind=kind), [x], a), np.sort(a, kind=kind))
    if kind in ("mergesort", "stable"):
        np.testing.assert_array_equal(
            run(T.argsort(x, kind=kind), [x], a), np.argsort(a, kind=kind)
        )


@pytest.mark.parametrize("dtype", ["int8", "uint16", "float32", "bool", "float64"])
def test_sort_dtypes(dtype):
    x = T.vector(dtype=dtype)
    a = (rng.random(9) * 10).astype(dtype)
    res = run(T.sort(x), [x], a)
    assert res.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(res, np.sort(a))


def test_sort_nan_empty_and_non_contiguous():
    x = T.dvector("x")
    a = np.array([3.0, np.nan, -1.0, np.inf])
    np.testing.assert_array_equal(run(T.sort(x), [x], a), np.sort(a))
    assert run(T.sort(x), [x], np.zeros(0)).shape == (0,)
    m = T.dmatrix("m")
    b = rng.random((6, 8))[::-2, 1::3]
    np.testing.assert_array_equal(run(T.sort(m, 0), [m], b), np.sort(b, 0))
    np.testing.assert_array_equal(run(T.argsort(m, None), [m], b), np.argsort(b, axis=None))
    assert run(T.sort(m, None), [m], np.zeros((0, 3))).shape == (0,)


def test_sort_symbolic_axis():
    x, ax = T.dmatrix("x"), T.lscalar("ax")
    a = rng.random((3, 4))
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(run(T.sort(x, ax), [x, ax], a, axis), np.sort(a, axis))
        np.testing.assert_array_equal(run(T.argsort(x, ax), [x, ax], a, axis), np.argsort(a, axis))


def test_sort_static_shapes_and_errors():
    x = T.tensor("float64", shape=(2, 3))
    assert T.sort(x).type.shape == (2, 3)
    assert T.sort(x, None).type.shape == (6,)
    assert T.argsort(x, None).type.shape == (6,)
    with pytest.raises(ValueError, match="kind"):
        T.sort(x, kind="bogo")
    with pytest.raises(ValueError, match="structured"):
        T.sort(x, order="f0")
    with pytest.raises(ValueError, match="out of range"):
        T.sort(x, 2)
    with pytest.raises(ValueError, match="0-d"):
        T.sort(T.dscalar(), 0)
    s = T.dscalar("s")
    np.testing.assert_array_equal(
        run(T.sort(s, None), [s], 2.0), np.sort(np.float64(2.0), axis=None)
    )


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_sort_grad(axis):
    verify_grad(
        lambda x: T.sort(x, axis), [rng.permutation(12).reshape(3, 4) + rng.random((3, 4)) * 0.1]
    )


def test_sort_grad_routes_to_origin():
    x = T.dvector("x")
    w = np.array([1.0, 10.0, 100.0])
    g = grad((T.sort(x) * w).sum(), x)
    # sorted order of [2, 0, 1] is x[1], x[2], x[0] -> weights 100, 1, 10
    np.testing.assert_array_equal(
        symcore.function([x], g)(np.array([2.0, 0.0, 1.0])), [100.0, 1.0, 10.0]
    )


def test_sort_grad_symbolic_axis_and_second_order():
    x, ax = T.dmatrix("x"), T.lscalar("ax")
    a = np.array([[3.0, 1.0], [0.0, 2.0]])
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    g = grad((T.sort(x, ax) * w).sum(), x)
    np.testing.assert_array_equal(symcore.function([x, ax], g)(a, 0), [[3.0, 2.0], [1.0, 4.0]])
    np.testing.assert_array_equal(symcore.function([x, ax], g)(a, 1), [[2.0, 1.0], [3.0, 4.0]])
    h = grad(((T.sort(x, 1) ** 2) * w).sum(), x)
    hh = grad(h.sum(), x)
    np.testing.assert_allclose(symcore.function([x], hh)(a), 2 * np.array([[2.0, 1.0], [3.0, 4.0]]))


def test_argsort_is_integer_and_disconnected():
    x = T.dvector("x")
    i = T.argsort(x)
    assert ArgSortOp.differentiable is False
    assert ArgSortOp().connection_pattern(i.owner) == [[False], [False]]
    g = grad(x[i].sum() * 2, x)
    np.testing.assert_array_equal(
        symcore.function([x], g)(np.array([3.0, 1.0, 2.0])), [2.0, 2.0, 2.0]
    )


def test_sort_integer_input_grad_is_zero():
    x = T.dvector("x")
    k = T.lvector("k")
    cost = (T.sort(k).astype("float64") * x).sum()
    g = grad(cost, k)
    np.testing.assert_array_equal(
        symcore.function([x, k], g, on_unused_input="ignore")(np.ones(2), np.array([2, 1])),
        [0.0, 0.0],
    )


def test_permute_along_axis():
    x = T.dmatrix("x")
    p = T.lmatrix("p")
    a = rng.random((2, 3))
    perm = np.array([[2, 0, 1], [1, 2, 0]])
    out = PermuteAlongAxis()(x, p, 1)
    np.testing.assert_array_equal(run(out, [x, p], a, perm), np.take_along_axis(a, perm, 1))
    check_infer_shape(out, [x, p], [a, perm])
    verify_grad(lambda x: PermuteAlongAxis()(x, perm, 1), [a])
    with pytest.raises(ValueError, match="differs"):
        symcore.function([x, p], out)(a, perm[:, :2])
    with pytest.raises(TypeError, match="integer tensor"):
        PermuteAlongAxis()(x, T.dmatrix(), 1)


def test_sort_rop():
    x, v = T.dvectors("x", "v")
    r = Rop(T.sort(x), x, v)
    a, b = np.array([3.0, 1.0, 2.0]), np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(symcore.function([x, v], r)(a, b), [20.0, 30.0, 10.0])


def test_inverse_permutation():
    p = T.ivector("p")
    perm = rng.permutation(6).astype("int32")
    res = run(T.inverse_permutation(p), [p], perm)
    assert res.dtype == np.int32
    np.testing.assert_array_equal(res[perm], np.arange(6))
    np.testing.assert_array_equal(res, np.argsort(perm))
    m = T.lmatrix("m")
    pm = np.array([[2, 0, 1], [0, 2, 1]])
    inv = run(T.inverse_permutation(m), [m], pm)
    np.testing.assert_array_equal(np.take_along_axis(inv, pm, 1), np.tile(np.arange(3), (2, 1)))
    with pytest.raises(TypeError, match="integer"):
        T.inverse_permutation(T.dvector())
