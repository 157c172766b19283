"""Time of the FAST_RUN rewrite phase on training graphs (compile time, not run time).

``LogisticRegressionRewrite``: the tutorial's training step (prediction, cross-entropy,
updated w and b). ``MLPRewrite``: the SGD step of an MLP with 10, 25 and 50 tanh layers —
rewrite time should grow about linearly with depth (``benchmarks/rewrite_scaling.py``
prints the growth). Each timing builds a fresh FunctionGraph (``time_build_fgraph`` times
that part alone) and rewrites it.
"""

from __future__ import annotations

import numpy as np
import symcore
import symcore.tensor as T
from symcore.compile.mode import get_mode
from symcore.graph.fg import FunctionGraph


def mlp_training_graph(depth: int, width: int = 16, seed: int = 0):
    """Inputs and outputs (cost, updated parameters) of an SGD step of a ``depth``-layer MLP."""
    rng = np.random.default_rng(seed)
    x = T.dmatrix("x")
    y = T.dvector("y")
    params = []
    h = x
    for i in range(depth):
        w = symcore.shared(rng.standard_normal((width, width)) * 0.1, name=f"W{i}")
        b = symcore.shared(np.zeros(width), name=f"b{i}")
        params += [w, b]
        h = T.tanh(T.dot(h, w) + b)
    v = symcore.shared(rng.standard_normal(width) * 0.1, name="v")
    params.append(v)
    p = 1 / (1 + T.exp(-T.dot(h, v)))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean()
    grads = T.grad(cost, params)
    return [x, y], [cost] + [prm - 0.1 * g for prm, g in zip(params, grads, strict=True)]


def logistic_regression_graph(feats: int = 784):
    """The tutorial's training step: prediction, cross-entropy and the updated w, b."""
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = symcore.shared(np.zeros(feats), name="w")
    b = symcore.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    return [x, y], [prediction, xent, w - 0.1 * gw, b - 0.1 * gb]


class LogisticRegressionRewrite:
    """FAST_RUN rewrites of the logistic-regression training graph."""

    def setup(self) -> None:
        self.inputs, self.outputs = logistic_regression_graph()
        self.optimizer = get_mode("FAST_RUN").optimizer

    def time_build_fgraph(self) -> None:
        FunctionGraph(self.inputs, self.outputs, clone=True)

    def time_rewrite(self) -> None:
        self.optimizer.rewrite(FunctionGraph(self.inputs, self.outputs, clone=True))


class MLPRewrite:
    """FAST_RUN rewrites of the SGD-step graph of an MLP of the given depth."""

    params = [10, 25, 50]
    param_names = ["depth"]
    timeout = 300

    def setup(self, depth: int) -> None:
        self.inputs, self.outputs = mlp_training_graph(depth)
        self.optimizer = get_mode("FAST_RUN").optimizer

    def time_build_fgraph(self, depth: int) -> None:
        FunctionGraph(self.inputs, self.outputs, clone=True)

    def time_rewrite(self, depth: int) -> None:
        self.optimizer.rewrite(FunctionGraph(self.inputs, self.outputs, clone=True))

    def track_nodes_after_rewrite(self, depth: int) -> int:
        fg = FunctionGraph(self.inputs, self.outputs, clone=True)
        self.optimizer.rewrite(fg)
        return len(fg.apply_nodes)
