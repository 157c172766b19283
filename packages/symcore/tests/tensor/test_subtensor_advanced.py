"""Advanced indexing (``AdvancedSubtensor1``, ``AdvancedSubtensor``) and ``take``, with
NumPy as the oracle: integer arrays, boolean masks, mixes with slices/newaxis/ints,
static types, symbolic shapes and gradients (duplicates accumulate)."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.config import config
from symcore.gradient import grad, verify_grad
from symcore.tensor.subtensor_advanced import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    advanced_subtensor,
)
from symcore.testing.shapes import check_infer_shape_symbolic

rng = np.random.default_rng(3)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs, on_unused_input="ignore")(*values)


def ops_in(out, inputs):
    return [
        type(n.op)
        for n in symcore.function(
            list(inputs), out, on_unused_input="ignore"
        ).maker.fgraph.toposort()
    ]


# ---------------------------------------------------------------------------------------
# AdvancedSubtensor1
# ---------------------------------------------------------------------------------------


def test_int_vector_routes_to_advanced_subtensor1():
    x = T.dmatrix()
    i = T.lvector()
    out = x[i]
    assert isinstance(out.owner.op, AdvancedSubtensor1)
    assert isinstance(x[i, :].owner.op, AdvancedSubtensor1)
    assert isinstance(x[[0, 2]].owner.op, AdvancedSubtensor1)
    assert isinstance(x[:, i].owner.op, AdvancedSubtensor)
    v = rng.normal(size=(5, 3))
    for idx in [[0, 4, 1], [-1, -5, 2], [2, 2, 2, 0], [], [3]]:
        arr = np.array(idx, dtype=np.int64)
        np.testing.assert_array_equal(run(out, [x, i], v, arr), v[arr])
    check_infer_shape_symbolic(out, [x, i], [v, np.array([1, 1, 0, 3])])


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8", "uint64"])
def test_advanced_subtensor1_index_dtypes(dtype):
    x = T.dvector()
    i = T.vector(dtype=dtype)
    v = np.arange(6.0)
    idx = np.array([5, 0, 3, 3], dtype=dtype)
    np.testing.assert_array_equal(run(x[i], [x, i], v, idx), v[idx])


def test_advanced_subtensor1_types():
    r = T.row()
    assert r[[0, 0]].broadcastable == (False, False)
    assert r[[0]].broadcastable == (True, False)
    x = T.tensor("float64", shape=(None, 3))
    assert x[[0, 1, 1]].type.shape == (3, 3)


def test_advanced_subtensor1_out_of_bounds():
    x = T.dvector()
    i = T.lvector()
    f = symcore.function([x, i], x[i])
    with pytest.raises(IndexError, match=r"AdvancedSubtensor1.*\(3,\)"):
        f(np.zeros(3), np.array([0, 3]))
    with pytest.raises(IndexError):
        f(np.zeros(3), np.array([-4]))
    c = T.tensor("float64", shape=(3,))
    with pytest.raises(IndexError, match="out of bounds"):
        c[[0, 5]]
    with pytest.raises(TypeError, match="integer vector"):
        AdvancedSubtensor1()(x, T.dvector())
    with pytest.raises(IndexError, match="0-d"):
        T.dscalar()[[0]]


def test_advanced_subtensor1_noncontiguous():
    x = T.dmatrix()
    v = rng.normal(size=(6, 8))[::-2, 1::3]
    idx = np.array([2, 0, 1, 0])
    np.testing.assert_array_equal(run(x[idx], [x], v), v[idx])


def test_advanced_subtensor1_grad_accumulates_duplicates():
    x = T.dmatrix()
    v = rng.normal(size=(4, 3))
    idx = np.array([1, 3, 1, 1])
    w = rng.normal(size=(4, 3))
    g = grad(T.sum(x[idx] * w), x)
    expected = np.zeros_like(v)
    np.add.at(expected, idx, w)
    np.testing.assert_allclose(run(g, [x], v), expected)
    verify_grad(lambda a: a[np.array([0, 2, 2, -1])], [v])


# ---------------------------------------------------------------------------------------
# AdvancedSubtensor: NumPy semantics, static types
# ---------------------------------------------------------------------------------------

ADV_CASES = [
    (np.array([[0, 1], [2, 0]]),),
    (slice(None), np.array([2, 0, 0])),
    (np.array([1, 0]), np.array([3, 3])),
    (np.array([[1], [0]]), np.array([3, 1, 2])),
    (0, slice(None), np.array([1, 2])),  # separated: advanced dims go first
    (slice(1, None), 0, np.array([1, 2])),  # adjacent int + array
    (None, np.array([0, 1]), np.array([1, 2])),
    (np.array([0, 1]), None, np.array([1, 2])),  # newaxis does not break adjacency
    (Ellipsis, np.array([0, 3])),
    (np.array([1]), Ellipsis, np.array([1])),
    (np.array([True, False, True]),),
    (slice(None), np.array([True, False, True, True])),
    (np.ones((3, 4), bool),),
    (np.array([[True, False, True, False]] * 3), np.array([0, 1, 1, 0, 1, 0])),
    (np.array([False, False, False]), slice(None, None, -1)),
    (True,),
    (np.array(True), slice(None), 0),
    (slice(None, None, -1), np.array([], dtype=np.int64)),
    (np.array([-1, -3]), slice(None, None, 2), np.array([-4, 0])),
]


def _mask_or_array(e):
    return isinstance(e, np.ndarray) or isinstance(e, bool)


@pytest.mark.parametrize("idx", ADV_CASES, ids=range(len(ADV_CASES)))
def test_advanced_indexing_matches_numpy(idx):
    v = (
        rng.normal(size=(3, 4, 6))
        if not (len(idx) == 2 and getattr(idx[0], "shape", None) == (3, 4))
        else None
    )
    if v is None:
        v = rng.normal(size=(3, 4, 6))
    x = T.dtensor3()
    expected = v[idx]
    out = x[idx]
    assert out.ndim == expected.ndim
    got = run(out, [x], v)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    check_infer_shape_symbolic(out, [x], [v])
    # the same index with every array a symbolic input
    ins, vals, sidx = [], [], []
    for e in idx:
        if _mask_or_array(e):
            a = np.asarray(e)
            var = T.tensor(a.dtype.name, ndim=a.ndim)
            ins.append(var)
            vals.append(a)
            sidx.append(var)
        else:
            sidx.append(e)
    sout = x[tuple(sidx)]
    assert sout.ndim == expected.ndim
    np.testing.assert_array_equal(run(sout, [x] + ins, v, *vals), expected)
    check_infer_shape_symbolic(sout, [x] + ins, [v] + vals)


def test_random_advanced_indices_match_numpy():
    r = np.random.default_rng(5)
    v = r.normal(size=(3, 4, 5))
    x = T.dtensor3()
    n_checked = 0
    # every index is a new graph to build: a compiling backend checks fewer
    tries = 150 if config.linker == "py" else 50
    for _ in range(tries):
        idx = []
        dim = 0
        while dim < 3 and r.random() < 0.9:
            c = r.random()
            n = v.shape[dim]
            if c < 0.3:
                idx.append(r.integers(-n, n, size=tuple(r.integers(1, 3, size=r.integers(1, 3)))))
                dim += 1
            elif c < 0.45:
                idx.append(r.random(n) < 0.5)
                dim += 1
            elif c < 0.6:
                idx.append(int(r.integers(-n, n)))
                dim += 1
            elif c < 0.85:
                idx.append(slice(int(r.integers(-4, 4)), None, int(r.choice([-1, 1, 2]))))
                dim += 1
            else:
                idx.append(None)
        idx = tuple(idx)
        if not any(_mask_or_array(e) for e in idx):
            continue
        try:
            expected = v[idx]
        except IndexError:
            with pytest.raises(IndexError):
                run(x[idx], [x], v)
            continue
        out = x[idx]
        assert out.ndim == expected.ndim, idx
        got = run(out, [x], v)
        np.testing.assert_array_equal(got, expected)
        for k, (b, s) in enumerate(zip(out.broadcastable, out.type.shape, strict=True)):
            if s is not None:
                assert s == expected.shape[k], (idx, out.type.shape, expected.shape)
            if b:
                assert expected.shape[k] == 1
        ins, vals, sidx = [], [], []
        for e in idx:
            if isinstance(e, np.ndarray):
                var = T.tensor(e.dtype.name, ndim=e.ndim)
                ins.append(var)
                vals.append(e)
                e = var
            sidx.append(e)
        sout = x[tuple(sidx)]
        np.testing.assert_array_equal(run(sout, [x] + ins, v, *vals), expected)
        check_infer_shape_symbolic(sout, [x] + ins, [v] + vals)
        n_checked += 1
    assert n_checked > tries // 3


def test_boolean_mask_of_comparison():
    x = T.dmatrix()
    v = rng.normal(size=(4, 5))
    out = x[x > 0]
    assert out.ndim == 1 and isinstance(out.owner.op, AdvancedSubtensor)
    np.testing.assert_array_equal(run(out, [x], v), v[v > 0])
    check_infer_shape_symbolic(out, [x], [v])
    np.testing.assert_array_equal(run(x[T.lt(x, 10.0)], [x], v), v.reshape(-1))
    np.testing.assert_array_equal(run(x[x > 100.0], [x], v), v[v > 100])
    rows = x[T.gt(x[:, 0], 0)]
    assert rows.ndim == 2
    np.testing.assert_array_equal(run(rows, [x], v), v[v[:, 0] > 0])


def test_boolean_mask_shape_mismatch():
    x = T.dmatrix()
    m = T.bvector().astype("bool") if False else T.tensor("bool", ndim=1)
    f = symcore.function([x, m], x[m])
    with pytest.raises(IndexError, match=r"AdvancedSubtensor.*\(3, 2\)"):
        f(np.zeros((3, 2)), np.array([True, False]))
    c = T.tensor("float64", shape=(3, None))
    with pytest.raises(IndexError, match="boolean index"):
        c[np.array([True, False])]


def test_advanced_errors():
    x = T.dmatrix()
    with pytest.raises(TypeError, match="float64"):
        x[T.dvector()]
    with pytest.raises(TypeError, match="float"):
        x[np.array([0.5, 1.0])]
    with pytest.raises(IndexError, match="too many"):
        x[np.ones((2, 2, 2), bool)]
    with pytest.raises(IndexError, match="broadcast"):
        x[np.array([0, 1]), np.array([0, 1, 2])]  # static shapes already disagree
    i, j = T.lvector(), T.lvector()
    f = symcore.function([x, i, j], x[i, j])
    with pytest.raises(IndexError, match="broadcast"):
        f(np.zeros((3, 3)), np.array([0, 1]), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="Subtensor"):
        AdvancedSubtensor([T.TensorType("int64", ())])
    g = symcore.function([x], x[:, np.array([0, 5])])
    with pytest.raises(IndexError, match=r"out of bounds.*|\(2, 3\)"):
        g(np.zeros((2, 3)))


def test_symbolic_list_of_scalars_as_index():
    x = T.dvector()
    i, j = T.lscalars("i", "j")
    v = np.arange(5.0)
    np.testing.assert_array_equal(run(x[[i, j]], [x, i, j], v, 4, 1), v[[4, 1]])


def test_advanced_subtensor_function_and_value_semantics():
    x = T.dmatrix()
    v = rng.normal(size=(3, 4))
    out = advanced_subtensor(x, slice(None), np.array([3, 1]))
    np.testing.assert_array_equal(run(out, [x], v), v[:, [3, 1]])
    a, b = x[:, np.array([0])], x[:, np.array([2])]
    assert a.owner.op == b.owner.op and hash(a.owner.op) == hash(b.owner.op)
    assert "AdvancedSubtensor" in str(a.owner.op)
    node = out.owner
    storage = [[None]]
    node.op.perform(node, [v, np.array([3, 1])], storage)
    assert not np.shares_memory(storage[0][0], v)


@pytest.mark.parametrize(
    "idx",
    [
        (slice(None), np.array([2, 0, 2])),
        (np.array([[0, 1], [1, 1]]), np.array([0, 3])),
        (np.array([True, False, True]),),
        (0, slice(None), np.array([1, 1])),
        (None, np.array([2, 2]), slice(1, None)),
    ],
)
def test_advanced_grad(idx):
    verify_grad(lambda a: a[idx], [rng.normal(size=(3, 4, 2))])


def test_advanced_grad_accumulates_duplicates():
    x = T.dmatrix()
    v = rng.normal(size=(3, 4))
    rows, cols = np.array([0, 0, 2, 0]), np.array([1, 1, 3, 1])
    g = grad(T.sum(x[rows, cols] * np.arange(1.0, 5.0)), x)
    expected = np.zeros_like(v)
    np.add.at(expected, (rows, cols), np.arange(1.0, 5.0))
    np.testing.assert_allclose(run(g, [x], v), expected)
    assert any(t is AdvancedIncSubtensor for t in ops_in(g, [x]))


def test_advanced_grad_of_integer_input_is_zero():
    x = T.imatrix()
    node = x[:, np.array([0])].owner
    gz = node.op.grad(node.inputs, [T.dmatrix()])[0]
    np.testing.assert_array_equal(run(gz, [x], np.ones((2, 2), "int32")), np.zeros((2, 2)))


def test_advanced_R_op():
    from symcore.gradient import Rop

    x, ev = T.dmatrix(), T.dmatrix()
    r = Rop(x[np.array([1, 1]), :][:, np.array([0])], x, ev)
    v, e = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    np.testing.assert_allclose(run(r, [x, ev], v, e), e[[1, 1]][:, [0]])


# ---------------------------------------------------------------------------------------
# take
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, 1, -1, 2])
@pytest.mark.parametrize(
    "indices",
    [np.array([0, 2, -1]), np.array([[1, 0], [0, 3]]), np.array(2), np.array([], dtype=np.int64)],
)
def test_take_like_numpy(axis, indices):
    v = rng.normal(size=(4, 5, 3))
    n = v.size if axis is None else v.shape[axis]
    if indices.size and indices.max() >= n:
        indices = indices % n
    x = T.dtensor3()
    expected = np.take(v, indices, axis=axis)
    np.testing.assert_array_equal(run(T.take(x, indices, axis=axis), [x], v), expected)
    i = T.tensor("int64", ndim=indices.ndim)
    np.testing.assert_array_equal(run(x.take(i, axis=axis), [x, i], v, indices), expected)


@pytest.mark.parametrize("mode", ["wrap", "clip"])
def test_take_modes(mode):
    v = rng.normal(size=(4, 3))
    idx = np.array([-7, -1, 0, 3, 9])
    x, i = T.dmatrix(), T.lvector()
    for axis in [None, 0, 1]:
        np.testing.assert_array_equal(
            run(T.take(x, i, axis=axis, mode=mode), [x, i], v, idx),
            np.take(v, idx, axis=axis, mode=mode),
        )


def test_take_errors_and_grad():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="mode"):
        T.take(x, [0], mode="nope")
    with pytest.raises(TypeError, match="integer"):
        T.take(x, [0], axis=1.0)
    with pytest.raises(np.exceptions.AxisError):
        T.take(x, [0], axis=2)
    with pytest.raises(TypeError, match="integers"):
        T.take(x, T.dvector())
    f = symcore.function([x], T.take(x, [5], axis=0))
    with pytest.raises(IndexError):
        f(np.zeros((2, 2)))
    verify_grad(lambda a: T.take(a, np.array([[1, 1], [0, 2]]), axis=1), [rng.normal(size=(2, 3))])
    verify_grad(lambda a: T.take(a, np.array([5, 0, 5])), [rng.normal(size=(2, 3))])


def test_inc_advanced1_op_str():
    assert str(AdvancedIncSubtensor1()) == "AdvancedIncSubtensor1"
    assert (
        str(AdvancedIncSubtensor1(set_instead_of_inc=True, inplace=True))
        == "AdvancedSetSubtensor1{inplace}"
    )
