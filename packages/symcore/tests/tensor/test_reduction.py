"""Reductions: sum/prod/max/min/argmax/argmin/max_and_argmax/any/all and mean/var/std/norm,
against NumPy (axes incl. negative and tuples, keepdims, dtypes, empty and strided inputs),
their Ops (props, str, normalisation, infer_shape) and gradients."""

import numpy as np
import pytest
import symcore
import symcore.scalar as S
import symcore.tensor as T
from symcore.gradient import Rop, grad, verify_grad
from symcore.tensor.reduction import (
    All,
    Any,
    Argmax,
    Argmin,
    CAReduce,
    Max,
    MaxAndArgmax,
    Min,
    Prod,
    ProdWithoutZeros,
    Sum,
)
from symcore.tensor.shape import shape_i

rng = np.random.default_rng(1234)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


def check_infer_shape(out, inputs, values):
    """The Op's ``infer_shape`` evaluates to the shape of the value it computes."""
    node = out.owner
    in_shapes = [tuple(shape_i(v, d) for d in range(v.ndim)) for v in node.inputs]
    shapes = node.op.infer_shape(node, in_shapes)
    idx = node.outputs.index(out)
    flat = [T.as_tensor_variable(s) for s in shapes[idx]]
    val = run([out] + flat, inputs, *values)
    assert tuple(int(s) for s in val[1:]) == val[0].shape


AXES_3D = [None, 0, 1, 2, -1, -3, (0, 2), (-1, 0), (0, 1, 2), (), [1]]


# ---------------------------------------------------------------------------------------
# sum / prod
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", AXES_3D)
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_prod_axes_match_numpy(axis, keepdims):
    x = T.dtensor3("x")
    a = rng.normal(size=(2, 3, 4))
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    s, p = run(
        [T.sum(x, axis=axis, keepdims=keepdims), T.prod(x, axis=axis, keepdims=keepdims)], [x], a
    )
    np.testing.assert_allclose(s, np.sum(a, axis=np_axis, keepdims=keepdims))
    np.testing.assert_allclose(p, np.prod(a, axis=np_axis, keepdims=keepdims))
    assert s.dtype == p.dtype == np.float64


def test_methods_and_numpy_integer_axis():
    x = T.dmatrix("x")
    a = rng.normal(size=(3, 5))
    out = run(
        [x.sum(axis=np.int64(1)), x.prod(0), x.sum(axis=T.constant(-1)), x.max(), x.min(axis=1)],
        [x],
        a,
    )
    np.testing.assert_allclose(out[0], a.sum(1))
    np.testing.assert_allclose(out[1], a.prod(0))
    np.testing.assert_allclose(out[2], a.sum(-1))
    assert out[3] == a.max() and np.array_equal(out[4], a.min(1))


@pytest.mark.parametrize(
    "dtype, expected",
    [
        ("bool", "int64"),
        ("int8", "int64"),
        ("int16", "int64"),
        ("int32", "int64"),
        ("int64", "int64"),
        ("uint8", "uint64"),
        ("uint32", "uint64"),
        ("float16", "float16"),
        ("float32", "float32"),
        ("float64", "float64"),
        ("complex64", "complex64"),
        ("complex128", "complex128"),
    ],
)
def test_sum_prod_default_dtypes(dtype, expected):
    x = T.tensor(dtype, (False, False), "x")
    s, p = T.sum(x, axis=1), T.prod(x, axis=1)
    assert s.dtype == p.dtype == expected
    a = (
        rng.integers(0, 3, size=(3, 4)) if dtype != "bool" else rng.integers(0, 2, size=(3, 4))
    ).astype(dtype)
    sv, pv = run([s, p], [x], a)
    assert sv.dtype == pv.dtype == np.dtype(expected)
    np.testing.assert_array_equal(sv, a.sum(1).astype(expected))
    np.testing.assert_array_equal(pv, a.astype(expected).prod(1))


def test_sum_int8_does_not_overflow():
    x = T.bvector("x")
    a = np.full(100, 100, dtype="int8")
    assert run(T.sum(x), [x], a) == 10000


def test_sum_float32_accumulates_in_float64():
    x = T.fvector("x")
    op = T.sum(x).owner.op
    assert (op.dtype, op.acc_dtype) == ("float32", "float64")
    a = rng.random(100000).astype("float32")
    out = run(T.sum(x), [x], a)
    assert out.dtype == np.float32
    assert out == np.float32(np.sum(a, dtype=np.float64))


def test_sum_explicit_dtype_and_acc_dtype():
    x = T.bvector("x")
    a = np.array([100, 100, 100], dtype="int8")
    out = run(
        [T.sum(x, dtype="int8"), T.sum(x, dtype="float32"), T.sum(x, acc_dtype="int32")], [x], a
    )
    assert out[0].dtype == np.int8 and out[0] == np.sum(a, dtype="int8")  # wraps like NumPy
    assert out[1].dtype == np.float32 and out[1] == 300
    assert out[2].dtype == np.int64 and out[2] == 300
    with pytest.raises(TypeError, match="acc_dtype"):
        T.sum(T.dvector(), acc_dtype="float32")


def test_sum_empty_is_zero_prod_empty_is_one():
    x = T.dmatrix("x")
    a = np.zeros((0, 3))
    s0, s1, sa, p0, pa = run([T.sum(x, 0), T.sum(x, 1), T.sum(x), T.prod(x, 0), T.prod(x)], [x], a)
    np.testing.assert_array_equal(s0, np.zeros(3))
    assert s1.shape == (0,) and sa == 0 and pa == 1
    np.testing.assert_array_equal(p0, np.ones(3))


def test_sum_strided_and_negative_stride_inputs():
    x = T.dmatrix("x")
    base = rng.normal(size=(6, 8))
    for a in (base[::-1, ::2], base.T, base[1::2, ::-3]):
        assert not a.flags.c_contiguous
        out = run([T.sum(x, 0), T.prod(x, -1), T.max(x, 0), T.argmin(x, 1), T.mean(x)], [x], a)
        np.testing.assert_allclose(out[0], a.sum(0))
        np.testing.assert_allclose(out[1], a.prod(-1))
        np.testing.assert_array_equal(out[2], a.max(0))
        np.testing.assert_array_equal(out[3], a.argmin(1))
        np.testing.assert_allclose(out[4], a.mean())


def test_reduction_of_0d_input():
    x = T.dscalar("x")
    out = run([T.sum(x), T.max(x), T.argmax(x), T.mean(x), T.all(x)], [x], 2.5)
    assert out[0] == 2.5 and out[1] == 2.5 and out[2] == 0 and out[3] == 2.5 and out[4]
    assert all(np.ndim(o) == 0 for o in out)


def test_output_is_fresh_array_even_without_reduced_axes():
    x = T.dvector("x")
    a = rng.normal(size=4)
    out = run(T.sum(x, axis=()), [x], a)
    np.testing.assert_array_equal(out, a)
    assert not np.shares_memory(out, a)


# ---------------------------------------------------------------------------------------
# max / min / argmax / argmin / max_and_argmax
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", AXES_3D)
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_min_axes_match_numpy(axis, keepdims):
    x = T.itensor3("x")
    a = rng.integers(-50, 50, size=(2, 3, 4)).astype("int32")
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    mx, mn = run(
        [T.max(x, axis=axis, keepdims=keepdims), T.min(x, axis=axis, keepdims=keepdims)], [x], a
    )
    assert mx.dtype == mn.dtype == np.int32
    np.testing.assert_array_equal(mx, np.max(a, axis=np_axis, keepdims=keepdims))
    np.testing.assert_array_equal(mn, np.min(a, axis=np_axis, keepdims=keepdims))


def _np_arg(fn, a, axis):
    """NumPy's arg-reduction over several axes: move them last, flatten, reduce."""
    if axis is None:
        return fn(a)
    axes = sorted(d % a.ndim for d in (axis if isinstance(axis, (tuple, list)) else [axis]))
    keep = [d for d in range(a.ndim) if d not in axes]
    moved = np.transpose(a, keep + axes).reshape([a.shape[d] for d in keep] + [-1])
    return fn(moved, axis=-1)


@pytest.mark.parametrize("axis", [None, 0, 2, -1, (0, 2), (1, -1), (0, 1, 2)])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_axes(axis, name):
    x = T.dtensor3("x")
    a = rng.normal(size=(3, 4, 5))
    out = run(getattr(T, name)(x, axis=axis), [x], a)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, _np_arg(getattr(np, name), a, axis))


def test_argmax_keepdims_and_ties_pick_first():
    x = T.dmatrix("x")
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    am, an = run([T.argmax(x, axis=1, keepdims=True), x.argmin(axis=0)], [x], a)
    np.testing.assert_array_equal(am, np.argmax(a, axis=1, keepdims=True))
    np.testing.assert_array_equal(an, np.argmin(a, axis=0))


def test_argmax_on_bool_and_unsigned():
    x = T.tensor("uint8", (False,), "x")
    b = T.tensor("bool", (False,), "b")
    out = run(
        [T.argmin(x), T.argmax(b), T.max(b), T.min(x)],
        [x, b],
        np.array([5, 0, 200], dtype="uint8"),
        np.array([False, True, True]),
    )
    assert out[0] == 1 and out[1] == 1 and out[2] and out[3] == 0


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_max_and_argmax(axis):
    x = T.dmatrix("x")
    a = rng.normal(size=(4, 5))
    mx, am = T.max_and_argmax(x, axis=axis)
    assert mx.owner is am.owner and isinstance(mx.owner.op, MaxAndArgmax)
    mv, av = run([mx, am], [x], a)
    np.testing.assert_array_equal(mv, np.max(a, axis=axis))
    np.testing.assert_array_equal(av, _np_arg(np.argmax, a, axis))
    mk, ak = T.max_and_argmax(x, axis=1, keepdims=True)
    assert mk.broadcastable == ak.broadcastable == (False, True)


def test_max_nan_propagates_like_numpy():
    x = T.dvector("x")
    a = np.array([1.0, np.nan, 3.0])
    mx, mn, am = run([T.max(x), T.min(x), T.argmax(x)], [x], a)
    assert np.isnan(mx) and np.isnan(mn) and am == np.argmax(a)


@pytest.mark.parametrize(
    "build, opname",
    [
        (lambda x: T.max(x, axis=0), "Max"),
        (lambda x: T.min(x), "Min"),
        (lambda x: T.argmax(x, axis=0), "Argmax"),
        (lambda x: T.argmin(x), "Argmin"),
        (lambda x: T.max_and_argmax(x, axis=0)[0], "MaxAndArgmax"),
    ],
)
def test_extremum_of_empty_axis_is_a_value_error_naming_the_op(build, opname):
    x = T.dmatrix("x")
    f = symcore.function([x], build(x))
    with pytest.raises(ValueError, match=opname) as info:
        f(np.zeros((0, 3)))
    assert "(0, 3)" in str(info.value)


def test_max_over_nonempty_axis_of_empty_array_is_empty():
    x = T.dmatrix("x")
    out = run([T.max(x, axis=1), T.argmax(x, axis=1)], [x], np.zeros((0, 3)))
    assert out[0].shape == (0,) and out[1].shape == (0,)
    f = symcore.function([x], T.max(x, axis=1))
    with pytest.raises(ValueError, match="Max"):  # as NumPy: the reduced axis is empty
        f(np.zeros((0, 0)))


# ---------------------------------------------------------------------------------------
# any / all
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_any_all(axis, dtype):
    x = T.tensor(dtype, (False, False), "x")
    a = (rng.integers(0, 2, size=(4, 3)) * rng.integers(1, 3, size=(4, 3))).astype(dtype)
    a[0] = 1
    an, al = run([T.any(x, axis=axis), T.all(x, axis=axis, keepdims=True)], [x], a)
    assert an.dtype == al.dtype == np.bool_
    np.testing.assert_array_equal(an, np.any(a, axis=axis))
    np.testing.assert_array_equal(al, np.all(a, axis=axis, keepdims=True))


def test_any_all_of_empty():
    x = T.dvector("x")
    an, al = run([T.any(x), T.all(x)], [x], np.zeros(0))
    assert an == np.False_ and al == np.True_


# ---------------------------------------------------------------------------------------
# mean / var / std / norm
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (2, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_mean_var_std_match_numpy(axis, keepdims):
    x = T.dtensor3("x")
    a = rng.normal(size=(3, 4, 5))
    m, v, s, v1, s2 = run(
        [
            T.mean(x, axis=axis, keepdims=keepdims),
            T.var(x, axis=axis, keepdims=keepdims),
            T.std(x, axis=axis, keepdims=keepdims),
            x.var(axis=axis, ddof=1, keepdims=keepdims),
            T.std(x, axis=axis, ddof=2, keepdims=keepdims),
        ],
        [x],
        a,
    )
    np.testing.assert_allclose(m, np.mean(a, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(v, np.var(a, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(s, np.std(a, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(v1, np.var(a, axis=axis, ddof=1, keepdims=keepdims))
    np.testing.assert_allclose(s2, np.std(a, axis=axis, ddof=2, keepdims=keepdims))


def test_mean_var_with_symbolic_shapes_and_corrected():
    x = T.dmatrix("x")
    a = rng.normal(size=(7, 3)) + 1e4
    v, vc, vc1 = run(
        [T.var(x, 0), T.var(x, 0, corrected=True), T.var(x, axis=None, ddof=1, corrected=True)],
        [x],
        a,
    )
    np.testing.assert_allclose(v, a.var(0), rtol=1e-7)
    np.testing.assert_allclose(vc, a.var(0), rtol=1e-9)
    np.testing.assert_allclose(vc1, a.var(ddof=1), rtol=1e-9)


def test_mean_with_static_shape_uses_a_constant_count():
    x = T.TensorType("float64", shape=(3, 4))("x")
    a = rng.normal(size=(3, 4))
    np.testing.assert_allclose(run(T.mean(x, 1), [x], a), a.mean(1))


@pytest.mark.parametrize(
    "dtype, expected",
    [
        ("float32", "float32"),
        ("float16", "float16"),
        ("float64", "float64"),
        ("int32", "float64"),
        ("int8", "float64"),
        ("uint16", "float64"),
        ("bool", "float64"),
        ("complex64", "complex64"),
    ],
)
def test_mean_dtypes(dtype, expected):
    x = T.tensor(dtype, (False, False), "x")
    m = T.mean(x, axis=0)
    assert m.dtype == expected
    a = rng.integers(0, 5, size=(6, 2)).astype(dtype)
    out = run(m, [x], a)
    assert out.dtype == np.dtype(expected)
    np.testing.assert_allclose(
        out, a.astype("complex128" if dtype == "complex64" else "float64").mean(0), rtol=1e-3
    )


def test_var_std_keep_float32_and_ints_give_float64():
    f, i = T.fmatrix("f"), T.imatrix("i")
    assert T.var(f).dtype == "float32" and T.std(f, axis=0).dtype == "float32"
    assert T.var(i).dtype == "float64" and T.std(i, 1).dtype == "float64"
    a = rng.integers(0, 10, size=(5, 4)).astype("int32")
    np.testing.assert_allclose(run(T.var(i, axis=1), [i], a), a.var(1))


def test_var_of_complex_is_real_like_numpy():
    z = T.zvector("z")
    a = rng.normal(size=5) + 1j * rng.normal(size=5)
    out = run(T.var(z), [z], a)
    np.testing.assert_allclose(out, np.var(a))


def test_mean_explicit_dtype():
    x = T.ivector("x")
    out = run(T.mean(x, dtype="float32"), [x], np.array([1, 2, 4], dtype="int32"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 7 / 3, rtol=1e-6)


def test_var_ddof_must_be_int():
    with pytest.raises(ValueError, match="ddof"):
        T.var(T.dvector(), 0, True)


@pytest.mark.parametrize("L", [1, 2, 3, 0.5, np.inf, -np.inf, 0])
@pytest.mark.parametrize("axis", [None, 1, (0, 1)])
def test_norm_matches_numpy(L, axis):
    x = T.dmatrix("x")
    a = rng.normal(size=(3, 4))
    a[0, 0] = 0.0
    out = run(x.norm(L, axis=axis), [x], a)
    axes = (0, 1) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    flat = np.moveaxis(a, axes, range(-len(axes), 0)).reshape(a.shape[: a.ndim - len(axes)] + (-1,))
    np.testing.assert_allclose(out, np.linalg.norm(flat, ord=L, axis=-1))


def test_norm_keepdims_and_int_input():
    x = T.imatrix("x")
    a = rng.integers(-3, 4, size=(2, 5)).astype("int32")
    out = run(T.norm(x, 2, axis=1, keepdims=True), [x], a)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, np.linalg.norm(a, axis=1, keepdims=True))


def test_mean_float32_stays_float32_nep50():
    w = T.fvector("w")
    g = T.fvector("g")
    upd = w - 0.1 * g
    assert upd.dtype == "float32" and T.mean(w).dtype == "float32" and w.mean().dtype == "float32"


# ---------------------------------------------------------------------------------------
# Ops: value semantics, str, axis normalisation, errors, infer_shape
# ---------------------------------------------------------------------------------------


def test_axis_none_and_explicit_axes_give_equal_ops():
    x = T.dmatrix()
    assert T.sum(x).owner.op == T.sum(x, axis=(1, 0)).owner.op == T.sum(x, axis=(-1, -2)).owner.op
    assert T.max(x, -1).owner.op == Max((1,))
    assert T.argmax(x).owner.op == Argmax((0, 1))
    assert hash(Sum((0,), "float64", "float64")) == hash(T.sum(x, 0).owner.op)
    assert Sum((0,)) != Prod((0,)) and Max((0,)) != Min((0,)) and All(None) != Any(None)
    assert not isinstance(Min((0,)), Max) and not isinstance(Argmin((0,)), Argmax)


def test_op_str():
    x, f = T.dmatrix(), T.fmatrix()
    assert str(T.sum(x, 0).owner.op) == "Sum{axis=(0,)}"
    assert str(T.sum(f).owner.op) == "Sum{axis=(0, 1), acc_dtype=float64}"
    assert str(Sum()) == "Sum"
    assert str(T.max(x, 1).owner.op) == "Max{axis=(1,)}"
    assert str(T.argmax(x, 1).owner.op) == "Argmax{axis=(1,)}"
    assert str(CAReduce(S.add, (0,))) == "CAReduce{add, axis=(0,)}"


def test_reduced_type_keeps_static_shape_and_broadcastable():
    x = T.TensorType("float64", shape=(1, 5, None))("x")
    s = T.sum(x, axis=1)
    assert s.broadcastable == (True, False) and s.type.shape == (1, None)
    k = T.sum(x, axis=1, keepdims=True)
    assert k.broadcastable == (True, True, False)


@pytest.mark.parametrize(
    "fn", [T.sum, T.prod, T.max, T.min, T.argmax, T.argmin, T.any, T.all, T.mean, T.var]
)
def test_axis_errors(fn):
    x = T.dmatrix()
    with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
        fn(x, axis=2)
    with pytest.raises(np.exceptions.AxisError):
        fn(x, axis=-3)
    with pytest.raises(ValueError, match="repeated"):
        fn(x, axis=(0, -2))
    with pytest.raises(TypeError, match="integers"):
        fn(x, axis=1.0)


def test_generic_careduce():
    x = T.imatrix("x")
    a = rng.integers(0, 16, size=(3, 4)).astype("int32")
    ops = [
        CAReduce(S.add, (1,)),
        CAReduce(S.maximum, None),
        CAReduce(S.or_, (0,)),
        CAReduce(S.and_, (-1,)),
    ]
    outs = run([op(x) for op in ops], [x], a)
    np.testing.assert_array_equal(outs[0], a.sum(1).astype("int32"))
    assert outs[1] == a.max() and outs[1].dtype == np.int32
    np.testing.assert_array_equal(outs[2], np.bitwise_or.reduce(a, axis=0))
    np.testing.assert_array_equal(outs[3], np.bitwise_and.reduce(a, axis=-1))
    with pytest.raises(ValueError, match="CAReduce"):
        run(CAReduce(S.maximum, (0,))(x), [x], np.zeros((0, 2), "int32"))


@pytest.mark.parametrize(
    "build",
    [
        lambda x: T.sum(x, 1),
        lambda x: T.prod(x, (0, 2)),
        lambda x: T.max(x),
        lambda x: T.min(x, -1),
        lambda x: T.argmax(x, (0, 1)),
        lambda x: T.argmin(x, 2),
        lambda x: T.all(x, 0),
        lambda x: T.any(x),
        lambda x: T.max_and_argmax(x, 1)[1],
        lambda x: CAReduce(S.add, (0,))(x),
    ],
)
def test_infer_shape(build):
    x = T.dtensor3("x")
    check_infer_shape(build(x), [x], [rng.normal(size=(2, 3, 4))])


# ---------------------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), ()])
def test_sum_grad(axis):
    verify_grad(lambda x: T.sum(x, axis=axis), [rng.normal(size=(2, 3, 4))], rng=rng)
    verify_grad(
        lambda x: T.sum(x, axis=axis, keepdims=True) * 2.0, [rng.normal(size=(2, 3, 4))], rng=rng
    )


def test_sum_grad_is_ones_of_input_dtype():
    x = T.fmatrix("x")
    g = grad(T.sum(x), x)
    assert g.dtype == "float32"
    np.testing.assert_array_equal(run(g, [x], np.zeros((2, 3), "float32")), np.ones((2, 3)))
    g64 = grad(T.sum(x, dtype="float64"), x)
    assert g64.dtype == "float32"


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_prod_grad_without_zeros(axis):
    verify_grad(lambda x: T.prod(x, axis=axis), [rng.uniform(0.5, 1.5, size=(3, 4))], rng=rng)
    verify_grad(
        lambda x: T.prod(x, axis=axis, no_zeros_in_input=True),
        [rng.uniform(0.5, 1.5, size=(3, 4))],
        rng=rng,
    )


def test_prod_grad_with_zeros_matches_theano_rule():
    # rows: no zero, one zero, two zeros
    a = np.array([[1.0, 2.0, 3.0], [0.0, 2.0, 5.0], [0.0, 0.0, 4.0]])
    x = T.dmatrix("x")
    g = run(grad(T.sum(T.prod(x, axis=1)), x), [x], a)
    expected = np.array([[6.0, 3.0, 2.0], [10.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(g, expected)
    verify_grad(lambda x: T.prod(x, axis=1), [a], rng=rng)
    verify_grad(lambda x: T.prod(x), [np.array([[0.0, 1.5], [2.0, -1.0]])], rng=rng)


def test_prod_without_zeros_values_and_grad():
    x = T.dmatrix("x")
    a = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    out, g = run([ProdWithoutZeros((1,))(x), grad(T.sum(ProdWithoutZeros((1,))(x)), x)], [x], a)
    np.testing.assert_array_equal(out, [6.0, 1.0])
    np.testing.assert_array_equal(g, [[0.0, 3.0, 2.0], [0.0, 0.0, 0.0]])


def test_prod_hessian_with_one_zero():
    from symcore.gradient import hessian

    x = T.TensorType("float64", shape=(3,))("x")
    a = np.array([0.0, 2.0, 3.0])
    h = run(hessian(T.prod(x), x), [x], a)
    expected = np.array([[0.0, 3.0, 2.0], [3.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    np.testing.assert_allclose(h, expected)
    b = np.array([1.5, 2.0, 3.0])
    np.testing.assert_allclose(
        run(hessian(T.prod(x), x), [x], b), [[0.0, 3.0, 2.0], [3.0, 0.0, 1.5], [2.0, 1.5, 0.0]]
    )


@pytest.mark.parametrize("fn", [T.max, T.min])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
def test_max_min_grad(fn, axis):
    a = rng.permutation(24).reshape(2, 3, 4).astype("float64") / 7.0
    verify_grad(lambda x: fn(x, axis=axis), [a], rng=rng)


def test_max_and_argmax_grad_and_disconnected_argmax():
    a = rng.permutation(12).reshape(3, 4).astype("float64")
    verify_grad(lambda x: T.max_and_argmax(x, axis=1)[0], [a], rng=rng)
    x = T.dmatrix("x")
    mx, am = T.max_and_argmax(x, axis=0)
    g = run(grad(T.sum(mx), x), [x], a)
    np.testing.assert_array_equal(g, (a == a.max(0)).astype(float))


def test_mean_var_std_norm_grads():
    a = rng.normal(size=(3, 4))
    verify_grad(lambda x: T.mean(x, axis=(0, 1)), [a], rng=rng)
    verify_grad(lambda x: T.mean(x, axis=-1, keepdims=True), [a], rng=rng)
    verify_grad(lambda x: T.var(x, axis=0), [a], rng=rng)
    verify_grad(lambda x: T.var(x, ddof=1, corrected=True), [a], rng=rng)
    verify_grad(lambda x: T.std(x, axis=1, ddof=1), [a], rng=rng)
    for L in (1, 2, 3, np.inf):
        verify_grad(lambda x, L=L: T.norm(x, L, axis=1), [a], rng=rng)


def test_generic_careduce_grad_follows_named_form():
    a = rng.permutation(12).reshape(3, 4).astype("float64") + 1.0
    for sop in (S.add, S.mul, S.maximum, S.minimum):
        verify_grad(lambda x, sop=sop: CAReduce(sop, (1,))(x), [a], rng=rng)


def test_float32_grads():
    a = rng.uniform(0.5, 1.5, size=(3, 4)).astype("float32")
    x = T.fmatrix("x")
    for out in (T.sum(x, 0), T.prod(x, 1), T.max(x, 0), T.mean(x), T.var(x, 1), T.std(x)):
        g = grad(T.sum(out), x)
        assert g.dtype == "float32"
    verify_grad(lambda x: T.var(x, axis=1), [a], rng=rng)


def test_grad_of_integer_valued_reductions_is_zero():
    x = T.dmatrix("x")
    a = rng.normal(size=(2, 3))
    cost = T.sum(x) + T.sum(T.argmax(x, axis=1)) + T.sum(T.any(x, axis=0))
    g = run(grad(cost, x), [x], a)
    np.testing.assert_array_equal(g, np.ones((2, 3)))


def test_sum_rop():
    x, v = T.dmatrix("x"), T.dmatrix("v")
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    r = Rop(T.sum(x * x, axis=1), x, v)
    np.testing.assert_allclose(run(r, [x, v], a, b), (2 * a * b).sum(1))
