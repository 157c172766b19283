"""Algebraic rewrites: canonical sums and products, powers, and sums of reductions.

Canonical forms (``canonicalize``), PyTensor's ``AlgebraicCanonizer`` idea:

* ``local_add_canonizer`` flattens a tree of ``add``/``sub``/``neg`` (and ``c * t`` with a
  scalar constant ``c``, distributing ``c`` over a sum read only there) into terms with
  numeric coefficients, merges equal terms and constants, and rebuilds
  ``sub(add(positive terms), add(negative terms))``: ``(x+y)+(x+y)`` → ``2*(x+y)``,
  ``x - x`` → zeros of ``x``'s shape, ``--x`` → ``x``, ``x + 0`` → ``x``.
* ``local_mul_canonizer`` flattens ``mul``/``true_div``/``inv`` into a numerator and a
  denominator, cancels factors appearing in both and merges constants:
  ``x/x`` → ones of ``x``'s shape (floats), ``x*1`` → ``x``, ``(2*x)/2`` → ``x``.

An inner node is read through only when this node is its only client and it has the same
dtype (so no computation is duplicated and no integer overflow moves); results keep the
exact type of the replaced variable (``fill`` keeps shapes, ``cast`` dtypes).

Powers (``specialize``; the trivial ones also in ``canonicalize``): ``x**1`` → ``x``,
``x**0`` → ones, ``x**2`` → ``sqr(x)``, ``x**0.5`` → ``sqrt(x)``, ``x**-1`` → ``inv(x)``.
Reductions (``canonicalize``): a sum of a sum is one sum; a sum of a DimShuffle sums the
input directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore import scalar as S
from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.rewriting.basic import node_rewriter
from symcore.rewriting.register import register_canonicalize, register_specialize
from symcore.tensor import math as M
from symcore.tensor import math_special as MS
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.reduction import Sum
from symcore.tensor.rewriting.utils import (
    elemwise_node,
    fit_to,
    is_single_client,
    same_graph,
    scalar_const,
    typed_const,
    value_in_dtype,
)

__all__ = [
    "local_add_canonizer",
    "local_mul_canonizer",
    "local_pow_specialize",
    "local_pow_trivial",
    "local_sum_dimshuffle",
    "local_sum_sum",
]

_ADDITIVE = (S.Add, S.Sub, S.Neg)
_MULTIPLICATIVE = (S.Mul, S.TrueDiv, S.Inv)


def _kind(dtype: str) -> str:
    return np.dtype(dtype).kind


def _leaf_dtype_ok(var: Variable, out_dtype: str) -> bool:
    """May ``var`` be a term of an expression of ``out_dtype`` after reassociation?

    Integers only in their own dtype (mixed integer arithmetic wraps at intermediate
    widths); floats and complexes accept any dtype that converts exactly.
    """
    if var.type.dtype == out_dtype:
        return True
    if _kind(out_dtype) in "iub":
        return False
    return bool(np.can_cast(var.type.dtype, out_dtype, "safe"))


def _py(value: np.ndarray) -> Any:
    """A 0-d array as a Python number (exact for integers)."""
    return value.item()


def _readable(fgraph: FunctionGraph, var: Variable, out_dtype: str) -> bool:
    return is_single_client(fgraph, var) and var.type.dtype == out_dtype


def _const_factor(node: Apply) -> tuple[Any, Variable] | None:
    """``(c, t)`` when ``node`` is ``mul(c, t)`` or ``mul(t, c)`` with ``c`` a scalar constant."""
    if len(node.inputs) != 2:
        return None
    a, b = node.inputs
    ca, cb = scalar_const(a), scalar_const(b)
    if ca is not None and cb is None:
        return _py(ca), b
    if cb is not None and ca is None:
        return _py(cb), a
    return None


# ---------------------------------------------------------------------------------------
# Sums
# ---------------------------------------------------------------------------------------


class _Terms:
    """Ordered terms with coefficients, plus a running constant."""

    def __init__(self) -> None:
        self.order: list[Variable] = []
        self.coef: dict[Variable, Any] = {}
        self.const: Any = 0
        self.n_const = 0

    def add(self, var: Variable, k: Any) -> None:
        if var in self.coef:
            self.coef[var] = self.coef[var] + k
        else:
            self.order.append(var)
            self.coef[var] = k


def _collect_additive(
    fgraph: FunctionGraph, var: Variable, k: Any, out_dtype: str, acc: _Terms, top: bool = False
) -> None:
    c = scalar_const(var)
    if c is not None and not top:
        acc.const = acc.const + k * _py(c)
        acc.n_const += 1
        return
    node = elemwise_node(var, *_ADDITIVE, S.Mul)
    if node is not None and (top or _readable(fgraph, var, out_dtype)):
        sop = node.op.scalar_op
        if isinstance(sop, S.Add):
            for i in node.inputs:
                _collect_additive(fgraph, i, k, out_dtype, acc)
            return
        if isinstance(sop, S.Sub):
            _collect_additive(fgraph, node.inputs[0], k, out_dtype, acc)
            _collect_additive(fgraph, node.inputs[1], -k, out_dtype, acc)
            return
        if isinstance(sop, S.Neg):
            _collect_additive(fgraph, node.inputs[0], -k, out_dtype, acc)
            return
        cf = _const_factor(node)
        if cf is not None:
            _collect_additive(fgraph, cf[1], k * cf[0], out_dtype, acc)
            return
    acc.add(var, k)


def _is_negative(k: Any, dtype: str) -> bool:
    return _kind(dtype) != "c" and np.real(k) < 0


# A plan is the canonical form before it is built: ``("leaf", var)``,
# ``("const", value, dtype, ndim)`` or ``(elemwise_op, [plans])``. Matching a plan against
# the existing graph first avoids building anything for nodes already in canonical form.


def _const_plan(value: Any, dtype: str, nd: int) -> tuple:
    return ("const", value_in_dtype(value, dtype), dtype, nd)


def _op_plan(op: Elemwise, parts: list[tuple]) -> tuple:
    return parts[0] if len(parts) == 1 and op in (M.add, M.mul) else (op, parts)


def _build(plan: tuple) -> Variable:
    head = plan[0]
    if head == "leaf":
        return plan[1]
    if head == "const":
        return typed_const(plan[1], plan[2], plan[3])
    return head(*[_build(p) for p in plan[1]])


def _matches(plan: tuple, var: Variable) -> bool:
    """True when building ``plan`` would give a graph structurally equal to ``var``."""
    head = plan[0]
    if head == "leaf":
        return plan[1] is var
    if head == "const":
        if not isinstance(var, Constant) or var.type.dtype != plan[2] or var.type.ndim != plan[3]:
            return False
        data = np.asarray(var.data)
        same_value = data.size == 1 and data.reshape(()).tobytes() == plan[1].tobytes()
        return same_value and all(var.type.broadcastable)
    node = var.owner
    if node is None or node.op != head or len(node.inputs) != len(plan[1]):
        return False
    return all(_matches(p, i) for p, i in zip(plan[1], node.inputs, strict=True))


def _finish(fgraph, node, plan: tuple):
    """The replacement of ``node``'s output by ``plan`` (None when already that graph)."""
    out = node.outputs[0]
    if _matches(plan, out):
        return None
    res = fit_to(_build(plan), out, node.inputs)
    if res is None or same_graph(res, out):
        return None
    return [res]


def _scaled(t: Variable, k: Any, dtype: str, nd: int) -> tuple:
    return ("leaf", t) if k == 1 else (M.mul, [_const_plan(k, dtype, nd), ("leaf", t)])


@register_canonicalize("algebra", name="local_add_canonizer")
@node_rewriter([Elemwise])
def local_add_canonizer(fgraph, node):
    """Canonical sum: flatten add/sub/neg, merge equal terms (``a + a`` → ``2*a``) and
    constants, drop zero terms (``x - x`` → zeros), then ``sub(add(pos), add(neg))``."""
    if elemwise_node(node.outputs[0], *_ADDITIVE) is None or len(node.outputs) != 1:
        return None
    out = node.outputs[0]
    dtype, nd = out.type.dtype, out.type.ndim
    if _kind(dtype) not in "iufc":
        return None
    acc = _Terms()
    _collect_additive(fgraph, out, 1, dtype, acc, top=True)
    if not all(_leaf_dtype_ok(t, dtype) for t in acc.order):
        return None
    pos: list[tuple] = []
    neg: list[tuple] = []
    for t in acc.order:
        k = acc.coef[t]
        if k == 0:
            continue
        if _is_negative(k, dtype):
            neg.append(_scaled(t, -k, dtype, nd))
        else:
            pos.append(_scaled(t, k, dtype, nd))
    total = value_in_dtype(acc.const, dtype)
    if acc.n_const and total != 0:
        pos.append(_const_plan(total, dtype, nd))
    if not pos and not neg:
        plan = _const_plan(0, dtype, nd)
    elif not neg:
        plan = _op_plan(M.add, pos)
    elif not pos:
        plan = (M.neg, [_op_plan(M.add, neg)])
    else:
        plan = (M.sub, [_op_plan(M.add, pos), _op_plan(M.add, neg)])
    return _finish(fgraph, node, plan)


# ---------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------


class _Factors:
    def __init__(self) -> None:
        self.num: list[Variable] = []
        self.den: list[Variable] = []
        self.cnum: list[Any] = []
        self.cden: list[Any] = []


def _collect_multiplicative(
    fgraph: FunctionGraph, var: Variable, up: bool, out_dtype: str, acc: _Factors, top: bool = False
) -> None:
    c = scalar_const(var)
    if c is not None and not top:
        (acc.cnum if up else acc.cden).append(_py(c))
        return
    divides = _kind(out_dtype) in "fc"
    node = elemwise_node(var, *_MULTIPLICATIVE)
    if node is not None and (top or _readable(fgraph, var, out_dtype)):
        sop = node.op.scalar_op
        if isinstance(sop, S.Mul):
            for i in node.inputs:
                _collect_multiplicative(fgraph, i, up, out_dtype, acc)
            return
        if isinstance(sop, S.TrueDiv) and divides:
            _collect_multiplicative(fgraph, node.inputs[0], up, out_dtype, acc)
            _collect_multiplicative(fgraph, node.inputs[1], not up, out_dtype, acc)
            return
        if isinstance(sop, S.Inv) and divides:
            _collect_multiplicative(fgraph, node.inputs[0], not up, out_dtype, acc)
            return
    (acc.num if up else acc.den).append(var)


def _product(vs: list[Any]) -> Any:
    p: Any = 1
    for v in vs:
        p = p * v
    return p


@register_canonicalize("algebra", name="local_mul_canonizer")
@node_rewriter([Elemwise])
def local_mul_canonizer(fgraph, node):
    """Canonical product: flatten mul/true_div/inv, cancel factors found in both the
    numerator and the denominator (``x/x`` → ones), merge constants (``x*1`` → ``x``)."""
    if elemwise_node(node.outputs[0], *_MULTIPLICATIVE) is None or len(node.outputs) != 1:
        return None
    out = node.outputs[0]
    dtype, nd = out.type.dtype, out.type.ndim
    if _kind(dtype) not in "iufc":
        return None
    acc = _Factors()
    _collect_multiplicative(fgraph, out, True, dtype, acc, top=True)
    if not all(_leaf_dtype_ok(t, dtype) for t in acc.num + acc.den):
        return None
    num = list(acc.num)
    den: list[Variable] = []
    for t in acc.den:
        if t in num:
            num.remove(t)
        else:
            den.append(t)
    cn = value_in_dtype(_product(acc.cnum), dtype) if acc.cnum else None
    cd = value_in_dtype(_product(acc.cden), dtype) if acc.cden else None
    if cn is not None and cd is not None and cn == cd:
        cn = cd = None
    if cn is not None and cn == 1:
        cn = None
    if cd is not None and cd == 1:
        cd = None
    num_p = [("leaf", t) for t in num]
    den_p = [("leaf", t) for t in den]
    if cn is not None:
        num_p.insert(0, _const_plan(cn, dtype, nd))
    if cd is not None:
        den_p.insert(0, _const_plan(cd, dtype, nd))
    if not num_p and not den_p:
        plan = _const_plan(1, dtype, nd)
    elif not den_p:
        plan = _op_plan(M.mul, num_p)
    elif not num_p:
        plan = (M.inv, [_op_plan(M.mul, den_p)])
    else:
        plan = (M.true_div, [_op_plan(M.mul, num_p), _op_plan(M.mul, den_p)])
    return _finish(fgraph, node, plan)


# ---------------------------------------------------------------------------------------
# Powers
# ---------------------------------------------------------------------------------------


def _pow_parts(node: Apply) -> tuple[Variable, Any] | None:
    if elemwise_node(node.outputs[0], S.Pow) is None:
        return None
    base, expo = node.inputs
    e = scalar_const(expo)
    if e is None or _kind(node.outputs[0].type.dtype) not in "iufc":
        return None
    return base, _py(e)


@register_canonicalize("algebra", name="local_pow_trivial")
@node_rewriter([Elemwise])
def local_pow_trivial(fgraph, node):
    """``x**1`` → ``x``; ``x**0`` → ones with ``x``'s shape."""
    parts = _pow_parts(node)
    if parts is None:
        return None
    base, e = parts
    out = node.outputs[0]
    if e == 1:
        res = base
    elif e == 0:
        res = typed_const(1, out.type.dtype, out.type.ndim)
    else:
        return None
    res = fit_to(res, out, node.inputs)
    return None if res is None else [res]


@register_specialize("algebra", name="local_pow_specialize")
@node_rewriter([Elemwise])
def local_pow_specialize(fgraph, node):
    """``x**2`` → ``sqr(x)``, ``x**0.5`` → ``sqrt(x)``, ``x**-1`` → ``inv(x)`` (and the
    trivial ``x**1``/``x**0``)."""
    parts = _pow_parts(node)
    if parts is None:
        return None
    base, e = parts
    out = node.outputs[0]
    dtype = out.type.dtype
    if e in (0, 1):
        return local_pow_trivial.transform(fgraph, node)
    if base.type.dtype != dtype:
        if not np.can_cast(base.type.dtype, dtype, "safe"):
            return None
        base = M.cast(base, dtype)
    if e == 2:
        res = M.sqr(base)
    elif e == 0.5 and _kind(dtype) in "fc":
        res = MS.sqrt(base)
    elif e == -1 and _kind(dtype) in "fc":
        res = M.inv(base)
    else:
        return None
    res = fit_to(res, out, node.inputs)
    return None if res is None else [res]


# ---------------------------------------------------------------------------------------
# Sums of reductions
# ---------------------------------------------------------------------------------------


@register_canonicalize("reduction", name="local_sum_sum")
@node_rewriter([Sum])
def local_sum_sum(fgraph, node):
    """``sum(sum(x, a1), a2)`` → ``sum(x, a1 ∪ a2')`` (same dtypes, inner read only here)."""
    outer = node.op
    inner_var = node.inputs[0]
    inner_node = inner_var.owner
    if (
        inner_node is None
        or type(inner_node.op) is not Sum
        or not is_single_client(fgraph, inner_var)
    ):
        return None
    inner = inner_node.op
    if (inner.dtype, inner.acc_dtype) != (outer.dtype, outer.acc_dtype):
        return None
    x = inner_node.inputs[0]
    kept = [d for d in range(x.type.ndim) if d not in inner.axis]
    axes = sorted(set(inner.axis) | {kept[a] for a in outer.axis})
    new = Sum(axis=tuple(axes), dtype=outer.dtype, acc_dtype=outer.acc_dtype)(x)
    return [new] if new.type == node.outputs[0].type else None


@register_canonicalize("reduction", name="local_sum_dimshuffle")
@node_rewriter([Sum])
def local_sum_dimshuffle(fgraph, node):
    """``sum(dimshuffle(x), axes)`` → ``dimshuffle(sum(x, axes'))``: the reduction reads
    ``x`` directly (``sum(x.T)`` → ``sum(x)``)."""
    ds_var = node.inputs[0]
    ds = ds_var.owner
    if ds is None or not isinstance(ds.op, DimShuffle) or not is_single_client(fgraph, ds_var):
        return None
    op = node.op
    x = ds.inputs[0]
    order = ds.op.new_order
    x_axes = set(ds.op.drop)
    x_axes |= {order[a] for a in op.axis if order[a] != "x"}
    x_kept = [d for d in range(x.type.ndim) if d not in x_axes]
    summed = Sum(axis=tuple(sorted(x_axes)), dtype=op.dtype, acc_dtype=op.acc_dtype)(x)
    pattern = [o if o == "x" else x_kept.index(o) for a, o in enumerate(order) if a not in op.axis]
    res = summed
    if pattern != list(range(summed.type.ndim)):
        res = DimShuffle(summed.type.broadcastable, pattern)(summed)
    return [res] if res.type == node.outputs[0].type else None
