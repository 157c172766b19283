"""``TensorVariable`` and ``TensorConstant``: NumPy-style operators on symbolic arrays.

Every operator delegates to a function of ``symcore.tensor`` by name, so this module holds
no math of its own.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from symcore.graph.basic import Constant, Variable


def _T():
    return sys.modules["symcore.tensor"]


class _tensor_py_operators:
    """Operators and methods shared by tensor variables and constants."""

    # -- arithmetic ------------------------------------------------------------------
    def __add__(self, other):
        return _T().add(self, other)

    def __radd__(self, other):
        return _T().add(other, self)

    def __sub__(self, other):
        return _T().sub(self, other)

    def __rsub__(self, other):
        return _T().sub(other, self)

    def __mul__(self, other):
        return _T().mul(self, other)

    def __rmul__(self, other):
        return _T().mul(other, self)

    def __truediv__(self, other):
        return _T().true_div(self, other)

    def __rtruediv__(self, other):
        return _T().true_div(other, self)

    def __floordiv__(self, other):
        return _T().int_div(self, other)

    def __rfloordiv__(self, other):
        return _T().int_div(other, self)

    def __mod__(self, other):
        return _T().mod(self, other)

    def __rmod__(self, other):
        return _T().mod(other, self)

    def __pow__(self, other):
        return _T().pow(self, other)

    def __rpow__(self, other):
        return _T().pow(other, self)

    def __matmul__(self, other):
        return _T().matmul(self, other)

    def __rmatmul__(self, other):
        return _T().matmul(other, self)

    def __neg__(self):
        return _T().neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _T().abs(self)

    # -- comparisons (== and != stay Python identity, as in Theano: use eq/neq) --------
    def __lt__(self, other):
        return _T().lt(self, other)

    def __le__(self, other):
        return _T().le(self, other)

    def __gt__(self, other):
        return _T().gt(self, other)

    def __ge__(self, other):
        return _T().ge(self, other)

    # -- bitwise / logical -----------------------------------------------------------
    def __and__(self, other):
        return _T().and_(self, other)

    def __rand__(self, other):
        return _T().and_(other, self)

    def __or__(self, other):
        return _T().or_(self, other)

    def __ror__(self, other):
        return _T().or_(other, self)

    def __xor__(self, other):
        return _T().xor(self, other)

    def __rxor__(self, other):
        return _T().xor(other, self)

    def __invert__(self):
        return _T().invert(self)

    # -- Python protocol -------------------------------------------------------------
    def __bool__(self) -> bool:
        # Theano: variables are truthy like any Python object (``if not W:`` works).
        return True

    def __iter__(self):
        try:
            n = (
                int(self.type.shape[0])
                if self.type.shape and self.type.shape[0] is not None
                else None
            )
        except (TypeError, IndexError):
            n = None
        if n is None:
            raise TypeError(
                "TensorVariable does not support iteration: its length is not known when the "
                "graph is built. Use scan, or index with a symbolic range."
            )
        for i in range(n):
            yield self[i]

    def __len__(self) -> int:
        raise TypeError("len() of a symbolic tensor is unknown; use x.shape[0]")

    # -- attributes ------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def shape(self):
        return _T().shape(self)

    @property
    def size(self):
        return _T().prod(self.shape)

    @property
    def T(self):
        return _T().transpose(self)

    @property
    def real(self):
        return _T().real(self)

    @property
    def imag(self):
        return _T().imag(self)

    # -- methods ---------------------------------------------------------------------
    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _T().transpose(self, axes or None)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (tuple, list)):
            pattern = tuple(pattern[0])
        return _T().dimshuffle(self, pattern)

    def reshape(self, *shape, ndim=None):
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        return _T().reshape(self, shape, ndim=ndim)

    def flatten(self, ndim: int = 1):
        return _T().flatten(self, ndim)

    def ravel(self):
        return _T().flatten(self, 1)

    def astype(self, dtype):
        return _T().cast(self, dtype)

    def clip(self, a_min, a_max):
        return _T().clip(self, a_min, a_max)

    def dot(self, other):
        return _T().dot(self, other)

    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().sum(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().prod(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().mean(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _T().var(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _T().std(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def max(self, axis=None, keepdims=False):
        return _T().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _T().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _T().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _T().argmin(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _T().any(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return _T().all(self, axis=axis, keepdims=keepdims)

    def norm(self, L, axis=None, keepdims=False):
        return _T().norm(self, L, axis=axis, keepdims=keepdims)

    def nonzero(self, return_matrix: bool = False):
        return _T().nonzero(self, return_matrix=return_matrix)

    def nonzero_values(self):
        return _T().nonzero_values(self)

    def sort(self, axis: int = -1, kind: str = "quicksort", order=None):
        return _T().sort(self, axis, kind, order)

    def argsort(self, axis: int = -1, kind: str = "quicksort", order=None):
        return _T().argsort(self, axis, kind, order)

    def cumsum(self, axis=None):
        return _T().cumsum(self, axis)

    def cumprod(self, axis=None):
        return _T().cumprod(self, axis)

    def repeat(self, repeats, axis=None):
        return _T().repeat(self, repeats, axis)

    def round(self, mode=None):
        return _T().round(self, mode)

    def trace(self):
        return _T().trace(self)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _T().diagonal(self, offset, axis1, axis2)

    def squeeze(self, axis=None):
        return _T().squeeze(self, axis)

    def swapaxes(self, axis1, axis2):
        return _T().swapaxes(self, axis1, axis2)

    def take(self, indices, axis=None, mode="raise"):
        return _T().take(self, indices, axis, mode)

    def conj(self):
        return _T().conj(self)

    conjugate = conj

    def copy(self, name=None):
        out = _T().tensor_copy(self)
        out.name = name
        return out

    def fill(self, value):
        return _T().fill(self, value)

    def zeros_like(self, dtype=None):
        return _T().zeros_like(self, dtype=dtype)

    def ones_like(self, dtype=None):
        return _T().ones_like(self, dtype=dtype)

    def __getitem__(self, index):
        return _T().getitem(self, index)

    def set(self, value):
        """``x[idx].set(v)``: the whole tensor ``x`` with ``x[idx]`` replaced by ``v``."""
        return _T().set_subtensor(self, value)

    def inc(self, value):
        """``x[idx].inc(v)``: the whole tensor ``x`` with ``v`` added at ``x[idx]``."""
        return _T().inc_subtensor(self, value)

    # NumPy must defer to our operators for ``ndarray + variable``.
    __array_priority__ = 1000
    __array_ufunc__ = None


class TensorVariable(_tensor_py_operators, Variable):
    """A symbolic tensor computed by the graph (or a free input)."""


class TensorConstant(_tensor_py_operators, Constant):
    """A tensor with a fixed value. Its ``data`` is read-only."""

    def __init__(self, type, data: Any, name: str | None = None):
        super().__init__(type, data, name)
        if isinstance(self.data, np.ndarray) and self.data.flags.writeable:
            self.data = self.data.copy()  # never freeze an array the user still holds
            self.data.flags.writeable = False

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        d = self.data
        if d.ndim == 0:
            return str(d.item() if d.dtype.kind != "b" else bool(d))
        s = np.array2string(d, threshold=6, separator=", ").replace("\n", "")
        return s if len(s) <= 40 else f"TensorConstant{{{d.dtype}, shape={d.shape}}}"

    def signature(self):
        return (self.type, self.type.data_signature(self.data))
