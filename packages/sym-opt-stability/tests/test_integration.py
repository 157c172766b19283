"""All the rewrites together: DebugMode finds no rewrite that changes a value, and a
multi-layer network built from naive formulas computes the same cost and gradients with
and without the stability rewrites at ordinary inputs, and finite ones where the naive
graph overflows."""

from __future__ import annotations

import numpy as np
import symcore
import symcore.tensor as T


def _everything(x, y, t):
    p = 1 / (1 + T.exp(-x[:, 0]))
    xent = -t * T.log(p) - (1 - t) * T.log(1 - p)
    sm = T.exp(x) / T.exp(x).sum(axis=1, keepdims=True)
    nll = -T.log(sm)[T.arange(y.shape[0]), y]
    nll2 = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y)
    lse = T.log(T.exp(x).sum(axis=1))
    misc = (
        T.log(T.erfc(x[:, 1]))
        + T.log(1 + x[:, 2] ** 2)
        + T.sqrt(x[:, 1] ** 2)
        + (1 - T.erf(x[:, 0]))
        + (T.exp(x[:, 2]) - 1)
    )
    return xent.sum() + nll.sum() + nll2.sum() + lse.sum() + misc.sum()


def test_debugmode_accepts_every_rewrite():
    x, y, t = T.dmatrix("x"), T.lvector("y"), T.dvector("t")
    cost = _everything(x, y, t)
    f = symcore.function([x, y, t], [cost, T.grad(cost, x)], mode="DebugMode")
    xv = np.random.RandomState(0).randn(4, 3)
    yv, tv = np.array([0, 1, 2, 1]), np.array([0.0, 1.0, 1.0, 0.0])
    got_cost, got_grad = f(xv, yv, tv)
    ref = symcore.function([x, y, t], [cost, T.grad(cost, x)], mode=symcore.Mode("py", None))
    ref_cost, ref_grad = ref(xv, yv, tv)
    np.testing.assert_allclose(got_cost, ref_cost, rtol=1e-12)
    np.testing.assert_allclose(got_grad, ref_grad, rtol=1e-10, atol=1e-12)


def _network(depth):
    rng = np.random.RandomState(1)
    x, y = T.dmatrix("x"), T.lvector("y")
    h, params = x, []
    for i in range(depth):
        w = symcore.shared(rng.randn(6, 6), name=f"w{i}")
        b = symcore.shared(np.zeros(6), name=f"b{i}")
        params += [w, b]
        h = 1 / (1 + T.exp(-(T.dot(h, w) + b)))
    scale = symcore.shared(1.0, name="scale")
    logits = scale * T.dot(h, params[0])
    sm = T.exp(logits) / T.exp(logits).sum(axis=1, keepdims=True)
    cost = -T.mean(T.log(sm)[T.arange(y.shape[0]), y])
    return [x, y], [cost, *T.grad(cost, params)], scale


def test_network_of_naive_formulas(compile_fn, run):
    inputs, outputs, scale = _network(4)
    stable = compile_fn(inputs, outputs)
    naive = compile_fn(inputs, outputs, stabilize=False)
    rng = np.random.RandomState(2)
    xv, yv = rng.randn(8, 6), rng.randint(0, 6, 8)
    for got, expected in zip(stable(xv, yv), naive(xv, yv), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    scale.set_value(1e4)  # logits in the thousands: exp overflows in the naive graph
    stable_out, naive_out = run(stable, xv, yv), run(naive, xv, yv)
    assert all(np.all(np.isfinite(v)) for v in stable_out)
    assert not all(np.all(np.isfinite(v)) for v in naive_out)
