"""Softmax rewrites: ``exp(a)/sum(exp(a))``, ``log(softmax)``, ``log(sum(exp))``, and the
gradients of the naive forms, for rows where one logit dominates by 1000."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from scipy import special as sp

DTYPES = ["float64", "float32"]
LOGITS = np.array([[1000.0, 0.0, -3.0], [0.0, -1000.0, 2.0], [1.0, 2.0, 3.0]])


def _rtol(dtype):
    return 1e-12 if dtype == "float64" else 2e-6


def _softmax_grad(a, c, axis):
    """Gradient of sum(softmax(a) * c) with respect to a."""
    sm = sp.softmax(a, axis=axis)
    return sm * (c - np.sum(sm * c, axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [1, 0, -1])
def test_naive_softmax_becomes_softmax_with_a_stable_gradient(
    axis, dtype, compile_fn, op_names, run
):
    a = T.matrix("a", dtype=dtype)
    c = T.matrix("c", dtype=dtype)
    sm = T.exp(a) / T.exp(a).sum(axis=axis, keepdims=True)
    f = compile_fn([a, c], [sm, T.grad((sm * c).sum(), a)])
    names = op_names(f)
    assert "Softmax" in names and "Exp" not in names, names
    a_val = LOGITS.astype(dtype)
    c_val = np.random.RandomState(0).randn(3, 3).astype(dtype)
    got, grad = run(f, a_val, c_val)
    a64, c64 = a_val.astype("float64"), c_val.astype("float64")
    np.testing.assert_allclose(
        got, sp.softmax(a64, axis=axis).astype(dtype), rtol=_rtol(dtype), atol=1e-300
    )
    np.testing.assert_allclose(
        grad, _softmax_grad(a64, c64, axis).astype(dtype), rtol=1e-5, atol=1e-6
    )
    naive = run(compile_fn([a, c], [sm, T.grad((sm * c).sum(), a)], stabilize=False), a_val, c_val)
    assert not np.all(np.isfinite(naive[0])) and not np.all(np.isfinite(naive[1]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_of_a_vector_and_over_all_elements(dtype, compile_fn, op_names, run):
    v = T.vector("v", dtype=dtype)
    m = T.matrix("m", dtype=dtype)
    f = compile_fn([v, m], [T.exp(v) / T.exp(v).sum(), T.exp(m) / T.exp(m).sum()])
    assert op_names(f).count("Softmax") == 2
    got_v, got_m = run(f, np.array([1000, 0, -5], dtype=dtype), LOGITS.astype(dtype))
    np.testing.assert_allclose(got_v, sp.softmax([1000.0, 0, -5]).astype(dtype), atol=1e-30)
    np.testing.assert_allclose(got_m, sp.softmax(LOGITS).astype(dtype), atol=1e-30)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_and_its_gradient(dtype, compile_fn, op_names, run):
    a = T.matrix("a", dtype=dtype)
    c = T.matrix("c", dtype=dtype)
    for logsm in (T.log(T.nnet.softmax(a)), T.log(T.exp(a) / T.exp(a).sum(axis=1, keepdims=True))):
        f = compile_fn([a, c], [logsm, T.grad((logsm * c).sum(), a)])
        names = op_names(f)
        assert "LogSoftmax" in names and "Log" not in names, names
        a_val = LOGITS.astype(dtype)
        c_val = np.random.RandomState(1).rand(3, 3).astype(dtype)
        got, grad = run(f, a_val, c_val)
        a64, c64 = a_val.astype("float64"), c_val.astype("float64")
        expected = sp.log_softmax(a64, axis=1)
        np.testing.assert_allclose(got, expected.astype(dtype), rtol=_rtol(dtype), atol=1e-5)
        expected_grad = c64 - sp.softmax(a64, axis=1) * c64.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(grad, expected_grad.astype(dtype), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [0, 1, None])
def test_logsumexp_and_its_gradient(axis, keepdims, dtype, compile_fn, op_names, run):
    a = T.matrix("a", dtype=dtype)
    lse = T.log(T.exp(a).sum(axis=axis, keepdims=keepdims))
    f = compile_fn([a], [lse, T.grad(lse.sum(), a)])
    names = op_names(f)
    assert "LogSumExp" in names and "Log" not in names and "Exp" not in names, names
    a_val = LOGITS.astype(dtype)
    got, grad = run(f, a_val)
    a64 = a_val.astype("float64")
    expected = sp.logsumexp(a64, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(got, expected.astype(dtype), rtol=_rtol(dtype))
    sm = sp.softmax(a64, axis=axis)
    np.testing.assert_allclose(grad, sm.astype(dtype), rtol=1e-6, atol=1e-30)
    naive = run(compile_fn([a], lse, stabilize=False), a_val)
    assert not np.all(np.isfinite(naive))


def test_ordinary_inputs_match_numpy(compile_fn):
    a = T.dmatrix("a")
    value = np.random.RandomState(3).randn(4, 5)
    f = compile_fn(
        [a],
        [
            T.exp(a) / T.exp(a).sum(axis=1, keepdims=True),
            T.log(T.exp(a).sum(axis=1)),
            T.log(T.nnet.softmax(a)),
        ],
    )
    e = np.exp(value)
    sm, lse, logsm = f(value)
    np.testing.assert_allclose(sm, e / e.sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(lse, np.log(e.sum(axis=1)), rtol=1e-13)
    np.testing.assert_allclose(logsm, np.log(e / e.sum(axis=1, keepdims=True)), rtol=1e-13)


def test_gradients_match_finite_differences():
    from symcore.compile.mode import get_mode
    from symcore.gradient import verify_grad

    rng = np.random.RandomState(4)
    mode = get_mode(None)
    for fn in (
        lambda a: T.exp(a) / T.exp(a).sum(axis=1, keepdims=True),
        lambda a: T.log(T.nnet.softmax(a)),
        lambda a: T.log(T.exp(a).sum(axis=0)),
    ):
        verify_grad(fn, [rng.randn(3, 4)], rng=rng, mode=mode)


def test_each_rewrite_can_be_excluded_by_name(compile_fn, op_names):
    import symcore
    from symcore.compile.mode import get_mode

    a = T.dmatrix("a")
    cases = [
        ("local_log_softmax", T.log(T.nnet.softmax(a)), "LogSoftmax"),
        ("local_logsumexp", T.log(T.exp(a).sum(axis=1)), "LogSumExp"),
        ("local_stable_product", T.exp(a) / T.exp(a).sum(axis=1, keepdims=True), "Softmax"),
    ]
    for name, y, op in cases:
        assert op in op_names(compile_fn([a], y)), name
        f = symcore.function([a], y, mode=get_mode(None).excluding(name))
        assert op not in op_names(f), name
