"""set_subtensor / inc_subtensor (``IncSubtensor``, ``AdvancedIncSubtensor1``,
``AdvancedIncSubtensor``): NumPy as the oracle (``np.add.at`` for repeated indices),
broadcasting of the value, dtype rules, errors, in-place contract and gradients."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import grad, verify_grad
from symcore.tensor.shape import Shape_i
from symcore.tensor.subtensor import IncSubtensor
from symcore.tensor.subtensor_advanced import AdvancedIncSubtensor, AdvancedIncSubtensor1

rng = np.random.default_rng(17)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs, on_unused_input="ignore")(*values)


def check_infer_shape(out, inputs, values):
    node = out.owner
    shapes = [tuple(Shape_i(i)(v) for i in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(node, shapes)[out.index]
    real = run(out, inputs, *values)
    got = run(list(inferred), inputs, *values)
    assert tuple(int(g) for g in got) == real.shape


def np_inc(v, idx, y, set_=False):
    out = v.copy()
    if set_:
        out[idx] = y
    else:
        np.add.at(out, idx, y)
    return out


BASIC = [
    (1,),
    (slice(1, None),),
    (slice(None, None, -1), 2),
    (Ellipsis, slice(0, 3, 2)),
    (-1, slice(None, -2)),
    (slice(10, 20),),
    (None, 0),
    (slice(None), None, slice(1, 2)),
    (),
]


@pytest.mark.parametrize("idx", BASIC, ids=range(len(BASIC)))
@pytest.mark.parametrize("set_", [False, True])
def test_basic_set_and_inc_match_numpy(idx, set_):
    v = rng.normal(size=(3, 4))
    x = T.dmatrix()
    region = v[idx]
    y = T.tensor("float64", ndim=region.ndim)
    yv = rng.normal(size=region.shape)
    out = T.set_subtensor(x[idx], y) if set_ else T.inc_subtensor(x[idx], y)
    assert isinstance(out.owner.op, IncSubtensor) and out.type == x.type
    v_before = v.copy()
    np.testing.assert_array_equal(run(out, [x, y], v, yv), np_inc(v, idx, yv, set_))
    np.testing.assert_array_equal(v, v_before)  # the input is not modified
    check_infer_shape(out, [x, y], [v, yv])


def test_set_and_inc_methods():
    x = T.dmatrix()
    v = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(
        run(x[1:, 0].set(7.0), [x], v), np_inc(v, (slice(1, None), 0), 7.0, True)
    )
    np.testing.assert_array_equal(run(x[0].inc(1.0), [x], v), np_inc(v, 0, 1.0))
    np.testing.assert_array_equal(run(x[[0, 0]].inc(1.0), [x], v), np_inc(v, [0, 0], 1.0))
    np.testing.assert_array_equal(run(x[x > 0].set(0.0), [x], v), np.where(v > 0, 0.0, v))


def test_symbolic_indices():
    x = T.dmatrix()
    i, j = T.lscalars("i", "j")
    y = T.dvector()
    out = T.inc_subtensor(x[i, j:], y)
    v, yv = rng.normal(size=(3, 5)), rng.normal(size=3)
    np.testing.assert_array_equal(
        run(out, [x, i, j, y], v, -1, 2, yv), np_inc(v, (-1, slice(2, None)), yv)
    )


def test_value_broadcasting():
    x = T.dtensor3()
    v = rng.normal(size=(2, 3, 4))
    r = T.row()
    row_v = rng.normal(size=(1, 4))
    np.testing.assert_array_equal(
        run(T.inc_subtensor(x[0], r), [x, r], v, row_v), np_inc(v, 0, row_v)
    )
    s = T.dscalar()
    np.testing.assert_array_equal(
        run(T.set_subtensor(x[:, 1:], s), [x, s], v, 2.5),
        np_inc(v, (slice(None), slice(1, None)), 2.5, True),
    )
    vec = T.dvector()
    np.testing.assert_array_equal(
        run(T.inc_subtensor(x[1, :, 1:3], vec[:2]), [x, vec], v, np.arange(3.0)),
        np_inc(v, (1, slice(None), slice(1, 3)), np.arange(2.0)),
    )


def test_value_on_broadcastable_region_is_checked():
    r = T.row()
    y = T.dmatrix()
    out = T.set_subtensor(r[:], y)  # y gets an addbroadcast on its first dimension
    f = symcore.function([r, y], out)
    np.testing.assert_array_equal(f(np.zeros((1, 3)), np.ones((1, 3))), np.ones((1, 3)))
    with pytest.raises(ValueError):
        f(np.zeros((1, 3)), np.ones((2, 3)))


def test_runtime_shape_mismatch_error():
    x, y = T.dmatrix(), T.dvector()
    f = symcore.function([x, y], T.set_subtensor(x[0], y))
    with pytest.raises(ValueError, match=r"SetSubtensor.*\(5,\).*\(3,\)"):
        f(np.zeros((2, 3)), np.ones(5))
    g = symcore.function([x, y], T.inc_subtensor(x[0], y))
    with pytest.raises(ValueError, match=r"IncSubtensor.*\(2,\)"):
        g(np.zeros((2, 3)), np.ones(2))
    h = symcore.function([x, y], T.inc_subtensor(x[5], y))
    with pytest.raises(IndexError, match=r"out of bounds.*\(2, 3\)"):
        h(np.zeros((2, 3)), np.ones(3))


def test_build_time_errors():
    x = T.dmatrix()
    with pytest.raises(TypeError, match="indexing operation"):
        T.set_subtensor(x, 1.0)
    with pytest.raises(TypeError, match="indexing operation"):
        T.inc_subtensor(x + 1, 1.0)
    with pytest.raises(TypeError, match="2-d subtensor with a 3-d"):
        T.set_subtensor(x[:], T.dtensor3())
    with pytest.raises(ValueError, match="static shape"):
        T.set_subtensor(T.tensor("float64", shape=(3, 4))[0], T.constant(np.ones(3)))
    xi = T.imatrix()
    with pytest.raises(TypeError, match="dtype"):
        T.inc_subtensor(xi[0], T.dvector())
    with pytest.raises(TypeError, match="cannot be stored"):
        T.set_subtensor(xi[0], 1.5)
    xb = T.tensor("int8", ndim=1)
    with pytest.raises(TypeError, match="cannot be stored"):
        T.set_subtensor(xb[0], 1000)


def test_dtype_rules():
    x32 = T.fmatrix()
    out = T.inc_subtensor(x32[0], T.dvector())  # same kind: allowed, stays float32
    assert out.dtype == "float32"
    v = np.zeros((2, 3), "float32")
    got = run(out, [x32, out.owner.inputs[1]], v, np.ones(3))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np_inc(v, 0, np.ones(3, "float32")))
    xi = T.imatrix()
    got = run(T.inc_subtensor(xi[:, 1], 3), [xi], np.ones((2, 2), "int32"))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [[1, 4], [1, 4]])


def test_empty_regions_and_arrays():
    x = T.dmatrix()
    v = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(run(T.set_subtensor(x[5:], 1.0), [x], v), v)
    np.testing.assert_array_equal(run(T.inc_subtensor(x[[]], 1.0), [x], v), v)
    e = np.zeros((0, 4))
    np.testing.assert_array_equal(run(T.inc_subtensor(x[:, 1], 1.0), [x], e), e)


def test_noncontiguous_inputs():
    x, y = T.dmatrix(), T.dmatrix()
    v = rng.normal(size=(6, 8))[::-2, 1::2]
    yv = rng.normal(size=(8, 4))[::4, ::-1]
    np.testing.assert_array_equal(
        run(T.inc_subtensor(x[1:], y), [x, y], v, yv), np_inc(v, slice(1, None), yv)
    )


def test_inplace_contract():
    x, y = T.dmatrix(), T.dvector()
    base = x[0]
    op = IncSubtensor(base.owner.op.idx_list, inplace=True)
    assert op.destroy_map == {0: [0]} and IncSubtensor(base.owner.op.idx_list).destroy_map == {}
    assert op != IncSubtensor(base.owner.op.idx_list)
    node = op.make_node(x, y, *base.owner.inputs[1:])
    v = np.zeros((2, 3))
    storage = [[None]]
    op.perform(node, [v, np.ones(3), np.asarray(0)], storage)
    assert storage[0][0] is v and v[0].sum() == 3.0
    adv = AdvancedIncSubtensor1(inplace=True)
    assert adv.destroy_map == {0: [0]}
    assert "inplace" in str(op)


# ---------------------------------------------------------------------------------------
# advanced
# ---------------------------------------------------------------------------------------


def test_advanced_inc_subtensor1_duplicates_accumulate():
    x, i, y = T.dmatrix(), T.lvector(), T.dmatrix()
    out = T.inc_subtensor(x[i], y)
    assert isinstance(out.owner.op, AdvancedIncSubtensor1)
    v = rng.normal(size=(4, 3))
    idx = np.array([1, -1, 1, 1, 0])
    yv = rng.normal(size=(5, 3))
    np.testing.assert_allclose(run(out, [x, i, y], v, idx, yv), np_inc(v, idx, yv))
    check_infer_shape(out, [x, i, y], [v, idx, yv])
    s = T.set_subtensor(x[i], y)
    expected = v.copy()
    expected[idx] = yv  # NumPy: the last write wins
    np.testing.assert_allclose(run(s, [x, i, y], v, idx, yv), expected)
    r = T.dvector()
    np.testing.assert_allclose(
        run(T.inc_subtensor(x[i], r), [x, i, r], v, idx, np.arange(3.0)),
        np_inc(v, idx, np.arange(3.0)),
    )


def test_advanced_inc_subtensor1_errors():
    x, i = T.dvector(), T.lvector()
    f = symcore.function([x, i], T.inc_subtensor(x[i], 1.0))
    with pytest.raises(IndexError, match=r"AdvancedIncSubtensor1.*\(3,\)"):
        f(np.zeros(3), np.array([3]))
    y = T.dvector()
    g = symcore.function([x, i, y], T.set_subtensor(x[i], y))
    with pytest.raises(ValueError, match="broadcast"):
        g(np.zeros(3), np.array([0, 1]), np.ones(3))


ADV_INC = [
    (slice(None), np.array([0, 0, 2])),
    (np.array([[0, 1], [1, 1]]), np.array([3, 3])),
    (np.array([True, False, True]),),
    (np.ones((3, 4), bool),),
    (1, np.array([1, -3])),
    (np.array([1, 1]), None, slice(1, None)),
    (Ellipsis, np.array([-1, -1, 0])),
]


@pytest.mark.parametrize("idx", ADV_INC, ids=range(len(ADV_INC)))
@pytest.mark.parametrize("how", ["inc", "set", "ignore_duplicates"])
def test_advanced_inc_subtensor_matches_numpy(idx, how):
    v = rng.normal(size=(3, 4))
    x = T.dmatrix()
    region_shape = v[idx].shape
    y = T.tensor("float64", ndim=len(region_shape))
    yv = rng.normal(size=region_shape)
    if how == "set":
        out = T.set_subtensor(x[idx], y)
        expected = v.copy()
        expected[idx] = yv
    elif how == "inc":
        out = T.inc_subtensor(x[idx], y)
        expected = np_inc(v, idx, yv)
    else:
        out = T.inc_subtensor(x[idx], y, ignore_duplicates=True)
        expected = v.copy()
        expected[idx] += yv
        assert isinstance(out.owner.op, AdvancedIncSubtensor) and out.owner.op.ignore_duplicates
    np.testing.assert_allclose(run(out, [x, y], v, yv), expected)
    check_infer_shape(out, [x, y], [v, yv])


def test_advanced_inc_with_symbolic_mask_and_scalar_value():
    x = T.dmatrix()
    v = rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        run(T.inc_subtensor(x[x < 0], 10.0), [x], v), np.where(v < 0, v + 10, v)
    )
    np.testing.assert_allclose(
        run(T.set_subtensor(x[T.gt(x, 0)], x[T.gt(x, 0)] * 2), [x], v), np.where(v > 0, 2 * v, v)
    )


def test_advanced_inc_errors():
    x = T.dmatrix()
    m = T.tensor("bool", ndim=1)
    f = symcore.function([x, m], T.inc_subtensor(x[m], 1.0))
    with pytest.raises(IndexError, match="AdvancedIncSubtensor"):
        f(np.zeros((3, 2)), np.array([True, False]))
    i = T.lmatrix()
    y = T.dvector()
    g = symcore.function([x, i, y], T.inc_subtensor(x[:, i], y))
    with pytest.raises(ValueError, match="broadcast"):
        g(np.zeros((3, 2)), np.zeros((2, 2), "int64"), np.ones(3))


# ---------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("set_", [False, True])
def test_basic_inc_grads(set_):
    fn = T.set_subtensor if set_ else T.inc_subtensor
    xv, yv = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    verify_grad(lambda a, b: fn(a[1:], b), [xv, yv])
    verify_grad(lambda a, b: fn(a[::-2, 1], b), [xv, rng.normal(size=2)])
    verify_grad(lambda a, b: fn(a[:, 1:3], b), [xv, rng.normal(size=(1, 2))])  # broadcast value
    verify_grad(lambda a, b: fn(a[0], b), [xv, np.array(0.7)])


def test_set_grad_wrt_x_is_zero_on_the_region():
    x, y = T.dmatrix(), T.dvector()
    out = T.set_subtensor(x[1], y)
    gx, gy = grad(T.sum(out * 3.0), [x, y])
    v = np.zeros((3, 2))
    expected = np.full((3, 2), 3.0)
    expected[1] = 0
    np.testing.assert_allclose(run(gx, [x, y], v, np.ones(2)), expected)
    np.testing.assert_allclose(run(gy, [x, y], v, np.ones(2)), [3.0, 3.0])


def test_broadcast_value_grad_is_summed():
    x, s = T.dmatrix(), T.dscalar()
    gs = grad(T.sum(T.inc_subtensor(x[:, 1:], s) * 2.0), s)
    assert gs.ndim == 0
    assert float(run(gs, [x, s], np.zeros((3, 4)), 1.0)) == pytest.approx(2.0 * 9)
    r = T.row()
    gr = grad(T.sum(T.set_subtensor(x[1:], r)), r)
    assert gr.broadcastable == (True, False)
    np.testing.assert_allclose(
        run(gr, [x, r], np.zeros((3, 4)), np.ones((1, 4))), 2 * np.ones((1, 4))
    )


def test_float32_value_into_float32_grad_dtype():
    x, y = T.fmatrix(), T.dvector()
    gy = grad(T.sum(T.inc_subtensor(x[0], y)), y)
    assert gy.dtype == "float64"


@pytest.mark.parametrize("set_", [False, True])
def test_advanced_inc1_grads(set_):
    fn = T.set_subtensor if set_ else T.inc_subtensor
    idx = np.array([2, 0, 2, -3])  # duplicates: inc accumulates, set's last write wins
    verify_grad(
        lambda a, b: fn(a[idx], b), [rng.normal(size=(3, 4)), rng.normal(size=(len(idx), 4))]
    )
    verify_grad(lambda a, b: fn(a[idx], b), [rng.normal(size=(3, 4)), rng.normal(size=4)])


@pytest.mark.parametrize("set_", [False, True])
def test_advanced_inc_grads(set_):
    fn = T.set_subtensor if set_ else T.inc_subtensor
    rows = np.array([0, 2, 0])
    verify_grad(
        lambda a, b: fn(a[rows, 1:], b), [rng.normal(size=(3, 4)), rng.normal(size=(len(rows), 3))]
    )
    mask = np.array([[True, False], [False, True], [True, True]])
    verify_grad(lambda a, b: fn(a[mask], b), [rng.normal(size=(3, 2)), rng.normal(size=4)])
    verify_grad(
        lambda a, b: fn(a[:, np.array([1, 0])], b),
        [rng.normal(size=(3, 2)), rng.normal(size=(1, 2))],
    )


def test_inc_grad_with_integer_x():
    xi, y = T.imatrix(), T.dvector()
    node = T.set_subtensor(xi[0], T.ivector()).owner
    gx, gy = node.op.grad(node.inputs, [T.imatrix()])[:2]
    np.testing.assert_array_equal(run(gx, [xi], np.ones((2, 2), "int32")), np.zeros((2, 2)))
    assert y is not None


def test_inc_R_op():
    from symcore.gradient import Rop

    x, y, ex, ey = T.dmatrix(), T.dvector(), T.dmatrix(), T.dvector()
    out = T.inc_subtensor(x[1], y)
    r = Rop(out, [x, y], [ex, ey])
    xv, yv, exv, eyv = (
        rng.normal(size=(2, 3)),
        rng.normal(size=3),
        rng.normal(size=(2, 3)),
        rng.normal(size=3),
    )
    np.testing.assert_allclose(run(r, [x, y, ex, ey], xv, yv, exv, eyv), np_inc(exv, 1, eyv))


def test_set_with_duplicates_grad_goes_to_the_last_write():
    x, y = T.dvector(), T.dvector()
    idx = np.array([1, 0, 1, 1])
    gy = grad(T.sum(T.set_subtensor(x[idx], y) * np.array([1.0, 2.0, 3.0])), y)
    np.testing.assert_allclose(run(gy, [x, y], np.zeros(3), np.ones(4)), [0.0, 1.0, 0.0, 2.0])
    m = T.dmatrix()
    rows, cols = np.array([0, 0, 1]), np.array([2, 2, 0])
    gy2 = grad(T.sum(T.set_subtensor(m[rows, cols], y[:3]) * 5.0), y)
    np.testing.assert_allclose(run(gy2, [m, y], np.zeros((2, 3)), np.ones(4)), [0.0, 5.0, 5.0, 0.0])
