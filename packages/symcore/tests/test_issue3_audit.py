"""Regression tests for the gaps an audit of issue 3 ("symcore core") found against the code.

Each test names the issue line it checks; NumPy (or Theano's documented behaviour, where the
issue asks for Theano's) is the oracle.
"""

import warnings

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.config import config
from symcore.tensor.nnet import LogSumExp

rng = np.random.default_rng(3)


# ---------------------------------------------------------------------------------------
# nnet: "logsumexp ... numerically stable in their own perform"
# (it was a log(sum(exp(x - max))) graph, which a stabilizing rewrite of
# log(sum(exp(a))) -> logsumexp(a) matched again and again, growing the graph)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
@pytest.mark.parametrize("axis,keepdims", [(1, False), (None, False), (0, True)])
def test_logsumexp_compiles_to_one_stable_node(mode, axis, keepdims):
    x = T.dmatrix("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a rewrite stopped after too many applications
        f = symcore.function([x], T.nnet.logsumexp(x, axis=axis, keepdims=keepdims), mode=mode)
    nodes = f.maker.fgraph.toposort()
    assert [type(n.op) for n in nodes].count(LogSumExp) == 1
    assert len(nodes) <= 2, nodes
    a = rng.normal(size=(3, 4)) * 400  # exp overflows without the max factored out
    m = np.max(a, axis=axis, keepdims=True)
    expected = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        expected = np.squeeze(expected, axis=axis)
    np.testing.assert_allclose(f(a), expected)


def test_logsumexp_of_moderate_values_equals_the_naive_formula():
    x = T.ftensor3("x")
    a = rng.normal(size=(2, 3, 4)).astype("float32")
    out = symcore.function([x], T.nnet.logsumexp(x, axis=(0, 2)))(a)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.log(np.exp(a).sum(axis=(0, 2))), rtol=1e-5)


# ---------------------------------------------------------------------------------------
# Input checking: "wrong dtype that would lose precision is a TypeError ... Python lists and
# scalars are accepted as inputs" -- values that convert exactly are not lossy (Theano
# accepts them); Python floats that would be rounded still are TypeErrors.
# ---------------------------------------------------------------------------------------


def test_exact_python_values_are_accepted_by_narrower_inputs():
    assert config.floatX == "float64"  # so that float32 is not floatX here
    fs, fv, i = T.fscalar("fs"), T.fvector("fv"), T.iscalar("i")
    f = symcore.function([fs, fv, i], [fs * 2, fv * 2, i * 2])
    r = f(0.5, [1.0, 2.5], 2.0)
    assert [a.dtype for a in r] == [np.float32, np.float32, np.int32]
    np.testing.assert_array_equal(r[0], np.float32(1.0))
    np.testing.assert_array_equal(r[1], np.array([2.0, 5.0], dtype="float32"))
    np.testing.assert_array_equal(r[2], np.int32(4))


@pytest.mark.parametrize(
    "make,value",
    [
        (T.fscalar, 0.1),  # not exactly representable in float32
        (T.iscalar, 2.5),
        (T.iscalar, float("nan")),
        (T.iscalar, 1e20),  # does not fit int32
        (T.bscalar, 300),
        (T.dscalar, 1 + 1j),  # would drop the imaginary part
    ],
)
def test_lossy_python_values_are_type_errors(make, value):
    x = make("x")
    f = symcore.function([x], x * 1)
    with pytest.raises(TypeError, match="loss of precision"):
        f(value)


@pytest.mark.parametrize(
    "dtype,value,ok",
    [
        ("int8", 127, True),
        ("int8", -128, True),
        ("int8", 128, False),
        ("uint8", -1, False),
        ("uint64", 2**64 - 1, True),
        ("int64", 2**63, False),
        ("float32", 2**24, True),
        ("float32", 2**24 + 1, False),  # not exactly representable in float32
        ("float64", 2**53 + 1, True),  # rounded, as NumPy's safe int64 -> float64 cast
        ("float64", 0.1, True),
        ("bool", True, True),
        ("int32", True, True),
    ],
)
def test_python_scalars_at_the_edges_of_exactness(dtype, value, ok):
    # a Python scalar argument converts only when no value is lost (the fast path for
    # int/float/bool must agree with the general rules)
    x = T.scalar("x", dtype=dtype)
    f = symcore.function([x], x)
    if ok:
        r = f(value)
        assert r.dtype == np.dtype(dtype)
        assert r.item() == (float(value) if dtype.startswith("float") else value)
    else:
        with pytest.raises(TypeError, match="loss of precision"):
            f(value)


def test_shared_set_value_accepts_exact_python_values():
    s = symcore.shared(np.zeros(2, dtype="float32"))
    s.set_value([0.25, -1.5])
    v = s.get_value()
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v, np.array([0.25, -1.5], dtype="float32"))
    with pytest.raises(TypeError):
        s.set_value([0.1, 0.2])


# ---------------------------------------------------------------------------------------
# Elementwise "round" (and round(mode='half_to_even'), NumPy's round): integers stay integers
# of the same dtype, exactly (rint gave float64 and lost int64 precision)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int8", "uint16", "int32", "int64", "bool", "float32"])
@pytest.mark.parametrize("mode", [None, "half_to_even"])
def test_round_keeps_integer_dtypes_like_numpy(dtype, mode):
    v = T.vector("v", dtype=dtype)
    if dtype == "bool":
        a = np.array([True, False])
    elif dtype == "float32":
        a = np.array([0.25, 1.75, -3.0], dtype="float32")
    else:
        a = np.array([0, 1, 100], dtype=dtype)
        if dtype == "int64":
            a[2] = 2**60 + 1  # not representable in float64
    out = T.round(v, mode=mode)
    expected = np.round(a)
    assert out.dtype == expected.dtype.name
    r = symcore.function([v], out)(a)
    assert r.dtype == expected.dtype
    np.testing.assert_array_equal(r, expected)


# ---------------------------------------------------------------------------------------
# as_tensor_variable(x, ndim=...): Theano drops leading broadcastable dimensions
# ---------------------------------------------------------------------------------------


def test_as_tensor_variable_drops_leading_broadcastable_dims():
    r = T.drow("r")
    v = T.as_tensor_variable(r, ndim=1)
    assert v.type == T.dvector().type
    a = rng.normal(size=(1, 4))
    np.testing.assert_array_equal(symcore.function([r], v)(a), a[0])
    t = T.TensorType("float64", (True, True, False))("t")
    assert T.as_tensor_variable(t, ndim=1).broadcastable == (False,)
    assert T.as_tensor_variable(t, ndim=2).broadcastable == (True, False)
    with pytest.raises(TypeError, match="expected 1"):
        T.as_tensor_variable(T.dmatrix("m"), ndim=1)
    with pytest.raises(TypeError, match="expected 1"):
        T.as_tensor_variable(T.dcol("c"), ndim=1)  # the broadcastable dim is not leading
