"""The C backend's ``Ger`` (A + alpha*outer(x, y)) against NumPy, in one run.

Times the compiled ``Ger{inplace}`` and ``Ger{no_inplace}`` nodes alone (a C runner of a
one-node graph, no Python function layer) next to ``A += a*np.outer(x, y)`` and
``A + a*np.outer(x, y)``, and SciPy's ``dger`` for reference. Medians of ``--repeat``
samples; run with the environment's thread settings (``OPENBLAS_NUM_THREADS`` decides
whether SciPy's ``dger`` may start threads).

Usage: ``python benchmarks/ger_rank1.py [--sizes 100,1000] [--repeat 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def median_us(fn, repeat: int, min_time: float = 0.02) -> float:
    fn()
    t0 = time.perf_counter()
    fn()
    number = max(1, int(min_time / max(time.perf_counter() - t0, 1e-7)))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import symcore.tensor as T
    from scipy.linalg import blas
    from sym_backend_c.linker import CLinker
    from symcore.graph.fg import FunctionGraph
    from symcore.tensor.rewriting.blas_ops import Ger

    runs = {}
    for inplace in (True, False):
        A, x, y, a = T.dmatrix("A"), T.dvector("x"), T.dvector("y"), T.dscalar("a")
        fg = FunctionGraph([A, a, x, y], [Ger(inplace)(A, a, x, y)])
        runs[inplace] = CLinker().make_thunk(fg)
    print(
        f"{'n x n':>10} {'Ger{inplace}':>13} {'A += a*outer':>13} {'dger':>9}"
        f" {'Ger{no_inplace}':>16} {'A + a*outer':>12}   (µs, medians)"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        t = _row(n, runs, blas, args.repeat)
        print(
            f"{n:>10} {t['c_in']:>13.1f} {t['np_in']:>13.1f} {t['dger']:>9.1f}"
            f" {t['c_out']:>16.1f} {t['np_out']:>12.1f}"
        )


def _row(n: int, runs, blas, repeat: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    A0, x, y = rng.standard_normal((n, n)), rng.standard_normal(n), rng.standard_normal(n)
    a = np.asarray(1e-9)  # keeps A bounded over many in-place calls
    Ac, Af = A0.copy(), np.asfortranarray(A0)
    return {
        "c_in": median_us(lambda: runs[True]([Ac, a, x, y]), repeat),
        "np_in": median_us(lambda: Ac.__iadd__(a * np.outer(x, y)), repeat),
        "dger": median_us(lambda: blas.dger(a, x, y, a=Af, overwrite_a=1), repeat),
        "c_out": median_us(lambda: runs[False]([A0, a, x, y]), repeat),
        "np_out": median_us(lambda: A0 + a * np.outer(x, y), repeat),
    }


if __name__ == "__main__":
    main()
