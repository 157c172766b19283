"""``RandomGeneratorType``: variables holding a ``numpy.random.Generator``.

A random Op takes a generator variable and returns the generator's next state as an
extra output, so drawing is a pure function of the graph. Random streams keep the
generator in a shared variable whose ``default_update`` is that next state.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from symcore.compile.sharedvalue import SharedVariable, shared_constructor
from symcore.graph.basic import Constant, Variable
from symcore.graph.type import Type

__all__ = [
    "RandomGeneratorType",
    "random_generator_type",
    "RandomGeneratorVariable",
    "RandomGeneratorConstant",
    "RandomGeneratorSharedVariable",
    "random_generator_constructor",
]


def _states_equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_states_equal(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return a == b


class RandomGeneratorType(Type):
    """The type of variables whose values are ``numpy.random.Generator`` objects."""

    def filter(
        self, data: Any, strict: bool = False, allow_downcast: bool | None = None
    ) -> np.random.Generator:
        """Accept a ``Generator`` as is; when not strict, also a bit-generator state dict
        (``generator.bit_generator.state``), from which a new Generator is made."""
        if isinstance(data, np.random.Generator):
            return data
        if not strict and isinstance(data, dict) and "bit_generator" in data:
            bitgen_cls = getattr(np.random, data["bit_generator"], None)
            if bitgen_cls is None:
                raise TypeError(f"{self}: unknown bit generator {data['bit_generator']!r}")
            bitgen = bitgen_cls()
            bitgen.state = data
            return np.random.Generator(bitgen)
        raise TypeError(
            f"{self} expects a numpy.random.Generator (e.g. numpy.random.default_rng(seed)), "
            f"got {type(data).__name__}"
        )

    def values_eq(self, a: Any, b: Any) -> bool:
        """Two generators are equal when their bit generators are in the same state."""
        if not (isinstance(a, np.random.Generator) and isinstance(b, np.random.Generator)):
            return False
        return _states_equal(a.bit_generator.state, b.bit_generator.state)

    def data_signature(self, data: Any):
        return ("Generator", id(data))

    def may_share_memory(self, a: Any, b: Any) -> bool:
        return a is b

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __str__(self) -> str:
        return "RandomGeneratorType"

    __repr__ = __str__

    def make_variable(self, name: str | None = None) -> RandomGeneratorVariable:
        return RandomGeneratorVariable(self, None, None, name)

    @property
    def variable_type(self):  # type: ignore[override]
        return RandomGeneratorVariable

    @property
    def constant_type(self):  # type: ignore[override]
        return RandomGeneratorConstant


random_generator_type = RandomGeneratorType()


class RandomGeneratorVariable(Variable):
    """A symbolic random generator (an input, or the next state output by a random Op)."""


class RandomGeneratorConstant(Constant):
    """A fixed generator; each compiled call starts from the same state (copied)."""

    def __str__(self) -> str:
        return self.name if self.name is not None else "RandomGenerator"


class RandomGeneratorSharedVariable(SharedVariable, RandomGeneratorVariable):
    """A shared generator: ``get_value()`` returns a copy of its state, ``set_value(g)``
    restores one, so the same draws can be replayed."""

    def __str__(self) -> str:
        return self.name if self.name is not None else "RandomGeneratorSharedVariable"


@shared_constructor
def random_generator_constructor(
    value, name=None, strict=False, allow_downcast=None, borrow=False, **kwargs
):
    """``shared(numpy.random.default_rng(seed))``: a shared generator (copied unless ``borrow``)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"expects a numpy.random.Generator, got {type(value).__name__}")
    if kwargs:
        raise TypeError(f"a shared generator takes no extra parameters ({sorted(kwargs)})")
    if not borrow:
        value = copy.deepcopy(value)
    return RandomGeneratorSharedVariable(
        type=random_generator_type,
        value=value,
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )
