"""RandomVariable Ops: draws equal NumPy's Generator draws from the same state."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.graph.type import DisconnectedType
from symcore.tensor.random import basic as R
from symcore.tensor.random.op import RandomVariable

SEED = 1234


def rng_var(seed=SEED):
    return symcore.shared(np.random.default_rng(seed))


def numpy_rng(seed=SEED):
    return np.random.default_rng(seed)


def draw(out):
    return symcore.function([], out, no_default_updates=True)()


# (function, symbolic args, numpy method, numpy args)
SCALAR_CASES = [
    ("uniform", R.uniform, (-1.0, 3.0), lambda g, size: g.uniform(-1.0, 3.0, size=size)),
    ("normal", R.normal, (2.0, 0.5), lambda g, size: g.normal(2.0, 0.5, size=size)),
    ("standard_normal", R.standard_normal, (), lambda g, size: g.standard_normal(size=size)),
    ("binomial", R.binomial, (10, 0.3), lambda g, size: g.binomial(10, 0.3, size=size)),
    ("integers", R.integers, (3, 9), lambda g, size: g.integers(3, 9, size=size)),
    (
        "random_integers",
        R.random_integers,
        (3, 9),
        lambda g, size: g.integers(3, 9, size=size, endpoint=True),
    ),
    ("poisson", R.poisson, (4.0,), lambda g, size: g.poisson(4.0, size=size)),
    ("gamma", R.gamma, (2.0, 3.0), lambda g, size: g.gamma(2.0, 3.0, size=size)),
    ("beta", R.beta, (2.0, 5.0), lambda g, size: g.beta(2.0, 5.0, size=size)),
    ("exponential", R.exponential, (1.5,), lambda g, size: g.exponential(1.5, size=size)),
]


@pytest.mark.parametrize("name,fn,args,oracle", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
@pytest.mark.parametrize("size", [(2, 3), (4,), (), (0, 2)])
def test_scalar_distributions_match_numpy(name, fn, args, oracle, size):
    out = fn(*args, size=size, rng=rng_var())
    got = draw(out)
    expected = np.asarray(oracle(numpy_rng(), size if size else None))
    assert got.shape == expected.shape
    assert got.dtype == out.dtype
    np.testing.assert_allclose(got, expected.astype(out.dtype))


@pytest.mark.parametrize("name,fn,args,oracle", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
def test_dtypes(name, fn, args, oracle):
    out = fn(*args, size=(2,), rng=rng_var())
    expected_dtype = np.asarray(oracle(numpy_rng(), (2,))).dtype
    if expected_dtype.kind == "f":
        assert out.dtype == symcore.config.floatX
    else:
        assert out.dtype == "int64"


def test_float_draws_follow_floatX():
    with symcore.config.change_flags(floatX="float32"):
        u = R.uniform(0.0, 1.0, size=(3,), rng=rng_var())
        n = R.normal(size=(3,), rng=rng_var())
    assert u.dtype == "float32" and n.dtype == "float32"
    assert draw(u).dtype == np.float32
    np.testing.assert_allclose(draw(u), numpy_rng().uniform(0.0, 1.0, size=3).astype("float32"))


def test_float64_variable_parameter_upcasts_and_dtype_argument_wins():
    lo = T.dscalar("lo")
    with symcore.config.change_flags(floatX="float32"):
        assert R.uniform(lo, 1.0, size=(2,), rng=rng_var()).dtype == "float64"
        assert R.uniform(0.0, 1.0, size=(2,), rng=rng_var(), dtype="float64").dtype == "float64"
    assert R.binomial(1, 0.5, size=(2,), rng=rng_var(), dtype="int8").dtype == "int8"


def test_parameters_broadcast_when_size_is_none():
    low = np.array([[0.0], [10.0]])
    high = np.array([1.0, 2.0, 3.0]) + 20
    out = R.uniform(low, high, rng=rng_var())
    assert out.ndim == 2
    got = draw(out)
    np.testing.assert_allclose(got, numpy_rng().uniform(low, high))
    assert got.shape == (2, 3)


def test_symbolic_parameters():
    mu = T.dvector("mu")
    out = R.normal(mu, 1e-6, rng=rng_var())
    f = symcore.function([mu], out, no_default_updates=True)
    m = np.array([1.0, -5.0, 100.0])
    np.testing.assert_allclose(f(m), numpy_rng().normal(m, 1e-6))


# ---------------------------------------------------------------------------------------
# size
# ---------------------------------------------------------------------------------------


def test_size_forms():
    n = T.lscalar("n")
    x = T.dmatrix("x")
    by_tuple = R.uniform(size=(n, 3), rng=rng_var())
    by_shape = R.uniform(size=x.shape, rng=rng_var())
    by_int = R.uniform(size=5, rng=rng_var())
    vec = T.lvector("v")
    by_vector = R.uniform(size=vec, rng=rng_var(), ndim=3)
    assert (by_tuple.ndim, by_shape.ndim, by_int.ndim, by_vector.ndim) == (2, 2, 1, 3)
    f = symcore.function(
        [n, x, vec], [by_tuple, by_shape, by_int, by_vector], no_default_updates=True
    )
    a, b, c, d = f(4, np.zeros((2, 7)), [2, 1, 3])
    np.testing.assert_allclose(a, numpy_rng().uniform(size=(4, 3)))
    np.testing.assert_allclose(b, numpy_rng().uniform(size=(2, 7)))
    np.testing.assert_allclose(c, numpy_rng().uniform(size=5))
    np.testing.assert_allclose(d, numpy_rng().uniform(size=(2, 1, 3)))


def test_constant_size_of_one_is_broadcastable():
    out = R.uniform(size=(1, 4), rng=rng_var())
    assert out.broadcastable == (True, False)
    assert out.type.shape == (1, 4)


def test_unknown_length_size_needs_ndim():
    vec = T.lvector("v")
    with pytest.raises(ValueError, match="pass ndim="):
        R.uniform(size=vec, rng=rng_var())


def test_ndim_mismatch_is_an_error():
    with pytest.raises(ValueError, match="ndim=3"):
        R.uniform(size=(2, 2), rng=rng_var(), ndim=3)


@pytest.mark.parametrize(
    "bad,err",
    [((2, -1), ValueError), ((2.5,), TypeError), ("ab", TypeError), ((T.dscalar(),), TypeError)],
)
def test_bad_sizes(bad, err):
    with pytest.raises(err, match="size"):
        R.uniform(size=bad, rng=rng_var())


def test_run_time_size_parameter_mismatch_names_the_op_and_shapes():
    mu = T.dvector("mu")
    out = R.normal(mu, 1.0, size=(2, 3), rng=rng_var())
    f = symcore.function([mu], out)
    with pytest.raises(ValueError, match=r"normal.*size=\(2, 3\).*\(4,\) float64"):
        f(np.zeros(4))


def test_wrong_parameter_count_and_rng_type():
    with pytest.raises(TypeError, match="expected 2 parameters"):
        R.UniformRV()(0.0, size=(2,), rng=rng_var())
    with pytest.raises(TypeError, match="rng must be a random generator"):
        R.UniformRV()(0.0, 1.0, size=(2,), rng=T.dvector())


def test_default_rng_when_none_given():
    out = R.uniform(size=(3,))
    vals = symcore.function([], out)()
    assert vals.shape == (3,) and np.all((vals >= 0) & (vals < 1))


# ---------------------------------------------------------------------------------------
# vector-valued distributions
# ---------------------------------------------------------------------------------------


def test_multinomial():
    pvals = np.array([0.2, 0.3, 0.5])
    out = R.multinomial(7, pvals, size=(4,), rng=rng_var())
    assert out.ndim == 2 and out.type.shape[-1] == 3
    got = draw(out)
    np.testing.assert_array_equal(got, numpy_rng().multinomial(7, pvals, size=(4,)))
    assert np.all(got.sum(axis=1) == 7)


def test_multinomial_batched_pvals():
    pvals = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    out = R.multinomial(np.array([1, 2, 3]), pvals, rng=rng_var())
    got = draw(out)
    np.testing.assert_array_equal(got, numpy_rng().multinomial([1, 2, 3], pvals))
    np.testing.assert_array_equal(got.sum(axis=1), [1, 2, 3])


@pytest.mark.parametrize("replace", [True, False])
def test_choice(replace):
    a = np.array([10.0, 20.0, 30.0, 40.0])
    p = np.array([0.1, 0.2, 0.3, 0.4])
    out = R.choice(a, size=(3,), replace=replace, p=p, rng=rng_var())
    assert out.dtype == "float64"
    got = draw(out)
    np.testing.assert_array_equal(got, numpy_rng().choice(a, size=(3,), replace=replace, p=p))
    if not replace:
        assert len(set(got.tolist())) == 3


def test_choice_from_int_is_arange():
    out = R.choice(5, size=(2, 2), rng=rng_var())
    assert out.dtype == "int64"
    np.testing.assert_array_equal(draw(out), numpy_rng().choice(5, size=(2, 2)))


def test_permutation_of_int_and_vector():
    out = R.permutation(6, rng=rng_var())
    got = draw(out)
    np.testing.assert_array_equal(got, numpy_rng().permutation(6))
    assert sorted(got.tolist()) == list(range(6))
    x = T.dvector("x")
    f = symcore.function([x], R.permutation(x, rng=rng_var()), no_default_updates=True)
    v = np.array([1.5, 2.5, 3.5])
    np.testing.assert_array_equal(f(v), numpy_rng().permutation(v))


def test_permutation_with_size_gives_one_permutation_per_entry():
    out = R.permutation(4, size=(2, 3), rng=rng_var())
    assert out.type.shape == (2, 3, 4)
    got = draw(out)
    g = numpy_rng()
    expected = np.array([[g.permutation(4) for _ in range(3)] for _ in range(2)])
    np.testing.assert_array_equal(got, expected)


def test_truncated_normal_stays_within_two_deviations():
    out = R.truncated_normal(1.0, 2.0, size=(2000,), rng=rng_var())
    got = draw(out)
    assert got.shape == (2000,)
    assert np.all(np.abs(got - 1.0) <= 4.0)
    assert abs(got.mean() - 1.0) < 0.2


# ---------------------------------------------------------------------------------------
# Op protocol: next rng, purity, gradients, shapes
# ---------------------------------------------------------------------------------------


def test_node_outputs_next_rng_and_does_not_touch_its_input():
    rng = rng_var()
    out = R.uniform(size=(3,), rng=rng)
    next_rng = out.owner.outputs[0]
    before = rng.get_value()
    f = symcore.function([], [next_rng, out], no_default_updates=True)
    new_state, vals = f()
    assert isinstance(new_state, np.random.Generator)
    g = numpy_rng()
    np.testing.assert_allclose(vals, g.uniform(size=3))
    assert rng.type.values_eq(new_state, g)  # next state = state after drawing
    assert rng.type.values_eq(rng.get_value(borrow=True), before)  # input not modified
    np.testing.assert_allclose(f()[1], vals)  # pure: same input state, same draws


def test_gradients_are_disconnected():
    low = T.dscalar("low")
    out = R.uniform(low, 1.0, size=(3,), rng=rng_var())
    node = out.owner
    assert node.op.connection_pattern(node) == [[False, False]] * len(node.inputs)
    grads = node.op.L_op(node.inputs, node.outputs, [None, T.dvector()])
    assert all(isinstance(g.type, DisconnectedType) for g in grads)
    g = symcore.gradient.grad(out.sum(), low, disconnected_inputs="ignore")
    assert symcore.function([low], g)(0.5) == 0.0


def test_random_variables_are_marked_not_differentiable():
    assert RandomVariable.differentiable is False


def _shape_fn(out):
    node = out.owner
    in_shapes = [
        None if not hasattr(i.type, "ndim") else tuple(T.shape(i)[k] for k in range(i.ndim))
        for i in node.inputs
    ]
    shapes = node.op.infer_shape(node, in_shapes)
    assert shapes[0] is None
    return shapes[1]


def test_infer_shape_with_size_and_with_broadcast_parameters():
    n = T.lscalar("n")
    mu = T.dmatrix("mu")
    sd = T.drow("sd")
    a = R.uniform(size=(n, 3), rng=rng_var())
    b = R.normal(mu, sd, rng=rng_var())
    c = R.multinomial(3, T.dvector("p"), size=(n,), rng=rng_var())
    p = c.owner.inputs[3]
    inputs = [n, mu, sd, p]
    shape_exprs = [
        T.as_tensor_variable(list(_shape_fn(v))) if v.ndim else T.constant(np.zeros(0, "int64"))
        for v in (a, b, c)
    ]
    f = symcore.function(inputs, shape_exprs, on_unused_input="ignore")
    g = symcore.function(inputs, [a, b, c], on_unused_input="ignore", no_default_updates=True)
    args = [4, np.zeros((2, 5)), np.ones((1, 5)), np.array([0.2, 0.3, 0.5])]
    for shp, val in zip(f(*args), g(*args), strict=True):
        assert tuple(shp) == val.shape


def test_op_str_and_equality():
    assert R.UniformRV("float64") == R.UniformRV("float64")
    assert R.UniformRV("float32") != R.UniformRV("float64")
    assert R.UniformRV("float64") != R.NormalRV("float64")
    assert "uniform" in str(R.UniformRV("float64"))
