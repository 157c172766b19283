"""log1p / expm1 / log(exp) / log1mexp / log(x**2) / sqrt(x**2) rewrites, through
``symcore.function`` in the default mode: the rewritten graph, agreement with NumPy at
ordinary inputs, exactness at the inputs where the naive form fails (float64 and float32),
and gradients there."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T

DTYPES = ["float64", "float32"]
TINY = {"float64": 1e-20, "float32": 1e-10}

# (id, formula, NumPy reference, op that must appear, op that must be gone)
FORMS = [
    ("log(1+x)", lambda x: T.log(1 + x), np.log1p, "Log1p", "Log"),
    ("log(x+1)", lambda x: T.log(x + 1), np.log1p, "Log1p", "Log"),
    ("log(1-x)", lambda x: T.log(1 - x), lambda x: np.log1p(-x), "Log1p", "Log"),
    ("log(-x+1)", lambda x: T.log(-x + 1), lambda x: np.log1p(-x), "Log1p", "Log"),
    (
        "log(1+x-y)",
        lambda x: T.log(1 + x - x[::-1] / 4),
        lambda x: np.log1p(x - x[::-1] / 4),
        "Log1p",
        "Log",
    ),
    ("exp(x)-1", lambda x: T.exp(x) - 1, np.expm1, "Expm1", "Exp"),
    ("-1+exp(x)", lambda x: -1 + T.exp(x), np.expm1, "Expm1", "Exp"),
    ("1-exp(x)", lambda x: 1 - T.exp(x), lambda x: -np.expm1(x), "Expm1", "Exp"),
    ("log(exp(x))", lambda x: T.log(T.exp(x)), lambda x: x, None, "Exp"),
    (
        "log(1-exp(x))",
        lambda x: T.log(1 - T.exp(-abs(x) - 1e-3)),
        lambda x: np.log(-np.expm1(-np.abs(x) - 1e-3)),
        "Log1mexp",
        "Log",
    ),
    ("log(x**2)", lambda x: T.log(x**2), lambda x: 2 * np.log(np.abs(x)), "Abs", "Pow"),
    ("log(sqr(x))", lambda x: T.log(T.sqr(x)), lambda x: 2 * np.log(np.abs(x)), "Abs", "Sqr"),
    ("log(x*x)", lambda x: T.log(x * x), lambda x: 2 * np.log(np.abs(x)), "Abs", "Sqr"),
    ("sqrt(x**2)", lambda x: T.sqrt(x**2), np.abs, "Abs", "Sqrt"),
    ("sqrt(x*x)", lambda x: T.sqrt(x * x), np.abs, "Abs", "Sqrt"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "build", "ref", "present", "absent"), FORMS, ids=[f[0] for f in FORMS]
)
def test_rewritten_graph_and_ordinary_values(
    name, build, ref, present, absent, dtype, compile_fn, op_names, tol
):
    x = T.vector("x", dtype=dtype)
    f = compile_fn([x], build(x))
    names = op_names(f)
    if present is not None:
        assert present in names, names
    assert absent not in names, names
    value = np.random.RandomState(1).uniform(-0.9, 0.9, size=7).astype(dtype)
    got = f(value)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, ref(value.astype("float64")).astype(dtype), **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("build", "ref"),
    [
        (lambda x: T.log(1 + x), np.log1p),
        (lambda x: T.log(1 - x), lambda x: np.log1p(-x)),
        (lambda x: T.exp(x) - 1, np.expm1),
        (lambda x: 1 - T.exp(x), lambda x: -np.expm1(x)),
    ],
    ids=["log1p", "log1p(-x)", "expm1", "-expm1"],
)
def test_exact_for_tiny_x_where_the_naive_form_cancels(build, ref, dtype, compile_fn, run):
    x = T.vector("x", dtype=dtype)
    value = np.array([TINY[dtype], -TINY[dtype] / 3], dtype=dtype)
    expected = ref(value.astype("float64"))
    naive = run(compile_fn([x], build(x), stabilize=False), value)
    assert not np.allclose(naive, expected, rtol=1e-3, atol=0)  # cancels to 0
    got = compile_fn([x], build(x))(value)
    np.testing.assert_allclose(got, expected.astype(dtype), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_exp_is_x_where_exp_overflows(dtype, compile_fn, run, op_names):
    x = T.vector("x", dtype=dtype)
    value = np.array([1000.0, -1000.0, 3.0], dtype=dtype)
    f = compile_fn([x], [T.log(T.exp(x)), T.grad(T.log(T.exp(x)).sum(), x)])
    y, g = run(f, value)
    np.testing.assert_array_equal(y, value)
    np.testing.assert_array_equal(g, np.ones(3, dtype))
    naive = run(compile_fn([x], T.log(T.exp(x)), stabilize=False), value)
    assert np.isinf(naive[0]) and np.isinf(naive[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_log1mexp_is_exact_near_zero_and_for_large_negative_x(dtype, compile_fn, run):
    x = T.vector("x", dtype=dtype)
    value = np.array([-TINY[dtype], -50.0, -0.5], dtype=dtype)
    y = T.log(1 - T.exp(x))
    f = compile_fn([x], [y, T.grad(y.sum(), x)])
    got, grad = run(f, value)
    v = value.astype("float64")
    with np.errstate(divide="ignore"):
        exact = np.where(v > -0.69, np.log(-np.expm1(v)), np.log1p(-np.exp(v)))
    np.testing.assert_allclose(got, exact.astype(dtype), rtol=1e-6)
    np.testing.assert_allclose(grad, (-1 / np.expm1(-v)).astype(dtype), rtol=1e-5)
    naive = run(compile_fn([x], y, stabilize=False), value)
    assert np.isneginf(naive[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "square", [lambda x: x**2, T.sqr, lambda x: x * x], ids=["pow", "sqr", "mul"]
)
def test_log_and_sqrt_of_a_square_for_huge_and_tiny_x(square, dtype, compile_fn, run):
    x = T.vector("x", dtype=dtype)
    big = 1e200 if dtype == "float64" else 1e30
    value = np.array([big, -big, 1 / big, -3.0], dtype=dtype)
    v = value.astype("float64")
    log_sq, root = T.log(square(x)), T.sqrt(square(x))
    f = compile_fn([x], [log_sq, root, T.grad(log_sq.sum(), x), T.grad(root.sum(), x)])
    got_log, got_root, g_log, g_root = run(f, value)
    np.testing.assert_allclose(got_log, (2 * np.log(np.abs(v))).astype(dtype), rtol=1e-6)
    np.testing.assert_array_equal(got_root, np.abs(value))
    np.testing.assert_allclose(g_log, (2 / v).astype(dtype), rtol=1e-6)
    np.testing.assert_array_equal(g_root, np.sign(value))
    naive_log, naive_root = run(compile_fn([x], [log_sq, root], stabilize=False), value)
    assert np.isinf(naive_log[0]) and np.isinf(naive_log[2]) and np.isinf(naive_root[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_x_times_x_is_kept_exact(dtype, compile_fn, op_names):
    x = T.vector("x", dtype=dtype)
    f = compile_fn([x], x * x)
    names = op_names(f)
    assert "Pow" not in names
    value = np.random.RandomState(2).randn(1000).astype(dtype) * 1e3
    np.testing.assert_array_equal(f(value), value * value)


def test_gradients_of_rewritten_forms_match_finite_differences():
    from symcore.compile.mode import get_mode
    from symcore.gradient import verify_grad

    rng = np.random.RandomState(3)
    pt = [rng.uniform(0.1, 0.8, size=5)]
    mode = get_mode(None)
    for fn in (
        lambda x: T.log(1 + x),
        lambda x: T.log(1 - x),
        lambda x: T.exp(x) - 1,
        lambda x: T.log(1 - T.exp(-x)),
        lambda x: T.log(x**2),
        lambda x: T.sqrt(x**2),
    ):
        verify_grad(fn, pt, rng=rng, mode=mode)


def test_each_rewrite_can_be_excluded_by_name(compile_fn, op_names):
    import symcore
    from symcore.compile.mode import get_mode

    x = T.dvector("x")
    cases = [
        ("local_log1p", T.log(1 + x), "Log1p"),
        ("local_expm1", T.exp(x) - 1, "Expm1"),
        ("local_log1p_exp_neg", T.log(1 - T.exp(x)), "Log1mexp"),
        ("local_log_square", T.log(x**2), "Abs"),
        ("local_sqrt_square", T.sqrt(x**2), "Abs"),
    ]
    for name, y, op in cases:
        assert op in op_names(compile_fn([x], y)), name
        f = symcore.function([x], y, mode=get_mode(None).excluding(name))
        assert op not in op_names(f), name
