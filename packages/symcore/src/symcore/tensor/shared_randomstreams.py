"""Theano's ``RandomStreams``: random variables with size-first signatures.

::

    from symcore.tensor.shared_randomstreams import RandomStreams
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = symcore.function([], rv_u)        # new numbers at each call
    g = symcore.function([], rv_u, no_default_updates=True)  # the same numbers each call

Each draw has its own shared generator (``rv_u.rng``) advanced by ``function``'s default
updates; ``srng.seed(n)`` reseeds them all; ``rv_u.rng.get_value()`` / ``set_value()``
save and restore a state. Backed by ``numpy.random.Generator`` (the numbers differ from
Theano's ``RandomState``-based ones). ``size`` is a tuple of ints or integer scalars, or
an integer vector variable (give ``ndim`` when its length is not known); ``size=None``
(or ``()``) takes the broadcast shape of the parameters.
"""

from __future__ import annotations

from typing import Any

from symcore.tensor.random import basic as B
from symcore.tensor.random.utils import RandomStreamBase

__all__ = ["RandomStreams"]


class RandomStreams(RandomStreamBase):
    """Theano-compatible stream of random variables (``RandomStreams(seed)``)."""

    def uniform(
        self,
        size: Any = None,
        low: Any = 0.0,
        high: Any = 1.0,
        ndim: int | None = None,
        dtype: Any = None,
    ):
        """Floats in ``[low, high)``; dtype: floatX upcast with variable parameters."""
        return self.gen(B.uniform, low, high, size=size, ndim=ndim, dtype=dtype)

    def normal(
        self,
        size: Any = None,
        avg: Any = 0.0,
        std: Any = 1.0,
        ndim: int | None = None,
        dtype: Any = None,
    ):
        """Gaussian draws of mean ``avg`` and standard deviation ``std``."""
        return self.gen(B.normal, avg, std, size=size, ndim=ndim, dtype=dtype)

    def binomial(
        self,
        size: Any = None,
        n: Any = 1,
        p: Any = 0.5,
        ndim: int | None = None,
        dtype: Any = "int64",
        prob: Any = None,
    ):
        """Successes among ``n`` trials of probability ``p`` (``prob`` is Theano's old name)."""
        if prob is not None:
            p = prob
        return self.gen(B.binomial, n, p, size=size, ndim=ndim, dtype=dtype)

    def random_integers(
        self,
        size: Any = None,
        low: Any = 0,
        high: Any = 1,
        ndim: int | None = None,
        dtype: Any = "int64",
    ):
        """Integers in ``[low, high]`` (both included, as Theano)."""
        return self.gen(B.random_integers, low, high, size=size, ndim=ndim, dtype=dtype)

    def integers(
        self,
        size: Any = None,
        low: Any = 0,
        high: Any = 2,
        ndim: int | None = None,
        dtype: Any = "int64",
    ):
        """Integers in ``[low, high)`` (NumPy's ``Generator.integers``)."""
        return self.gen(B.integers, low, high, size=size, ndim=ndim, dtype=dtype)

    def choice(
        self,
        size: Any = None,
        a: Any = 2,
        replace: bool = True,
        p: Any = None,
        ndim: int | None = None,
        dtype: Any = "int64",
    ):
        """Elements of the vector ``a`` (or of ``arange(a)``) with probabilities ``p``."""
        return self.gen(B.choice, a, size=size, replace=replace, p=p, ndim=ndim, dtype=dtype)

    def permutation(
        self, size: Any = None, n: Any = 1, ndim: int | None = None, dtype: Any = "int64"
    ):
        """Permutations of ``range(n)``, one per entry of ``size``: shape ``size + (n,)``."""
        return self.gen(B.permutation, n, size=size, ndim=ndim, dtype=dtype)

    def multinomial(
        self,
        size: Any = None,
        n: Any = 1,
        pvals: Any = (0.5, 0.5),
        ndim: int | None = None,
        dtype: Any = "int64",
    ):
        """Counts of ``n`` draws over ``len(pvals)`` categories: shape ``size + (k,)``."""
        return self.gen(
            B.multinomial,
            n,
            list(pvals) if isinstance(pvals, tuple) else pvals,
            size=size,
            ndim=ndim,
            dtype=dtype,
        )

    def poisson(
        self, size: Any = None, lam: Any = 1.0, ndim: int | None = None, dtype: Any = "int64"
    ):
        """Poisson counts of mean ``lam``."""
        return self.gen(B.poisson, lam, size=size, ndim=ndim, dtype=dtype)

    def gamma(
        self,
        size: Any = None,
        shape: Any = 1.0,
        scale: Any = 1.0,
        ndim: int | None = None,
        dtype: Any = None,
    ):
        """Gamma draws (NumPy's ``shape``/``scale``)."""
        return self.gen(B.gamma, shape, scale, size=size, ndim=ndim, dtype=dtype)

    def beta(
        self,
        size: Any = None,
        a: Any = 1.0,
        b: Any = 1.0,
        ndim: int | None = None,
        dtype: Any = None,
    ):
        """Beta draws."""
        return self.gen(B.beta, a, b, size=size, ndim=ndim, dtype=dtype)

    def exponential(
        self, size: Any = None, scale: Any = 1.0, ndim: int | None = None, dtype: Any = None
    ):
        """Exponential draws of mean ``scale``."""
        return self.gen(B.exponential, scale, size=size, ndim=ndim, dtype=dtype)
