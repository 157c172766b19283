"""Error-function rewrites: complements (``1 - erf``, ``1 + erf``, ``1 - erfc``) and
``log(erfc(x))`` with its gradient for large ``x``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import symcore.tensor as T
from scipy import special as sp
from sym_opt_stability.erf import ERFC_THRESHOLD

DTYPES = ["float64", "float32"]


def _rtol(dtype):
    return 1e-12 if dtype == "float64" else 2e-6


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "build", "ref", "present"),
    [
        ("1-erf(x)", lambda x: 1 - T.erf(x), sp.erfc, "Erfc"),
        ("-erf(x)+1", lambda x: -T.erf(x) + 1, sp.erfc, "Erfc"),
        ("1+erf(x)", lambda x: 1 + T.erf(x), lambda v: sp.erfc(-v), "Erfc"),
        ("1-erfc(x)", lambda x: 1 - T.erfc(x), sp.erf, "Erf"),
        ("erf(x)-1", lambda x: T.erf(x) - 1, lambda v: -sp.erfc(v), "Erfc"),
        ("erfc(x)-1", lambda x: T.erfc(x) - 1, lambda v: -sp.erf(v), "Erf"),
    ],
)
def test_complements(name, build, ref, present, dtype, compile_fn, op_names, run):
    x = T.vector("x", dtype=dtype)
    f = compile_fn([x], build(x))
    names = op_names(f)
    assert present in names and "Sub" not in names and "Add" not in names, names
    value = np.array([-9.0, -5.0, -1e-10, 0.0, 1e-10, 0.7, 5.0, 9.0], dtype=dtype)
    got = run(f, value)
    np.testing.assert_allclose(
        got, ref(value.astype("float64")).astype(dtype), rtol=_rtol(dtype), atol=0
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_erfc_everywhere_and_across_the_threshold(dtype, compile_fn, run):
    x = T.vector("x", dtype=dtype)
    y = T.log(T.erfc(x))
    f = compile_fn([x], [y, T.grad(y.sum(), x)])
    t = ERFC_THRESHOLD
    value = np.array(
        [-5.0, -1.0, 0.0, 2.0, t - 1e-3, t, t + 1e-3, 8.0, 27.0, 100.0, 1e4], dtype=dtype
    )
    got, grad = run(f, value)
    v = value.astype("float64")
    expected = np.log(sp.erfcx(v)) - v * v
    expected_grad = -2 / math.sqrt(math.pi) / sp.erfcx(v)
    np.testing.assert_allclose(got, expected.astype(dtype), rtol=_rtol(dtype) * 4)
    np.testing.assert_allclose(grad, expected_grad.astype(dtype), rtol=_rtol(dtype) * 4)
    naive = run(compile_fn([x], [y, T.grad(y.sum(), x)], stabilize=False), value)
    assert np.isneginf(naive[0][-1]) and np.isnan(naive[1][-1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_of_one_minus_erf(dtype, compile_fn, run):
    x = T.vector("x", dtype=dtype)
    value = np.array([0.3, 30.0], dtype=dtype)
    for y in (T.log(1 - T.erf(x)), T.log1p(-T.erf(x))):
        got = run(compile_fn([x], y), value)
        v = value.astype("float64")
        np.testing.assert_allclose(
            got, (np.log(sp.erfcx(v)) - v * v).astype(dtype), rtol=_rtol(dtype) * 4
        )


def test_log_erfc_rewrite_terminates_and_is_idempotent(compile_fn, op_names):
    x = T.dvector("x")
    names = op_names(compile_fn([x], T.log(T.erfc(x))))
    assert names.count("Erfc") == 1, names  # one erfc, in the small-x branch


def test_gradient_matches_finite_differences():
    from symcore.compile.mode import get_mode
    from symcore.gradient import verify_grad

    rng = np.random.RandomState(6)
    verify_grad(
        lambda x: T.log(T.erfc(x)), [rng.uniform(-2, 3, size=6)], rng=rng, mode=get_mode(None)
    )
    verify_grad(lambda x: 1 - T.erf(x), [rng.uniform(-2, 3, size=6)], rng=rng, mode=get_mode(None))
