"""How rewrite time grows with the depth of a model (a script, not a test).

Builds the training graph (cost, gradients, SGD updates) of an MLP with ``depth`` hidden
layers, then times only the FAST_RUN rewrite phase on it (``mode.optimizer.rewrite``), for
depths 5..100. Prints nodes before/after, seconds, seconds per input node, and the growth
exponent between consecutive depths (1.0 = linear). Usage::

    python benchmarks/rewrite_scaling.py [depth ...]
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import sys
import time
from pathlib import Path

from symcore.compile.mode import get_mode
from symcore.graph.fg import FunctionGraph


def _load_graph_builders():
    """The graph builders of the asv suite (one definition for both benchmarks)."""
    path = (
        Path(__file__).resolve().parent.parent / "asv_benchmarks" / "benchmarks" / "rewrite_time.py"
    )
    spec = importlib.util.spec_from_file_location("symcore_asv_rewrite_time", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.mlp_training_graph, module.logistic_regression_graph


mlp_training_graph, logistic_regression_graph = _load_graph_builders()


def rewrite_seconds(inputs, outputs, mode="FAST_RUN", repeat: int = 5) -> tuple[float, int, int]:
    """Median seconds of the rewrite phase alone; nodes before and after."""
    optimizer = get_mode(mode).optimizer
    times, before, after = [], 0, 0
    for _ in range(repeat):
        fg = FunctionGraph(inputs, outputs, clone=True)
        before = len(fg.apply_nodes)
        t0 = time.perf_counter()
        optimizer.rewrite(fg)
        times.append(time.perf_counter() - t0)
        after = len(fg.apply_nodes)
    return statistics.median(times), before, after


def main(depths: list[int]) -> None:
    header = ("depth", "nodes in", "nodes out", "seconds", "us/node", "exponent")
    widths = (5, 8, 9, 9, 8, 8)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    prev = None
    points = []
    for depth in depths:
        ins, outs = mlp_training_graph(depth)
        secs, before, after = rewrite_seconds(ins, outs)
        exp = ""
        if prev is not None:
            exp = f"{math.log(secs / prev[1]) / math.log(depth / prev[0]):8.2f}"
        print(f"{depth:5d} {before:8d} {after:9d} {secs:9.4f} {1e6 * secs / before:8.1f} {exp:>8}")
        prev = (depth, secs)
        points.append((math.log(depth), math.log(secs)))
    if len(points) > 1:
        mx = sum(p[0] for p in points) / len(points)
        my = sum(p[1] for p in points) / len(points)
        slope = sum((a - mx) * (b - my) for a, b in points) / sum((a - mx) ** 2 for a, _ in points)
        first, last = depths[0], depths[-1]
        print(
            f"growth exponent over depths {first}..{last} (least squares on log-log): {slope:.2f} "
            "(1.0 = linear)"
        )
    ins, outs = logistic_regression_graph()
    secs, before, after = rewrite_seconds(ins, outs)
    print(f"logistic regression: {before} -> {after} nodes, rewrite {secs:.4f}s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5, 10, 25, 50, 75, 100])
