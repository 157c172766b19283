"""Scan loops on the C backend next to hand-written NumPy loops (one run, medians).

Cases (issue 8): the Elman RNN of ``asv_benchmarks/benchmarks/scan.py`` (T = 100, hidden
100, no batch) forward and forward + gradient (BPTT: a mit_mot scan with two shared
accumulators); A**k with k = 1000 (10-vector) forward (also with ``trust_input``) and its
gradient w.r.t. A; an
``until`` loop of 1000 tiny steps. Each symcore result is checked against NumPy first.
Prints, per case, the median time of symcore and of NumPy, their ratio, and whether the
C backend inlined every Scan of the function (``INLINE_MARKER`` in the generated source,
no Scan among the fallback nodes).

Run: ``python3 benchmarks/scan_loops.py [--repeat 30]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import symcore
import symcore.tensor as T
from symcore.scan import until


def _median_ms(fn, repeat: int) -> float:
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts) * 1e3)


def _inlined(f) -> str:
    try:
        from sym_backend_c.ops.scan_inline import INLINE_MARKER
    except ImportError:
        return "?"
    rep = f.maker.fgraph.linker_report
    n_scan = sum(type(n.op).__name__ == "Scan" for n in f.maker.fgraph.toposort())
    fell = sum(type(n.op).__name__ == "Scan" for n in rep.fallback_nodes)
    n_inl = rep.source.count(INLINE_MARKER) if rep.source else 0
    return f"{n_inl}/{n_scan} inlined, {fell} per-step"


# --- NumPy hand-written loops ---------------------------------------------------------------
def np_rnn(x, h0, W, U):
    hs = np.empty((len(x), len(h0)))
    h = h0
    for t in range(len(x)):
        h = np.tanh(x[t] @ W + h @ U)
        hs[t] = h
    return hs


def np_rnn_grad(x, h0, W, U):
    hs = np_rnn(x, h0, W, U)
    gW, gU = np.zeros_like(W), np.zeros_like(U)
    carry = np.zeros_like(h0)
    for t in range(len(x) - 1, -1, -1):
        pre = (1.0 + carry) * (1 - hs[t] ** 2)
        prev = hs[t - 1] if t else h0
        gW += np.outer(x[t], pre)
        gU += np.outer(prev, pre)
        carry = pre @ U.T
    return gW, gU


def np_power(a, k):
    r = np.ones_like(a)
    for _ in range(k):
        r = r * a
    return r


def np_power_grad(a, k):
    # d/dA sum(A**k) computed as the reverse loop of r_t = r_{t-1} * A
    rs = [np.ones_like(a)]
    for _ in range(k):
        rs.append(rs[-1] * a)
    g_r = np.ones_like(a)
    g_a = np.zeros_like(a)
    for t in range(k, 0, -1):
        g_a += g_r * rs[t - 1]
        g_r = g_r * a
    return g_a


def np_until(x0, limit):
    x = np.float64(x0)
    out = []
    while True:
        x = x * 1.001 + 1.0
        out.append(x)
        if x > limit:
            break
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    rows = []

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 100)) * 0.1
    H0 = np.zeros(100)
    Wv = rng.standard_normal((100, 100)) * 0.1
    Uv = rng.standard_normal((100, 100)) * 0.1
    x, W, U = T.dmatrix("x"), T.dmatrix("W"), T.dmatrix("U")
    h0 = T.dvector("h0")
    hs, _ = symcore.scan(
        lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    fwd = symcore.function([x, h0, W, U], hs)
    bwd = symcore.function([x, h0, W, U], symcore.grad(hs.sum(), [W, U]))
    a4 = (X, H0, Wv, Uv)
    np.testing.assert_allclose(fwd(*a4), np_rnn(*a4), rtol=1e-10)
    for got, want in zip(bwd(*a4), np_rnn_grad(*a4), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)
    rows.append(("RNN forward T=100 h=100", fwd, lambda: fwd(*a4), lambda: np_rnn(*a4)))
    rows.append(("RNN forward+grad", bwd, lambda: bwd(*a4), lambda: np_rnn_grad(*a4)))

    A = T.dvector("A")
    k = T.iscalar("k")
    res, _ = symcore.scan(
        lambda p, A: p * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k
    )
    pw = symcore.function([A, k], res[-1])
    pg = symcore.function([A, k], symcore.grad(res[-1].sum(), A))
    av = np.linspace(0.99, 1.01, 10)
    np.testing.assert_allclose(pw(av, 1000), np_power(av, 1000), rtol=1e-10)
    np.testing.assert_allclose(pg(av, 1000), np_power_grad(av, 1000), rtol=1e-8)
    rows.append(("A**k k=1000 forward", pw, lambda: pw(av, 1000), lambda: np_power(av, 1000)))
    # the same with trust_input and k as an int32 array: no argument conversion (a Python
    # int costs ~8 us to convert), what compare_peers.py times
    pwt = symcore.function([A, k], res[-1])
    pwt.trust_input = True
    k32 = np.asarray(1000, dtype="int32")
    rows.append(
        ("A**k forward, trust_input", pwt, lambda: pwt(av, k32), lambda: np_power(av, 1000))
    )
    rows.append(("A**k k=1000 grad", pg, lambda: pg(av, 1000), lambda: np_power_grad(av, 1000)))

    x0 = T.dscalar("x0")
    lim = T.dscalar("lim")
    out, _ = symcore.scan(
        lambda v, lim: (v * 1.001 + 1.0, until(v * 1.001 + 1.0 > lim)),
        outputs_info=x0,
        non_sequences=lim,
        n_steps=100000,
    )
    uf = symcore.function([x0, lim], out)
    limit = float(np_until(0.0, 1e12)[999 - 1])  # stops after exactly 1000 steps
    ref = np_until(0.0, limit)
    assert len(ref) == 1000, len(ref)
    np.testing.assert_allclose(uf(0.0, limit), ref, rtol=1e-12)
    rows.append(
        ("until loop, 1000 steps", uf, lambda: uf(0.0, limit), lambda: np_until(0.0, limit))
    )

    print(f"{'case':28s} {'symcore ms':>11s} {'numpy ms':>9s} {'ratio':>6s}  scans")
    for name, f, run_s, run_n in rows:
        ts, tn = _median_ms(run_s, args.repeat), _median_ms(run_n, args.repeat)
        print(f"{name:28s} {ts:11.3f} {tn:9.3f} {ts / tn:6.2f}  {_inlined(f)}")


if __name__ == "__main__":
    main()
