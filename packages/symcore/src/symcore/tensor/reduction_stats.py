"""Statistics built from reductions: ``mean``, ``var``, ``std`` (Theano's signatures, NumPy's
values) and ``norm``. They are graphs of ``Sum``/``Max`` and elementwise Ops, so their
gradients come from those.

Dtypes: the mean of float16/float32/complex64 keeps its dtype; the mean of integers and bool
is float64 (as NumPy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Variable
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.math import abs as _abs
from symcore.tensor.math import cast, neq, sqr
from symcore.tensor.math_special import sqrt
from symcore.tensor.reduction import max as _max
from symcore.tensor.reduction import min as _min
from symcore.tensor.reduction import normalize_axis
from symcore.tensor.reduction import sum as _sum
from symcore.tensor.type import COMPLEX_DTYPES, DISCRETE_DTYPES

__all__ = ["mean", "var", "std", "norm"]

_SMALL = ("float16", "float32", "complex64")


def _count(x: Variable, axes: tuple[int, ...]) -> Variable:
    """The number of elements reduced over ``axes`` of ``x``, as an int64 scalar."""
    static = [x.type.shape[d] for d in axes]
    if all(s is not None for s in static):
        return constant(int(np.prod(static, dtype=np.int64)), dtype="int64")
    from symcore.tensor.shape import shape_i

    n: Variable = constant(1, dtype="int64")
    for d in axes:
        n = n * shape_i(x, d)
    return n


def _count_as(n: Variable, dtype: str) -> Variable:
    """``n`` in the float dtype that divides a value of ``dtype`` without upcasting it."""
    return cast(n, "float32" if dtype in _SMALL else "float64")


def mean(
    input: Any,
    axis: Any = None,
    dtype: Any = None,
    op: bool = False,
    keepdims: bool = False,
    acc_dtype: Any = None,
) -> Variable:
    """Mean over ``axis`` (None = all; int, negative or tuple). float32 stays float32;
    integers give float64; ``dtype`` sets the dtype of the sum (and so of the result)."""
    x = as_tensor_variable(input)
    axes = normalize_axis(axis, x.ndim, "mean")
    sum_dtype = dtype
    if (
        sum_dtype == "float16" or (sum_dtype is None and x.dtype == "float16")
    ) and acc_dtype != "float16":
        sum_dtype = "float32"  # float16 sums overflow too easily
    s = _sum(x, axis=axes, dtype=sum_dtype, keepdims=keepdims, acc_dtype=acc_dtype)
    out = s / _count_as(_count(x, axes), s.dtype)
    if out.dtype in DISCRETE_DTYPES:
        out = cast(out, "float64")
    if dtype == "float16" or (dtype is None and x.dtype == "float16"):
        out = cast(out, "float16")
    return out


def _centered(x: Variable, axes: tuple[int, ...]) -> Variable:
    return x - mean(x, axes, keepdims=True)


def var(
    input: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, corrected: bool = False
) -> Variable:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (divides by
    ``N - ddof``, N the number of reduced elements, as NumPy). ``corrected=True`` uses the
    corrected two-pass algorithm (subtracts the rounding error of the mean)."""
    if isinstance(ddof, bool):
        raise ValueError(
            "var: ddof must be an int; keepdims is now the 4th parameter "
            "(input, axis=None, ddof=0, keepdims=False, corrected=False)"
        )
    x = as_tensor_variable(input)
    axes = normalize_axis(axis, x.ndim, "var")
    c = _centered(x, axes)
    sq = sqr(_abs(c)) if c.dtype in COMPLEX_DTYPES else sqr(c)
    if ddof == 0:
        v = mean(sq, axes, keepdims=keepdims)
    else:
        n = _count(x, axes)
        v = _sum(sq, axis=axes, keepdims=keepdims) / _count_as(n - ddof, sq.dtype)
    if corrected:
        if ddof == 0:
            err = sqr(_abs(mean(c, axes, keepdims=keepdims)))
        else:
            n = _count(x, axes)
            err = sqr(_abs(_sum(c, axis=axes, keepdims=keepdims))) / _count_as(
                n * (n - ddof), sq.dtype
            )
        v = v - err
    v.name = "var"
    return v


def std(
    input: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, corrected: bool = False
) -> Variable:
    """Standard deviation: ``sqrt(var(input, axis, ddof, keepdims, corrected))``."""
    if isinstance(ddof, bool):
        raise ValueError(
            "std: ddof must be an int; keepdims is now the 4th parameter "
            "(input, axis=None, ddof=0, keepdims=False, corrected=False)"
        )
    ret = sqrt(var(input, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected))
    ret.name = "std"
    return ret


def norm(x: Any, L: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The L-norm over ``axis`` (vector norms, as ``numpy.linalg.norm(ord=L)`` on the
    flattened axes): ``(sum |x|**L) ** (1/L)``; ``L=inf``/``-inf`` give max/min of ``|x|``,
    ``L=0`` the number of non-zeros. Integer inputs are computed in float64."""
    x = as_tensor_variable(x)
    if x.dtype in DISCRETE_DTYPES:
        x = cast(x, "float64")
    axes = normalize_axis(axis, x.ndim, "norm")
    a = _abs(x)
    L = float(L)
    if L == 0:
        return cast(_sum(neq(x, 0), axis=axes, keepdims=keepdims), a.dtype)
    if np.isinf(L):
        return (_max if L > 0 else _min)(a, axis=axes, keepdims=keepdims)
    if L == 1:
        return _sum(a, axis=axes, keepdims=keepdims)
    if L == 2:
        return sqrt(_sum(sqr(a), axis=axes, keepdims=keepdims))
    return _sum(a**L, axis=axes, keepdims=keepdims) ** (1.0 / L)
