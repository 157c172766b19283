"""Random variables drawn from NumPy ``Generator``s (``symcore.tensor.random``).

``RandomStream(seed)`` makes random variables with their own shared generators
(``srng.normal(0, 1, size=(2, 3))``); the distribution functions (``uniform``,
``normal``...) take an explicit ``rng=`` generator variable. Theano's size-first API is
``symcore.tensor.shared_randomstreams.RandomStreams``.
"""

from symcore.tensor.random import rewriting  # noqa: F401,E402 - registers random_make_inplace
from symcore.tensor.random.basic import *  # noqa: F401,F403
from symcore.tensor.random.basic import __all__ as _basic_all
from symcore.tensor.random.op import RandomVariable, default_rng_variable, normalize_size_param  # noqa: F401
from symcore.tensor.random.type import (  # noqa: F401
    RandomGeneratorSharedVariable,
    RandomGeneratorType,
    RandomGeneratorVariable,
    random_generator_type,
)
from symcore.tensor.random.utils import RandomStream, RandomStreamBase  # noqa: F401

__all__ = list(_basic_all) + [
    "RandomVariable",
    "default_rng_variable",
    "normalize_size_param",
    "RandomGeneratorSharedVariable",
    "RandomGeneratorType",
    "RandomGeneratorVariable",
    "random_generator_type",
    "RandomStream",
    "RandomStreamBase",
]
