"""C code of Softmax/LogSoftmax/SoftmaxGrad and the cross-entropy Ops against NumPy
formulas: every axis and axis=None, float32/float64, layouts, empty inputs, overflow-prone
and non-finite values, label errors, and the OpenMP path for large inputs."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from sym_backend_c.testing import compile_c, skip_module_without_compiler
from symcore.config import change_flags
from symcore.tensor.nnet.crossentropy import (
    crossentropy_categorical_1hot,
    crossentropy_softmax_argmax_1hot_with_bias,
)
from symcore.tensor.nnet.softmax_ops import LogSoftmax, Softmax, SoftmaxGrad

skip_module_without_compiler()


RNG = np.random.default_rng(5)


def np_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return (x - m) - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def tol(dtype):
    return {"rtol": 2e-5, "atol": 2e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-14}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_family_all_axes(dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    g = T.tensor(dtype, (False,) * 3, name="g")
    sm_last = Softmax(-1)(x)
    cases = [
        (sm_last, lambda a, gv: np_softmax(a, -1)),
        (Softmax(0)(x), lambda a, gv: np_softmax(a, 0)),
        (Softmax(1)(x), lambda a, gv: np_softmax(a, 1)),
        (Softmax(None)(x), lambda a, gv: np_softmax(a, None)),
        (LogSoftmax(-1)(x), lambda a, gv: np_log_softmax(a, -1)),
        (LogSoftmax(1)(x), lambda a, gv: np_log_softmax(a, 1)),
        (LogSoftmax(None)(x), lambda a, gv: np_log_softmax(a, None)),
        (SoftmaxGrad(-1)(g, sm_last), lambda a, gv: _np_softmax_grad(gv, np_softmax(a, -1), -1)),
        (SoftmaxGrad(0)(g, Softmax(0)(x)), lambda a, gv: _np_softmax_grad(gv, np_softmax(a, 0), 0)),
    ]
    run = compile_c([x, g], [c for c, _ in cases])
    for shape in [(2, 3, 4), (1, 1, 1), (3, 17, 9)]:
        a = (RNG.standard_normal(shape) * 5).astype(dtype)
        gv = RNG.standard_normal(shape).astype(dtype)
        for av in [a, a[::-1, :, ::-1], np.asfortranarray(a)]:
            got = run([av, gv])
            for (_, fn), res in zip(cases, got, strict=True):
                expected = fn(av.astype("float64"), gv.astype("float64"))
                assert res.dtype == np.dtype(dtype) and res.shape == expected.shape
                np.testing.assert_allclose(res, expected, **tol(dtype))
    empty = run([np.zeros((0, 3, 2), dtype), np.zeros((0, 3, 2), dtype)])
    assert all(r.shape == (0, 3, 2) and r.dtype == np.dtype(dtype) for r in empty)


def _np_softmax_grad(dy, sm, axis):
    dx = dy * sm
    return dx - sm * np.sum(dx, axis=axis, keepdims=True)


def test_softmax_is_stable_and_handles_non_finite_values():
    x = T.dmatrix("x")
    run = compile_c([x], [Softmax(-1)(x), LogSoftmax(-1)(x), Softmax(0)(x)])
    a = np.array(
        [[1000.0, 0.0, -1000.0], [np.inf, 1.0, 2.0], [-np.inf, -np.inf, 0.0], [np.nan, 1.0, 2.0]]
    )
    got = run([a])
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        expected = [np_softmax(a, -1), np_log_softmax(a, -1), np_softmax(a, 0)]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, equal_nan=True)
    assert got[0][0, 0] == 1.0 and got[1][0, 2] == -2000.0


def test_softmax_grad_shape_mismatch():
    dy, sm = T.dmatrices("dy", "sm")
    run = compile_c([dy, sm], [SoftmaxGrad(-1)(dy, sm)])
    with pytest.raises(ValueError, match=r"dy of shape \(2, 3\) and sm of shape \(3, 2\) differ"):
        run([np.ones((2, 3)), np.ones((3, 2))])


@pytest.mark.parametrize("openmp", [True, False])
def test_large_softmax_rows_and_columns(openmp):
    x = T.fmatrix("x")
    with change_flags(openmp=openmp):
        run = compile_c([x], [Softmax(-1)(x), LogSoftmax(0)(x)])
    a = (RNG.standard_normal((600, 400)) * 3).astype("float32")
    got = run([a])
    np.testing.assert_allclose(got[0], np_softmax(a.astype("float64"), -1), **tol("float32"))
    np.testing.assert_allclose(got[1], np_log_softmax(a.astype("float64"), 0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_crossentropy_ops(dtype):
    p = T.tensor(dtype, (False, False), name="p")
    b = T.tensor(dtype, (False,), name="b")
    y = T.ivector("y")
    outs = [
        crossentropy_categorical_1hot(p, y),
        *crossentropy_softmax_argmax_1hot_with_bias(p, b, y),
    ]
    run = compile_c([p, b, y], outs)
    for rows, cols in [(4, 5), (1, 1), (0, 3)]:
        pv = RNG.random((rows, cols)).astype(dtype) + 0.1
        yv = RNG.integers(0, cols, rows).astype("int32")
        for bv in [RNG.standard_normal(cols).astype(dtype), RNG.standard_normal(1).astype(dtype)]:
            for pp in [pv, pv[::-1], np.asfortranarray(pv)]:
                got = run([pp, bv, yv])
                z = pp.astype("float64") + bv
                logsm = np_log_softmax(z, 1) if rows else z
                expected = [
                    -np.log(pp[np.arange(rows), yv].astype("float64")),
                    -logsm[np.arange(rows), yv],
                    np.exp(logsm),
                    np.argmax(z, axis=1),
                ]
                for g, e in zip(got, expected, strict=True):
                    assert g.shape == e.shape
                    np.testing.assert_allclose(g, e, **tol(dtype))
                assert got[3].dtype == np.int64 and got[0].dtype == np.dtype(dtype)
    pv = np.full((2, 3), 0.5, dtype)
    with pytest.raises(IndexError, match="label 3 is out of bounds for 3 classes"):
        run([pv, np.zeros(3, dtype), np.array([0, 3], "int32")])
    with pytest.raises(
        ValueError, match=r"bias of shape \(2,\) does not match x of shape \(2, 3\)"
    ):
        run([pv, np.zeros(2, dtype), np.array([0, 1], "int32")])
    with pytest.raises(ValueError, match="labels of shape"):
        run([pv, np.zeros(3, dtype), np.array([0], "int32")])


def test_crossentropy_softmax_is_finite_where_the_softmax_underflows():
    x, b = T.dmatrix("x"), T.dvector("b")
    y = T.ivector("y")
    run = compile_c([x, b, y], crossentropy_softmax_argmax_1hot_with_bias(x, b, y))
    nll, sm, am = run([np.array([[1000.0, -1000.0, 3.0]]), np.zeros(3), np.array([1], "int32")])
    assert nll[0] == 2000.0 and sm[0, 1] == 0.0 and am[0] == 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logsumexp_over_any_axes(dtype):
    from symcore.tensor.nnet.softmax_ops import LogSumExp

    x = T.tensor(dtype, (False,) * 3, name="x")
    cases = [((1,), False), ((0, 2), True), (None, False), ((2,), True), ((), False)]
    run = compile_c([x], [LogSumExp(axis, keepdims)(x) for axis, keepdims in cases])
    special = np.array([[[1000.0, -np.inf], [np.inf, 1.0], [-np.inf, -np.inf], [np.nan, 1.0]]])
    for a in [
        RNG.standard_normal((3, 4, 5)) * 10,
        np.zeros((0, 4, 5)),
        np.zeros((3, 0, 2)),
        special,
    ]:
        a = a.astype(dtype)
        for v in (a, a[:, ::-1]):
            got = run([v])
            for (axis, keepdims), g in zip(cases, got, strict=True):
                ax = tuple(range(3)) if axis is None else axis
                with np.errstate(all="ignore"):
                    if v.size:
                        m = np.max(v.astype("float64"), axis=ax, keepdims=True)
                        m = np.where(np.isfinite(m), m, 0)
                        e = np.log(np.sum(np.exp(v - m), axis=ax, keepdims=True)) + m
                    else:
                        e = np.full([1 if d in ax else n for d, n in enumerate(v.shape)], -np.inf)
                if not keepdims:
                    e = e.reshape([n for d, n in enumerate(e.shape) if d not in ax])
                assert g.dtype == np.dtype(dtype) and g.shape == e.shape
                np.testing.assert_allclose(g, e, equal_nan=True, **tol(dtype))


def test_crossentropy_1hot_grad():
    from symcore.tensor.nnet.crossentropy import crossentropy_categorical_1hot_grad

    g, c = T.dvector("g"), T.dmatrix("c")
    y = T.ivector("y")
    run = compile_c([g, c, y], [crossentropy_categorical_1hot_grad(g, c, y)])
    cv = RNG.random((4, 3)) + 0.1
    yv = np.array([0, 2, 2, 1], "int32")
    for gv in (RNG.random(4), RNG.random(1)):
        expected = np.zeros((4, 3))
        expected[np.arange(4), yv] = -np.broadcast_to(gv, (4,)) / cv[np.arange(4), yv]
        np.testing.assert_allclose(
            run([gv, cv[:, ::-1], yv])[0], _flip_expected(gv, cv[:, ::-1], yv)
        )
        np.testing.assert_allclose(run([gv, cv, yv])[0], expected)
    with pytest.raises(ValueError, match=r"g_y of shape \(2,\) cannot be broadcast"):
        run([RNG.random(2), cv, yv])
    with pytest.raises(IndexError, match="label 3 is out of bounds for 3 classes"):
        run([RNG.random(4), cv, np.array([0, 3, 2, 1], "int32")])


def _flip_expected(gv, cv, yv):
    out = np.zeros(cv.shape)
    out[np.arange(len(yv)), yv] = -np.broadcast_to(gv, yv.shape) / cv[np.arange(len(yv)), yv]
    return out
