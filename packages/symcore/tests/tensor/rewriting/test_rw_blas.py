"""BLAS Ops (Dot22, Dot22Scalar, Gemm, Gemv, Ger) and the rewrites that introduce them."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import verify_grad
from symcore.graph.fg import FunctionGraph
from symcore.tensor.dot import Dot
from symcore.tensor.rewriting.blas import Dot22, Dot22Scalar, Gemm, Gemv, Ger
from symcore.tensor.rewriting.shape import attach_shape_feature

BLAS_CLASSES = (Dot22, Dot22Scalar, Gemm, Gemv, Ger)
DTYPES = ["float32", "float64", "complex64", "complex128"]


def _sample(rng, dtype, *shape):
    v = rng.normal(size=shape)
    if dtype.startswith("complex"):
        v = v + 1j * rng.normal(size=shape)
    return np.asarray(v, dtype=dtype)


def _tol(dtype):
    return (
        {"rtol": 1e-4, "atol": 1e-5}
        if dtype in ("float32", "complex64")
        else {"rtol": 1e-10, "atol": 1e-12}
    )


def _run(op, *values):
    """``op``'s perform on ``values`` (numpy arrays); returns the output array."""
    node = op.make_node(
        *[
            symcore.tensor.constant(v) if np.ndim(v) == 0 else T.tensor(v.dtype, (False,) * v.ndim)
            for v in values
        ]
    )
    storage = [[None]]
    op.perform(node, list(values), storage)
    return storage[0][0]


def _blas_names(rw, f):
    return [type(n.op).__name__ for n in rw.nodes(f) if isinstance(n.op, BLAS_CLASSES)]


# ---------------------------------------------------------------------------------------
# the Ops
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_ops_compute_like_numpy(rw, dtype):
    r = rw.rng
    x, y, z = _sample(r, dtype, 3, 4), _sample(r, dtype, 4, 5), _sample(r, dtype, 3, 5)
    A, u, v = _sample(r, dtype, 3, 4), _sample(r, dtype, 4), _sample(r, dtype, 3)
    a, b = np.asarray(1.5, dtype=dtype), np.asarray(-0.25, dtype=dtype)
    checks = [
        (_run(Dot22(), x, y), x @ y),
        (_run(Dot22Scalar(), x, y, a), a * (x @ y)),
        (_run(Gemm(False), z, a, x, y, b), b * z + a * (x @ y)),
        (_run(Gemv(False), v, a, A, u, b), b * v + a * (A @ u)),
        (_run(Ger(False), A, a, v, u), A + a * np.outer(v, u)),
    ]
    for got, exp in checks:
        assert got.dtype == np.dtype(dtype) and got.shape == exp.shape and got.flags.c_contiguous
        np.testing.assert_allclose(got, exp, **_tol(dtype))


@pytest.mark.parametrize("inplace", [False, True])
def test_inplace_flag_decides_whether_the_accumulator_is_overwritten(rw, inplace):
    r = rw.rng
    x, y, z = r.normal(size=(3, 4)), r.normal(size=(4, 2)), r.normal(size=(3, 2))
    A, u, v = r.normal(size=(3, 4)), r.normal(size=4), r.normal(size=3)
    for op, args, exp in [
        (Gemm(inplace), [z.copy(), 2.0, x, y, 0.5], 0.5 * z + 2.0 * (x @ y)),
        (Gemv(inplace), [v.copy(), 2.0, A, u, 0.5], 0.5 * v + 2.0 * (A @ u)),
        (Ger(inplace), [A.copy(), 2.0, v, u], A + 2.0 * np.outer(v, u)),
    ]:
        acc = args[0]
        before = acc.copy()
        out = _run(op, *[np.asarray(a) for a in args])
        np.testing.assert_allclose(out, exp)
        assert op.destroy_map == ({0: [0]} if inplace else {})
        if inplace:
            assert out is acc
        else:
            assert not np.shares_memory(out, acc)
            np.testing.assert_array_equal(acc, before)


def test_zero_beta_never_reads_the_accumulator(rw):
    r = rw.rng
    x, y = r.normal(size=(3, 4)), r.normal(size=(4, 2))
    A, u = r.normal(size=(3, 4)), r.normal(size=4)
    for inplace in (False, True):
        z = np.full((3, 2), np.nan)
        np.testing.assert_allclose(
            _run(Gemm(inplace), z, np.asarray(2.0), x, y, np.asarray(0.0)), 2 * (x @ y)
        )
        w = np.full(3, np.inf)
        np.testing.assert_allclose(
            _run(Gemv(inplace), w, np.asarray(1.0), A, u, np.asarray(0.0)), A @ u
        )


def test_non_contiguous_and_negative_stride_operands(rw):
    r = rw.rng
    big = r.normal(size=(8, 10))
    x = big[::2, ::-3]  # (4, 4), negative strides
    y = np.asfortranarray(r.normal(size=(4, 3)))
    z = r.normal(size=(8, 6))[::2, ::2]  # (4, 3), not contiguous
    exp = 0.3 * z + 1.7 * (x @ y)
    out = _run(Gemm(True), z, np.asarray(1.7), x, y, np.asarray(0.3))
    assert out is z
    np.testing.assert_allclose(z, exp)
    A = r.normal(size=(6, 8))[::2, 1::2]
    u = r.normal(size=8)[::-2]
    v = r.normal(size=6)[::2]
    exp = -v + 0.5 * (A @ u)
    out = _run(Gemv(True), v, np.asarray(0.5), A, u, np.asarray(-1.0))
    assert out is v
    np.testing.assert_allclose(v, exp)
    B = r.normal(size=(3, 4)).T[:, ::-1]  # (4, 3)
    before = B.copy()
    out = _run(Ger(True), B, np.asarray(2.0), u, v)
    np.testing.assert_allclose(out, before + 2.0 * np.outer(u, v))
    assert out is B


def test_empty_dimensions(rw):
    e = np.zeros((0, 3))
    np.testing.assert_array_equal(_run(Dot22(), e, np.ones((3, 2))), np.zeros((0, 2)))
    z = np.ones((2, 4))
    np.testing.assert_array_equal(
        _run(Gemm(False), z, np.asarray(1.0), np.zeros((2, 0)), np.zeros((0, 4)), np.asarray(3.0)),
        3 * z,
    )
    np.testing.assert_array_equal(
        _run(
            Gemv(False), np.ones(2), np.asarray(1.0), np.zeros((2, 0)), np.zeros(0), np.asarray(2.0)
        ),
        [2.0, 2.0],
    )
    np.testing.assert_array_equal(
        _run(Ger(False), np.zeros((0, 3)), np.asarray(1.0), np.zeros(0), np.ones(3)),
        np.zeros((0, 3)),
    )


def test_shape_errors_name_the_op_and_shapes(rw):
    with pytest.raises(ValueError, match=r"Gemm.*\(3, 2\).*\(3, 4\).*\(5, 2\).*float64"):
        _run(
            Gemm(False),
            np.ones((3, 2)),
            np.asarray(1.0),
            np.ones((3, 4)),
            np.ones((5, 2)),
            np.asarray(1.0),
        )
    with pytest.raises(ValueError, match=r"Gemv.*\(4,\).*float64"):
        _run(Gemv(False), np.ones(4), np.asarray(1.0), np.ones((3, 2)), np.ones(2), np.asarray(0.0))
    with pytest.raises(ValueError, match=r"Ger.*\(3, 3\)"):
        _run(Ger(False), np.ones((3, 3)), np.asarray(1.0), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="Dot22"):
        _run(Dot22(), np.ones((2, 3)), np.ones((2, 3)))


def test_make_node_refuses_mixed_or_unsupported_dtypes():
    with pytest.raises(TypeError, match="one dtype"):
        Dot22()(T.fmatrix(), T.dmatrix())
    with pytest.raises(TypeError, match="int64 is not supported"):
        Dot22()(T.lmatrix(), T.lmatrix())
    with pytest.raises(TypeError, match="must be 1-d"):
        Gemv(False)(T.dmatrix(), 1.0, T.dmatrix(), T.dvector(), 0.0)
    assert Gemm(False)(T.fmatrix(), 1.0, T.fmatrix(), T.fmatrix(), 0.5).dtype == "float32"


def test_props_and_names():
    assert Gemm(True) == Gemm(True) and Gemm(True) != Gemm(False)
    assert hash(Gemv(False)) == hash(Gemv(False))
    assert str(Gemm(True)) == "Gemm{inplace}" and str(Ger(False)) == "Ger{no_inplace}"
    assert Gemm.__props__ == Gemv.__props__ == Ger.__props__ == ("inplace",)


def test_infer_shape():
    z, x, y = T.dmatrices("z", "x", "y")
    v, u = T.dvectors("v", "u")
    outs = [
        Dot22()(x, y),
        Dot22Scalar()(x, y, 2.0),
        Gemm(False)(z, 1.0, x, y, 1.0),
        Gemv(False)(v, 1.0, x, u, 1.0),
        Ger(False)(z, 1.0, v, u),
    ]
    fg = FunctionGraph([z, x, y, v, u], outs, clone=False)
    feat = attach_shape_feature(fg)
    shapes = [feat.shape_of[o] for o in outs]
    f = symcore.function(
        [z, x, y, v, u], [T.stack(list(s)) for s in shapes], on_unused_input="ignore"
    )
    got = f(np.ones((3, 5)), np.ones((3, 4)), np.ones((4, 5)), np.ones(3), np.ones(5))
    assert [list(g) for g in got] == [[3, 5], [3, 5], [3, 5], [3], [3, 5]]


@pytest.mark.parametrize("which", ["dot22", "dot22scalar", "gemm", "gemv", "ger"])
def test_gradients(rw, which):
    r = rw.rng
    cases = {
        "dot22": (lambda x, y: Dot22()(x, y), [r.normal(size=(2, 3)), r.normal(size=(3, 2))]),
        "dot22scalar": (
            lambda x, y, a: Dot22Scalar()(x, y, a),
            [r.normal(size=(2, 3)), r.normal(size=(3, 2)), np.asarray(0.6)],
        ),
        "gemm": (
            lambda z, a, x, y, b: Gemm(False)(z, a, x, y, b),
            [
                r.normal(size=(2, 2)),
                np.asarray(1.2),
                r.normal(size=(2, 3)),
                r.normal(size=(3, 2)),
                np.asarray(0.4),
            ],
        ),
        "gemv": (
            lambda y, a, A, x, b: Gemv(False)(y, a, A, x, b),
            [
                r.normal(size=2),
                np.asarray(-0.7),
                r.normal(size=(2, 3)),
                r.normal(size=3),
                np.asarray(2.0),
            ],
        ),
        "ger": (
            lambda A, a, x, y: Ger(False)(A, a, x, y),
            [r.normal(size=(3, 2)), np.asarray(0.9), r.normal(size=3), r.normal(size=2)],
        ),
    }
    fn, pt = cases[which]
    verify_grad(fn, pt, rng=np.random.default_rng(3))


# ---------------------------------------------------------------------------------------
# dot -> BLAS
# ---------------------------------------------------------------------------------------


def test_dot_of_matrices_is_dot22(rw):
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], T.dot(x, y))
    assert _blas_names(rw, f) == ["Dot22"] and not any(isinstance(n.op, Dot) for n in rw.nodes(f))
    xv, yv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(4, 2))
    np.testing.assert_allclose(f(xv, yv), xv @ yv)


def test_dot_with_a_vector_is_gemv(rw):
    A = T.dmatrix("A")
    v, u = T.dvectors("v", "u")
    f = rw.function([A, v, u], [T.dot(A, v), T.dot(u, A)])
    assert _blas_names(rw, f) == ["Gemv", "Gemv"]
    assert all(n.op.inplace for n in rw.nodes(f) if isinstance(n.op, Gemv))  # on fresh buffers
    Av, vv, uv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=4), rw.rng.normal(size=3)
    a, b = f(Av, vv, uv)
    np.testing.assert_allclose(a, Av @ vv)
    np.testing.assert_allclose(b, uv @ Av)


def test_outer_product_is_ger(rw):
    x, y = T.dvectors("x", "y")
    f = rw.function([x, y], T.outer(x, y))
    assert _blas_names(rw, f) == ["Ger"]
    xv, yv = rw.rng.normal(size=3), rw.rng.normal(size=4)
    np.testing.assert_allclose(f(xv, yv), np.outer(xv, yv))


def test_dot_with_a_column_or_row_is_gemv(rw):
    A = T.dmatrix("A")
    c = T.dcol("c")
    r = T.drow("r")
    f = rw.function([A, c, r], [T.dot(A, c), T.dot(r, A.T)])
    assert _blas_names(rw, f) == ["Gemv", "Gemv"]
    Av, cv, rv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(4, 1)), rw.rng.normal(size=(1, 4))
    a, b = f(Av, cv, rv)
    np.testing.assert_allclose(a, Av @ cv)
    np.testing.assert_allclose(b, rv @ Av.T)


def test_float32_times_float64_is_cast_then_dot22(rw):
    x = T.fmatrix("x")
    y = T.dmatrix("y")
    f = rw.function([x, y], T.dot(x, y))
    assert _blas_names(rw, f) == ["Dot22"]
    xv, yv = rw.rng.normal(size=(2, 3)).astype("float32"), rw.rng.normal(size=(3, 2))
    out = f(xv, yv)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, xv.astype("float64") @ yv)


def test_integer_dot_is_left_alone(rw):
    x, y = T.lmatrices("x", "y")
    f = rw.function([x, y], T.dot(x, y))
    assert not _blas_names(rw, f)
    xv = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(f(xv, xv.T), xv @ xv.T)


# ---------------------------------------------------------------------------------------
# folding scales and accumulators
# ---------------------------------------------------------------------------------------


def test_scaled_sum_with_dot_is_gemm(rw):
    x, y, z = T.dmatrices("x", "y", "z")
    a = T.dscalar("a")
    f = rw.function([x, y, z, a], 0.5 * z + a * T.dot(x, y))
    assert _blas_names(rw, f) == ["Gemm"]
    assert not [
        n for n in rw.nodes(f) if type(n.op).__name__ == "Elemwise" and n.outputs[0].ndim == 2
    ]
    xv, yv, zv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(4, 2)), rw.rng.normal(size=(3, 2))
    np.testing.assert_allclose(f(xv, yv, zv, 1.7), 0.5 * zv + 1.7 * (xv @ yv))
    assert np.isfinite(zv).all()


@pytest.mark.parametrize(
    "build, expect, blas",
    [
        (lambda x, y, z, w: z - 0.1 * T.dot(x, y), lambda x, y, z, w: z - 0.1 * (x @ y), "Gemm"),
        (lambda x, y, z, w: z + T.dot(x, y) - w, lambda x, y, z, w: z + x @ y - w, "Gemm"),
        (lambda x, y, z, w: -T.dot(x, y) * 3, lambda x, y, z, w: -(x @ y) * 3, "Dot22Scalar"),
        (
            lambda x, y, z, w: 2 * (z + 3 * T.dot(x, y)) + z,
            lambda x, y, z, w: 2 * (z + 3 * (x @ y)) + z,
            "Gemm",
        ),
    ],
)
def test_update_patterns_fold_into_one_blas_node(rw, build, expect, blas):
    x, y, z, w = T.dmatrices("x", "y", "z", "w")
    f = rw.function([x, y, z, w], build(x, y, z, w), on_unused_input="ignore")
    assert _blas_names(rw, f) == [blas]
    vals = [rw.rng.normal(size=s) for s in [(2, 3), (3, 2), (2, 2), (2, 2)]]
    np.testing.assert_allclose(f(*vals), expect(*vals))


def test_dot_read_twice_is_not_folded(rw):
    x, y, z = T.dmatrices("x", "y", "z")
    d = T.dot(x, y)
    f = rw.function([x, y, z], [z - 0.1 * d, d * 3])
    assert _blas_names(rw, f) == ["Dot22"]
    xv, yv, zv = rw.rng.normal(size=(2, 3)), rw.rng.normal(size=(3, 2)), rw.rng.normal(size=(2, 2))
    a, b = f(xv, yv, zv)
    np.testing.assert_allclose(a, zv - 0.1 * (xv @ yv))
    np.testing.assert_allclose(b, (xv @ yv) * 3)


def test_vector_update_is_gemv_on_the_vector(rw):
    A = T.dmatrix("A")
    v, b = T.dvectors("v", "b")
    f = rw.function([A, v, b], b * 0.9 - 0.1 * T.dot(A, v))
    (gemv,) = [n for n in rw.nodes(f) if isinstance(n.op, Gemv)]
    assert gemv.inputs[0] is f.maker.fgraph.inputs[2] and not gemv.op.inplace  # b is a user input
    Av, vv, bv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=4), rw.rng.normal(size=3)
    before = bv.copy()
    np.testing.assert_allclose(f(Av, vv, bv), bv * 0.9 - 0.1 * (Av @ vv))
    np.testing.assert_array_equal(bv, before)


def test_outer_update_is_ger_on_the_matrix(rw):
    A = T.dmatrix("A")
    x, y = T.dvectors("x", "y")
    lr = T.dscalar("lr")
    f = rw.function([A, x, y, lr], A + lr * T.outer(x, y))
    assert _blas_names(rw, f) == ["Ger"]
    (g,) = [n for n in rw.nodes(f) if isinstance(n.op, Ger)]
    assert g.inputs[0] is f.maker.fgraph.inputs[0]
    Av, xv, yv = rw.rng.normal(size=(3, 2)), rw.rng.normal(size=3), rw.rng.normal(size=2)
    np.testing.assert_allclose(f(Av, xv, yv, 0.3), Av + 0.3 * np.outer(xv, yv))


def test_blas_can_be_excluded(rw):
    x, y, z = T.dmatrices("x", "y", "z")
    for tag in ("blas", "blas_opt", "local_dot_to_blas"):
        f = rw.function([x, y, z], z + 2 * T.dot(x, y), mode=rw.FAST_RUN.excluding(tag))
        assert not _blas_names(rw, f)
    f = rw.function([x, y, z], z + 2 * T.dot(x, y), mode=rw.FAST_RUN.excluding("local_blas_fold"))
    assert _blas_names(rw, f) == ["Dot22"]


# ---------------------------------------------------------------------------------------
# the seed's models
# ---------------------------------------------------------------------------------------


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_logistic_regression_train_uses_gemv_and_matches_numpy(rw):
    rng = np.random.default_rng(0)
    N, feats = 40, 7
    D = (rng.normal(size=(N, feats)), rng.integers(0, 2, size=N).astype("float64"))
    w0 = rng.normal(size=feats) * 0.1
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = symcore.shared(w0.copy(), name="w")
    b = symcore.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = symcore.function(
        [x, y], [prediction, xent], updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb))
    )
    gemvs = [n for n in rw.nodes(train) if isinstance(n.op, Gemv)]
    assert gemvs
    assert any(
        n.inputs[0] in train.maker.fgraph.inputs for n in gemvs
    )  # w - 0.1*gw folded into w's Gemv
    xv, yv = D
    wn, bn = w0.copy(), 0.0
    for _ in range(5):
        pred, err = train(xv, yv)
        p = _sigmoid(xv @ wn + bn)
        np.testing.assert_array_equal(pred, p > 0.5)
        np.testing.assert_allclose(err, -yv * np.log(p) - (1 - yv) * np.log(1 - p), rtol=1e-10)
        g = p - yv
        wn, bn = wn - 0.1 * (xv.T @ g / N + 0.02 * wn), bn - 0.1 * g.mean()
        np.testing.assert_allclose(w.get_value(), wn, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b.get_value(), bn, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(xv, D[0])  # the inputs were not overwritten


def test_mlp_step_uses_gemm_and_matches_numpy(rw):
    rng = np.random.default_rng(1)
    n_in, n_hid, n_out, batch = 5, 4, 3, 6
    W1v, W2v = rng.normal(size=(n_in, n_hid)) * 0.5, rng.normal(size=(n_hid, n_out)) * 0.5
    b1v, b2v = np.zeros(n_hid), np.zeros(n_out)
    X = T.dmatrix("X")
    Y = T.dmatrix("Y")
    W1, W2 = symcore.shared(W1v.copy(), name="W1"), symcore.shared(W2v.copy(), name="W2")
    b1, b2 = symcore.shared(b1v.copy(), name="b1"), symcore.shared(b2v.copy(), name="b2")
    h = T.tanh(T.dot(X, W1) + b1)
    out = T.dot(h, W2) + b2
    loss = ((out - Y) ** 2).sum() / batch
    params = [W1, b1, W2, b2]
    grads = T.grad(loss, params)
    lr = 0.05
    step = symcore.function(
        [X, Y], loss, updates=[(p, p - lr * g) for p, g in zip(params, grads, strict=True)]
    )
    names = _blas_names(rw, step)
    assert "Gemm" in names and ("Dot22" in names or "Dot22Scalar" in names)
    gemms = [n for n in rw.nodes(step) if isinstance(n.op, Gemm)]
    assert all(n.op.inplace for n in gemms if n.inputs[0] in step.maker.fgraph.inputs)
    Xv, Yv = rng.normal(size=(batch, n_in)), rng.normal(size=(batch, n_out))
    for _ in range(3):
        got = step(Xv, Yv)
        hv = np.tanh(Xv @ W1v + b1v)
        ov = hv @ W2v + b2v
        np.testing.assert_allclose(got, ((ov - Yv) ** 2).sum() / batch, rtol=1e-10)
        go = 2 * (ov - Yv) / batch
        gW2, gb2 = hv.T @ go, go.sum(0)
        gh = (go @ W2v.T) * (1 - hv**2)
        gW1, gb1 = Xv.T @ gh, gh.sum(0)
        W1v, b1v, W2v, b2v = W1v - lr * gW1, b1v - lr * gb1, W2v - lr * gW2, b2v - lr * gb2
        for p, ref in zip(params, [W1v, b1v, W2v, b2v], strict=True):
            np.testing.assert_allclose(p.get_value(), ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_update_fold_in_other_dtypes(rw, dtype):
    x, y, z = (T.tensor(dtype, (False, False), name=n) for n in "xyz")
    lr = T.scalar("lr", dtype=dtype)
    f = rw.function([x, y, z, lr], z - lr * T.dot(x, y))
    assert _blas_names(rw, f) == ["Gemm"]
    xv, yv, zv = (_sample(rw.rng, dtype, *s) for s in [(3, 4), (4, 2), (3, 2)])
    lv = np.asarray(0.3, dtype=dtype)
    out = f(xv, yv, zv, lv)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, zv - lv * (xv @ yv), **_tol(dtype))


def test_update_divided_by_a_scalar_folds(rw):
    x, y, z = T.dmatrices("x", "y", "z")
    lr, n = T.dscalars("lr", "n")
    f = rw.function([x, y, z, lr, n], z - lr * T.dot(x, y) / n)
    g = rw.function([x, y, z], z - T.dot(x, y) / 4)
    assert _blas_names(rw, f) == ["Gemm"] and _blas_names(rw, g) == ["Gemm"]
    xv, yv, zv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(4, 2)), rw.rng.normal(size=(3, 2))
    a, b = f(xv, yv, zv, 0.3, 7.0), g(xv, yv, zv)
    np.testing.assert_allclose(a, zv - 0.3 * (xv @ yv) / 7.0)
    np.testing.assert_allclose(b, zv - (xv @ yv) / 4)
