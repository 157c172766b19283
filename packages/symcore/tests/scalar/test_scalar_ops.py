"""Scalar types and scalar ops: dtype rules, weak Python scalars, perform, printing, grads."""

import numpy as np
import pytest
import symcore.scalar as S
from symcore.graph.basic import Constant
from symcore.graph.fg import FunctionGraph
from symcore.link.reference import ReferenceLinker


def evaluate(inputs, outputs, *values):
    fg = FunctionGraph(inputs, outputs)
    return ReferenceLinker().make_thunk(fg)(list(values))


def test_scalar_type_identity_and_filter():
    assert S.get_scalar_type("float32") is S.float32
    assert S.ScalarType("float32") == S.float32 and hash(S.ScalarType("float32")) == hash(S.float32)
    assert S.float32 != S.float64
    v = S.float32.filter(1.5)
    assert isinstance(v, np.float32) and v == 1.5
    assert S.int8.filter(3) == 3 and isinstance(S.int8.filter(3), np.int8)
    with pytest.raises(TypeError, match="loss of precision"):
        S.int8.filter(np.float64(1.5))
    with pytest.raises(TypeError, match="shape"):
        S.float64.filter(np.ones(2))
    with pytest.raises(TypeError):
        S.ScalarType("object")
    with pytest.raises(TypeError, match="strict"):
        S.float64.filter(1.0, strict=True)


def test_scalar_constant_and_as_scalar():
    c = S.constant(2.5)
    assert isinstance(c, Constant) and c.type.dtype in ("float64", "float32")
    assert S.constant(3).type.dtype == "int64"
    assert S.constant(True).type.dtype == "bool"
    assert S.constant(np.int16(4)).type.dtype == "int16"
    assert str(S.constant(2, dtype="int8")) == "2"
    x = S.float64()
    assert S.as_scalar(x) is x


@pytest.mark.parametrize("op, dtypes", [
    (S.add, ("int8", "int8")), (S.add, ("int32", "float32")), (S.add, ("uint8", "int8")),
    (S.mul, ("bool", "bool")), (S.true_div, ("int16", "int16")),
    (S.true_div, ("float32", "float32")),
    (S.int_div, ("int64", "float32")), (S.pow, ("int8", "int8")), (S.maximum, ("uint64", "int64")),
    (S.exp, ("int8",)), (S.exp, ("int32",)), (S.exp, ("float16",)), (S.sqrt, ("complex64",)),
    (S.abs, ("complex128",)), (S.lt, ("int8", "float64")), (S.floor, ("float32",)),
    (S.arctan2, ("float32", "int8")),
])
def test_output_dtypes_follow_numpy(op, dtypes):
    ins = [S.get_scalar_type(d)() for d in dtypes]
    out = op(*ins)
    arrays = [np.ones(2, dtype=d) for d in dtypes]
    want = op.nfunc(*arrays).dtype
    assert out.type.dtype == want.name


def test_true_div_of_integers_is_float64_and_inv_of_int_is_float():
    assert S.true_div(S.int8(), S.int8()).type.dtype == "float64"
    assert S.inv(S.int32()).type.dtype == "float64"
    assert S.inv(S.float32()).type.dtype == "float32"


def test_weak_python_scalars():
    x, i8 = S.float32(), S.int8()
    assert (x * 0.1).type.dtype == "float32"
    assert (i8 + 1).type.dtype == "int8"
    assert (i8 * 0.5).type.dtype == "float64"
    assert (2 - x).type.dtype == "float32"
    assert S.add(1, 2.5).type.dtype in ("float64", "float32")
    with pytest.raises(OverflowError):
        i8 + 1000


def test_bool_refusals_name_the_op():
    b = S.bool()
    with pytest.raises(TypeError, match="sub"):
        b - b
    with pytest.raises(TypeError, match="neg"):
        _ = -b
    with pytest.raises(TypeError, match="and_.*float"):
        S.float64() & S.float64()


def test_value_semantics_and_names():
    assert S.Add() == S.add and hash(S.Add()) == hash(S.add)
    assert S.add != S.mul
    assert str(S.add) == "add" and str(S.true_div) == "true_div"
    assert S.Cast("int8") == S.Cast("int8") and S.Cast("int8") != S.Cast("int16")
    assert str(S.Cast("float32")) == "Cast{float32}"
    assert S.add.commutative and S.add.associative and S.add.identity == 0
    assert S.mul.identity == 1 and not S.sub.commutative


def test_perform_on_scalar_graph():
    x, y = S.float64("x"), S.float64("y")
    out = S.exp(x) * y - S.sqrt(y) / 2
    (r,) = evaluate([x, y], [out], np.float64(0.5), np.float64(4.0))
    assert isinstance(r, np.float64)
    np.testing.assert_allclose(r, np.exp(0.5) * 4 - 1)


def test_impl_and_compute():
    assert S.add.impl(1, 2) == 3
    np.testing.assert_allclose(S.round_half_away_from_zero.impl(-2.5), -3.0)
    np.testing.assert_allclose(S.round_half_to_even.impl(2.5), 2.0)
    np.testing.assert_array_equal(S.add.compute(np.ones(2), np.ones(2), np.ones(2)), [3, 3])
    np.testing.assert_allclose(S.scalar_sigmoid.impl(0.0), 0.5)
    np.testing.assert_allclose(S.scalar_softplus.impl(800.0), 800.0)


def test_cast_helper():
    x = S.float64()
    assert S.cast(x, "float64") is x
    c = S.cast(x, "int32")
    assert c.type.dtype == "int32" and isinstance(c.owner.op, S.Cast)
    (r,) = evaluate([x], [c], np.float64(-2.7))
    assert r == -2 and isinstance(r, np.int32)


def test_switch_dtype_ignores_condition():
    c = S.bool()
    out = S.switch(c, S.float32(), 0)
    assert out.type.dtype == "float32"
    out = S.switch(S.float64(), S.int8(), S.int8())
    assert out.type.dtype == "int8"


def test_complex_op():
    out = S.complex(S.float32(), S.float32())
    assert out.type.dtype == "complex64"
    assert S.complex(S.float64(), S.int32()).type.dtype == "complex128"
    with pytest.raises(TypeError, match="real inputs"):
        S.complex(S.complex64(), S.float32())


def test_scalar_gradients_build_scalar_graphs():
    x, y = S.float64("x"), S.float64("y")
    out = S.exp(x) * S.sin(y)
    gz = S.float64("gz")
    gx, gy = out.owner.op.L_op(out.owner.inputs, out.owner.outputs, [gz])
    assert isinstance(gx.type, S.ScalarType) and isinstance(gy.type, S.ScalarType)
    a, b = out.owner.inputs
    vals = evaluate([x, y, gz], [gx, gy], np.float64(0.3), np.float64(1.1), np.float64(2.0))
    np.testing.assert_allclose(vals[0], 2.0 * np.sin(1.1))
    np.testing.assert_allclose(vals[1], 2.0 * np.exp(0.3))
    (g,) = S.sin.L_op([y], [S.sin(y)], [gz])
    (r,) = evaluate([y, gz], [g], np.float64(1.1), np.float64(2.0))
    np.testing.assert_allclose(r, 2.0 * np.cos(1.1))


@pytest.mark.parametrize("op, point, ref_grad", [
    (S.exp, 0.3, np.exp), (S.log, 0.7, lambda v: 1 / v),
    (S.tanh, 0.4, lambda v: 1 - np.tanh(v) ** 2),
    (S.erf, 0.2, lambda v: 2 / np.sqrt(np.pi) * np.exp(-v * v)),
    (S.scalar_sigmoid, 0.5, lambda v: (1 / (1 + np.exp(-v))) * (1 - 1 / (1 + np.exp(-v)))),
    (S.scalar_softplus, -0.3, lambda v: 1 / (1 + np.exp(-v))),
    (S.gammaln, 1.7, None), (S.arcsinh, 0.9, lambda v: 1 / np.sqrt(v * v + 1)),
])
def test_unary_scalar_gradients_against_finite_differences(op, point, ref_grad):
    x, gz = S.float64(), S.float64()
    out = op(x)
    (g,) = op.L_op([x], [out], [gz])
    (r,) = evaluate([x, gz], [g], np.float64(point), np.float64(1.0))
    eps = 1e-6
    num = (op.impl(point + eps) - op.impl(point - eps)) / (2 * eps)
    np.testing.assert_allclose(r, num, rtol=1e-6)
    if ref_grad is not None:
        np.testing.assert_allclose(r, ref_grad(point), rtol=1e-8)


def test_special_fallbacks_match_scipy():
    import scipy.special as sp
    from symcore.scalar import special as M

    xs = [0.3, 1.0, 2.5, 7.2, -0.4]
    for v in xs:
        assert abs(M._psi_fallback(v) - sp.psi(v)) < 1e-10
        assert abs(M._trigamma_fallback(v) - sp.polygamma(1, v)) < 1e-9
    for v in [-0.99, -0.3, 0.0, 0.5, 0.9]:
        assert abs(M._erfinv_fallback(v) - sp.erfinv(v)) < 1e-10


def test_infer_shape_of_scalar_op_is_empty():
    x = S.float64()
    node = S.exp(x).owner
    assert S.exp.infer_shape(node, [()]) == [()]


def test_round_half_away_from_zero_compute():
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, -0.49999999999999994])
    got = S.round_half_away_from_zero.compute(a)
    np.testing.assert_array_equal(got, [-3, -2, -1, 1, 2, 3, 0, -0.0])
    ints = np.array([1, -3], dtype="int16")
    r = S.round_half_away_from_zero.compute(ints)
    assert r.dtype == np.int16 and not np.shares_memory(r, ints)
