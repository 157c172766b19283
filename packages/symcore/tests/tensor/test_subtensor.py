"""Basic indexing (``Subtensor``): NumPy as the oracle for values, views, static types,
symbolic shapes and gradients."""

import itertools

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.config import config
from symcore.gradient import grad, verify_grad
from symcore.tensor.subtensor import IncSubtensor, Subtensor, slice_length
from symcore.testing.shapes import check_infer_shape_symbolic

rng = np.random.default_rng(11)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs, on_unused_input="ignore")(*values)


def random_basic_index(ndim, r):
    """A random NumPy basic index for an ndim-d array (ints, slices, None, Ellipsis)."""
    idx = []
    dims_left = ndim
    used_ellipsis = False
    while dims_left > 0 and r.random() < 0.85:
        c = r.random()
        if c < 0.25:
            idx.append(int(r.integers(-3, 3)))
            dims_left -= 1
        elif c < 0.8:
            parts = [None if r.random() < 0.35 else int(r.integers(-7, 8)) for _ in range(2)]
            step = None if r.random() < 0.4 else int(r.choice([-3, -2, -1, 1, 2, 3]))
            idx.append(slice(parts[0], parts[1], step))
            dims_left -= 1
        elif c < 0.9:
            idx.append(None)
        elif not used_ellipsis:
            idx.append(Ellipsis)
            used_ellipsis = True
            dims_left = max(dims_left - int(r.integers(0, dims_left + 1)), 0)
    return tuple(idx)


def symbolize(index):
    """Replace ints (and slice bounds) by int scalar inputs; return (sym_index, inputs, values)."""
    inputs, values = [], []

    def sym(v, dtype):
        var = T.scalar(dtype=dtype)
        inputs.append(var)
        values.append(np.asarray(v, dtype=dtype))
        return var

    out = []
    for k, e in enumerate(index):
        dtype = ["int64", "int32", "int16", "uint8"][k % 4]
        if isinstance(e, int):
            out.append(sym(e, dtype) if e >= 0 or dtype != "uint8" else sym(e, "int8"))
        elif isinstance(e, slice):
            out.append(
                slice(
                    *(
                        None if p is None else sym(p, "int64" if p < 0 else dtype)
                        for p in (e.start, e.stop, e.step)
                    )
                )
            )
        else:
            out.append(e)
    return tuple(out), inputs, values


def test_slice_length_matches_python():
    for n in range(0, 6):
        for start, stop in itertools.product([None, -8, -3, -1, 0, 1, 2, 5, 9], repeat=2):
            for step in [None, -3, -2, -1, 1, 2, 4]:
                assert slice_length(n, start, stop, step) == len(range(n)[start:stop:step])
    with pytest.raises(ValueError):
        slice_length(3, None, None, 0)


def test_slice_length_symbolic():
    n, a, b, s = T.lscalars("n", "a", "b", "s")
    out = slice_length(n, a, b, s)
    f = symcore.function([n, a, b, s], out)
    cases = itertools.product([0, 1, 4, 7], [-9, -2, 0, 3, 8], [-9, -1, 0, 2, 8], [-3, -1, 1, 2])
    for nv, av, bv, sv in cases:
        assert int(f(nv, av, bv, sv)) == len(range(nv)[av:bv:sv]), (nv, av, bv, sv)
    g = symcore.function([n, s], slice_length(n, None, None, s))
    for nv, sv in itertools.product([0, 1, 5], [-2, -1, 1, 3]):
        assert int(g(nv, sv)) == len(range(nv)[::sv])


@pytest.mark.parametrize("seed", range(8))
def test_random_basic_indices_match_numpy(seed):
    r = np.random.default_rng(seed)
    # every index is a new graph to build: a compiling backend checks fewer per seed
    per_shape = 15 if config.linker == "py" else 4
    for shape in [(5,), (4, 5), (3, 4, 5), (0, 3), (2, 0, 3)]:
        x = T.tensor("float64", ndim=len(shape))
        v = r.normal(size=shape)
        for _ in range(per_shape):
            idx = random_basic_index(len(shape), r)
            try:
                expected = v[idx]
            except IndexError:
                with pytest.raises(IndexError):
                    run(x[idx], [x], v)
                continue
            out = x[idx]
            assert isinstance(out.owner.op, Subtensor)
            assert out.ndim == np.ndim(expected)
            got = run(out, [x], v)
            assert got.shape == np.shape(expected) and got.dtype == v.dtype
            np.testing.assert_array_equal(got, expected)
            # the same index with symbolic integer entries
            sidx, ins, vals = symbolize(idx)
            sout = x[sidx]
            assert sout.ndim == np.ndim(expected)
            np.testing.assert_array_equal(run(sout, [x] + ins, v, *vals), expected)
            check_infer_shape_symbolic(sout, [x] + ins, [v] + vals)


def test_output_is_a_view_and_type_is_exact():
    x = T.dmatrix()
    out = x[1:, ::-1]
    assert out.owner.op.view_map == {0: [0]}
    v = np.arange(12.0).reshape(3, 4)
    node = out.owner
    storage = [[None]]
    node.op.perform(node, [v] + [np.asarray(1), np.asarray(-1)], storage)
    assert np.shares_memory(storage[0][0], v)
    scalar = x[1, 2]
    node = scalar.owner
    node.op.perform(node, [v, np.asarray(1), np.asarray(2)], storage)
    assert (
        isinstance(storage[0][0], np.ndarray) and storage[0][0].shape == () and storage[0][0] == 6.0
    )


def test_noncontiguous_and_negative_stride_inputs():
    x = T.dtensor3()
    base = rng.normal(size=(6, 5, 8))
    for v in [base[::2, :, ::-3], base[:, ::-1], np.asfortranarray(base)]:
        for idx in [(1,), (slice(None, None, -1), 0), (Ellipsis, slice(1, None, 2)), (None, -1, 1)]:
            np.testing.assert_array_equal(run(x[idx], [x], v), v[idx])


@pytest.mark.parametrize("dtype", ["int8", "uint16", "int64", "float32", "complex128", "bool"])
def test_dtypes_preserved(dtype):
    x = T.tensor(dtype, ndim=2)
    v = (rng.normal(size=(3, 4)) * 5).astype(dtype)
    out = x[1:, 2]
    assert out.dtype == dtype
    np.testing.assert_array_equal(run(out, [x], v), v[1:, 2])


def test_broadcastable_rules_like_theano():
    r = T.row()  # (True, False)
    assert r[0].broadcastable == (False,)
    assert r[0:1].broadcastable == (True, False)
    assert r[:].broadcastable == (True, False)
    assert r[::-1].broadcastable == (True, False)
    assert r[1:].broadcastable == (False, False)  # length 0 on a broadcastable dim
    n = T.lscalar()
    assert r[n:].broadcastable == (False, False)
    m = T.dmatrix()
    assert m[0:1].broadcastable == (False, False)  # not provably length 1 in Theano's rule
    assert m[None].broadcastable == (True, False, False)
    assert m[:, None, 0].broadcastable == (False, True)
    v = np.ones((1, 4))
    np.testing.assert_array_equal(run(r[0], [r], v), v[0])  # Python int on a broadcastable dim


def test_static_shapes_are_propagated():
    x = T.tensor("float64", shape=(5, None))
    assert x[1:4].type.shape == (3, None)
    assert x[::-2].type.shape == (3, None)
    assert x[4:1].type.shape == (0, None)
    assert x[0:1].type.shape == (None, None)  # length 1 but not broadcastable: not recorded
    with pytest.raises(IndexError, match="out of bounds"):
        x[5]
    with pytest.raises(IndexError, match="out of bounds"):
        x[-6]


def test_index_errors_name_op_index_and_shape():
    x = T.dmatrix()
    f = symcore.function([x], x[3])
    with pytest.raises(IndexError, match=r"Subtensor.*\[3\].*\(2, 2\)"):
        f(np.zeros((2, 2)))
    i = T.lscalar()
    g = symcore.function([x, i], x[1, i])
    assert g(np.arange(4.0).reshape(2, 2), -1) == 3.0
    with pytest.raises(IndexError, match="out of bounds"):
        g(np.zeros((2, 2)), -3)


def test_invalid_indices():
    x = T.dmatrix()
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(TypeError, match="float"):
        x[1.5]
    with pytest.raises(TypeError, match="float64"):
        x[T.dscalar()]
    with pytest.raises(TypeError, match="float32"):
        x[T.fscalar() :]
    with pytest.raises(TypeError, match="integers"):
        x[1.0:2]
    with pytest.raises(TypeError):
        x["a"]
    with pytest.raises(ValueError, match="zero"):
        x[::0]
    s = T.dscalar()
    with pytest.raises(IndexError, match="0-d"):
        s[0]
    with pytest.raises(IndexError, match="0-d"):
        s[:]
    step = T.lscalar()
    f = symcore.function([x, step], x[::step])
    with pytest.raises(ValueError, match="zero"):
        f(np.zeros((2, 2)), 0)


def test_scalar_indexing_that_numpy_allows():
    s = T.dscalar()
    np.testing.assert_array_equal(run(s[()], [s], 3.0), 3.0)
    np.testing.assert_array_equal(run(s[...], [s], 3.0), 3.0)
    np.testing.assert_array_equal(run(s[None], [s], 3.0), np.asarray(3.0)[None])


def test_op_value_semantics():
    x = T.dmatrix()
    assert x[0].owner.op == x[1].owner.op
    assert hash(x[0].owner.op) == hash(x[1].owner.op)
    assert x[1:].owner.op == x[2:].owner.op
    assert x[1:].owner.op != x[:1].owner.op
    assert x[T.iscalar()].owner.op != x[0].owner.op  # int32 vs int64 placeholder
    assert len({x[0:1].owner.op, x[2:3].owner.op, x[::2].owner.op}) == 2
    assert str(x[1:, 2].owner.op) == "Subtensor{int64:, int64}"
    with pytest.raises(TypeError):
        Subtensor([3])


def test_numpy_integer_and_array_scalar_indices():
    x = T.dvector()
    v = np.arange(5.0)
    np.testing.assert_array_equal(run(x[np.int32(2)], [x], v), v[2])
    np.testing.assert_array_equal(run(x[np.array(3)], [x], v), v[3])
    np.testing.assert_array_equal(run(x[np.int8(1) : np.uint8(4)], [x], v), v[1:4])


def test_shape_of_shape_indexing_is_constant_when_static():
    x = T.tensor("float64", shape=(2, None, 4))
    assert int(T.get_scalar_constant_value(x.shape[-1])) == 4
    c = T.constant(np.array([3, 4, 5]))
    assert int(T.get_scalar_constant_value(c[1])) == 4
    v = T.make_vector(T.constant(7), T.lscalar())
    assert int(T.get_scalar_constant_value(v[0])) == 7
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(v[1])
    assert T.get_vector_length(x.shape[1:]) == 2
    assert T.get_vector_length(x.shape[::-1]) == 3


@pytest.mark.parametrize(
    "idx",
    [
        (1,),
        (slice(1, None),),
        (slice(None, None, -2), 1),
        (Ellipsis, 0),
        (None, slice(-2, None)),
        (slice(5, 10),),
    ],
)
def test_grad_matches_finite_differences(idx):
    verify_grad(lambda a: a[idx], [rng.normal(size=(4, 3))])


def test_grad_is_scatter_of_output_gradient():
    x = T.dmatrix()
    v = rng.normal(size=(4, 3))
    w = rng.normal(size=(2, 3))
    g = grad(T.sum(x[1::2, ::-1] * w), x)
    expected = np.zeros_like(v)
    expected[1::2, ::-1] = w
    np.testing.assert_allclose(run(g, [x], v), expected)
    i = T.lscalar()
    gi = grad(T.sum(x[i] * 2.0), x)
    got = symcore.function([x, i], gi)(v, -1)
    expected = np.zeros_like(v)
    expected[-1] = 2.0
    np.testing.assert_allclose(got, expected)
    assert isinstance(gi.owner.op, IncSubtensor) or any(
        isinstance(n.op, IncSubtensor) for n in symcore.function([x, i], gi).maker.fgraph.toposort()
    )


def test_grad_wrt_integer_input_is_zero_and_indices_disconnected():
    node = T.dmatrix()[T.lscalar()].owner
    g = node.op.grad(node.inputs, [T.dvector()])
    from symcore.graph.type import DisconnectedType

    assert isinstance(g[1].type, DisconnectedType)
    assert node.op.connection_pattern(node) == [[True], [False]]
    xi = T.imatrix()
    node = xi[0].owner
    gz = node.op.grad(node.inputs, [T.dvector()])[0]
    np.testing.assert_array_equal(run(gz, [xi], np.ones((2, 2), "int32")), np.zeros((2, 2)))


def test_R_op():
    from symcore.gradient import Rop

    x = T.dmatrix()
    ev = T.dmatrix()
    out = x[1:, 0]
    r = Rop(out, x, ev)
    v, e = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(run(r, [x, ev], v, e), e[1:, 0])
