"""Untraced states (shared-variable updates, gradient accumulators) that the compiled step
overwrites in place (``Scan.inner_function`` compiles them as mutable inputs): the results
equal NumPy's, and the loop never writes into a value it does not own — a user input, a
shared variable's array, another output, a value returned at an earlier step."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.scan import Scan, ScanInfo, scan
from symcore.scan import loop as scan_loop


@pytest.fixture(autouse=True, params=["driver", "python-loop"])
def _loop_kind(request):
    """Each test with the backend's compiled per-step loop (when one is registered) and
    with the Python loop (the inlined C loop of the C backend runs either way)."""
    saved = scan_loop._driver_factory
    if request.param == "python-loop":
        scan_loop.set_loop_driver(None)
    yield
    scan_loop.set_loop_driver(saved)


#: the accumulators stay in the loop (scan_push_out_dot would move outer products out)
_IN_LOOP = symcore.get_mode("FAST_RUN").excluding("scan_push_out_dot")


def _function(*args, **kwargs):
    return symcore.function(*args, mode=_IN_LOOP, **kwargs)


def _scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def _destroyed(f) -> set[int]:
    out: set[int] = set()
    for nd in _scan_nodes(f):
        out |= set(nd.op.inner_function().scan_destroyed)
    return out


def _accumulate(xv, yv, s0):
    acc = s0.copy()
    for xt, yt in zip(xv, yv, strict=True):
        acc += np.outer(xt, yt)
    return acc


def test_shared_accumulator_updated_in_place_leaves_the_old_array_alone():
    s0 = np.arange(12.0).reshape(3, 4)
    S = symcore.shared(s0.copy(), name="S")
    x, y = T.dmatrix("x"), T.dmatrix("y")
    _, upd = scan(lambda xt, yt: {S: S + T.outer(xt, yt)}, sequences=[x, y])
    f = _function([x, y], [], updates=upd)
    assert _destroyed(f)  # the step's Ger (or add) runs in place
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    before = S.get_value(borrow=True)
    f(xv, yv)
    np.testing.assert_allclose(S.get_value(), _accumulate(xv, yv, s0), rtol=1e-12)
    np.testing.assert_array_equal(before, s0)  # the old value was copied, not written
    held = S.get_value(borrow=True)
    f(xv[:0], yv[:0])  # no step: unchanged
    np.testing.assert_array_equal(S.get_value(), held)
    f(xv, yv)
    np.testing.assert_allclose(S.get_value(), _accumulate(xv, yv, held), rtol=1e-12)


def test_user_input_as_untraced_state_is_not_modified():
    """A Scan built directly with a function input as its untraced state's initial value."""
    xt = T.dvector("xt")
    acc = T.dmatrix("acc")
    info = ScanInfo(
        n_seqs=1,
        mit_mot_in_taps=(),
        mit_mot_out_taps=(),
        mit_sot_taps=(),
        n_sit_sot=0,
        n_nit_sot=0,
        n_shared=1,
        n_non_seqs=0,
        as_while=False,
    )
    op = Scan([xt, acc], [acc + T.outer(xt, xt)], info)
    x, a0 = T.dmatrix("x"), T.dmatrix("a0")
    out = op(x.shape[0], x, a0)
    f = _function([x, a0], [out, a0 * 1.0])
    assert op.inner_function().scan_destroyed == frozenset({1})
    xv = np.arange(6.0).reshape(2, 3)
    av = np.ones((3, 3))
    got, again = f(xv, av)
    np.testing.assert_allclose(got, _accumulate(xv, xv, np.ones((3, 3))))
    np.testing.assert_array_equal(av, np.ones((3, 3)))
    np.testing.assert_array_equal(again, np.ones((3, 3)))
    assert not np.shares_memory(got, av)


def test_accumulator_also_returned_every_step():
    """The state's new value is also a traced output (and a view of it another): rows
    already returned are never overwritten by later in-place steps."""
    S = symcore.shared(np.zeros((2, 2)), name="S")
    x = T.dmatrix("x")

    def step(xt):
        new = S + T.outer(xt, xt)
        return [new, new[0]], {S: new}

    (full, first), upd = scan(step, sequences=x)
    f = _function([x], [full, first], updates=upd)
    xv = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    want, acc = [], np.zeros((2, 2))
    for r in xv:
        acc = acc + np.outer(r, r)
        want.append(acc)
    got_full, got_first = f(xv)
    np.testing.assert_allclose(got_full, want)
    np.testing.assert_allclose(got_first, [w[0] for w in want])
    np.testing.assert_allclose(S.get_value(), want[-1])
    assert not np.shares_memory(S.get_value(borrow=True), got_full)


def test_states_swapped_and_accumulated():
    """a <- a + outer(x, x), b <- a (the old a): b must see a's value before the update."""
    a = symcore.shared(np.eye(2), name="a")
    b = symcore.shared(np.zeros((2, 2)), name="b")
    x = T.dmatrix("x")
    _, upd = scan(lambda xt: {a: a + T.outer(xt, xt), b: a}, sequences=x)
    f = _function([x], [], updates=upd)
    xv = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    av, bv = np.eye(2), np.zeros((2, 2))
    for r in xv:
        av, bv = av + np.outer(r, r), av
    f(xv)
    np.testing.assert_allclose(a.get_value(), av)
    np.testing.assert_allclose(b.get_value(), bv)
    assert not np.shares_memory(a.get_value(borrow=True), b.get_value(borrow=True))


def test_rnn_gradient_accumulators_in_place_match_numpy():
    rng = np.random.default_rng(1)
    x, W, U = T.dmatrix("x"), T.dmatrix("W"), T.dmatrix("U")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    f = _function([x, h0, W, U], symcore.grad(hs.sum(), [W, U]))
    (grad_scan,) = [n for n in _scan_nodes(f) if n.op.info.n_mit_mot]
    info = grad_scan.op.info
    # both accumulators, and the mit_mot tap whose row the step writes (d + U.T g in place)
    assert set(info.inner_in()["shared"]) <= _destroyed(f)
    assert _destroyed(f) & set(info.inner_in()["mit_mot"])
    xv = rng.standard_normal((7, 4)) * 0.5
    hv = rng.standard_normal(3) * 0.5
    Wv, Uv = rng.standard_normal((4, 3)) * 0.5, rng.standard_normal((3, 3)) * 0.5
    hs_np, h = [], hv
    for xt in xv:
        h = np.tanh(xt @ Wv + h @ Uv)
        hs_np.append(h)
    gW, gU, carry = np.zeros_like(Wv), np.zeros_like(Uv), np.zeros(3)
    for t in range(len(xv) - 1, -1, -1):
        pre = (1.0 + carry) * (1 - hs_np[t] ** 2)
        prev = hs_np[t - 1] if t else hv
        gW += np.outer(xv[t], pre)
        gU += np.outer(prev, pre)
        carry = pre @ Uv.T
    args = [xv.copy(), hv.copy(), Wv.copy(), Uv.copy()]
    for _ in range(2):  # a second call starts from fresh zeros again
        got_W, got_U = f(*args)
        np.testing.assert_allclose(got_W, gW, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got_U, gU, rtol=1e-10, atol=1e-12)
    for a, b in zip(args, [xv, hv, Wv, Uv], strict=True):
        np.testing.assert_array_equal(a, b)  # inputs untouched


def test_accumulator_next_to_a_random_state():
    """A random generator state keeps the loop off the inlined C path (the Python loop
    or the per-step runner runs it); the accumulator is still right."""
    from symcore.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=5)
    S = symcore.shared(np.zeros((2, 2)), name="S")
    x = T.dmatrix("x")
    draw = srng.uniform(size=(2,))
    _, upd = scan(lambda xt: {S: S + T.outer(xt, xt + draw * 0.0)}, sequences=x)
    f = _function([x], [], updates=upd)
    xv = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = S.get_value(borrow=True)
    f(xv)
    np.testing.assert_allclose(S.get_value(), _accumulate(xv, xv, np.zeros((2, 2))))
    np.testing.assert_array_equal(before, np.zeros((2, 2)))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_accumulator_with_mit_sot_state(n):
    """An accumulator next to a traced state with two taps, for 0, 1 and several steps."""
    S = symcore.shared(np.ones(3), name="S")
    f0 = T.dmatrix("f0")
    k = T.lscalar("k")

    def step(a, b):
        nxt = a + b
        return nxt, {S: S + nxt}

    fs, upd = scan(step, outputs_info=dict(initial=f0, taps=[-2, -1]), n_steps=k)
    f = _function([f0, k], fs, updates=upd)
    init = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    vals, acc = list(init), np.ones(3)
    for _ in range(n):
        vals.append(vals[-2] + vals[-1])
        acc = acc + vals[-1]
    got = f(init, n)
    np.testing.assert_allclose(got.reshape(n, 3), np.array(vals[2:]).reshape(n, 3))
    np.testing.assert_allclose(S.get_value(), acc)


@pytest.mark.parametrize("out_taps", [(1,), (1, 2)])
def test_mit_mot_tap_overwritten_in_place(out_taps):
    """A mit_mot step reading rows t, t+1 and writing row t+1 (and with (1, 2) also row
    t+2 from the old row t+1): the tap of row t+1 may be overwritten in place; every
    reader of the old row sees it before, and the input buffer is never written."""
    b0, b1 = T.dvector("b0"), T.dvector("b1")
    outs = [b1 + b0 * 2.0] + ([b1 * 3.0] if len(out_taps) == 2 else [])
    info = ScanInfo(mit_mot_in_taps=((0, 1),), mit_mot_out_taps=(out_taps,))
    op = Scan([b0, b1], outs, info)
    n, B = T.lscalar("n"), T.dmatrix("B")
    f = _function([n, B], op(n, B))
    assert 1 in op.inner_function().scan_destroyed  # the tap of row t+1
    Bv = np.random.default_rng(2).standard_normal((7, 3))
    B0 = Bv.copy()
    want = Bv.copy()
    for t in range(5):
        new = [want[t + 1] + want[t] * 2.0] + ([want[t + 1] * 3.0] if len(out_taps) == 2 else [])
        for o, v in zip(out_taps, new, strict=True):
            want[t + o] = v
    got = f(5, Bv)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_array_equal(Bv, B0)
    assert not np.shares_memory(got, Bv)
