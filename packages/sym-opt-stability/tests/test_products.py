"""The product machinery behind the sigmoid/softmax/erfc rewrites: parsing products,
rebuilding them, deciding when a rebuild is better, keeping types and shapes."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from sym_opt_stability.erf import erfcx
from sym_opt_stability.families import analyze
from sym_opt_stability.products import build_product, parse_product
from sym_opt_stability.stable_products import simplify_product


def test_parse_flattens_mul_div_neg_inv_sqr_and_integer_powers():
    x, y, z, w = T.dvectors("x", "y", "z", "w")
    prod = parse_product(-(x * y) / T.sqr(z) * T.inv(w) * x**3)
    assert prod.sign == -1
    assert prod.merged() == {x: 4, y: 1, z: -2, w: -1}
    assert parse_product(x + y) is None
    assert parse_product(x**0.5) is None  # not an integer power: not a product node


def test_parse_drops_unit_constants_and_looks_through_fill_and_dimshuffle():
    x = T.dmatrix("x")
    r = T.dvector("r")
    prod = parse_product((-1 * T.second(x, r.dimshuffle("x", 0))) * 1.0 * x)
    assert prod.sign == -1 and prod.refs == [x]
    factors = prod.merged()
    assert factors[x] == 1 and len(factors) == 2
    ds = parse_product((r * T.exp(r)).dimshuffle("x", 0) * x)
    assert len(ds.occurrences) == 3
    assert all(f.type.ndim == 2 for f, _ in ds.occurrences)


def test_build_product_is_exact_for_squares_and_divides_negative_powers():
    x, y = T.dvectors("x", "y")
    out = build_product(-1, [(x, 2), (y, -1)])
    f = symcore.function([x, y], out)
    xv, yv = np.random.RandomState(0).randn(2, 100)
    np.testing.assert_array_equal(f(xv, yv), -((xv * xv) / yv))
    assert build_product(1, []) is None


@pytest.mark.parametrize(
    ("build", "improves"),
    [
        (lambda x: 1 / (1 + T.exp(-x)), True),
        (lambda x: T.exp(x) / (1 + T.exp(x)), True),
        (lambda x: T.exp(-x) / (1 + T.exp(-x)) ** 2, True),
        (lambda x: T.exp(x) * T.exp(-x), True),
        (lambda x: T.nnet.sigmoid(x) * T.exp(-x), True),
        (lambda x: T.exp(-(x * x)) / T.erfc(x), True),
        (lambda x: T.exp(x) * 3.0, False),
        (lambda x: T.exp(x) * T.exp(x), False),
        (lambda x: (1 + T.exp(x)) * 2.0, False),
        (lambda x: T.nnet.sigmoid(x) * T.nnet.sigmoid(-x), False),
        (lambda x: x * x, False),
    ],
)
def test_analysis_rewrites_only_what_it_makes_safer(build, improves):
    x = T.dvector("x")
    prod = parse_product(build(x))
    assert prod is not None
    assert analyze(prod, erfcx).improves is improves


def test_cancelled_factors_keep_the_shape_of_the_product(compile_fn, run):
    x = T.dmatrix("x")
    r = T.drow("r")
    y = (T.exp(x) * T.exp(-x)) * r  # exp(x) * exp(-x) cancels: r alone would be a row
    f = compile_fn([x, r], y)
    xv = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    rv = np.array([[1.0, 2.0, 3.0]])
    got = run(f, xv, rv)
    assert got.shape == (2, 3)
    np.testing.assert_array_equal(got, np.broadcast_to(rv, (2, 3)))


def test_simplify_product_types_the_result_like_the_original():
    x = T.fvector("x")
    out = 1 / (1 + T.exp(-x))
    new = simplify_product(parse_product(out), out)
    assert new is not None and new.type == out.type


def test_shared_intermediates_are_rewritten_consistently(compile_fn, run):
    """``p`` feeds several formulas and the gradient: all of them stay finite."""
    x = T.fvector("x")
    p = 1 / (1 + T.exp(-x))
    y = T.log(p) + T.log(1 - p) + p * (1 - p)
    f = compile_fn([x], [y, T.grad(y.sum(), x)])
    value = np.array([-1000.0, -20.0, 0.0, 20.0, 1000.0], dtype="float32")
    got, grad = run(f, value)
    v = value.astype("float64")
    s, sm = np.exp(-np.logaddexp(0, -v)), np.exp(-np.logaddexp(0, v))
    expected = -np.logaddexp(0, -v) - np.logaddexp(0, v) + s * sm
    expected_grad = (sm - s) + s * sm * (sm - s)
    np.testing.assert_allclose(got, expected.astype("float32"), rtol=2e-6)
    np.testing.assert_allclose(grad, expected_grad.astype("float32"), rtol=2e-5, atol=1e-30)


def test_seed_model_trains_from_a_saturated_start(compile_fn):
    """The seed's training step with logits in the hundreds: finite cost and gradient equal
    to the stable NumPy gradient, and the cost goes down."""
    rng = np.random.RandomState(7)
    n, feats = 60, 30
    data, labels = rng.randn(n, feats), rng.randint(0, 2, n).astype(float)
    w0 = rng.randn(feats) * 40
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = symcore.shared(w0.copy(), name="w"), symcore.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    grads = compile_fn([x, y], [cost, gw, gb])
    c0, got_w, got_b = grads(data, labels)
    z = data @ w0
    sig = np.exp(-np.logaddexp(0, -z))
    assert np.mean(np.abs(z) > 37) > 0.5  # mostly saturated: 1/(1+exp(-z)) rounds to 0 or 1
    expected = np.mean(labels * np.logaddexp(0, -z) + (1 - labels) * np.logaddexp(0, z))
    np.testing.assert_allclose(c0, expected + 0.01 * np.sum(w0**2), rtol=1e-12)
    np.testing.assert_allclose(got_w, data.T @ (sig - labels) / n + 0.02 * w0, rtol=1e-10)
    np.testing.assert_allclose(got_b, np.mean(sig - labels), rtol=1e-10)
    train = compile_fn([x, y], cost, updates=[(w, w - 0.01 * gw), (b, b - 0.01 * gb)])
    costs = [float(train(data, labels)) for _ in range(20)]
    assert np.all(np.isfinite(costs)) and costs[-1] < costs[0]
