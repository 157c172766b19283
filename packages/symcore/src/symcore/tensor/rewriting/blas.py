"""BLAS rewrites (the ``blas`` phase, position 1.7 of ``rewrite_db``; tag ``fast_run``).

The Ops themselves are in ``symcore.tensor.rewriting.blas_ops`` (re-exported here).
Both rewrites below run together in the ``blas_opt`` EquilibriumDB inside the ``blas``
SequenceDB, so ``mode.excluding("blas")`` turns them all off and
``mode.excluding("local_dot_to_blas")`` / ``excluding("local_blas_fold")`` one of them.

* ``local_dot_to_blas``: ``dot(matrix, matrix)`` → ``Dot22``; ``dot(matrix, vector)`` and
  ``dot(vector, matrix)`` → ``Gemv`` on a fresh ``AllocEmpty`` accumulator with ``beta=0``;
  ``dot(col, row)`` (``outer``) → ``Ger`` on zeros; ``dot(matrix, col)`` /
  ``dot(row, matrix)`` → ``Gemv`` and a DimShuffle.
* ``local_blas_fold``: an elementwise sum of scaled terms containing one BLAS result read
  only there (scaled by products, quotients and negations of scalars) folds the scale
  into ``alpha``/``beta`` and a term of the result's exact type
  into the accumulator: ``w - 0.1*dot(X, v)`` → ``Gemv(w, -0.1, X, v, 1)``,
  ``b*z + a*dot(x, y)`` → ``Gemm(z, a, x, y, b)``, ``A + a*outer(x, y)`` →
  ``Ger(A, a, x, y)``, ``a*dot(x, y)`` → ``Dot22Scalar(x, y, a)``.

Only operands of one BLAS dtype (float32/64, complex64/128) are rewritten; an operand of a
smaller float dtype is cast first (exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore import scalar as S
from symcore.graph.basic import Constant, Variable
from symcore.rewriting.basic import node_rewriter
from symcore.rewriting.db import EquilibriumDB
from symcore.rewriting.register import register_blas
from symcore.tensor import math as M
from symcore.tensor.alloc import Alloc, AllocEmpty, alloc
from symcore.tensor.dot import Dot
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.rewriting.blas_ops import (  # noqa: F401 - re-exported
    BLAS_DTYPES,
    Dot22,
    Dot22Scalar,
    Gemm,
    Gemv,
    Ger,
    dot22,
    dot22scalar,
    gemm_inplace,
    gemm_no_inplace,
    gemv_inplace,
    gemv_no_inplace,
    ger,
    ger_destructive,
)
from symcore.tensor.rewriting.utils import (
    elemwise_node,
    is_single_client,
    scalar_const,
    typed_const,
)
from symcore.tensor.shape import shape_i

__all__ = [
    "BLAS_DTYPES",
    "Dot22",
    "Dot22Scalar",
    "Gemm",
    "Gemv",
    "Ger",
    "blas_opt",
    "local_blas_fold",
    "local_dot_to_blas",
]


def _blas_operand(v: Variable, dtype: str) -> Variable | None:
    """``v`` in ``dtype`` (cast when that is exact), or None."""
    if v.type.dtype == dtype:
        return v
    if np.can_cast(v.type.dtype, dtype, "safe") and np.dtype(v.type.dtype).kind in "fc":
        return M.cast(v, dtype)
    return None


def _empty(dtype: str, *shape: Variable) -> Variable:
    return AllocEmpty(dtype)(*shape)


def _zeros(dtype: str, *shape: Variable) -> Variable:
    return alloc(typed_const(0, dtype, 0), *shape)


def _ds(v: Variable, order: list) -> Variable:
    return DimShuffle(v.type.broadcastable, order)(v)


@node_rewriter([Dot])
def local_dot_to_blas(fgraph, node):
    """``Dot`` of matrices/vectors → ``Dot22``, ``Gemv`` or ``Ger`` (see the module doc)."""
    out = node.outputs[0]
    dtype = out.type.dtype
    if dtype not in BLAS_DTYPES:
        return None
    x, y = (_blas_operand(v, dtype) for v in node.inputs)
    if x is None or y is None:
        return None
    if x.type.ndim == 2 and y.type.ndim == 2:
        xb, yb = x.type.broadcastable, y.type.broadcastable
        if xb[1] and yb[0]:  # (m, 1) @ (1, n): an outer product
            res = Ger(False)(
                _zeros(dtype, shape_i(x, 0, fgraph), shape_i(y, 1, fgraph)),
                1,
                _ds(x, [0]),
                _ds(y, [1]),
            )
        elif yb[1] and not xb[0]:  # (m, k) @ (k, 1)
            v = Gemv(False)(_empty(dtype, shape_i(x, 0, fgraph)), 1, x, _ds(y, [0]), 0)
            res = _ds(v, [0, "x"])
        elif xb[0] and not yb[1]:  # (1, k) @ (k, n)
            v = Gemv(False)(_empty(dtype, shape_i(y, 1, fgraph)), 1, _ds(y, [1, 0]), _ds(x, [1]), 0)
            res = _ds(v, ["x", 0])
        else:
            res = Dot22()(x, y)
    elif x.type.ndim == 2 and y.type.ndim == 1:
        res = Gemv(False)(_empty(dtype, shape_i(x, 0, fgraph)), 1, x, y, 0)
    elif x.type.ndim == 1 and y.type.ndim == 2:
        res = Gemv(False)(_empty(dtype, shape_i(y, 1, fgraph)), 1, _ds(y, [1, 0]), x, 0)
    else:
        return None
    return [res] if res.type == out.type else None


# ---------------------------------------------------------------------------------------
# Folding scales and accumulators into BLAS nodes
# ---------------------------------------------------------------------------------------


class _Scale:
    """A product of Python numbers and 0-d variables."""

    def __init__(self, number: Any = 1, symbols: tuple = ()) -> None:
        self.number = number
        self.symbols = tuple(symbols)

    def __mul__(self, other: _Scale) -> _Scale:
        return _Scale(self.number * other.number, self.symbols + other.symbols)

    def is_one(self) -> bool:
        return not self.symbols and self.number == 1

    def build(self, dtype: str) -> Variable:
        syms = [M.cast(s, dtype) if s.type.dtype != dtype else s for s in self.symbols]
        factors = (
            syms if (syms and self.number == 1) else [typed_const(self.number, dtype, 0), *syms]
        )
        return factors[0] if len(factors) == 1 else M.mul(*factors)


def _as_scale(v: Variable, dtype: str) -> _Scale | None:
    """``v`` (all dimensions broadcastable) as a scale, or None."""
    if not all(v.type.broadcastable):
        return None
    c = scalar_const(v)
    if c is not None:
        return _Scale(c.item())
    if np.dtype(v.type.dtype).kind not in "fc" or not np.can_cast(v.type.dtype, dtype, "safe"):
        return None
    while v.owner is not None and isinstance(v.owner.op, DimShuffle) and v.type.ndim:
        v = v.owner.inputs[0]
    if v.type.ndim:
        v = _ds(v, [])
    return _Scale(1, (v,))


def _reciprocal(s: _Scale) -> _Scale | None:
    if not s.symbols and s.number == 0:
        return None
    return _Scale(1 / s.number, tuple(M.inv(v) for v in s.symbols))


def _scaled_term(fgraph, var: Variable, scale: _Scale, out_type, dtype: str, terms: list) -> None:
    """Append ``(scale, var)``, reading ``var`` through single-client neg, mul-by-scale and
    division by a scale."""
    node = elemwise_node(var, S.Neg, S.Mul, S.TrueDiv)
    if node is not None and is_single_client(fgraph, var) and var.type == out_type:
        if isinstance(node.op.scalar_op, S.Neg):
            _scaled_term(fgraph, node.inputs[0], scale * _Scale(-1), out_type, dtype, terms)
            return
        if isinstance(node.op.scalar_op, S.TrueDiv):
            num, den = node.inputs
            d = _as_scale(den, dtype) if num.type == out_type else None
            r = None if d is None else _reciprocal(d)
            if r is not None:
                _scaled_term(fgraph, num, scale * r, out_type, dtype, terms)
                return
            terms.append((scale, var))
            return
        split = _split_mul(node, out_type, dtype)
        if split is not None:
            _scaled_term(fgraph, split[1], scale * split[0], out_type, dtype, terms)
            return
    terms.append((scale, var))


def _split_mul(node, out_type, dtype: str) -> tuple[_Scale, Variable] | None:
    """``mul(s1, .., t, .., sk)`` → ``(s1*..*sk, t)`` with ``t`` of type ``out_type``."""
    main = [i for i in node.inputs if i.type == out_type]
    if len(main) != 1:
        main = [i for i in node.inputs if not all(i.type.broadcastable)]
        if len(main) != 1 or main[0].type != out_type:
            return None
    scale = _Scale()
    for i in node.inputs:
        if i is main[0]:
            continue
        s = _as_scale(i, dtype)
        if s is None:
            return None
        scale = scale * s
    return scale, main[0]


def _is_zero_const(v: Variable) -> bool:
    c = scalar_const(v)
    return c is not None and c == 0


def _is_zeros(v: Variable) -> bool:
    if isinstance(v, Constant):
        return not np.any(v.data)
    return (
        v.owner is not None and isinstance(v.owner.op, Alloc) and _is_zero_const(v.owner.inputs[0])
    )


def _blas_parts(var: Variable) -> tuple | None:
    """``(kind, acc or None, alpha, operands, beta)`` describing a BLAS result."""
    node = var.owner
    if node is None:
        return None
    op = node.op
    if isinstance(op, Dot22):
        return "gemm", None, None, tuple(node.inputs), None
    if isinstance(op, Dot22Scalar):
        return "gemm", None, node.inputs[2], tuple(node.inputs[:2]), None
    if isinstance(op, (Gemm, Gemv)) and not op.inplace:
        acc, alpha, a1, a2, beta = node.inputs
        if _is_zero_const(beta):
            acc = beta = None
        return ("gemm" if isinstance(op, Gemm) else "gemv"), acc, alpha, (a1, a2), beta
    if isinstance(op, Ger) and not op.inplace:
        acc, alpha, x, y = node.inputs
        return "ger", (None if _is_zeros(acc) else acc), alpha, (x, y), None
    return None


def _scale_of(v: Variable | None, dtype: str) -> _Scale:
    if v is None:
        return _Scale()
    c = scalar_const(v)
    return _Scale(c.item()) if c is not None else _Scale(1, (v,))


def _rebuild(
    fgraph, kind: str, acc: Variable | None, alpha: _Scale, ops: tuple, beta: _Scale | None, out
) -> Variable:
    dtype = out.type.dtype
    a = alpha.build(dtype)
    if kind == "gemm":
        if acc is None:
            return Dot22Scalar()(ops[0], ops[1], a)
        return Gemm(False)(acc, a, ops[0], ops[1], beta.build(dtype))
    if kind == "gemv":
        if acc is None:
            acc, beta = _empty(dtype, shape_i(ops[0], 0, fgraph)), _Scale(0)
        return Gemv(False)(acc, a, ops[0], ops[1], beta.build(dtype))
    if acc is None:
        acc = _zeros(dtype, shape_i(ops[0], 0, fgraph), shape_i(ops[1], 0, fgraph))
    return Ger(False)(acc, a, ops[0], ops[1])


def _plus(a: _Scale, b: _Scale, dtype: str) -> _Scale:
    """``a + b`` as a scale (numeric when both are numbers)."""
    if not a.symbols and not b.symbols:
        return _Scale(a.number + b.number)
    return _Scale(1, (M.add(a.build(dtype), b.build(dtype)),))


def _fold_terms(fgraph, node, out) -> list[tuple[_Scale, Variable]] | None:
    """The node's result as a list of scaled terms, or None."""
    dtype = out.type.dtype
    sop = node.op.scalar_op
    terms: list[tuple[_Scale, Variable]] = []
    if isinstance(sop, S.Add):
        for i in node.inputs:
            _scaled_term(fgraph, i, _Scale(), out.type, dtype, terms)
    elif isinstance(sop, S.Sub):
        _scaled_term(fgraph, node.inputs[0], _Scale(), out.type, dtype, terms)
        _scaled_term(fgraph, node.inputs[1], _Scale(-1), out.type, dtype, terms)
    elif isinstance(sop, S.Neg):
        _scaled_term(fgraph, node.inputs[0], _Scale(-1), out.type, dtype, terms)
    else:
        split = _split_mul(node, out.type, dtype)
        if split is None:
            return None
        _scaled_term(fgraph, split[1], split[0], out.type, dtype, terms)
    return terms


def _fold_one(fgraph, out, k: int, terms: list) -> Variable | None:
    """Fold into the BLAS term ``terms[k]`` its scale and an accumulator term; None when
    nothing folds."""
    dtype = out.type.dtype
    s, var = terms[k]
    kind, acc, alpha, ops, beta = _blas_parts(var)
    others = terms[:k] + terms[k + 1 :]
    new_alpha = s * _scale_of(alpha, dtype)
    if kind == "ger":
        if acc is not None and not s.is_one():
            return None  # s*(A + a*outer) has no Ger form
        new_beta = None
    else:
        new_beta = None if acc is None else s * _scale_of(beta, dtype)
    used = None
    for j, (ts, t) in enumerate(others):
        if t.type != out.type:
            continue
        if acc is None:
            if kind == "ger" and not ts.is_one():
                continue
            acc, new_beta, used = t, ts, j
            break
        if t is acc and kind != "ger":
            new_beta, used = _plus(new_beta, ts, dtype), j
            break
    if used is None and s.is_one():
        return None
    res = _rebuild(fgraph, kind, acc, new_alpha, ops, new_beta, out)
    for j, (ts, t) in enumerate(others):
        if j == used:
            continue
        if not ts.symbols and ts.number == -1:
            res = M.sub(res, t)
        else:
            res = M.add(res, t if ts.is_one() else M.mul(ts.build(dtype), t))
    return res


@node_rewriter([Elemwise])
def local_blas_fold(fgraph, node):
    """Fold scales and an accumulator term of an elementwise sum into its BLAS term."""
    out = node.outputs[0]
    if (
        out.type.dtype not in BLAS_DTYPES
        or out.type.ndim not in (1, 2)
        or len(node.outputs) != 1
        or elemwise_node(out, S.Add, S.Sub, S.Neg, S.Mul) is None
    ):
        return None
    terms = _fold_terms(fgraph, node, out)
    if not terms:
        return None
    for k, (_, var) in enumerate(terms):
        if var.type != out.type or _blas_parts(var) is None or not is_single_client(fgraph, var):
            continue
        res = _fold_one(fgraph, out, k, terms)
        if res is not None and res.type == out.type:
            return [res]
    return None


#: The EquilibriumDB of BLAS rewrites, at position 10 of the ``blas`` SequenceDB.
blas_opt = EquilibriumDB("blas_opt")
register_blas(blas_opt, name="blas_opt", position=10)
blas_opt.register("local_dot_to_blas", local_dot_to_blas, "fast_run")
blas_opt.register("local_blas_fold", local_blas_fold, "fast_run")
