"""Forward mode: ``Rop(f, wrt, eval_points)``, the Jacobian-vector product ``∂f/∂wrt · v``.

Nodes between ``wrt`` and ``f`` are visited in topological order. Each Op's
``R_op(inputs, eval_points)`` gives its outputs' tangents; the eval point of an input that
does not depend on ``wrt`` is ``None`` (a zero tangent: Ops skip it, so no partial
derivative is formed for it — ``0 * log(x)`` would be NaN for ``x < 0``). When an Op has no
``R_op``, cannot cope with ``None``, or returns ``None`` for a float output, the node's
tangents come from two reverse passes through its ``L_op`` (the "Lop trick"): with ``u``
standing for the outputs' cotangents, ``g(u) = uᵀJ`` is linear in ``u``, and the gradient
of ``g(u)·v`` w.r.t. ``u`` is ``J v``.
"""

from __future__ import annotations

import warnings
from typing import Any

from symcore.gradient._tensor import (
    T,
    cast_to,
    dtype_of,
    float_zeros_like,
    format_as,
    is_continuous,
    is_tensor,
)
from symcore.gradient.errors import (
    DisconnectedInputError,
    NullTypeGradError,
    is_disconnected,
    is_null,
)
from symcore.graph.basic import Apply, Variable, ancestors, clone_replace, io_toposort
from symcore.graph.type import disconnected_type
from symcore.graph.utils import MethodNotDefined

__all__ = ["Rop"]

_DISCONNECTED = ("ignore", "warn", "raise")
_RETURN = ("zero", "None", "Disconnected")


def Rop(
    f: Variable | list | tuple,
    wrt: Variable | list | tuple,
    eval_points: Any,
    disconnected_outputs: str = "raise",
    return_disconnected: str = "zero",
):
    """Jacobian-vector product of ``f`` (variable or list) w.r.t. ``wrt`` at ``eval_points``.

    ``eval_points`` matches ``wrt`` element by element (same number of dimensions). The
    result has ``f``'s structure. An output of ``f`` that does not depend on ``wrt`` is
    handled as ``disconnected_outputs`` says (``'raise'`` a ``DisconnectedInputError``,
    ``'warn'``, ``'ignore'``) and gets zeros, ``None`` or a DisconnectedType variable as
    ``return_disconnected`` (``'zero'``, ``'None'``, ``'Disconnected'``) says.
    """
    if disconnected_outputs not in _DISCONNECTED:
        raise ValueError(
            f"disconnected_outputs must be one of {_DISCONNECTED}, got {disconnected_outputs!r}"
        )
    if return_disconnected not in _RETURN:
        raise ValueError(
            f"return_disconnected must be one of {_RETURN}, got {return_disconnected!r}"
        )
    use_list, use_tuple = isinstance(f, list), isinstance(f, tuple)
    fs = list(f) if (use_list or use_tuple) else [f]
    wrt_list = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    evs = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(wrt_list) != len(evs):
        raise ValueError(f"Rop: {len(wrt_list)} wrt variables but {len(evs)} eval_points")

    tangents: dict[Variable, Variable | None] = {}
    for i, (w, ev) in enumerate(zip(wrt_list, evs, strict=True)):
        if not isinstance(w, Variable):
            raise TypeError(f"Rop: wrt[{i}] must be a symbolic variable, got {type(w).__name__}")
        tangents[w] = _conform_eval_point(w, ev, i)

    for node in io_toposort(wrt_list, fs):
        in_tangents = [tangents.get(inp) for inp in node.inputs]
        if all(t is None for t in in_tangents):
            continue
        null = next((t for t in in_tangents if is_null(t)), None)
        if null is not None:  # an undefined tangent makes everything downstream undefined
            for out in node.outputs:
                tangents[out] = null
            continue
        for out, t in zip(node.outputs, _node_r_op(node, in_tangents), strict=True):
            if is_disconnected(t):
                t = None
            if t is not None and not is_null(t) and is_tensor(out) and is_continuous(out):
                t = cast_to(t, dtype_of(out))  # type: ignore[arg-type]
            tangents[out] = t

    results = []
    for k, out in enumerate(fs):
        t = tangents.get(out)
        if is_null(t):
            raise NullTypeGradError(
                f"Rop: the tangent of output {k} ({out}) is undefined: {t.type.why_null}"
            )
        if t is None:
            _handle_disconnected(out, k, disconnected_outputs)
            if return_disconnected == "zero":
                t = float_zeros_like(out)
            elif return_disconnected == "Disconnected":
                t = disconnected_type()
        results.append(t)
    return format_as(use_list, use_tuple, results)


def _conform_eval_point(w: Variable, ev: Any, i: int) -> Variable:
    if not isinstance(ev, Variable):
        from symcore.tensor.basic import as_tensor_variable

        ev = as_tensor_variable(ev)
    if is_tensor(w) and is_tensor(ev):
        if ev.type.ndim != w.type.ndim:
            raise ValueError(
                f"Rop: wrt[{i}] ({w}, type {w.type}) and its eval point ({ev}, type "
                f"{ev.type}) have different numbers of dimensions"
            )
        if dtype_of(ev) != dtype_of(w) and is_continuous(w):
            ev = cast_to(ev, dtype_of(w))  # type: ignore[arg-type]
    return ev


def _node_r_op(node: Apply, tangents: list) -> list:
    """The tangents of ``node``'s outputs: its Op's R_op, else the Lop trick."""
    try:
        outs = node.op.R_op(list(node.inputs), list(tangents))
    except (MethodNotDefined, NotImplementedError):
        outs = None
    except Exception:
        # An R_op that cannot cope with a None (zero) tangent: the Lop trick can.
        outs = None
    if outs is not None:
        outs = list(outs)
        if len(outs) != len(node.outputs):
            raise ValueError(
                f"{node.op}.R_op returned {len(outs)} tangents for {len(node.outputs)} outputs"
            )
        if all(t is not None for t, o in zip(outs, node.outputs, strict=True) if is_continuous(o)):
            return outs
    return _r_op_by_lop(node, tangents)


def _r_op_by_lop(node: Apply, tangents: list) -> list:
    """``J v`` for one node from two reverse passes through its ``L_op``."""
    from symcore.gradient.reverse import grad

    float_outs = [o for o in node.outputs if is_tensor(o) and is_continuous(o)]
    if not float_outs:
        return [None] * len(node.outputs)
    us = {o: o.type() for o in float_outs}
    with_tangent = [(inp, t) for inp, t in zip(node.inputs, tangents, strict=True) if t is not None]
    if not with_tangent:
        return [None] * len(node.outputs)
    vjps = grad(
        None,
        [inp for inp, _ in with_tangent],
        known_grads=us,
        disconnected_inputs="ignore",
        return_disconnected="Disconnected",
        null_gradients="return",
    )
    known = {}
    for (inp, t), g in zip(with_tangent, vjps, strict=True):
        if is_null(g):
            raise NullTypeGradError(
                f"Rop: {node.op} has no R_op and its gradient w.r.t. input {inp} is "
                f"undefined: {g.type.why_null}"
            )
        if not is_disconnected(g):
            known[g] = t if dtype_of(t) == dtype_of(g) else cast_to(t, dtype_of(g))  # type: ignore[arg-type]
    if not known:
        return [None] * len(node.outputs)
    u_list = list(us.values())
    jvps = grad(
        None,
        u_list,
        known_grads=known,
        disconnected_inputs="ignore",
        return_disconnected="None",
        null_gradients="raise",
    )
    # J v does not depend on the values of u; the dummies may remain only through
    # shape computations: stand in zeros of the outputs' shapes for them.
    present = [j for j in jvps if j is not None]
    used = set(ancestors(present)) if present else set()
    replace = {u: T().zeros_like(o) for o, u in us.items() if u in used}
    if replace:
        present = clone_replace(present, replace)
    it = iter(present)
    by_out = {
        o: (next(it) if j is not None else None) for o, j in zip(float_outs, jvps, strict=True)
    }
    return [by_out.get(o) for o in node.outputs]


def _handle_disconnected(out: Variable, k: int, how: str) -> None:
    if how == "ignore":
        return
    msg = (
        f"Rop: output {k} ({out}) does not depend on the wrt variables (or only through "
        "non-differentiable operations). Pass disconnected_outputs='ignore' (or 'warn') to "
        "get a zero tangent instead."
    )
    if how == "warn":
        warnings.warn(msg, stacklevel=3)
    else:
        raise DisconnectedInputError(msg)
