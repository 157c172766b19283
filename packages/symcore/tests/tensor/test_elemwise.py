"""Elemwise and DimShuffle: broadcasting, dtypes, run-time checks, views, shapes, grads."""

import numpy as np
import pytest
import symcore
import symcore.scalar as S
import symcore.tensor as T
from symcore.graph.fg import FunctionGraph
from symcore.tensor.elemwise import DimShuffle, Elemwise

rng = np.random.default_rng(42)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


# ---------------------------------------------------------------------------------------
# Elemwise: building
# ---------------------------------------------------------------------------------------

def test_str_like_theano():
    x = T.dmatrix()
    assert str(T.add) == "Elemwise{add,no_inplace}"
    assert str(Elemwise(S.add, {0: 0})) == "Elemwise{add,inplace}"
    assert str((x + x).owner.op) == "Elemwise{add,no_inplace}"
    assert str(Elemwise(S.mul, {0: 1})) == "Elemwise{mul}[(0, 1)]"


def test_value_semantics():
    assert Elemwise(S.add) == T.add
    assert hash(Elemwise(S.add)) == hash(T.add)
    assert Elemwise(S.add) != Elemwise(S.mul)
    assert Elemwise(S.add, {0: 0}) != T.add
    assert Elemwise(S.add, {0: 0}) == Elemwise(S.add, {0: 0})
    assert Elemwise(S.add, {0: 0}).destroy_map == {0: [0]}


def test_output_broadcastable_is_and_of_inputs():
    r, c = T.drow(), T.dcol()
    out = r + c
    assert out.type.broadcastable == (False, False)
    assert (T.drow() + T.drow()).type.broadcastable == (True, False)


def test_lower_ndim_inputs_are_padded_left():
    v, m = T.dvector(), T.dmatrix()
    out = v + m
    assert out.ndim == 2
    padded = out.owner.inputs[0]
    assert isinstance(padded.owner.op, DimShuffle)
    assert padded.type.broadcastable == (True, False)
    a, b = rng.random(3), rng.random((2, 3))
    np.testing.assert_allclose(run(out, [v, m], a, b), a + b)


def test_wrong_number_of_inputs():
    with pytest.raises(TypeError, match="exp"):
        T.exp(T.dvector(), T.dvector())


def test_static_shapes_propagate():
    x = T.tensor("float64", shape=(3, None))
    y = T.tensor("float64", shape=(None, 4))
    assert (x + y).type.shape == (3, 4)
    z = T.tensor("float64", shape=(5, None))
    with pytest.raises(ValueError, match="static shapes"):
        x + z


def test_inplace_type_mismatch_refused():
    with pytest.raises(TypeError, match="overwrite"):
        Elemwise(S.add, {0: 0})(T.fvector(), T.dvector())


# ---------------------------------------------------------------------------------------
# Elemwise: running
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape_x, shape_y, pat_x, pat_y", [
    ((3, 4), (1, 4), (False, False), (True, False)),
    ((3, 1), (1, 4), (False, True), (True, False)),
    ((0, 4), (1, 4), (False, False), (True, False)),
    ((3, 4), (3, 4), (False, False), (False, False)),
])
def test_broadcasting_matches_numpy(shape_x, shape_y, pat_x, pat_y):
    x, y = T.tensor("float64", pat_x), T.tensor("float64", pat_y)
    a, b = rng.random(shape_x), rng.random(shape_y)
    np.testing.assert_allclose(run(x * y - x, [x, y], a, b), a * b - a)


def test_runtime_broadcast_of_undeclared_dim_is_an_error():
    x, y = T.dmatrix(), T.dmatrix()
    f = symcore.function([x, y], x + y)
    with pytest.raises(ValueError) as info:
        f(np.ones((3, 4)), np.ones((3, 1)))
    msg = str(info.value)
    assert "add" in msg and "(3, 4)" in msg and "(3, 1)" in msg and "broadcastable" in msg


def test_runtime_shape_mismatch_is_value_error():
    x, y = T.dvector(), T.dvector()
    f = symcore.function([x, y], x * y)
    with pytest.raises(ValueError, match=r"mul.*\(3,\).*\(4,\)"):
        f(np.ones(3), np.ones(4))


def test_zero_size_and_0d():
    x = T.dmatrix()
    out = run(T.exp(x) + 1, [x], np.ones((0, 5)))
    assert out.shape == (0, 5) and out.dtype == np.float64
    s = T.dscalar()
    r = run(s * 2, [s], 3.0)
    assert type(r) is np.ndarray and r.shape == () and r == 6.0


def test_non_contiguous_and_negative_strides():
    x, y = T.dmatrix(), T.dmatrix()
    base = rng.random((6, 8))
    a = base[::2, ::-3]
    b = base[1::2, ::-3]
    np.testing.assert_allclose(run(x * y + T.sqrt(x), [x, y], a, b), a * b + np.sqrt(a))


def test_outputs_are_fresh_arrays_of_the_output_dtype():
    x = T.fvector()
    a = np.ones(3, dtype="float32")
    out = run(T.tensor_copy(x), [x], a)
    assert out.dtype == np.float32 and not np.shares_memory(out, a)
    out = run(T.cast(x, "int16"), [x], a)
    assert out.dtype == np.int16


def test_inplace_perform_overwrites_input():
    x, y = T.dvector(), T.dvector()
    node = Elemwise(S.add, {0: 0}).make_node(x, y)
    a, b = np.ones(3), np.arange(3.0)
    storage = [[None]]
    node.op.perform(node, [a, b], storage)
    np.testing.assert_allclose(storage[0][0], [1, 2, 3])
    assert storage[0][0] is a


def test_dtype_of_output_matches_numpy():
    for d1, d2 in [("int8", "int8"), ("int32", "float32"), ("uint8", "int8"), ("bool", "bool"),
                   ("float16", "float32"), ("int64", "uint64")]:
        x, y = T.tensor(d1, (False,)), T.tensor(d2, (False,))
        out = x + y
        ref = (np.ones(2, d1) + np.ones(2, d2)).dtype
        assert out.dtype == ref.name, (d1, d2)
        assert run(out, [x, y], np.ones(2, d1), np.ones(2, d2)).dtype == ref


def test_bool_subtract_is_a_type_error_naming_the_op():
    with pytest.raises(TypeError, match="sub.*bool"):
        T.bvector().astype("bool") - T.vector(dtype="bool")


# ---------------------------------------------------------------------------------------
# infer_shape
# ---------------------------------------------------------------------------------------

def _eval_shapes(out, inputs, values):
    node = out.owner
    shapes = [tuple(T.constant(s, dtype="int64") for s in np.shape(v)) for v in values]
    inferred = node.op.infer_shape(node, shapes)
    return [tuple(int(T.get_scalar_constant_value(s)) for s in shp) for shp in inferred]


def test_elemwise_infer_shape():
    x, r = T.dmatrix(), T.drow()
    out = x + r
    shapes = _eval_shapes(out, [x, r], [np.ones((3, 4)), np.ones((1, 4))])
    assert shapes == [(3, 4)]
    r2 = T.drow()
    out = r + r2
    assert _eval_shapes(out, [r, r2], [np.ones((1, 4)), np.ones((1, 4))]) == [(1, 4)]


def test_dimshuffle_infer_shape():
    x = T.dmatrix()
    out = x.dimshuffle(1, "x", 0)
    assert _eval_shapes(out, [x], [np.ones((3, 4))]) == [(4, 1, 3)]


# ---------------------------------------------------------------------------------------
# DimShuffle
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bc, order, shape", [
    ((False, False), (1, 0), (3, 4)),
    ((False, False), ("x", 0, 1), (3, 4)),
    ((False, True), (0,), (3, 1)),
    ((True, True), (), (1, 1)),
    ((False, True, False), (2, "x", 0), (2, 1, 5)),
    ((), ("x", "x"), ()),
    ((False,), (0, "x"), (0,)),
])
def test_dimshuffle_matches_numpy(bc, order, shape):
    x = T.tensor("float64", bc)
    out = x.dimshuffle(*order) if order else x.dimshuffle(())
    a = rng.random(shape)
    kept = [o for o in order if o != "x"]
    dropped = tuple(i for i in range(len(shape)) if i not in kept)
    ref = np.squeeze(a, axis=dropped) if dropped else a
    perm = [sorted(kept).index(o) for o in kept]
    ref = ref.transpose(perm)
    ref = ref.reshape([1 if o == "x" else shape[o] for o in order])
    got = run(out, [x], a)
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, ref)
    assert out.type.broadcastable == tuple(True if o == "x" else bc[o] for o in order)


def test_dimshuffle_is_a_view():
    op = DimShuffle((False, False), (1, 0))
    assert op.view_map == {0: [0]}
    a = rng.random((3, 4))
    node = op.make_node(T.dmatrix())
    st = [[None]]
    op.perform(node, [a], st)
    assert np.shares_memory(st[0][0], a)


def test_dimshuffle_errors():
    with pytest.raises(ValueError, match="broadcastable"):
        DimShuffle((False, False), (0,))
    with pytest.raises(ValueError, match="twice"):
        DimShuffle((False, False), (0, 0))
    with pytest.raises(ValueError, match="dimension 2"):
        DimShuffle((False, False), (0, 2))
    with pytest.raises(TypeError, match="must be broadcastable"):
        DimShuffle((True, False), (1,))(T.dmatrix())


def test_transpose_and_T():
    x = T.dtensor3()
    a = rng.random((2, 3, 4))
    np.testing.assert_array_equal(run(x.T, [x], a), a.T)
    np.testing.assert_array_equal(run(T.transpose(x, (1, 0, 2)), [x], a), a.transpose(1, 0, 2))
    np.testing.assert_array_equal(run(x.transpose(2, 0, 1), [x], a), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(run(T.transpose(x, (-1, 0, 1)), [x], a), a.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="permutation"):
        T.transpose(x, (0, 0, 1))
    assert T.dimshuffle(x, (0, 1, 2)) is x


def test_dimshuffle_negative_strides():
    x = T.dmatrix()
    a = rng.random((4, 6))[::-1, ::2]
    np.testing.assert_array_equal(run(x.dimshuffle(1, "x", 0), [x], a), a.T[:, None, :])


def test_fgraph_accepts_elemwise_graphs():
    x, y = T.dvector("x"), T.dvector("y")
    out = T.exp(x) * y + 1
    fg = FunctionGraph([x, y], [out])
    ops = [type(n.op.scalar_op) for n in fg.toposort() if isinstance(n.op, Elemwise)]
    assert S.Exp in ops and S.Mul in ops and S.Add in ops


# ---------------------------------------------------------------------------------------
# Gradients, R_op, constants, pickling
# ---------------------------------------------------------------------------------------

def test_verify_grad_elemwise_with_broadcasting():
    from symcore.gradient import verify_grad

    verify_grad(lambda a, b, c: T.exp(a) * b - c / (b + 2),
                [rng.random((2, 3)), rng.random((1, 3)), rng.random((2, 1))], rng=rng)


def test_elemwise_grad_sums_over_broadcast_dims():
    from symcore.gradient import grad

    m, r, c = T.dmatrix(), T.drow(), T.dcol()
    cost = (m * r + c).sum()
    gm, gr, gc = grad(cost, [m, r, c])
    assert gr.type.broadcastable == (True, False) and gc.type.broadcastable == (False, True)
    a, b, cv = rng.random((2, 3)), rng.random((1, 3)), rng.random((2, 1))
    got = symcore.function([m, r, c], [gm, gr, gc])(a, b, cv)
    np.testing.assert_allclose(got[0], np.broadcast_to(b, (2, 3)))
    np.testing.assert_allclose(got[1], a.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(got[2], np.full((2, 1), 3.0))


def test_verify_grad_dimshuffle():
    from symcore.gradient import verify_grad

    verify_grad(lambda a: a.dimshuffle(1, "x", 0) * np.arange(1.0, 3.0).reshape(1, 1, 2),
                [rng.random((2, 3))], rng=rng)
    verify_grad(lambda a: a.dimshuffle(1) * 3, [rng.random((1, 4))], rng=rng)


def test_dimshuffle_grad_when_output_grad_is_not_broadcastable():
    x = T.dvector()
    op = DimShuffle((False,), (0, "x"))
    out = op(x)
    gz = T.dmatrix()  # not typed broadcastable on the inserted dim
    (gx,) = op.L_op([x], [out], [gz])
    assert gx.type.broadcastable == (False,)
    g = np.arange(3.0).reshape(3, 1)
    np.testing.assert_allclose(symcore.function([gz], gx)(g), g[:, 0])


def test_dimshuffle_r_op():
    x, v = T.dmatrix(), T.dmatrix()
    out = x.T
    (r,) = out.owner.op.R_op([x], [v])
    a = rng.random((2, 3))
    np.testing.assert_array_equal(symcore.function([v], r)(a), a.T)
    assert out.owner.op.R_op([x], [None]) == [None]


def test_integer_dimshuffle_grad_is_float_zeros():
    from symcore.config import config

    i = T.ivector()
    (g,) = DimShuffle((False,), ("x", 0)).L_op([i], [i.dimshuffle("x", 0)], [T.dmatrix()])
    assert g.dtype == config.floatX


def test_scalar_constant_value_sees_through_elemwise_and_dimshuffle():
    c = T.constant(2.0)
    v = T.get_scalar_constant_value((c * 3 + 1).dimshuffle("x"))
    assert float(v) == 7.0
    x = T.dvector()
    assert float(T.get_scalar_constant_value(T.fill(x, 5.0))) == 5.0
    assert T.get_scalar_constant_value(T.cast(T.constant(3.7), "int32")) == 3
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(x + 1)


def test_pickling_ops():
    import pickle

    cast_op = T.cast(T.dvector(), "int8").owner.op
    for op in [T.add, Elemwise(S.add, {0: 0}), DimShuffle((False, True), ("x", 0)), cast_op]:
        back = pickle.loads(pickle.dumps(op))
        assert back == op and hash(back) == hash(op) and str(back) == str(op)
    a, b = S.float64(), S.float64()
    comp = Elemwise(S.Composite([a, b], [a * S.exp(b)]))
    back = pickle.loads(pickle.dumps(comp))
    assert back == comp and str(back) == str(comp)
    x = T.dvector()
    f = pickle.loads(pickle.dumps(symcore.function([x], (T.exp(x) + 1).dimshuffle("x", 0))))
    np.testing.assert_allclose(f(np.zeros(2)), [[2.0, 2.0]])


def test_fit_grad_reduces_to_the_input_pattern_and_dtype():
    x, r, f = T.dvector(), T.drow(), T.fvector()
    m = T.dmatrix()
    a = rng.random((3, 2))
    g = Elemwise._fit_grad(x, m)  # x broadcast on a leading dim it does not have
    assert g.type == x.type
    np.testing.assert_allclose(symcore.function([m], g)(a), a.sum(axis=0))
    g = Elemwise._fit_grad(r, m)
    assert g.type == r.type
    np.testing.assert_allclose(symcore.function([m], g)(a), a.sum(axis=0, keepdims=True))
    g = Elemwise._fit_grad(f, T.dvector())
    assert g.dtype == "float32"
