"""Theano's ``MRG_RandomStreams`` API (``from symcore.sandbox.rng_mrg import MRG_RandomStreams``).

The signatures are Theano's, size first: ``uniform(size, low=0.0, high=1.0, ndim=None,
dtype=None)``, ``normal(size, avg=0.0, std=1.0, ...)``, ``binomial(size, n=1, p=0.5)``,
``multinomial(size=None, n=1, pvals=...)``, ``choice(size=1, a=None, replace=True, p=...)``.
Float draws are floatX (``float32`` when ``floatX=float32``) unless a variable parameter
or ``dtype`` asks for more.

Difference from Theano, on purpose: the numbers come from NumPy's ``Generator`` (PCG64),
not from the MRG31k3p generator, so they differ from Theano's; what is kept is the API,
the seeding behaviour (a fixed default seed, ``seed(n)`` reseeds every stream) and the
default updates that ``function`` and ``scan`` apply, so each call draws new numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.random import basic as B
from symcore.tensor.random.utils import RandomStreamBase

__all__ = ["MRG_RandomStreams"]


def _check_size(size: Any, who: str, required: bool = True) -> None:
    if size is None:
        if required:
            raise TypeError(
                f"MRG_RandomStreams.{who}: size is required (a tuple of ints or an integer "
                "vector variable)"
            )
        return
    if isinstance(size, (list, tuple)):
        for s in size:
            if isinstance(s, (int, np.integer)) and s < 0:
                raise ValueError(
                    f"MRG_RandomStreams.{who}: size {tuple(size)} has a negative dimension"
                )


class MRG_RandomStreams(RandomStreamBase):
    """Theano's MRG stream API over NumPy generators; ``seed`` defaults to 12345 (Theano's)."""

    def __init__(self, seed: int = 12345, use_cuda: Any = None) -> None:
        if isinstance(seed, (list, tuple)):  # Theano accepted 6 integers (an MRG state)
            seed = int(np.asarray(seed, dtype="int64").sum() % (2**30))
        super().__init__(seed=seed)

    def uniform(
        self,
        size: Any,
        low: Any = 0.0,
        high: Any = 1.0,
        ndim: int | None = None,
        dtype: Any = None,
        nstreams: Any = None,
        **kwargs: Any,
    ):
        """Floats in ``(low, high)``; dtype: floatX upcast with the parameters' dtypes."""
        _check_size(size, "uniform")
        return self.gen(B.uniform, low, high, size=size, ndim=ndim, dtype=dtype)

    def normal(
        self,
        size: Any,
        avg: Any = 0.0,
        std: Any = 1.0,
        ndim: int | None = None,
        dtype: Any = None,
        nstreams: Any = None,
        truncate: bool = False,
        **kwargs: Any,
    ):
        """Gaussian draws; ``truncate=True`` keeps them within two ``std`` of ``avg``."""
        _check_size(size, "normal")
        fn = B.truncated_normal if truncate else B.normal
        return self.gen(fn, avg, std, size=size, ndim=ndim, dtype=dtype)

    def truncated_normal(
        self,
        size: Any,
        avg: Any = 0.0,
        std: Any = 1.0,
        ndim: int | None = None,
        dtype: Any = None,
        nstreams: Any = None,
        **kwargs: Any,
    ):
        """Gaussian draws within two standard deviations of ``avg``."""
        return self.normal(size, avg, std, ndim=ndim, dtype=dtype, truncate=True)

    def binomial(
        self,
        size: Any = None,
        n: Any = 1,
        p: Any = 0.5,
        ndim: int | None = None,
        dtype: Any = "int64",
        nstreams: Any = None,
        prob: Any = None,
        **kwargs: Any,
    ):
        """Successes among ``n`` trials of probability ``p`` (``size`` may be None when ``p``
        is a tensor: the draws then take its shape)."""
        if prob is not None:
            p = prob
        _check_size(size, "binomial", required=False)
        return self.gen(B.binomial, n, p, size=size, ndim=ndim, dtype=dtype)

    def multinomial(
        self,
        size: Any = None,
        n: Any = 1,
        pvals: Any = None,
        ndim: int | None = None,
        dtype: Any = "int64",
        nstreams: Any = None,
        **kwargs: Any,
    ):
        """Counts of ``n`` draws per row of the probability matrix ``pvals``: the result has
        ``pvals``' shape (e.g. ``[[.98, .01, .01], [.01, .49, .50]]`` with n=1 is most
        likely ``[[1, 0, 0], [0, 0, 1]]``)."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: you have to specify pvals")
        _check_size(size, "multinomial", required=False)
        return self.gen(B.multinomial, n, pvals, size=size, ndim=ndim, dtype=dtype)

    def choice(
        self,
        size: Any = 1,
        a: Any = None,
        replace: bool = True,
        p: Any = None,
        ndim: int | None = None,
        dtype: Any = "int64",
        nstreams: Any = None,
        **kwargs: Any,
    ):
        """For each row of the probability matrix ``p``, ``size`` category indices in
        ``[0, p.shape[1])``; result shape ``(p.shape[0], size)``. ``a`` must be None or the
        number of categories."""
        if p is None:
            raise TypeError(
                "MRG_RandomStreams.choice: you have to specify p (a matrix of probabilities)"
            )
        p = as_tensor_variable(p)
        if p.ndim != 2:
            raise TypeError(
                f"MRG_RandomStreams.choice: p must be a matrix (one row per draw), got {p.type}"
            )
        if a is not None and not isinstance(a, (int, np.integer)):
            raise TypeError("MRG_RandomStreams.choice: a must be None or the number of categories")
        if not isinstance(size, (int, np.integer)) and getattr(size, "ndim", None) != 0:
            raise TypeError(
                "MRG_RandomStreams.choice: size is the number of samples per row (an int)"
            )
        op = B.RowChoiceRV(dtype, replace=replace)
        return self.gen(op, size, p)

    def multinomial_wo_replacement(
        self,
        size: Any = None,
        n: Any = 1,
        pvals: Any = None,
        ndim: int | None = None,
        dtype: Any = "int64",
        nstreams: Any = None,
        **kwargs: Any,
    ):
        """Theano's older name of ``choice(size=n, replace=False, p=pvals)``."""
        return self.choice(size=n, replace=False, p=pvals, dtype=dtype)
