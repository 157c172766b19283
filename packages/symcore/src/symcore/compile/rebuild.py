"""Applying ``givens`` and collecting shared variables and their updates (Theano's
``rebuild_collect_shared``).

The user's graph is never modified: when there are substitutions the outputs and update
expressions are copied with ``givens`` applied; then every shared variable they read is
collected (they become implicit inputs of the function), and the ``default_update`` of
each one found is added unless disabled, repeatedly, since a default update may read
more shared variables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from symcore.graph.basic import Variable, clone_get_equiv, graph_inputs

__all__ = ["normalise_updates", "normalise_givens", "rebuild_collect_shared", "check_update"]


def _is_shared(v: Any) -> bool:
    return getattr(v, "_is_shared_variable", False)


def _pairs(obj: Any, what: str) -> list[tuple[Any, Any]]:
    if obj is None:
        return []
    if isinstance(obj, dict):
        return list(obj.items())
    if (
        isinstance(obj, (list, tuple))
        and len(obj) == 2
        and all(isinstance(e, Variable) for e in obj)
    ):
        return [tuple(obj)]  # a single (target, expression) pair
    try:
        items = list(obj)
    except TypeError:
        raise TypeError(
            f"{what} must be a dict or a list of (variable, value) pairs, got {type(obj).__name__}"
        ) from None
    out = []
    for item in items:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise TypeError(
                f"{what} must be a dict or a list of (variable, value) pairs; got the item {item!r}"
            )
        out.append(tuple(item))
    return out


def check_update(target: Any, expr: Any) -> Variable:
    """``expr`` as a valid update of the shared variable ``target``, else TypeError.

    The update must have the target's dtype and number of dimensions. Its broadcastable
    pattern may be more specific (values fit) or less specific (accepted; the new value is
    checked when it is stored).
    """
    if not _is_shared(target):
        raise TypeError(
            f"The target of an update must be a shared variable, got {target} "
            f"({type(target).__name__}). Only shared variables (symcore.shared) keep state "
            "between calls."
        )
    if not isinstance(expr, Variable):
        try:
            expr = target.type.filter_variable(expr)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"The update value {expr!r} of {target} cannot be converted to {target.type}: {exc}"
            ) from exc
    tt, et = target.type, expr.type
    if tt == et or tt.is_super(et) or et.is_super(tt):
        return expr
    hint = ""
    t_dtype, e_dtype = getattr(tt, "dtype", None), getattr(et, "dtype", None)
    if t_dtype is not None and e_dtype is not None and t_dtype != e_dtype:
        hint = (
            f" The dtypes differ ({e_dtype} vs {t_dtype}): cast the update, e.g. "
            f"updates=[({target}, T.cast(expr, '{t_dtype}'))], or keep every operand in "
            f"{t_dtype} (NumPy float64 arrays or scalars promote the result to float64)."
        )
    elif getattr(tt, "ndim", None) != getattr(et, "ndim", None):
        e_nd, t_nd = getattr(et, "ndim", "?"), getattr(tt, "ndim", "?")
        hint = f" The numbers of dimensions differ ({e_nd} vs {t_nd})."
    else:
        hint = (
            " If the difference is in the broadcast pattern, use T.unbroadcast / "
            "T.patternbroadcast on the update expression."
        )
    raise TypeError(
        "An update must have the same type as the shared variable it updates "
        f"(shared_var={target}, shared_var.type={tt}, update_val={expr}, update_val.type={et})."
        + hint
    )


def _order_key(pair_and_pos: tuple[int, tuple[Any, Any]]) -> tuple:
    pos, (target, _) = pair_and_pos
    return (getattr(target, "_shared_order", float("inf")), pos)


def normalise_updates(updates: Any) -> list[tuple[Variable, Variable]]:
    """Updates as checked ``(shared_variable, expression)`` pairs in a canonical order.

    Pairs are ordered by the creation order of their shared variables, so a dict or list
    in any order compiles to the same function. A target given twice is a ValueError.
    """
    pairs = _pairs(updates, "updates")
    seen: set = set()
    out = []
    for _pos, (target, expr) in sorted(enumerate(pairs), key=_order_key):
        if target in seen:
            raise ValueError(f"The shared variable {target} is given two update expressions")
        seen.add(target)
        out.append((target, check_update(target, expr)))
    return out


def normalise_givens(givens: Any, strict: bool = True) -> list[tuple[Variable, Variable]]:
    """``givens`` as ``(variable, replacement)`` pairs; values become constants of the
    variable's type; with ``strict`` the replacement must have (or convert to) that type."""
    out = []
    seen: set = set()
    for old, new in _pairs(givens, "givens"):
        if not isinstance(old, Variable):
            raise TypeError(f"The keys of givens must be symbolic variables, got {old!r}")
        if old in seen:
            raise ValueError(f"The variable {old} is given two replacements in givens")
        seen.add(old)
        if not isinstance(new, Variable):
            try:
                new = old.type.filter_variable(new)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"givens: the value given for {old} does not fit its type {old.type}: {exc}"
                ) from exc
        elif new.type != old.type and strict:
            try:
                new = old.type.filter_variable(new)
            except Exception as exc:
                raise TypeError(
                    f"givens: cannot use variable {new} of type {new.type} in place of variable "
                    f"{old} of type {old.type}. Cast the replacement, or pass "
                    "rebuild_strict=False to let the graph be rebuilt with the new type."
                ) from exc
        out.append((old, new))
    return out


def rebuild_collect_shared(
    outputs: Sequence[Variable],
    input_vars: Sequence[Variable],
    input_updates: Sequence[Variable | None],
    updates: Sequence[tuple[Variable, Variable]],
    givens: Sequence[tuple[Variable, Variable]],
    no_default_updates: bool | Iterable[Variable] = False,
) -> tuple[list[Variable], list[Variable | None], list[Variable], dict[Variable, Variable]]:
    """Apply ``givens`` and collect shared variables.

    Returns ``(new_outputs, new_input_updates, shared_vars, update_of)``: the outputs and
    the inputs' update expressions with substitutions made, the shared variables read by
    them or updated (in discovery order), and the update expression of each updated
    shared variable (explicit ones first, then default updates).
    """
    blockers = list(input_vars)
    memo: dict = {}
    for old, new in givens:
        memo[old] = new
    for v in input_vars:
        memo.setdefault(v, v)
    keys = list(memo)
    given_keys = {old for old, _ in givens}
    substitute = bool(givens)

    def rebuild(vs: Sequence[Variable | None]) -> list[Variable | None]:
        real = [v for v in vs if v is not None]
        if not substitute or not real:
            return list(vs)
        equiv = clone_get_equiv(keys, real, copy_inputs=False, copy_orphans=False, memo=memo)
        return [None if v is None else equiv.get(v, v) for v in vs]

    if no_default_updates is True:
        skip_default: Any = True
    else:
        skip_default = set(no_default_updates or ())

    shared_vars: list[Variable] = []
    known: set = set()
    update_list = list(updates)
    targets = {t for t, _ in update_list}

    def collect(vs: Sequence[Variable | None]) -> None:
        real = [v for v in vs if v is not None]
        for r in graph_inputs(real, blockers):
            if _is_shared(r) and r not in known and r not in given_keys:
                known.add(r)
                shared_vars.append(r)
                default = getattr(r, "default_update", None)
                if (
                    default is not None
                    and r not in targets
                    and not (skip_default is True or r in skip_default)
                ):
                    targets.add(r)
                    update_list.append((r, check_update(r, default)))

    new_outputs = rebuild(outputs)
    new_in_updates = rebuild(input_updates)
    collect(list(new_outputs) + list(new_in_updates))
    update_of: dict[Variable, Variable] = {}
    i = 0
    while i < len(update_list):
        target, expr = update_list[i]
        (new_expr,) = rebuild([expr])
        update_of[target] = new_expr
        if target not in known:
            known.add(target)
            shared_vars.append(target)
        collect([new_expr])
        i += 1
    return list(new_outputs), list(new_in_updates), shared_vars, update_of
