"""Scan rewrites, asserted on the compiled graphs and on the memory the loop allocates:
loop invariants pushed out, only the last steps stored, unused parts removed, loops merged.
Every test also checks the values against NumPy (or the unrewritten graph)."""

import tracemalloc

import numpy as np
import symcore
import symcore.tensor as T
from symcore.scan import Scan, map, reduce, scan

RNG = np.random.default_rng(3)
NO_SCAN_REWRITES = symcore.get_mode("FAST_RUN").excluding("scan")


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def _power_graph():
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = scan(
        lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k
    )
    return A, k, result, updates


def test_last_step_only_is_stored():
    A, k, result, updates = _power_graph()
    power = symcore.function([A, k], result[-1], updates=updates)
    (node,) = scan_nodes(power)
    assert node.op.store_steps == (1,)
    a = np.arange(10, dtype=A.dtype)
    np.testing.assert_allclose(power(a, 4), a**4)
    full = symcore.function([A, k], result[-1], mode=NO_SCAN_REWRITES)
    assert scan_nodes(full)[0].op.store_steps == (-1,)


def test_last_k_steps_are_stored_and_values_match():
    A, k, result, _ = _power_graph()
    f = symcore.function([A, k], [result[-3:], result[-2]])
    (node,) = scan_nodes(f)
    assert node.op.store_steps == (3,)
    a = RNG.standard_normal(4)
    tail, second = f(a, 6)
    np.testing.assert_allclose(tail, np.stack([a**4, a**5, a**6]))
    np.testing.assert_allclose(second, a**5)
    short, _ = f(a, 2)  # fewer steps than stored: the same rows as without the rewrite
    np.testing.assert_allclose(short, np.stack([a, a**2]))


def test_output_used_whole_keeps_every_step():
    A, k, result, _ = _power_graph()
    f = symcore.function([A, k], [result, result[-1]])
    assert scan_nodes(f)[0].op.store_steps == (-1,)


def _peak_bytes(f, *args):
    f(*args)  # warm up: compile the step, allocate caches
    tracemalloc.start()
    try:
        f(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_last_step_does_not_store_all_steps():
    # 2000 steps of a 1000-vector: every step stored would be 16 MB
    A, k, result, updates = _power_graph()
    a = np.full(1000, 1.0001, dtype=A.dtype)
    small = symcore.function([A, k], result[-1], updates=updates)
    big = symcore.function([A, k], result[-1], updates=updates, mode=NO_SCAN_REWRITES)
    np.testing.assert_allclose(small(a, 2000), big(a, 2000))
    step_bytes = a.nbytes
    peak_small = _peak_bytes(small, a, 2000)
    peak_big = _peak_bytes(big, a, 2000)
    assert peak_big >= 2000 * step_bytes
    assert peak_small < 20 * step_bytes, peak_small


def test_reduce_stores_one_step():
    x = T.dmatrix("x")
    total, _ = reduce(lambda row, acc: acc + row, sequences=x, outputs_info=T.zeros_like(x[0]))
    f = symcore.function([x], total)
    assert scan_nodes(f)[0].op.store_steps == (1,)
    xv = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(f(xv), xv.sum(axis=0))


def test_nit_sot_last_step():
    x = T.dvector("x")
    out, _ = map(lambda v: v**2, sequences=x)
    f = symcore.function([x], out[-1])
    assert scan_nodes(f)[0].op.store_steps == (1,)
    assert f(np.array([1.0, 2.0, 3.0])) == 9.0


def test_loop_invariant_is_pushed_out():
    x = T.dvector("x")
    W = T.dmatrix("W")
    h0 = T.dvector("h0")
    out, _ = scan(
        lambda xt, h, W: T.tanh(T.dot(h, T.exp(W) * 2) + xt),
        sequences=x,
        outputs_info=h0,
        non_sequences=W,
    )
    f = symcore.function([x, h0, W], out)
    (node,) = scan_nodes(f)
    inner_ops = [str(n.op) for n in node.op.fgraph.toposort()]
    assert not any("exp" in s for s in inner_ops), inner_ops
    outer_ops = [str(n.op) for n in f.maker.fgraph.toposort()]
    assert any("exp" in s for s in outer_ops), outer_ops
    xv, hv, Wv = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal((3, 3)) * 0.3
    h, expected = hv, []
    for t in range(3):
        h = np.tanh(h @ (np.exp(Wv) * 2) + xv[t])
        expected.append(h)
    np.testing.assert_allclose(f(xv, hv, Wv), expected)


def test_unused_outputs_and_inputs_are_removed():
    x, y = T.dvector("x"), T.dvector("y")
    (a, b, c), _ = scan(
        lambda u, v, s: [u * 2, v * 3, s + u],
        sequences=[x, y],
        outputs_info=[None, None, T.constant(np.float64(0))],
    )
    f = symcore.function([x, y], a)
    (node,) = scan_nodes(f)
    info = node.op.info
    assert (info.n_nit_sot, info.n_sot, info.n_seqs) == (1, 0, 1)
    np.testing.assert_allclose(f(np.arange(3.0), np.arange(4.0)), np.arange(3.0) * 2)


def test_state_needed_by_a_used_output_is_kept():
    x = T.dvector("x")
    (acc, y), _ = scan(
        lambda v, s: [s + v, s * 10], sequences=x, outputs_info=[T.constant(np.float64(0)), None]
    )
    f = symcore.function([x], y)
    (node,) = scan_nodes(f)
    assert node.op.info.n_sot == 1
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [0.0, 10.0, 30.0])


def test_scans_over_the_same_sequence_are_merged():
    x = T.dvector("x")
    a, _ = scan(lambda v: v * 2, sequences=x)
    b, _ = scan(lambda v, s: s + v, sequences=x, outputs_info=T.constant(np.float64(0)))
    f = symcore.function([x], [a, b])
    (node,) = scan_nodes(f)
    assert node.op.info.n_seqs == 1  # the repeated sequence is read once
    xv = RNG.standard_normal(5)
    ra, rb = f(xv)
    np.testing.assert_allclose(ra, xv * 2)
    np.testing.assert_allclose(rb, np.cumsum(xv))


def test_dependent_scans_are_not_merged():
    x = T.dvector("x")
    a, _ = scan(lambda v: v * 2, sequences=x)
    b, _ = scan(lambda v: v + 1, sequences=a)
    f = symcore.function([x], b)
    assert len(scan_nodes(f)) == 2
    np.testing.assert_allclose(f(np.arange(3.0)), np.arange(3.0) * 2 + 1)


def test_gradient_accumulators_store_one_step_and_match_unrewritten():
    x, W = T.dmatrix("x"), T.dmatrix("W")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda xt, h, W: T.tanh(T.dot(h, W) + xt), sequences=x, outputs_info=h0, non_sequences=W
    )
    grads = symcore.grad(hs[-1].sum(), [x, h0, W])
    f = symcore.function([x, h0, W], grads)
    g = symcore.function([x, h0, W], grads, mode=NO_SCAN_REWRITES)
    forward = [n for n in scan_nodes(f) if n.op.info.n_sit_sot]
    assert forward and forward[0].op.store_steps == (-1,)  # the backward pass reads every step
    args = RNG.standard_normal((4, 3)), RNG.standard_normal(3), RNG.standard_normal((3, 3)) * 0.5
    for r1, r2 in zip(f(*args), g(*args), strict=True):
        np.testing.assert_allclose(r1, r2)


# -- sums of per-step products pushed out of the loop (scan_push_out_dot) ------------------

NO_PUSH_OUT_DOT = symcore.get_mode("FAST_RUN").excluding("scan_push_out_dot")


def _acc_scan(x, d, a0, step_product, n_steps=None):
    """A raw Scan whose only state is the untraced ``acc = acc + step_product(x_t, d_t)``."""
    from symcore.scan.info import ScanInfo

    xi, di, ai = x[0].type(), d[0].type(), a0.type()
    op = Scan([xi, di, ai], [ai + step_product(xi, di)], ScanInfo(n_seqs=2, n_shared=1))
    return op(x.shape[0] if n_steps is None else n_steps, x, d, a0)


def _accumulators(f):
    return sum(n.op.info.n_shared for n in scan_nodes(f))


def test_rnn_gradient_outer_products_leave_the_loop():
    x, W, U = T.dmatrix("x"), T.dmatrix("W"), T.dmatrix("U")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    grads = symcore.grad((hs**2).sum(), [x, h0, W, U])
    f = symcore.function([x, h0, W, U], grads)
    g = symcore.function([x, h0, W, U], grads, mode=NO_PUSH_OUT_DOT)
    assert _accumulators(g) == 2 and _accumulators(f) == 0  # gW, gU accumulated in the loop
    xv, hv = RNG.standard_normal((6, 4)), RNG.standard_normal(3)
    Wv, Uv = 0.5 * RNG.standard_normal((4, 3)), 0.5 * RNG.standard_normal((3, 3))
    # NumPy back-propagation through time
    hs_np = [hv]
    for t in range(6):
        hs_np.append(np.tanh(xv[t] @ Wv + hs_np[-1] @ Uv))
    gx, gW, gU, carry = np.zeros_like(xv), np.zeros_like(Wv), np.zeros_like(Uv), np.zeros(3)
    for t in range(5, -1, -1):
        pre = (2 * hs_np[t + 1] + carry) * (1 - hs_np[t + 1] ** 2)
        gx[t] = pre @ Wv.T
        gW += np.outer(xv[t], pre)
        gU += np.outer(hs_np[t], pre)
        carry = pre @ Uv.T
    results = zip(f(xv, hv, Wv, Uv), g(xv, hv, Wv, Uv), [gx, carry, gW, gU], strict=True)
    for got, unrewritten, want in results:
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got, unrewritten, rtol=1e-10, atol=1e-12)


def test_small_batch_products_leave_the_loop_and_match_numpy():
    x = T.tensor(dtype="float64", shape=(None, 2, None), name="x")  # k = 2 per step
    d = T.dtensor3("d")
    a0 = T.dmatrix("a0")
    n = T.lscalar("n")
    forms = {
        "xT_d": lambda xt, dt: T.dot(xt.T, T.tanh(dt)),
        "xT_d_swapped": lambda xt, dt: T.dot(T.exp(xt).T, dt),
    }
    xv, dv = RNG.standard_normal((5, 2, 3)), RNG.standard_normal((5, 2, 4))
    a0v = RNG.standard_normal((3, 4))
    numpy_terms = {
        "xT_d": lambda t: xv[t].T @ np.tanh(dv[t]),
        "xT_d_swapped": lambda t: np.exp(xv[t]).T @ dv[t],
    }
    for name, prod in forms.items():
        out = _acc_scan(x, d, a0, prod, n_steps=n)
        f = symcore.function([x, d, a0, n], out)
        g = symcore.function([x, d, a0, n], out, mode=NO_PUSH_OUT_DOT)
        assert _accumulators(f) == 0 and _accumulators(g) == 1, name
        for steps in (5, 3, 0):  # all steps, fewer steps than the sequences, none
            want = a0v + sum((numpy_terms[name](t) for t in range(steps)), np.zeros((3, 4)))
            np.testing.assert_allclose(f(xv, dv, a0v, steps), want, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(g(xv, dv, a0v, steps), want, rtol=1e-12, atol=1e-12)


def test_transposed_right_operand_and_plain_left_operand():
    # acc (m, n) += a_t (m, k) @ v_t.T with v_t (n, k), k = 1 known statically
    x = T.tensor(dtype="float64", shape=(None, None, 1), name="x")
    d = T.tensor(dtype="float64", shape=(None, None, 1), name="d")
    a0 = T.dmatrix("a0")
    out = _acc_scan(x, d, a0, lambda at, vt: T.dot(at * 2, vt.T))
    f = symcore.function([x, d, a0], out)
    assert _accumulators(f) == 0
    xv, dv, a0v = RNG.standard_normal((4, 3, 1)), RNG.standard_normal((4, 5, 1)), np.zeros((3, 5))
    want = sum(2 * xv[t] @ dv[t].T for t in range(4))
    np.testing.assert_allclose(f(xv, dv, a0v), want, rtol=1e-12)


def test_large_or_unknown_batch_and_reused_accumulator_stay_in_the_loop():
    x, d, a0 = T.dtensor3("x"), T.dtensor3("d"), T.dmatrix("a0")
    unknown_k = _acc_scan(x, d, a0, lambda xt, dt: T.dot(xt.T, dt))
    xb = T.tensor(dtype="float64", shape=(None, 1, None), name="xb")
    db = T.tensor(dtype="float64", shape=(None, 1, None), name="db")
    from symcore.scan.info import ScanInfo

    xi, di, ai = xb[0].type(), db[0].type(), a0.type()
    # the step reads acc besides accumulating into it: acc * 0.5 + x_t.T @ d_t
    op = Scan([xi, di, ai], [ai * 0.5 + T.dot(xi.T, di)], ScanInfo(n_seqs=2, n_shared=1))
    reused = op(xb.shape[0], xb, db, a0)
    f = symcore.function([x, d, a0], unknown_k)
    h = symcore.function([xb, db, a0], reused)
    assert _accumulators(f) == 1 and _accumulators(h) == 1
    xv, dv, a0v = RNG.standard_normal((3, 2, 4)), RNG.standard_normal((3, 2, 5)), np.ones((4, 5))
    np.testing.assert_allclose(f(xv, dv, a0v), a0v + sum(xv[t].T @ dv[t] for t in range(3)))
    acc = a0v
    for t in range(3):
        acc = acc * 0.5 + xv[t, :1].T @ dv[t, :1]
    np.testing.assert_allclose(h(xv[:, :1], dv[:, :1], a0v), acc)


def test_shared_variable_outer_product_update_leaves_the_loop():
    s0 = RNG.standard_normal((3, 4))
    S = symcore.shared(s0.copy(), name="S")
    x, y = T.dmatrix("x"), T.dmatrix("y")
    _, upd = scan(lambda xt, yt: {S: S + T.outer(xt, yt)}, sequences=[x, y])
    f = symcore.function([x, y], [], updates=upd)
    assert _accumulators(f) == 0
    xv, yv = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    f(xv, yv)
    np.testing.assert_allclose(S.get_value(), s0 + xv.T @ yv, rtol=1e-12)
    f(xv[:0], yv[:0])  # no step: unchanged
    np.testing.assert_allclose(S.get_value(), s0 + xv.T @ yv, rtol=1e-12)
