"""Alloc family, Eye/Tri/tril/triu, ARange and the diagonal Ops against NumPy: symbolic
shapes and bounds, dtypes, static shapes, errors, infer_shape and gradients."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.config import config
from symcore.gradient import grad, verify_grad
from symcore.graph.fg import FunctionGraph
from symcore.tensor.alloc import Alloc, AllocEmpty, ARange, Eye, Tri, TriangularPart
from symcore.tensor.diagonal import AllocDiag, ExtractDiag, ExtractDiagGrad
from symcore.testing.shapes import check_infer_shape

rng = np.random.default_rng(11)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


# ---------------------------------------------------------------------------------------
# Alloc
# ---------------------------------------------------------------------------------------


def test_alloc_scalar_to_symbolic_shape():
    n, m = T.lscalars("n", "m")
    out = T.alloc(2.5, n, m)
    assert isinstance(out.owner.op, Alloc) and out.ndim == 2
    np.testing.assert_array_equal(run(out, [n, m], 2, 3), np.full((2, 3), 2.5))
    check_infer_shape(out, [n, m], [2, 3])


def test_alloc_broadcasts_value_to_trailing_dims():
    v = T.drow("v")
    x = T.dmatrix("x")
    out = T.alloc(v, 4, x.shape[0], 3)
    a = rng.random((1, 3))
    np.testing.assert_array_equal(
        run(out, [v, x], a, np.zeros((2, 5))), np.broadcast_to(a, (4, 2, 3))
    )
    check_infer_shape(out, [v, x], [a, np.zeros((2, 5))])


def test_alloc_static_shape_and_broadcastable():
    out = T.alloc(T.dscalar(), 1, 3, T.lscalar())
    assert out.type.shape == (1, 3, None)
    assert out.type.broadcastable == (True, False, False)
    v = T.tensor("float64", shape=(4,))
    assert T.alloc(v, T.lscalar(), T.lscalar()).type.shape == (None, 4)


def test_alloc_result_owns_its_memory_and_value_dtype():
    v = T.ivector("v")
    out = T.alloc(v, 2, 3)
    assert out.dtype == "int32"
    a = np.array([1, 2, 3], "int32")
    res = run(out, [v], a)
    assert res.dtype == np.int32 and res.flags.writeable and res.flags.owndata
    res[0, 0] = 99
    assert a[0] == 1


def test_alloc_shape_from_int_vector_and_list():
    x = T.dmatrix("x")
    out = T.zeros(x.shape)
    np.testing.assert_array_equal(run(out, [x], np.ones((2, 4))), np.zeros((2, 4)))
    n, m = T.lscalars("n", "m")
    out = T.zeros(T.stack([n, m]))
    assert out.owner.inputs[1:] == [n, m]  # a MakeVector shape is read entry by entry
    np.testing.assert_array_equal(run(out, [n, m], 2, 1), np.zeros((2, 1)))
    np.testing.assert_array_equal(T.zeros(np.array([2, 3])).eval(), np.zeros((2, 3)))
    out = T.ones([x.shape[1], 2], dtype="int8")
    res = run(out, [x], np.ones((2, 4)))
    assert res.dtype == np.int8 and res.shape == (4, 2)


def test_alloc_errors():
    with pytest.raises(ValueError, match="only 1"):
        T.alloc(T.dmatrix(), 3)
    with pytest.raises(ValueError, match="negative"):
        T.alloc(0.0, -1, 2)
    with pytest.raises(TypeError, match="integer"):
        T.alloc(0.0, T.dscalar())
    with pytest.raises(TypeError, match="integer"):
        T.alloc(0.0, 2.0)
    with pytest.raises(ValueError, match="cannot broadcast"):
        T.alloc(T.tensor("float64", shape=(3,)), 2, 4)
    v, n = T.dvector("v"), T.lscalar("n")
    f = symcore.function([v, n], T.alloc(v, 2, n))
    with pytest.raises(ValueError, match=r"Alloc.*\(3,\).*\(2, 4\)"):
        f(np.zeros(3), 4)
    with pytest.raises(ValueError, match="not marked broadcastable"):
        f(np.zeros(1), 4)
    with pytest.raises(ValueError, match="negative"):
        f(np.zeros(3), -3)


def test_alloc_empty_shape():
    out = T.alloc(T.dscalar("s"), 0, 3)
    assert run(out, [out.owner.inputs[0]], 1.0).shape == (0, 3)


def test_alloc_grad_sums_over_broadcast_dims():
    verify_grad(lambda v: T.alloc(v, 3, 2, 4), [rng.random((1, 4))])
    verify_grad(lambda v: T.alloc(v, 2, 3), [np.array(1.5)])
    verify_grad(lambda v: T.alloc(v, 2, 3) * rng.random((2, 3)), [rng.random(3)])


def test_alloc_grad_dtype_and_disconnected_shape():
    v = T.frow("v")
    n = T.lscalar("n")
    out = T.alloc(v, n, 3)
    g = grad((out * 2).sum(), v)
    assert g.dtype == "float32" and g.type.broadcastable == v.type.broadcastable
    np.testing.assert_array_equal(
        symcore.function([v, n], g)(np.ones((1, 3), "float32"), 5), np.full((1, 3), 10.0)
    )
    assert Alloc().connection_pattern(out.owner) == [[True], [False], [False]]


def test_alloc_constant_folding_policy():
    x = T.dmatrix("x")
    a = T.alloc(0.0, 2, 3)
    fg = FunctionGraph([x], [a, x + a], clone=False)
    assert not Alloc().do_constant_folding(fg, a.owner)
    b = T.alloc(0.0, 2, 3)
    fg2 = FunctionGraph([x], [T.dot(x, b.T)], clone=False)
    assert Alloc().do_constant_folding(fg2, b.owner)


def test_alloc_empty():
    n = T.lscalar("n")
    out = T.empty((n, 3), dtype="int16")
    assert isinstance(out.owner.op, AllocEmpty)
    res = run(out, [n], 2)
    assert res.shape == (2, 3) and res.dtype == np.int16
    check_infer_shape(out, [n], [4])
    x = T.fmatrix()
    e = T.empty_like(x)
    r = run(e, [x], np.ones((3, 2), "float32"))
    assert r.shape == (3, 2) and r.dtype == np.float32
    assert not AllocEmpty("float64").do_constant_folding(None, out.owner)


# ---------------------------------------------------------------------------------------
# zeros / ones / full / *_like
# ---------------------------------------------------------------------------------------


def test_zeros_ones_full_default_dtypes():
    assert T.zeros((2, 3)).dtype == config.floatX
    assert T.ones(4).eval().shape == (4,)
    np.testing.assert_array_equal(T.ones((2, 2), dtype="int32").eval(), np.ones((2, 2), "int32"))
    f = T.full((2, 3), 7, dtype="float32").eval()
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f, np.full((2, 3), 7, "float32"))
    np.testing.assert_array_equal(T.full((2,), np.int8(3)).eval(), np.full((2,), np.int8(3)))
    assert T.full((2,), np.int8(3)).dtype == "int8"
    n = T.lscalar()
    np.testing.assert_array_equal(T.zeros(n).eval({n: 3}), np.zeros(3))


def test_zeros_ones_like():
    x = T.imatrix("x")
    a = np.arange(6, dtype="int32").reshape(2, 3)
    z, o = T.zeros_like(x), T.ones_like(x, dtype="float32")
    assert z.dtype == "int32" and o.dtype == "float32"
    rz, ro = run([z, o], [x], a)
    np.testing.assert_array_equal(rz, np.zeros_like(a))
    np.testing.assert_array_equal(ro, np.ones_like(a, dtype="float32"))
    np.testing.assert_array_equal(x.zeros_like().eval({x: a}), np.zeros_like(a))


def test_full_like_follows_numpy_dtype():
    x = T.imatrix("x")
    a = np.zeros((2, 2), "int32")
    out = T.full_like(x, 2.7)
    assert out.dtype == "int32"
    np.testing.assert_array_equal(run(out, [x], a), np.full_like(a, 2.7))
    out = T.full_like(x, 2.5, dtype="float64")
    np.testing.assert_array_equal(run(out, [x], a), np.full_like(a, 2.5, dtype="float64"))
    s = T.dscalar("s")
    out = T.full_like(x, s, dtype="float32")
    assert out.dtype == "float32"
    np.testing.assert_array_equal(run(out, [x, s], a, 1.5), np.full((2, 2), 1.5, "float32"))


def test_zeros_like_grad_is_zero():
    x = T.dvector("x")
    g = grad((T.zeros_like(x) + x).sum(), x)
    np.testing.assert_array_equal(symcore.function([x], g)(np.ones(3)), np.ones(3))


# ---------------------------------------------------------------------------------------
# eye / identity_like / tri / tril / triu
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,m,k", [(3, None, 0), (3, 5, 1), (4, 2, -1), (2, 3, 5), (0, 3, 0)])
def test_eye_matches_numpy(n, m, k):
    out = T.eye(n, m, k)
    assert isinstance(out.owner.op, Eye) and out.dtype == config.floatX
    np.testing.assert_array_equal(out.eval(), np.eye(n, m, k, dtype=config.floatX))


def test_eye_symbolic_and_dtype():
    n, k = T.lscalars("n", "k")
    out = T.eye(n, n + 1, k, dtype="int8")
    np.testing.assert_array_equal(run(out, [n, k], 3, -1), np.eye(3, 4, -1, dtype="int8"))
    check_infer_shape(out, [n, k], [3, -1])
    assert T.eye(2, 3).type.shape == (2, 3)
    f = symcore.function([n], T.eye(n))
    with pytest.raises(ValueError, match="negative"):
        f(-1)


def test_identity_like():
    x = T.fmatrix("x")
    out = T.identity_like(x)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(run(out, [x], np.ones((2, 3), "float32")), np.eye(2, 3))
    with pytest.raises(TypeError, match="matrix"):
        T.identity_like(T.dvector())


@pytest.mark.parametrize("n,m,k", [(3, None, 0), (3, 5, 1), (4, 2, -2)])
def test_tri_matches_numpy(n, m, k):
    out = T.tri(n, m, k, dtype="int32")
    assert isinstance(out.owner.op, Tri)
    np.testing.assert_array_equal(out.eval(), np.tri(n, m, k, dtype="int32"))


@pytest.mark.parametrize("fn,npfn", [(T.tril, np.tril), (T.triu, np.triu)])
@pytest.mark.parametrize("k", [0, 1, -1, 7])
def test_tril_triu_match_numpy(fn, npfn, k):
    x = T.dtensor3("x")
    a = rng.random((2, 3, 4))
    out = fn(x, k)
    assert isinstance(out.owner.op, TriangularPart)
    np.testing.assert_array_equal(run(out, [x], a), npfn(a, k))
    check_infer_shape(out, [x], [a])


def test_tril_keeps_zeros_exact_with_inf_and_nan():
    x = T.dmatrix("x")
    a = np.array([[1.0, np.inf], [np.nan, 2.0]])
    np.testing.assert_array_equal(run(T.tril(x), [x], a), np.tril(a))
    np.testing.assert_array_equal(run(T.triu(x), [x], a), np.triu(a))


def test_tril_symbolic_k_non_contiguous_and_errors():
    x, k = T.dmatrix("x"), T.lscalar("k")
    a = rng.random((5, 4))[::-1, ::2]
    np.testing.assert_array_equal(run(T.triu(x, k), [x, k], a, -1), np.triu(a, -1))
    with pytest.raises(TypeError, match="2 dimensions"):
        T.tril(T.dvector())


def test_tril_triu_grad():
    verify_grad(lambda x: T.tril(x, 1), [rng.random((3, 4))])
    verify_grad(lambda x: T.triu(x, -1), [rng.random((2, 3, 3))])


# ---------------------------------------------------------------------------------------
# arange
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(5,), (2, 9), (2, 9, 3), (9, 2, -2), (5, 2), (0,), (-3, 3, 2)])
def test_arange_int_constants(args):
    out = T.arange(*args)
    assert isinstance(out.owner.op, ARange) and out.dtype == "int64"
    np.testing.assert_array_equal(out.eval(), np.arange(*args))
    assert out.type.shape == (len(np.arange(*args)),)


@pytest.mark.parametrize("args", [(0.0, 1.0, 0.1), (1.5,), (-1.0, 1.0, 0.3), (3.0, 0.0, -0.7)])
def test_arange_float_constants(args):
    out = T.arange(*args, dtype="float64")
    np.testing.assert_allclose(out.eval(), np.arange(*args))


def test_arange_symbolic_bounds_and_dtype_inference():
    start, stop, step = T.iscalars("start", "stop", "step")
    out = T.arange(start, stop, step)
    assert out.dtype == "int64"
    for vals in [(0, 10, 3), (10, 0, -3), (5, 5, 1), (5, 0, 1), (-7, 8, 4)]:
        np.testing.assert_array_equal(run(out, [start, stop, step], *vals), np.arange(*vals))
        check_infer_shape(out, [start, stop, step], list(vals))
    f32 = T.fscalar("f")
    assert T.arange(f32).dtype == "float32"
    assert T.arange(0, f32, 0.5).dtype == "float32"
    assert T.arange(T.dscalar()).dtype == "float64"
    assert T.arange(T.iscalar(), 5.5).dtype == "float64"
    assert T.arange(1.5).dtype == config.floatX
    assert T.arange(T.lscalar(), dtype="int32").dtype == "int32"


def test_arange_float_symbolic_matches_numpy_and_infer_shape():
    a, b, c = T.dscalars("a", "b", "c")
    out = T.arange(a, b, c)
    for vals in [(0.0, 1.0, 0.1), (1.0, -1.0, -0.25), (0.0, 1.0, 0.3), (2.0, 1.0, 0.5)]:
        np.testing.assert_allclose(run(out, [a, b, c], *vals), np.arange(*vals))
        check_infer_shape(out, [a, b, c], list(vals))


def test_arange_errors():
    n = T.lscalar("n")
    f = symcore.function([n], T.arange(0, 5, n))
    with pytest.raises(ValueError, match="step must not be zero"):
        f(0)
    with pytest.raises(TypeError, match="scalar"):
        T.arange(T.lvector())
    with pytest.raises(TypeError, match="complex"):
        T.arange(1j)


def test_arange_used_as_index_and_shape():
    x = T.dvector("x")
    idx = T.arange(x.shape[0])
    np.testing.assert_array_equal(run(idx, [x], np.zeros(4)), np.arange(4))


def test_arange_grad():
    verify_grad(lambda a, c: T.arange(a, 3.0, c) ** 2, [np.array(0.3), np.array(0.7)])
    a, b, c = T.dscalars("a", "b", "c")
    ga, gb, gc = grad(
        (T.arange(a, b, c) * 2).sum(),
        [a, b, c],
        disconnected_inputs="ignore",
        return_disconnected="zero",
    )
    res = symcore.function([a, b, c], [ga, gb, gc], on_unused_input="ignore")(0.0, 1.0, 0.25)
    np.testing.assert_allclose(res, [8.0, 0.0, 2 * (0 + 1 + 2 + 3)])


# ---------------------------------------------------------------------------------------
# diag / diagonal / trace
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_of_vector_and_matrix(k):
    v, m = T.dvector("v"), T.dmatrix("m")
    a, b = rng.random(3), rng.random((3, 4))
    dv = T.diag(v, k)
    assert isinstance(dv.owner.op, AllocDiag)
    np.testing.assert_array_equal(run(dv, [v], a), np.diag(a, k))
    np.testing.assert_array_equal(run(T.diag(m, k), [m], b), np.diag(b, k))
    check_infer_shape(dv, [v], [a])
    check_infer_shape(T.diag(m, k), [m], [b])
    with pytest.raises(ValueError, match="1-d or 2-d"):
        T.diag(T.dtensor3())


@pytest.mark.parametrize(
    "offset,axis1,axis2", [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (2, -1, -2), (5, 0, 1)]
)
def test_diagonal_matches_numpy(offset, axis1, axis2):
    x = T.dtensor3("x")
    a = rng.random((3, 4, 5))
    out = T.diagonal(x, offset, axis1, axis2)
    assert isinstance(out.owner.op, ExtractDiag)
    res = run(out, [x], a)
    np.testing.assert_array_equal(res, np.diagonal(a, offset, axis1, axis2))
    assert res.flags.writeable
    check_infer_shape(out, [x], [a])


def test_diagonal_method_static_shape_and_errors():
    x = T.tensor("float64", shape=(3, 5))
    assert x.diagonal().type.shape == (3,)
    assert x.diagonal(2).type.shape == (3,)
    assert x.diagonal(-2).type.shape == (1,)
    with pytest.raises(ValueError, match="differ"):
        T.diagonal(T.dmatrix(), 0, 1, 1)
    with pytest.raises(TypeError, match="2 dimensions"):
        T.diagonal(T.dvector())


def test_diag_non_contiguous_input():
    m = T.dmatrix("m")
    b = rng.random((6, 6))[::-2, ::-1]
    np.testing.assert_array_equal(run(T.diag(m), [m], b), np.diag(b))


@pytest.mark.parametrize("offset", [0, 1, -1])
def test_trace_matches_numpy(offset):
    m = T.dmatrix("m")
    b = rng.random((3, 4))
    np.testing.assert_allclose(run(T.trace(m, offset), [m], b), np.trace(b, offset))
    np.testing.assert_allclose(run(m.trace(), [m], b), np.trace(b))


def test_diag_grads():
    verify_grad(lambda v: T.diag(v, 1), [rng.random(3)])
    verify_grad(lambda m: T.diag(m, -1), [rng.random((4, 3))])
    verify_grad(lambda x: T.diagonal(x, 1, 2, 0), [rng.random((3, 2, 4))])
    verify_grad(lambda m: T.trace(m), [rng.random((3, 3))])


def test_extract_diag_grad_op_second_order():
    verify_grad(lambda x, d: ExtractDiagGrad(1, 0, 1)(x, d), [rng.random((3, 4)), rng.random(3)])
    m = T.dmatrix("m")
    g = grad(T.trace(m) ** 2, m)
    h = grad(g.sum(), m)
    b = rng.random((3, 3))
    np.testing.assert_allclose(symcore.function([m], h)(b), 2 * 3 * np.eye(3))


def test_alloc_diag_tril_rop():
    from symcore.gradient import Rop

    v, ev = T.dvectors("v", "ev")
    a, b = rng.random(3), rng.random(3)
    r = Rop(T.alloc(v, 2, 3), v, ev)
    np.testing.assert_allclose(
        symcore.function([v, ev], r, on_unused_input="ignore")(a, b), np.broadcast_to(b, (2, 3))
    )
    r = Rop(T.diag(v, 1), v, ev)
    np.testing.assert_allclose(
        symcore.function([v, ev], r, on_unused_input="ignore")(a, b), np.diag(b, 1)
    )
    m, em = T.dmatrices("m", "em")
    c, d = rng.random((3, 3)), rng.random((3, 3))
    r = Rop(T.tril(m) + T.diagonal(m).sum(), m, em)
    np.testing.assert_allclose(
        symcore.function([m, em], r, on_unused_input="ignore")(c, d), np.tril(d) + np.trace(d)
    )
