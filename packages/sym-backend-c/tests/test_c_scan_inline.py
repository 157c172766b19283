"""The Scan loop with its step's C code inlined (``sym_backend_c.ops.scan_inline``): the
inlined path is taken (marker in the generated source, Scan not among the fallback nodes)
and its results equal NumPy's for every kind of input and output; the cases it does not
handle still run (through the per-step runner) and give the same results."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from sym_backend_c.ops.scan_inline import INLINE_MARKER
from symcore.scan import scan, until

pytestmark = pytest.mark.usefixtures("requires_compiler")


def _inlined(f) -> bool:
    report = f.maker.fgraph.linker_report
    assert report.backend == "c"
    fell_back = {type(n.op).__name__ for n in report.fallback_nodes}
    return INLINE_MARKER in report.source and "Scan" not in fell_back


def _compile(inputs, outputs, inlined=True, **kw):
    f = symcore.function(inputs, outputs, **kw)
    assert _inlined(f) is inlined
    return f


def test_sit_sot_power_last_value_only():
    A = T.dvector("A")
    k = T.iscalar("k")
    res, _ = scan(lambda p, A: p * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    f = _compile([A, k], res[-1])
    a = np.linspace(0.5, 1.2, 10)
    np.testing.assert_allclose(f(a, 1000), a**1000, rtol=1e-12)
    np.testing.assert_allclose(f(a, 1), a)
    g = _compile([A, k], res)  # every step kept
    np.testing.assert_allclose(g(a, 5), np.stack([a ** (i + 1) for i in range(5)]))
    assert g(a, 0).shape == (0, 10)


def test_mit_sot_taps_fibonacci_and_store():
    x0 = T.dvector("x0")
    n = T.lscalar("n")
    res, _ = scan(lambda a, b: a + b, outputs_info=dict(initial=x0, taps=[-2, -1]), n_steps=n)
    f = _compile([x0, n], res)
    g = _compile([x0, n], res[-3:])
    fib = [0.0, 1.0]
    for _ in range(20):
        fib.append(fib[-1] + fib[-2])
    np.testing.assert_array_equal(f(np.array([0.0, 1.0]), 20), fib[2:])
    np.testing.assert_array_equal(g(np.array([0.0, 1.0]), 20), fib[-3:])
    np.testing.assert_array_equal(g(np.array([0.0, 1.0]), 2), fib[2:4])


def test_mit_sot_matrix_state_with_far_taps():
    x0 = T.dtensor3("x0")
    res, _ = scan(
        lambda a, b, c: a * 0.5 + c - b,
        outputs_info=dict(initial=x0, taps=[-3, -2, -1]),
        n_steps=7,
    )
    f = _compile([x0], [res, res[-1]])
    init = np.random.default_rng(0).standard_normal((3, 2, 4))
    vals = list(init)
    for _ in range(7):
        vals.append(vals[-3] * 0.5 + vals[-1] - vals[-2])
    full, last = f(init)
    np.testing.assert_allclose(full, np.stack(vals[3:]))
    np.testing.assert_allclose(last, vals[-1])


def test_nit_sot_with_sequences_and_non_sequences(py_function):
    x = T.dmatrix("x")
    w = T.dvector("w")
    b = T.dscalar("b")
    res, _ = scan(lambda xt, w, b: T.tanh(xt * w + b), sequences=x, non_sequences=[w, b])
    f = _compile([x, w, b], [res, res[-2:]])
    X = np.random.default_rng(1).standard_normal((9, 3))
    W = np.array([0.5, -1.0, 2.0])
    full, tail = f(X, W, 0.25)
    np.testing.assert_allclose(full, np.tanh(X * W + 0.25))
    np.testing.assert_allclose(tail, np.tanh(X[-2:] * W + 0.25))
    # no step: the shape of a nit_sot is the static guess, as in the reference backend
    ref = py_function([x, w, b], [res, res[-2:]])
    for got, exp in zip(f(np.zeros((0, 3)), W, 0.25), ref(np.zeros((0, 3)), W, 0.25), strict=True):
        assert got.shape == exp.shape and got.dtype == exp.dtype


def test_sequence_taps():
    x = T.dvector("x")
    res, _ = scan(lambda a, b, c: a - 2 * b + c, sequences=dict(input=x, taps=[-2, 0, 1]))
    f = _compile([x], res)
    X = np.arange(10.0) ** 2
    np.testing.assert_allclose(f(X), X[:-3] - 2 * X[2:-1] + X[3:])


def test_go_backwards_and_strided_sequence():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    res, _ = scan(lambda xt, h: h * 0.5 + xt, sequences=x, outputs_info=h0, go_backwards=True)
    f = _compile([x, h0], res)
    X = np.random.default_rng(2).standard_normal((6, 8))[:, ::2]  # non-contiguous rows
    H = np.ones(4)
    expect, h = [], H
    for xt in X[::-1]:
        h = h * 0.5 + xt
        expect.append(h)
    np.testing.assert_allclose(f(X, H), np.stack(expect))


def test_several_outputs_mixed_and_identity_step():
    x = T.dvector("x")
    s0 = T.dscalar("s0")
    v0 = T.dvector("v0")

    def step(xt, s, v):
        return [s + xt, v, xt * s]  # sit_sot, passthrough state, nit_sot

    (ss, vs, ys), _ = scan(step, sequences=x, outputs_info=[s0, v0, None])
    f = _compile([x, s0, v0], [ss, vs, ys])
    X = np.arange(1.0, 6.0)
    got_s, got_v, got_y = f(X, 1.0, np.array([3.0, 4.0]))
    np.testing.assert_allclose(got_s, 1.0 + np.cumsum(X))
    np.testing.assert_array_equal(got_v, np.tile([3.0, 4.0], (5, 1)))
    np.testing.assert_allclose(got_y, X * np.concatenate([[1.0], 1.0 + np.cumsum(X)[:-1]]))


def test_int_state_and_constants_in_step():
    n = T.lscalar("n")
    res, _ = scan(
        lambda c: c * 3 + np.array([1, 2], dtype="int64"),
        outputs_info=T.constant(np.array([0, 1], dtype="int64")),
        n_steps=n,
    )
    f = _compile([n], res)
    vals, c = [], np.array([0, 1])
    for _ in range(30):  # wraps around like NumPy
        c = c * 3 + np.array([1, 2])
        vals.append(c)
    np.testing.assert_array_equal(f(30), np.stack(vals))


def test_rnn_forward_matches_numpy():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    W = T.dmatrix("W")
    U = T.dmatrix("U")
    b = T.dvector("b")
    hs, _ = scan(
        lambda xt, h, W, U, b: T.tanh(T.dot(xt, W) + T.dot(h, U) + b),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U, b],
    )
    f = _compile([x, h0, W, U, b], hs)
    rng = np.random.default_rng(3)
    X, H0 = rng.standard_normal((20, 5)), rng.standard_normal(7)
    Wv, Uv, bv = (
        rng.standard_normal((5, 7)),
        rng.standard_normal((7, 7)) * 0.3,
        rng.standard_normal(7),
    )
    h, expect = H0, []
    for xt in X:
        h = np.tanh(xt @ Wv + h @ Uv + bv)
        expect.append(h)
    np.testing.assert_allclose(f(X, H0, Wv, Uv, bv), np.stack(expect), rtol=1e-10)


def test_errors_match_the_python_loop():
    x = T.dvector("x")
    out, _ = scan(lambda v: v * 2, sequences=x, n_steps=5)
    f = _compile([x], out)
    with pytest.raises(ValueError, match="sequence 0 .* has 3 entries but the loop runs 5"):
        f(np.arange(3.0))
    n = T.lscalar("n")
    out, _ = scan(lambda h: h + 1, outputs_info=T.constant(np.float64(0)), n_steps=n)
    g = _compile([n], out)
    with pytest.raises(ValueError, match="n_steps must be >= 0"):
        g(-1)
    h0 = T.dvector("h0")
    k = T.lscalar("k")
    out, _ = scan(lambda h, k: h[: k + 1] * 1.0, outputs_info=h0, non_sequences=k, n_steps=3)
    h = _compile([h0, k], out)
    with pytest.raises(ValueError, match="at step 0 .* shape"):
        h(np.ones(3), 1)


def test_step_error_names_the_step():
    x = T.dvector("x")
    idx = T.lvector("idx")
    out, _ = scan(lambda i, x: x[i], sequences=idx, non_sequences=x)
    f = symcore.function([idx, x], out)
    np.testing.assert_array_equal(f(np.array([2, 0]), np.arange(3.0)), [2.0, 0.0])
    with pytest.raises(IndexError) as info:
        f(np.array([0, 1, 7]), np.arange(3.0))
    assert "step 2 of Scan" in str(info.value)


def test_state_kept_by_the_step_is_not_overwritten():
    """A step returning a view of its state (a DimShuffle) and a nit_sot of the same state:
    the buffers are written after the step, rows never alias."""
    h0 = T.dmatrix("h0")
    res, _ = scan(lambda h: [h.T * 1.0, h.sum()], outputs_info=[h0, None], n_steps=4)
    f = _compile([h0], res)
    H = np.arange(4.0).reshape(2, 2)
    hs, sums = f(H)
    np.testing.assert_array_equal(hs, [H.T, H, H.T, H])
    np.testing.assert_array_equal(sums, [6.0] * 4)


def test_while_and_gradient_scans_are_inlined_and_agree(py_function):
    x0 = T.dscalar("x0")
    out, _ = scan(lambda x: (x * 2, until(x * 2 > 100)), outputs_info=x0, n_steps=50)
    f = _compile([x0], out)
    np.testing.assert_allclose(f(3.0), [6, 12, 24, 48, 96, 192])
    # the gradient (a mit_mot backward scan with shared accumulators) is one C loop too
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    hs, _ = scan(lambda xt, h: T.tanh(h * 0.9 + xt), sequences=x, outputs_info=h0)
    gx = symcore.grad(hs.sum(), x)
    g = _compile([x, h0], [hs, gx])
    X = np.linspace(-1, 1, 6)
    got_h, got_g = g(X, 0.1)
    exp_h, exp_g = py_function([x, h0], [hs, gx])(X, 0.1)
    np.testing.assert_allclose(got_h, exp_h)
    np.testing.assert_allclose(got_g, exp_g)
