"""The algebra behind the product rewrites: factors of the sigmoid, softmax and erfc
families expressed in a few stable atoms, their exponents added up, and the product
rebuilt from the atoms.

* Sigmoid family, per base ``v`` (signs peeled): ``sigmoid(v) = S+``, ``sigmoid(-v) = S-``,
  ``exp(v) = S+ / S-``, ``1 + exp(v) = 1 / S-``, ``1 - sigmoid(v) = S-``.  A product of
  such factors is ``S+**a * S-**b``: ``exp(-x) / (1 + exp(-x))**2 = S+ * S-`` never
  overflows, while the naive form is ``inf / inf`` for ``x = -1000``.
* Softmax family, per ``(a, axis)``: ``exp(a) / sum(exp(a), axis, keepdims)`` is
  ``softmax(a, axis)``, and an existing ``Softmax`` node counts the same.
* Erfc family, per ``x``: ``exp(-x**2) / erfc(x) = 1 / erfcx(x)`` with the stable
  ``erfcx`` of :mod:`sym_opt_stability.erf`.

``analyze(product)`` returns the new factor list and two measures, before and after:
``danger`` (factors that overflow or underflow: exponentials, ``1 + exp``, divisions by a
sigmoid/softmax/erfc) and ``cost`` (number of family factors). A rewrite is worth it when it
lowers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from symcore import scalar as S
from symcore.graph.basic import Variable
from symcore.tensor.elemwise import DimShuffle
from symcore.tensor.math_special import exp, sigmoid
from symcore.tensor.nnet.softmax_ops import LogSoftmax, Softmax
from symcore.tensor.reduction import Sum

from sym_opt_stability._match import (
    elemwise_inputs,
    negate,
    one_minus,
    one_plus,
    scalar_op_of,
    split_sign,
    squared_base,
)
from sym_opt_stability.products import Product, is_product_node, parse_product

__all__ = ["Analysis", "analyze", "sform_key", "softmax_key"]

SoftmaxKey = tuple[Variable, int | None]


# ---------------------------------------------------------------------------------------
# Recognizing factors
# ---------------------------------------------------------------------------------------


def _axis_key(a: Variable, axes: tuple[int, ...] | None) -> int | None | str:
    """The softmax axis of a reduction over ``axes`` of ``a`` ('bad' when it has none)."""
    nd = a.type.ndim
    if axes is None or len(axes) == nd:
        return 0 if nd == 1 else None
    if len(axes) == 1:
        return axes[0] % nd
    return "bad"


def softmax_key(var: Variable) -> SoftmaxKey | None:
    """``(a, axis)`` when ``var`` is ``Softmax(axis)(a)`` or ``exp(LogSoftmax(axis)(a))``."""
    owner = var.owner
    if owner is None:
        return None
    if isinstance(owner.op, Softmax):
        a = owner.inputs[0]
        return (a, _axis_key(a, None if owner.op.axis is None else (owner.op.axis,)))
    ins = elemwise_inputs(var, S.Exp)
    if ins is not None and ins[0].owner is not None and isinstance(ins[0].owner.op, LogSoftmax):
        inner = ins[0].owner
        a = inner.inputs[0]
        return (a, _axis_key(a, None if inner.op.axis is None else (inner.op.axis,)))
    return None


def sform_key(var: Variable) -> SoftmaxKey | None:
    """``(a, axis)`` when ``var`` is ``sum(exp(a), axis, keepdims=True)`` (the reduced axes
    put back as broadcastable dimensions by a dimshuffle)."""
    owner = var.owner
    if owner is None or not isinstance(owner.op, DimShuffle):
        return None
    total = owner.inputs[0]
    if total.owner is None or not isinstance(total.owner.op, Sum):
        return None
    e = total.owner.inputs[0]
    a_ins = elemwise_inputs(e, S.Exp)
    if a_ins is None:
        return None
    a = a_ins[0]
    nd = a.type.ndim
    axes = total.owner.op.axis
    axes = tuple(range(nd)) if axes is None else tuple(ax % nd for ax in axes)
    expected = []
    i = 0
    for d in range(nd):
        if d in axes:
            expected.append("x")
        else:
            expected.append(i)
            i += 1
    if list(owner.op.new_order) != expected:
        return None
    key = _axis_key(a, axes)
    return None if key == "bad" else (a, key)


def _sig_atom(var: Variable, depth: int = 0) -> tuple[Variable, int, int, str] | None:
    """``(base, a, b, kind)`` with ``var == sigmoid(base)**a * sigmoid(-base)**b``."""
    ins = elemwise_inputs(var, S.ScalarSigmoid)
    if ins is not None:
        base, sign = split_sign(ins[0])
        return (base, 1, 0, "sigmoid") if sign > 0 else (base, 0, 1, "sigmoid")
    ins = elemwise_inputs(var, S.Exp)
    if ins is not None:
        base, sign = split_sign(ins[0])
        return (base, 1, -1, "exp") if sign > 0 else (base, -1, 1, "exp")
    x = one_plus(var)
    if x is not None:
        ins = elemwise_inputs(x, S.Exp)
        if ins is not None:
            base, sign = split_sign(ins[0])
            return (base, 0, -1, "1pexp") if sign > 0 else (base, -1, 0, "1pexp")
        return None
    x = one_minus(var)
    if x is not None and depth < 3:
        single = _single_sigmoid(x, depth + 1)
        if single is not None:
            base, a, b = single
            return (base, b, a, "sigmoid")
    return None


def _single_sigmoid(var: Variable, depth: int) -> tuple[Variable, int, int] | None:
    """``(base, a, b)`` when ``var`` is exactly one sigmoid (``(a, b)`` is (1, 0) or (0, 1)),
    possibly written as a product like ``1 / (1 + exp(-x))``."""
    atom = _sig_atom(var, depth)
    if atom is not None:
        base, a, b, _ = atom
        return (base, a, b) if (a, b) in ((1, 0), (0, 1)) else None
    prod = parse_product(var) if is_product_node(var) else None
    if prod is None or prod.sign < 0:
        return None
    base0, ta, tb = None, 0, 0
    for f, e in prod.occurrences:
        atom = _sig_atom(f, depth)
        if atom is None:
            return None
        base, a, b, _ = atom
        if base0 is not None and base is not base0:
            return None
        base0, ta, tb = base, ta + e * a, tb + e * b
    if base0 is None or (ta, tb) not in ((1, 0), (0, 1)):
        return None
    return base0, ta, tb


def _erfc_arg(var: Variable) -> Variable | None:
    ins = elemwise_inputs(var, S.Erfc)
    return ins[0] if ins is not None else None


def _exp_minus_square(var: Variable) -> Variable | None:
    """``x`` when ``var`` is ``exp(-x**2)`` (any form of the square), else None."""
    ins = elemwise_inputs(var, S.Exp)
    if ins is None:
        return None
    sq, sign = split_sign(ins[0])
    return squared_base(sq) if sign < 0 else None


# ---------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------


@dataclass
class Analysis:
    """What ``analyze`` found: the family part of the product before and after.

    ``lazy`` lists every factor of the rebuilt product with its exponent; atoms that do not
    exist in the graph yet are callables building them (``realize`` calls them), so an
    analysis that is not used creates no nodes.
    """

    danger_before: int = 0
    danger_after: int = 0
    cost_before: int = 0
    cost_after: int = 0
    family_factors: int = 0
    lazy: list = field(default_factory=list)
    #: Sigmoid-family exponents of the result: ``{base: (a, b)}`` for ``S(base)**a *
    #: S(-base)**b`` (pure exponentials included).
    sig_exps: dict = field(default_factory=dict)
    #: The other entries of the result (not of the sigmoid family).
    rest: list = field(default_factory=list)

    @property
    def improves(self) -> bool:
        """Whether rebuilding from ``lazy`` is better than the product as it is."""
        return (self.danger_after, self.cost_after) < (self.danger_before, self.cost_before)


def _memo(fn: Callable[[], Variable]) -> Callable[[], Variable]:
    box: list[Variable] = []

    def get() -> Variable:
        if not box:
            box.append(fn())
        return box[0]

    return get


def analyze(prod: Product, erfcx: Callable[[Variable], Variable] | None = None) -> Analysis:
    """Rewrite the family factors of ``prod`` in stable atoms (see the module docstring).

    ``erfcx(x)`` builds the stable scaled complementary error function (the erfc family is
    skipped without it). Nodes are built only by ``realize(analysis)``.
    """
    an = Analysis()
    merged = prod.merged()
    occ_count: dict[Variable, list[int]] = {}
    for f, e in prod.occurrences:
        occ_count.setdefault(f, []).append(e)
    remaining = dict(merged)
    family: set[Variable] = set()
    entries: list[tuple[Callable[[], Variable] | Variable, int]] = []

    # -- softmax: exp(a) / sum(exp(a), axis, keepdims=True) and Softmax nodes ------------
    sm: dict[SoftmaxKey, int] = {}
    sm_rep: dict[SoftmaxKey, Variable] = {}
    exps: dict[Variable, Variable] = {}  # argument of exp -> the exp factor
    for f in merged:
        ins = elemwise_inputs(f, S.Exp)
        if ins is not None:
            exps[ins[0]] = f
    for f, e in merged.items():
        key = softmax_key(f)
        if key is not None and key[1] != "bad":
            sm[key] = sm.get(key, 0) + e
            sm_rep.setdefault(key, f)
            family.add(f)
            del remaining[f]
            an.danger_before += max(0, -e)
            an.cost_before += abs(e)
    for f, e in merged.items():
        key = sform_key(f)
        if key is None or e >= 0:
            continue
        num = exps.get(key[0])
        if num is None or remaining.get(num, 0) <= 0:
            continue
        m = min(-e, remaining[num])
        sm[key] = sm.get(key, 0) + m
        remaining[num] -= m
        remaining[f] += m
        for v in (num, f):
            if v not in family:
                family.add(v)
                an.danger_before += abs(merged[v])
                an.cost_before += abs(merged[v])
    for key, k in sm.items():
        if k:
            rep = sm_rep.get(key)
            entries.append((rep if rep is not None else _memo(_softmax_builder(key)), k))
            an.danger_after += max(0, -k)
            an.cost_after += abs(k)

    # -- erfc: exp(-x**2) / erfc(x) = 1 / erfcx(x) -----------------------------------------
    if erfcx is not None:
        erfcs = {_erfc_arg(f): f for f in merged if _erfc_arg(f) is not None}
        for f, e in list(remaining.items()):
            x = _exp_minus_square(f)
            if x is None or e == 0 or x not in erfcs or erfcs[x] in family:
                continue
            ef = erfcs[x]
            c = e + remaining.get(ef, 0)
            d = -e
            for v in (f, ef):
                family.add(v)
                an.danger_before += abs(merged[v]) if v is f else max(0, -merged[v])
                an.cost_before += abs(merged[v])
                remaining[v] = 0
            if c:
                entries.append((ef, c))
                an.danger_after += max(0, -c)
                an.cost_after += abs(c)
            entries.append((_memo(_erfcx_builder(erfcx, x)), d))
            an.cost_after += abs(d)

    # -- sigmoid family ---------------------------------------------------------------------
    sig: dict[Variable, list[int]] = {}
    sig_rep: dict[tuple[Variable, int, int], Variable] = {}
    for f, e in list(remaining.items()):
        if e == 0 or f in family:
            continue
        atom = _sig_atom(f)
        if atom is None:
            continue
        base, a, b, kind = atom
        acc = sig.setdefault(base, [0, 0])
        acc[0] += e * a
        acc[1] += e * b
        sig_rep.setdefault((base, a, b), f)
        if kind in ("exp", "1pexp"):
            an.danger_before += abs(e)
        else:
            an.danger_before += max(0, -e)
        an.cost_before += abs(e)
        family.add(f)
        remaining[f] = 0
    sig_lazy: list = []
    for base, (a, b) in sig.items():
        if a == -b and a != 0:  # a pure exponential
            key = (base, 1, -1) if a > 0 else (base, -1, 1)
            rep = sig_rep.get(key)
            atom = rep if rep is not None else _memo(_exp_builder(base, a > 0))
            sig_lazy.append(atom)
            entries.append((atom, abs(a)))
            an.danger_after += abs(a)
            an.cost_after += abs(a)
            continue
        for exp_, pos in ((a, True), (b, False)):
            if exp_ == 0:
                continue
            rep = sig_rep.get((base, 1, 0) if pos else (base, 0, 1))
            atom = rep if rep is not None else _memo(_sigmoid_builder(base, pos))
            sig_lazy.append(atom)
            entries.append((atom, exp_))
            an.danger_after += max(0, -exp_)
            an.cost_after += abs(exp_)

    # -- what is left: other factors, and family factors not used up ------------------------
    for f, e in remaining.items():
        if e == 0:
            continue
        if f in family:  # partly paired exp(a) or sum(exp(a))
            entries.append((f, e))
            an.danger_after += abs(e)
            an.cost_after += abs(e)
            continue
        occ = occ_count.get(f, [])
        if len(occ) > 1 and min(occ) < 0 < max(occ):
            an.danger_before += sum(abs(o) for o in occ)  # e.g. x / x**2: cancel the powers
            an.danger_after += abs(e)
        entries.append((f, e))
    for f, occ in occ_count.items():
        if f not in merged:  # cancelled out (x / x): the division was a danger
            an.danger_before += sum(-o for o in occ if o < 0)
    an.family_factors = len(family)
    an.lazy = entries
    an.sig_exps = {base: (a, b) for base, (a, b) in sig.items() if a or b}
    sig_entries = set(map(id, sig_lazy))
    an.rest = [(f, e) for f, e in entries if id(f) not in sig_entries]
    return an


def realize(an: Analysis) -> list[tuple[Variable, int]]:
    """The entries of ``an`` with deferred atoms built."""
    out = []
    for f, e in an.lazy:
        out.append((f if isinstance(f, Variable) else f(), e))
    return out


def _softmax_builder(key: SoftmaxKey) -> Callable[[], Variable]:
    a, axis = key
    return lambda: Softmax(axis)(a)


def _erfcx_builder(erfcx: Callable[[Variable], Variable], x: Variable) -> Callable[[], Variable]:
    return lambda: erfcx(x)


def _exp_builder(base: Variable, positive: bool) -> Callable[[], Variable]:
    return lambda: exp(base) if positive else exp(negate(base))


def _sigmoid_builder(base: Variable, positive: bool) -> Callable[[], Variable]:
    return lambda: sigmoid(base) if positive else sigmoid(negate(base))


def has_family_factor(prod: Product) -> bool:
    """Cheap test: does any factor belong to one of the families?"""
    for f, _ in prod.occurrences:
        sop = scalar_op_of(f)
        if isinstance(sop, (S.Exp, S.ScalarSigmoid, S.Erfc)):
            return True
        if f.owner is not None and isinstance(f.owner.op, (Softmax, DimShuffle)):
            if softmax_key(f) is not None or sform_key(f) is not None:
                return True
        if isinstance(sop, (S.Add, S.Sub)) and _sig_atom(f) is not None:
            return True
    return False
