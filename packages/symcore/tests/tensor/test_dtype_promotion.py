"""NumPy 2 (NEP 50) dtype promotion in elementwise math: strong variables and arrays, weak
Python scalars. NumPy itself is the oracle for every case."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.tensor.math import as_elemwise_inputs


def var(dtype):
    return T.tensor(dtype, (False,))


def run(out, inputs, *values):
    return symcore.function(list(inputs), out)(*values)


def test_float32_sgd_step_stays_float32():
    w, g = T.fvector("w"), T.fvector("g")
    step = w - 0.1 * g
    assert step.dtype == "float32"
    wv, gv = np.ones(3, "float32"), np.full(3, 0.5, "float32")
    r = run(step, [w, g], wv, gv)
    assert r.dtype == np.float32
    np.testing.assert_allclose(r, wv - 0.1 * gv)
    assert (w * 2).dtype == "float32" and (w / 3).dtype == "float32" and (w ** 2).dtype == "float32"
    assert (1.0 - w).dtype == "float32" and T.maximum(w, 0).dtype == "float32"


@pytest.mark.parametrize("d1, d2", [
    ("int32", "float32"), ("uint8", "int8"), ("bool", "bool"), ("int64", "uint64"),
    ("float16", "float32"), ("int8", "int16"), ("uint32", "int32"), ("complex64", "float64"),
    ("bool", "int8"), ("uint16", "float16"), ("int16", "float16"),
])
def test_two_variables_follow_numpy_result_type(d1, d2):
    x, y = var(d1), var(d2)
    a, b = np.ones(2, d1), np.ones(2, d2)
    for fn, ref in [(T.add, np.add), (T.mul, np.multiply), (T.maximum, np.maximum)]:
        out = fn(x, y)
        assert out.dtype == ref(a, b).dtype.name, (fn, d1, d2)
        assert run(out, [x, y], a, b).dtype == ref(a, b).dtype
    assert (x < y).dtype == "bool"


@pytest.mark.parametrize("dtype, scalar", [
    ("int8", 1), ("int8", -128), ("uint8", 255), ("int16", 1.5), ("int32", 0.5), ("float16", 2.0),
    ("float32", 1e-3), ("bool", 1), ("bool", 1.5), ("bool", True), ("complex64", 2.0),
    ("float32", 1j), ("int64", 2**40), ("uint64", 3),
])
def test_weak_python_scalar_follows_numpy(dtype, scalar):
    x = var(dtype)
    a = np.ones(2, dtype)
    for fn, ref in [(T.add, np.add), (T.mul, np.multiply)]:
        out = fn(x, scalar)
        want = ref(a, scalar)
        assert out.dtype == want.dtype.name, (dtype, scalar)
        got = run(out, [x], a)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        assert fn(scalar, x).dtype == want.dtype.name


def test_true_division_of_integers_is_float64():
    for d in ["int8", "int16", "int32", "int64", "uint8", "bool"]:
        assert (var(d) / var(d)).dtype == "float64"
        assert (var(d) / 2).dtype == "float64"
    assert (var("float32") / 2).dtype == "float32"
    assert (var("float16") / var("float16")).dtype == "float16"


def test_out_of_range_python_int_is_an_error_like_numpy():
    with pytest.raises(OverflowError, match="1000.*int8"):
        var("int8") + 1000
    with pytest.raises(OverflowError, match="uint8"):
        var("uint8") + -1
    with pytest.raises(OverflowError):
        np.ones(2, "int8") + 1000  # the oracle agrees


def test_comparisons_with_out_of_range_ints_are_valid_like_numpy():
    x = var("int8")
    a = np.array([-5, 100], "int8")
    out = x < 1000
    assert out.dtype == "bool"
    np.testing.assert_array_equal(run(out, [x], a), a < 1000)
    np.testing.assert_array_equal(run(T.eq(x, 300), [x], a), a == 300)


def test_numpy_scalars_and_arrays_are_strong():
    x = T.fvector()
    assert (x * np.float64(0.1)).dtype == (np.ones(1, "float32") * np.float64(0.1)).dtype.name
    assert (x + np.ones(3)).dtype == "float64"
    assert (x + np.ones(3, "float32")).dtype == "float32"
    assert (x + [1, 2, 3]).dtype == (np.ones(3, "float32") + np.asarray([1, 2, 3])).dtype.name


def test_only_python_scalars_use_defaults():
    from symcore.config import config

    assert T.add(1, 2).dtype == "int64"
    assert T.mul(2, 0.5).dtype == np.result_type(np.dtype(config.floatX), 2).name
    assert T.exp(1).dtype == "float64"


def test_as_elemwise_inputs_conversion():
    x = T.fvector()
    a, b, c = as_elemwise_inputs(x, 0.1, 3)
    assert a is x
    assert b.dtype == "float32" and c.dtype == "float32"
    i8 = T.bvector()
    (_, one) = as_elemwise_inputs(i8, 1)
    assert one.dtype == "int8"
    (_, half) = as_elemwise_inputs(i8, 0.5)
    assert half.dtype == "float64"
    (_, big) = as_elemwise_inputs(i8, 1000, overflow="strong")
    assert big.dtype == "int64"


def test_bool_arithmetic():
    b = var("bool")
    a = np.array([True, False])
    assert (b + b).dtype == "bool"
    np.testing.assert_array_equal(run(b + b, [b], a), a + a)
    assert (b + 1).dtype == "int64" and (b * 1.5).dtype == "float64"
    with pytest.raises(TypeError, match="sub"):
        b - b
    with pytest.raises(TypeError, match="neg"):
        _ = -b


def test_unary_float_functions_of_integers_follow_numpy():
    for d in ["bool", "int8", "uint8", "int16", "int32", "int64", "uint64"]:
        assert T.exp(var(d)).dtype == np.exp(np.ones(1, d)).dtype.name
        assert T.sqrt(var(d)).dtype == np.sqrt(np.ones(1, d)).dtype.name


def test_switch_branches_promote_condition_does_not():
    c = var("bool")
    assert T.switch(c, var("float32"), 0).dtype == "float32"
    assert T.switch(c, var("int8"), var("float32")).dtype == "float32"
    assert T.switch(var("float64"), var("int8"), var("int8")).dtype == "int8"


def test_mean_of_float32_stays_float32():
    x = T.fmatrix()
    assert x.mean().dtype == "float32"
    assert (x - x.mean(axis=0)).dtype == "float32"
    a = np.ones((2, 3), "float32")
    got = run(x - 0.5 * x.mean(axis=0), [x], a)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, a - 0.5 * a.mean(axis=0))
