"""Making arrays from shapes: ``Alloc``/``AllocEmpty`` (``zeros``, ``ones``, ``full``,
``zeros_like``...), ``Eye``, ``Tri`` and ``tril``/``triu``, and ``ARange``; plus the shape
and integer-argument helpers the structure modules share (diagonals live in
``symcore.tensor.diagonal``).

Shape arguments are integer scalars: Python ints, NumPy integers or symbolic int
scalars (``x.shape[0]``); a whole shape may also be a list/tuple of those or an int
vector of statically known length (``x.shape``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.config import config
from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.basic import (
    NotScalarConstantError,
    as_tensor_variable,
    constant,
    get_scalar_constant_value,
)
from symcore.tensor.math import ceil, maximum
from symcore.tensor.type import DISCRETE_DTYPES, INTEGER_DTYPES, TensorType, resolve_dtype

__all__ = [
    "Alloc",
    "alloc",
    "AllocEmpty",
    "alloc_empty",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "Eye",
    "eye",
    "identity_like",
    "Tri",
    "tri",
    "TriangularPart",
    "tril",
    "triu",
    "ARange",
    "arange",
]


# ---------------------------------------------------------------------------------------
# helpers shared by the structure modules (join, extra_ops, sort, diagonal, search)
# ---------------------------------------------------------------------------------------


def const_int(v: Any) -> int | None:
    """The Python int value of a constant integer scalar ``v``, else None."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, Variable) and getattr(v.type, "ndim", None) != 0:
        return None
    try:
        val = get_scalar_constant_value(v)
    except NotScalarConstantError:
        return None
    val = np.asarray(val)
    if val.dtype.kind not in "iu":
        return None
    return int(val)


def as_int_scalar(x: Any, opname: str, what: str) -> Variable:
    """``x`` as a 0-d integer tensor variable; TypeError naming ``opname`` otherwise."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{opname}: {what} must be an integer, got a bool ({x!r})")
    if isinstance(x, (float, np.floating)):
        raise TypeError(f"{opname}: {what} must be an integer, got {type(x).__name__} {x!r}")
    v = as_tensor_variable(x)
    if v.ndim != 0:
        raise TypeError(f"{opname}: {what} must be a scalar, got {v.ndim}-d {v.type}")
    if v.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{opname}: {what} must have an integer dtype, got {v.dtype} ({v})")
    return v


def as_shape_scalars(shape: Sequence[Any] | Any, opname: str) -> list[Variable]:
    """Normalise a shape (ints, int scalars, a list of those or an int vector) to a list of
    0-d int variables; constant entries become int64 constants."""
    if isinstance(shape, (list, tuple)) and len(shape) == 1 and _is_whole_shape(shape[0]):
        shape = shape[0]  # alloc(v, (2, 3)), zeros([n, m]), alloc(v, x.shape)
    if isinstance(shape, np.ndarray):
        shape = shape.tolist() if shape.ndim == 1 else [shape.item()]
    if isinstance(shape, Variable):
        if shape.ndim == 0:
            shape = [shape]
        elif shape.ndim == 1:
            shape = _vector_entries(shape, opname)
        else:
            raise TypeError(
                f"{opname}: a shape must be a list of scalars or an int vector, got {shape.type}"
            )
    elif not isinstance(shape, (list, tuple)):
        shape = [shape]
    out = []
    for i, s in enumerate(shape):
        v = as_int_scalar(s, opname, f"shape entry {i}")
        c = const_int(v)
        if c is not None:
            if c < 0:
                raise ValueError(
                    f"{opname}: shape entry {i} is negative ({c}); shape = {_show_shape(shape)}"
                )
            if not (isinstance(v, Constant) and v.dtype == "int64"):
                v = constant(c, dtype="int64")
        out.append(v)
    return out


def _is_whole_shape(s: Any) -> bool:
    if isinstance(s, Variable):
        return s.ndim == 1
    return isinstance(s, (list, tuple)) or (isinstance(s, np.ndarray) and s.ndim == 1)


def _vector_entries(vec: Variable, opname: str) -> list[Any]:
    if vec.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{opname}: a shape vector must have an integer dtype, got {vec.dtype}")
    if isinstance(vec, Constant):
        return [int(s) for s in np.asarray(vec.data)]
    if vec.owner is not None and type(vec.owner.op).__name__ == "MakeVector":
        return list(vec.owner.inputs)
    n = vec.type.shape[0]
    if n is None:
        raise ValueError(
            f"{opname}: the length of the shape vector {vec} is not known when the graph is "
            "built; pass a list of scalars instead (e.g. [x.shape[0], x.shape[1]])"
        )
    return [vec[i] for i in range(n)]


def _show_shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def shape_as_int64(s: Any):
    """A shape entry as an int64 scalar (Python ints pass through)."""
    if isinstance(s, (int, np.integer)):
        return int(s)
    if isinstance(s, Variable) and s.dtype != "int64":
        c = const_int(s)
        if c is not None:
            return constant(c, dtype="int64")
        return s.astype("int64")
    return s


def grad_for_discrete(x: Variable):
    """Gradient w.r.t. an integer/bool input: float zeros, as Theano does."""
    return zeros_like(x, dtype=config.floatX)


# ---------------------------------------------------------------------------------------
# Alloc / AllocEmpty
# ---------------------------------------------------------------------------------------


class Alloc(Op):
    """``Alloc()(value, *shape)``: a new array of ``shape`` filled with ``value`` broadcast to it.

    ``value`` aligns with the trailing dimensions; a dimension of ``value`` may be broadcast
    only when its type says it is broadcastable (length 1), as in PyTensor: a
    non-broadcastable length-1 dimension stretched at run time is a ValueError, because
    the gradient could not know to sum over it.
    """

    __props__ = ()

    def make_node(self, value: Any, *shape: Any) -> Apply:
        v = as_tensor_variable(value)
        sh = as_shape_scalars(shape, "Alloc")
        if len(sh) < v.ndim:
            raise ValueError(
                f"Alloc: the value has {v.ndim} dimensions ({v.type}) but the shape has only "
                f"{len(sh)} entries"
            )
        n_new = len(sh) - v.ndim
        static: list[int | None] = []
        for i, s in enumerate(sh):
            c = const_int(s)
            if i >= n_new:
                j = i - n_new
                vs = v.type.shape[j]
                if c is not None and vs is not None and vs != c and vs != 1:
                    raise ValueError(
                        f"Alloc: cannot broadcast a value of static shape {v.type.shape} to "
                        f"shape {_show_shape([const_int(e) for e in sh])} (dimension {i})"
                    )
                if c is None and vs is not None and not v.type.broadcastable[j]:
                    c = vs  # non-broadcastable dims must match exactly
            static.append(c)
        out = TensorType(v.dtype, shape=static)()
        return Apply(self, [v, *sh], [out])

    def perform(self, node, inputs, output_storage, params=None):
        v, *sh = inputs
        shape = tuple(int(s) for s in sh)
        if any(s < 0 for s in shape):
            raise ValueError(f"Alloc: negative dimension in shape {shape}")
        n_new = len(shape) - v.ndim
        bc = node.inputs[0].type.broadcastable
        for j, vs in enumerate(v.shape):
            os_ = shape[n_new + j]
            if vs != os_ and not (vs == 1 and bc[j]):
                raise ValueError(
                    f"Alloc: cannot broadcast a value of shape {v.shape} to shape {shape}: "
                    f"dimension {n_new + j} has length {vs} in the value and {os_} in the shape"
                    + (
                        " (runtime broadcasting of a dimension not marked broadcastable is not "
                        "allowed)"
                        if vs == 1
                        else ""
                    )
                )
        dtype = node.outputs[0].type.numpy_dtype
        if v.size == 1 and not v.any():
            out = np.zeros(shape, dtype=dtype)
        else:
            out = np.empty(shape, dtype=dtype)
            out[...] = v
        output_storage[0][0] = out

    def infer_shape(self, node, input_shapes):
        return [tuple(shape_as_int64(s) for s in node.inputs[1:])]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def L_op(self, inputs, outputs, output_grads):
        v = inputs[0]
        g = output_grads[0]
        out = outputs[0]
        n_new = out.ndim - v.ndim
        axes = list(range(n_new))
        kept_bcast = []
        for j in range(v.ndim):
            if v.type.broadcastable[j] and not out.type.broadcastable[n_new + j]:
                axes.append(n_new + j)
                kept_bcast.append(j)
        gv = g.sum(axis=tuple(axes)) if axes else g
        if kept_bcast:
            pattern: list[Any] = []
            k = 0
            for j in range(v.ndim):
                if j in kept_bcast:
                    pattern.append("x")
                else:
                    pattern.append(k)
                    k += 1
            gv = gv.dimshuffle(pattern)
        if gv.dtype != v.dtype:
            gv = gv.astype(v.dtype)
        return [gv] + [disconnected_type() for _ in inputs[1:]]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], *inputs[1:])]

    def do_constant_folding(self, fgraph, node) -> bool:
        """Do not fold an alloc that is a graph output or feeds an Op that can work in
        place (folding would turn a cheap fill into a big constant copied every call)."""
        clients = (
            getattr(fgraph, "clients", {}).get(node.outputs[0], []) if fgraph is not None else []
        )
        if not clients:
            return False
        for client, idx in clients:
            if client == "output":
                return False
            name = type(client.op).__name__
            if name == "Elemwise":
                return False
            if idx == 0 and name in (
                "IncSubtensor",
                "AdvancedIncSubtensor1",
                "AdvancedIncSubtensor",
                "Gemv",
                "Gemm",
                "Ger",
                "Dot22",
            ):
                return False
        return True


alloc_op = Alloc()


def alloc(value: Any, *shape: Any):
    """``value`` broadcast to ``shape`` (Theano ``T.alloc(value, *shape)``)."""
    return alloc_op(value, *shape)


def _any_values_equal(a: Any, b: Any) -> bool:
    """``values_eq_approx`` of uninitialised memory: any two values are as good."""
    return True


class AllocEmpty(Op):
    """``AllocEmpty(dtype)(*shape)``: an uninitialised array (values are arbitrary)."""

    __props__ = ("dtype",)
    differentiable = False

    def __init__(self, dtype: Any) -> None:
        self.dtype = resolve_dtype(dtype)

    def make_node(self, *shape: Any) -> Apply:
        sh = as_shape_scalars(shape, "AllocEmpty")
        out = TensorType(self.dtype, shape=[const_int(s) for s in sh])()
        # uninitialised memory: DebugMode/NanGuardMode do not judge its values (Theano's tags)
        out.tag.values_eq_approx = _any_values_equal
        out.tag.nan_guard_mode_check = False
        return Apply(self, sh, [out])

    def perform(self, node, inputs, output_storage, params=None):
        shape = tuple(int(s) for s in inputs)
        if any(s < 0 for s in shape):
            raise ValueError(f"AllocEmpty: negative dimension in shape {shape}")
        output_storage[0][0] = np.empty(shape, dtype=self.dtype)

    def infer_shape(self, node, input_shapes):
        return [tuple(shape_as_int64(s) for s in node.inputs)]

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    def L_op(self, inputs, outputs, output_grads):
        return [disconnected_type() for _ in inputs]

    def do_constant_folding(self, fgraph, node) -> bool:
        return False


def alloc_empty(shape: Any, dtype: Any = None):
    """An uninitialised array of ``shape`` (``AllocEmpty``); dtype defaults to floatX."""
    return AllocEmpty(resolve_dtype(dtype))(*as_shape_scalars(shape, "AllocEmpty"))


empty = alloc_empty


def _shape_arg(shape: Any) -> Any:
    if isinstance(shape, (int, np.integer)) or (isinstance(shape, Variable) and shape.ndim == 0):
        return [shape]
    return shape


def zeros(shape: Any, dtype: Any = None):
    """An array of zeros of ``shape`` (ints, int scalars, a list, or ``x.shape``); dtype
    defaults to floatX."""
    return alloc(
        np.array(0, dtype=resolve_dtype(dtype)), *as_shape_scalars(_shape_arg(shape), "zeros")
    )


def ones(shape: Any, dtype: Any = None):
    """An array of ones of ``shape``; dtype defaults to floatX."""
    return alloc(
        np.array(1, dtype=resolve_dtype(dtype)), *as_shape_scalars(_shape_arg(shape), "ones")
    )


def _fill_value(value: Any, dtype: Any):
    """``value`` as a 0-d tensor of ``dtype`` (NumPy's unsafe cast for constants)."""
    if isinstance(value, Variable):
        v = as_tensor_variable(value)
        if dtype is not None and v.dtype != resolve_dtype(dtype):
            v = v.astype(resolve_dtype(dtype))
        return v
    if dtype is None:
        return as_tensor_variable(value)
    return constant(np.asarray(value).astype(resolve_dtype(dtype)))


def full(shape: Any, fill_value: Any, dtype: Any = None):
    """``numpy.full``: an array of ``shape`` filled with ``fill_value`` (dtype of the value
    unless ``dtype`` is given)."""
    v = _fill_value(fill_value, dtype)
    return alloc(v, *as_shape_scalars(_shape_arg(shape), "full"))


def zeros_like(x: Any, dtype: Any = None, opt: bool = False):
    """Zeros with the shape of ``x`` and its dtype (or ``dtype``); Theano's ``fill(x, 0)``."""
    x = as_tensor_variable(x)
    dtype = x.dtype if dtype is None else resolve_dtype(dtype)
    return x.fill(constant(np.array(0, dtype=dtype)))


def ones_like(x: Any, dtype: Any = None, opt: bool = False):
    """Ones with the shape of ``x`` and its dtype (or ``dtype``)."""
    x = as_tensor_variable(x)
    dtype = x.dtype if dtype is None else resolve_dtype(dtype)
    return x.fill(constant(np.array(1, dtype=dtype)))


def full_like(x: Any, fill_value: Any, dtype: Any = None):
    """``numpy.full_like``: ``fill_value`` with the shape of ``x``; dtype defaults to
    ``x``'s (the value is cast, as NumPy does)."""
    x = as_tensor_variable(x)
    return x.fill(_fill_value(fill_value, x.dtype if dtype is None else dtype))


def empty_like(x: Any, dtype: Any = None):
    """An uninitialised array with the shape of ``x``."""
    x = as_tensor_variable(x)
    shp = x.shape
    return AllocEmpty(x.dtype if dtype is None else dtype)(*[shp[i] for i in range(x.ndim)])


# ---------------------------------------------------------------------------------------
# Eye / Tri / tril / triu
# ---------------------------------------------------------------------------------------


class _MatrixMaker(Op):
    """Base of ``Eye`` and ``Tri``: ``op(n, m, k)`` makes an ``n``×``m`` matrix of ``dtype``."""

    __props__ = ("dtype",)
    differentiable = False
    _np_fn: Any = None

    def __init__(self, dtype: Any = None) -> None:
        self.dtype = resolve_dtype(dtype)

    def make_node(self, n: Any, m: Any, k: Any) -> Apply:
        name = type(self).__name__
        n = as_int_scalar(n, name, "n")
        m = as_int_scalar(m, name, "m")
        k = as_int_scalar(k, name, "k")
        out = TensorType(self.dtype, shape=(const_int(n), const_int(m)))()
        return Apply(self, [n, m, k], [out])

    def perform(self, node, inputs, output_storage, params=None):
        n, m, k = (int(i) for i in inputs)
        if n < 0 or m < 0:
            raise ValueError(f"{type(self).__name__}: negative dimensions n={n}, m={m}")
        output_storage[0][0] = np.asarray(type(self)._np_fn(n, m, k, dtype=self.dtype))

    def infer_shape(self, node, input_shapes):
        return [(shape_as_int64(node.inputs[0]), shape_as_int64(node.inputs[1]))]

    def connection_pattern(self, node):
        return [[False], [False], [False]]

    def L_op(self, inputs, outputs, output_grads):
        return [disconnected_type() for _ in inputs]


class Eye(_MatrixMaker):
    """``Eye(dtype)(n, m, k)``: ones on the ``k``-th diagonal (``numpy.eye``)."""

    _np_fn = staticmethod(lambda n, m, k, dtype: np.eye(n, m, k, dtype=dtype))


class Tri(_MatrixMaker):
    """``Tri(dtype)(N, M, k)``: ones at and below the ``k``-th diagonal (``numpy.tri``)."""

    _np_fn = staticmethod(lambda n, m, k, dtype: np.tri(n, m, k, dtype=dtype))


def eye(n: Any, m: Any = None, k: Any = 0, dtype: Any = None):
    """``numpy.eye``: an ``n``×``m`` matrix with ones on diagonal ``k`` (dtype floatX)."""
    return Eye(dtype)(n, n if m is None else m, k)


def identity_like(x: Any, dtype: Any = None):
    """An identity matrix with the shape and dtype of the matrix ``x``."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"identity_like: expected a matrix, got {x.ndim}-d {x.type}")
    shp = x.shape
    return eye(shp[0], shp[1], 0, dtype=x.dtype if dtype is None else dtype)


def tri(N: Any, M: Any = None, k: Any = 0, dtype: Any = None):
    """``numpy.tri``: ones at and below diagonal ``k`` (dtype floatX)."""
    return Tri(dtype)(N, N if M is None else M, k)


class TriangularPart(Op):
    """``TriangularPart(lower)(m, k)``: ``numpy.tril`` (lower) or ``numpy.triu`` over the last
    two axes. Elements outside are exactly 0, even where ``m`` is inf or nan."""

    __props__ = ("lower",)

    def __init__(self, lower: bool) -> None:
        self.lower = bool(lower)

    def __str__(self) -> str:
        return "Tril" if self.lower else "Triu"

    def make_node(self, m: Any, k: Any) -> Apply:
        m = as_tensor_variable(m)
        if m.ndim < 2:
            raise TypeError(f"{self}: needs at least 2 dimensions, got {m.ndim}-d {m.type}")
        k = as_int_scalar(k, str(self), "k")
        return Apply(self, [m, k], [m.type.clone(shape=m.type.shape)()])

    def perform(self, node, inputs, output_storage, params=None):
        m, k = inputs
        fn = np.tril if self.lower else np.triu
        output_storage[0][0] = np.asarray(fn(m, int(k)), dtype=node.outputs[0].type.numpy_dtype)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[True], [False]]

    def L_op(self, inputs, outputs, output_grads):
        return [self(output_grads[0], inputs[1]), disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1])]


def tril(m: Any, k: Any = 0):
    """``numpy.tril``: ``m`` with elements above diagonal ``k`` zeroed (last two axes)."""
    return TriangularPart(True)(m, k)


def triu(m: Any, k: Any = 0):
    """``numpy.triu``: ``m`` with elements below diagonal ``k`` zeroed (last two axes)."""
    return TriangularPart(False)(m, k)


# ---------------------------------------------------------------------------------------
# ARange
# ---------------------------------------------------------------------------------------


class ARange(Op):
    """``ARange(dtype)(start, stop, step)``: ``numpy.arange(start, stop, step, dtype=dtype)``."""

    __props__ = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.dtype = resolve_dtype(dtype)

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        ins = []
        for name, v in (("start", start), ("stop", stop), ("step", step)):
            v = as_tensor_variable(v)
            if v.ndim != 0:
                raise TypeError(f"ARange: {name} must be a scalar, got {v.ndim}-d {v.type}")
            if v.dtype.startswith("complex"):
                raise TypeError(f"ARange: {name} cannot be complex ({v.dtype})")
            ins.append(v)
        length = None
        try:
            vals = [get_scalar_constant_value(v) for v in ins]
            if float(vals[2]) != 0:
                length = len(np.arange(*[np.asarray(x).item() for x in vals], dtype=self.dtype))
        except (NotScalarConstantError, ValueError, OverflowError, TypeError):
            length = None
        out = TensorType(self.dtype, shape=(length,))()
        return Apply(self, ins, [out])

    def perform(self, node, inputs, output_storage, params=None):
        start, stop, step = (np.asarray(i).item() for i in inputs)
        if step == 0:
            raise ValueError(f"ARange: step must not be zero (start={start}, stop={stop})")
        output_storage[0][0] = np.arange(start, stop, step, dtype=self.dtype)

    def infer_shape(self, node, input_shapes):
        start, stop, step = node.inputs
        if all(v.dtype in DISCRETE_DTYPES for v in node.inputs):
            start, stop, step = (
                v.astype("int64") if v.dtype != "int64" else v for v in node.inputs
            )
            n = -((start - stop) // step)
        else:
            n = ceil((stop.astype("float64") - start) / step).astype("int64")
        return [(maximum(n, 0),)]

    def connection_pattern(self, node):
        return [[True], [False], [True]]

    def L_op(self, inputs, outputs, output_grads):
        start, stop, step = inputs
        gz = output_grads[0]
        if self.dtype in DISCRETE_DTYPES:
            return [grad_for_discrete(start), disconnected_type(), grad_for_discrete(step)]
        n = outputs[0].shape[0]
        g_start = gz.sum()
        g_step = (gz * arange(n, dtype=self.dtype)).sum()
        res = []
        for inp, gr in ((start, g_start), (step, g_step)):
            if inp.dtype in DISCRETE_DTYPES:
                res.append(grad_for_discrete(inp))
            else:
                res.append(gr.astype(inp.dtype) if gr.dtype != inp.dtype else gr)
        return [res[0], disconnected_type(), res[1]]


def _arange_dtype(args: Sequence[Any]) -> str:
    """NumPy's arange dtype with NEP 50 weak Python scalars: integers give int64 (NumPy's
    default int); floats follow the strongest float input, so float32 bounds stay float32
    (NumPy would give float64 — Theano kept float32); only Python floats give floatX."""
    strong = [np.dtype(a.dtype) for a in args if isinstance(a, Variable)]
    strong += [a.dtype for a in args if isinstance(a, (np.ndarray, np.generic))]
    weak = [a for a in args if isinstance(a, (bool, int, float))]
    if any(isinstance(a, complex) for a in args):
        raise TypeError("arange: complex bounds are not supported")
    if strong:
        dt = np.result_type(*strong, *weak)
    elif any(isinstance(a, float) for a in weak):
        return config.floatX
    else:
        dt = np.dtype("int64")
    if dt.kind in "biu":
        return (
            "uint64"
            if dt == np.uint64
            and all(np.dtype(getattr(a, "dtype", "int64")).kind in "ub" for a in args)
            else "int64"
        )
    return resolve_dtype(dt)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None):
    """``numpy.arange`` with symbolic or constant bounds.

    Integer bounds give int64; float bounds keep their float dtype (``float32`` stays
    ``float32``); Python floats alone give floatX. ``dtype=`` overrides.
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = _arange_dtype([start, stop, step])
    return ARange(resolve_dtype(dtype))(start, stop, step)
