"""``symcore.sandbox.rng_mrg.MRG_RandomStreams``: Theano's MRG API over NumPy generators."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore import function
from symcore.sandbox.rng_mrg import MRG_RandomStreams


def stream_seeds(seed, n):
    g = np.random.default_rng(seed)
    return [int(g.integers(2**30)) for _ in range(n)]


def test_reachable_from_the_package_namespace():
    assert symcore.sandbox.rng_mrg.MRG_RandomStreams is MRG_RandomStreams


def test_default_seed_is_fixed():
    a = function([], MRG_RandomStreams().uniform((5,)))()
    b = function([], MRG_RandomStreams().uniform((5,)))()
    np.testing.assert_array_equal(a, b)
    (seed,) = stream_seeds(12345, 1)
    np.testing.assert_allclose(a, np.random.default_rng(seed).uniform(size=5))


def test_uniform_size_first_and_advancing():
    srng = MRG_RandomStreams(234)
    u = srng.uniform((2, 3), low=-2.0, high=2.0)
    f = function([], u)
    (seed,) = stream_seeds(234, 1)
    g = np.random.default_rng(seed)
    np.testing.assert_allclose(f(), g.uniform(-2.0, 2.0, size=(2, 3)))
    np.testing.assert_allclose(f(), g.uniform(-2.0, 2.0, size=(2, 3)))


def test_uniform_is_float32_under_floatX_float32():
    with symcore.config.change_flags(floatX="float32"):
        srng = MRG_RandomStreams(1)
        u = srng.uniform((4,))
        n = srng.normal((4,))
        assert u.dtype == "float32" and n.dtype == "float32"
        assert function([], u)().dtype == np.float32
        assert srng.uniform((4,), dtype="float64").dtype == "float64"


def test_size_is_required_and_checked():
    srng = MRG_RandomStreams(1)
    with pytest.raises(TypeError, match="size is required"):
        srng.uniform(None)
    with pytest.raises(ValueError, match="negative"):
        srng.normal((2, -3))


def test_symbolic_size():
    srng = MRG_RandomStreams(1)
    x = T.dmatrix("x")
    f = function([x], srng.uniform(x.shape))
    assert f(np.zeros((3, 2))).shape == (3, 2)


def test_normal_and_truncated_normal():
    srng = MRG_RandomStreams(3)
    n = srng.normal((4,), avg=5.0, std=2.0)
    t = srng.normal((5000,), avg=5.0, std=2.0, truncate=True)
    s1, _ = stream_seeds(3, 2)
    a, b = function([], [n, t])()
    np.testing.assert_allclose(a, np.random.default_rng(s1).normal(5.0, 2.0, size=4))
    assert np.all(np.abs(b - 5.0) <= 4.0)
    assert abs(b.std() - 2.0 * 0.88) < 0.1  # a normal truncated at 2 sigma has std ~0.88 sigma


def test_binomial():
    srng = MRG_RandomStreams(4)
    b = srng.binomial((1000,), p=0.3)
    vals = function([], b)()
    assert b.dtype == "int64" and set(np.unique(vals)) <= {0, 1}
    (seed,) = stream_seeds(4, 1)
    np.testing.assert_array_equal(vals, np.random.default_rng(seed).binomial(1, 0.3, size=1000))
    p = T.dmatrix("p")
    f = function([p], srng.binomial(p=p, dtype="float32"))
    out = f(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.0, 1.0], [1.0, 0.0]])


def test_multinomial_rows():
    srng = MRG_RandomStreams(5)
    pvals = np.array([[0.98, 0.01, 0.01], [0.01, 0.49, 0.50], [0.0, 0.0, 1.0]])
    m = srng.multinomial(pvals=pvals)
    vals = function([], m)()
    assert vals.shape == pvals.shape and m.dtype == "int64"
    np.testing.assert_array_equal(vals.sum(axis=1), [1, 1, 1])
    np.testing.assert_array_equal(vals[2], [0, 0, 1])
    two = function([], srng.multinomial(pvals=pvals, n=2))()
    np.testing.assert_array_equal(two.sum(axis=1), [2, 2, 2])
    with pytest.raises(TypeError, match="pvals"):
        srng.multinomial()


@pytest.mark.parametrize("replace", [False, True])
def test_choice_rows(replace):
    srng = MRG_RandomStreams(6)
    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    c = srng.choice(size=3, p=p, replace=replace)
    vals = function([], c)()
    assert vals.shape == (2, 3)
    assert np.all((vals >= 0) & (vals < 4))
    (seed,) = stream_seeds(6, 1)
    g = np.random.default_rng(seed)
    expected = np.array([g.choice(4, size=3, replace=replace, p=row) for row in p])
    np.testing.assert_array_equal(vals, expected)
    if not replace:
        assert all(len(set(row)) == 3 for row in vals.tolist())


def test_choice_validation_and_wo_replacement_alias():
    srng = MRG_RandomStreams(6)
    with pytest.raises(TypeError, match="specify p"):
        srng.choice(size=2)
    with pytest.raises(TypeError, match="matrix"):
        srng.choice(size=2, p=np.array([0.5, 0.5]))
    vals = function([], srng.multinomial_wo_replacement(n=2, pvals=np.full((3, 4), 0.25)))()
    assert vals.shape == (3, 2) and all(r[0] != r[1] for r in vals.tolist())


def test_seed_and_no_default_updates():
    srng = MRG_RandomStreams(8)
    u = srng.uniform((3,))
    f = function([], u)
    g = function([], u, no_default_updates=True)
    first = f()
    assert not np.array_equal(first, f())
    np.testing.assert_array_equal(g(), g())
    srng.seed(8)
    np.testing.assert_array_equal(f(), first)


def test_theano_six_integer_seed_is_accepted():
    srng = MRG_RandomStreams((1, 2, 3, 4, 5, 6))
    assert function([], srng.uniform((2,)))().shape == (2,)


@pytest.mark.parametrize("stream", ["mrg", "shared"])
def test_draws_inside_scan_advance_each_step_and_each_call(stream):
    from symcore.tensor.shared_randomstreams import RandomStreams

    srng = MRG_RandomStreams(3) if stream == "mrg" else RandomStreams(3)

    def step(prev):
        return prev + srng.uniform((2,))

    out, updates = symcore.scan(step, outputs_info=[T.zeros((2,))], n_steps=4)
    assert len(updates) == 1  # scan returns the generator's update
    f = function([], out, updates=updates)
    (seed,) = stream_seeds(3, 1)
    g = np.random.default_rng(seed)
    first = f()
    np.testing.assert_allclose(first, np.cumsum([g.uniform(size=2) for _ in range(4)], axis=0))
    second = f()
    np.testing.assert_allclose(second, np.cumsum([g.uniform(size=2) for _ in range(4)], axis=0))
