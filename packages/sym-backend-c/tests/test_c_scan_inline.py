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
from symcore.scan import Scan, scan, until

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


# --- backward (mit_mot) scans ----------------------------------------------------------------
def _scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def _all_inlined(f) -> bool:
    """Every Scan of f runs as an inlined loop (one marker each, none falls back)."""
    report = f.maker.fgraph.linker_report
    fell_back = [n for n in report.fallback_nodes if isinstance(n.op, Scan)]
    return not fell_back and report.source.count(INLINE_MARKER) == len(_scan_nodes(f))


def _numpy_rnn_grad(X, H0, W, U):
    hs, h = [], H0
    for xt in X:
        h = np.tanh(xt @ W + h @ U)
        hs.append(h)
    gW, gU, carry = np.zeros_like(W), np.zeros_like(U), np.zeros_like(H0)
    for t in range(len(X) - 1, -1, -1):
        pre = (1.0 + carry) * (1 - hs[t] ** 2)
        gW += np.outer(X[t], pre)
        gU += np.outer(hs[t - 1] if t else H0, pre)
        carry = pre @ U.T
    return gW, gU


def test_rnn_gradient_is_one_c_loop_and_matches_numpy():
    x, W, U = T.dmatrix("x"), T.dmatrix("W"), T.dmatrix("U")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    grads = symcore.grad(hs.sum(), [W, U])
    # without scan_push_out_dot the accumulators of gW, gU stay in the loop (in place);
    # with it (the default) they become one product after the loop
    in_loop = symcore.get_mode("FAST_RUN").excluding("scan_push_out_dot")
    f = symcore.function([x, h0, W, U], grads, mode=in_loop)
    grad_scans = [n for n in _scan_nodes(f) if n.op.info.n_mit_mot]
    assert grad_scans and grad_scans[0].op.info.n_shared == 2
    assert grad_scans[0].op.inner_function().scan_destroyed  # Ger{inplace}
    g = symcore.function([x, h0, W, U], grads)
    rng = np.random.default_rng(4)
    X, H0 = rng.standard_normal((30, 6)) * 0.5, rng.standard_normal(8) * 0.1
    Wv, Uv = rng.standard_normal((6, 8)) * 0.3, rng.standard_normal((8, 8)) * 0.3
    for fn in (f, g):
        assert _all_inlined(fn)
        for got, want in zip(fn(X, H0, Wv, Uv), _numpy_rnn_grad(X, H0, Wv, Uv), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        # one step, and a second call (buffers and accumulators start afresh)
        one = _numpy_rnn_grad(X[:1], H0, Wv, Uv)
        for got, want in zip(fn(X[:1], H0, Wv, Uv), one, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_power_gradient_matches_numpy():
    A = T.dvector("A")
    k = T.iscalar("k")
    res, _ = scan(lambda p, A: p * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    f = symcore.function([A, k], symcore.grad(res[-1].sum(), A))
    assert _all_inlined(f)
    a = np.linspace(0.9, 1.1, 7)
    np.testing.assert_allclose(f(a, 50), 50 * a**49, rtol=1e-11)
    np.testing.assert_allclose(f(a, 1), np.ones(7))


def _grad_fns(py_function, inputs, cost, wrt):
    grads = symcore.grad(cost, wrt)
    f = symcore.function(inputs, grads)
    assert _all_inlined(f)
    return f, py_function(inputs, grads)


def test_gradient_through_state_and_sequence_taps(py_function):
    """mit_sot taps [-3, -1] and sequence taps [-1, 0, 2]: the backward scan has mit_mot
    states with several input and output offsets."""
    x0 = T.dvector("x0")
    s = T.dvector("s")
    c = T.dscalar("c")
    res, _ = scan(
        lambda sm1, s0, s2, xm3, xm1, c: T.sin(xm3) * c + xm1 * 0.5 + sm1 * s0 - s2,
        sequences=dict(input=s, taps=[-1, 0, 2]),
        outputs_info=dict(initial=x0, taps=[-3, -1]),
        non_sequences=c,
    )
    cost = (res**2).sum() + res[-2] * 3.0
    f, ref = _grad_fns(py_function, [x0, s, c], cost, [x0, s, c])
    assert any(n.op.info.n_mit_mot for n in _scan_nodes(f))
    rng = np.random.default_rng(5)
    args = (rng.standard_normal(3), rng.standard_normal(12), 0.7)
    for got, want in zip(f(*args), ref(*args), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_gradient_with_truncate_gradient(py_function):
    x = T.dvector("x")
    w = T.dscalar("w")
    h0 = T.dscalar("h0")
    hs, _ = scan(
        lambda xt, h, w: T.tanh(h * w + xt),
        sequences=x,
        outputs_info=h0,
        non_sequences=w,
        truncate_gradient=3,
    )
    f, ref = _grad_fns(py_function, [x, h0, w], hs.sum(), [x, h0, w])
    X = np.linspace(-1.0, 1.0, 9)
    got, want = f(X, 0.2, 1.3), ref(X, 0.2, 1.3)
    for g, e in zip(got, want, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-11)
    # only the last 3 steps are differentiated: earlier entries of x get no gradient
    np.testing.assert_array_equal(got[0][:-3], 0.0)
    assert np.all(got[0][-3:] != 0.0)


def test_gradient_of_go_backwards_scan(py_function):
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda xt, h: T.tanh(h * 0.8 + xt * h[::-1]),
        sequences=x,
        outputs_info=h0,
        go_backwards=True,
    )
    f, ref = _grad_fns(py_function, [x, h0], (hs[::2] ** 2).sum(), [x, h0])
    rng = np.random.default_rng(6)
    args = (rng.standard_normal((7, 4)), rng.standard_normal(4))
    for got, want in zip(f(*args), ref(*args), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def _mit_mot_scan(in_taps, out_taps, step):
    """A Scan with one mit_mot state of vectors, built directly: step(*taps) -> outs."""
    from symcore.scan.info import ScanInfo

    taps = [T.dvector(f"b{i}") for i in range(len(in_taps))]
    info = ScanInfo(mit_mot_in_taps=(tuple(in_taps),), mit_mot_out_taps=(tuple(out_taps),))
    op = Scan(taps, list(step(*taps)), info)
    n = T.lscalar("n")
    B = T.dmatrix("B")
    return [n, B], op(n, B)


def _numpy_mit_mot(B, n, in_taps, out_taps, step):
    B = B.copy()
    for t in range(n):
        outs = [np.array(v, copy=True) for v in step(*[B[t + i] for i in in_taps])]
        for o, v in zip(out_taps, outs, strict=True):
            B[t + o] = v
    return B


def test_mit_mot_writes_rows_it_also_reads():
    """Step t reads B[t], B[t+1] and writes B[t+1], B[t+2]; the value written at t+2 is the
    input row t+1 itself (a view of a row written first): it must be the old row."""

    def sym_step(b0, b1):
        return [b0 + b1 * 2.0, b1]

    def np_step(b0, b1):
        return [b0 + b1 * 2.0, b1]

    inputs, out = _mit_mot_scan([0, 1], [1, 2], sym_step)
    f = _compile(inputs, out)
    B = np.arange(24.0).reshape(8, 3)
    np.testing.assert_array_equal(f(6, B), _numpy_mit_mot(B, 6, [0, 1], [1, 2], np_step))
    np.testing.assert_array_equal(f(0, B), B)
    B0 = B.copy()
    f(3, B)
    np.testing.assert_array_equal(B, B0)  # the input buffer is not written
    with pytest.raises(ValueError, match="mit_mot buffer 0 has 8 entries; 7 steps"):
        f(7, B)


def test_mit_mot_shape_error():
    inputs, out = _mit_mot_scan([0], [1], lambda b0: [b0[:2] * 1.0])
    f = _compile(inputs, out)
    with pytest.raises(ValueError, match="at step 0 .*mit_mot value with shape"):
        f(2, np.ones((3, 3)))


# --- while loops ------------------------------------------------------------------------------
def test_while_loop_bounded_by_n_steps_with_store_and_nit_sot():
    x0 = T.dscalar("x0")
    lim = T.dscalar("lim")
    n = T.lscalar("n")
    (xs, ys), _ = scan(
        lambda v, lim: ([v * 1.5 + 1.0, v * 2.0], until(v * 1.5 + 1.0 > lim)),
        outputs_info=[x0, None],
        non_sequences=lim,
        n_steps=n,
    )
    f = _compile([x0, lim, n], [xs, ys, xs[-1], ys[-2:]])

    def numpy_loop(v, limit, bound):
        xs_, ys_ = [], []
        for _ in range(bound):
            ys_.append(v * 2.0)
            v = v * 1.5 + 1.0
            xs_.append(v)
            if v > limit:
                break
        return np.array(xs_), np.array(ys_)

    for limit, bound in [(50.0, 100), (1e9, 20), (-1.0, 10), (50.0, 3)]:
        exs, eys = numpy_loop(1.0, limit, bound)
        got_x, got_y, last, tail = f(1.0, limit, bound)
        np.testing.assert_allclose(got_x, exs)
        np.testing.assert_allclose(got_y, eys)
        np.testing.assert_allclose(last, exs[-1])
        np.testing.assert_allclose(tail, eys[-2:])
    g = _compile([x0, lim, n], [xs, ys])
    got_x, got_y = g(1.0, 50.0, 0)
    assert got_x.shape == (0,) and got_y.shape == (0,)


def test_while_loop_over_a_sequence_with_taps():
    x = T.dvector("x")
    h0 = T.dvector("h0")
    res, _ = scan(
        lambda xt, a, b: (a + b * xt, until(T.abs(a + b * xt) > 20.0)),
        sequences=x,
        outputs_info=dict(initial=h0, taps=[-2, -1]),
    )
    f = _compile([x, h0], [res, res[-1]])
    X = np.linspace(0.5, 3.0, 40)
    vals = [1.0, 1.0]
    for xt in X:
        vals.append(vals[-2] + vals[-1] * xt)
        if abs(vals[-1]) > 20.0:
            break
    full, last = f(X, np.array([1.0, 1.0]))
    np.testing.assert_allclose(full, vals[2:])
    np.testing.assert_allclose(last, vals[-1])
    assert len(full) < len(X)


def test_while_loop_error_names_the_step():
    x = T.dvector("x")
    i0 = T.lscalar("i0")
    res, _ = scan(
        lambda i, x: ([i + 1, x[i]], until(T.lt(x[i], 0.0))),
        outputs_info=[i0, None],
        non_sequences=x,
        n_steps=10,
    )
    f = _compile([x, i0], res[1])
    np.testing.assert_array_equal(f(np.array([3.0, 2.0, -1.0, 5.0]), 0), [3.0, 2.0, -1.0])
    with pytest.raises(IndexError) as info:
        f(np.array([3.0, 2.0, 1.0]), 0)
    assert "step 3 of Scan" in str(info.value)


# --- untraced (shared) states -------------------------------------------------------------------
def test_shared_variable_updates_in_the_loop():
    acc = symcore.shared(np.float64(0.0), name="acc")
    M = symcore.shared(np.arange(4.0).reshape(2, 2), name="M")
    x = T.dvector("x")

    def step(v):
        # M's update is a view (a transpose) of the state: kept as it is, no copy needed
        return v * acc + M.sum(), {acc: acc + v, M: M.T}

    out, updates = scan(step, sequences=x)
    f = _compile([x], out, updates=updates)
    assert any(n.op.info.n_shared == 2 for n in _scan_nodes(f))
    res = f(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(res, [6.0, 8.0, 15.0])
    assert acc.get_value() == pytest.approx(6.0)
    np.testing.assert_array_equal(M.get_value(), np.arange(4.0).reshape(2, 2).T)
    f(np.array([1.0]))
    assert acc.get_value() == pytest.approx(7.0)
    np.testing.assert_array_equal(M.get_value(), np.arange(4.0).reshape(2, 2))
    f(np.zeros(0))  # no step: the states are unchanged
    assert acc.get_value() == pytest.approx(7.0)


def test_random_stream_scans_still_fall_back():
    from symcore.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=234)
    x = T.dvector("x")
    draw = srng.uniform(size=(3,))
    out, updates = scan(lambda v: v + draw, sequences=x)
    f = _compile([x], out, inlined=False, updates=updates)
    state = draw.rng.get_value(borrow=True).bit_generator.state
    gen = np.random.Generator(type(draw.rng.get_value(borrow=True).bit_generator)())
    gen.bit_generator.state = state
    np.testing.assert_allclose(
        f(np.zeros(4)), np.stack([gen.uniform(0.0, 1.0, size=(3,)) for _ in range(4)])
    )


def test_untouched_shared_state_is_not_written_by_later_inplace_nodes():
    """With no step, the untraced state's output is the shared variable's own array; the
    Scan declares no view of its inputs, so an in-place node after it must get a copy."""
    acc = symcore.shared(np.arange(3.0), name="acc")
    x = T.dvector("x")
    _, updates = scan(lambda v: {acc: acc + v}, sequences=x.dimshuffle(0, "x") * T.ones((1, 3)))
    f = _compile([x], updates[acc] * 2 + 1)
    assert any(n.op.destroy_map for n in f.maker.fgraph.toposort())  # the in-place node
    np.testing.assert_array_equal(f(np.zeros(0)), [1.0, 3.0, 5.0])
    np.testing.assert_array_equal(acc.get_value(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(f(np.ones(2)), [5.0, 7.0, 9.0])
    np.testing.assert_array_equal(acc.get_value(), [0.0, 1.0, 2.0])


def test_while_loop_keeping_only_the_last_values_in_a_ring():
    x0 = T.dvector("x0")
    n = T.lscalar("n")
    res, _ = scan(
        lambda a, b: (a + b, until((a + b).sum() > 1000.0)),
        outputs_info=dict(initial=x0, taps=[-2, -1]),
        n_steps=n,
    )
    f = _compile([x0, n], [res[-1], res[-2]])
    assert any(s != -1 for nd in _scan_nodes(f) for s in nd.op.store_steps)
    fib = [1.0, 1.0]
    while fib[-1] <= 1000.0:
        fib.append(fib[-1] + fib[-2])
    last, before = f(np.array([1.0, 1.0]), 100)
    assert (last, before) == (fib[-1], fib[-2])
    last, before = f(np.array([1.0, 1.0]), 5)  # the bound comes first
    assert (last, before) == (fib[6], fib[5])


def test_states_swapped_and_read_before_they_change(py_function):
    """Untraced states swapped by the step, a mit_mot row written with an untraced state's
    step input, a condition that is an untraced state: each is the value the step read."""
    a = symcore.shared(np.array([1.0, 2.0]), name="a")
    b = symcore.shared(np.array([10.0, 20.0]), name="b")
    x = T.dvector("x")
    out, updates = scan(lambda v: (a * v + b, {a: b, b: a}), sequences=x)
    f = _compile([x], out, updates=updates)
    av, bv, expect = np.array([1.0, 2.0]), np.array([10.0, 20.0]), []
    for v in [1.0, 2.0, 3.0]:
        expect.append(av * v + bv)
        av, bv = bv, av
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), expect)
    np.testing.assert_allclose(a.get_value(), av)
    np.testing.assert_allclose(b.get_value(), bv)

    from symcore.scan.info import ScanInfo

    b0, s = T.dvector("b0"), T.dvector("s")
    info = ScanInfo(mit_mot_in_taps=((0,),), mit_mot_out_taps=((1,),), n_shared=1)
    op = Scan([b0, s], [s, s + b0], info)  # B[t + 1] = s_t; s_{t+1} = s_t + B[t]
    n, B, s_init = T.lscalar("n"), T.dmatrix("B"), T.dvector("s_init")
    outs = op(n, B, s_init)
    g = _compile([n, B, s_init], outs)
    Bv, sv = np.arange(12.0).reshape(4, 3), np.array([0.5, -1.0, 2.0])
    got_B, got_s = g(3, Bv, sv)
    exp_B, exp_s = Bv.copy(), sv.copy()
    for t in range(3):
        exp_B[t + 1], exp_s = exp_s, exp_s + exp_B[t]
    np.testing.assert_array_equal(got_B, exp_B)
    np.testing.assert_array_equal(got_s, exp_s)

    # a while loop whose condition is an untraced state (the value the step read)
    flag = T.bscalar("flag")
    k = T.dscalar("k")
    info = ScanInfo(n_sit_sot=1, n_shared=1, as_while=True)
    op = Scan([k, flag], [k + 1.0, T.cast(k + 1.0 >= 3.0, "int8"), flag], info)
    n, k0, f0 = T.lscalar("n"), T.dvector("k0"), T.bscalar("f0")
    ks, _ = op(n, k0, f0)
    h = _compile([n, k0, f0], ks)
    ref = py_function([n, k0, f0], ks)
    for args in [(10, np.array([0.0]), 0), (10, np.array([0.0]), 1), (2, np.array([0.0]), 0)]:
        np.testing.assert_array_equal(h(*args), ref(*args))
    np.testing.assert_array_equal(h(10, np.array([0.0]), 0), [1.0, 2.0, 3.0, 4.0])


def test_step_results_computed_straight_into_their_rows():
    """An elementwise step result lands in its buffer row (full buffer and ring): a sit_sot,
    a mit_sot with two taps, a nit_sot; values equal NumPy's, no output aliases another."""
    x0 = T.dmatrix("x0")
    A = T.dvector("A")
    seq = T.dmatrix("seq")

    def step(s, p0, p2, p1, A):
        return [p0 * A + s, p2 * 0.5 + p1, (p1 - s) * 2.0]

    res, _ = scan(
        step,
        sequences=seq,
        outputs_info=[x0[0], dict(initial=x0, taps=[-2, -1]), None],
        non_sequences=A,
    )
    r0, r1, r2 = res
    f = _compile([x0, A, seq], [r0, r1, r2, r0[-1], r1[-2:], r2[-1]])
    assert "symc_scan_point_row" in f.maker.fgraph.linker_report.source
    rng = np.random.default_rng(3)
    init, a, sq = rng.standard_normal((2, 4)), rng.standard_normal(4), rng.standard_normal((6, 4))
    w0, w1, w2 = [], list(init), []
    p = init[0]
    for s in sq:
        w2.append((w1[-1] - s) * 2.0)
        p = p * a + s
        w0.append(p)
        w1.append(w1[-2] * 0.5 + w1[-1])
    got = f(init, a, sq)
    for g, want in zip(got, [w0, w1[2:], w2, w0[-1], w1[-2:], w2[-1]], strict=True):
        np.testing.assert_allclose(g, np.asarray(want), rtol=1e-12)
    ptrs = [g.__array_interface__["data"][0] for g in got]
    assert len(set(ptrs)) == len(ptrs)  # no two outputs share memory
    again = f(init, a, sq)  # a second run reuses nothing it returned
    for g, h in zip(got, again, strict=True):
        np.testing.assert_array_equal(g, h)
        assert not np.shares_memory(g, h)


def test_step_result_also_a_shared_update_or_two_outputs():
    """A result that is also a shared variable's next value, or returned twice, is stored
    by copy: the shared value is never a row of the buffer and outputs stay apart."""
    s = symcore.shared(np.zeros(3), name="s")
    x = T.dmatrix("x")

    def step(xt, h):
        nh = h * 0.5 + xt
        return [nh, nh * 1.0], {s: nh}

    (hs, hs2), updates = scan(step, sequences=x, outputs_info=[T.zeros(3), None])
    f = _compile([x], [hs, hs2], updates=updates)
    xv = np.arange(12.0).reshape(4, 3)
    want, h = [], np.zeros(3)
    for xt in xv:
        h = h * 0.5 + xt
        want.append(h)
    got, got2 = f(xv)
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(got2, want)
    np.testing.assert_allclose(s.get_value(), want[-1])
    assert not np.shares_memory(got, got2)
    assert not np.shares_memory(got, s.get_value(borrow=True))
    twice, _ = scan(lambda xt, h: [h + xt, h + xt][0], sequences=x, outputs_info=T.zeros(3))
    g = _compile([x], [twice, twice * 1.0])
    a, b = g(xv)
    np.testing.assert_allclose(a, np.cumsum(xv, axis=0))
    np.testing.assert_allclose(b, np.cumsum(xv, axis=0))


def test_nit_sot_whose_shape_changes_raises():
    """An elementwise nit_sot whose shape changes at step 2: the row it was to be written in
    does not fit, the step allocates its own array and the loop reports the shape."""
    x = T.dvector("x")
    k = T.lvector("k")
    out, _ = scan(lambda kt, x: x[:kt] * 2.0, sequences=k, non_sequences=x)
    f = _compile([k, x], out)
    np.testing.assert_array_equal(f(np.array([2, 2]), np.arange(4.0)), [[0.0, 2.0]] * 2)
    with pytest.raises(ValueError, match="at step 2 .* shape"):
        f(np.array([2, 2, 3]), np.arange(4.0))



@pytest.mark.parametrize("second_reader", [False, True])
def test_mit_mot_value_computed_in_its_row(second_reader):
    """An elementwise mit_mot value is computed in the row it is written to, unless another
    node reads that row in the same step (it must see the row before the write): with
    ``second_reader`` the value written at t+2 reads row t+1, which the first value
    overwrites."""

    def step(b0, b1):
        first = b1 + b0 * 2.0
        return [first, np.sqrt(np.abs(b1)) + 1.0] if second_reader else [first]

    def sym_step(b0, b1):
        first = b1 + b0 * 2.0
        return [first, T.sqrt(T.abs(b1)) + 1.0] if second_reader else [first]

    out_taps = [1, 2] if second_reader else [1]
    inputs, out = _mit_mot_scan([0, 1], out_taps, sym_step)
    f = _compile(inputs, out)
    src = f.maker.fgraph.linker_report.source
    # the row of tap 1 is read twice: only the value written at t+2 goes to its row directly
    assert ("sc_mdw[0] && Py_REFCNT" in src) is not second_reader
    assert ("sc_mdw[1] && Py_REFCNT" in src) is second_reader
    B = np.random.default_rng(7).standard_normal((8, 3))
    B0 = B.copy()
    np.testing.assert_allclose(f(5, B), _numpy_mit_mot(B, 5, [0, 1], out_taps, step), rtol=1e-12)
    np.testing.assert_array_equal(B, B0)  # the input buffer is copied, not written
