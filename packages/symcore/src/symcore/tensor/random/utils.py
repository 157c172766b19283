"""Random streams: a factory of random variables, each with its own shared generator.

Every draw made through a stream gets a new shared variable holding a
``numpy.random.Generator`` seeded from the stream's seed; its ``default_update`` is the
node's next generator state, so each call of a compiled function advances it (unless
``function(..., no_default_updates=True)``) and a random variable is drawn once per call
however many outputs use it. ``stream.seed(n)`` reseeds every generator of the stream
deterministically; ``draw.rng.get_value()`` / ``set_value()`` save and restore one
generator's state to replay the same draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symcore.tensor.random import basic as B

__all__ = ["RandomStreamBase", "RandomStream"]

_SEED_BOUND = 2**30


class RandomStreamBase:
    """Seeding and bookkeeping shared by ``RandomStream``, Theano's ``RandomStreams`` and
    ``MRG_RandomStreams``.

    ``seed``: an int in ``[0, 2**30)`` (None: unpredictable). ``rng_ctor(seed)`` makes
    each generator (default ``numpy.random.default_rng``). ``state_updates`` lists
    ``(shared generator, next state)`` pairs, in creation order.
    """

    def __init__(
        self,
        seed: int | None = None,
        rng_ctor: Callable[[int], np.random.Generator] = np.random.default_rng,
    ) -> None:
        self.default_instance_seed = seed
        self.rng_ctor = rng_ctor
        self.state_updates: list[tuple[Any, Any]] = []
        self.gen_seedgen = np.random.default_rng(seed)

    def _next_seed(self) -> int:
        return int(self.gen_seedgen.integers(_SEED_BOUND))

    def seed(self, seed: int | None = None) -> None:
        """Re-initialise every generator of this stream from ``seed`` (default: the seed
        given at construction), exactly as a new stream with that seed would."""
        if seed is None:
            seed = self.default_instance_seed
        self.gen_seedgen = np.random.default_rng(seed)
        for old_r, _ in self.state_updates:
            old_r.set_value(self.rng_ctor(self._next_seed()), borrow=True)

    def updates(self) -> list[tuple[Any, Any]]:
        """The ``(shared generator, next state)`` pairs, for explicit ``updates=``."""
        return list(self.state_updates)

    def new_rng(self):
        """A new shared generator seeded from this stream."""
        from symcore.compile.sharedvalue import shared

        rng = shared(self.rng_ctor(self._next_seed()), borrow=True)
        rng.tag.is_rng = True
        return rng

    def gen(self, op: Any, *args: Any, **kwargs: Any):
        """Draw with ``op`` (a ``RandomVariable`` or a function taking ``rng=``) on a new
        generator of this stream: ``op(*args, rng=new_generator, **kwargs)``."""
        rng = self.new_rng()
        out = op(*args, rng=rng, **kwargs)
        return self._register(rng, out)

    def _register(self, rng: Any, out: Any):
        node = out.owner
        if node is None or node.inputs[0] is not rng:
            raise ValueError(f"{out} was not drawn from the generator {rng}")
        next_rng = node.outputs[0]
        next_rng.name = f"{rng.name or 'rng'}_next" if next_rng.name is None else next_rng.name
        rng.default_update = next_rng
        out.rng = rng
        out.update = (rng, next_rng)
        self.state_updates.append((rng, next_rng))
        return out

    def __getitem__(self, item: Any) -> np.random.Generator:
        """The generator behind the random variable ``item`` (not a copy)."""
        return item.rng.get_value(borrow=True)

    def __setitem__(self, item: Any, value: np.random.Generator) -> None:
        """Replace the generator behind the random variable ``item``."""
        item.rng.set_value(value, borrow=True)


class RandomStream(RandomStreamBase):
    """PyTensor-style stream: methods follow NumPy's ``Generator`` signatures, with
    ``size=`` a keyword (``srng.normal(0, 1, size=(2, 3))``)."""

    def uniform(self, low=0.0, high=1.0, size=None, dtype=None, **kw):
        return self.gen(B.uniform, low, high, size=size, dtype=dtype, **kw)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=None, **kw):
        return self.gen(B.normal, loc, scale, size=size, dtype=dtype, **kw)

    def standard_normal(self, size=None, dtype=None, **kw):
        return self.gen(B.standard_normal, size=size, dtype=dtype, **kw)

    def truncated_normal(self, loc=0.0, scale=1.0, size=None, dtype=None, **kw):
        return self.gen(B.truncated_normal, loc, scale, size=size, dtype=dtype, **kw)

    def binomial(self, n, p, size=None, dtype="int64", **kw):
        return self.gen(B.binomial, n, p, size=size, dtype=dtype, **kw)

    def integers(self, low, high=None, size=None, dtype="int64", **kw):
        return self.gen(B.integers, low, high, size=size, dtype=dtype, **kw)

    def random_integers(self, low=0, high=1, size=None, dtype="int64", **kw):
        return self.gen(B.random_integers, low, high, size=size, dtype=dtype, **kw)

    def poisson(self, lam=1.0, size=None, dtype="int64", **kw):
        return self.gen(B.poisson, lam, size=size, dtype=dtype, **kw)

    def gamma(self, shape, scale=1.0, size=None, dtype=None, **kw):
        return self.gen(B.gamma, shape, scale, size=size, dtype=dtype, **kw)

    def beta(self, a, b, size=None, dtype=None, **kw):
        return self.gen(B.beta, a, b, size=size, dtype=dtype, **kw)

    def exponential(self, scale=1.0, size=None, dtype=None, **kw):
        return self.gen(B.exponential, scale, size=size, dtype=dtype, **kw)

    def multinomial(self, n, pvals, size=None, dtype="int64", **kw):
        return self.gen(B.multinomial, n, pvals, size=size, dtype=dtype, **kw)

    def choice(self, a, size=None, replace=True, p=None, dtype=None, **kw):
        return self.gen(B.choice, a, size=size, replace=replace, p=p, dtype=dtype, **kw)

    def permutation(self, x, size=None, dtype=None, **kw):
        return self.gen(B.permutation, x, size=size, dtype=dtype, **kw)
