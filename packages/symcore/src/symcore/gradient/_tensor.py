"""Access to the tensor language from the gradient code, and small dtype helpers.

The tensor Op modules import ``symcore.gradient`` (for ``grad_undefined``), and gradient
graphs are built from tensor Ops: a true cycle. The gradient modules therefore reach the
tensor functions (``add``, ``cast``, ``zeros_like``...) through :func:`T` when a gradient
is built, never at import time.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

from symcore.graph.basic import Variable

FLOAT_KINDS = "fc"


def T() -> ModuleType:
    """The ``symcore.tensor`` namespace (imported on first use)."""
    return importlib.import_module("symcore.tensor")


def dtype_of(v: Any) -> str | None:
    return getattr(v.type, "dtype", None) if isinstance(v, Variable) else None


def is_continuous(v: Any) -> bool:
    """True when ``v`` is a tensor of a float or complex dtype."""
    dt = dtype_of(v)
    return dt is not None and np.dtype(dt).kind in FLOAT_KINDS


def is_tensor(v: Any) -> bool:
    from symcore.tensor.type import TensorType

    return isinstance(getattr(v, "type", None), TensorType)


def float_dtype_for(v: Variable) -> str:
    """``v``'s dtype when it is continuous, else floatX (the dtype of its gradient)."""
    if is_continuous(v):
        return dtype_of(v)  # type: ignore[return-value]
    from symcore.config import config

    return config.floatX


def float_zeros_like(v: Variable) -> Variable:
    """Zeros of ``v``'s shape with ``float_dtype_for(v)``."""
    return T().zeros_like(v, dtype=float_dtype_for(v))


def scalar_constant(value: float, dtype: str) -> Variable:
    from symcore.tensor.basic import constant

    return constant(np.asarray(value, dtype=dtype))


def cast_to(v: Variable, dtype: str) -> Variable:
    """``v`` cast to ``dtype`` (no node when it already has it)."""
    if dtype_of(v) == dtype:
        return v
    return T().cast(v, dtype)


def format_as(use_list: bool, use_tuple: bool, outputs: list) -> Any:
    """Return ``outputs`` as a list, a tuple or a single element, like the ``wrt`` given."""
    if use_list:
        return list(outputs)
    if use_tuple:
        return tuple(outputs)
    if len(outputs) != 1:
        raise ValueError(f"expected one output, got {len(outputs)}")
    return outputs[0]
