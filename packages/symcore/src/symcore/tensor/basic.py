"""Making tensor variables: ``as_tensor_variable``, ``constant`` and the typed constructors
(``scalar``, ``vector``, ``dmatrix``, ``fscalars``...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Constant, Variable
from symcore.graph.utils import user_trace
from symcore.tensor.type import ALL_DTYPES, TensorType, resolve_dtype
from symcore.tensor.variable import TensorConstant, TensorVariable


def _python_scalar_dtype(x: Any) -> str | None:
    """The dtype a bare Python scalar gets when it has no other operand to follow."""
    from symcore.config import config

    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int64" if -(2**63) <= x < 2**63 else "uint64"
    if isinstance(x, float):
        return config.floatX
    if isinstance(x, complex):
        return "complex128" if config.floatX == "float64" else "complex64"
    return None


def constant(
    x: Any, name: str | None = None, ndim: int | None = None, dtype: Any = None
) -> TensorConstant:
    """A ``TensorConstant`` holding ``x``; dimensions of length 1 are broadcastable."""
    if dtype is None:
        dtype = _python_scalar_dtype(x)
    if dtype is not None:
        dtype = resolve_dtype(dtype)
        arr = np.asarray(x, dtype=dtype)
        if not _fits(x, arr):
            raise TypeError(f"constant {x!r} does not fit in dtype {dtype}")
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise TypeError(f"Cannot make a tensor constant from {type(x).__name__}: {x!r}")
        if arr.dtype.name not in _SUPPORTED and arr.dtype.kind == "U":
            raise TypeError(f"Cannot make a tensor constant from strings: {x!r}")
        arr = arr.astype(resolve_dtype(arr.dtype))
    if ndim is not None:
        if arr.ndim < ndim:
            arr = arr.reshape((1,) * (ndim - arr.ndim) + arr.shape)
        elif arr.ndim > ndim:
            squeeze = [i for i in range(arr.ndim - ndim) if arr.shape[i] == 1]
            if len(squeeze) != arr.ndim - ndim:
                raise ValueError(
                    f"Cannot make a {ndim}-d constant from a value of shape {arr.shape}"
                )
            arr = arr.reshape(arr.shape[arr.ndim - ndim :])
    ttype = TensorType(arr.dtype, shape=arr.shape)
    return TensorConstant(ttype, arr, name=name)


_SUPPORTED = set(ALL_DTYPES)


def _fits(x: Any, arr: np.ndarray) -> bool:
    if isinstance(x, (bool, int)) and arr.dtype.kind in "iu":
        return int(arr) == x
    return True


def as_tensor_variable(
    x: Any, name: str | None = None, ndim: int | None = None, dtype: Any = None
) -> TensorVariable:
    """Return ``x`` as a tensor variable: variables pass through, values become constants.

    ``ndim`` checks the number of dimensions: fewer are padded on the left with broadcastable
    dimensions, leading broadcastable dimensions beyond it are dropped (as in Theano);
    ``dtype`` is only used for values, never to cast a variable.
    """
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            conv = getattr(x.type, "as_tensor", None)
            if conv is None:
                raise TypeError(f"Variable {x} of type {x.type} cannot be used as a tensor")
            x = conv(x)
        if ndim is not None and x.ndim != ndim:
            if x.ndim < ndim:
                from symcore.tensor.shape import shape_padleft

                return shape_padleft(x, ndim - x.ndim)
            extra = x.ndim - ndim
            if all(x.type.broadcastable[:extra]):  # Theano: drop leading broadcastable dims
                return x.dimshuffle(list(range(extra, x.ndim)))
            raise TypeError(
                f"{x} of type {x.type} has {x.ndim} dimensions, expected {ndim} (only leading "
                "broadcastable dimensions can be dropped)"
            )
        return x
    if hasattr(x, "__symcore_tensor__"):
        return x.__symcore_tensor__()
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in _flatten(x)):
        from symcore.tensor.join import stack

        return stack([as_tensor_variable(e) for e in x])
    return constant(x, name=name, ndim=ndim, dtype=dtype)


as_tensor = as_tensor_variable


def _flatten(seq):
    for e in seq:
        if isinstance(e, (list, tuple)):
            yield from _flatten(e)
        else:
            yield e


def get_scalar_constant_value(v: Any, only_process_constants: bool = False):
    """The value of ``v`` when it is a known constant, else raise ``NotScalarConstantError``.

    Sees through casts, ``fill``, ``second`` and dimshuffles of constants when
    ``only_process_constants`` is False.
    """
    if isinstance(v, (int, float, complex, bool, np.number, np.bool_)):
        return np.asarray(v)
    if isinstance(v, np.ndarray):
        if v.size == 1:
            return v.reshape(())
        raise NotScalarConstantError(v)
    if isinstance(v, Constant):
        data = np.asarray(v.data)
        if data.size == 1:
            return data.reshape(())
        if data.size and (data == data.flat[0]).all():
            return data.flat[0]
        raise NotScalarConstantError(v)
    if not only_process_constants and isinstance(v, Variable) and v.owner is not None:
        fold = getattr(v.owner.op, "scalar_constant_value", None)
        if fold is not None:
            return fold(v.owner, v)
    raise NotScalarConstantError(v)


class NotScalarConstantError(Exception):
    """``get_scalar_constant_value`` could not prove the variable is a scalar constant."""


# ---------------------------------------------------------------------------------------
# Typed constructors: scalar, vector, ... and their dtype-letter / plural forms
# ---------------------------------------------------------------------------------------

_PATTERNS: dict[str, tuple[bool, ...] | None] = {
    "scalar": (),
    "vector": (False,),
    "matrix": (False, False),
    "row": (True, False),
    "col": (False, True),
    "tensor3": (False,) * 3,
    "tensor4": (False,) * 4,
    "tensor5": (False,) * 5,
    "tensor6": (False,) * 6,
    "tensor7": (False,) * 7,
}

_LETTERS = {
    "b": "int8",
    "w": "int16",
    "i": "int32",
    "l": "int64",
    "f": "float32",
    "d": "float64",
    "c": "complex64",
    "z": "complex128",
}


def _make(kind: str, name: str | None, dtype: Any, shape=None) -> TensorVariable:
    dtype = resolve_dtype(dtype)
    pattern = _PATTERNS[kind]
    if shape is not None:
        if len(shape) != len(pattern):
            raise ValueError(f"{kind} needs a shape of length {len(pattern)}, got {shape}")
        shape = tuple(1 if b else s for b, s in zip(pattern, shape, strict=False))
        return _traced(TensorType(dtype, shape=shape)(name))
    return _traced(TensorType(dtype, pattern)(name))


def _traced(var: TensorVariable) -> TensorVariable:
    """Record where the user created a free variable (shown by MissingInputError)."""
    var.tag.trace = user_trace(1)
    return var


def _constructor(kind: str, fixed_dtype: str | None = None):
    if fixed_dtype is None:

        def make(name: str | None = None, dtype: Any = None, shape=None) -> TensorVariable:
            return _make(kind, name, dtype, shape)

        make.__doc__ = f"A symbolic {kind} variable (dtype defaults to floatX)."
    else:

        def make(name: str | None = None, shape=None) -> TensorVariable:  # type: ignore[misc]
            return _make(kind, name, fixed_dtype, shape)

        make.__doc__ = f"A symbolic {fixed_dtype} {kind} variable."
    make.__name__ = kind if fixed_dtype is None else _letter_of(fixed_dtype) + kind
    return make


def _letter_of(dtype: str) -> str:
    return {v: k for k, v in _LETTERS.items()}[dtype]


def _plural(single):
    def make_many(*names: Any, **kwargs: Any) -> list[TensorVariable]:
        if len(names) == 1 and isinstance(names[0], int):
            return [single(**kwargs) for _ in range(names[0])]
        return [single(n, **kwargs) for n in names]

    make_many.__name__ = single.__name__ + "s"
    make_many.__doc__ = f"Several {single.__name__} variables, one per name (or an int count)."
    return make_many


_exports: dict[str, Any] = {}
for _kind in _PATTERNS:
    _exports[_kind] = _constructor(_kind)
    _exports[_kind + "s"] = _plural(_exports[_kind]) if _kind != "scalar" else None
    for _letter, _dtype in _LETTERS.items():
        _fn = _constructor(_kind, _dtype)
        _exports[_letter + _kind] = _fn
        _exports[_letter + _kind + "s"] = _plural(_fn)
_exports["scalars"] = _plural(_exports["scalar"])
_exports["matrices"] = _exports.pop("matrixs")
for _letter in _LETTERS:
    _exports[_letter + "matrices"] = _exports.pop(_letter + "matrixs")
for _k in [k for k, v in _exports.items() if v is None]:
    del _exports[_k]
globals().update(_exports)

tensor_constructor_names = sorted(_exports)


def tensor(
    dtype: Any = None,
    broadcastable: Sequence[bool] | None = None,
    name: str | None = None,
    shape: Sequence[int | None] | None = None,
    ndim: int | None = None,
) -> TensorVariable:
    """A symbolic tensor. Theano form ``tensor(dtype, broadcastable, name)`` or
    ``tensor(dtype, shape=...)``/``tensor(dtype, ndim=...)``."""
    if (
        isinstance(dtype, str)
        and broadcastable is None
        and shape is None
        and ndim is None
        and dtype not in _SUPPORTED
        and dtype != "floatX"
    ):
        raise TypeError(f"Unknown dtype {dtype!r}")
    if shape is None and broadcastable is None:
        broadcastable = (False,) * (ndim or 0)
    if isinstance(broadcastable, int):
        broadcastable = (False,) * broadcastable
    return _traced(TensorType(dtype, broadcastable, shape=shape)(name))
