"""``ScalarType``: 0-d values of one dtype, the variables of scalar graphs (``Composite``).

Also the dtype rules shared by scalar ops and the tensor math functions: NumPy 2
promotion (NEP 50) with Python scalars treated as *weak* operands.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Constant, Variable
from symcore.graph.type import Type

__all__ = [
    "ScalarType", "ScalarVariable", "ScalarConstant", "get_scalar_type", "as_scalar",
    "constant", "is_weak_scalar", "promote_dtypes", "weak_result_dtype",
    "discrete_dtypes", "integer_dtypes", "float_dtypes", "complex_dtypes", "continuous_dtypes",
]

discrete_dtypes = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
integer_dtypes = discrete_dtypes[1:]
float_dtypes = ("float16", "float32", "float64")
complex_dtypes = ("complex64", "complex128")
continuous_dtypes = float_dtypes + complex_dtypes
_ALL = discrete_dtypes + continuous_dtypes


def is_weak_scalar(x: Any) -> bool:
    """True for Python ``bool/int/float/complex`` values (NEP 50 *weak* operands).

    NumPy scalars and arrays are strong: they keep their dtype in promotion.
    """
    return isinstance(x, (int, float, complex)) and not isinstance(x, np.generic)


def _python_default_dtype(x: Any) -> str:
    from symcore.config import config

    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int64" if -(2**63) <= x < 2**63 else "uint64"
    if isinstance(x, float):
        return config.floatX
    return "complex128" if config.floatX == "float64" else "complex64"


def weak_result_dtype(strong_dtypes: Sequence[str], weak_values: Sequence[Any]) -> str:
    """The dtype NumPy 2 gives to an operation on arrays of ``strong_dtypes`` and Python
    scalars ``weak_values``: ``float32`` with ``0.1`` stays ``float32``, ``int8`` with ``1``
    stays ``int8``, ``int32`` with ``0.5`` becomes ``float64``.

    With no strong operand, Python scalars get their default dtype (int64, floatX, bool).
    """
    if not strong_dtypes:
        strong_dtypes = [_python_default_dtype(weak_values[0])]
        weak_values = weak_values[1:]
    return np.result_type(*[np.dtype(d) for d in strong_dtypes], *weak_values).name


def promote_dtypes(*dtypes: str) -> str:
    """NumPy's ``result_type`` of dtype names, as a name."""
    return np.result_type(*[np.dtype(d) for d in dtypes]).name


class ScalarType(Type):
    """A 0-d value of ``dtype`` (held as a NumPy scalar). Used inside scalar graphs."""

    def __init__(self, dtype: Any) -> None:
        if dtype == "floatX":
            from symcore.config import config

            dtype = config.floatX
        name = np.dtype(dtype).name
        if name not in _ALL:
            raise TypeError(f"ScalarType: unsupported dtype {dtype!r}")
        self.dtype = name
        self.numpy_dtype = np.dtype(name)

    ndim = 0
    broadcastable = ()

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash((ScalarType, self.dtype))

    def __str__(self) -> str:
        return self.dtype

    def __repr__(self) -> str:
        return f"ScalarType({self.dtype})"

    def clone(self, dtype: Any = None, **kwargs: Any) -> ScalarType:
        return ScalarType(dtype or self.dtype)

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None):
        if strict:
            if not isinstance(data, np.generic) or data.dtype != self.numpy_dtype:
                raise TypeError(
                    f"{self!r} expected a numpy {self.dtype} scalar, got {data!r} (strict)"
                )
            return data
        arr = np.asarray(data)
        if arr.ndim != 0:
            raise TypeError(f"{self!r} expected a scalar, got a value of shape {arr.shape}")
        if arr.dtype != self.numpy_dtype:
            safe = np.can_cast(arr.dtype, self.numpy_dtype, "safe")
            if not (allow_downcast or safe or is_weak_scalar(data)):
                raise TypeError(
                    f"{self!r} cannot hold {data!r} of dtype {arr.dtype} without loss of precision"
                )
            arr = arr.astype(self.numpy_dtype)
        return self.numpy_dtype.type(arr)

    def values_eq(self, a: Any, b: Any) -> bool:
        nan_ok = self.dtype in continuous_dtypes
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=nan_ok))

    def values_eq_approx(self, a: Any, b: Any) -> bool:
        return bool(np.allclose(a, b, equal_nan=True))

    def data_signature(self, data: Any):
        return (self.dtype, np.asarray(data).tobytes())

    def make_variable(self, name: str | None = None) -> ScalarVariable:
        return ScalarVariable(self, None, None, name)

    def make_constant(self, value: Any, name: str | None = None) -> ScalarConstant:
        return ScalarConstant(self, value, name=name)

    variable_type = property(lambda self: ScalarVariable)  # type: ignore[assignment]
    constant_type = property(lambda self: ScalarConstant)  # type: ignore[assignment]


_scalar_types: dict[str, ScalarType] = {}


def get_scalar_type(dtype: Any) -> ScalarType:
    """The (cached) ``ScalarType`` of ``dtype``."""
    t = _scalar_types.get(dtype) if isinstance(dtype, str) else None
    if t is None:
        t = ScalarType(dtype)
        _scalar_types[t.dtype] = t
        if isinstance(dtype, str):
            _scalar_types[dtype] = t
    return t


#: name -> ScalarType for every supported dtype (re-exported as ``symcore.scalar.float64``...).
SCALAR_TYPES = {d: get_scalar_type(d) for d in _ALL}


def _S():
    return sys.modules["symcore.scalar"]


class _scalar_py_operators:
    """Arithmetic operators on scalar variables, building scalar-op nodes."""

    @property
    def dtype(self) -> str:
        return self.type.dtype

    ndim = 0

    def __add__(self, o):
        return _S().add(self, o)

    def __radd__(self, o):
        return _S().add(o, self)

    def __sub__(self, o):
        return _S().sub(self, o)

    def __rsub__(self, o):
        return _S().sub(o, self)

    def __mul__(self, o):
        return _S().mul(self, o)

    def __rmul__(self, o):
        return _S().mul(o, self)

    def __truediv__(self, o):
        return _S().true_div(self, o)

    def __rtruediv__(self, o):
        return _S().true_div(o, self)

    def __floordiv__(self, o):
        return _S().int_div(self, o)

    def __rfloordiv__(self, o):
        return _S().int_div(o, self)

    def __mod__(self, o):
        return _S().mod(self, o)

    def __rmod__(self, o):
        return _S().mod(o, self)

    def __pow__(self, o):
        return _S().pow(self, o)

    def __rpow__(self, o):
        return _S().pow(o, self)

    def __neg__(self):
        return _S().neg(self)

    def __abs__(self):
        return _S().abs(self)

    def __lt__(self, o):
        return _S().lt(self, o)

    def __le__(self, o):
        return _S().le(self, o)

    def __gt__(self, o):
        return _S().gt(self, o)

    def __ge__(self, o):
        return _S().ge(self, o)

    def __and__(self, o):
        return _S().and_(self, o)

    def __rand__(self, o):
        return _S().and_(o, self)

    def __or__(self, o):
        return _S().or_(self, o)

    def __ror__(self, o):
        return _S().or_(o, self)

    def __xor__(self, o):
        return _S().xor(self, o)

    def __rxor__(self, o):
        return _S().xor(o, self)

    def __invert__(self):
        return _S().invert(self)

    def __bool__(self) -> bool:
        return True

    def astype(self, dtype):
        return _S().cast(self, dtype)


class ScalarVariable(_scalar_py_operators, Variable):
    """A symbolic scalar of a scalar graph."""

    __hash__ = Variable.__hash__


class ScalarConstant(_scalar_py_operators, Constant):
    """A constant scalar of a scalar graph."""

    __hash__ = Constant.__hash__

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        v = self.data.item()
        return repr(v) if not isinstance(v, float) or np.isfinite(v) else str(v)

    def signature(self):
        return (self.type, self.type.data_signature(self.data))


def constant(x: Any, dtype: Any = None, name: str | None = None) -> ScalarConstant:
    """A ``ScalarConstant``; Python numbers get their default dtype unless ``dtype`` is given."""
    if dtype is None:
        dtype = _python_default_dtype(x) if is_weak_scalar(x) else np.asarray(x).dtype.name
    t = get_scalar_type(dtype)
    value = np.asarray(x, dtype=t.numpy_dtype) if is_weak_scalar(x) else np.asarray(x)
    if value.ndim != 0:
        raise TypeError(f"scalar constant needs a 0-d value, got shape {value.shape}")
    return ScalarConstant(t, t.filter(value, allow_downcast=True), name=name)


def as_scalar(x: Any, dtype: Any = None) -> ScalarVariable:
    """``x`` as a scalar variable: scalar variables pass, 0-d tensors/values become constants."""
    if isinstance(x, Variable):
        if isinstance(x.type, ScalarType):
            return x
        if isinstance(x, Constant) and np.ndim(x.data) == 0:
            return constant(np.asarray(x.data))
        raise TypeError(f"Cannot use {x} of type {x.type} as a scalar")
    return constant(x, dtype=dtype)
