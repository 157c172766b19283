"""Sigmoid/softplus rewrites and the product rewrite on sigmoid forms: the graphs the user
formulas become, values and gradients at |x| = 1000 in float64 and float32, and agreement
with NumPy at ordinary inputs."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T

DTYPES = ["float64", "float32"]
EXTREME = np.array([-1000.0, -40.0, -3.0, 0.0, 2.5, 40.0, 1000.0])


def sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def softplus(x):
    return np.logaddexp(0, x)


sigm = T.nnet.sigmoid

# (id, formula, value reference, derivative reference, op that must appear, op that must go)
FORMS = [
    (
        "1/(1+exp(-x))",
        lambda x: 1 / (1 + T.exp(-x)),
        sigmoid,
        lambda x: sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Exp",
    ),
    (
        "inv(1+exp(-x))",
        lambda x: T.inv(1 + T.exp(-x)),
        sigmoid,
        lambda x: sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Exp",
    ),
    (
        "1/(exp(-x)+1)",
        lambda x: 1 / (T.exp(-x) + 1),
        sigmoid,
        lambda x: sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Exp",
    ),
    (
        "exp(x)/(1+exp(x))",
        lambda x: T.exp(x) / (1 + T.exp(x)),
        sigmoid,
        lambda x: sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Exp",
    ),
    (
        "1/(1+exp(x))",
        lambda x: 1 / (1 + T.exp(x)),
        lambda x: sigmoid(-x),
        lambda x: -sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Exp",
    ),
    (
        "1-sigmoid(x)",
        lambda x: 1 - sigm(x),
        lambda x: sigmoid(-x),
        lambda x: -sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Sub",
    ),
    (
        "1-1/(1+exp(-x))",
        lambda x: 1 - 1 / (1 + T.exp(-x)),
        lambda x: sigmoid(-x),
        lambda x: -sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Exp",
    ),
    (
        "log(sigmoid(x))",
        lambda x: T.log(sigm(x)),
        lambda x: -softplus(-x),
        lambda x: sigmoid(-x),
        "ScalarSoftplus",
        "Log",
    ),
    (
        "log(1/(1+exp(-x)))",
        lambda x: T.log(1 / (1 + T.exp(-x))),
        lambda x: -softplus(-x),
        lambda x: sigmoid(-x),
        "ScalarSoftplus",
        "Log",
    ),
    (
        "log(1-sigmoid(x))",
        lambda x: T.log(1 - sigm(x)),
        lambda x: -softplus(x),
        lambda x: -sigmoid(x),
        "ScalarSoftplus",
        "Log",
    ),
    (
        "log(1-1/(1+exp(-x)))",
        lambda x: T.log(1 - 1 / (1 + T.exp(-x))),
        lambda x: -softplus(x),
        lambda x: -sigmoid(x),
        "ScalarSoftplus",
        "Log",
    ),
    ("log(1+exp(x))", lambda x: T.log(1 + T.exp(x)), softplus, sigmoid, "ScalarSoftplus", "Log"),
    ("log1p(exp(x))", lambda x: T.log1p(T.exp(x)), softplus, sigmoid, "ScalarSoftplus", "Log1p"),
    (
        "log1p(-sigmoid(x))",
        lambda x: T.log1p(-sigm(x)),
        lambda x: -softplus(x),
        lambda x: -sigmoid(x),
        "ScalarSoftplus",
        "Log1p",
    ),
    (
        "sigmoid(x)*exp(-x)",
        lambda x: sigm(x) * T.exp(-x),
        lambda x: sigmoid(-x),
        lambda x: -sigmoid(x) * sigmoid(-x),
        "ScalarSigmoid",
        "Exp",
    ),
]
IDS = [f[0] for f in FORMS]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "build", "ref", "dref", "present", "absent"), FORMS, ids=IDS)
def test_graph_values_and_gradients(
    name, build, ref, dref, present, absent, dtype, compile_fn, op_names, run
):
    x = T.vector("x", dtype=dtype)
    y = build(x)
    f = compile_fn([x], [y, T.grad(y.sum(), x)])
    names = op_names(f)
    assert present in names and absent not in names, names
    value = EXTREME.astype(dtype)
    got, grad = run(f, value)
    assert got.dtype == grad.dtype == np.dtype(dtype)
    assert np.all(np.isfinite(got)) and np.all(np.isfinite(grad)), (got, grad)
    v = value.astype("float64")
    rtol = 1e-12 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(got, ref(v).astype(dtype), rtol=rtol, atol=0)
    np.testing.assert_allclose(grad, dref(v).astype(dtype), rtol=rtol, atol=1e-300)


@pytest.mark.parametrize(("name", "build", "ref", "dref", "present", "absent"), FORMS, ids=IDS)
def test_naive_form_fails_somewhere_on_the_same_inputs(
    name, build, ref, dref, present, absent, compile_fn, run
):
    x = T.dvector("x")
    y = build(x)
    f = compile_fn([x], [y, T.grad(y.sum(), x)], stabilize=False)
    got, grad = run(f, EXTREME)
    ok_value = np.allclose(got, ref(EXTREME), rtol=1e-12, atol=0)
    ok_grad = np.allclose(grad, dref(EXTREME), rtol=1e-12, atol=1e-300)
    assert not (ok_value and ok_grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_seed_cross_entropy_is_stable_up_to_1e3(dtype, compile_fn, op_names, run):
    """The seed's ``-y*log(p) - (1-y)*log(1-p)`` with ``p = 1/(1+exp(-x))``: cost and
    gradient finite and exact for logits up to 1e3 in both dtypes."""
    x = T.vector("x", dtype=dtype)
    y = T.vector("y", dtype=dtype)
    p = 1 / (1 + T.exp(-x))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    f = compile_fn([x, y], [xent, T.grad(xent.sum(), x)])
    assert "Log" not in op_names(f) and "Exp" not in op_names(f)
    logits = np.array([-1000, -500, -40, -1, 0, 1, 40, 500, 1000] * 2, dtype=dtype)
    labels = np.array([0.0] * 9 + [1.0] * 9, dtype=dtype)
    cost, grad = run(f, logits, labels)
    v = logits.astype("float64")
    lab = labels.astype("float64")
    expected = lab * softplus(-v) + (1 - lab) * softplus(v)
    rtol = 1e-12 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(cost, expected.astype(dtype), rtol=rtol, atol=0)
    exact_grad = (1 - lab) * sigmoid(v) - lab * sigmoid(-v)  # sigmoid(v) - lab, no cancelling
    np.testing.assert_allclose(grad, exact_grad.astype(dtype), rtol=rtol, atol=1e-30)
    naive_cost, naive_grad = run(
        compile_fn([x, y], [xent, T.grad(xent.sum(), x)], stabilize=False), logits, labels
    )
    assert not np.all(np.isfinite(naive_cost)) and not np.all(np.isfinite(naive_grad))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_crossentropy_of_a_sigmoid(dtype, compile_fn, run):
    x = T.vector("x", dtype=dtype)
    t = T.vector("t", dtype=dtype)
    xent = T.nnet.binary_crossentropy(T.nnet.sigmoid(x), t)
    f = compile_fn([x, t], [xent, T.grad(xent.sum(), x)])
    logits = np.array([-1000.0, -30.0, 0.3, 30.0, 1000.0], dtype=dtype)
    targets = np.array([1.0, 0.25, 0.5, 0.75, 0.0], dtype=dtype)
    cost, grad = run(f, logits, targets)
    v, tv = logits.astype("float64"), targets.astype("float64")
    rtol = 1e-12 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(
        cost, (tv * softplus(-v) + (1 - tv) * softplus(v)).astype(dtype), rtol=rtol
    )
    exact_grad = (1 - tv) * sigmoid(v) - tv * sigmoid(-v)
    np.testing.assert_allclose(grad, exact_grad.astype(dtype), rtol=rtol, atol=1e-30)


def test_ordinary_inputs_agree_with_numpy_naive_formulas(compile_fn):
    x = T.dvector("x")
    value = np.random.RandomState(0).uniform(-5, 5, size=50)
    for _, build, ref, dref, _, _ in FORMS:
        y = build(x)
        got, grad = compile_fn([x], [y, T.grad(y.sum(), x)])(value)
        np.testing.assert_allclose(got, ref(value), rtol=1e-13)
        np.testing.assert_allclose(grad, dref(value), rtol=1e-12)


def test_products_that_do_not_improve_are_left_alone(compile_fn, op_names):
    x = T.dvector("x")
    for y, ops in [
        (T.exp(x) * 3.0, {"Exp"}),
        (1 + T.exp(x), {"Exp"}),
        (T.nnet.sigmoid(x) * T.nnet.sigmoid(-x), {"ScalarSigmoid"}),
    ]:
        names = set(op_names(compile_fn([x], y)))
        assert ops <= names, names
    names = op_names(compile_fn([x], 1 + T.exp(x)))
    assert "ScalarSigmoid" not in names
