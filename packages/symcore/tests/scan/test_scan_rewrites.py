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
