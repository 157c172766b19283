"""Polymorphic helpers used by scalar-op gradients.

A scalar op's ``grad`` is written once, with operators and the functions returned by
``ns(...)``. Called on tensor variables (from ``Elemwise.L_op``) it builds a tensor graph;
called on scalar variables (inside a ``Composite``) it builds a scalar graph.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from symcore.graph.basic import Variable
from symcore.scalar.type import ScalarType
from symcore.scalar.type import constant as scalar_constant


class _TensorNamespace:
    """Looks names up in the tensor elementwise-math modules."""

    _modules = ("symcore.tensor.math", "symcore.tensor.math_special")

    def __getattr__(self, name: str) -> Any:
        for modname in self._modules:
            # Function-level import: symcore.tensor.math imports symcore.scalar (true cycle).
            mod = importlib.import_module(modname)
            if hasattr(mod, name):
                return getattr(mod, name)
        raise AttributeError(f"no elementwise tensor function named {name!r}")


_tensor_ns = _TensorNamespace()


def is_scalar_var(v: Any) -> bool:
    return isinstance(v, Variable) and isinstance(v.type, ScalarType)


def ns(*vs: Any):
    """The function namespace for ``vs``: tensor math when any is a tensor, else scalar ops."""
    for v in vs:
        if isinstance(v, Variable) and not isinstance(v.type, ScalarType):
            return _tensor_ns
    return sys.modules["symcore.scalar"]


def apply(scalar_op, *args: Any):
    """``scalar_op`` applied to ``args``: through ``Elemwise`` when any is a tensor."""
    for v in args:
        if isinstance(v, Variable) and not isinstance(v.type, ScalarType):
            # Function-level import: symcore.tensor.elemwise imports symcore.scalar (true cycle).
            from symcore.tensor.elemwise import Elemwise

            return Elemwise(scalar_op)(*args)
    return scalar_op(*args)


def const_like(like: Variable, value: Any, dtype: str):
    """A constant ``value`` of ``dtype`` in the same world (tensor or scalar) as ``like``."""
    if is_scalar_var(like):
        return scalar_constant(value, dtype=dtype)
    from symcore.tensor.basic import constant

    return constant(value, dtype=dtype)


def zeros_like(x: Variable, dtype: str | None = None):
    """Zeros shaped like ``x`` (``second(x, 0)``), of ``dtype`` (default ``x``'s)."""
    return ns(x).second(x, const_like(x, 0, dtype or x.type.dtype))


def ones_like(x: Variable, dtype: str | None = None):
    """Ones shaped like ``x``, of ``dtype`` (default ``x``'s)."""
    return ns(x).second(x, const_like(x, 1, dtype or x.type.dtype))


def float_zeros_like(x: Variable):
    """Zeros like ``x``; floatX when ``x`` is discrete (Theano's gradient of integer inputs)."""
    from symcore.config import config

    dt = x.type.dtype
    return zeros_like(x, config.floatX if dt in _DISCRETE else dt)


_DISCRETE = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
