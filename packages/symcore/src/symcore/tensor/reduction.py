"""Reductions: ``CAReduce`` and its named forms (``Sum``, ``Prod``, ``Max``, ``Min``, ``All``,
``Any``), ``Argmax``/``Argmin``/``MaxAndArgmax``, and the functions ``sum prod max min argmax
argmin max_and_argmax any all`` (``mean var std norm`` live in ``reduction_stats``).

Every reduction Op holds its axes as a sorted tuple of non-negative ints once it is part of a
node: ``make_node`` resolves ``axis=None`` (all axes) and negative axes against the input and
puts an Op with explicit axes in the node, so that ``sum(x)`` and ``sum(x, axis=(0, 1))`` on a
matrix are the same node.

Dtypes follow Theano: ``sum``/``prod`` of bool and signed ints give int64, of unsigned ints
uint64; floats keep their dtype (float16/float32 accumulate in a wider dtype internally);
``max``/``min`` keep the input dtype; ``any``/``all`` give bool; ``argmax``/``argmin`` give int64.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any as _Any

import numpy as np

import symcore.scalar as ps
from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.graph.type import DisconnectedType
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.type import CONTINUOUS_DTYPES, DISCRETE_DTYPES, TensorType, resolve_dtype

__all__ = [
    "CAReduce",
    "CAReduceDtype",
    "Sum",
    "Prod",
    "ProdWithoutZeros",
    "Max",
    "Min",
    "All",
    "Any",
    "Argmax",
    "Argmin",
    "MaxAndArgmax",
    "sum",
    "prod",
    "max",
    "min",
    "argmax",
    "argmin",
    "max_and_argmax",
    "any",
    "all",
]

AxisLike = _Any  # int, sequence of ints, None, or a constant tensor holding them


# ---------------------------------------------------------------------------------------
# Axis handling
# ---------------------------------------------------------------------------------------


def normalize_axis(axis: AxisLike, ndim: int, who: str = "reduction") -> tuple[int, ...]:
    """``axis`` (int, sequence, ``None`` = all, negative allowed) as a sorted tuple of axes.

    Raises ``numpy.exceptions.AxisError`` for an axis out of range and ``ValueError`` for a
    repeated axis; ``who`` names the operation in the message.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Variable):
        data = getattr(axis, "data", None)
        if data is None:
            raise TypeError(f"{who}: axis must be known when the graph is built, got {axis}")
        axis = np.asarray(data).tolist()
    if isinstance(axis, np.ndarray):
        axis = axis.tolist()
    if not isinstance(axis, (list, tuple)):
        axis = [axis]
    out: list[int] = []
    for a in axis:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"{who}: axis entries must be integers, got {a!r}") from None
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{who}: axis {a} is out of bounds for an input with {ndim} dimension(s)"
            )
        a = a % ndim if ndim else a
        if a in out:
            raise ValueError(f"{who}: axis {a} is repeated in {tuple(axis)}")
        out.append(a)
    return tuple(sorted(out))


def keep_dims(x: Variable, out: Variable, axis: AxisLike) -> Variable:
    """Reinsert the reduced ``axis`` of ``x`` as broadcastable dimensions of ``out``."""
    axes = normalize_axis(axis, x.ndim)
    pattern: list[_Any] = []
    i = 0
    for d in range(x.ndim):
        if d in axes:
            pattern.append("x")
        else:
            pattern.append(i)
            i += 1
    return out.dimshuffle(pattern)


def _expand_pattern(ndim: int, axes: Sequence[int]) -> list[_Any]:
    pattern: list[_Any] = []
    i = 0
    for d in range(ndim):
        if d in axes:
            pattern.append("x")
        else:
            pattern.append(i)
            i += 1
    return pattern


def _reduced_type(x: Variable, axes: Sequence[int], dtype: str) -> TensorType:
    keep = [d for d in range(x.ndim) if d not in axes]
    shape = tuple(x.type.shape[d] for d in keep)
    bc = tuple(x.type.broadcastable[d] for d in keep)
    return TensorType(dtype, bc, shape=shape)


def _describe(x: np.ndarray) -> str:
    return f"shape={tuple(x.shape)} dtype={x.dtype}"


def _check_nonempty(op: Op, x: np.ndarray, axes: tuple[int, ...], what: str) -> None:
    """``what`` has no identity: reducing an axis of length 0 fails (as in NumPy, even when
    the result itself is empty)."""
    empty = [d for d in axes if x.shape[d] == 0]
    if empty:
        raise ValueError(
            f"{op}: cannot compute the {what} of an empty array ({_describe(x)}) along axis "
            f"{tuple(empty)}: the {what} has no identity"
        )


# ---------------------------------------------------------------------------------------
# CAReduce: the generic commutative-associative reduction
# ---------------------------------------------------------------------------------------

_UFUNC_BY_NAME = {
    "add": np.add,
    "mul": np.multiply,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "and_": np.bitwise_and,
    "or_": np.bitwise_or,
    "xor": np.bitwise_xor,
    "and": np.bitwise_and,
    "or": np.bitwise_or,
}


def _numpy_reducer(scalar_op: _Any) -> np.ufunc:
    """The NumPy ufunc whose ``reduce`` computes a reduction by ``scalar_op``."""
    for attr in ("nfunc", "ufunc"):
        fn = getattr(scalar_op, attr, None)
        if isinstance(fn, np.ufunc):
            return fn
        if isinstance(fn, str) and isinstance(getattr(np, fn, None), np.ufunc):
            return getattr(np, fn)
    spec = getattr(scalar_op, "nfunc_spec", None)
    if spec and isinstance(getattr(np, spec[0], None), np.ufunc):
        return getattr(np, spec[0])
    name = getattr(scalar_op, "name", None) or type(scalar_op).__name__.lower()
    if name in _UFUNC_BY_NAME:
        return _UFUNC_BY_NAME[name]
    raise NotImplementedError(f"CAReduce: no NumPy reduction known for scalar op {scalar_op}")


class CAReduce(Op):
    """Reduce the ``axis`` dimensions of a tensor with a commutative, associative scalar op.

    ``CAReduce(symcore.scalar.add, axis=(0,))`` sums the rows of a matrix; ``axis=None``
    reduces every axis. The output keeps the input dtype (subclasses refine this).
    """

    __props__: tuple[str, ...] = ("scalar_op", "axis")

    def __init__(self, scalar_op: _Any, axis: AxisLike = None) -> None:
        self.scalar_op = scalar_op
        self.axis = _axis_prop(axis)

    # -- naming ----------------------------------------------------------------------
    def _extra_str(self) -> list[str]:
        return []

    def __str__(self) -> str:
        parts = []
        if type(self) is CAReduce or type(self) is CAReduceDtype:
            parts.append(str(getattr(self.scalar_op, "name", None) or self.scalar_op))
        if self.axis is not None:
            parts.append(f"axis={self.axis}")
        parts += self._extra_str()
        cls = type(self).__name__
        return f"{cls}{{{', '.join(parts)}}}" if parts else cls

    __repr__ = __str__

    # -- building --------------------------------------------------------------------
    def _with(self, **changes: _Any) -> CAReduce:
        props = self._props_dict()
        props.update(changes)
        new = type(self)(**props)
        return self if new == self else new

    def _output_dtype(self, idtype: str) -> str:
        return idtype

    def _resolved(self, x: Variable) -> CAReduce:
        """This op with its axes (and dtypes) made explicit for input ``x``."""
        return self._with(axis=normalize_axis(self.axis, x.ndim, str(self)))

    def make_node(self, x: _Any) -> Apply:
        x = as_tensor_variable(x)
        op = self._resolved(x)
        out = _reduced_type(x, op.axis, op._output_dtype(x.dtype))()
        return Apply(op, [x], [out])

    # -- running ---------------------------------------------------------------------
    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        out_dtype = node.outputs[0].dtype
        ufunc = _numpy_reducer(self.scalar_op)
        if ufunc.identity is None:
            _check_nonempty(self, x, self.axis, ufunc.__name__)
        if not self.axis:
            res = np.array(x, dtype=out_dtype, copy=True)
        else:
            res = ufunc.reduce(x, axis=self.axis, dtype=out_dtype)
        output_storage[0][0] = np.asarray(res, dtype=out_dtype)

    def infer_shape(self, node: Apply, input_shapes):
        (shp,) = input_shapes
        return [tuple(s for d, s in enumerate(shp) if d not in self.axis)]

    def L_op(self, inputs, outputs, output_grads):
        """A generic reduction by add/mul/maximum/minimum differentiates as its named form."""
        named = {"add": Sum, "mul": Prod, "maximum": Max, "minimum": Min}.get(
            getattr(self.scalar_op, "name", None)
        )
        if named is None or type(self) not in (CAReduce, CAReduceDtype):
            from symcore.gradient import grad_not_implemented

            return [
                grad_not_implemented(
                    self, 0, inputs[0], f"no gradient for a reduction by {self.scalar_op}"
                )
            ]
        return named(self.axis).L_op(inputs, outputs, output_grads)

    def _grad_pattern(self, x: Variable) -> list[_Any]:
        return _expand_pattern(x.ndim, self.axis)


def _axis_prop(axis: AxisLike) -> tuple[int, ...] | None:
    if axis is None:
        return None
    if isinstance(axis, Variable):
        data = getattr(axis, "data", None)
        if data is None:
            raise TypeError(f"reduction axis must be a constant, got {axis}")
        axis = np.asarray(data).tolist()
    if isinstance(axis, np.ndarray):
        axis = axis.tolist()
    if not isinstance(axis, (list, tuple)):
        axis = [axis]
    out = []
    for a in axis:
        try:
            out.append(operator.index(a))
        except TypeError:
            raise TypeError(f"reduction axis entries must be integers, got {a!r}") from None
    if not [a for a in out if a < 0]:  # (``all`` is this module's reduction)
        return tuple(sorted(out))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# Sum and Prod: reductions with an output dtype and an accumulation dtype
# ---------------------------------------------------------------------------------------

_DEFAULT_DTYPE = {
    "bool": "int64",
    "int8": "int64",
    "int16": "int64",
    "int32": "int64",
    "uint8": "uint64",
    "uint16": "uint64",
    "uint32": "uint64",
}
_DEFAULT_ACC = dict(_DEFAULT_DTYPE, float16="float32", float32="float64", complex64="complex128")


class CAReduceDtype(CAReduce):
    """A ``CAReduce`` with an output ``dtype`` and an accumulation ``acc_dtype`` (Theano).

    ``dtype=None`` gives int64 for bool and signed ints, uint64 for unsigned ints and keeps
    other dtypes; ``acc_dtype=None`` accumulates float16/float32/complex64 in the next wider
    dtype. An explicit ``acc_dtype`` that would lose precision is a TypeError.
    """

    __props__ = ("scalar_op", "axis", "dtype", "acc_dtype")

    def __init__(
        self, scalar_op: _Any, axis: AxisLike = None, dtype: _Any = None, acc_dtype: _Any = None
    ):
        super().__init__(scalar_op, axis)
        self.dtype = None if dtype is None else resolve_dtype(dtype)
        self.acc_dtype = None if acc_dtype is None else resolve_dtype(acc_dtype)

    def _extra_str(self) -> list[str]:
        if self.acc_dtype is not None and self.acc_dtype != self.dtype:
            return [f"acc_dtype={self.acc_dtype}"]
        return []

    def _resolved(self, x: Variable) -> CAReduce:
        axis = normalize_axis(self.axis, x.ndim, str(self))
        dtype = self.dtype or _DEFAULT_DTYPE.get(x.dtype, x.dtype)
        acc = self.acc_dtype
        if acc is None:
            acc = np.result_type(
                _DEFAULT_ACC.get(x.dtype, x.dtype), _DEFAULT_ACC.get(dtype, dtype)
            ).name
            if dtype == "bool":
                acc = "bool"
        elif not (
            np.can_cast(x.dtype, acc, "safe")
            or (x.dtype in DISCRETE_DTYPES and acc in CONTINUOUS_DTYPES)
        ):
            raise TypeError(
                f"Cannot build {type(self).__name__} node with input dtype {x.dtype} and "
                f"acc_dtype {acc}, as precision would be lost. To correct this error, you can "
                f"either set acc_dtype={x.dtype} or increase it (e.g. to float64)."
            )
        return self._with(axis=axis, dtype=dtype, acc_dtype=acc)

    def _output_dtype(self, idtype: str) -> str:
        return self.dtype

    def _numpy_fn(self):
        return _numpy_reducer(self.scalar_op).reduce

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        if not self.axis:
            res = np.array(x, dtype=self.acc_dtype, copy=True)
        else:
            res = self._numpy_fn()(x, axis=self.axis, dtype=self.acc_dtype)
        output_storage[0][0] = np.asarray(res, dtype=self.dtype)


def _float_zeros_like(x: Variable) -> Variable:
    """Theano's gradient for an input of an integer-valued reduction: floatX zeros."""
    from symcore.config import config

    return x.zeros_like(dtype=config.floatX)


class Sum(CAReduceDtype):
    """Sum over ``axis`` (Theano's ``Sum{axis=..., acc_dtype=...}``)."""

    __props__ = ("axis", "dtype", "acc_dtype")

    def __init__(self, axis: AxisLike = None, dtype: _Any = None, acc_dtype: _Any = None) -> None:
        super().__init__(ps.add, axis, dtype, acc_dtype)

    def _numpy_fn(self):
        return np.sum

    def L_op(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if outputs[0].dtype not in CONTINUOUS_DTYPES:
            return [_float_zeros_like(x)]
        gx = _broadcast_back(x, gz.dimshuffle(self._grad_pattern(x)))
        return [_cast_grad(gx, x)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]


class Prod(CAReduceDtype):
    """Product over ``axis``. Its gradient is right when the input holds zeros, unless
    ``no_zeros_in_input=True`` promises there are none (a cheaper gradient)."""

    __props__ = ("axis", "dtype", "acc_dtype", "no_zeros_in_input")

    def __init__(
        self,
        axis: AxisLike = None,
        dtype: _Any = None,
        acc_dtype: _Any = None,
        no_zeros_in_input: bool = False,
    ) -> None:
        super().__init__(ps.mul, axis, dtype, acc_dtype)
        self.no_zeros_in_input = bool(no_zeros_in_input)

    def _numpy_fn(self):
        return np.prod

    def L_op(self, inputs, outputs, output_grads):
        from symcore.tensor.math import eq, switch

        (x,), (out,), (gz,) = inputs, outputs, output_grads
        if out.dtype not in CONTINUOUS_DTYPES:
            return [_float_zeros_like(x)]
        pattern = self._grad_pattern(x)
        gz_b = gz.dimshuffle(pattern)
        out_b = out.dimshuffle(pattern)
        if self.no_zeros_in_input:
            return [_cast_grad(gz_b * out_b / x, x)]
        # Theano's rule: in a group without zeros d(prod)/dx_i = prod / x_i; in a group with
        # exactly one zero x_k, x_k gets the product of the others and every other x_i gets
        # x_k * (that product) / x_i, which is 0 but written so that its derivative with
        # respect to x_k is right (second derivatives); groups with two zeros or more have a
        # zero gradient.
        is_zero = eq(x, 0)
        n_zeros = Sum(self.axis, dtype="int64")(is_zero).dimshuffle(pattern)
        safe_x = switch(is_zero, 1, x)
        no_zero_grad = out_b / safe_x
        others = ProdWithoutZeros(self.axis, dtype=out.dtype)(x).dimshuffle(pattern)
        the_zero = Sum(self.axis, dtype=out.dtype)(x * is_zero).dimshuffle(pattern)
        one_zero_grad = switch(is_zero, others, the_zero * others / safe_x)
        gx = switch(eq(n_zeros, 0), no_zero_grad, switch(eq(n_zeros, 1), one_zero_grad, 0)) * gz_b
        return [_cast_grad(gx, x)]


class ProdWithoutZeros(CAReduceDtype):
    """Product of the non-zero elements over ``axis`` (1 for a group of zeros only); used by
    the gradient of ``Prod``.

    The function jumps where an element crosses 0, so it has no derivative there; its
    gradient takes zeros as constants (``prod / x`` at non-zero ``x``, 0 at zeros), which is
    what the second derivatives of ``Prod`` need (exact with at most one zero per group).
    """

    __props__ = ("axis", "dtype", "acc_dtype")

    def __init__(self, axis: AxisLike = None, dtype: _Any = None, acc_dtype: _Any = None) -> None:
        super().__init__(ps.mul, axis, dtype, acc_dtype)

    def _numpy_fn(self):
        def prod_nonzero(x, axis, dtype):
            return np.prod(np.where(x == 0, np.ones((), x.dtype), x), axis=axis, dtype=dtype)

        return prod_nonzero

    def L_op(self, inputs, outputs, output_grads):
        from symcore.tensor.math import eq, switch

        (x,), (out,), (gz,) = inputs, outputs, output_grads
        if out.dtype not in CONTINUOUS_DTYPES:
            return [_float_zeros_like(x)]
        pattern = self._grad_pattern(x)
        is_zero = eq(x, 0)
        gx = switch(is_zero, 0, out.dimshuffle(pattern) / switch(is_zero, 1, x)) * gz.dimshuffle(
            pattern
        )
        return [_cast_grad(gx, x)]


# ---------------------------------------------------------------------------------------
# Max, Min, All, Any
# ---------------------------------------------------------------------------------------


class _Extremum(CAReduce):
    """Common part of ``Max`` and ``Min`` (NaN propagates as in NumPy; reducing an empty
    axis is an error, since neither has an identity)."""

    __props__ = ("axis",)
    _what = "maximum"

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        _check_nonempty(self, x, self.axis, self._what)
        fn = np.max if self._what == "maximum" else np.min
        res = fn(x, axis=self.axis) if self.axis else np.array(x, copy=True)
        output_storage[0][0] = np.asarray(res, dtype=node.outputs[0].dtype)

    def L_op(self, inputs, outputs, output_grads):
        from symcore.tensor.math import eq

        (x,), (out,), (gz,) = inputs, outputs, output_grads
        if x.dtype not in CONTINUOUS_DTYPES:
            return [_float_zeros_like(x)]
        pattern = self._grad_pattern(x)
        # every position equal to the extremum gets the gradient (Theano's rule for ties)
        return [_cast_grad(eq(x, out.dimshuffle(pattern)) * gz.dimshuffle(pattern), x)]


class Max(_Extremum):
    """Maximum over ``axis``."""

    def __init__(self, axis: AxisLike = None) -> None:
        super().__init__(ps.maximum, axis)


class Min(_Extremum):
    """Minimum over ``axis``."""

    _what = "minimum"

    def __init__(self, axis: AxisLike = None) -> None:
        super().__init__(ps.minimum, axis)


class _BoolReduce(CAReduce):
    """``All``/``Any``: bool output; the input is read as truth values."""

    __props__ = ("axis",)
    differentiable = False

    def _output_dtype(self, idtype: str) -> str:
        return "bool"

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        fn = np.all if isinstance(self, All) else np.any
        res = fn(x, axis=self.axis) if self.axis else (np.asarray(x) != 0)
        output_storage[0][0] = np.asarray(res, dtype=bool)

    def L_op(self, inputs, outputs, output_grads):
        return [_float_zeros_like(inputs[0])]


class All(_BoolReduce):
    """True where every element over ``axis`` is non-zero."""

    def __init__(self, axis: AxisLike = None) -> None:
        super().__init__(ps.and_, axis)


class Any(_BoolReduce):
    """True where some element over ``axis`` is non-zero."""

    def __init__(self, axis: AxisLike = None) -> None:
        super().__init__(ps.or_, axis)


# ---------------------------------------------------------------------------------------
# Argmax, Argmin, MaxAndArgmax
# ---------------------------------------------------------------------------------------


def _arg_extremum(op: Op, x: np.ndarray, axes: tuple[int, ...], fn, what: str) -> np.ndarray:
    """``fn`` (np.argmax/np.argmin) over several axes: they are moved last and flattened."""
    if not axes:
        return np.zeros(x.shape, dtype="int64")
    _check_nonempty(op, x, axes, what)
    if len(axes) == 1:
        return np.asarray(fn(x, axis=axes[0]), dtype="int64")
    keep = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, keep + list(axes))
    flat = moved.reshape([x.shape[d] for d in keep] + [-1])
    return np.asarray(fn(flat, axis=-1), dtype="int64")


class _ArgExtremum(Op):
    """Common part of ``Argmax`` and ``Argmin``: an int64 index over ``axis`` (several axes
    index their flattened block, in C order)."""

    __props__ = ("axis",)
    differentiable = False
    _fn = staticmethod(np.argmax)
    _what = "argmax"

    def __init__(self, axis: AxisLike = None) -> None:
        self.axis = _axis_prop(axis)

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}{{axis={self.axis}}}"
            if self.axis is not None
            else type(self).__name__
        )

    __repr__ = __str__

    def make_node(self, x: _Any) -> Apply:
        x = as_tensor_variable(x)
        axis = normalize_axis(self.axis, x.ndim, str(self))
        op = self if axis == self.axis else type(self)(axis)
        return Apply(op, [x], [_reduced_type(x, axis, "int64")()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        output_storage[0][0] = _arg_extremum(self, inputs[0], self.axis, self._fn, self._what)

    def infer_shape(self, node: Apply, input_shapes):
        return [tuple(s for d, s in enumerate(input_shapes[0]) if d not in self.axis)]

    def L_op(self, inputs, outputs, output_grads):
        return [_float_zeros_like(inputs[0])]


class Argmax(_ArgExtremum):
    """Index of the maximum over ``axis`` (int64)."""


class Argmin(_ArgExtremum):
    """Index of the minimum over ``axis`` (int64)."""

    _fn = staticmethod(np.argmin)
    _what = "argmin"


class MaxAndArgmax(Op):
    """The maximum over ``axis`` and its index, as two outputs (Theano's ``MaxAndArgmax``)."""

    __props__ = ("axis",)

    def __init__(self, axis: AxisLike = None) -> None:
        self.axis = _axis_prop(axis)

    def make_node(self, x: _Any) -> Apply:
        x = as_tensor_variable(x)
        axis = normalize_axis(self.axis, x.ndim, str(self))
        op = self if axis == self.axis else type(self)(axis)
        return Apply(
            op, [x], [_reduced_type(x, axis, x.dtype)(), _reduced_type(x, axis, "int64")()]
        )

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        _check_nonempty(self, x, self.axis, "maximum")
        mx = np.max(x, axis=self.axis) if self.axis else np.array(x, copy=True)
        output_storage[0][0] = np.asarray(mx, dtype=node.outputs[0].dtype)
        output_storage[1][0] = _arg_extremum(self, x, self.axis, np.argmax, "argmax")

    def infer_shape(self, node: Apply, input_shapes):
        shp = tuple(s for d, s in enumerate(input_shapes[0]) if d not in self.axis)
        return [shp, shp]

    def L_op(self, inputs, outputs, output_grads):
        from symcore.tensor.math import eq

        (x,) = inputs
        g_max = output_grads[0]
        if isinstance(g_max.type, DisconnectedType) or x.dtype not in CONTINUOUS_DTYPES:
            return [_float_zeros_like(x) if x.dtype not in CONTINUOUS_DTYPES else x.zeros_like()]
        pattern = _expand_pattern(x.ndim, self.axis)
        return [_cast_grad(eq(x, outputs[0].dimshuffle(pattern)) * g_max.dimshuffle(pattern), x)]


# ---------------------------------------------------------------------------------------
# Gradient helpers
# ---------------------------------------------------------------------------------------


def _broadcast_back(x: Variable, g: Variable) -> Variable:
    """``g`` (with broadcastable dims where ``x`` was reduced) broadcast to the shape of ``x``."""
    from symcore.tensor.math import second

    return second(x, g)


def _cast_grad(g: Variable, x: Variable) -> Variable:
    """The gradient in the dtype of the variable it is taken with respect to."""
    if g.dtype != x.dtype and x.dtype in CONTINUOUS_DTYPES:
        from symcore.tensor.math import cast

        return cast(g, x.dtype)
    return g


# ---------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------


def _finish(x: Variable, out: Variable, axis: AxisLike, keepdims: bool) -> Variable:
    return keep_dims(x, out, axis) if keepdims else out


def sum(
    input: _Any,
    axis: AxisLike = None,
    dtype: _Any = None,
    keepdims: bool = False,
    acc_dtype: _Any = None,
) -> Variable:
    """Sum over ``axis`` (None = all; int, negative or tuple). Bool and ints give int64
    (unsigned: uint64) unless ``dtype`` is given; float32 stays float32."""
    x = as_tensor_variable(input)
    axis = normalize_axis(axis, x.ndim, "sum")
    return _finish(x, Sum(axis, dtype=dtype, acc_dtype=acc_dtype)(x), axis, keepdims)


def prod(
    input: _Any,
    axis: AxisLike = None,
    dtype: _Any = None,
    keepdims: bool = False,
    acc_dtype: _Any = None,
    no_zeros_in_input: bool = False,
) -> Variable:
    """Product over ``axis``; dtypes as ``sum``. ``no_zeros_in_input=True`` promises the
    input has no zeros, which gives a cheaper gradient."""
    x = as_tensor_variable(input)
    axis = normalize_axis(axis, x.ndim, "prod")
    op = Prod(axis, dtype=dtype, acc_dtype=acc_dtype, no_zeros_in_input=no_zeros_in_input)
    return _finish(x, op(x), axis, keepdims)


def max(x: _Any, axis: AxisLike = None, keepdims: bool = False) -> Variable:
    """Maximum over ``axis`` (input dtype). An empty axis is a ValueError at run time."""
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim, "max")
    return _finish(x, Max(axis)(x), axis, keepdims)


def min(x: _Any, axis: AxisLike = None, keepdims: bool = False) -> Variable:
    """Minimum over ``axis`` (input dtype). An empty axis is a ValueError at run time."""
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim, "min")
    return _finish(x, Min(axis)(x), axis, keepdims)


def argmax(x: _Any, axis: AxisLike = None, keepdims: bool = False) -> Variable:
    """Index (int64) of the maximum over ``axis``; over several axes, the index into their
    flattened block (C order), as NumPy's ``argmax`` of the flattened array for ``None``."""
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim, "argmax")
    return _finish(x, Argmax(axis)(x), axis, keepdims)


def argmin(x: _Any, axis: AxisLike = None, keepdims: bool = False) -> Variable:
    """Index (int64) of the minimum over ``axis``."""
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim, "argmin")
    return _finish(x, Argmin(axis)(x), axis, keepdims)


def max_and_argmax(a: _Any, axis: AxisLike = None, keepdims: bool = False) -> list[Variable]:
    """``[max(a, axis), argmax(a, axis)]`` computed by one node."""
    x = as_tensor_variable(a)
    axis = normalize_axis(axis, x.ndim, "max_and_argmax")
    mx, am = MaxAndArgmax(axis)(x)
    return [_finish(x, mx, axis, keepdims), _finish(x, am, axis, keepdims)]


def all(x: _Any, axis: AxisLike = None, keepdims: bool = False) -> Variable:
    """True (bool) where all elements over ``axis`` are non-zero; True for an empty axis."""
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim, "all")
    return _finish(x, All(axis)(x), axis, keepdims)


def any(x: _Any, axis: AxisLike = None, keepdims: bool = False) -> Variable:
    """True (bool) where some element over ``axis`` is non-zero; False for an empty axis."""
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim, "any")
    return _finish(x, Any(axis)(x), axis, keepdims)
