"""Loops with ``symcore.scan`` next to NumPy, PyTensor (its C backend, mode ``CVM``) and
JAX (``lax.scan`` under ``jit``), the peers when installed. The workloads and the NumPy
reference code are in ``scan_workloads`` (shared with ``benchmarks/compare_peers.py
--only scan``, which adds PyTensor's Numba mode and prints one table).

* ``ScanPower``: A**k by k = 1000 multiplications of a vector of 10 and 10^4 elements (at
  10 elements the cost is the per-step overhead of the loop); NumPy's Python loop, and
  NumPy's ``A**k`` (no loop: the floor).
* ``ScanRNN``: an Elman RNN, T = 100 steps, batch 16, input 100, hidden 100, cost = the
  mean of every state: the forward pass, and the cost with its gradient w.r.t. W, U, b
  (back-propagation through time) in one function.

Each ``setup`` checks every implementation's result against NumPy before anything is timed.
"""

from __future__ import annotations

import numpy as np

from . import c_workloads as W
from . import scan_workloads as SW

try:  # optional peers
    import pytensor  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pytensor = None
try:
    import jax
except ImportError:  # pragma: no cover
    jax = None
else:
    jax.config.update("jax_enable_x64", True)


def _assert_c(f) -> None:
    report = getattr(f.maker.fgraph, "linker_report", None)
    assert report is not None and report.backend == "c", "not compiled by the C backend"


def _check(got, expected, rtol: float) -> None:
    got = list(got) if isinstance(got, (list, tuple)) else [got]
    expected = list(expected) if isinstance(expected, (list, tuple)) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        scale = float(np.max(np.abs(e)))
        np.testing.assert_allclose(np.asarray(g), e, rtol=rtol, atol=rtol * scale)


def _need(module, name: str) -> None:
    if module is None:
        raise NotImplementedError(f"{name} is not installed")


class ScanPower:
    """A**k with k = 1000 steps of an n-element vector."""

    params = list(SW.POWER_SIZES)
    param_names = ["n"]

    def setup(self, n: int) -> None:
        self.a = SW.power_data(n)
        self.k = np.asarray(SW.POWER_K, dtype="int32")
        expected = SW.numpy_power_loop(self.a)
        _check(SW.numpy_power(self.a), expected, 1e-10)
        self.f = SW.theano_power(W.symcore_api())
        _assert_c(self.f)
        _check(self.f(self.a, self.k), expected, 1e-10)
        self.f.trust_input = True
        if pytensor is not None:
            self.pf = SW.theano_power(W.pytensor_api("CVM"))
            _check(self.pf(self.a, self.k), expected, 1e-10)
            self.pf.trust_input = True
        if jax is not None:
            self.jf = SW.jax_power(jax)
            self.ja = jax.device_put(self.a)
            _check(self.jf(self.ja), expected, 1e-10)

    def time_symcore(self, n: int) -> None:
        self.f(self.a, self.k)

    def time_numpy_loop(self, n: int) -> None:
        SW.numpy_power_loop(self.a)

    def time_numpy_closed_form(self, n: int) -> None:
        SW.numpy_power(self.a)

    def time_pytensor(self, n: int) -> None:
        _need(pytensor, "pytensor")
        self.pf(self.a, self.k)

    def time_jax(self, n: int) -> None:
        _need(jax, "jax")
        self.jf(self.ja).block_until_ready()


class ScanRNN:
    """Elman RNN h_t = tanh(x_t W + h_{t-1} U + b), T = 100, batch 16, 100 -> 100."""

    def setup(self) -> None:
        self.args = SW.rnn_data()
        cost = SW.numpy_rnn_cost(*self.args)
        grads = SW.numpy_rnn_cost_and_grads(*self.args)
        _check(grads[0], cost, 1e-12)
        self.forward, self.train = SW.theano_rnn(W.symcore_api())
        _assert_c(self.train)
        _check(self.forward(*self.args), cost, 1e-9)
        _check(self.train(*self.args), grads, 1e-9)
        self.forward.trust_input = self.train.trust_input = True
        if pytensor is not None:
            self.p_forward, self.p_train = SW.theano_rnn(W.pytensor_api("CVM"))
            _check(self.p_forward(*self.args), cost, 1e-9)
            _check(self.p_train(*self.args), grads, 1e-9)
            self.p_forward.trust_input = self.p_train.trust_input = True
        if jax is not None:
            x, h0, Wm, U, b = self.args
            self.j_forward, self.j_train = SW.jax_rnn(jax)
            self.j_args = [jax.device_put(v) for v in (Wm, U, b, x, h0)]
            _check(self.j_forward(*self.j_args), cost, 1e-9)
            j_cost, j_grads = self.j_train(*self.j_args)
            _check([j_cost, *j_grads], grads, 1e-9)

    def time_symcore_forward(self) -> None:
        self.forward(*self.args)

    def time_symcore_forward_and_grad(self) -> None:
        self.train(*self.args)

    def time_numpy_forward(self) -> None:
        SW.numpy_rnn_cost(*self.args)

    def time_numpy_forward_and_grad(self) -> None:
        SW.numpy_rnn_cost_and_grads(*self.args)

    def time_pytensor_forward(self) -> None:
        _need(pytensor, "pytensor")
        self.p_forward(*self.args)

    def time_pytensor_forward_and_grad(self) -> None:
        _need(pytensor, "pytensor")
        self.p_train(*self.args)

    def time_jax_forward(self) -> None:
        _need(jax, "jax")
        self.j_forward(*self.j_args).block_until_ready()

    def time_jax_forward_and_grad(self) -> None:
        _need(jax, "jax")
        jax.block_until_ready(self.j_train(*self.j_args))
