"""``RowBlockLinear`` (``sym_backend_c.rewrites.fuse_row_linear``, opt-in) against the
unfused graph on the reference backend and NumPy: the seed's logistic-regression step in
float32/float64, X non-contiguous / Fortran-ordered / reversed, row counts around the block
and kernel sizes (0, 1, < block, not a multiple of it), a column count that is not a
multiple of the vector length; graphs where the rewrite must not fire; shape errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from sym_backend_c.ops.fused_linear import RowBlockLinear
from sym_backend_c.rewrites import TAG, register_opt_in
from symcore.compile.mode import Mode, get_default_mode

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module", autouse=True)
def _registered():
    register_opt_in()


def fused_mode():
    return get_default_mode().including(TAG)


def ref_mode():
    return Mode(linker="py", optimizer="fast_run")


def n_fused(f) -> int:
    return sum(isinstance(n.op, RowBlockLinear) for n in f.maker.fgraph.toposort())


def tol(dtype):
    return {"rtol": 2e-4, "atol": 2e-5} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}


def step_graph(dtype):
    """One gradient step of a logistic regression written out: outputs (w', prediction,
    per-row loss, sum(r)), w' from a Gemv on X.T after the Gemv on X."""
    X = T.matrix("X", dtype=dtype)
    y = T.vector("y", dtype=dtype)
    w = T.vector("w", dtype=dtype)
    b = T.scalar("b", dtype=dtype)
    z = T.dot(X, w) + b
    p = 1 / (1 + T.exp(-z))
    r = p - y
    lr = np.asarray(0.1, dtype=dtype)
    decay = np.asarray(0.99, dtype=dtype)
    outs = [decay * w - lr * T.dot(X.T, r), p > 0.5, (y - p) ** 2, r.sum()]
    return [X, y, w, b], outs


def numpy_step(X, y, w, b):
    z = X @ w + b
    p = 1 / (1 + np.exp(-z))
    r = p - y
    return [0.99 * w - 0.1 * (X.T @ r), p > 0.5, (y - p) ** 2, r.sum()]


def data(dtype, n, f, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, f)).astype(dtype)
    y = (rng.random(n) > 0.5).astype(dtype)
    w = (rng.standard_normal(f) * 0.1).astype(dtype)
    b = np.asarray(0.3, dtype=dtype)
    return X, y, w, b


def check_outputs(got, want, dtype):
    assert len(got) == len(want)
    for g, e in zip(got, want, strict=True):
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
        if e.dtype == bool:
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g, e, **tol(dtype))


@pytest.fixture(scope="module")
def compiled():
    out = {}
    for dtype in ("float64", "float32"):
        ins, outs = step_graph(dtype)
        f = symcore.function(ins, outs, mode=fused_mode())
        g = symcore.function(ins, outs, mode=ref_mode())
        report = f.maker.fgraph.linker_report
        assert report.backend == "c" and not report.fallback_nodes, report
        out[dtype] = (f, g)
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fires_on_the_step_and_runs_in_c(compiled, dtype):
    f, g = compiled[dtype]
    assert n_fused(f) == 1
    assert n_fused(g) == 0
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, RowBlockLinear)]
    # w', prediction, the per-row loss and sum(r) all come out of the fused node
    assert len(node.outputs) == 4 and len(node.op.sums) == 1


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "n,f", [(400, 784), (0, 5), (1, 7), (3, 13), (9, 784), (37, 64), (1000, 33), (5, 0)]
)
def test_matches_reference_and_numpy(compiled, dtype, n, f):
    fused, ref = compiled[dtype]
    X, y, w, b = data(dtype, n, f)
    got = fused(X, y, w, b)
    check_outputs(got, ref(X, y, w, b), dtype)
    check_outputs(got, [np.asarray(v, dtype=g.dtype) for v, g in
                        zip(numpy_step(X, y, w, b), got, strict=True)], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", ["cols_step2", "fortran", "reversed_rows", "rows_step2"])
def test_non_contiguous_operands(compiled, dtype, layout):
    fused, ref = compiled[dtype]
    X, y, w, b = data(dtype, 203, 130, seed=3)
    if layout == "cols_step2":
        X = X[:, ::2]
    elif layout == "fortran":
        X = np.asfortranarray(X)
    elif layout == "reversed_rows":
        X = X[::-1]
    else:
        X, y = X[::2], y[::2]
    w = np.ascontiguousarray(np.concatenate([w, w])[: X.shape[1] * 2])[::2]  # strided w
    yy = np.repeat(y, 2)[::2]  # strided y
    got = fused(X, yy, w, b)
    check_outputs(got, ref(X, yy, w, b), dtype)


def test_perform_matches_on_the_reference_backend():
    ins, outs = step_graph("float64")
    f = symcore.function(ins, outs, mode=Mode(linker="py", optimizer="fast_run").including(TAG))
    assert n_fused(f) == 1
    for n, k in [(400, 784), (0, 3), (11, 5)]:
        X, y, w, b = data("float64", n, k, seed=5)
        check_outputs(f(X, y, w, b), [np.asarray(v) for v in numpy_step(X, y, w, b)], "float64")


def test_wrong_lengths_raise():
    ins, outs = step_graph("float64")
    f = symcore.function(ins, outs, mode=fused_mode())
    X, y, w, b = data("float64", 20, 6)
    with pytest.raises(ValueError):
        f(X, y[:-1], w, b)
    with pytest.raises(ValueError):
        f(X, y, w[:-1], b)


def test_does_not_fire_with_two_different_matrices():
    X, X2 = T.dmatrix("X"), T.dmatrix("X2")
    w, y = T.dvector("w"), T.dvector("y")
    r = T.tanh(T.dot(X, w)) - y
    out = 0.5 * w - 0.1 * T.dot(X2.T, r)
    f = symcore.function([X, X2, w, y], out, mode=fused_mode())
    assert n_fused(f) == 0
    a, a2 = np.random.default_rng(1).standard_normal((2, 9, 4))
    wv, yv = np.arange(4.0) / 4, np.arange(9.0) / 9
    np.testing.assert_allclose(f(a, a2, wv, yv), 0.5 * wv - 0.1 * a2.T @ (np.tanh(a @ wv) - yv))


def test_does_not_fire_through_a_non_row_local_node():
    X, w, y = T.dmatrix("X"), T.dvector("w"), T.dvector("y")
    z = T.dot(X, w)
    # the mean over the rows is not row-local: r needs every z first
    r = T.tanh(z - z.mean()) - y
    out = 0.5 * w - 0.1 * T.dot(X.T, r)
    f = symcore.function([X, w, y], out, mode=fused_mode())
    assert n_fused(f) == 0
    # a reversal of the rows in between is not elementwise either
    r2 = T.tanh(z[::-1]) - y
    g = symcore.function([X, w, y], 0.5 * w - 0.1 * T.dot(X.T, r2), mode=fused_mode())
    assert n_fused(g) == 0
    a = np.random.default_rng(2).standard_normal((9, 4))
    wv, yv = np.arange(4.0) / 4, np.arange(9.0) / 9
    zv = a @ wv
    np.testing.assert_allclose(f(a, wv, yv), 0.5 * wv - 0.1 * a.T @ (np.tanh(zv - zv.mean()) - yv))
    np.testing.assert_allclose(g(a, wv, yv), 0.5 * wv - 0.1 * a.T @ (np.tanh(zv[::-1]) - yv))


def test_off_by_default():
    ins, outs = step_graph("float64")
    assert n_fused(symcore.function(ins, outs)) == 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_seed_logreg_step_matches_unfused(dtype):
    sys.path.insert(0, str(ROOT / "asv_benchmarks" / "benchmarks"))
    try:
        import c_workloads as W
    finally:
        sys.path.pop(0)
    args = W.logreg_data(dtype)
    fused = W.TheanoLogreg(W.symcore_api(fused_mode()), *args)
    ref = W.TheanoLogreg(W.symcore_api(ref_mode()), *args)
    assert n_fused(fused.train) == 1
    for _ in range(3):
        check_outputs(fused.step(), ref.step(), dtype)
    check_outputs(fused.params(), ref.params(), dtype)
