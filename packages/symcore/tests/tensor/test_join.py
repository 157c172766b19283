"""Join/concatenate, stack (both forms), Split, horizontal/vertical_stack: values against
NumPy, dtypes, static shapes, symbolic axes, errors, infer_shape and gradients."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import grad, verify_grad
from symcore.tensor.join import Join, Split
from symcore.testing.shapes import check_infer_shape

rng = np.random.default_rng(7)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


# ---------------------------------------------------------------------------------------
# join / concatenate
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_concatenate_matches_numpy(axis):
    x, y, z = T.dtensor3s("x", "y", "z")
    shapes = [[2, 3, 4]] * 3
    norm = axis % 3
    for i, s in enumerate(shapes):
        shapes[i] = list(s)
        shapes[i][norm] = i + 1
    vals = [rng.random(s) for s in shapes]
    out = T.concatenate([x, y, z], axis=axis)
    assert isinstance(out.owner.op, Join)
    np.testing.assert_array_equal(run(out, [x, y, z], *vals), np.concatenate(vals, axis=axis))


def test_concatenate_axis_none_flattens():
    x, y = T.dmatrix("x"), T.dscalar("y")
    a = rng.random((2, 3))
    out = T.concatenate([x, y, x.T], axis=None)
    np.testing.assert_array_equal(
        run(out, [x, y], a, 5.0), np.concatenate([a, 5.0, a.T], axis=None)
    )


def test_join_theano_argument_order():
    x, y = T.dmatrices("x", "y")
    a, b = rng.random((2, 3)), rng.random((4, 3))
    np.testing.assert_array_equal(run(T.join(0, x, y), [x, y], a, b), np.concatenate([a, b]))


def test_join_of_one_tensor_is_that_tensor():
    x = T.dmatrix()
    assert T.join(0, x) is x
    assert T.concatenate([x], axis=1) is x
    with pytest.raises(ValueError, match="out of range"):
        T.join(2, x)


@pytest.mark.parametrize(
    "d1,d2",
    [
        ("int32", "float32"),
        ("int8", "int16"),
        ("bool", "int64"),
        ("uint8", "int8"),
        ("float32", "float64"),
        ("float32", "complex64"),
    ],
)
def test_join_dtype_is_numpy_result_type(d1, d2):
    x, y = T.vector(dtype=d1), T.vector(dtype=d2)
    out = T.concatenate([x, y])
    expected = np.concatenate([np.ones(2, d1), np.ones(3, d2)])
    assert out.dtype == expected.dtype.name
    res = run(out, [x, y], np.ones(2, d1), np.ones(3, d2))
    assert res.dtype == expected.dtype
    np.testing.assert_array_equal(res, expected)


def test_join_empty_arrays():
    x, y = T.dmatrices("x", "y")
    a, b = np.zeros((0, 3)), rng.random((2, 3))
    np.testing.assert_array_equal(run(T.join(0, x, y), [x, y], a, b), np.concatenate([a, b]))
    e1, e2 = np.zeros((2, 0)), np.zeros((2, 0))
    assert run(T.join(1, x, y), [x, y], e1, e2).shape == (2, 0)
    assert run(T.join(0, x, y), [x, y], np.zeros((0, 0)), np.zeros((0, 0))).shape == (0, 0)


def test_join_non_contiguous_and_negative_stride_inputs():
    x, y = T.dmatrices("x", "y")
    base = rng.random((4, 6))
    a, b = base[::-1, ::2], base.T[::-1, ::-2][:4]
    assert not a.flags.c_contiguous and not b.flags.c_contiguous
    np.testing.assert_array_equal(
        run(T.join(1, x, y), [x, y], a, b), np.concatenate([a, b], axis=1)
    )


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_join_symbolic_axis(axis):
    x, y = T.dmatrices("x", "y")
    ax = T.iscalar("ax")
    out = T.join(ax, x, y)
    assert out.type.broadcastable == (False, False)
    a, b = rng.random((3, 3)), rng.random((3, 3))
    np.testing.assert_array_equal(
        run(out, [ax, x, y], axis, a, b), np.concatenate([a, b], axis=axis)
    )
    check_infer_shape(out, [ax, x, y], [axis, a, b], on_unused_input=None)


def test_join_static_shapes_and_broadcastable():
    r1, r2 = T.drow(), T.drow()
    assert T.join(0, r1, r2).type.broadcastable == (False, False)
    assert T.join(1, r1, r2).type.broadcastable == (True, False)
    a = T.tensor("float64", shape=(2, 3))
    b = T.tensor("float64", shape=(4, 3))
    assert T.join(0, a, b).type.shape == (6, 3)
    assert T.join(0, a, T.dmatrix()).type.shape == (None, 3)
    with pytest.raises(ValueError, match="static shapes differ"):
        T.join(1, a, b)


def test_join_errors():
    x, y = T.dmatrices("x", "y")
    with pytest.raises(TypeError, match="same number of dimensions"):
        T.join(0, x, T.dvector())
    with pytest.raises(TypeError, match="0-d"):
        T.join(0, T.dscalar(), T.dscalar())
    with pytest.raises(ValueError, match="out of range"):
        T.join(2, x, y)
    with pytest.raises(TypeError, match="integer"):
        T.join(T.dscalar(), x, y)
    with pytest.raises(TypeError, match="list or tuple"):
        T.concatenate(x)
    f = symcore.function([x, y], T.join(0, x, y))
    with pytest.raises(ValueError, match=r"Join.*\(2, 3\).*\(2, 4\)"):
        f(np.zeros((2, 3)), np.zeros((2, 4)))


@pytest.mark.parametrize("axis", [0, 1])
def test_join_infer_shape(axis):
    x, y = T.dmatrices("x", "y")
    a, b = rng.random((2, 3)), rng.random((2, 3))
    check_infer_shape(T.join(axis, x, y), [x, y], [a, b], on_unused_input=None)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_join_grad(axis):
    a, b = rng.random((2, 3)), rng.random((2, 3))
    verify_grad(lambda x, y: T.join(axis, x, y, x), [a, b])


def test_join_grad_keeps_each_input_dtype():
    x, y = T.fvector("x"), T.dvector("y")
    out = T.concatenate([x, y])
    assert out.dtype == "float64"
    gx, gy = grad((out * T.arange(5.0)).sum(), [x, y])
    assert gx.dtype == "float32" and gy.dtype == "float64"
    res = symcore.function([x, y], [gx, gy])(np.ones(2, "float32"), np.ones(3))
    np.testing.assert_array_equal(res[0], [0, 1])
    np.testing.assert_array_equal(res[1], [2, 3, 4])


def test_join_grad_broadcastable_input():
    r, m = T.drow("r"), T.dmatrix("m")
    out = T.join(0, r, m)
    gr, gm = grad((out * out).sum(), [r, m])
    assert gr.type.broadcastable == r.type.broadcastable
    a, b = rng.random((1, 3)), rng.random((2, 3))
    res = symcore.function([r, m], [gr, gm])(a, b)
    np.testing.assert_allclose(res[0], 2 * a)
    np.testing.assert_allclose(res[1], 2 * b)


def test_join_grad_symbolic_axis():
    x, y = T.dmatrices("x", "y")
    ax = T.lscalar("ax")
    w = rng.random((2, 6))
    cost = (T.join(ax, x, y) * w).sum()
    gx, gy = grad(cost, [x, y])
    res = symcore.function([ax, x, y], [gx, gy])(1, np.ones((2, 3)), np.ones((2, 3)))
    np.testing.assert_allclose(res[0], w[:, :3])
    np.testing.assert_allclose(res[1], w[:, 3:])


def test_join_grad_of_integer_input_is_zero():
    x, i = T.dvector("x"), T.ivector("i")
    out = T.concatenate([x, i])
    gx, gi = grad(out.sum(), [x, i])
    res = symcore.function([x, i], [gx, gi])(np.ones(2), np.ones(3, "int32"))
    np.testing.assert_array_equal(res[0], [1, 1])
    np.testing.assert_array_equal(res[1], [0, 0, 0])


# ---------------------------------------------------------------------------------------
# stack
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack_matches_numpy(axis):
    x, y = T.dmatrices("x", "y")
    a, b = rng.random((2, 3)), rng.random((2, 3))
    np.testing.assert_array_equal(
        run(T.stack([x, y], axis=axis), [x, y], a, b), np.stack([a, b], axis=axis)
    )


def test_stack_positional_axis():
    x, y = T.dvectors("x", "y")
    a, b = rng.random(3), rng.random(3)
    np.testing.assert_array_equal(run(T.stack([x, y], 1), [x, y], a, b), np.stack([a, b], 1))


def test_stack_old_form_with_scalars():
    a, b, c = T.dscalars("a", "b", "c")
    out = T.stack(a, b, c)
    assert out.ndim == 1 and out.dtype == "float64"
    np.testing.assert_array_equal(run(out, [a, b, c], 1.0, 2.0, 3.0), [1.0, 2.0, 3.0])
    assert type(out.owner.op).__name__ == "MakeVector"  # Theano builds scalars' stack this way
    x, y = T.dvectors("x", "y")
    np.testing.assert_array_equal(
        run(T.stack(x, y), [x, y], [1.0, 2.0], [3.0, 4.0]), [[1, 2], [3, 4]]
    )


def test_stack_python_scalars_are_weak():
    f = T.fscalar("f")
    out = T.stack([f, 1.5, 2])
    assert out.dtype == "float32"
    np.testing.assert_array_equal(
        run(out, [f], np.float32(0.5)), np.array([0.5, 1.5, 2], "float32")
    )
    i8 = T.bscalar("i8")
    assert T.stack([i8, 3]).dtype == "int8"
    assert T.stack([T.iscalar(), T.fscalar()]).dtype == "float64"


def test_stack_of_one_tensor_and_broadcastable():
    x = T.dvector()
    out = T.stack([x])
    assert out.type.broadcastable == (True, False)
    np.testing.assert_array_equal(run(out, [x], [1.0, 2.0]), [[1.0, 2.0]])


def test_as_tensor_variable_of_a_list_of_variables_stacks():
    a, b = T.lscalars("a", "b")
    v = T.as_tensor_variable([a, b, 3])
    assert v.ndim == 1 and v.dtype == "int64"
    np.testing.assert_array_equal(run(v, [a, b], 1, 2), [1, 2, 3])
    m = T.as_tensor_variable([[a, b], [b, a]])
    np.testing.assert_array_equal(run(m, [a, b], 1, 2), [[1, 2], [2, 1]])


def test_stack_errors():
    with pytest.raises(ValueError):
        T.stack([])
    with pytest.raises(TypeError, match="same number of dimensions"):
        T.stack([T.dvector(), T.dmatrix()])
    with pytest.raises(ValueError, match="out of range"):
        T.stack([T.dvector(), T.dvector()], axis=2)
    with pytest.raises(TypeError, match="constant"):
        T.stack([T.dvector(), T.dvector()], axis=T.iscalar())
    x, y = T.dvectors("x", "y")
    f = symcore.function([x, y], T.stack([x, y]))
    with pytest.raises(ValueError, match="Join"):
        f([1.0, 2.0], [1.0])


def test_stack_grad():
    verify_grad(lambda x, y: T.stack([x, y, x], axis=1), [rng.random((2, 3)), rng.random((2, 3))])
    verify_grad(lambda a, b: T.stack(a, b) * T.stack(b, a), [np.array(1.5), np.array(-0.5)])


# ---------------------------------------------------------------------------------------
# split
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_split_matches_numpy(axis):
    x = T.dmatrix("x")
    a = rng.random((6, 6))
    parts = T.split(x, [1, 0, 2, 3], 4, axis=axis)
    assert len(parts) == 4 and isinstance(parts[0].owner.op, Split)
    res = run(parts, [x], a)
    for r, e in zip(res, np.split(a, [1, 1, 3], axis=axis), strict=True):
        np.testing.assert_array_equal(r, e)


def test_split_static_shapes_from_constant_sizes():
    x = T.tensor("float64", shape=(5, 3))
    p = T.split(x, [1, 4], 2, axis=0)
    assert p[0].type.shape == (1, 3) and p[0].type.broadcastable == (True, False)
    assert p[1].type.shape == (4, 3)
    with pytest.raises(ValueError, match="add up"):
        T.split(x, [1, 1], 2, axis=0)


def test_split_single_piece_and_symbolic_sizes():
    x = T.dvector("x")
    one = T.split(x, [3], 1)
    assert not isinstance(one, list)
    np.testing.assert_array_equal(run(one, [x], [1.0, 2.0, 3.0]), [1.0, 2.0, 3.0])
    sizes = T.lvector("sizes")
    parts = T.split(x, sizes, 2)
    res = run(parts, [x, sizes], np.arange(5.0), np.array([2, 3]))
    np.testing.assert_array_equal(res[0], [0, 1])
    np.testing.assert_array_equal(res[1], [2, 3, 4])


def test_split_outputs_are_declared_views():
    op = Split(3)
    assert op.view_map == {0: [0], 1: [0], 2: [0]}


def test_split_runtime_errors():
    x, sizes = T.dvector("x"), T.lvector("s")
    f = symcore.function([x, sizes], T.split(x, sizes, 2))
    with pytest.raises(ValueError, match="add up"):
        f(np.zeros(5), np.array([1, 1]))
    with pytest.raises(ValueError, match="expected 2 split sizes"):
        f(np.zeros(5), np.array([1, 1, 3]))
    with pytest.raises(ValueError, match="negative"):
        f(np.zeros(5), np.array([-1, 6]))
    with pytest.raises(TypeError, match="integer vector"):
        T.split(x, T.dvector(), 2)


def test_split_infer_shape():
    x, sizes = T.dmatrix("x"), T.lvector("s")
    parts = T.split(x, sizes, 2, axis=1)
    check_infer_shape(
        parts[1], [x, sizes], [rng.random((2, 5)), np.array([2, 3])], on_unused_input=None
    )
    ax = T.lscalar("ax")
    parts = T.split(x, sizes, 2, axis=ax)
    check_infer_shape(
        parts[0], [x, sizes, ax], [rng.random((2, 5)), np.array([1, 1]), 0], on_unused_input=None
    )


def test_split_grad_including_unused_piece():
    a = rng.random((5, 2))
    verify_grad(lambda x: T.split(x, [2, 3], 2, axis=0)[1] * 2, [a])
    verify_grad(lambda x: T.split(x, [1, 1], 2, axis=1)[0] * T.split(x, [1, 1], 2, axis=1)[1], [a])


def test_split_then_join_roundtrip_grad_is_identity():
    x = T.dvector("x")
    parts = T.split(x, [2, 3], 2)
    g = grad(T.concatenate(parts[::-1]).sum() * 3, x)
    np.testing.assert_array_equal(symcore.function([x], g)(np.zeros(5)), np.full(5, 3.0))


# ---------------------------------------------------------------------------------------
# horizontal / vertical stack
# ---------------------------------------------------------------------------------------


def test_horizontal_and_vertical_stack():
    x, y = T.dmatrices("x", "y")
    a, b = rng.random((2, 3)), rng.random((2, 1))
    np.testing.assert_array_equal(run(T.horizontal_stack(x, y), [x, y], a, b), np.hstack([a, b]))
    c = rng.random((4, 3))
    np.testing.assert_array_equal(run(T.vertical_stack(x, y), [x, y], a, c), np.vstack([a, c]))
    u, v = T.dvectors("u", "v")
    np.testing.assert_array_equal(
        run(T.horizontal_stack([u, v]), [u, v], [1.0], [2.0, 3.0]), np.hstack([[1.0], [2.0, 3.0]])
    )
    np.testing.assert_array_equal(
        run(T.vertical_stack(u, v), [u, v], [1.0, 2], [2.0, 3.0]), np.vstack([[1.0, 2], [2.0, 3.0]])
    )
    with pytest.raises(TypeError, match="at least 2"):
        T.horizontal_stack(T.dmatrix(), T.dvector())


def test_join_split_stack_rop():
    from symcore.gradient import Rop

    x, y, vx, vy = T.dvectors("x", "y", "vx", "vy")
    a, b, c, d = rng.random(2), rng.random(3), rng.random(2), rng.random(3)
    r = Rop(T.concatenate([x, y]) * 2, [x, y], [vx, vy])
    np.testing.assert_allclose(
        symcore.function([x, y, vx, vy], r)(a, b, c, d), 2 * np.concatenate([c, d])
    )
    r = Rop(T.split(y, [1, 2], 2)[1], y, vy)
    np.testing.assert_allclose(symcore.function([y, vy], r, on_unused_input="ignore")(b, d), d[1:])
    r = Rop(T.stack([x, x * x]), x, vx)
    np.testing.assert_allclose(symcore.function([x, vx], r)(a, c), np.stack([c, 2 * a * c]))
