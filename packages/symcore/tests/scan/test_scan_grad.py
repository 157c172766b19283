"""Gradients through scan: verify_grad (BPTT) for every state kind, truncate_gradient
against a NumPy back-propagation, non-sequences and shared weights, Rop, second order,
and jacobian/hessian of expressions whose length is known only at run time."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import hessian, jacobian, verify_grad
from symcore.scan import Scan, scan, until

RNG = np.random.default_rng(7)


def _rnn(x, h0, W):
    hs, _ = scan(
        lambda xt, h, W: T.tanh(T.dot(h, W) + xt), sequences=x, outputs_info=h0, non_sequences=W
    )
    return hs


def test_verify_grad_sit_sot_rnn():
    verify_grad(
        lambda x, h0, W: (_rnn(x, h0, W) ** 2).sum(),
        [RNG.standard_normal((6, 3)), RNG.standard_normal(3), 0.5 * RNG.standard_normal((3, 3))],
        rng=RNG,
    )


def test_verify_grad_mit_sot_with_taps():
    def f(x0, a):
        out, _ = scan(
            lambda x3, x1, a: a * x1 + T.sin(x3),
            outputs_info=dict(initial=x0, taps=[-3, -1]),
            non_sequences=a,
            n_steps=6,
        )
        return out

    verify_grad(f, [RNG.standard_normal((3, 2)), RNG.standard_normal(2)], rng=RNG)


def test_verify_grad_sequence_taps_and_two_sequences():
    def f(x, y):
        out, _ = scan(
            lambda a, b, c, d: a * b - c * d,
            sequences=[dict(input=x, taps=[-1, 1]), dict(input=y, taps=[0, 1])],
        )
        return out

    verify_grad(f, [RNG.standard_normal(7), RNG.standard_normal(6)], rng=RNG)


def test_verify_grad_nit_sot_and_state_mixed():
    def f(x, w):
        (s, p), _ = scan(
            lambda xt, s, w: [s + xt * w, T.exp(s) * xt],
            sequences=x,
            outputs_info=[T.zeros_like(w), None],
            non_sequences=w,
        )
        return s.sum() + p.sum()

    verify_grad(f, [RNG.standard_normal((4, 2)), RNG.standard_normal(2)], rng=RNG)


def test_grad_of_last_step_only():
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    hs, _ = scan(lambda xt, h: h * xt + 1.0, sequences=x, outputs_info=h0)
    gx, gh = symcore.grad(hs[-1], [x, h0])
    f = symcore.function([x, h0], [gx, gh])
    xv = RNG.standard_normal(5)
    # h_n = (...((h0*x0 + 1)*x1 + 1)...): d/dh0 = prod(x)
    _, dh = f(xv, 0.3)
    assert dh == pytest.approx(np.prod(xv))


def test_grad_wrt_shared_weight():
    W = symcore.shared(0.5 * RNG.standard_normal((3, 3)), name="W")
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda xt, h: T.tanh(T.dot(h, W) + xt), sequences=x, outputs_info=h0)
    cost = hs.sum()
    gW = symcore.grad(cost, W)
    f = symcore.function([x, h0], gW)
    xv, hv = RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    Wv = W.get_value()

    def cost_np(Wm):
        h, total = hv, 0.0
        for t in range(4):
            h = np.tanh(h @ Wm + xv[t])
            total += h.sum()
        return total

    eps = 1e-6
    num = np.zeros_like(Wv)
    for i in range(3):
        for j in range(3):
            d = np.zeros_like(Wv)
            d[i, j] = eps
            num[i, j] = (cost_np(Wv + d) - cost_np(Wv - d)) / (2 * eps)
    np.testing.assert_allclose(f(xv, hv), num, rtol=1e-5, atol=1e-7)


def _bptt_numpy(xv, hv, Wv, k):
    """Gradients of sum(h_t) for h_t = tanh(h_{t-1} W + x_t), truncated to the last k steps."""
    n = len(xv)
    hs = [hv]
    for t in range(n):
        hs.append(np.tanh(hs[-1] @ Wv + xv[t]))
    gx = np.zeros_like(xv)
    gW = np.zeros_like(Wv)
    carry = np.zeros_like(hv)
    gh0 = np.zeros_like(hv)
    for t in range(n - 1, max(n - k, 0) - 1, -1):
        gh = np.ones_like(hv) + carry
        pre = gh * (1 - hs[t + 1] ** 2)
        gx[t] = pre
        gW += np.outer(hs[t], pre)
        carry = pre @ Wv.T
        if t == 0:
            gh0 = carry
    return gx, gh0, gW


@pytest.mark.parametrize("k", [1, 2, 4, 10])
def test_truncate_gradient_matches_numpy(k):
    x, W = T.dmatrix("x"), T.dmatrix("W")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda xt, h, W: T.tanh(T.dot(h, W) + xt),
        sequences=x,
        outputs_info=h0,
        non_sequences=W,
        truncate_gradient=k,
    )
    f = symcore.function([x, h0, W], symcore.grad(hs.sum(), [x, h0, W]))
    xv, hv = RNG.standard_normal((5, 3)), RNG.standard_normal(3)
    Wv = 0.5 * RNG.standard_normal((3, 3))
    for got, want in zip(f(xv, hv, Wv), _bptt_numpy(xv, hv, Wv, k), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10)


def test_truncate_gradient_must_be_positive():
    with pytest.raises(ValueError, match="truncate_gradient"):
        scan(lambda v: v, sequences=T.dvector(), truncate_gradient=0)


def test_grad_integer_inputs_are_disconnected():
    x = T.dvector("x")
    n = T.lscalar("n")
    out, _ = scan(
        lambda v, h: h + v, sequences=x, outputs_info=T.constant(np.float64(0)), n_steps=n
    )
    g = symcore.grad(out[-1], x)
    res = symcore.function([x, n], g)(np.arange(5.0), 3)
    np.testing.assert_allclose(res, [1, 1, 1, 0, 0])


def test_grad_through_while_loop():
    x0 = T.dscalar("x0")
    a = T.dscalar("a")
    out, _ = scan(
        lambda x, a: (x * a, until(x * a > 50)), outputs_info=x0, non_sequences=a, n_steps=100
    )
    g = symcore.grad(out[-1], [x0, a])
    f = symcore.function([x0, a], [out, *g])
    res, gx, ga = f(1.0, 3.0)
    n = len(res)  # x0 * a**n
    assert res[-1] == pytest.approx(3.0**n)
    assert gx == pytest.approx(3.0**n)
    assert ga == pytest.approx(n * 3.0 ** (n - 1))


def test_grad_through_random_draws_is_not_implemented():
    from symcore.gradient import NullTypeGradError
    from symcore.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=1)
    x = T.dvector("x")
    out, _ = scan(lambda v: v * srng.uniform(()), sequences=x)
    with pytest.raises(NullTypeGradError, match="per-step values"):
        symcore.grad(out.sum(), x)


def test_rop_through_scan_matches_finite_differences():
    x, v = T.dvector("x"), T.dvector("v")
    w = T.dscalar("w")
    out, _ = scan(
        lambda xt, h, w: h * xt + T.sin(xt * w),
        sequences=x,
        outputs_info=T.constant(np.float64(1.0)),
        non_sequences=w,
    )
    dw = T.dscalar("dw")
    J = symcore.gradient.Rop(out, [x, w], [v, dw])
    f = symcore.function([x, w, v, dw], J)
    assert any(isinstance(n.op, Scan) and "rop_of" in str(n.op) for n in f.maker.fgraph.toposort())

    def fw(xv, wv):
        h, res = 1.0, []
        for xt in xv:
            h = h * xt + np.sin(xt * wv)
            res.append(h)
        return np.array(res)

    xv, vv = RNG.standard_normal(5), RNG.standard_normal(5)
    eps = 1e-6
    num = (fw(xv + eps * vv, 0.7 + eps * 0.3) - fw(xv - eps * vv, 0.7 - eps * 0.3)) / (2 * eps)
    np.testing.assert_allclose(f(xv, 0.7, vv, 0.3), num, rtol=1e-6)


def test_rop_mit_sot_and_nit_sot():
    x0 = T.dvector("x0")
    v0 = T.dvector("v0")
    (a, b), _ = scan(
        lambda m2, m1: [m1 * m2 + 1.0, T.exp(m1)],
        outputs_info=[dict(initial=x0, taps=[-2, -1]), None],
        n_steps=4,
    )
    J = symcore.gradient.Rop([a, b], x0, v0)
    f = symcore.function([x0, v0], J)

    def fw(init):
        hist, bs = list(init), []
        for _ in range(4):
            bs.append(np.exp(hist[-1]))
            hist.append(hist[-1] * hist[-2] + 1.0)
        return np.array(hist[2:]), np.array(bs)

    iv, vv = np.array([0.3, -0.2]), np.array([1.0, 0.5])
    eps = 1e-6
    up, dn = fw(iv + eps * vv), fw(iv - eps * vv)
    ja, jb = f(iv, vv)
    np.testing.assert_allclose(ja, (up[0] - dn[0]) / (2 * eps), rtol=1e-6)
    np.testing.assert_allclose(jb, (up[1] - dn[1]) / (2 * eps), rtol=1e-6)


def test_second_order_through_the_backward_scan():
    x, v = T.dvector("x"), T.dvector("v")
    out, _ = scan(
        lambda xt, h: h * xt + T.sin(xt), sequences=x, outputs_info=T.constant(np.float64(1.0))
    )
    g = symcore.grad((out**2).sum(), x)
    hv = symcore.grad((g * v).sum(), x)
    f = symcore.function([x, v], hv)

    def cost(xv):
        h, total = 1.0, 0.0
        for xt in xv:
            h = h * xt + np.sin(xt)
            total += h**2
        return total

    def num_grad(xv, eps=1e-5):
        return np.array(
            [(cost(xv + eps * e) - cost(xv - eps * e)) / (2 * eps) for e in np.eye(len(xv))]
        )

    xv, vv = RNG.standard_normal(4), RNG.standard_normal(4)
    num = (num_grad(xv + 1e-4 * vv) - num_grad(xv - 1e-4 * vv)) / 2e-4
    np.testing.assert_allclose(f(xv, vv), num, rtol=1e-4, atol=1e-6)


def test_jacobian_of_unknown_length_uses_scan():
    x = T.dvector("x")
    y = T.exp(x) * x.sum()
    J = jacobian(y, x)
    f = symcore.function([x], J)
    xv = RNG.standard_normal(4)
    expected = np.diag(np.exp(xv)) * xv.sum() + np.exp(xv)[:, None]
    np.testing.assert_allclose(f(xv), expected)
    assert f(np.ones(2)).shape == (2, 2)


def test_jacobian_of_a_scan_output():
    x = T.dvector("x")
    out, _ = scan(lambda xt, h: h * xt + 1.0, sequences=x, outputs_info=T.constant(np.float64(0)))
    J = jacobian(out, x)
    f = symcore.function([x], J)
    xv = RNG.standard_normal(4)

    def fw(xx):
        h, res = 0.0, []
        for xt in xx:
            h = h * xt + 1.0
            res.append(h)
        return np.array(res)

    eps = 1e-6
    num = np.stack([(fw(xv + eps * e) - fw(xv - eps * e)) / (2 * eps) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(f(xv), num, rtol=1e-6, atol=1e-8)


def test_hessian_of_unknown_length_uses_scan():
    x = T.dvector("x")
    cost = T.sum(x**3) + x[0] * x[1] * x[2]
    H = hessian(cost, x)
    f = symcore.function([x], H)
    xv = RNG.standard_normal(3)
    expected = np.diag(6 * xv)
    expected[0, 1] = expected[1, 0] = xv[2]
    expected[0, 2] = expected[2, 0] = xv[1]
    expected[1, 2] = expected[2, 1] = xv[0]
    np.testing.assert_allclose(f(xv), expected, rtol=1e-10)


# -- the backward step reads the forward step's stored results ----------------------------


def _scan_nodes(outputs):
    from symcore.graph.basic import ancestors

    nodes = [v.owner for v in ancestors(outputs) if v.owner and isinstance(v.owner.op, Scan)]
    return list(dict.fromkeys(nodes))


def _backward(outputs):
    return [n for n in _scan_nodes(outputs) if "grad_of" in str(n.op)]


def _inner_op_names(node):
    return [type(getattr(n.op, "scalar_op", n.op)).__name__ for n in node.op.fgraph.toposort()]


def test_backward_step_reads_stored_states_instead_of_recomputing():
    x, W = T.dmatrix("x"), T.dmatrix("W")
    h0 = T.dvector("h0")
    hs = _rnn(x, h0, W)
    grads = symcore.grad(hs.sum(), [x, h0, W])
    back = _backward(grads)
    assert len(back) == 1
    names = _inner_op_names(back[0])
    # 1 - h_t**2 uses the stored h_t: no tanh, and only the two gradient products
    assert "Tanh" not in names
    assert names.count("Dot") == 2
    f = symcore.function([x, h0, W], grads)
    compiled = _backward(f.maker.fgraph.outputs)
    assert compiled and all("Tanh" not in _inner_op_names(n) for n in compiled)
    xv, hv = RNG.standard_normal((6, 3)), RNG.standard_normal(3)
    Wv = 0.5 * RNG.standard_normal((3, 3))
    for got, want in zip(f(xv, hv, Wv), _bptt_numpy(xv, hv, Wv, 6), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10)


def test_backward_step_reads_stored_nit_sot_results():
    x, w = T.dmatrix("x"), T.dvector("w")
    (s, p), _ = scan(
        lambda xt, s, w: [T.tanh(s * w + xt), T.exp(xt * s)],
        sequences=x,
        outputs_info=[T.zeros_like(w), None],
        non_sequences=w,
    )
    cost = (s**2).sum() + (p * x).sum()
    grads = symcore.grad(cost, [x, w])
    (back,) = _backward(grads)
    names = _inner_op_names(back)
    assert "Tanh" not in names and "Exp" not in names
    verify_grad(
        lambda x, w: _nit_sot_cost(x, w),
        [RNG.standard_normal((5, 2)), RNG.standard_normal(2)],
        rng=RNG,
    )


def _nit_sot_cost(x, w):
    (s, p), _ = scan(
        lambda xt, s, w: [T.tanh(s * w + xt), T.exp(xt * s)],
        sequences=x,
        outputs_info=[T.zeros_like(w), None],
        non_sequences=w,
    )
    return (s**2).sum() + (p * x).sum()


def test_verify_grad_stored_results_mit_sot_taps_go_backwards():
    def f(x, x0, a):
        out, _ = scan(
            lambda xt, m3, m1, a: T.tanh(a * m1 + m3 * xt),
            sequences=x,
            outputs_info=dict(initial=x0, taps=[-3, -1]),
            non_sequences=a,
            go_backwards=True,
        )
        return (out * T.arange(1, 8)[:, None]).sum()

    verify_grad(
        f,
        [RNG.standard_normal((7, 2)), RNG.standard_normal((3, 2)), RNG.standard_normal(2)],
        rng=RNG,
    )


def test_stored_results_through_while_loop():
    x0, a = T.dscalar("x0"), T.dscalar("a")
    out, _ = scan(
        lambda x, a: (T.exp(a * x), until(x > 2.0)), outputs_info=x0, non_sequences=a, n_steps=50
    )
    g = symcore.grad(out.sum(), [x0, a])
    f = symcore.function([x0, a], [out, *g])

    def fw(x0v, av):
        x, res = x0v, []
        for _ in range(50):
            new = np.exp(av * x)
            res.append(new)
            if x > 2.0:  # the condition reads the step's input
                break
            x = new
        return np.array(res)

    res, gx, ga = f(0.1, 0.9)
    np.testing.assert_allclose(res, fw(0.1, 0.9))
    eps = 1e-6
    assert len(fw(0.1 + eps, 0.9)) == len(fw(0.1 - eps, 0.9)) == len(res)
    assert gx == pytest.approx((fw(0.1 + eps, 0.9).sum() - fw(0.1 - eps, 0.9).sum()) / (2 * eps))
    assert ga == pytest.approx((fw(0.1, 0.9 + eps).sum() - fw(0.1, 0.9 - eps).sum()) / (2 * eps))


def test_second_order_through_stored_results():
    x, v = T.dvector("x"), T.dvector("v")
    out, _ = scan(lambda xt, h: T.tanh(h * xt + xt), sequences=x, outputs_info=T.constant(0.5))
    g = symcore.grad((out**2).sum(), x)
    hv = symcore.grad((g * v).sum(), x)
    f = symcore.function([x, v], hv)

    def cost(xv):
        h, total = 0.5, 0.0
        for xt in xv:
            h = np.tanh(h * xt + xt)
            total += h**2
        return total

    def num_grad(xv, eps=1e-5):
        return np.array(
            [(cost(xv + eps * e) - cost(xv - eps * e)) / (2 * eps) for e in np.eye(len(xv))]
        )

    xv, vv = RNG.standard_normal(5), RNG.standard_normal(5)
    num = (num_grad(xv + 1e-4 * vv) - num_grad(xv - 1e-4 * vv)) / 2e-4
    np.testing.assert_allclose(f(xv, vv), num, rtol=1e-4, atol=1e-6)
