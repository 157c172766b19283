"""Random elementwise/reduction/dot graphs: FAST_RUN (every rewrite) gives what the graph
gives without any rewrite, for float and integer dtypes and mixed broadcast patterns."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T

FLOAT_BINARY = [T.add, T.sub, T.mul, T.true_div, T.maximum]
FLOAT_UNARY = [
    T.neg,
    T.exp,
    T.tanh,
    T.sqr,
    lambda v: v**2,
    lambda v: v**0.5,
    lambda v: v * 1,
    lambda v: v + 0,
    lambda v: v / v,
    lambda v: v - v,
    lambda v: 2 * v,
    lambda v: v / 4,
]
INT_BINARY = [T.add, T.sub, T.mul]
INT_UNARY = [T.neg, lambda v: v * 3, lambda v: v - v, lambda v: v + 7, lambda v: v * 1]


def _random_graph(rng, leaves, binary, unary, n_ops):
    pool = list(leaves)
    for _ in range(n_ops):
        if rng.random() < 0.55:
            a, b = (pool[int(i)] for i in rng.integers(0, len(pool), 2))
            pool.append(binary[int(rng.integers(len(binary)))](a, b))
        else:
            a = pool[int(rng.integers(len(pool)))]
            f = unary[int(rng.integers(len(unary)))]
            if f is FLOAT_UNARY[6] and a.dtype.startswith("int"):
                continue
            pool.append(f(a))
    # a few outputs, some of them intermediate values (several clients)
    picks = {len(pool) - 1, int(rng.integers(len(leaves), len(pool)))}
    return [pool[i] for i in sorted(picks)]


@pytest.mark.parametrize("seed", range(12))
def test_random_float_graphs(rw, seed):
    rng = np.random.default_rng(seed)
    m = T.dmatrix("m")
    r = T.drow("r")
    c = T.dcol("c")
    v = T.dvector("v")
    outs = _random_graph(rng, [m, r, c, v], FLOAT_BINARY, FLOAT_UNARY, 12)
    outs.append(outs[-1].sum(axis=0).sum())
    f = rw.function([m, r, c, v], outs, on_unused_input="ignore")
    ref = rw.reference([m, r, c, v], outs, on_unused_input="ignore")
    vals = [rng.uniform(0.5, 1.5, size=s) for s in [(3, 4), (1, 4), (3, 1), (4,)]]
    with np.errstate(all="ignore"):
        got, exp = f(*vals), ref(*vals)
    for g, e in zip(got, exp, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("dtype", ["int8", "int64", "uint16"])
def test_random_integer_graphs(rw, seed, dtype):
    rng = np.random.default_rng(100 + seed)
    a = T.tensor(dtype, (False, False), name="a")
    b = T.tensor(dtype, (True, False), name="b")
    outs = _random_graph(rng, [a, b], INT_BINARY, INT_UNARY, 10)
    f = rw.function([a, b], outs, on_unused_input="ignore")
    ref = rw.reference([a, b], outs, on_unused_input="ignore")
    info = np.iinfo(dtype)
    vals = [
        rng.integers(info.min, info.max, size=s, endpoint=True).astype(dtype)
        for s in [(2, 3), (1, 3)]
    ]
    with np.errstate(all="ignore"):
        got, exp = f(*vals), ref(*vals)
    for g, e in zip(got, exp, strict=True):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_with_dots_and_updates(rw, seed):
    rng = np.random.default_rng(200 + seed)
    X = T.dmatrix("X")
    W = symcore.shared(rng.normal(size=(3, 3)), name="W")
    u = symcore.shared(rng.normal(size=3), name="u")
    W0, u0 = W.get_value().copy(), u.get_value().copy()
    h = _random_graph(
        rng, [T.dot(X, W), X], FLOAT_BINARY[:3], FLOAT_UNARY[:4] + FLOAT_UNARY[10:], 5
    )[-1]
    g = T.dot(h, u) * float(rng.uniform(0.5, 2.0))
    lr = float(rng.uniform(0.01, 0.1))
    upd = [(W, W - lr * T.outer(u, u) + lr * T.dot(X.T, X)), (u, u * 0.9 - lr * T.dot(W, u))]
    f = symcore.function([X], [g, h.sum()], updates=upd)
    Xv = rng.uniform(-0.5, 0.5, size=(3, 3))
    Xc = Xv.copy()
    got = f(Xv)
    new_W, new_u = W.get_value().copy(), u.get_value().copy()
    np.testing.assert_array_equal(Xv, Xc)  # the input was not overwritten
    W.set_value(W0)
    u.set_value(u0)
    ref = rw.reference([X], [g, h.sum()] + [e for _, e in upd])
    exp = ref(Xv)
    for gv, ev in zip(list(got) + [new_W, new_u], exp, strict=True):
        np.testing.assert_allclose(gv, ev, rtol=1e-9, atol=1e-12)
