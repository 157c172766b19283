"""Elementwise math functions against NumPy/SciPy, their dtypes, and their gradients."""

import math

import numpy as np
import pytest
import scipy.special as sp
import symcore
import symcore.tensor as T
from symcore.gradient import Lop, grad

rng = np.random.default_rng(7)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs, on_unused_input="ignore")(*values)


def _round_away(x):
    """Round half away from zero, exactly (decimal arithmetic on the exact binary value)."""
    from decimal import ROUND_HALF_UP, Decimal

    one = Decimal(1)
    return np.array([float(Decimal(float(v)).quantize(one, rounding=ROUND_HALF_UP)) for v in x])


# name, numpy oracle, domain (low, high)
UNARY = [
    ("exp", np.exp, (-3, 3)), ("exp2", np.exp2, (-3, 3)), ("expm1", np.expm1, (-3, 3)),
    ("log", np.log, (0.1, 5)), ("log2", np.log2, (0.1, 5)), ("log10", np.log10, (0.1, 5)),
    ("log1p", np.log1p, (-0.5, 5)), ("sqrt", np.sqrt, (0.1, 5)),
    ("sin", np.sin, (-3, 3)), ("cos", np.cos, (-3, 3)), ("tan", np.tan, (-1.2, 1.2)),
    ("arcsin", np.arcsin, (-0.9, 0.9)), ("arccos", np.arccos, (-0.9, 0.9)),
    ("arctan", np.arctan, (-3, 3)), ("sinh", np.sinh, (-3, 3)), ("cosh", np.cosh, (-3, 3)),
    ("tanh", np.tanh, (-3, 3)), ("arcsinh", np.arcsinh, (-3, 3)), ("arccosh", np.arccosh, (1.1, 4)),
    ("arctanh", np.arctanh, (-0.9, 0.9)), ("neg", np.negative, (-3, 3)), ("abs", np.abs, (-3, 3)),
    ("sgn", np.sign, (-3, 3)), ("inv", np.reciprocal, (0.5, 3)), ("sqr", np.square, (-3, 3)),
    ("floor", np.floor, (-3, 3)), ("ceil", np.ceil, (-3, 3)), ("trunc", np.trunc, (-3, 3)),
    ("round_half_to_even", np.round, (-3, 3)),
    ("erf", sp.erf, (-2, 2)), ("erfc", sp.erfc, (-2, 2)), ("erfinv", sp.erfinv, (-0.9, 0.9)),
    ("gamma", sp.gamma, (0.5, 4)), ("gammaln", sp.gammaln, (0.5, 4)), ("psi", sp.psi, (0.5, 4)),
    ("tri_gamma", lambda x: sp.polygamma(1, x), (0.5, 4)),
    ("sigmoid", sp.expit, (-5, 5)), ("softplus", lambda x: np.logaddexp(0, x), (-5, 5)),
    ("log1mexp", lambda x: np.log(-np.expm1(x)), (-5, -0.1)),
    ("isnan", np.isnan, (-3, 3)), ("isinf", np.isinf, (-3, 3)),
    ("tensor_copy", np.copy, (-3, 3)),
]

DIFFERENTIABLE_UNARY = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "neg", "abs", "inv", "sqr", "erf", "erfc", "erfinv", "gamma", "gammaln", "psi",
    "sigmoid", "softplus", "log1mexp", "tensor_copy",
]


@pytest.mark.parametrize("name, ref, dom", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_matches_numpy(name, ref, dom, dtype):
    x = T.tensor(dtype, (False, False))
    a = rng.uniform(*dom, size=(3, 4)).astype(dtype)
    out = getattr(T, name)(x)
    got = run(out, [x], a)
    want = np.asarray(ref(a))
    assert got.dtype.name == out.dtype
    if want.dtype.kind == "f":
        assert out.dtype == dtype  # float inputs keep their precision
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


@pytest.mark.parametrize("name", ["exp", "sin", "sqrt", "log1p", "tanh"])
@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "bool"])
def test_unary_float_functions_of_integers_follow_numpy_dtypes(name, dtype):
    x = T.tensor(dtype, (False,))
    a = np.array([0, 1, 1], dtype=dtype)
    ref = getattr(np, name)(a)
    out = getattr(T, name)(x)
    assert out.dtype == ref.dtype.name
    np.testing.assert_allclose(run(out, [x], a), ref, rtol=1e-3)


# name, numpy oracle, domain of both operands
BINARY = [
    ("add", np.add, (-3, 3)), ("sub", np.subtract, (-3, 3)), ("mul", np.multiply, (-3, 3)),
    ("true_div", np.true_divide, (0.5, 3)), ("int_div", np.floor_divide, (0.5, 7)),
    ("mod", np.mod, (-7, 7)), ("pow", np.power, (0.5, 2)), ("maximum", np.maximum, (-3, 3)),
    ("minimum", np.minimum, (-3, 3)), ("arctan2", np.arctan2, (-3, 3)),
    ("eq", np.equal, (-1, 1)), ("neq", np.not_equal, (-1, 1)), ("lt", np.less, (-3, 3)),
    ("le", np.less_equal, (-3, 3)), ("gt", np.greater, (-3, 3)), ("ge", np.greater_equal, (-3, 3)),
]


@pytest.mark.parametrize("name, ref, dom", BINARY, ids=[b[0] for b in BINARY])
def test_binary_matches_numpy_with_broadcasting(name, ref, dom):
    x, y = T.dmatrix(), T.drow()
    a = rng.uniform(*dom, size=(3, 4))
    b = rng.uniform(*dom, size=(1, 4))
    if name in ("eq", "neq"):
        a, b = np.round(a), np.round(b)
    out = getattr(T, name)(x, y)
    got = run(out, [x, y], a, b)
    want = ref(a, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("name, ref", [
    ("int_div", np.floor_divide), ("mod", np.mod), ("pow", np.power), ("add", np.add),
    ("mul", np.multiply), ("true_div", np.true_divide), ("maximum", np.maximum),
])
@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint16"])
def test_integer_arithmetic_matches_numpy(name, ref, dtype):
    x, y = T.tensor(dtype, (False,)), T.tensor(dtype, (False,))
    lo = 0 if dtype.startswith("u") else -9
    a = rng.integers(lo, 10, size=8).astype(dtype)
    b = rng.integers(1, 4, size=8).astype(dtype)
    out = getattr(T, name)(x, y)
    want = ref(a, b)
    got = run(out, [x, y], a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_operators_on_variables():
    x, y = T.dvector(), T.dvector()
    a, b = rng.uniform(1, 3, 5), rng.uniform(1, 3, 5)
    outs = [x + y, x - y, x * y, x / y, x // y, x % y, x ** y, -x, abs(-x), x < y, x <= y,
            x > y, x >= y, 2 - x, 2 / x, 2 ** x, 3 // x, 3 % x]
    got = run(outs, [x, y], a, b)
    want = [a + b, a - b, a * b, a / b, a // b, a % b, a ** b, -a, a, a < b, a <= b, a > b,
            a >= b, 2 - a, 2 / a, 2 ** a, 3 // a, 3 % a]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w)
    i, j = T.ivector(), T.ivector()
    p, q = np.array([1, 6, 12], "int32"), np.array([3, 5, 10], "int32")
    got = run([i & j, i | j, i ^ j, ~i, 1 & i], [i, j], p, q)
    for g, w in zip(got, [p & q, p | q, p ^ q, ~p, 1 & p], strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


def test_nary_add_and_mul():
    x, y, z = T.dvectors("x", "y", "z")
    a, b, c = rng.random(3), rng.random(3), rng.random(3)
    np.testing.assert_allclose(run(T.add(x, y, z), [x, y, z], a, b, c), a + b + c)
    np.testing.assert_allclose(run(T.mul(x, y, z), [x, y, z], a, b, c), a * b * c)
    assert len(T.add(x, y, z).owner.inputs) == 3


def test_bitwise_refuses_floats():
    with pytest.raises(TypeError, match="and_.*float64"):
        T.and_(T.dvector(), T.dvector())
    with pytest.raises(TypeError, match="invert.*float32"):
        ~T.fvector()


def test_bool_logic():
    x, y = T.tensor("bool", (False,)), T.tensor("bool", (False,))
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    got = run([x & y, x | y, x ^ y, ~x, x + y, x * y], [x, y], a, b)
    for g, w in zip(got, [a & b, a | b, a ^ b, ~a, a + b, a * b], strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_nan_and_inf_propagate_like_numpy():
    x, y = T.dvector(), T.dvector()
    a = np.array([np.nan, np.inf, -np.inf, 1.0, 0.0])
    b = np.array([1.0, np.nan, 2.0, np.inf, -0.0])
    with np.errstate(invalid="ignore"):  # inf / inf, as NumPy warns
        outs = [T.maximum(x, y), T.minimum(x, y), T.isnan(x), T.isinf(x), T.exp(x), x / y]
        got = run(outs, [x, y], a, b)
    with np.errstate(all="ignore"):
        want = [np.maximum(a, b), np.minimum(a, b), np.isnan(a), np.isinf(a), np.exp(a), a / b]
    for g, w in zip(got, want, strict=True):
        # NaN/Inf exactly where NumPy has them; finite values within a few ulp (compiled
        # backends may use vectorized exp, e.g. glibc's libmvec)
        np.testing.assert_allclose(g, w, rtol=1e-15, atol=0)


def test_round_modes():
    x = T.dvector()
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, -0.7, 3.2])
    np.testing.assert_array_equal(run(T.round(x), [x], a), _round_away(a))
    np.testing.assert_array_equal(run(T.round(x, "half_away_from_zero"), [x], a), _round_away(a))
    np.testing.assert_array_equal(run(T.round(x, "half_to_even"), [x], a), np.round(a))
    np.testing.assert_array_equal(run(x.round(), [x], a), _round_away(a))
    r = run(T.iround(x), [x], a)
    assert r.dtype == np.int64
    np.testing.assert_array_equal(r, _round_away(a).astype("int64"))
    with pytest.raises(ValueError, match="mode"):
        T.round(x, "up")
    i = T.ivector()
    np.testing.assert_array_equal(run(T.round(i), [i], np.array([1, -2], "int32")), [1, -2])


def test_switch_and_where():
    c, x, y = T.tensor("bool", (False,)), T.fvector(), T.fvector()
    cv = np.array([True, False, True])
    a, b = rng.random(3).astype("f"), rng.random(3).astype("f")
    out = T.switch(c, x, y)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(run(out, [c, x, y], cv, a, b), np.where(cv, a, b))
    out = T.where(x > 0.5, x, 0)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(run(out, [x], a), np.where(a > 0.5, a, 0))
    m = T.dmatrix()
    out = T.switch(m > 0, 1, 0)
    assert out.dtype == "int64"
    mv = rng.uniform(-1, 1, (2, 3))
    np.testing.assert_array_equal(run(out, [m], mv), np.where(mv > 0, 1, 0))


def test_clip():
    x = T.fmatrix()
    a = rng.uniform(-2, 2, (3, 4)).astype("f")
    out = T.clip(x, -0.5, 0.5)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(run(out, [x], a), np.clip(a, -0.5, 0.5))
    np.testing.assert_array_equal(run(x.clip(0, 1), [x], a), np.clip(a, 0, 1))
    lo, hi = T.fscalar(), T.fscalar()
    np.testing.assert_array_equal(run(T.clip(x, lo, hi), [x, lo, hi], a, -1, 1), np.clip(a, -1, 1))


def test_cast():
    x = T.dvector()
    a = np.array([-1.7, 0.2, 300.9])
    for dt in ["int8", "int32", "float32", "bool", "uint16", "complex64"]:
        out = T.cast(x, dt)
        assert out.dtype == dt
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(run(out, [x], a), a.astype(dt))
    assert T.cast(x, "float64") is x
    assert x.astype("float32").dtype == "float32"
    z = T.zvector()
    zv = np.array([1 + 2j, -3 - 1j])
    np.testing.assert_array_equal(run(T.cast(z, "float64"), [z], zv), zv.real)


def test_cast_floatX():
    from symcore.config import config

    assert T.cast(T.ivector(), "floatX").dtype == config.floatX


def test_fill_and_second():
    x = T.fmatrix()
    out = T.fill(x, 3)
    assert out.dtype == "float32" and out.type.broadcastable == (False, False)
    a = np.ones((2, 3), "f")
    np.testing.assert_array_equal(run(out, [x], a), np.full((2, 3), 3, "f"))
    np.testing.assert_array_equal(run(x.fill(2.5), [x], a), np.full((2, 3), 2.5, "f"))
    assert T.second is T.fill


def test_complex_parts():
    z = T.zvector()
    v = np.array([1 + 2j, -3 - 1j, 0j, -2 + 0j])
    outs = [T.real(z), T.imag(z), T.angle(z), T.conj(z), abs(z), z.real, z.imag, z.conj()]
    got = run(outs, [z], v)
    want = [v.real, v.imag, np.angle(v), np.conj(v), np.abs(v), v.real, v.imag, np.conj(v)]
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w)
    assert T.real(T.cvector()).dtype == "float32" and abs(T.cvector()).dtype == "float32"
    re, im = T.fvector(), T.fvector()
    out = T.complex(re, im)
    assert out.dtype == "complex64"
    got = run(out, [re, im], np.array([1, 2], "f"), np.array([3, 4], "f"))
    np.testing.assert_array_equal(got, np.array([1 + 3j, 2 + 4j], "complex64"))
    x = T.dvector()
    a = np.array([-1.0, 2.0])
    got = run([T.real(x), T.imag(x), T.conj(x), T.angle(x)], [x], a)
    for g, w in zip(got, [a, np.zeros(2), a, np.angle(a)], strict=True):
        np.testing.assert_allclose(g, w)


def test_real_of_real_input_is_a_copy():
    x = T.dvector()
    a = np.ones(3)
    assert not np.shares_memory(run(T.real(x), [x], a), a)


def test_isclose():
    x, y = T.dvector(), T.dvector()
    a = np.array([1.0, 1.0, np.nan, np.inf, 1.0, -np.inf])
    b = np.array([1.0 + 1e-9, 1.1, np.nan, np.inf, np.inf, np.inf])
    with np.errstate(invalid="ignore"):  # inf - inf is computed, then discarded by the switch
        np.testing.assert_array_equal(run(T.isclose(x, y), [x, y], a, b), np.isclose(a, b))
        np.testing.assert_array_equal(run(T.isclose(x, y, equal_nan=True), [x, y], a, b),
                                      np.isclose(a, b, equal_nan=True))


def test_sigmoid_softplus_are_stable():
    x = T.dvector()
    a = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow inside perform
        s, p = run([T.sigmoid(x), T.softplus(x)], [x], a)
    np.testing.assert_allclose(s, sp.expit(a))
    np.testing.assert_allclose(p, np.logaddexp(0, a))
    assert np.all(np.isfinite(p))
    f = T.fvector()
    assert T.sigmoid(f).dtype == "float32" and T.softplus(f).dtype == "float32"


def test_log1mexp_accuracy():
    x = T.dvector()
    a = np.array([-1e-10, -0.1, -0.7, -5.0, -50.0])
    want = np.log(-np.expm1(a))
    want[-1] = -np.exp(-50.0)  # log1p(-e) = -e - e**2/2 - ...; NumPy's log(-expm1) rounds to 0 here
    np.testing.assert_allclose(run(T.log1mexp(x), [x], a), want, rtol=1e-12)


def test_special_functions_refuse_complex():
    with pytest.raises(TypeError, match="complex"):
        T.erf(T.zvector())


def test_pow_integer_negative_power_errors_at_run_time():
    x, y = T.ivector(), T.ivector()
    f = symcore.function([x, y], x ** y)
    with pytest.raises(ValueError, match="pow"):
        f(np.array([2], "int32"), np.array([-1], "int32"))


def test_error_message_names_op_shapes_and_dtypes():
    x, y = T.fmatrix(), T.fmatrix()
    f = symcore.function([x, y], T.mul(x, y))
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3), "f"), np.ones((3, 2), "f"))
    msg = str(info.value)
    assert "mul" in msg and "(2, 3)" in msg and "(3, 2)" in msg and "float32" in msg


def test_empty_and_strided_inputs():
    x, y = T.dmatrix(), T.dmatrix()
    e = np.ones((0, 3))
    got = run([T.exp(x) * y, T.maximum(x, y)], [x, y], e, e)
    assert all(g.shape == (0, 3) for g in got)
    base = rng.random((8, 10))
    a, b = base[::-2, 1::3], base[1::2, ::-3][:, :3]
    got = run(T.arctan2(x, y) + T.log1p(x), [x, y], a, b)
    np.testing.assert_allclose(got, np.arctan2(a, b) + np.log1p(a))


def test_aliases():
    assert T.abs_ is T.abs and T.floor_div is T.int_div and T.where is T.switch
    assert T.inv is T.reciprocal and T.lgamma is T.gammaln and T.bitwise_not is T.invert
    for name in ["abs_", "inv", "sgn", "sqr", "pow", "maximum", "minimum", "neq", "eq", "true_div",
                 "int_div", "floor_div", "mul", "add", "sub", "neg", "switch", "where", "clip"]:
        assert callable(getattr(T, name))


# ---------------------------------------------------------------------------------------
# Gradients: the elementwise derivative from L_op against central differences
# ---------------------------------------------------------------------------------------

def _elementwise_grad_check(name, inputs_np, ref, eps=1e-6, rtol=1e-5):
    """For out = f(x1..xn) (same shapes), check Lop(out, xi, r) == r * d ref / d xi."""
    xs = [T.tensor("float64", (False,) * v.ndim) for v in inputs_np]
    out = getattr(T, name)(*xs)
    r = rng.uniform(0.5, 1.5, size=out_shape(inputs_np)).astype("float64")
    rv = T.tensor("float64", (False,) * r.ndim)
    gs = Lop(out, xs, rv, disconnected_inputs="ignore")
    got = run(gs, xs + [rv], *inputs_np, r)
    for i, g in enumerate(got):
        plus = [v.copy() for v in inputs_np]
        minus = [v.copy() for v in inputs_np]
        plus[i] = plus[i] + eps
        minus[i] = minus[i] - eps
        num = (np.asarray(ref(*plus), "float64") - np.asarray(ref(*minus), "float64")) / (2 * eps)
        np.testing.assert_allclose(g, r * num, rtol=rtol, atol=1e-6, err_msg=f"{name} input {i}")


def out_shape(values):
    return np.broadcast_shapes(*[v.shape for v in values])


_REF = {u[0]: u for u in UNARY}


@pytest.mark.parametrize("name", DIFFERENTIABLE_UNARY)
def test_unary_gradients(name):
    _, ref, dom = _REF[name]
    lo, hi = dom
    a = rng.uniform(lo, hi, size=(2, 3))
    if name == "abs":
        a = np.where(np.abs(a) < 0.1, 0.5, a)
    _elementwise_grad_check(name, [a], ref)


_NON_DIFFERENTIABLE = ("int_div", "eq", "neq", "lt", "le", "gt", "ge")
_DIFF_BINARY = [b for b in BINARY if b[0] not in _NON_DIFFERENTIABLE]


@pytest.mark.parametrize("name, ref, dom", _DIFF_BINARY, ids=[b[0] for b in _DIFF_BINARY])
def test_binary_gradients(name, ref, dom):
    a = rng.uniform(*dom, size=(2, 3))
    b = rng.uniform(*dom, size=(2, 3))
    if name in ("maximum", "minimum"):
        b = np.where(np.abs(a - b) < 0.1, a + 0.5, b)
    if name == "mod":
        a = rng.uniform(0.2, 0.9, (2, 3)) + 3 * np.arange(6).reshape(2, 3)
        b = rng.uniform(1.1, 1.9, (2, 3))
        a = np.where(np.abs(np.mod(a, b)) < 0.05, a + 0.2, a)
    _elementwise_grad_check(name, [a, b], ref)


def test_clip_and_switch_gradients():
    x, lo, hi = T.dvector(), T.dvector(), T.dvector()
    a = np.array([-2.0, 0.0, 2.0])
    lv, hv = np.full(3, -1.0), np.full(3, 1.0)
    r = np.array([1.0, 2.0, 3.0])
    g = run(Lop(T.clip(x, lo, hi), [x, lo, hi], T.constant(r)), [x, lo, hi], a, lv, hv)
    np.testing.assert_allclose(g[0], [0, 2, 0])
    np.testing.assert_allclose(g[1], [1, 0, 0])
    np.testing.assert_allclose(g[2], [0, 0, 3])
    c = T.tensor("bool", (False,))
    y = T.dvector()
    gx, gy = run(Lop(T.switch(c, x, y), [x, y], T.constant(r)), [c, x, y],
                 np.array([True, False, True]), a, a)
    np.testing.assert_allclose(gx, [1, 0, 3])
    np.testing.assert_allclose(gy, [0, 2, 0])


def test_zero_gradients_of_piecewise_constant_functions():
    x = T.dvector()
    a = rng.uniform(-3, 3, 4)
    for fn in [T.floor, T.ceil, T.trunc, T.round, T.sgn, lambda v: T.cast(v > 0, "float64")]:
        g = run(Lop(fn(x), x, T.constant(np.ones(4))), [x], a)
        np.testing.assert_array_equal(g, np.zeros(4))


def test_gradient_keeps_float32():
    x = T.fvector()
    g = Lop(T.exp(x) * 0.5 + T.sigmoid(x), x, T.constant(np.ones(3, "f")))
    assert g.dtype == "float32"
    y = T.dvector()
    gx, gy = Lop(x * y, [x, y], T.constant(np.ones(3)))
    assert gx.dtype == "float32" and gy.dtype == "float64"


def test_gradient_of_integer_inputs_is_zero():
    i, x = T.ivector(), T.dvector()
    gi, gx = Lop(i * x, [i, x], T.constant(np.ones(3)))
    got = run([gi, gx], [i, x], np.array([1, 2, 3], "int32"), np.ones(3))
    np.testing.assert_array_equal(got[0], np.zeros(3))
    np.testing.assert_array_equal(got[1], [1, 2, 3])


def test_scalar_cost_gradient_through_grad():
    x, y = T.dscalar(), T.dscalar()
    cost = T.exp(x) * y + T.sin(x) / y + x ** 2
    gx, gy = grad(cost, [x, y])
    got = run([gx, gy], [x, y], 0.3, 1.7)
    np.testing.assert_allclose(got[0], np.exp(0.3) * 1.7 + np.cos(0.3) / 1.7 + 0.6)
    np.testing.assert_allclose(got[1], np.exp(0.3) - np.sin(0.3) / 1.7 ** 2)


def test_complex_gradients_of_real_costs():
    re, im = T.dvector(), T.dvector()
    z = T.complex(re, im)
    a, b = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    r = T.constant(np.ones(2))
    for expr, dre, dim in [
        (abs(z), a / np.hypot(a, b), b / np.hypot(a, b)),
        (T.real(z * z), 2 * a, -2 * b),
        (T.imag(T.conj(z)), 0 * a, -np.ones(2)),
        (T.angle(z), -b / (a * a + b * b), a / (a * a + b * b)),
    ]:
        g = run(Lop(expr, [re, im], r), [re, im], a, b)
        np.testing.assert_allclose(g[0], dre, atol=1e-12)
        np.testing.assert_allclose(g[1], dim, atol=1e-12)


def test_nary_gradients():
    x, y, z = T.dvectors("x", "y", "z")
    a, b, c = rng.random(3) + 0.5, rng.random(3) + 0.5, rng.random(3) + 0.5
    one = T.constant(np.ones(3))
    grads = Lop(T.mul(x, y, z), [x, y, z], one) + Lop(T.add(x, y, z), [x, y, z], one)
    got = run(grads, [x, y, z], a, b, c)
    for g, w in zip(got, [b * c, a * c, a * b, np.ones(3), np.ones(3), np.ones(3)], strict=True):
        np.testing.assert_allclose(g, w)


def test_r_op_matches_jacobian_vector_product():
    from symcore.gradient import Rop

    x, y, v, w = T.dvectors("x", "y", "v", "w")
    out = T.exp(x) * T.sin(y)
    r = Rop(out, [x, y], [v, w])
    a, b, va, wa = rng.random(3), rng.random(3), rng.random(3), rng.random(3)
    np.testing.assert_allclose(run(r, [x, y, v, w], a, b, va, wa),
                               np.exp(a) * np.sin(b) * va + np.exp(a) * np.cos(b) * wa)
    node = out.owner
    rop = node.op.R_op(node.inputs, [v, w])
    # the node is mul(exp(x), sin(y)): its R_op is sin(y) * v + exp(x) * w
    np.testing.assert_allclose(run(rop[0], [x, y, v, w], a, b, va, wa),
                               np.sin(b) * va + np.exp(a) * wa)


def test_math_module_is_pure_elemwise():
    from symcore.tensor.elemwise import Elemwise

    for name in ["add", "exp", "log1mexp", "sigmoid", "erf", "switch", "clip", "conj"]:
        assert isinstance(getattr(T, name), Elemwise), name
    assert str(T.sigmoid) == "sigmoid"
    s = T.dscalar()
    assert math.isclose(float(run(T.sigmoid(s), [s], 0.0)), 0.5)
