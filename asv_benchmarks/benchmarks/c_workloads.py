"""The C backend's benchmark workloads, defined once for the asv suite (``bench_c_backend``)
and the peer comparison (``benchmarks/compare_peers.py``).

* data: ``logreg_data``, ``mlp_data``, ``elemwise_data``;
* NumPy reference code (the oracle, and the "NumPy hand-written" peer): ``NumpyLogreg``,
  ``NumpyMLP``, ``ELEMWISE`` (expression name -> function of a math module and a, b, c);
* graphs written once against Theano's API (``T``, ``shared``, ``function``, ``grad``,
  ``softmax``), built for symcore or PyTensor through an ``Api``: ``theano_logreg``,
  ``theano_mlp``, ``theano_elemwise``.

No asv benchmark is defined here (asv collects only ``time_*``/``Class.time_*`` names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: logistic regression (the seed's tutorial): N examples of FEATS features
LOGREG_N, LOGREG_FEATS, LOGREG_LR = 400, 784, 0.1
#: MLP 784-500-10, one SGD step on a batch of 60
MLP_SIZES, MLP_BATCH, MLP_LR = (784, 500, 10), 60, 0.01
#: elementwise expressions and sizes
ELEMWISE_SIZES = (1_000, 100_000, 10_000_000)


def _a_plus_a10(m, a, b, c):
    return a + a**10


def _mixed(m, a, b, c):
    return 2 * a + 3 * b * c - m.exp(a) * m.sin(b)


#: name -> (function of (math module: numpy, jax.numpy, a Theano tensor module; a, b, c),
#: numexpr string, number of inputs used)
ELEMWISE: dict[str, tuple[Callable, str, int]] = {
    "a + a**10": (_a_plus_a10, "a + a**10", 1),
    "2a + 3bc - exp(a)sin(b)": (_mixed, "2*a + 3*b*c - exp(a)*sin(b)", 3),
}


# -- data ------------------------------------------------------------------------------
def logreg_data(dtype: str = "float64", seed: int = 0):
    """(X, Y, w0, b0): the seed's data (random features, 0/1 labels), small random w0."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((LOGREG_N, LOGREG_FEATS)).astype(dtype)
    Y = rng.integers(0, 2, LOGREG_N).astype(dtype)
    w0 = (rng.standard_normal(LOGREG_FEATS) * 0.01).astype(dtype)
    return X, Y, w0, np.asarray(0.0, dtype=dtype)


def mlp_data(dtype: str = "float64", seed: int = 0):
    """(X, labels, [W1, b1, W2, b2]) for the 784-500-10 MLP."""
    rng = np.random.default_rng(seed)
    n_in, n_hid, n_out = MLP_SIZES
    X = rng.standard_normal((MLP_BATCH, n_in)).astype(dtype)
    labels = rng.integers(0, n_out, MLP_BATCH).astype("int64")
    params = [
        (rng.standard_normal((n_in, n_hid)) * np.sqrt(1.0 / n_in)).astype(dtype),
        np.zeros(n_hid, dtype=dtype),
        (rng.standard_normal((n_hid, n_out)) * np.sqrt(1.0 / n_hid)).astype(dtype),
        np.zeros(n_out, dtype=dtype),
    ]
    return X, labels, params


def elemwise_data(n: int, dtype: str = "float64", seed: int = 0):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-1.0, 1.0, n).astype(dtype) for _ in range(3))


# -- NumPy reference -------------------------------------------------------------------
class NumpyLogreg:
    """The training step written by hand with NumPy (updates in place)."""

    def __init__(self, X, Y, w0, b0, lr: float = LOGREG_LR) -> None:
        self.X, self.Y, self.lr = X, Y, lr
        self.w, self.b = w0.copy(), np.asarray(b0).copy()

    def step(self):
        X, Y, w = self.X, self.Y, self.w
        p = 1 / (1 + np.exp(-(X @ w) - self.b))
        prediction = p > 0.5
        xent = -Y * np.log(p) - (1 - Y) * np.log(1 - p)
        g = (p - Y) / Y.shape[0]  # d mean(xent) / d (X @ w + b)
        gw = X.T @ g + np.asarray(0.02, w.dtype) * w
        self.w -= np.asarray(self.lr, w.dtype) * gw
        self.b -= np.asarray(self.lr, w.dtype) * g.sum()
        return prediction, xent

    def params(self):
        return [self.w, self.b]


class NumpyMLP:
    """The MLP's SGD step written by hand with NumPy (updates in place)."""

    def __init__(self, X, labels, params, lr: float = MLP_LR) -> None:
        self.X, self.labels, self.lr = X, labels, lr
        self.W1, self.b1, self.W2, self.b2 = (p.copy() for p in params)

    def step(self):
        X, n = self.X, self.X.shape[0]
        rows = np.arange(n)
        h = np.tanh(X @ self.W1 + self.b1)
        z = h @ self.W2 + self.b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        cost = -np.mean(np.log(p[rows, self.labels]))
        dz = p
        dz[rows, self.labels] -= 1
        dz /= n
        lr = np.asarray(self.lr, X.dtype)
        dh = (dz @ self.W2.T) * (1 - h * h)
        self.W2 -= lr * (h.T @ dz)
        self.b2 -= lr * dz.sum(axis=0)
        self.W1 -= lr * (X.T @ dh)
        self.b1 -= lr * dh.sum(axis=0)
        return np.asarray(cost, dtype=X.dtype)

    def params(self):
        return [self.W1, self.b1, self.W2, self.b2]


# -- graphs through Theano's API -------------------------------------------------------
class Api:
    """What the graph builders need from a Theano-like library: its tensor module ``T``,
    ``shared``, ``function``, ``grad``, ``softmax`` and the compile ``mode`` (None: default)."""

    def __init__(self, T, shared, function, grad, softmax, mode=None) -> None:
        self.T, self.shared, self.function, self.grad = T, shared, function, grad
        self.softmax, self.mode = softmax, mode


def symcore_api(mode: Any = None) -> Api:
    import symcore
    import symcore.tensor as T

    return Api(T, symcore.shared, symcore.function, symcore.grad, T.nnet.softmax, mode)


def pytensor_api(mode: Any = None) -> Api:
    import pytensor
    import pytensor.tensor as pt

    def softmax(z):
        return pt.special.softmax(z, axis=-1)

    return Api(pt, pytensor.shared, pytensor.function, pytensor.grad, softmax, mode)


class TheanoLogreg:
    """The seed's ``train`` function: outputs (prediction, xent), updates w and b."""

    def __init__(self, api: Api, X, Y, w0, b0, lr: float = LOGREG_LR) -> None:
        T = api.T
        dtype = X.dtype.name
        x = T.matrix("x", dtype=dtype)
        y = T.vector("y", dtype=dtype)
        self.w = api.shared(w0.copy(), name="w")
        self.b = api.shared(np.asarray(b0).copy(), name="b")
        w, b = self.w, self.b
        p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
        prediction = p_1 > 0.5
        xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
        cost = xent.mean() + 0.01 * (w**2).sum()
        gw, gb = api.grad(cost, [w, b])
        kwargs = {} if api.mode is None else {"mode": api.mode}
        lr = np.asarray(lr, dtype=dtype)  # not a Python float: float32 stays float32 everywhere
        self.train = api.function(
            [x, y], [prediction, xent], updates=[(w, w - lr * gw), (b, b - lr * gb)], **kwargs
        )
        self.X, self.Y = X, Y

    def step(self):
        return self.train(self.X, self.Y)

    def params(self):
        return [self.w.get_value(), self.b.get_value()]


class TheanoMLP:
    """One SGD step of the 784-500-10 tanh/softmax MLP; returns the mean cross-entropy."""

    def __init__(self, api: Api, X, labels, params, lr: float = MLP_LR) -> None:
        T = api.T
        x = T.matrix("x", dtype=X.dtype.name)
        y = T.vector("y", dtype="int64")
        self.shared = [
            api.shared(p.copy(), name=n) for p, n in zip(params, "W1 b1 W2 b2".split(), strict=True)
        ]
        W1, b1, W2, b2 = self.shared
        h = T.tanh(T.dot(x, W1) + b1)
        p = api.softmax(T.dot(h, W2) + b2)
        cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
        grads = api.grad(cost, self.shared)
        lr = np.asarray(lr, dtype=X.dtype)
        updates = [(v, v - lr * g) for v, g in zip(self.shared, grads, strict=True)]
        kwargs = {} if api.mode is None else {"mode": api.mode}
        self.train = api.function([x, y], cost, updates=updates, **kwargs)
        self.X, self.labels = X, labels

    def step(self):
        return self.train(self.X, self.labels)

    def params(self):
        return [v.get_value() for v in self.shared]


def theano_elemwise(api: Api, name: str, dtype: str = "float64"):
    """The compiled function of ELEMWISE[name], taking the inputs it uses."""
    T = api.T
    a, b, c = (T.vector(n, dtype=dtype) for n in "abc")
    fn, _, n_inputs = ELEMWISE[name]
    out = fn(T, a, b, c)
    kwargs = {} if api.mode is None else {"mode": api.mode}
    return api.function([a, b, c][:n_inputs], out, **kwargs)
