"""When does ``scan_push_out_dot`` pay? An accumulation ``acc + dot(x_t.T, tanh(d_t))`` over
T steps, x_t (k, m), d_t (k, n), timed with the accumulator in the loop and with the sum
moved out as one (m, T*k) x (T*k, n) product, for several inner dimensions ``k``.

Prints, per ``k``, the median time of each variant and their ratio (rewrite / in loop),
checked against NumPy first. The rewrite's threshold ``MAX_STEP_K`` is lifted for the
measurement so that every ``k`` can be timed both ways.

Run: ``OPENBLAS_NUM_THREADS=1 python3 benchmarks/scan_push_out_dot.py [--steps 100]
[--m 100] [--n 100] [--ks 1,2,4,8,16] [--rounds 10]``.
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np
import symcore
import symcore.tensor as T
from symcore.scan import Scan, ScanInfo


def _build(k: int):
    x = T.tensor(dtype="float64", shape=(None, k, None), name="x")
    d = T.tensor(dtype="float64", shape=(None, k, None), name="d")
    a0 = T.dmatrix("a0")
    xi, di, ai = x[0].type(), d[0].type(), a0.type()
    op = Scan([xi, di, ai], [ai + T.dot(xi.T, T.tanh(di))], ScanInfo(n_seqs=2, n_shared=1))
    return [x, d, a0], op(x.shape[0], x, d, a0)


def _median_ms(f, args, calls: int = 10) -> float:
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter()
        f(*args)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts) * 1e3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--ks", default="1,2,4,8,16")
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args()
    pushout = importlib.import_module("symcore.scan.pushout")
    pushout.MAX_STEP_K = 1 << 30
    in_loop = symcore.get_mode("FAST_RUN").excluding("scan_push_out_dot")
    rng = np.random.default_rng(0)
    print(f"{'k':>4}  {'in loop ms':>10}  {'pushed out ms':>13}  ratio")
    for k in (int(v) for v in a.ks.split(",")):
        ins, out = _build(k)
        f_out = symcore.function(ins, out)
        f_in = symcore.function(ins, out, mode=in_loop)
        args = (
            rng.standard_normal((a.steps, k, a.m)),
            rng.standard_normal((a.steps, k, a.n)),
            rng.standard_normal((a.m, a.n)),
        )
        want = args[2] + args[0].reshape(-1, a.m).T @ np.tanh(args[1]).reshape(-1, a.n)
        for f in (f_out, f_in):
            np.testing.assert_allclose(f(*args), want, rtol=1e-9, atol=1e-12)
        assert (
            sum(n.op.info.n_shared for n in f_out.maker.fgraph.toposort() if isinstance(n.op, Scan))
            == 0
        )
        t_in, t_out = [], []
        for _ in range(a.rounds):  # interleaved: both variants see the same load
            t_in.append(_median_ms(f_in, args))
            t_out.append(_median_ms(f_out, args))
        mi, mo = np.median(t_in), np.median(t_out)
        print(f"{k:>4}  {mi:10.3f}  {mo:13.3f}  {mo / mi:5.2f}")


if __name__ == "__main__":
    main()
