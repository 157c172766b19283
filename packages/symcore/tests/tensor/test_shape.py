"""Shape, Shape_i, MakeVector, Reshape/flatten, SpecifyShape, Rebroadcast and the
broadcast-pattern helpers, with NumPy as the oracle."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import grad, verify_grad
from symcore.tensor.shape import (
    MakeVector,
    Rebroadcast,
    Reshape,
    Shape,
    Shape_i,
    SpecifyShape,
    get_vector_length,
    make_vector,
)

rng = np.random.default_rng(7)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs, on_unused_input="ignore")(*values)


def check_infer_shape(out, inputs, values):
    """The output node's infer_shape, evaluated on the inputs' real shapes, matches."""
    node = out.owner
    shapes = [tuple(Shape_i(i)(v) for i in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(node, shapes)[out.index]
    assert len(inferred) == out.ndim
    real = run(out, inputs, *values)
    if out.ndim == 0:
        return
    got = run(list(inferred), inputs, *values)
    assert tuple(int(g) for g in got) == real.shape


# ---------------------------------------------------------------------------------------
# Shape / Shape_i
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (3,), (0,), (2, 3), (4, 0, 2), (1, 2, 3, 4)])
def test_shape_values(shape):
    x = T.tensor("float64", ndim=len(shape))
    v = np.zeros(shape)
    out = run(x.shape, [x], v)
    assert out.dtype == np.int64 and out.shape == (len(shape),)
    np.testing.assert_array_equal(out, np.asarray(shape, dtype=np.int64).reshape(len(shape)))
    for i in range(len(shape)):
        assert run(x.shape[i], [x], v) == shape[i]
        assert run(Shape_i(i)(x), [x], v) == shape[i]


def test_shape_type_has_static_length():
    x = T.tensor3()
    s = T.shape(x)
    assert s.type.dtype == "int64" and s.type.shape == (3,)
    assert get_vector_length(s) == 3
    assert isinstance(s.owner.op, Shape)
    assert T.shape(T.vector()).type.shape == (1,)
    assert Shape_i(1)(x).ndim == 0


def test_shape_i_errors_and_constant_value():
    with pytest.raises(TypeError, match="dimensions"):
        Shape_i(2)(T.matrix())
    with pytest.raises(ValueError):
        Shape_i(-1)
    x = T.tensor("float64", shape=(3, None))
    assert int(T.get_scalar_constant_value(Shape_i(0)(x))) == 3
    assert int(T.get_scalar_constant_value(x.shape[0])) == 3
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(x.shape[1])


def test_shape_is_not_differentiable():
    x = T.dvector()
    assert Shape.differentiable is False and Shape_i.differentiable is False
    cost = T.sum(x) + T.cast(x.shape[0], "float64")
    g = grad(cost, x)
    np.testing.assert_allclose(run(g, [x], np.arange(3.0)), np.ones(3))


def test_shape_on_noncontiguous_input():
    x = T.dmatrix()
    v = np.zeros((5, 6))[::2, ::-3]
    np.testing.assert_array_equal(run(x.shape, [x], v), v.shape)


# ---------------------------------------------------------------------------------------
# MakeVector
# ---------------------------------------------------------------------------------------


def test_make_vector_values_and_dtype():
    a, b = T.lscalar(), T.iscalar()
    v = make_vector(a, b, 3)
    assert v.dtype == "int64" and v.type.shape == (3,)
    np.testing.assert_array_equal(run(v, [a, b], 4, 5), [4, 5, 3])
    f = make_vector(T.dscalar(), 2.0)
    assert f.dtype == "float64"
    with pytest.raises(TypeError, match="without loss"):
        MakeVector("int64")(T.dscalar())
    with pytest.raises(TypeError, match="scalar"):
        MakeVector("int64")(T.lvector())
    assert run(MakeVector("int64")(), []).shape == (0,)


def test_make_vector_grad():
    verify_grad(
        lambda a, b: make_vector(a, b) * np.array([2.0, -3.0]), [np.array(1.5), np.array(-0.5)]
    )


# ---------------------------------------------------------------------------------------
# Reshape
# ---------------------------------------------------------------------------------------

RESHAPES = [
    ((2, 3), (3, 2)),
    ((2, 3), (6,)),
    ((2, 3), (-1,)),
    ((2, 3), (3, -1)),
    ((2, 3, 4), (4, -1, 2)),
    ((6,), (1, 6)),
    ((6,), (6, 1)),
    ((1,), ()),
    ((), (1, 1)),
    ((0, 3), (3, 0)),
    ((0, 3), (-1,)),
    ((2, 0, 3), (2, -1)),
    ((4, 1), (2, 2)),
]


@pytest.mark.parametrize("src,dst", RESHAPES)
def test_reshape_constant_shapes(src, dst):
    x = T.tensor("float64", ndim=len(src))
    v = rng.normal(size=src)
    out = T.reshape(x, dst)
    assert out.ndim == len(dst)
    np.testing.assert_array_equal(run(out, [x], v), v.reshape(dst))
    np.testing.assert_array_equal(run(x.reshape(dst), [x], v), v.reshape(dst))
    check_infer_shape(out, [x], [v])


def test_reshape_symbolic_shapes():
    x = T.dmatrix()
    a, b = T.lscalar(), T.iscalar()
    v = rng.normal(size=(4, 6))
    out = T.reshape(x, (a, b, 2))  # mixed list: symbolic scalars and ints
    assert out.ndim == 3 and isinstance(out.owner.inputs[1].owner.op, MakeVector)
    f = symcore.function([x, a, b], out)
    np.testing.assert_array_equal(f(v, 3, 4), v.reshape(3, 4, 2))
    np.testing.assert_array_equal(f(v, -1, 4), v.reshape(-1, 4, 2))  # symbolic -1
    np.testing.assert_array_equal(f(v, 2, -1), v.reshape(2, -1, 2))
    check_infer_shape(out, [x, a, b], [v, -1, 4])
    check_infer_shape(out, [x, a, b], [v, 12, 1])
    shp = T.lvector()
    out2 = T.reshape(x, shp, ndim=2)
    np.testing.assert_array_equal(run(out2, [x, shp], v, np.array([8, 3])), v.reshape(8, 3))
    np.testing.assert_array_equal(run(out2, [x, shp], v, np.array([-1, 3])), v.reshape(-1, 3))
    check_infer_shape(out2, [x, shp], [v, np.array([-1, 12])])
    with pytest.raises(ValueError, match="ndim"):
        T.reshape(x, shp)
    # shapes of other variables
    y = T.dtensor3()
    out3 = x.reshape((y.shape[0], -1))
    np.testing.assert_array_equal(run(out3, [x, y], v, np.zeros((2, 1, 1))), v.reshape(2, -1))


def test_reshape_returns_view_when_possible():
    x = T.dmatrix()
    out = x.reshape((6,))
    assert out.owner.op.view_map == {0: [0]}
    v = np.arange(6.0).reshape(2, 3)
    node = out.owner
    storage = [[None]]
    node.op.perform(node, [v, np.array([6])], storage)
    assert np.shares_memory(storage[0][0], v)
    nc = np.arange(12.0).reshape(3, 4)[:, ::2]  # not contiguous: NumPy copies
    node.op.perform(node, [nc, np.array([6])], storage)
    np.testing.assert_array_equal(storage[0][0], nc.reshape(6))


def test_reshape_noncontiguous_and_negative_strides():
    x = T.dmatrix()
    v = np.arange(24.0).reshape(4, 6)[::-1, ::2]
    np.testing.assert_array_equal(run(x.reshape((3, 4)), [x], v), v.reshape(3, 4))


def test_reshape_broadcastable_from_constant_ones():
    x = T.dvector()
    assert T.reshape(x, (1, -1)).broadcastable == (True, False)
    assert T.reshape(x, (-1, 1)).broadcastable == (False, True)
    m = T.dmatrix()
    assert T.reshape(x, (m.shape[0], 1)).broadcastable == (False, True)
    r = T.row()
    assert T.reshape(r, (r.shape[0], r.shape[1])).broadcastable == (True, False)


def test_reshape_errors():
    x = T.dmatrix()
    f = symcore.function([x], x.reshape((4, 2)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        f(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="one unknown"):
        x.reshape((-1, -1))
    with pytest.raises(ValueError, match="negative"):
        x.reshape((-2, 3))
    with pytest.raises(TypeError):
        x.reshape((2.5, 3))
    with pytest.raises(TypeError):
        T.reshape(x, T.dvector(), ndim=1)
    c = T.constant(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="static shape"):
        c.reshape((4, 2))
    with pytest.raises(ValueError, match="length"):
        Reshape(3)(x, np.array([6, 1]))
    shp = T.lvector()
    g = symcore.function([x, shp], T.reshape(x, shp, ndim=2))
    with pytest.raises(ValueError, match="length 3"):
        g(np.zeros((2, 3)), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="at most one -1"):
        g(np.zeros((2, 3)), np.array([-1, -1]))


def test_reshape_grad():
    verify_grad(lambda x: T.reshape(x, (3, 4)), [rng.normal(size=(2, 6))])
    verify_grad(lambda x: T.reshape(x, (-1,)) * np.arange(12.0), [rng.normal(size=(2, 2, 3))])


# ---------------------------------------------------------------------------------------
# flatten
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 4), (0, 3, 4), (2, 0, 4), (1, 1, 5), (3,), ()])
def test_flatten_like_theano(shape):
    x = T.tensor("float64", ndim=len(shape))
    v = rng.normal(size=shape)
    for ndim in range(1, max(len(shape), 1) + 1):
        out = T.flatten(x, ndim)
        expected = v.reshape(v.shape[: ndim - 1] + (int(np.prod(v.shape[ndim - 1 :])),))
        got = run(out, [x], v)
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        if len(shape):
            check_infer_shape(out, [x], [v])


def test_flatten_broadcastable_and_aliases():
    x = T.tensor("float64", broadcastable=(True, False, True))
    assert T.flatten(x, 2).broadcastable == (True, False)
    y = T.tensor("float64", broadcastable=(False, True, True))
    assert T.flatten(y, 2).broadcastable == (False, True)
    m = T.dmatrix()
    v = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(run(T.flatten(m, outdim=1), [m], v), v.reshape(-1))
    np.testing.assert_array_equal(run(m.flatten(), [m], v), v.reshape(-1))
    np.testing.assert_array_equal(run(m.ravel(), [m], v), v.reshape(-1))
    with pytest.raises(ValueError, match="out of range"):
        T.flatten(m, 3)
    with pytest.raises(ValueError, match="out of range"):
        T.flatten(m, 0)


def test_flatten_grad():
    verify_grad(lambda x: T.flatten(x, 2), [rng.normal(size=(2, 3, 2))])


# ---------------------------------------------------------------------------------------
# SpecifyShape
# ---------------------------------------------------------------------------------------


def test_specify_shape_passes_and_checks():
    x = T.dmatrix()
    out = T.specify_shape(x, (2, 3))
    assert isinstance(out.owner.op, SpecifyShape)
    assert out.type.shape == (2, 3) and out.broadcastable == (False, False)
    f = symcore.function([x], out)
    v = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(f(v), v)
    with pytest.raises(ValueError, match=r"SpecifyShape.*\(3, 2\).*\(2, 3\)"):
        f(np.zeros((3, 2)))


def test_specify_shape_none_and_symbolic_entries():
    x = T.dmatrix()
    n = T.lscalar()
    out = T.specify_shape(x, (None, n))
    f = symcore.function([x, n], out)
    v = np.zeros((5, 3))
    np.testing.assert_array_equal(f(v, 3), v)
    with pytest.raises(ValueError, match="specified shape"):
        f(v, 4)
    check_infer_shape(out, [x, n], [v, 3])
    out1 = T.specify_shape(x, (1, None))
    assert out1.broadcastable == (False, False)  # never changes the broadcastable pattern
    np.testing.assert_array_equal(run(out1, [x], np.ones((1, 4))), np.ones((1, 4)))


def test_specify_shape_errors_at_build_time():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="entries"):
        T.specify_shape(x, (2, 3, 4))
    c = T.constant(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="static shape"):
        T.specify_shape(c, (3, 3))


def test_specify_shape_grad():
    verify_grad(lambda x: T.specify_shape(x, (2, 3)) * 2.0, [rng.normal(size=(2, 3))])


# ---------------------------------------------------------------------------------------
# Rebroadcast and friends
# ---------------------------------------------------------------------------------------


def test_patternbroadcast_types_and_identity():
    x = T.dmatrix()
    assert T.patternbroadcast(x, (False, False)) is x
    y = T.patternbroadcast(x, (True, False))
    assert y.broadcastable == (True, False) and isinstance(y.owner.op, Rebroadcast)
    assert T.addbroadcast(x, 1).broadcastable == (False, True)
    assert T.addbroadcast(x, -2).broadcastable == (True, False)
    assert T.addbroadcast(x, 0, 1).broadcastable == (True, True)
    r = T.row()
    assert T.unbroadcast(r, 0).broadcastable == (False, False)
    assert T.unbroadcast(r, 1) is r
    with pytest.raises(ValueError, match="entries"):
        T.patternbroadcast(x, (True,))
    with pytest.raises(np.exceptions.AxisError):
        T.addbroadcast(x, 2)
    assert Rebroadcast((1, True), (0, False)) == Rebroadcast((0, False), (1, True))


def test_rebroadcast_runtime_check():
    x = T.dmatrix()
    f = symcore.function([x], T.addbroadcast(x, 0))
    np.testing.assert_array_equal(f(np.ones((1, 3))), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"dimension 0 .* length 2"):
        f(np.ones((2, 3)))


def test_rebroadcast_infer_shape_and_grad():
    x = T.dmatrix()
    out = T.addbroadcast(x, 0)
    check_infer_shape(out, [x], [np.ones((1, 3))])
    verify_grad(lambda a: T.addbroadcast(a, 1) * 3.0, [rng.normal(size=(3, 1))])
    r = T.row()
    out = T.unbroadcast(r, 0)
    g = grad(T.sum(out * 2.0), r)
    assert g.broadcastable == (True, False)
    np.testing.assert_allclose(run(g, [r], np.ones((1, 3))), 2 * np.ones((1, 3)))


def test_convert_variable_uses_patternbroadcast():
    x = T.dmatrix()
    row_t = T.TensorType("float64", (True, False))
    y = row_t.filter_variable(x)
    assert y.type == row_t


# ---------------------------------------------------------------------------------------
# padding, squeeze, swapaxes, expand_dims
# ---------------------------------------------------------------------------------------


def test_shape_pad_functions():
    x = T.dmatrix()
    v = rng.normal(size=(2, 3))
    assert T.shape_padleft(x).broadcastable == (True, False, False)
    assert T.shape_padright(x, 2).broadcastable == (False, False, True, True)
    np.testing.assert_array_equal(run(T.shape_padleft(x, 2), [x], v), v[None, None])
    np.testing.assert_array_equal(run(T.shape_padright(x), [x], v), v[..., None])
    for axis in range(-3, 3):
        np.testing.assert_array_equal(
            run(T.shape_padaxis(x, axis), [x], v), np.expand_dims(v, axis)
        )
    with pytest.raises(np.exceptions.AxisError):
        T.shape_padaxis(x, 3)


@pytest.mark.parametrize("axis", [0, -1, (0, 2), (1, -1), (3, 0)])
def test_expand_dims_like_numpy(axis):
    x = T.dmatrix()
    v = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(run(T.expand_dims(x, axis), [x], v), np.expand_dims(v, axis))


def test_expand_dims_errors():
    with pytest.raises(ValueError, match="repeated"):
        T.expand_dims(T.dmatrix(), (0, 0))
    with pytest.raises(np.exceptions.AxisError):
        T.expand_dims(T.dmatrix(), 5)


def test_squeeze():
    x = T.tensor("float64", broadcastable=(True, False, True))
    v = rng.normal(size=(1, 3, 1))
    assert T.squeeze(x).ndim == 1
    np.testing.assert_array_equal(run(T.squeeze(x), [x], v), np.squeeze(v))
    np.testing.assert_array_equal(run(x.squeeze(axis=0), [x], v), np.squeeze(v, axis=0))
    m = T.dmatrix()
    assert T.squeeze(m) is m
    f = symcore.function([m], T.squeeze(m, axis=1))  # not broadcastable: checked at run time
    np.testing.assert_array_equal(f(np.ones((4, 1))), np.ones(4))
    with pytest.raises(ValueError, match="length 3"):
        f(np.ones((4, 3)))
    with pytest.raises(np.exceptions.AxisError):
        T.squeeze(m, 2)


def test_swapaxes():
    x = T.dtensor3()
    v = rng.normal(size=(2, 3, 4))
    for a1, a2 in [(0, 1), (0, 2), (-1, 0), (1, 1)]:
        np.testing.assert_array_equal(run(T.swapaxes(x, a1, a2), [x], v), np.swapaxes(v, a1, a2))
        np.testing.assert_array_equal(run(x.swapaxes(a1, a2), [x], v), np.swapaxes(v, a1, a2))
    verify_grad(lambda a: T.swapaxes(a, 0, 1), [v])
