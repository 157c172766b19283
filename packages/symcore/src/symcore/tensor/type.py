"""``TensorType``: n-dimensional arrays of a dtype with a static broadcastable pattern."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Variable
from symcore.graph.type import Type

#: dtypes a TensorType may hold (Theano's set), by name.
ALL_DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)
INT_DTYPES = ("int8", "int16", "int32", "int64")
UINT_DTYPES = ("uint8", "uint16", "uint32", "uint64")
INTEGER_DTYPES = INT_DTYPES + UINT_DTYPES
DISCRETE_DTYPES = ("bool",) + INTEGER_DTYPES
FLOAT_DTYPES = ("float16", "float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
CONTINUOUS_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES


def resolve_dtype(dtype: Any) -> str:
    """Turn ``'floatX'``, numpy dtypes and aliases into one of ``ALL_DTYPES``."""
    if dtype == "floatX" or dtype is None:
        from symcore.config import config

        return config.floatX
    name = np.dtype(dtype).name
    if name not in ALL_DTYPES:
        raise TypeError(f"Unsupported dtype {dtype!r}; supported: {', '.join(ALL_DTYPES)}")
    return name


class TensorType(Type):
    """Arrays of ``dtype`` whose dimensions flagged in ``broadcastable`` have length 1.

    ``TensorType('float64', (False, True))`` is a column type. The ``shape=`` form gives
    static sizes (``None`` = unknown); a size of 1 makes the dimension broadcastable. Types
    compare by dtype and broadcastable pattern only, as in Theano: static sizes are
    checked on input but never make two otherwise equal types differ.
    """

    def __init__(
        self,
        dtype: Any,
        broadcastable: Iterable[bool] | None = None,
        name: str | None = None,
        shape: Sequence[int | None] | None = None,
    ) -> None:
        self.dtype = resolve_dtype(dtype)
        if shape is not None:
            shape = tuple(None if s is None else int(s) for s in shape)
            if broadcastable is not None and len(tuple(broadcastable)) != len(shape):
                raise ValueError("broadcastable and shape must have the same length")
            bc = tuple(s == 1 for s in shape)
            if broadcastable is not None:
                bc = tuple(bool(b) or s for b, s in zip(broadcastable, bc, strict=False))
        else:
            if broadcastable is None:
                raise TypeError("TensorType needs broadcastable= or shape=")
            bc = tuple(bool(b) for b in broadcastable)
            shape = tuple(1 if b else None for b in bc)
        self.broadcastable: tuple[bool, ...] = bc
        self.shape: tuple[int | None, ...] = shape
        self.name = name
        self.numpy_dtype = np.dtype(self.dtype)

    # -- identity --------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.broadcastable)

    def __eq__(self, other: Any) -> bool:
        return (
            type(self) is type(other)
            and self.dtype == other.dtype
            and self.broadcastable == other.broadcastable
        )

    def __hash__(self) -> int:
        return hash((type(self), self.dtype, self.broadcastable))

    def __str__(self) -> str:
        if self.name:
            return self.name
        named = {
            (): "scalar",
            (True,): "vector",
            (False,): "vector",
            (False, False): "matrix",
            (True, False): "row",
            (False, True): "col",
        }
        bc = self.broadcastable
        if bc in named and not (bc == (True,)):
            return f"TensorType({self.dtype}, {named[bc]})"
        return f"TensorType({self.dtype}, {bc})"

    __repr__ = __str__

    def clone(
        self, dtype: Any = None, broadcastable: Iterable[bool] | None = None, shape=None
    ) -> TensorType:
        """A type like this one with ``dtype`` and/or ``broadcastable``/``shape`` changed."""
        if dtype is None:
            dtype = self.dtype
        if shape is None and broadcastable is None:
            shape = self.shape
        return type(self)(dtype, broadcastable, shape=shape)

    # -- values ----------------------------------------------------------------------
    def filter(
        self, data: Any, strict: bool = False, allow_downcast: bool | None = None
    ) -> np.ndarray:
        """Validate ``data`` as a value of this type.

        Strict mode needs an ndarray of exactly this dtype. Otherwise arrays are cast when
        the cast is safe; Python scalars and lists when their values convert exactly (as in
        Theano: ``0.5`` into float32, ``2.0`` into int32); anything when ``allow_downcast``
        is True; ``allow_downcast=None`` also lets any Python float into floatX. Lossy values,
        wrong ndim or a size of non-1 on a broadcastable dimension are TypeErrors.
        """
        if isinstance(data, Variable):
            raise TypeError(
                f"Expected an array-like value, not a symbolic variable ({data}); "
                "use givens= to substitute variables"
            )
        if type(data) is np.ndarray and data.dtype == self.numpy_dtype:
            arr = data
        elif strict:
            if not isinstance(data, np.ndarray):
                raise TypeError(f"{self} expected an ndarray, got {type(data).__name__} (strict)")
            if data.dtype != self.numpy_dtype:
                raise TypeError(
                    f"{self} expected an ndarray of dtype {self.dtype}, got {data.dtype} (strict)"
                )
            arr = data
        else:
            arr = self._convert(data, allow_downcast)
        if arr.ndim != self.ndim:
            raise TypeError(
                f"Wrong number of dimensions: expected {self.ndim}, got {arr.ndim} "
                f"with shape {arr.shape}."
            )
        shp = arr.shape
        for i, (b, s) in enumerate(zip(self.broadcastable, self.shape, strict=False)):
            if b and shp[i] != 1:
                raise TypeError(
                    f"Non-unit value on shape on a broadcastable dimension: dimension {i} of a "
                    f"value of shape {shp} must be 1 for type {self} "
                    f"(broadcastable={self.broadcastable})"
                )
            if s is not None and shp[i] != s:
                raise TypeError(
                    f"Dimension {i} must have static size {s}, got value of shape {shp}"
                )
        return arr

    def _convert(self, data: Any, allow_downcast: bool | None) -> np.ndarray:
        target = self.numpy_dtype
        fast = _exact_python_scalar(data, target)
        if fast is not None:
            return fast
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            src = np.asarray(data)
            if src.dtype == target:
                return src
            if np.can_cast(src.dtype, target, "safe") or allow_downcast:
                return src.astype(target)
            raise TypeError(
                f"{self} cannot store a value of dtype {src.dtype} without risking loss of "
                "precision. If you do not mind this loss, you can: 1) explicitly cast your data "
                f'to {self.dtype}, or 2) set "allow_input_downcast=True" when calling function().'
            )
        # Python scalars and (nested) lists: converted like NumPy 2 weak scalars.
        try:
            as_default = np.asarray(data)
        except Exception as exc:
            raise TypeError(
                f"{self} cannot convert {type(data).__name__} to an array: {exc}"
            ) from exc
        if as_default.dtype == object:
            raise TypeError(f"{self} cannot convert a value of type {type(data).__name__}")
        if as_default.dtype == target:
            return as_default
        src_kind = as_default.dtype.kind
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            converted = as_default.astype(target)
            if allow_downcast or np.can_cast(as_default.dtype, target, "safe"):
                return converted
            exact = np.array_equal(converted.astype(as_default.dtype), as_default, equal_nan=True)
            if exact and src_kind in "iu" and target.kind in "iu" and as_default.size:
                # a round trip through a wrapped integer looks exact: check the range too
                info = np.iinfo(target)
                exact = info.min <= as_default.min() and as_default.max() <= info.max
        if exact:
            # Theano: a Python value is accepted when the conversion loses nothing
            # (0.5 or [1.0, 2.0] into float32, 2.0 into int32, ints that fit).
            return converted
        if src_kind == "f" and target.kind == "f" and allow_downcast is None:
            from symcore.config import config

            if self.dtype == config.floatX:
                return converted  # Theano: Python floats may always go into floatX
        raise TypeError(
            f"{self} cannot store the Python value {_short(data)} (as {as_default.dtype}) without "
            "risking loss of precision. If you do not mind this loss, you can: 1) explicitly cast "
            f'your data to {self.dtype}, or 2) set "allow_input_downcast=True" when calling '
            "function()."
        )

    def values_eq(self, a: Any, b: Any, force_same_dtype: bool = True) -> bool:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or (force_same_dtype and a.dtype != b.dtype):
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))

    def values_eq_approx(
        self,
        a: Any,
        b: Any,
        allow_remove_inf: bool = False,
        allow_remove_nan: bool = False,
        rtol: float | None = None,
        atol: float | None = None,
    ) -> bool:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind not in "fc":
            return bool(np.array_equal(a, b))
        if rtol is None:
            rtol = (
                1e-3
                if "float16" in (a.dtype.name, b.dtype.name)
                else (
                    1e-4
                    if "float32" in (a.dtype.name, b.dtype.name)
                    or "complex64" in (a.dtype.name, b.dtype.name)
                    else 1e-5
                )
            )
        if atol is None:
            atol = rtol * 1e-3 if rtol < 1e-4 else 1e-5
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))

    def data_signature(self, data: Any):
        arr = np.asarray(data)
        if arr.size <= 64:
            return (arr.dtype.name, arr.shape, arr.tobytes())
        return (arr.dtype.name, arr.shape, id(data))

    def may_share_memory(self, a: Any, b: Any) -> bool:
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            return bool(np.may_share_memory(a, b))
        return False

    # -- variables -------------------------------------------------------------------
    def make_variable(self, name: str | None = None):
        from symcore.tensor.variable import TensorVariable

        return TensorVariable(self, None, None, name)

    def make_constant(self, value: Any, name: str | None = None):
        from symcore.tensor.variable import TensorConstant

        return TensorConstant(self, value, name=name)

    @property
    def variable_type(self):  # type: ignore[override]
        from symcore.tensor.variable import TensorVariable

        return TensorVariable

    @property
    def constant_type(self):  # type: ignore[override]
        from symcore.tensor.variable import TensorConstant

        return TensorConstant

    def filter_variable(self, other: Any, allow_convert: bool = True):
        """``other`` as a variable of this type; converts constants and compatible patterns."""
        from symcore.tensor.basic import as_tensor_variable

        if not isinstance(other, Variable):
            other = as_tensor_variable(other, dtype=self.dtype, ndim=self.ndim)
        if other.type == self:
            return other
        if allow_convert:
            conv = self.convert_variable(other)
            if conv is not None:
                return conv
        raise TypeError(
            f"Cannot convert {other} of type {other.type} to {self}: "
            f"dtypes {getattr(other.type, 'dtype', '?')} vs {self.dtype}, broadcastable "
            f"{getattr(other.type, 'broadcastable', '?')} vs {self.broadcastable}"
        )

    def is_super(self, otype: Any) -> bool:
        """True when every value of ``otype`` fits this type (same dtype, looser pattern)."""
        return (
            isinstance(otype, TensorType)
            and otype.dtype == self.dtype
            and otype.ndim == self.ndim
            and all(
                sb <= ob for sb, ob in zip(self.broadcastable, otype.broadcastable, strict=False)
            )
        )

    def convert_variable(self, var: Variable):
        """Convert between broadcastable patterns of the same dtype (never changes values)."""
        vt = getattr(var, "type", None)
        if not isinstance(vt, TensorType) or vt.dtype != self.dtype or vt.ndim != self.ndim:
            return None
        if self == vt:
            return var
        if self.is_super(vt):
            from symcore.tensor.shape import patternbroadcast

            return patternbroadcast(var, self.broadcastable)
        if vt.is_super(self):
            from symcore.tensor.shape import patternbroadcast

            return patternbroadcast(var, self.broadcastable)
        return None

    def value_zeros(self, shape):
        return np.zeros(shape, dtype=self.dtype)

    def get_size(self, shape_info) -> int:
        return int(np.prod(shape_info)) * self.numpy_dtype.itemsize


def _short(data: Any) -> str:
    s = repr(data)
    return s if len(s) < 60 else s[:57] + "..."


def tensor_type(
    dtype: Any = None, ndim: int | None = None, shape=None, broadcastable=None
) -> TensorType:
    """Convenience constructor from ``ndim``, ``shape`` or ``broadcastable``."""
    if shape is not None:
        return TensorType(dtype, shape=shape)
    if broadcastable is not None:
        return TensorType(dtype, broadcastable)
    return TensorType(dtype, (False,) * (ndim or 0))


#: Integer and float ranges that Python ints convert into exactly, per target dtype.
_EXACT_INT_BOUNDS: dict[np.dtype, tuple[int, int]] = {}
for _dt in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
    _info = np.iinfo(_dt)
    _EXACT_INT_BOUNDS[np.dtype(_dt)] = (int(_info.min), int(_info.max))
_EXACT_INT_BOUNDS[np.dtype("float64")] = (-(2**53), 2**53)
_EXACT_INT_BOUNDS[np.dtype("float32")] = (-(2**24), 2**24)


def _exact_python_scalar(data: Any, target: np.dtype) -> np.ndarray | None:
    """The 0-d array of a Python ``int``/``float``/``bool`` when it converts into ``target``
    with no loss, decided without NumPy's generic conversion (the common case of a scalar
    argument: a loop count, a learning rate); None when the general rules must decide."""
    kind = type(data)
    if kind is int:
        bounds = _EXACT_INT_BOUNDS.get(target)
        if bounds is not None and bounds[0] <= data <= bounds[1]:
            return np.array(data, dtype=target)
    elif kind is float:
        if target.kind == "f" and target.itemsize == 8:
            return np.array(data, dtype=target)
    elif kind is bool and target.kind == "b":
        return np.array(data, dtype=target)
    return None
