"""Loops with ``symcore.scan`` next to NumPy, PyTensor and JAX (the peers when installed).

* ``ScanPower``: A**k by k = 1000 multiplications of a 10-vector (tiny steps: the cost is
  the per-step overhead of the loop).
* ``ScanRNN``: an Elman RNN, T = 100 steps, hidden size 100: the forward pass, and the
  forward pass plus the gradient of the summed states w.r.t. the weights (BPTT).

Each ``setup`` checks symcore's result against NumPy before anything is timed.
"""

from __future__ import annotations

import numpy as np
import symcore
import symcore.tensor as T

try:  # optional peers
    import pytensor
    import pytensor.tensor as pt
except ImportError:  # pragma: no cover - depends on the environment
    pytensor = None
try:
    import jax
    import jax.numpy as jnp
except ImportError:  # pragma: no cover
    jax = None

K = 1000
N_VEC = 10
T_STEPS, HIDDEN = 100, 100


def _numpy_power(a: np.ndarray, k: int) -> np.ndarray:
    r = np.ones_like(a)
    for _ in range(k):
        r = r * a
    return r


class ScanPower:
    """A**k with k = 1000 steps of a 10-element vector."""

    def setup(self) -> None:
        k = T.iscalar("k")
        A = T.vector("A")
        result, updates = symcore.scan(
            lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k
        )
        self.f = symcore.function([A, k], result[-1], updates=updates)
        self.a = np.linspace(0.99, 1.01, N_VEC)
        np.testing.assert_allclose(self.f(self.a, K), _numpy_power(self.a, K))
        if pytensor is not None:
            pk, pA = pt.iscalar("k"), pt.vector("A")
            res, upd = pytensor.scan(
                lambda prior, A: prior * A,
                outputs_info=pt.ones_like(pA),
                non_sequences=pA,
                n_steps=pk,
            )
            self.pf = pytensor.function([pA, pk], res[-1], updates=upd)
        if jax is not None:

            def body(r, _, a):
                return r * a, None

            self.jf = jax.jit(
                lambda a: jax.lax.scan(
                    lambda r, x: body(r, x, a), jnp.ones_like(a), None, length=K
                )[0]
            )
            self.ja = jnp.asarray(self.a)
            self.jf(self.ja).block_until_ready()

    def time_symcore(self) -> None:
        self.f(self.a, K)

    def time_numpy_loop(self) -> None:
        _numpy_power(self.a, K)

    def time_pytensor(self) -> None:
        if pytensor is None:
            raise NotImplementedError("pytensor is not installed")
        self.pf(self.a, K)

    def time_jax(self) -> None:
        if jax is None:
            raise NotImplementedError("jax is not installed")
        self.jf(self.ja).block_until_ready()


def _numpy_rnn(x, h0, W, U):
    hs = [h0]
    for t in range(len(x)):
        hs.append(np.tanh(x[t] @ W + hs[-1] @ U))
    return np.stack(hs[1:])


def _numpy_rnn_grad(x, h0, W, U):
    hs = _numpy_rnn(x, h0, W, U)
    gW, gU = np.zeros_like(W), np.zeros_like(U)
    carry = np.zeros_like(h0)
    for t in range(len(x) - 1, -1, -1):
        pre = (1.0 + carry) * (1 - hs[t] ** 2)
        prev = hs[t - 1] if t else h0
        gW += np.outer(x[t], pre)
        gU += np.outer(prev, pre)
        carry = pre @ U.T
    return gW, gU


class ScanRNN:
    """Elman RNN h_t = tanh(x_t W + h_{t-1} U), T = 100, hidden = 100."""

    def setup(self) -> None:
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((T_STEPS, HIDDEN)) * 0.1
        self.h0 = np.zeros(HIDDEN)
        self.W = rng.standard_normal((HIDDEN, HIDDEN)) * 0.1
        self.U = rng.standard_normal((HIDDEN, HIDDEN)) * 0.1
        x, W, U = T.dmatrix("x"), T.dmatrix("W"), T.dmatrix("U")
        h0 = T.dvector("h0")
        hs, _ = symcore.scan(
            lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)),
            sequences=x,
            outputs_info=h0,
            non_sequences=[W, U],
        )
        self.forward = symcore.function([x, h0, W, U], hs)
        self.backward = symcore.function([x, h0, W, U], symcore.grad(hs.sum(), [W, U]))
        args = (self.x, self.h0, self.W, self.U)
        np.testing.assert_allclose(self.forward(*args), _numpy_rnn(*args), rtol=1e-10)
        for got, want in zip(self.backward(*args), _numpy_rnn_grad(*args), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)
        if pytensor is not None:
            px, pW, pU = pt.dmatrix("x"), pt.dmatrix("W"), pt.dmatrix("U")
            ph0 = pt.dvector("h0")
            phs, _ = pytensor.scan(
                lambda xt, h, W, U: pt.tanh(pt.dot(xt, W) + pt.dot(h, U)),
                sequences=px,
                outputs_info=ph0,
                non_sequences=[pW, pU],
            )
            self.p_forward = pytensor.function([px, ph0, pW, pU], phs)
            self.p_backward = pytensor.function(
                [px, ph0, pW, pU], pytensor.grad(phs.sum(), [pW, pU])
            )
        if jax is not None:

            def run(x, h0, W, U):
                def step(h, xt):
                    h = jnp.tanh(xt @ W + h @ U)
                    return h, h

                return jax.lax.scan(step, h0, x)[1]

            self.j_forward = jax.jit(run)
            self.j_backward = jax.jit(
                jax.grad(lambda x, h0, W, U: run(x, h0, W, U).sum(), argnums=(2, 3))
            )
            self.j_args = tuple(jnp.asarray(a) for a in args)
            self.j_forward(*self.j_args).block_until_ready()
            jax.block_until_ready(self.j_backward(*self.j_args))

    def time_symcore_forward(self) -> None:
        self.forward(self.x, self.h0, self.W, self.U)

    def time_symcore_forward_and_grad(self) -> None:
        self.backward(self.x, self.h0, self.W, self.U)

    def time_numpy_forward(self) -> None:
        _numpy_rnn(self.x, self.h0, self.W, self.U)

    def time_numpy_forward_and_grad(self) -> None:
        _numpy_rnn_grad(self.x, self.h0, self.W, self.U)

    def time_pytensor_forward_and_grad(self) -> None:
        if pytensor is None:
            raise NotImplementedError("pytensor is not installed")
        self.p_backward(self.x, self.h0, self.W, self.U)

    def time_jax_forward_and_grad(self) -> None:
        if jax is None:
            raise NotImplementedError("jax is not installed")
        jax.block_until_ready(self.j_backward(*self.j_args))
