"""The scan benchmark workloads (issue 8), defined once for the asv suite (``scan.py``) and
the peer comparison (``benchmarks/compare_peers.py --only scan``).

* A**k by a loop of k = 1000 multiplications (the Theano tutorial's ``power``):
  ``power_data``, ``numpy_power_loop`` (a Python loop), ``numpy_power`` (``A**k``, no loop:
  the floor), ``theano_power`` (symcore or PyTensor, through ``c_workloads.Api``),
  ``jax_power`` (``lax.scan`` under ``jit``).
* An Elman RNN, T = 100 steps, batch 16, input 100, hidden 100:
  ``h_t = tanh(x_t W + h_{t-1} U + b)``, ``cost = mean(h_1 .. h_T)``; the forward pass
  alone, and the cost with its gradient w.r.t. W, U, b (one function):
  ``rnn_data``, ``numpy_rnn_cost`` / ``numpy_rnn_cost_and_grads`` (hand-written forward and
  back-propagation through time, the input projection ``x W`` of all steps done as one
  matrix product outside the loop), ``theano_rnn``, ``jax_rnn``.

No asv benchmark is defined here (asv collects only ``time_*``/``Class.time_*`` names).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

#: A**k: number of steps, vector sizes
POWER_K = 1000
POWER_SIZES = (10, 10_000)
#: RNN: steps, batch, input size, hidden size
RNN_T, RNN_BATCH, RNN_INPUT, RNN_HIDDEN = 100, 16, 100, 100


def _scan_of(api) -> Any:
    """``scan`` of the library an ``Api`` (from ``c_workloads``) builds with."""
    return importlib.import_module(api.T.__name__.split(".")[0]).scan


def _kw(api) -> dict:
    return {} if api.mode is None else {"mode": api.mode}


# -- A**k ----------------------------------------------------------------------------------
def power_data(n: int) -> np.ndarray:
    """n values in [0.99, 1.01]: A**1000 stays within [4e-5, 2.1e4]."""
    return np.linspace(0.99, 1.01, n)


def numpy_power_loop(a: np.ndarray, k: int = POWER_K) -> np.ndarray:
    r = np.ones_like(a)
    for _ in range(k):
        r = r * a
    return r


def numpy_power(a: np.ndarray, k: int = POWER_K) -> np.ndarray:
    return a**k


def theano_power(api):
    """The tutorial's ``power``: ``f(A, k)`` returns A**k computed by a scan of k steps
    (only the last step is read, so the loop need not keep the others)."""
    T = api.T
    k = T.iscalar("k")
    A = T.vector("A", dtype="float64")
    result, updates = _scan_of(api)(
        lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k
    )
    return api.function([A, k], result[-1], updates=updates, **_kw(api))


def jax_power(jax, k: int = POWER_K):
    """A jitted ``f(a)`` = a**k by ``lax.scan`` of k steps."""
    import jax.numpy as jnp

    def power(a):
        return jax.lax.scan(lambda r, _: (r * a, None), jnp.ones_like(a), None, length=k)[0]

    return jax.jit(power)


# -- RNN -----------------------------------------------------------------------------------
def rnn_data(seed: int = 0):
    """(x, h0, W, U, b): x of shape (T, batch, input), h0 zeros (batch, hidden)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((RNN_T, RNN_BATCH, RNN_INPUT))
    h0 = np.zeros((RNN_BATCH, RNN_HIDDEN))
    W = rng.standard_normal((RNN_INPUT, RNN_HIDDEN)) / np.sqrt(RNN_INPUT)
    U = rng.standard_normal((RNN_HIDDEN, RNN_HIDDEN)) * (0.9 / np.sqrt(RNN_HIDDEN))
    b = rng.standard_normal(RNN_HIDDEN) * 0.1
    return x, h0, W, U, b


def numpy_rnn_cost(x, h0, W, U, b) -> float:
    """The forward pass by hand: ``mean`` of every state, the states not kept."""
    n_t, batch, n_in = x.shape
    xw = (x.reshape(n_t * batch, n_in) @ W).reshape(n_t, batch, -1)
    xw += b
    h, total = h0, 0.0
    for t in range(n_t):
        h = np.tanh(xw[t] + h @ U)
        total += h.sum()
    return total / (n_t * h0.size)


def numpy_rnn_cost_and_grads(x, h0, W, U, b):
    """[cost, dcost/dW, dcost/dU, dcost/db] by a hand-written forward and BPTT."""
    n_t, batch, n_in = x.shape
    hidden = W.shape[1]
    xw = (x.reshape(n_t * batch, n_in) @ W).reshape(n_t, batch, hidden)
    xw += b
    hs = np.empty((n_t + 1, batch, hidden))  # hs[0] = h0, hs[t + 1] = h_t
    hs[0] = h0
    for t in range(n_t):
        np.tanh(xw[t] + hs[t] @ U, out=hs[t + 1])
    c = 1.0 / (n_t * batch * hidden)
    cost = hs[1:].sum() * c
    pre = np.empty((n_t, batch, hidden))  # dcost / d(pre-activation) of every step
    carry = np.zeros((batch, hidden))  # dcost / dh_t through h_{t+1}
    for t in range(n_t - 1, -1, -1):
        h = hs[t + 1]
        np.multiply(carry + c, 1.0 - h * h, out=pre[t])
        carry = pre[t] @ U.T
    flat = pre.reshape(n_t * batch, hidden)
    gW = x.reshape(n_t * batch, n_in).T @ flat
    gU = hs[:-1].reshape(n_t * batch, hidden).T @ flat
    gb = flat.sum(axis=0)
    return [cost, gW, gU, gb]


def theano_rnn(api):
    """``(forward, train)``: ``forward(x, h0, W, U, b)`` returns the cost, ``train(...)``
    returns ``[cost, gW, gU, gb]``; both are built from one scan graph."""
    T = api.T
    x = T.tensor3("x", dtype="float64")
    h0 = T.matrix("h0", dtype="float64")
    W = T.matrix("W", dtype="float64")
    U = T.matrix("U", dtype="float64")
    b = T.vector("b", dtype="float64")
    hs, updates = _scan_of(api)(
        lambda xt, h, W, U, b: T.tanh(T.dot(xt, W) + T.dot(h, U) + b),
        sequences=x,
        outputs_info=h0,
        non_sequences=[W, U, b],
    )
    cost = hs.mean()
    inputs = [x, h0, W, U, b]
    forward = api.function(inputs, cost, updates=updates, **_kw(api))
    grads = api.grad(cost, [W, U, b])
    train = api.function(inputs, [cost, *grads], updates=updates, **_kw(api))
    return forward, train


def jax_rnn(jax):
    """``(forward, train)`` jitted: ``lax.scan`` for the loop, ``jax.value_and_grad``;
    ``train`` returns ``(cost, (gW, gU, gb))``."""
    import jax.numpy as jnp

    def cost_fn(W, U, b, x, h0):
        def step(h, xt):
            h = jnp.tanh(xt @ W + h @ U + b)
            return h, h

        return jax.lax.scan(step, h0, x)[1].mean()

    forward = jax.jit(cost_fn)
    train = jax.jit(jax.value_and_grad(cost_fn, argnums=(0, 1, 2)))
    return forward, train
