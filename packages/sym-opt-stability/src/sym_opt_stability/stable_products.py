"""The product rewrite: products of exponentials, sigmoids, ``1 + exp``, softmax ratios and
``erfc`` rebuilt from stable atoms (see :mod:`sym_opt_stability.families`).

This one rewrite gives

* ``1 / (1 + exp(-x)) -> sigmoid(x)``, ``exp(x) / (1 + exp(x)) -> sigmoid(x)``,
* ``exp(a) / sum(exp(a), axis, keepdims) -> softmax(a, axis)``,
* the stable gradients of the naive formulas: their gradient graphs are products such as
  ``g / p * exp(-x) / (1 + exp(-x))**2`` (``inf / inf`` at ``x = -1000``) which become
  ``g * sigmoid(-x)``. When a factor is a sum whose terms divide by what the rest of the
  product multiplies (the gradient of ``-y*log(p) - (1-y)*log(1-p)`` with respect to ``p``,
  times ``dp/dx``), the product is distributed over the sum if that removes the divisions.

It works on the root of each product tree (a product node used by something that is not a
product), so each tree is looked at once per round.
"""

from __future__ import annotations

import numpy as np
from symcore.graph.basic import Variable
from symcore.rewriting import node_rewriter
from symcore.tensor.basic import constant
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.math_special import sigmoid

from sym_opt_stability._match import add_terms, fit_like, is_float, negate, rebuild_sum
from sym_opt_stability.erf import erfcx
from sym_opt_stability.families import Analysis, analyze, has_family_factor, realize
from sym_opt_stability.products import Product, build_product, is_product_node, parse_product

__all__ = ["local_sigmoid_complement_sum", "local_stable_product", "simplify_product"]

_MAX_DISTRIBUTE_TERMS = 8


def _is_root(fgraph, var: Variable) -> bool:
    clients = fgraph.clients.get(var, ()) if fgraph is not None else ()
    if not clients:
        return True
    for client, _ in clients:
        if client == "output" or not hasattr(client, "outputs"):
            return True
        if not is_product_node(client.outputs[0]):
            return True
    return False


def _as_product(sign: int, var: Variable) -> Product:
    prod = parse_product(var) if is_product_node(var) else None
    if prod is None:
        prod = Product(1, [(var, 1)])
    if sign < 0:
        prod = Product(-prod.sign, prod.occurrences, prod.refs)
    return prod


def _refs(prod: Product) -> list[Variable]:
    return [*prod.refs, *(f for f, _ in prod.occurrences)]


def _build(prod: Product, an: Analysis, dtype: str) -> Variable:
    built = build_product(prod.sign, realize(an))
    if built is None:  # everything cancelled: the constant +-1
        built = constant(np.asarray(prod.sign, dtype=dtype))
    return built


def simplify_product(prod: Product, old: Variable, force: bool = False) -> Variable | None:
    """``prod`` rebuilt from stable atoms and typed like ``old``; None when that does not
    improve it (unless ``force``) or the result cannot be given ``old``'s type."""
    an = analyze(prod, erfcx)
    if not (an.improves or force):
        return None
    return fit_like(_build(prod, an, old.type.dtype), old, refs=_refs(prod))


def _distribute(prod: Product, old: Variable) -> Variable | None:
    """Distribute ``prod`` over one of its factors that is a sum, when the terms then lose
    their divisions by family atoms (fewer dangerous factors in total)."""
    for index, (f, e) in enumerate(prod.occurrences):
        if e != 1:
            continue
        terms = add_terms(f)
        if terms is None or len(terms) > _MAX_DISTRIBUTE_TERMS:
            continue
        outer = prod.without(index)
        outer_an = analyze(outer, erfcx)
        if outer_an.family_factors == 0:
            continue
        parts = [_as_product(s, t) for s, t in terms]
        before = outer_an.danger_after + sum(analyze(p, erfcx).danger_after for p in parts)
        combined = [p.times(outer) for p in parts]
        analyses = [analyze(c, erfcx) for c in combined]
        if sum(a.danger_after for a in analyses) >= before:
            continue
        built = [(1, _build(c, a, old.type.dtype)) for c, a in zip(combined, analyses, strict=True)]
        total = rebuild_sum(built)
        if total is None:
            return None
        return fit_like(total, old, refs=_refs(prod))
    return None


@node_rewriter([Elemwise])
def local_stable_product(fgraph, node):
    """Products of exp/sigmoid/softmax/erfc factors rebuilt stably (module docstring)."""
    out = node.outputs[0]
    if len(node.outputs) != 1 or not is_float(out) or not is_product_node(out):
        return None
    if not _is_root(fgraph, out):
        return None
    prod = parse_product(out)
    if prod is None or not prod.occurrences:
        return None
    has_family = has_family_factor(prod)
    if has_family:
        new = simplify_product(prod, out)
        if new is not None:
            return [new]
    if has_family or any(add_terms(f) is not None for f, _ in prod.occurrences):
        new = _distribute(prod, out)
        if new is not None:
            return [new]
    new = simplify_product(prod, out) if not has_family else None
    return [new] if new is not None else None


def _rest_key(an: Analysis) -> tuple | None:
    """The non-sigmoid part of a simplified product, comparable between terms (None when it
    holds atoms that are not built yet)."""
    if not all(isinstance(f, Variable) for f, _ in an.rest):
        return None
    return tuple(sorted((id(f), e) for f, e in an.rest))


def _complement_pair(an_i: Analysis, an_j: Analysis) -> tuple[Variable, bool] | None:
    """``(base, positive)`` when the sigmoid part of ``j`` is that of ``i`` times
    ``sigmoid(base)`` (``positive``) or ``sigmoid(-base)``; None otherwise."""
    found = None
    for base in set(an_i.sig_exps) | set(an_j.sig_exps):
        ai, bi = an_i.sig_exps.get(base, (0, 0))
        aj, bj = an_j.sig_exps.get(base, (0, 0))
        diff = (aj - ai, bj - bi)
        if diff == (0, 0):
            continue
        if found is not None or diff not in ((1, 0), (0, 1)):
            return None
        found = (base, diff == (1, 0))
    return found


@node_rewriter([Elemwise])
def local_sigmoid_complement_sum(fgraph, node):
    """``P - P * sigmoid(x) -> P * sigmoid(-x)`` in a sum (``P`` any product): the gradient of
    ``exp(x) / (1 + exp(x))`` is ``sigmoid(x) - sigmoid(x)**2``, which cancels to 0 where
    ``sigmoid(x)`` rounds to 1, while ``sigmoid(x) * sigmoid(-x)`` does not."""
    out = node.outputs[0]
    if not is_float(out):
        return None
    terms = add_terms(out)
    if terms is None or len(terms) < 2:
        return None
    parts = [_as_product(s, t) for s, t in terms]
    analyses = [analyze(p, erfcx) for p in parts]
    keys = [_rest_key(a) if a.sig_exps else None for a in analyses]
    for i, j in ((i, j) for i in range(len(terms)) for j in range(len(terms)) if i != j):
        if keys[i] is None or keys[i] != keys[j] or parts[i].sign != -parts[j].sign:
            continue
        pair = _complement_pair(analyses[i], analyses[j])
        if pair is None:
            continue
        base, positive = pair
        other = sigmoid(negate(base)) if positive else sigmoid(base)
        combined = build_product(parts[i].sign, [*realize(analyses[i]), (other, 1)])
        rest = [(1, t if s > 0 else negate(t)) for k, (s, t) in enumerate(terms) if k not in (i, j)]
        total = rebuild_sum([(1, combined), *rest])
        new = fit_like(total, out, refs=[t for _, t in terms])
        return [new] if new is not None else None
    return None
