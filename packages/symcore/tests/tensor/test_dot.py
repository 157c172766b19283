"""Products: dot, matmul (@), tensordot, outer, batched_dot, batched_tensordot against NumPy
(shapes, dtypes, empty and strided inputs, errors), infer_shape and gradients."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import Rop, grad, verify_grad
from symcore.tensor.dot import BatchedTensorDot, Dot, MatMul, TensorDot
from symcore.tensor.shape import shape_i

rng = np.random.default_rng(7)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


def var_of(a, name=None):
    """A symbolic input with the dtype and rank of ``a`` (no broadcastable dims)."""
    return T.tensor(a.dtype, (False,) * a.ndim, name)


def check_infer_shape(out, inputs, values):
    node = out.owner
    in_shapes = [tuple(shape_i(v, d) for d in range(v.ndim)) for v in node.inputs]
    shapes = node.op.infer_shape(node, in_shapes)
    flat = [T.as_tensor_variable(s) for s in shapes[node.outputs.index(out)]]
    val = run([out] + flat, inputs, *values)
    assert tuple(int(s) for s in val[1:]) == val[0].shape


# ---------------------------------------------------------------------------------------
# dot
# ---------------------------------------------------------------------------------------

DOT_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3), (4, 3, 5)),
    ((2, 2, 3), (2, 3, 4)),
]


@pytest.mark.parametrize("sa, sb", DOT_SHAPES)
def test_dot_matches_numpy(sa, sb):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_of(a), var_of(b)
    out = run(T.dot(x, y), [x, y], a, b)
    np.testing.assert_allclose(out, np.dot(a, b))
    assert out.shape == np.dot(a, b).shape
    if len(sa) <= 2 and len(sb) <= 2:
        assert isinstance(T.dot(x, y).owner.op, Dot)
        np.testing.assert_allclose(run(x.dot(y), [x, y], a, b), np.dot(a, b))


@pytest.mark.parametrize(
    "da, db",
    [
        ("float32", "float32"),
        ("float32", "float64"),
        ("int32", "float32"),
        ("int64", "int64"),
        ("int8", "int16"),
        ("complex64", "float64"),
        ("bool", "bool"),
    ],
)
def test_dot_dtype_is_result_type(da, db):
    a = rng.integers(0, 3, size=(2, 3)).astype(da)
    b = rng.integers(0, 3, size=(3,)).astype(db)
    x, y = var_of(a), var_of(b)
    z = T.dot(x, y)
    expected = np.result_type(a, b)
    assert z.dtype == expected.name
    out = run(z, [x, y], a, b)
    assert out.dtype == expected
    np.testing.assert_array_equal(out, np.dot(a, b))


def test_dot_with_scalars_is_elementwise_and_keeps_weak_python_scalars():
    x = T.fmatrix("x")
    assert T.dot(x, 2.0).dtype == "float32" and T.dot(3, x).dtype == "float32"
    s = T.dscalar("s")
    a = rng.normal(size=(2, 3)).astype("float32")
    out = run([T.dot(x, 2.0), T.dot(s, x)], [x, s], a, 0.5)
    np.testing.assert_allclose(out[0], a * 2)
    np.testing.assert_allclose(out[1], a * 0.5)


def test_dot_static_shape_mismatch_is_an_error_at_build_time():
    x = T.TensorType("float64", shape=(2, 3))("x")
    y = T.TensorType("float64", shape=(4,))("y")
    with pytest.raises(ValueError, match="not aligned"):
        T.dot(x, y)


def test_dot_runtime_shape_mismatch_names_op_and_shapes():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = symcore.function([x, y], T.dot(x, y))
    with pytest.raises(ValueError, match=r"Dot.*\(2, 3\).*\(4, 5\)"):
        f(np.ones((2, 3)), np.ones((4, 5)))


def test_dot_rejects_bad_ranks_in_op():
    with pytest.raises(TypeError, match="Dot"):
        Dot()(T.dtensor3(), T.dmatrix())


def test_dot_empty_and_strided():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = symcore.function([x, y], T.dot(x, y))
    np.testing.assert_array_equal(f(np.ones((0, 3)), np.ones((3, 4))), np.zeros((0, 4)))
    np.testing.assert_array_equal(f(np.ones((2, 0)), np.ones((0, 4))), np.zeros((2, 4)))
    base_a, base_b = rng.normal(size=(6, 8)), rng.normal(size=(8, 10))
    a, b = base_a[::-2, 1::2], base_b[::2, ::-3]
    np.testing.assert_allclose(f(a, b), a @ b)
    np.testing.assert_allclose(
        f(base_b.T[:, ::2], base_a[::-1].T[::2]), base_b.T[:, ::2] @ base_a[::-1].T[::2]
    )


def test_dot_output_broadcastable_and_static_shape():
    x = T.TensorType("float64", shape=(1, 3))("x")
    y = T.TensorType("float64", shape=(3, None))("y")
    z = T.dot(x, y)
    assert z.broadcastable == (True, False) and z.type.shape == (1, None)


# ---------------------------------------------------------------------------------------
# tensordot
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sa, sb, axes",
    [
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3), (3, 4), 1),
        ((2, 3), (4, 5), 0),
        ((2, 3, 4), (4, 3, 5), [[1, 2], [1, 0]]),
        ((2, 3, 4), (5, 2), [[0], [1]]),
        ((3, 4, 2), (2, 4), [[-1, -2], [0, -1]]),
        ((4,), (4,), 1),
        ((2, 3), (3,), [[1], [0]]),
    ],
)
def test_tensordot_matches_numpy(sa, sb, axes):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_of(a), var_of(b)
    out = run(T.tensordot(x, y, axes), [x, y], a, b)
    np.testing.assert_allclose(out, np.tensordot(a, b, axes))


def test_tensordot_errors():
    x, y = T.dtensor3(), T.dmatrix()
    with pytest.raises(ValueError, match="same length"):
        T.tensordot(x, y, [[0, 1], [0]])
    with pytest.raises(np.exceptions.AxisError):
        T.tensordot(x, y, [[3], [0]])
    with pytest.raises(ValueError, match="cannot sum"):
        T.tensordot(x, y, 3)
    xs = T.TensorType("float64", shape=(2, 3, 4))()
    ys = T.TensorType("float64", shape=(5, 4))()
    with pytest.raises(ValueError, match="mismatch"):
        T.tensordot(xs, ys, [[2], [0]])
    f = symcore.function([x, y], T.tensordot(x, y, [[2], [0]]))
    with pytest.raises(ValueError, match="TensorDot"):
        f(np.ones((2, 3, 4)), np.ones((5, 6)))


# ---------------------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (5, 3, 4)),
        ((5, 2, 3), (3, 4)),
        ((3,), (5, 3, 4)),
        ((5, 2, 3), (3,)),
        ((2, 5, 2, 3), (5, 3, 4)),
    ],
)
def test_matmul_matches_numpy(sa, sb):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_of(a), var_of(b)
    out1, out2 = run([T.matmul(x, y), x @ y], [x, y], a, b)
    np.testing.assert_allclose(out1, np.matmul(a, b))
    np.testing.assert_allclose(out2, a @ b)
    assert out1.shape == np.matmul(a, b).shape


def test_matmul_broadcasts_static_broadcastable_batch_dims():
    x = T.TensorType("float64", shape=(1, None, None))("x")
    y = T.dtensor3("y")
    a, b = rng.normal(size=(1, 2, 3)), rng.normal(size=(4, 3, 5))
    z = x @ y
    assert isinstance(z.owner.op, MatMul) and z.broadcastable == (False, False, False)
    np.testing.assert_allclose(run(z, [x, y], a, b), a @ b)


def test_matmul_runtime_batch_mismatch_names_op():
    x, y = T.dtensor3("x"), T.dtensor3("y")
    f = symcore.function([x, y], x @ y)
    with pytest.raises(ValueError, match="MatMul.*broadcastable"):
        f(np.ones((1, 2, 3)), np.ones((4, 3, 5)))
    with pytest.raises(ValueError, match="MatMul.*not aligned"):
        f(np.ones((4, 2, 3)), np.ones((4, 2, 5)))


def test_matmul_rejects_scalars_and_reports_static_mismatch():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        T.matmul(T.dscalar(), T.dmatrix())
    x = T.TensorType("float64", shape=(2, 3, 4))()
    y = T.TensorType("float64", shape=(5, 4, 2))()
    with pytest.raises(ValueError, match="batch shapes"):
        x @ y


def test_matmul_dtype_and_empty():
    x, y = T.ftensor3("x"), T.itensor3("y")
    z = x @ y
    assert z.dtype == "float64"
    a, b = np.ones((0, 2, 3), "float32"), np.ones((0, 3, 4), "int32")
    out = run(z, [x, y], a, b)
    assert out.shape == (0, 2, 4) and out.dtype == np.float64


# ---------------------------------------------------------------------------------------
# outer, batched_dot, batched_tensordot
# ---------------------------------------------------------------------------------------


def test_outer():
    x, y = T.dvector("x"), T.dmatrix("y")
    a, b = rng.normal(size=3), rng.normal(size=(2, 2))
    np.testing.assert_allclose(run(T.outer(x, y), [x, y], a, b), np.outer(a, b))


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((4, 3), (4, 3)),
        ((4, 2, 3), (4, 3)),
        ((4, 3), (4, 3, 5)),
        ((4, 2, 3), (4, 3, 5)),
        ((4,), (4, 3)),
        ((4, 3), (4,)),
        ((4,), (4,)),
        ((4, 2, 2, 3), (4, 3, 5)),
        ((4, 2, 3), (4, 2, 3, 5)),
    ],
)
def test_batched_dot_matches_loop_of_dot(sa, sb):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_of(a), var_of(b)
    out = run(T.batched_dot(x, y), [x, y], a, b)
    expected = np.stack([np.dot(a[i], b[i]) for i in range(sa[0])])
    np.testing.assert_allclose(out, expected)


def test_batched_dot_batch_mismatch_and_rank_errors():
    x, y = T.dtensor3("x"), T.dtensor3("y")
    f = symcore.function([x, y], T.batched_dot(x, y))
    with pytest.raises(ValueError, match="MatMul"):
        f(np.ones((3, 2, 3)), np.ones((4, 3, 2)))
    with pytest.raises(TypeError, match="batch axis"):
        T.batched_dot(T.dscalar(), y)


@pytest.mark.parametrize(
    "sa, sb, axes",
    [
        ((3, 2, 4), (3, 4, 5), [[2], [1]]),
        ((3, 2, 4, 5), (3, 4, 5, 6), 2),
        ((3, 2, 4), (3, 5, 2), [[1], [2]]),
        ((3, 2), (3, 2), 1),
        ((3, 4, 2), (3, 2, 4), [[1, 2], [2, 1]]),
        ((2, 3), (2, 4), 0),
    ],
)
def test_batched_tensordot(sa, sb, axes):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = var_of(a), var_of(b)
    out = run(T.batched_tensordot(x, y, axes), [x, y], a, b)
    if isinstance(axes, int):
        ax = [list(range(len(sa) - axes, len(sa))), list(range(1, 1 + axes))]
    else:
        ax = axes
    inner = [[d - 1 for d in ax[0]], [d - 1 for d in ax[1]]]
    expected = np.stack([np.tensordot(a[i], b[i], inner) for i in range(sa[0])])
    np.testing.assert_allclose(out, expected)


def test_batched_tensordot_cannot_sum_batch_axis():
    with pytest.raises(ValueError, match="batch axis"):
        T.batched_tensordot(T.dtensor3(), T.dtensor3(), [[0], [0]])


# ---------------------------------------------------------------------------------------
# infer_shape, value semantics
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, shapes",
    [
        (lambda x, y: T.dot(x, y), ((2, 3), (3, 4))),
        (lambda x, y: T.dot(x, y), ((3,), (3, 4))),
        (lambda x, y: T.tensordot(x, y, [[0, 2], [2, 0]]), ((2, 3, 4), (4, 5, 2))),
        (lambda x, y: T.matmul(x, y), ((2, 5, 2, 3), (5, 3, 4))),
        (lambda x, y: T.batched_tensordot(x, y, [[2], [1]]), ((3, 2, 4), (3, 4, 5))),
    ],
)
def test_infer_shape(build, shapes):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    x, y = var_of(a), var_of(b)
    check_infer_shape(build(x, y), [x, y], [a, b])


def test_op_value_semantics():
    assert Dot() == Dot() and hash(MatMul()) == hash(MatMul())
    assert TensorDot((1,), (0,)) == TensorDot([1], [0]) != TensorDot((0,), (1,))
    assert BatchedTensorDot((1,), (2,)) != TensorDot((1,), (2,))


# ---------------------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sa, sb", DOT_SHAPES)
def test_dot_grad(sa, sb):
    verify_grad(T.dot, [rng.normal(size=sa), rng.normal(size=sb)], rng=rng)


@pytest.mark.parametrize(
    "sa, sb, axes",
    [
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3), (4, 5), 0),
        ((2, 3, 4), (4, 3, 5), [[1, 2], [1, 0]]),
        ((3, 4, 2), (2, 4), [[-1, -2], [0, -1]]),
    ],
)
def test_tensordot_grad(sa, sb, axes):
    verify_grad(
        lambda x, y: T.tensordot(x, y, axes), [rng.normal(size=sa), rng.normal(size=sb)], rng=rng
    )


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((5, 2, 3), (5, 3, 4)),
        ((5, 2, 3), (3, 4)),
        ((3,), (5, 3, 4)),
        ((1, 2, 3), (4, 3, 2)),
        ((2, 1, 2, 3), (4, 3, 2)),
        ((5, 2, 3), (3,)),
    ],
)
def test_matmul_grad(sa, sb):
    verify_grad(T.matmul, [rng.normal(size=sa), rng.normal(size=sb)], rng=rng)


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((4, 3), (4, 3)),
        ((4, 2, 3), (4, 3, 5)),
        ((4,), (4, 3)),
        ((4, 2, 3), (4, 3)),
        ((4, 2, 2, 3), (4, 3, 5)),
    ],
)
def test_batched_dot_grad(sa, sb):
    verify_grad(T.batched_dot, [rng.normal(size=sa), rng.normal(size=sb)], rng=rng)


def test_batched_tensordot_and_outer_grad():
    verify_grad(
        lambda x, y: T.batched_tensordot(x, y, [[1, 2], [2, 1]]),
        [rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2, 4))],
        rng=rng,
    )
    verify_grad(T.outer, [rng.normal(size=3), rng.normal(size=4)], rng=rng)


def test_grad_dtypes_follow_inputs():
    # own generator: data (and float32 rounding vs rtol) independent of test order (xdist)
    rng = np.random.default_rng(11)
    x, y = T.fmatrix("x"), T.dmatrix("y")
    gx, gy = grad(T.sum(T.dot(x, y)), [x, y])
    assert gx.dtype == "float32" and gy.dtype == "float64"
    a, b = T.ftensor3("a"), T.fmatrix("b")
    ga, gb = grad(T.sum(a @ b), [a, b])
    assert ga.dtype == gb.dtype == "float32"
    av, bv = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(4, 5)).astype("float32")
    gbv = run(gb, [a, b], av, bv)
    np.testing.assert_allclose(
        gbv, np.einsum("bij,bik->jk", av, np.ones((2, 3, 5), "float32")), rtol=1e-5
    )


def test_dot_grad_keeps_broadcastable_pattern():
    x = T.TensorType("float64", shape=(None, 1))("x")
    y = T.dmatrix("y")
    gx, gy = grad(T.sum(T.dot(x, y)), [x, y])
    assert gx.broadcastable == x.broadcastable and gy.broadcastable == y.broadcastable


def test_dot_rop():
    x, y, v = T.dmatrix("x"), T.dvector("y"), T.dmatrix("v")
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(2, 3))
    np.testing.assert_allclose(run(Rop(T.dot(x, y), x, v), [y, v], b, c), c @ b)
    u = T.dtensor3("u")
    w = T.dtensor3("w")
    r = Rop(T.matmul(u, x.T), [u, x], [w, v])
    d, e = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 3))
    np.testing.assert_allclose(run(r, [u, x, w, v], d, a, e, c), e @ a.T + d @ c.T)


def test_tensordot_and_batched_tensordot_rop():
    x, y, vx, vy = T.dtensor3("x"), T.dmatrix("y"), T.dtensor3("vx"), T.dmatrix("vy")
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 3))
    c, d = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 3))
    r = Rop(T.tensordot(x, y, [[1, 2], [1, 0]]), [x, y], [vx, vy])
    expected = np.tensordot(c, b, [[1, 2], [1, 0]]) + np.tensordot(a, d, [[1, 2], [1, 0]])
    np.testing.assert_allclose(run(r, [x, y, vx, vy], a, b, c, d), expected)
    u, vu = T.dtensor3("u"), T.dtensor3("vu")
    f = rng.normal(size=(2, 4, 5))
    r2 = Rop(T.batched_tensordot(x, u, [[2], [1]]), u, vu)
    np.testing.assert_allclose(run(r2, [x, vu], a, f), np.einsum("bij,bjk->bik", a, f))
