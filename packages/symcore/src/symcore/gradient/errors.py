"""Gradient errors and the markers Ops return for gradients that are not ordinary tensors.

Ops import ``grad_undefined`` / ``grad_not_implemented`` from here (through
``symcore.gradient``); this module depends on the graph protocol only, so it is safe to
import from any Op module.
"""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Variable
from symcore.graph.type import DisconnectedType, NullType, disconnected_type

__all__ = [
    "DisconnectedInputError",
    "DisconnectedType",
    "GradientError",
    "NullTypeGradError",
    "disconnected_type",
    "grad_not_implemented",
    "grad_undefined",
    "is_disconnected",
    "is_null",
]


class NullTypeGradError(TypeError):
    """``grad`` met an undefined (NullType) gradient while ``null_gradients='raise'``."""


class DisconnectedInputError(ValueError):
    """A ``wrt`` variable is not connected to the cost while ``disconnected_inputs='raise'``."""


class GradientError(Exception):
    """``verify_grad`` found an analytic gradient that differs from finite differences.

    Attributes: ``arg`` (input index), ``err_pos`` (index tuple of the largest error),
    ``shape``, ``val1`` (analytic), ``val2`` (numeric), ``abs_err``, ``rel_err``,
    ``abs_tol``, ``rel_tol``; ``analytic``/``numeric`` hold the whole gradients and ``pt``
    the input point when known.
    """

    def __init__(
        self,
        arg: int,
        err_pos: tuple,
        shape: tuple,
        val1: float,
        val2: float,
        abs_err: float,
        rel_err: float,
        abs_tol: float,
        rel_tol: float,
        analytic: Any = None,
        numeric: Any = None,
        pt: Any = None,
        op_name: str | None = None,
    ) -> None:
        super().__init__()
        self.arg = arg
        self.err_pos = err_pos
        self.shape = shape
        self.val1 = val1
        self.val2 = val2
        self.abs_err = abs_err
        self.rel_err = rel_err
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol
        self.analytic = analytic
        self.numeric = numeric
        self.pt = pt
        self.op_name = op_name

    def __str__(self) -> str:
        import numpy as np

        def show(a: Any) -> str:
            return np.array2string(np.asarray(a), threshold=40, precision=6, separator=", ")

        what = f" of {self.op_name}" if self.op_name else ""
        lines = [
            f"verify_grad: the analytic gradient{what} w.r.t. input {self.arg} (shape "
            f"{tuple(self.shape)}) differs from the finite-difference gradient.",
            f"  largest difference at index {tuple(self.err_pos)}: analytic={self.val1!r} "
            f"numeric={self.val2!r}",
            f"  abs error {self.abs_err:.4g} > abs_tol {self.abs_tol:.4g} and "
            f"rel error {self.rel_err:.4g} > rel_tol {self.rel_tol:.4g}",
        ]
        if self.analytic is not None:
            lines.append(f"  analytic gradient: {show(self.analytic)}")
        if self.numeric is not None:
            lines.append(f"  numeric gradient:  {show(self.numeric)}")
        if self.pt is not None:
            for i, p in enumerate(self.pt):
                lines.append(f"  input {i}: {show(p)}")
        return "\n".join(lines)


def grad_undefined(op: Any, x_pos: int, x: Any, comment: str = "") -> Variable:
    """A NullType variable: the gradient of ``op`` w.r.t. its input ``x_pos`` is undefined.

    ``grad`` raises ``NullTypeGradError`` (with this explanation) if such a gradient
    reaches a ``wrt`` variable, unless ``null_gradients='return'``.
    """
    why = f"the gradient of {op} w.r.t. its input {x_pos} ({x}) is mathematically undefined" + (
        f": {comment}" if comment else ""
    )
    return NullType(why)()


def grad_not_implemented(op: Any, x_pos: int, x: Any, comment: str = "") -> Variable:
    """A NullType variable: the gradient of ``op`` w.r.t. input ``x_pos`` is not implemented."""
    why = f"the gradient of {op} w.r.t. its input {x_pos} ({x}) is not implemented" + (
        f": {comment}" if comment else ""
    )
    return NullType(why)()


def is_disconnected(v: Any) -> bool:
    """True for a DisconnectedType variable (``disconnected_type()``)."""
    return isinstance(getattr(v, "type", None), DisconnectedType)


def is_null(v: Any) -> bool:
    """True for a NullType variable (undefined or unimplemented gradient)."""
    return isinstance(getattr(v, "type", None), NullType)
