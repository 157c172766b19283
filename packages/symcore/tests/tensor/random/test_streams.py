"""Random streams: ``RandomStream`` (PyTensor style) and Theano's ``RandomStreams``."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore import function
from symcore.tensor.random import RandomStream
from symcore.tensor.shared_randomstreams import RandomStreams


def stream_seeds(seed, n):
    """The generator seeds a stream with ``seed`` gives its first ``n`` draws (documented rule)."""
    g = np.random.default_rng(seed)
    return [int(g.integers(2**30)) for _ in range(n)]


def test_tutorial_program():
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

    seed_u, seed_n = stream_seeds(234, 2)
    ref_u = np.random.default_rng(seed_u)
    f_val0, f_val1 = f(), f()
    np.testing.assert_allclose(f_val0, ref_u.uniform(size=(2, 2)))
    np.testing.assert_allclose(f_val1, ref_u.uniform(size=(2, 2)))  # advanced by the default update
    g_val0, g_val1 = g(), g()
    np.testing.assert_allclose(g_val0, np.random.default_rng(seed_n).normal(size=(2, 2)))
    np.testing.assert_array_equal(g_val0, g_val1)  # no_default_updates: same numbers
    # a random variable is drawn once per call, however many times the outputs use it
    np.testing.assert_allclose(nearly_zeros(), np.zeros((2, 2)), atol=1e-15)


def test_state_save_and_restore_replays_draws():
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u)
    rng_val = rv_u.rng.get_value(borrow=True)
    saved = rv_u.rng.get_value()
    a, b = f(), f()
    rv_u.rng.set_value(saved)
    np.testing.assert_array_equal(f(), a)
    np.testing.assert_array_equal(f(), b)
    assert rng_val is not saved


def test_seed_reseeds_every_stream_deterministically():
    srng = RandomStreams(seed=1)
    u = srng.uniform((3,))
    n = srng.normal((3,))
    f = function([], [u, n])
    first = f()
    f()
    srng.seed(1)
    again = f()
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    srng.seed(99)
    other = f()
    seed_u, seed_n = stream_seeds(99, 2)
    np.testing.assert_allclose(other[0], np.random.default_rng(seed_u).uniform(size=3))
    np.testing.assert_allclose(other[1], np.random.default_rng(seed_n).normal(size=3))


def test_two_streams_with_the_same_seed_agree_and_differ_from_another_seed():
    a = function([], RandomStreams(7).normal((4,)))()
    b = function([], RandomStreams(7).normal((4,)))()
    c = function([], RandomStreams(8).normal((4,)))()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_default_updates_are_recorded():
    srng = RandomStreams(3)
    u = srng.uniform((2,))
    ((rng, next_rng),) = srng.updates()
    assert rng is u.rng and u.update == (rng, next_rng)
    assert rng.default_update is next_rng
    assert next_rng is u.owner.outputs[0]


def test_explicit_updates_instead_of_default_ones():
    srng = RandomStreams(3)
    u = srng.uniform((2,))
    f = function([], u, no_default_updates=True, updates=srng.updates())
    assert not np.array_equal(f(), f())


def test_getitem_and_setitem_access_the_generator():
    srng = RandomStreams(5)
    u = srng.uniform((2,))
    f = function([], u)
    srng[u] = np.random.default_rng(42)
    np.testing.assert_allclose(f(), np.random.default_rng(42).uniform(size=2))
    assert isinstance(srng[u], np.random.Generator)


def test_symbolic_size():
    srng = RandomStreams(11)
    x = T.dmatrix("x")
    n = T.lscalar("n")
    u = srng.uniform(x.shape)
    v = srng.normal((n, 2))
    f = function([x, n], [u, v])
    a, b = f(np.zeros((3, 4)), 5)
    assert a.shape == (3, 4) and b.shape == (5, 2)


def test_theano_signatures_of_every_method():
    srng = RandomStreams(21)
    seeds = iter(stream_seeds(21, 11))
    outs = {
        "uniform": (srng.uniform((3,), low=2.0, high=4.0), lambda g: g.uniform(2.0, 4.0, size=3)),
        "normal": (srng.normal((3,), avg=1.0, std=0.1), lambda g: g.normal(1.0, 0.1, size=3)),
        "binomial": (srng.binomial((3,), n=5, p=0.25), lambda g: g.binomial(5, 0.25, size=3)),
        "random_integers": (
            srng.random_integers((30,), low=-1, high=1),
            lambda g: g.integers(-1, 1, size=30, endpoint=True),
        ),
        "integers": (srng.integers((3,), low=0, high=10), lambda g: g.integers(0, 10, size=3)),
        "choice": (
            srng.choice((3,), a=5, replace=False),
            lambda g: g.choice(5, size=3, replace=False),
        ),
        "permutation": (
            srng.permutation((2,), n=4),
            lambda g: np.array([g.permutation(4), g.permutation(4)]),
        ),
        "multinomial": (
            srng.multinomial((2,), n=4, pvals=[0.5, 0.5]),
            lambda g: g.multinomial(4, [0.5, 0.5], size=2),
        ),
        "poisson": (srng.poisson((3,), lam=2.0), lambda g: g.poisson(2.0, size=3)),
        "gamma": (srng.gamma((3,), shape=2.0, scale=1.5), lambda g: g.gamma(2.0, 1.5, size=3)),
        "beta": (srng.beta((3,), a=2.0, b=3.0), lambda g: g.beta(2.0, 3.0, size=3)),
    }
    f = function([], [o for o, _ in outs.values()])
    for (name, (out, oracle)), got in zip(outs.items(), f(), strict=True):
        expected = oracle(np.random.default_rng(next(seeds)))
        np.testing.assert_allclose(got, expected, err_msg=name)
        assert got.dtype == out.dtype


def test_random_integers_includes_both_ends():
    srng = RandomStreams(2)
    vals = function([], srng.random_integers((500,), low=3, high=5))()
    assert set(vals.tolist()) == {3, 4, 5}


def test_binomial_prob_alias_and_dtype():
    srng = RandomStreams(2)
    b = srng.binomial((100,), prob=1.0, dtype="int8")
    assert b.dtype == "int8"
    np.testing.assert_array_equal(function([], b)(), np.ones(100, dtype="int8"))


def test_size_none_follows_parameter_shapes():
    srng = RandomStreams(2)
    avg = T.dvector("avg")
    out = srng.normal(avg=avg, std=1e-8)
    f = function([avg], out)
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f(v), v, atol=1e-6)
    assert srng.uniform().ndim == 0


def test_gen_with_a_random_variable_op():
    from symcore.tensor.random.basic import ExponentialRV

    srng = RandomStreams(4)
    out = srng.gen(ExponentialRV("float64"), 2.0, size=(3,))
    (seed,) = stream_seeds(4, 1)
    np.testing.assert_allclose(
        function([], out)(), np.random.default_rng(seed).exponential(2.0, size=3)
    )
    assert out.rng.default_update is out.owner.outputs[0]


def test_pytensor_style_random_stream():
    srng = RandomStream(9)
    out = srng.normal(3.0, 0.5, size=(2, 2))
    other = srng.integers(10, size=(4,))
    seed_n, seed_i = stream_seeds(9, 2)
    f = function([], [out, other])
    a, b = f()
    np.testing.assert_allclose(a, np.random.default_rng(seed_n).normal(3.0, 0.5, size=(2, 2)))
    np.testing.assert_array_equal(b, np.random.default_rng(seed_i).integers(10, size=4))
    for name in (
        "uniform",
        "standard_normal",
        "binomial",
        "random_integers",
        "poisson",
        "gamma",
        "beta",
        "exponential",
        "multinomial",
        "choice",
        "permutation",
        "truncated_normal",
    ):
        assert callable(getattr(srng, name))
    assert srng.beta(2.0, 3.0, size=(2,)).ndim == 1
    assert srng.multinomial(2, [0.1, 0.9]).ndim == 1


def test_shared_rng_survives_function_with_givens_and_each_function_advances_the_same_state():
    srng = RandomStreams(6)
    u = srng.uniform((2,))
    f1 = function([], u)
    f2 = function([], u * 1.0)
    (seed,) = stream_seeds(6, 1)
    g = np.random.default_rng(seed)
    np.testing.assert_allclose(f1(), g.uniform(size=2))
    np.testing.assert_allclose(f2(), g.uniform(size=2))  # continues from f1's update
    np.testing.assert_allclose(f1(), g.uniform(size=2))


@pytest.mark.parametrize("floatX", ["float32", "float64"])
def test_uniform_dtype_follows_floatX(floatX):
    with symcore.config.change_flags(floatX=floatX):
        srng = RandomStreams(1)
        assert srng.uniform((2,)).dtype == floatX
        assert srng.normal((2,)).dtype == floatX
        assert srng.binomial((2,)).dtype == "int64"
