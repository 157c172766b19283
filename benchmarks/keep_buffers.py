"""The C backend with and without kept intermediate buffers (``CLinker(allow_gc=...)``),
side by side in one process: the issue-7 logreg step (float64, float32) and MLP step, the
issue-8 RNN forward and forward + gradient (``asv_benchmarks/benchmarks``' workloads).

Each workload is compiled once per setting; the two functions are called in alternating
batches (so drift and noise of a shared machine hit both alike) and the median per call of
each, their ratio and the minor page faults per call are printed. Every stateless result is
checked against the other setting's. Each workload group runs in its own process (glibc's
malloc raises its mmap threshold after a large free, so which calls fault depends on what the
process ran before); BLAS and OpenMP run one thread.

Run: ``python3 benchmarks/keep_buffers.py [--repeat 15] [--only logreg,mlp,rnn]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "asv_benchmarks" / "benchmarks"))

import c_workloads as W  # noqa: E402
import scan_workloads as S  # noqa: E402
from sym_backend_c.linker import CLinker  # noqa: E402
from symcore.compile.mode import Mode  # noqa: E402


def _api(gc: bool):
    return W.symcore_api(Mode(linker=CLinker(allow_gc=gc)))


def workloads(only: set[str]):
    """name -> {allow_gc: zero-argument step}."""
    out = {}
    if "logreg" in only:
        for dt in ("float64", "float32"):
            X, Y, w0, b0 = W.logreg_data(dt)
            out[f"logreg {dt}"] = {
                gc: W.TheanoLogreg(_api(gc), X, Y, w0, b0).step for gc in (True, False)
            }
    if "mlp" in only:
        X, labels, params = W.mlp_data()
        out["mlp"] = {gc: W.TheanoMLP(_api(gc), X, labels, params).step for gc in (True, False)}
    if "rnn" in only:
        args = S.rnn_data()
        for gc in (True, False):
            fwd, train = S.theano_rnn(_api(gc))
            out.setdefault("rnn forward", {})[gc] = lambda f=fwd: f(*args)
            out.setdefault("rnn forward+grad", {})[gc] = lambda f=train: f(*args)
    return out


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(steps: dict, repeat: int, min_time: float = 0.05) -> dict:
    calls = {}
    for gc, fn in steps.items():  # warm up; calls per sample from the first timing
        fn()
        t0 = time.perf_counter()
        fn()
        calls[gc] = max(1, int(min_time / max(time.perf_counter() - t0, 1e-7)))
    n = min(calls.values())
    times = {gc: [] for gc in steps}
    faults = {gc: 0 for gc in steps}
    for _ in range(repeat):
        for gc, fn in steps.items():
            f0 = _faults()
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[gc].append((time.perf_counter() - t0) / n)
            faults[gc] += _faults() - f0
    return {gc: (float(np.median(times[gc])), faults[gc] / (n * repeat)) for gc in steps}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--only", default="logreg,mlp,rnn")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    groups = args.only.split(",")
    if not args.child:
        print(
            f"{'workload':18} {'allow_gc=True':>14} {'allow_gc=False':>15} {'ratio':>6}"
            f" {'faults/call True':>17} {'False':>6}",
            flush=True,
        )
        for g in groups:
            cmd = [sys.executable, __file__, "--child", "--only", g, "--repeat", str(args.repeat)]
            subprocess.run(cmd, check=True)
        return
    for name, steps in workloads(set(groups)).items():
        if "logreg" not in name and "mlp" not in name:  # stateless: compare results
            a, b = steps[True](), steps[False]()
            for x, y in zip(
                np.atleast_1d(a) if not isinstance(a, list) else a,
                np.atleast_1d(b) if not isinstance(b, list) else b,
                strict=True,
            ):
                np.testing.assert_allclose(x, y, rtol=1e-12)
        r = measure(steps, args.repeat)
        (t1, f1), (t0, f0) = r[True], r[False]
        print(
            f"{name:18} {t1 * 1e6:11.1f} us {t0 * 1e6:12.1f} us {t0 / t1:6.2f}"
            f" {f1:17.1f} {f0:6.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
