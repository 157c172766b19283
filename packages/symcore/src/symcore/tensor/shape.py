"""Shape Ops: ``Shape``/``Shape_i``, ``Reshape``, ``SpecifyShape``, ``Rebroadcast``,
``MakeVector`` and the functions built on them (``reshape``, ``flatten``, ``specify_shape``,
``patternbroadcast``/``addbroadcast``/``unbroadcast``, ``shape_padleft``/``right``/``axis``,
``squeeze``, ``swapaxes``, ``expand_dims``).

Shape arithmetic needed by ``infer_shape`` (and by the slicing Ops in ``subtensor.py``)
goes through the small ``sh_*`` helpers at the end of this module: they fold Python ints
and constants eagerly and build symbolic int64 graphs only for what is unknown.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.basic import (
    NotScalarConstantError,
    as_tensor_variable,
    constant,
    get_scalar_constant_value,
)
from symcore.tensor.type import DISCRETE_DTYPES, INTEGER_DTYPES, TensorType

__all__ = [
    "Shape",
    "Shape_i",
    "shape",
    "shape_i",
    "MakeVector",
    "make_vector",
    "get_vector_length",
    "Reshape",
    "reshape",
    "flatten",
    "SpecifyShape",
    "specify_shape",
    "Rebroadcast",
    "patternbroadcast",
    "addbroadcast",
    "unbroadcast",
    "specify_broadcastable",
    "shape_padleft",
    "shape_padright",
    "shape_padaxis",
    "squeeze",
    "swapaxes",
    "expand_dims",
]


def _T():
    """The ``symcore.tensor`` namespace, looked up when called.

    Elementwise arithmetic (``add``, ``switch``...), ``dimshuffle`` and ``zeros_like`` live
    in modules that themselves build shapes and indices; reaching them by name at call
    time keeps this module free of import cycles (as ``TensorVariable`` does).
    """
    return sys.modules["symcore.tensor"]


def _floatX() -> str:
    from symcore.config import config

    return config.floatX


def _int_vector_type(length: int | None) -> TensorType:
    return TensorType("int64", shape=(length,))


def _check_integer_scalar(v: Variable, what: str) -> None:
    if v.ndim != 0 or v.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{what} must be an integer scalar, got {v} of type {v.type}")


# ---------------------------------------------------------------------------------------
# Shape, Shape_i
# ---------------------------------------------------------------------------------------


class Shape(Op):
    """``shape(x)``: the shape of ``x`` as an int64 vector of length ``x.ndim``."""

    __props__ = ()
    differentiable = False

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [_int_vector_type(x.ndim)()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.asarray(inputs[0].shape, dtype="int64")

    def infer_shape(self, node, input_shapes):
        return [(constant(node.inputs[0].ndim, dtype="int64"),)]

    def connection_pattern(self, node):
        return [[False]]

    def grad(self, inputs, output_grads):
        # The values of x do not take part in computing its shape.
        return [disconnected_type()]

    def R_op(self, inputs, eval_points):
        return [None]


_shape = Shape()


def shape(x: Any) -> Variable:
    """The symbolic shape of ``x`` (int64 vector); ``x.shape`` calls this."""
    return _shape(x)


class Shape_i(Op):
    """``Shape_i(i)(x)``: the length of dimension ``i`` of ``x`` as an int64 scalar."""

    __props__ = ("i",)
    differentiable = False

    def __init__(self, i: int) -> None:
        i = int(i)
        if i < 0:
            raise ValueError(f"Shape_i: dimension index must be non-negative, got {i}")
        self.i = i

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim <= self.i:
            raise TypeError(f"{self}: input {x} has only {x.ndim} dimensions (type {x.type})")
        return Apply(self, [x], [TensorType("int64", ())()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.asarray(inputs[0].shape[self.i], dtype="int64")

    def infer_shape(self, node, input_shapes):
        return [()]

    def connection_pattern(self, node):
        return [[False]]

    def grad(self, inputs, output_grads):
        return [disconnected_type()]

    def R_op(self, inputs, eval_points):
        return [None]

    def scalar_constant_value(self, node: Apply, var: Variable):
        """The static length of the dimension when the input type knows it."""
        size = node.inputs[0].type.shape[self.i]
        if size is None:
            raise NotScalarConstantError(var)
        return np.asarray(size, dtype="int64")


def shape_i(var: Any, i: int, fgraph=None) -> Variable:
    """Length of dimension ``i`` of ``var``; uses ``fgraph.shape_feature`` when present."""
    var = as_tensor_variable(var)
    feature = getattr(fgraph, "shape_feature", None) if fgraph is not None else None
    if feature is not None and var in getattr(feature, "shape_of", {}):
        return feature.shape_of[var][i]
    if i < 0:
        i += var.ndim
    return Shape_i(i)(var)


# ---------------------------------------------------------------------------------------
# MakeVector
# ---------------------------------------------------------------------------------------


class MakeVector(Op):
    """``MakeVector(dtype)(a, b, ...)``: a vector from 0-d tensors (used for shapes).

    Inputs must be castable to ``dtype`` without loss (any integer scalar is accepted
    into an integer vector, as shape entries are).
    """

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "int64") -> None:
        self.dtype = np.dtype(dtype).name

    def make_node(self, *inputs: Any) -> Apply:
        ins = [as_tensor_variable(i) for i in inputs]
        target = np.dtype(self.dtype)
        for i, v in enumerate(ins):
            if v.ndim != 0:
                raise TypeError(f"{self}: input {i} ({v}) must be a scalar, got type {v.type}")
            src = np.dtype(v.dtype)
            ok = np.can_cast(src, target, "safe") or (src.kind in "iu" and target.kind in "iu")
            if not ok:
                raise TypeError(
                    f"{self}: input {i} ({v}) has dtype {v.dtype}, which cannot be "
                    f"stored in a {self.dtype} vector without loss"
                )
        return Apply(self, ins, [TensorType(self.dtype, shape=(len(ins),))()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.array(
            [np.asarray(v).item() for v in inputs], dtype=self.dtype
        ).reshape(len(inputs))

    def infer_shape(self, node, input_shapes):
        return [(constant(len(node.inputs), dtype="int64"),)]

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        if self.dtype in DISCRETE_DTYPES:
            return [_T().zeros_like(i, dtype=_floatX()) for i in inputs]
        grads = []
        for k, inp in enumerate(inputs):
            gk = g[k]
            grads.append(gk if gk.dtype == inp.dtype else _T().cast(gk, inp.dtype))
        return grads

    def R_op(self, inputs, eval_points):
        if any(e is None for e in eval_points):
            return [None]
        return self.make_node(*eval_points).outputs


def make_vector(*inputs: Any, dtype: str | None = None) -> Variable:
    """A vector from scalars; ``dtype`` defaults to the inputs' result type (int64 if empty)."""
    ins = [as_tensor_variable(i) for i in inputs]
    if dtype is None:
        dtype = np.result_type(*[np.dtype(v.dtype) for v in ins]).name if ins else "int64"
    return MakeVector(dtype)(*ins)


def _as_shape_vector(shp: Any, what: str) -> Variable:
    """``shp`` (int, sequence of ints/scalars/None-free, ndarray or vector) as an int vector."""
    if isinstance(shp, (int, np.integer)) and not isinstance(shp, bool):
        shp = (int(shp),)
    if isinstance(shp, Variable):
        v = as_tensor_variable(shp)
        if v.ndim == 0:
            v = make_vector(v, dtype="int64") if v.dtype in INTEGER_DTYPES else v
    elif isinstance(shp, (list, tuple)):
        entries = list(shp)
        if all(
            isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_))
            for e in entries
        ):
            v = constant(np.asarray(entries, dtype="int64").reshape(len(entries)))
        else:
            parts = []
            for k, e in enumerate(entries):
                if isinstance(e, (bool, np.bool_)) or not isinstance(
                    e, (int, np.integer, Variable, np.ndarray)
                ):
                    raise TypeError(
                        f"{what}: entry {k} of the shape must be an integer or an integer "
                        f"scalar variable, got {e!r}"
                    )
                ev = (
                    as_tensor_variable(e)
                    if isinstance(e, Variable)
                    else constant(np.asarray(e), dtype="int64")
                )
                _check_integer_scalar(ev, f"{what}: entry {k} of the shape")
                parts.append(ev)
            v = MakeVector("int64")(*parts)
    else:
        arr = np.asarray(shp)
        if arr.dtype.kind not in "iu":
            raise TypeError(
                f"{what}: the shape must contain integers, got {shp!r} (dtype {arr.dtype})"
            )
        v = constant(arr.astype("int64"))
    if v.ndim != 1 or v.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{what}: the shape must be an integer vector, got {v} of type {v.type}")
    return v


def get_vector_length(v: Any) -> int:
    """The static length of a vector variable; ``ValueError`` when it is not known."""
    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f"get_vector_length: {v} must be a vector, got type {v.type}")
    if v.type.shape[0] is not None:
        return int(v.type.shape[0])
    if isinstance(v, Constant):
        return len(v.data)
    if v.owner is not None:
        op = v.owner.op
        if isinstance(op, (MakeVector,)):
            return len(v.owner.inputs)
        if isinstance(op, Shape):
            return v.owner.inputs[0].ndim
        length = getattr(op, "vector_length", None)
        if length is not None:
            n = length(v.owner, v)
            if n is not None:
                return int(n)
    raise ValueError(
        f"Length of {v} cannot be determined when the graph is built; pass ndim= "
        "(or give the vector a static length)"
    )


def _vector_constant_entries(v: Variable, n: int) -> list[int | None]:
    """The entries of an integer vector that are known when the graph is built."""
    if isinstance(v, Constant):
        return [int(e) for e in np.asarray(v.data).reshape(-1)]
    if v.owner is not None and isinstance(v.owner.op, MakeVector):
        return [_const_int(i) for i in v.owner.inputs]
    if v.owner is not None and isinstance(v.owner.op, Shape):
        return list(v.owner.inputs[0].type.shape)
    return [None] * n


def _vector_entries(v: Variable, n: int) -> list[Any]:
    """The entries of a length-``n`` vector: ints when known, else symbolic scalars."""
    known = _vector_constant_entries(v, n)
    out: list[Any] = []
    for k in range(n):
        if known[k] is not None:
            out.append(known[k])
        elif v.owner is not None and isinstance(v.owner.op, MakeVector):
            out.append(v.owner.inputs[k])
        elif v.owner is not None and isinstance(v.owner.op, Shape):
            out.append(Shape_i(k)(v.owner.inputs[0]))
        else:
            out.append(v[k])
    return out


# ---------------------------------------------------------------------------------------
# Reshape, flatten
# ---------------------------------------------------------------------------------------


class Reshape(Op):
    """``Reshape(ndim)(x, shp)``: ``x`` reshaped to the int vector ``shp`` (one entry may
    be -1). Returns a view of ``x`` whenever NumPy can."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int) -> None:
        self.ndim = int(ndim)

    def make_node(self, x: Any, shp: Any) -> Apply:
        x = as_tensor_variable(x)
        shp = _as_shape_vector(shp, str(self))
        n = shp.type.shape[0]
        if n is not None and n != self.ndim:
            raise ValueError(
                f"{self}: the shape vector has length {n} but the op expects {self.ndim}"
            )
        known = _vector_constant_entries(shp, self.ndim)
        _check_new_shape(known, x, str(self))
        static = list(known)
        if sum(1 for s in static if s == -1) == 1 and all(s is not None for s in x.type.shape):
            rest = int(np.prod([s for s in static if s not in (None, -1)]))
            if all(s is not None for s in static) and rest:
                static[static.index(-1)] = int(np.prod(x.type.shape)) // rest
        static = [s if (s is not None and s >= 0) else None for s in static]
        return Apply(self, [x, shp], [TensorType(x.dtype, shape=static)()])

    def perform(self, node, inputs, output_storage, params=None):
        x, shp = inputs
        shp = tuple(int(s) for s in np.asarray(shp).reshape(-1))
        if len(shp) != self.ndim:
            raise ValueError(
                f"{self}: the shape argument {shp} has length {len(shp)}, expected {self.ndim}"
            )
        if sum(1 for s in shp if s == -1) > 1 or any(s < -1 for s in shp):
            raise ValueError(
                f"{self}: invalid target shape {shp} (at most one -1, no other negative sizes)"
            )
        try:
            out = np.reshape(x, shp)
        except ValueError as exc:
            raise ValueError(
                f"{self}: cannot reshape an array of shape {x.shape} (size {x.size}) "
                f"into shape {shp}"
            ) from exc
        output_storage[0][0] = out

    def infer_shape(self, node, input_shapes):
        x, shp = node.inputs
        entries = _vector_entries(shp, self.ndim)
        known = [_const_int(e) for e in entries]
        if all(k is not None and k >= 0 for k in known):
            return [tuple(sh_var(k) for k in known)]
        # Some entry is -1 (or symbolic, so possibly -1): it takes the remaining size.
        in_size = sh_prod(input_shapes[0])
        req = sh_neg(sh_prod(entries))  # the product of the others when exactly one is -1
        rest = sh_floordiv(in_size, sh_max(req, 1))
        out = []
        for e, k in zip(entries, known, strict=False):
            if k is not None and k >= 0:
                out.append(sh_var(k))
            elif k == -1:
                out.append(sh_var(rest))
            else:
                out.append(sh_var(sh_switch(sh_eq(e, -1), rest, e)))
        return [tuple(out)]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        x, shp = inputs
        (g,) = output_grads
        return [reshape(g, shape(x), ndim=x.ndim), disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return self.make_node(eval_points[0], inputs[1]).outputs


def _check_new_shape(known: Sequence[int | None], x: Variable, who: str) -> None:
    if sum(1 for s in known if s == -1) > 1:
        raise ValueError(
            f"{who}: can only specify one unknown dimension (-1) in the new shape, "
            f"got {list(known)}"
        )
    bad = [s for s in known if s is not None and s < -1]
    if bad:
        raise ValueError(
            f"{who}: negative sizes other than -1 are not allowed in a shape, got {list(known)}"
        )
    if all(s is not None for s in known) and all(s is not None for s in x.type.shape):
        size = int(np.prod(x.type.shape))
        fixed = int(np.prod([s for s in known if s != -1]))
        ok = size == fixed if -1 not in known else (fixed != 0 and size % fixed == 0)
        if not ok:
            raise ValueError(
                f"{who}: cannot reshape {x} of static shape {x.type.shape} (size {size}) "
                f"into shape {tuple(known)}"
            )


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> Variable:
    """``x`` with shape ``newshape`` (ints, symbolic scalars or an int vector; one -1
    takes the remaining size). ``ndim`` is needed only when the length of a symbolic
    shape vector is unknown."""
    x = as_tensor_variable(x)
    shp = _as_shape_vector(newshape, "reshape")
    if ndim is None:
        ndim = get_vector_length(shp)
    return Reshape(ndim)(x, shp)


def flatten(x: Any, ndim: int = 1, outdim: int | None = None) -> Variable:
    """Keep the first ``ndim - 1`` dimensions of ``x`` and flatten the rest into one
    (Theano's semantics; ``outdim`` is the Theano-era name of ``ndim``)."""
    if outdim is not None:
        ndim = outdim
    x = as_tensor_variable(x)
    ndim = int(ndim)
    if ndim < 1 or (ndim > 1 and ndim > x.ndim):
        raise ValueError(
            f"flatten: ndim={ndim} is out of range for a {x.ndim}-d input {x} (need 1 <= ndim <= "
            f"{max(x.ndim, 1)})"
        )
    kept = [
        x.type.shape[i] if x.type.shape[i] is not None else Shape_i(i)(x) for i in range(ndim - 1)
    ]
    rest = list(range(ndim - 1, x.ndim))
    if ndim == 1:
        last: Any = -1  # a lone -1 is unambiguous, even for empty arrays
    else:
        last = 1
        for i in rest:
            last = sh_mul(last, x.type.shape[i] if x.type.shape[i] is not None else Shape_i(i)(x))
    out = reshape(x, kept + [last], ndim=ndim)
    want = tuple(x.broadcastable[: ndim - 1]) + (all(x.broadcastable[ndim - 1 :]),)
    if out.broadcastable != want and all(
        w or not b for w, b in zip(want, out.broadcastable, strict=False)
    ):
        out = patternbroadcast(out, want)
    return out


# ---------------------------------------------------------------------------------------
# SpecifyShape
# ---------------------------------------------------------------------------------------


class SpecifyShape(Op):
    """``SpecifyShape()(x, shp)``: ``x`` itself, after checking at run time that its shape
    is ``shp``; lets the graph know sizes that the types do not."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x: Any, shp: Any) -> Apply:
        x = as_tensor_variable(x)
        shp = _as_shape_vector(shp, "SpecifyShape")
        n = shp.type.shape[0]
        if n is not None and n != x.ndim:
            raise ValueError(
                f"SpecifyShape: {x} has {x.ndim} dimensions but the specified shape has {n} entries"
            )
        known = _vector_constant_entries(shp, x.ndim) if n is not None else [None] * x.ndim
        static = list(x.type.shape)
        for i, (k, s) in enumerate(zip(known, x.type.shape, strict=False)):
            if k is None:
                continue
            if k < 0 or (s is not None and s != k):
                raise ValueError(
                    f"SpecifyShape: {x} of static shape {x.type.shape} cannot have shape "
                    f"{tuple(known)}"
                )
            if k != 1 or x.broadcastable[i]:  # never turns a dimension broadcastable
                static[i] = k
        out_type = TensorType(x.dtype, broadcastable=x.broadcastable, shape=static)
        return Apply(self, [x, shp], [out_type()])

    def perform(self, node, inputs, output_storage, params=None):
        x, shp = inputs
        shp = tuple(int(s) for s in np.asarray(shp).reshape(-1))
        if len(shp) != x.ndim or x.shape != shp:
            raise ValueError(
                f"SpecifyShape: the input has shape {x.shape} (dtype {x.dtype}) but the "
                f"specified shape is {shp}"
            )
        output_storage[0][0] = x

    def infer_shape(self, node, input_shapes):
        x, shp = node.inputs
        return [tuple(sh_var(e) for e in _vector_entries(shp, x.ndim))]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        x, shp = inputs
        (g,) = output_grads
        return [specify_shape(g, shp), disconnected_type()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return self.make_node(eval_points[0], inputs[1]).outputs


_specify_shape = SpecifyShape()


def specify_shape(x: Any, shape: Any) -> Variable:
    """``x``, checked at run time to have ``shape`` (ints, symbolic scalars, ``None`` for
    an unchecked dimension, or an int vector)."""
    x = as_tensor_variable(x)
    if isinstance(shape, (list, tuple)):
        if len(shape) != x.ndim:
            raise ValueError(
                f"specify_shape: {x} has {x.ndim} dimensions but the shape {tuple(shape)} has "
                f"{len(shape)} entries"
            )
        shape = [Shape_i(i)(x) if s is None else s for i, s in enumerate(shape)]
    return _specify_shape(x, shape)


# ---------------------------------------------------------------------------------------
# Rebroadcast and the broadcast-pattern helpers
# ---------------------------------------------------------------------------------------


class Rebroadcast(Op):
    """``Rebroadcast((axis, flag), ...)``: ``x`` with the broadcastable flag of each
    ``axis`` set to ``flag``; a dimension made broadcastable is checked to have length 1
    at run time."""

    __props__ = ("axis",)
    view_map = {0: [0]}

    def __init__(self, *axis: tuple[int, bool]) -> None:
        pairs = {}
        for a, b in axis:
            a = int(a)
            if a < 0:
                raise ValueError(f"Rebroadcast: axes must be non-negative, got {a}")
            pairs[a] = bool(b)
        self.axis = tuple(sorted(pairs.items()))

    def __str__(self) -> str:
        flags = ",".join(f"{a}:{'bc' if b else 'nobc'}" for a, b in self.axis)
        return f"Rebroadcast{{{flags}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        bc = list(x.broadcastable)
        static = list(x.type.shape)
        for a, b in self.axis:
            if a >= x.ndim:
                raise ValueError(
                    f"{self}: axis {a} is out of range for {x} with {x.ndim} dimensions"
                )
            if static[a] is not None and b and static[a] != 1:
                raise ValueError(
                    f"{self}: dimension {a} of {x} has static length {static[a]}, it cannot be "
                    "broadcastable"
                )
            bc[a] = b
            static[a] = 1 if b else None
        return Apply(self, [x], [TensorType(x.dtype, broadcastable=bc, shape=static)()])

    def perform(self, node, inputs, output_storage, params=None):
        (x,) = inputs
        for a, b in self.axis:
            if b and x.shape[a] != 1:
                raise ValueError(
                    f"{self}: dimension {a} of the input has length {x.shape[a]} but is declared "
                    f"broadcastable (length 1); input shape {x.shape}, dtype {x.dtype}"
                )
        output_storage[0][0] = x

    def infer_shape(self, node, input_shapes):
        (shp,) = input_shapes
        flags = dict(self.axis)
        return [tuple(sh_var(1) if flags.get(i) else s for i, s in enumerate(shp))]

    def grad(self, inputs, output_grads):
        (x,) = inputs
        (g,) = output_grads
        return [patternbroadcast(g, x.broadcastable)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return self.make_node(eval_points[0]).outputs


def patternbroadcast(x: Any, broadcastable: Sequence[bool]) -> Variable:
    """``x`` with the given broadcastable pattern (same values; checked at run time)."""
    x = as_tensor_variable(x)
    pattern = tuple(bool(b) for b in broadcastable)
    if len(pattern) != x.ndim:
        raise ValueError(
            f"patternbroadcast: pattern {pattern} has {len(pattern)} entries but {x} has "
            f"{x.ndim} dimensions"
        )
    if pattern == x.broadcastable:
        return x
    changes = [(i, b) for i, b in enumerate(pattern) if b != x.broadcastable[i]]
    return Rebroadcast(*changes)(x)


def _norm_axes(axes: Sequence[int], ndim: int, who: str) -> list[int]:
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{who}: axis {a} is out of bounds for a tensor of dimension {ndim}"
            )
        out.append(a % ndim)
    return out


def _flatten_axes(axes: tuple) -> tuple:
    if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
        return tuple(axes[0])
    return axes


def addbroadcast(x: Any, *axes: int) -> Variable:
    """``x`` with dimensions ``axes`` made broadcastable (checked to be 1 at run time)."""
    x = as_tensor_variable(x)
    axes = _norm_axes(_flatten_axes(axes), x.ndim, "addbroadcast")
    return patternbroadcast(x, [b or i in axes for i, b in enumerate(x.broadcastable)])


specify_broadcastable = addbroadcast


def unbroadcast(x: Any, *axes: int) -> Variable:
    """``x`` with dimensions ``axes`` no longer broadcastable."""
    x = as_tensor_variable(x)
    axes = _norm_axes(_flatten_axes(axes), x.ndim, "unbroadcast")
    return patternbroadcast(x, [b and i not in axes for i, b in enumerate(x.broadcastable)])


# ---------------------------------------------------------------------------------------
# Adding and removing length-1 dimensions (through DimShuffle)
# ---------------------------------------------------------------------------------------


def shape_padleft(x: Any, n_ones: int = 1) -> Variable:
    """``x`` with ``n_ones`` broadcastable dimensions added on the left."""
    x = as_tensor_variable(x)
    return _T().dimshuffle(x, ["x"] * int(n_ones) + list(range(x.ndim)))


def shape_padright(x: Any, n_ones: int = 1) -> Variable:
    """``x`` with ``n_ones`` broadcastable dimensions added on the right."""
    x = as_tensor_variable(x)
    return _T().dimshuffle(x, list(range(x.ndim)) + ["x"] * int(n_ones))


def shape_padaxis(x: Any, axis: int) -> Variable:
    """``x`` with a broadcastable dimension inserted at ``axis`` (as ``np.expand_dims``)."""
    x = as_tensor_variable(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise np.exceptions.AxisError(
            f"shape_padaxis: axis {axis} is out of bounds for a result of dimension {x.ndim + 1}"
        )
    if axis < 0:
        axis += x.ndim + 1
    pattern: list[Any] = list(range(x.ndim))
    pattern.insert(axis, "x")
    return _T().dimshuffle(x, pattern)


def expand_dims(x: Any, axis: int | Sequence[int]) -> Variable:
    """NumPy's ``expand_dims``: length-1 dimensions inserted at the positions ``axis``."""
    x = as_tensor_variable(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    new = _norm_axes(axes, out_ndim, "expand_dims")
    if len(set(new)) != len(new):
        raise ValueError(f"expand_dims: repeated axis in {tuple(axes)}")
    it = iter(range(x.ndim))
    pattern = ["x" if i in new else next(it) for i in range(out_ndim)]
    return _T().dimshuffle(x, pattern)


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Variable:
    """Drop length-1 dimensions: all broadcastable ones when ``axis`` is None, else the
    given axes (checked to have length 1 at run time when not broadcastable)."""
    x = as_tensor_variable(x)
    if axis is None:
        drop = [i for i, b in enumerate(x.broadcastable) if b]
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        drop = _norm_axes(axes, x.ndim, "squeeze")
        x = addbroadcast(x, *drop)
    if not drop:
        return x
    return _T().dimshuffle(x, [i for i in range(x.ndim) if i not in drop])


def swapaxes(x: Any, axis1: int, axis2: int) -> Variable:
    """``x`` with dimensions ``axis1`` and ``axis2`` exchanged."""
    x = as_tensor_variable(x)
    a1, a2 = _norm_axes((axis1, axis2), x.ndim, "swapaxes")
    order = list(range(x.ndim))
    order[a1], order[a2] = order[a2], order[a1]
    return _T().dimshuffle(x, order)


# ---------------------------------------------------------------------------------------
# Shape arithmetic: Python ints when known, int64 graphs otherwise
# ---------------------------------------------------------------------------------------


def _const_int(v: Any) -> int | None:
    """``v`` as a Python int when it is an int or a scalar constant, else None."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, Variable):
        if getattr(v.type, "ndim", None) != 0:
            return None
        try:
            val = get_scalar_constant_value(v)
        except NotScalarConstantError:
            return None
        val = np.asarray(val)
        if val.dtype.kind in "biu":
            return int(val)
    return None


def sh_var(v: Any) -> Variable:
    """A shape entry as an int64 scalar variable (constants for known values)."""
    c = _const_int(v)
    if c is not None:
        return constant(c, dtype="int64")
    v = as_tensor_variable(v)
    return v if v.dtype == "int64" else _T().cast(v, "int64")


def _binary(a, b, py, name):
    ca, cb = _const_int(a), _const_int(b)
    if ca is not None and cb is not None:
        return py(ca, cb)
    return getattr(_T(), name)(sh_var(a), sh_var(b))


def sh_add(a, b):
    return _binary(a, b, lambda p, q: p + q, "add")


def sh_sub(a, b):
    return _binary(a, b, lambda p, q: p - q, "sub")


def sh_mul(a, b):
    return _binary(a, b, lambda p, q: p * q, "mul")


def sh_floordiv(a, b):
    return _binary(a, b, lambda p, q: p // q if q else 0, "int_div")


def sh_max(a, b):
    return _binary(a, b, max, "maximum")


def sh_min(a, b):
    return _binary(a, b, min, "minimum")


def sh_lt(a, b):
    return _binary(a, b, lambda p, q: p < q, "lt")


def sh_eq(a, b):
    ca, cb = _const_int(a), _const_int(b)
    if ca is not None and cb is not None:
        return ca == cb
    return _T().eq(sh_var(a), sh_var(b))


def sh_neg(a):
    ca = _const_int(a)
    return -ca if ca is not None else _T().neg(sh_var(a))


def sh_switch(cond, a, b):
    """``a if cond else b``; symbolic when ``cond`` is not a Python bool."""
    if isinstance(cond, (bool, np.bool_)):
        return a if cond else b
    ca, cb = _const_int(a), _const_int(b)
    if ca is not None and ca == cb:
        return ca
    return _T().switch(cond, sh_var(a), sh_var(b))


def sh_prod(entries: Sequence[Any]):
    out: Any = 1
    for e in entries:
        out = sh_mul(out, e)
    return out
