"""Products: ``Dot`` (Theano's ``T.dot``), ``MatMul`` (``@``), ``TensorDot`` /
``BatchedTensorDot`` and the functions ``dot matmul tensordot outer batched_dot
batched_tensordot``.

Dtypes follow ``numpy.result_type`` of the operands. ``Dot`` takes 1-d and 2-d operands (the
four cases of ``numpy.dot``); ``dot`` of other ranks goes through ``tensordot`` as NumPy does,
and a 0-d operand makes it an elementwise product. ``MatMul`` broadcasts its batch
dimensions by the static broadcastable pattern (Theano's rule, as ``Elemwise``): a batch
dimension of size 1 broadcasts only when its type says it is broadcastable.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.tensor.basic import as_tensor_variable
from symcore.tensor.type import CONTINUOUS_DTYPES, TensorType

__all__ = [
    "Dot",
    "MatMul",
    "TensorDot",
    "BatchedTensorDot",
    "dot",
    "matmul",
    "tensordot",
    "outer",
    "batched_dot",
    "batched_tensordot",
]


def _result_dtype(x: Variable, y: Variable) -> str:
    return np.result_type(np.dtype(x.dtype), np.dtype(y.dtype)).name


def _sig(v: np.ndarray) -> str:
    return f"{tuple(v.shape)} ({v.dtype})"


def _static_mismatch(a: int | None, b: int | None) -> bool:
    return a is not None and b is not None and a != b


def _grad_like(g: Variable, x: Variable) -> Variable:
    """``g`` with the dtype and broadcastable pattern of ``x`` (what ``grad`` expects)."""
    if g.dtype != x.dtype and x.dtype in CONTINUOUS_DTYPES:
        from symcore.tensor.math import cast

        g = cast(g, x.dtype)
    if g.broadcastable != x.broadcastable:
        from symcore.tensor.shape import patternbroadcast

        g = patternbroadcast(g, x.broadcastable)
    return g


def _bilinear_R_op(product, inputs, eval_points) -> list:
    """R_op of ``product(a, b)``, linear in each input: ``product(ea, b) + product(a, eb)``,
    leaving out the terms whose evaluation point is None (``[None]`` when both are)."""
    a, b = inputs
    ea, eb = eval_points
    terms = [product(ea, b)] if ea is not None else []
    if eb is not None:
        terms.append(product(a, eb))
    if not terms:
        return [None]
    return [terms[0] + terms[1] if len(terms) == 2 else terms[0]]


# ---------------------------------------------------------------------------------------
# Dot
# ---------------------------------------------------------------------------------------


class Dot(Op):
    """Inner product of 1-d/2-d tensors: vector·vector → scalar, matrix·vector → vector,
    vector·matrix → vector, matrix·matrix → matrix (``numpy.dot``)."""

    __props__ = ()

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(
                f"Dot: inputs must be 1-d or 2-d, got {x.ndim}-d {x.type} and {y.ndim}-d "
                f"{y.type}; use symcore.tensor.dot for other ranks"
            )
        kx, ky = x.type.shape[-1], y.type.shape[0]
        if _static_mismatch(kx, ky):
            raise ValueError(
                f"Dot: shapes {x.type.shape} and {y.type.shape} are not aligned: "
                f"{kx} (dim {x.ndim - 1}) != {ky} (dim 0)"
            )
        shape = x.type.shape[:-1] + y.type.shape[1:]
        bc = x.type.broadcastable[:-1] + y.type.broadcastable[1:]
        return Apply(self, [x, y], [TensorType(_result_dtype(x, y), bc, shape=shape)()])

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            raise ValueError(
                f"Dot: shapes {_sig(x)} and {_sig(y)} are not aligned: "
                f"{x.shape[-1]} (dim {x.ndim - 1}) != {y.shape[0]} (dim 0)"
            )
        output_storage[0][0] = np.asarray(np.dot(x, y), dtype=node.outputs[0].dtype)

    def infer_shape(self, node: Apply, input_shapes):
        sx, sy = input_shapes
        return [tuple(sx[:-1]) + tuple(sy[1:])]

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        if x.ndim == 1 and y.ndim == 1:
            gx, gy = gz * y, gz * x
        elif x.ndim == 2 and y.ndim == 1:
            gx, gy = outer(gz, y), _dot(gz, x)
        elif x.ndim == 1 and y.ndim == 2:
            gx, gy = _dot(y, gz), outer(x, gz)
        else:
            gx, gy = _dot(gz, y.T), _dot(x.T, gz)
        return [_grad_like(gx, x), _grad_like(gy, y)]

    def R_op(self, inputs, eval_points):
        return _bilinear_R_op(_dot, inputs, eval_points)


_dot = Dot()


# ---------------------------------------------------------------------------------------
# TensorDot and BatchedTensorDot
# ---------------------------------------------------------------------------------------


def _normalize_pairs(
    axes: Any, na: int, nb: int, batch: int, who: str
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """NumPy's ``axes`` argument as two tuples of non-negative summed axes.

    With ``batch=1`` axis 0 of both operands is the batch axis: an int ``n`` means the last
    ``n`` axes of ``a`` with axes ``1..n`` of ``b``, and the batch axis may not be summed.
    """
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > na - batch or n > nb - batch:
            raise ValueError(f"{who}: cannot sum over {n} axes of {na}-d and {nb}-d operands")
        ax_a = tuple(range(na - n, na))
        ax_b = tuple(range(batch, batch + n))
    else:
        try:
            ax_a, ax_b = axes
        except (TypeError, ValueError):
            raise ValueError(
                f"{who}: axes must be an int or a pair of axis lists, got {axes!r}"
            ) from None
        ax_a = (ax_a,) if isinstance(ax_a, (int, np.integer)) else tuple(ax_a)
        ax_b = (ax_b,) if isinstance(ax_b, (int, np.integer)) else tuple(ax_b)
        if len(ax_a) != len(ax_b):
            raise ValueError(f"{who}: axes lists must have the same length, got {ax_a} and {ax_b}")
    out = []
    for axs, nd in ((ax_a, na), (ax_b, nb)):
        norm = []
        for a in axs:
            a = operator.index(a)
            if not -nd <= a < nd:
                raise np.exceptions.AxisError(
                    f"{who}: axis {a} is out of bounds for a {nd}-d operand"
                )
            a %= nd
            if a < batch:
                raise ValueError(f"{who}: the batch axis 0 cannot be summed over")
            if a in norm:
                raise ValueError(f"{who}: axis {a} is repeated in {axs}")
            norm.append(a)
        out.append(tuple(norm))
    return out[0], out[1]


class _TensorDotBase(Op):
    __props__ = ("axes_a", "axes_b")
    batch = 0

    def __init__(self, axes_a: Sequence[int], axes_b: Sequence[int]) -> None:
        self.axes_a = tuple(int(a) for a in axes_a)
        self.axes_b = tuple(int(b) for b in axes_b)

    def _free(self, nd: int, axes: tuple[int, ...]) -> list[int]:
        return [d for d in range(self.batch, nd) if d not in axes]

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        name = type(self).__name__
        if a.ndim < self.batch or b.ndim < self.batch:
            raise TypeError(f"{name}: operands need a batch axis, got {a.type} and {b.type}")
        for axs, v in ((self.axes_a, a), (self.axes_b, b)):
            if any(not self.batch <= d < v.ndim for d in axs):
                raise ValueError(f"{name}: axes {axs} do not fit a {v.ndim}-d operand")
        for da, db in zip(self.axes_a, self.axes_b, strict=True):
            if _static_mismatch(a.type.shape[da], b.type.shape[db]):
                raise ValueError(
                    f"{name}: shape mismatch for summed axes: {a.type.shape} (axis {da}) and "
                    f"{b.type.shape} (axis {db})"
                )
        fa, fb = self._free(a.ndim, self.axes_a), self._free(b.ndim, self.axes_b)
        shape = [a.type.shape[d] for d in fa] + [b.type.shape[d] for d in fb]
        bc = [a.type.broadcastable[d] for d in fa] + [b.type.broadcastable[d] for d in fb]
        if self.batch:
            sa, sb = a.type.shape[0], b.type.shape[0]
            shape = [sa if sa is not None else sb] + shape
            bc = [a.type.broadcastable[0] and b.type.broadcastable[0]] + bc
        return Apply(
            self, [a, b], [TensorType(_result_dtype(a, b), tuple(bc), shape=tuple(shape))()]
        )

    def infer_shape(self, node: Apply, input_shapes):
        sa, sb = input_shapes
        a, b = node.inputs
        out = [sa[d] for d in self._free(a.ndim, self.axes_a)] + [
            sb[d] for d in self._free(b.ndim, self.axes_b)
        ]
        return [tuple(sa[: self.batch]) + tuple(out)]

    def _check(self, a: np.ndarray, b: np.ndarray) -> None:
        pairs = zip(self.axes_a, self.axes_b, strict=True)
        bad = [(da, db) for da, db in pairs if a.shape[da] != b.shape[db]]
        if bad or (self.batch and a.shape[0] != b.shape[0]):
            what = f"summed axes {bad}" if bad else "batch sizes"
            raise ValueError(
                f"{self}: shape mismatch ({what}) for operands {_sig(a)} and {_sig(b)}"
            )

    def grad(self, inputs, output_grads):
        a, b = inputs
        (gz,) = output_grads
        B = self.batch
        fa, fb = self._free(a.ndim, self.axes_a), self._free(b.ndim, self.axes_b)
        # gz axes: [batch] + free_a + free_b
        gz_fa = list(range(B, B + len(fa)))
        gz_fb = list(range(B + len(fa), B + len(fa) + len(fb)))
        op = type(self)
        # d/da: contract gz's free_b axes with b's free axes -> [batch] + free_a + summed_b(sorted)
        ga = op(gz_fb, fb)(gz, b)
        summed_b = sorted(self.axes_b)
        ga = ga.transpose(
            _inverse_layout(a.ndim, B, fa, [self.axes_a[self.axes_b.index(d)] for d in summed_b])
        )
        # d/db: contract a's free axes with gz's free_a axes -> [batch] + summed_a(sorted) + free_b
        gb = op(fa, gz_fa)(a, gz)
        summed_a = sorted(self.axes_a)
        gb = gb.transpose(
            _inverse_layout(b.ndim, B, [self.axes_b[self.axes_a.index(d)] for d in summed_a], fb)
        )
        return [_grad_like(ga, a), _grad_like(gb, b)]

    def R_op(self, inputs, eval_points):
        return _bilinear_R_op(self, inputs, eval_points)


def _inverse_layout(nd: int, batch: int, first: Sequence[int], second: Sequence[int]) -> list[int]:
    """The transposition taking an array laid out as ``[batch] + first + second`` (lists of
    the original axes) back to the original axis order."""
    layout = list(range(batch)) + list(first) + list(second)
    return [layout.index(d) for d in range(nd)]


class TensorDot(_TensorDotBase):
    """``numpy.tensordot(a, b, (axes_a, axes_b))``: output axes are the free axes of ``a``
    followed by the free axes of ``b``."""

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        a, b = inputs
        self._check(a, b)
        out = np.tensordot(a, b, (list(self.axes_a), list(self.axes_b)))
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].dtype)


class BatchedTensorDot(_TensorDotBase):
    """``tensordot`` of ``a[i]`` and ``b[i]`` for each ``i`` along the batch axis 0 (axes are
    numbered on the full operands; the batch axis is never summed)."""

    batch = 1

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        a, b = inputs
        self._check(a, b)
        fa, fb = self._free(a.ndim, self.axes_a), self._free(b.ndim, self.axes_b)
        n = a.shape[0]
        s = int(np.prod([a.shape[d] for d in self.axes_a], dtype=np.int64))
        free_a = [a.shape[d] for d in fa]
        free_b = [b.shape[d] for d in fb]
        a2 = np.transpose(a, [0] + fa + list(self.axes_a)).reshape(
            n, int(np.prod(free_a, dtype=np.int64)), s
        )
        b2 = np.transpose(b, [0] + list(self.axes_b) + fb).reshape(
            n, s, int(np.prod(free_b, dtype=np.int64))
        )
        out = np.matmul(a2, b2).reshape([n] + free_a + free_b)
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].dtype)


# ---------------------------------------------------------------------------------------
# MatMul
# ---------------------------------------------------------------------------------------


class MatMul(Op):
    """``numpy.matmul`` of operands with at least 2 dimensions; batch dimensions broadcast
    by their static pattern (a missing leading dimension counts as broadcastable)."""

    __props__ = ()

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim < 2 or b.ndim < 2:
            raise TypeError(
                f"MatMul: operands must have at least 2 dimensions, got {a.type} and {b.type}; "
                "use matmul()"
            )
        if _static_mismatch(a.type.shape[-1], b.type.shape[-2]):
            raise ValueError(
                f"MatMul: core shapes {a.type.shape[-2:]} and {b.type.shape[-2:]} are not aligned "
                f"({a.type.shape[-1]} != {b.type.shape[-2]})"
            )
        nb = max(a.ndim, b.ndim) - 2
        shape, bc = [], []
        for sa, ba, sb, bb in zip(*_padded(a, nb), *_padded(b, nb), strict=True):
            if not ba and not bb and _static_mismatch(sa, sb):
                raise ValueError(
                    f"MatMul: batch shapes {a.type.shape[:-2]} and {b.type.shape[:-2]} "
                    "do not broadcast"
                )
            bc.append(ba and bb)
            shape.append(sb if ba else sa)
        shape += [a.type.shape[-2], b.type.shape[-1]]
        bc += [a.type.broadcastable[-2], b.type.broadcastable[-1]]
        return Apply(
            self, [a, b], [TensorType(_result_dtype(a, b), tuple(bc), shape=tuple(shape))()]
        )

    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        a, b = inputs
        av, bv = node.inputs
        nb = max(a.ndim, b.ndim) - 2
        sa, ba = _padded_values(a.shape, av.broadcastable, nb)
        sb, bb = _padded_values(b.shape, bv.broadcastable, nb)
        for d, (x, xb, y, yb) in enumerate(zip(sa, ba, sb, bb, strict=True)):
            if x != y and not (xb or yb):
                raise ValueError(
                    f"MatMul: batch dimension {d} differs between operands {_sig(a)} and {_sig(b)} "
                    f"({x} vs {y}) and neither is broadcastable in its type "
                    f"({av.type} and {bv.type}); use addbroadcast to allow broadcasting"
                )
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(
                f"MatMul: operands {_sig(a)} and {_sig(b)} are not aligned "
                f"({a.shape[-1]} != {b.shape[-2]})"
            )
        output_storage[0][0] = np.asarray(np.matmul(a, b), dtype=node.outputs[0].dtype)

    def infer_shape(self, node: Apply, input_shapes):
        sa, sb = input_shapes
        a, b = node.inputs
        nb = max(a.ndim, b.ndim) - 2
        pa = [None] * (nb - (a.ndim - 2)) + list(sa[:-2])
        pb = [None] * (nb - (b.ndim - 2)) + list(sb[:-2])
        ba = _padded(a, nb)[1]
        batch = []
        for x, xb, y in zip(pa, ba, pb, strict=True):
            batch.append(y if (x is None or xb) and y is not None else x)
        return [tuple(batch) + (sa[-2], sb[-1])]

    def grad(self, inputs, output_grads):
        a, b = inputs
        (gz,) = output_grads
        ga = self(gz, _swap_last(b))
        gb = self(_swap_last(a), gz)
        return [_grad_like(_sum_to(ga, a), a), _grad_like(_sum_to(gb, b), b)]

    def R_op(self, inputs, eval_points):
        return _bilinear_R_op(self, inputs, eval_points)


def _padded(v: Variable, nb: int) -> tuple[list, list]:
    """Static batch sizes and broadcastable flags of ``v`` left-padded to ``nb`` batch dims."""
    pad = nb - (v.ndim - 2)
    return [1] * pad + list(v.type.shape[:-2]), [True] * pad + list(v.type.broadcastable[:-2])


def _padded_values(shape: tuple, bc: tuple, nb: int) -> tuple[list, list]:
    pad = nb - (len(shape) - 2)
    return [1] * pad + list(shape[:-2]), [True] * pad + list(bc[:-2])


def _swap_last(v: Variable) -> Variable:
    order = list(range(v.ndim))
    order[-2], order[-1] = order[-1], order[-2]
    return v.transpose(order)


def _sum_to(g: Variable, x: Variable) -> Variable:
    """Sum the gradient ``g`` of a broadcast output back to the batch layout of ``x``."""
    from symcore.tensor.reduction import sum as _sum

    extra = g.ndim - x.ndim
    if extra:
        g = _sum(g, axis=tuple(range(extra)))
    axes = [d for d in range(x.ndim - 2) if x.broadcastable[d] and not g.broadcastable[d]]
    if axes:
        g = _sum(g, axis=tuple(axes), keepdims=True)
    return g


# ---------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------


def dot(a: Any, b: Any) -> Variable:
    """Theano's ``T.dot`` (``numpy.dot`` semantics): a 0-d operand multiplies elementwise,
    1-d/2-d operands use ``Dot``, higher ranks contract the last axis of ``a`` with the
    second-to-last axis of ``b`` (the only axis of a 1-d ``b``)."""
    if _is_scalar_value(a) or _is_scalar_value(b):
        from symcore.tensor.math import mul

        return mul(a, b)  # keeps Python scalars weak (NEP 50)
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        from symcore.tensor.math import mul

        return mul(a, b)
    if a.ndim > 2 or b.ndim > 2:
        return tensordot(a, b, [[a.ndim - 1], [max(0, b.ndim - 2)]])
    return _dot(a, b)


def _is_scalar_value(v: Any) -> bool:
    return not isinstance(v, Variable) and np.ndim(v) == 0


def tensordot(a: Any, b: Any, axes: Any = 2) -> Variable:
    """``numpy.tensordot``: sum over ``axes`` (an int ``n`` = the last ``n`` axes of ``a``
    with the first ``n`` of ``b``, or a pair of axis lists)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    ax_a, ax_b = _normalize_pairs(axes, a.ndim, b.ndim, 0, "tensordot")
    if a.ndim <= 2 and b.ndim <= 2 and a.ndim and b.ndim and ax_a == (a.ndim - 1,) and ax_b == (0,):
        return _dot(a, b)
    return TensorDot(ax_a, ax_b)(a, b)


def matmul(a: Any, b: Any) -> Variable:
    """``a @ b`` with ``numpy.matmul`` semantics: 1-d operands are promoted and the added
    axis removed; batch dimensions broadcast (by their static broadcastable pattern)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: operands must have at least 1 dimension (got {a.ndim}-d and {b.ndim}-d); "
            "use * for scalars"
        )
    if a.ndim <= 2 and b.ndim <= 2:
        return _dot(a, b)
    a2 = a.dimshuffle("x", 0) if a.ndim == 1 else a
    b2 = b.dimshuffle(0, "x") if b.ndim == 1 else b
    out = MatMul()(a2, b2)
    drop = ([out.ndim - 2] if a.ndim == 1 else []) + ([out.ndim - 1] if b.ndim == 1 else [])
    if drop:
        out = out.dimshuffle([d for d in range(out.ndim) if d not in drop])
    return out


def outer(x: Any, y: Any) -> Variable:
    """Outer product of two vectors (other ranks are flattened first, as in NumPy)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = x.flatten()
    if y.ndim != 1:
        y = y.flatten()
    return _dot(x.dimshuffle(0, "x"), y.dimshuffle("x", 0))


def batched_dot(a: Any, b: Any) -> Variable:
    """``dot(a[i], b[i])`` for each ``i`` along the first (batch) axis (Theano).

    (B, n)·(B, n) → (B,); (B, n, m)·(B, m) → (B, n); (B, n)·(B, n, m) → (B, m);
    (B, n, m)·(B, m, k) → (B, n, k); a 1-d operand scales the other; higher ranks use
    ``batched_tensordot`` on the last axis of ``a`` and the second-to-last of ``b``.
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise TypeError(f"batched_dot: operands need a batch axis, got {a.type} and {b.type}")
    if a.ndim == 1 or b.ndim == 1:
        if a.ndim == 1:
            a = a.dimshuffle([0] + ["x"] * (b.ndim - 1))
        if b.ndim == 1:
            b = b.dimshuffle([0] + ["x"] * (a.ndim - 1))
        return a * b
    if a.ndim > 3 or b.ndim > 3:
        return batched_tensordot(a, b, [[a.ndim - 1], [max(1, b.ndim - 2)]])
    a2 = a.dimshuffle(0, "x", 1) if a.ndim == 2 else a
    b2 = b.dimshuffle(0, 1, "x") if b.ndim == 2 else b
    out = MatMul()(a2, b2)
    keep = [0] + ([] if a.ndim == 2 else [1]) + ([] if b.ndim == 2 else [2])
    return out if len(keep) == 3 else out.dimshuffle(keep)


def batched_tensordot(x: Any, y: Any, axes: Any = 2) -> Variable:
    """``tensordot(x[i], y[i], axes)`` for each ``i`` along the batch axis 0 (Theano).

    ``axes`` as for ``tensordot`` but numbered on the full operands: an int ``n`` sums the
    last ``n`` axes of ``x`` with axes ``1..n`` of ``y``."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim < 1 or y.ndim < 1:
        raise TypeError(f"batched_tensordot: operands need a batch axis, got {x.type} and {y.type}")
    ax_x, ax_y = _normalize_pairs(axes, x.ndim, y.ndim, 1, "batched_tensordot")
    return BatchedTensorDot(ax_x, ax_y)(x, y)
