"""Shared variables: symbolic variables with a value that persists between function calls.

``shared(value)`` picks a constructor from a registry (``@shared_constructor``), newest
first, so plugins (sparse, GPU) add their own kinds; a constructor refuses a value by
raising ``TypeError``. The core registers two: tensors (ndarrays, NumPy and Python
scalars) and a generic fallback for any other Python object.

Memory rules: ``shared(a)`` copies ``a`` unless ``borrow=True``; ``get_value()`` returns a
copy unless ``borrow=True``; ``set_value(v)`` copies ``v`` unless ``borrow=True``. So a
shared value is never aliased to an array the user holds unless borrowing was asked.

Dtype of Python scalars (our choice, documented): ``bool`` → bool, ``int`` → int64,
``complex`` → complex128, ``float`` → ``floatX`` (Theano's autocast of Python floats:
``shared(0.)`` is float64 by default and float32 under ``floatX=float32``). NumPy scalars
and arrays keep their dtype. Tensor shared variables are not broadcastable on any
dimension unless ``broadcastable=``/``shape=`` is given, since ``set_value`` may change
their shape (Theano's rule).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from symcore.compile.io import Container, copy_value
from symcore.graph.basic import Variable
from symcore.graph.type import generic
from symcore.graph.utils import user_trace
from symcore.tensor.type import TensorType
from symcore.tensor.variable import _tensor_py_operators

__all__ = [
    "SharedVariable",
    "TensorSharedVariable",
    "ScalarSharedVariable",
    "shared",
    "shared_constructor",
    "tensor_constructor",
    "generic_constructor",
]

_order = itertools.count()


class SharedVariable(Variable):
    """A variable whose value lives in ``container`` and is shared by every function using it.

    ``default_update`` (optional attribute): an expression ``function`` uses as this
    variable's update when none is given (random generators use it); disabled by
    ``function(no_default_updates=...)``.
    """

    _is_shared_variable = True

    def __init__(
        self,
        name: str | None,
        type: Any,
        value: Any,
        strict: bool,
        allow_downcast: bool | None = None,
        container: Container | None = None,
    ) -> None:
        super().__init__(type=type, owner=None, index=None, name=name)
        if container is not None:
            self.container = container
            if value is not None or strict:
                raise TypeError("value and strict are ignored when a container is given")
        else:
            self.container = Container(
                type,
                [type.filter(value, strict=strict, allow_downcast=allow_downcast)],
                name=name,
                strict=strict,
                allow_downcast=allow_downcast,
            )
        self._shared_order = next(_order)

    # -- value access ----------------------------------------------------------------
    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        """The current value: a copy unless ``borrow=True`` (then the stored object itself)."""
        val = self.container.storage[0]
        return val if borrow else copy_value(val)

    def set_value(self, new_value: Any, borrow: bool = False) -> None:
        """Store ``new_value`` (filtered through the type); copied unless ``borrow=True``."""
        c = self.container
        try:
            val = self.type.filter(new_value, strict=c.strict, allow_downcast=c.allow_downcast)
        except TypeError as exc:
            raise TypeError(f"set_value of shared variable {self}: {exc}") from exc
        if not borrow and _may_alias(val, new_value):
            val = copy_value(val)
        c.storage[0] = val

    def zero(self, borrow: bool = False) -> None:
        """Set the value to zeros of the same shape (tensors only)."""
        val = self.container.storage[0]
        if borrow and isinstance(val, np.ndarray) and val.flags.writeable:
            val[...] = 0
        else:
            self.container.storage[0] = np.zeros_like(val)

    @property
    def value(self):  # pragma: no cover - Theano 0.x compatibility
        return self.get_value()

    # -- graph protocol ----------------------------------------------------------------
    def clone(self, **kwargs: Any) -> SharedVariable:
        """A variable of the same class and type that shares this one's container."""
        cp = self.__class__(
            name=kwargs.get("name", self.name),
            type=self.type,
            value=None,
            strict=False,
            container=self.container,
        )
        cp.tag = self.tag.copy()
        cp._shared_order = self._shared_order
        if hasattr(self, "default_update"):
            cp.default_update = self.default_update
        return cp

    def __str__(self) -> str:
        return self.name if self.name is not None else f"<shared {self.type}>"


def _may_alias(val: Any, original: Any) -> bool:
    if val is original:
        return True
    if isinstance(val, np.ndarray) and isinstance(original, np.ndarray):
        return bool(np.may_share_memory(val, original))
    return False


class TensorSharedVariable(_tensor_py_operators, SharedVariable):
    """A shared n-d array: supports every tensor operator (``s + 1``, ``s.T``, ``s[0]``...)."""


class ScalarSharedVariable(TensorSharedVariable):
    """A shared 0-d array made from a Python or NumPy scalar."""


# ---------------------------------------------------------------------------------------
# Constructor registry
# ---------------------------------------------------------------------------------------

_constructors: list[Callable[..., SharedVariable]] = []


def shared_constructor(ctor: Callable[..., SharedVariable], remove: bool = False):
    """Register (or with ``remove=True`` unregister) a shared-variable constructor.

    A constructor is called as ``ctor(value, name=, strict=, allow_downcast=, borrow=,
    **kwargs)`` and raises ``TypeError`` to decline the value. The last registered is
    tried first. Usable as a decorator.
    """
    if remove:
        _constructors.remove(ctor)
    elif ctor not in _constructors:
        _constructors.append(ctor)
    return ctor


def shared(
    value: Any,
    name: str | None = None,
    strict: bool = False,
    allow_downcast: bool | None = None,
    borrow: bool = False,
    **kwargs: Any,
) -> SharedVariable:
    """A shared variable holding ``value`` (copied unless ``borrow=True``).

    ``strict=True`` makes later ``set_value`` calls require the exact type;
    ``allow_downcast`` allows lossy conversions in ``set_value``. Extra keyword arguments
    go to the constructors (``broadcastable=``, ``shape=`` for tensors; plugins add theirs).
    """
    if isinstance(value, Variable):
        raise TypeError(
            f"shared() takes a value, not a symbolic variable ({value}); "
            "use the variable directly or evaluate it first"
        )
    declined = []
    for ctor in reversed(_constructors):
        try:
            var = ctor(
                value,
                name=name,
                strict=strict,
                allow_downcast=allow_downcast,
                borrow=borrow,
                **kwargs,
            )
        except TypeError as exc:
            declined.append(f"{getattr(ctor, '__name__', ctor)}: {exc}")
            continue
        var.tag.trace = user_trace(1)
        return var
    raise TypeError(
        f"No shared-variable constructor accepts value={_short(value)} with parameters {kwargs}. "
        "Tried (newest first):\n  " + "\n  ".join(declined)
    )


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) < 60 else s[:57] + "..."


@shared_constructor
def generic_constructor(
    value, name=None, strict=False, allow_downcast=None, borrow=False, **kwargs
):
    """Fallback: any Python object, stored as is (copied unless ``borrow``)."""
    if kwargs:
        raise TypeError(
            f"the generic shared constructor takes no extra parameters ({sorted(kwargs)})"
        )
    return SharedVariable(
        type=generic,
        value=value if borrow else copy_value(value),
        name=name,
        strict=strict,
        allow_downcast=allow_downcast,
    )


def _scalar_dtype(value: Any) -> str:
    from symcore.config import config

    if isinstance(value, np.generic):  # before float: np.float64 subclasses float
        return value.dtype.name
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return config.floatX
    if isinstance(value, complex):
        return "complex128"
    return np.asarray(value).dtype.name


@shared_constructor
def tensor_constructor(
    value,
    name=None,
    strict=False,
    allow_downcast=None,
    borrow=False,
    broadcastable=None,
    shape=None,
    target="cpu",
):
    """ndarrays and NumPy/Python scalars → ``TensorSharedVariable`` (host memory)."""
    if target != "cpu":
        raise TypeError(
            f"the tensor shared constructor only makes host ('cpu') values, not {target!r}"
        )
    is_scalar = isinstance(value, (bool, int, float, complex, np.generic))
    if not (is_scalar or isinstance(value, np.ndarray)):
        raise TypeError(f"expects an ndarray or a scalar, got {type(value).__name__}")
    if is_scalar:
        arr = np.asarray(value, dtype=_scalar_dtype(value))
    else:
        arr = value if borrow else value.copy()
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"arrays of dtype {arr.dtype} cannot be tensors")
    if shape is not None:
        ttype = TensorType(arr.dtype, broadcastable, shape=shape)
    else:
        if broadcastable is None:
            broadcastable = (False,) * arr.ndim
        ttype = TensorType(arr.dtype, broadcastable)
    cls = ScalarSharedVariable if (is_scalar and arr.ndim == 0) else TensorSharedVariable
    var = cls(type=ttype, value=arr, name=name, strict=strict, allow_downcast=allow_downcast)
    return var
