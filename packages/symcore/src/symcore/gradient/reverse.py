"""Reverse-mode differentiation: ``grad``, ``Lop`` and ``subgraph_grad``.

The sweep (Theano's algorithm, written iteratively so deep graphs need no recursion):

1. walk up from the cost (and the ``known_grads`` variables), following each node's
   ``connection_pattern`` from the output actually used to the inputs it depends on, and
   stopping at constants and ``consider_constant`` variables;
2. keep only the variables that depend on a ``wrt`` variable (a downward walk from ``wrt``);
3. visit the kept Apply nodes in reverse topological order, calling each Op's
   ``L_op(inputs, outputs, output_grads)`` (the base ``Op.L_op`` calls ``grad``), and add
   up the terms each variable receives from its clients.

Gradients that are structurally zero are ``DisconnectedType`` variables while the sweep
runs; gradients that are undefined are ``NullType`` variables, which win over any other
term. Both are resolved only at the end, for the ``wrt`` variables, as the flags say.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from symcore.gradient._tensor import (
    cast_to,
    dtype_of,
    float_dtype_for,
    float_zeros_like,
    format_as,
    is_continuous,
    is_tensor,
    scalar_constant,
)
from symcore.gradient.errors import (
    DisconnectedInputError,
    NullTypeGradError,
    grad_not_implemented,
    is_disconnected,
    is_null,
)
from symcore.graph.basic import Apply, Constant, Variable, ancestors
from symcore.graph.type import disconnected_type
from symcore.graph.utils import MethodNotDefined

__all__ = ["Lop", "grad", "subgraph_grad"]

_DISCONNECTED_INPUTS = ("ignore", "warn", "raise")
_RETURN_DISCONNECTED = ("zero", "None", "Disconnected")
_NULL_GRADIENTS = ("raise", "return")


def grad(
    cost: Variable | None,
    wrt: Variable | list | tuple,
    consider_constant: Iterable[Variable] | None = None,
    disconnected_inputs: str = "raise",
    add_names: bool = True,
    known_grads: Mapping[Variable, Any] | None = None,
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
):
    """Symbolic gradient of the scalar ``cost`` w.r.t. ``wrt`` (a variable, list or tuple).

    Returns the same structure as ``wrt``. ``consider_constant``: variables whose
    ancestors get no gradient through them. ``known_grads``: ``{variable: gradient}``
    seeds (with ``cost=None`` this is a vector-Jacobian product). ``disconnected_inputs``:
    what to do when a ``wrt`` variable does not influence the cost (``'raise'`` a
    ``DisconnectedInputError``, ``'warn'`` or ``'ignore'``); its gradient is then zeros
    (``return_disconnected='zero'``), ``None`` or a DisconnectedType variable
    (``'Disconnected'``). ``null_gradients='raise'`` raises ``NullTypeGradError`` when a
    gradient is undefined; ``'return'`` returns the NullType variable. ``add_names`` names
    gradients ``(dcost/dx)`` when the cost and ``x`` have names.
    """
    _check_choice("disconnected_inputs", disconnected_inputs, _DISCONNECTED_INPUTS)
    _check_choice("return_disconnected", return_disconnected, _RETURN_DISCONNECTED)
    _check_choice("null_gradients", null_gradients, _NULL_GRADIENTS)
    if cost is None and not known_grads:
        raise ValueError("grad: cost and known_grads cannot both be None")
    if cost is not None:
        cost = _check_cost(cost)
    use_list, use_tuple = isinstance(wrt, list), isinstance(wrt, tuple)
    wrt_list = _check_wrt(wrt)
    blockers = _variable_set(consider_constant, "consider_constant")
    seeds = _normalise_known_grads(known_grads)
    outputs = list(seeds)
    if cost is not None:
        outputs.append(cost)
        if cost not in seeds:
            seeds[cost] = scalar_constant(1.0, float_dtype_for(cost))

    sweep = ReverseSweep(outputs, wrt_list, blockers, stop_at=seeds)
    grad_dict = sweep.run(seeds)
    cost_name = cost.name if (add_names and cost is not None) else None
    protected = _protected_variables(outputs, seeds.values()) if cost_name else set()

    results = []
    for i, w in enumerate(wrt_list):
        g = grad_dict.get(w)
        if g is None:
            g = disconnected_type()
        if is_null(g):
            if null_gradients == "raise":
                raise NullTypeGradError(
                    f"grad: the gradient w.r.t. {_describe(w)} (wrt[{i}]) is undefined: "
                    f"{g.type.why_null}. Pass null_gradients='return' to get the NullType "
                    "variable instead."
                )
            results.append(g)
            continue
        if is_disconnected(g):
            _handle_disconnected(w, i, disconnected_inputs)
            if return_disconnected == "zero":
                results.append(float_zeros_like(w))
            elif return_disconnected == "None":
                results.append(None)
            else:
                results.append(g)
            continue
        g = _match_wrt_type(g, w)
        if (
            cost_name is not None
            and w.name is not None
            and g not in protected
            and g.owner is not None
        ):
            g.name = f"(d{cost_name}/d{w.name})"
        results.append(g)
    return format_as(use_list, use_tuple, results)


def Lop(
    f: Variable | list | tuple,
    wrt: Variable | list | tuple,
    eval_points: Any,
    consider_constant: Iterable[Variable] | None = None,
    disconnected_inputs: str = "raise",
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
):
    """Vector-Jacobian product ``eval_points · ∂f/∂wrt`` (the L-operator).

    ``f`` and ``eval_points`` are matching variables or lists; the result has the
    structure of ``wrt``.
    """
    fs = list(f) if isinstance(f, (list, tuple)) else [f]
    evs = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(fs) != len(evs):
        raise ValueError(f"Lop: {len(fs)} expressions but {len(evs)} eval_points")
    known: dict[Variable, Any] = {}
    for out, ev in zip(fs, evs, strict=True):
        if out in known:
            raise ValueError(f"Lop: expression {out} is given twice")
        known[out] = ev
    return grad(
        None,
        wrt,
        consider_constant=consider_constant,
        disconnected_inputs=disconnected_inputs,
        known_grads=known,
        return_disconnected=return_disconnected,
        null_gradients=null_gradients,
    )


def subgraph_grad(
    wrt: list,
    end: list,
    start: Mapping | None = None,
    cost: Variable | None = None,
    details: bool = False,
):
    """Gradients of a subgraph, for chaining backpropagation piece by piece (Theano's API).

    ``start`` maps variables to their known gradients, ``cost`` is an optional scalar
    added to them; ``end`` variables are held constant (the sweep stops there) and get
    their gradients returned too. Returns ``(wrt_grads, end_grads)`` or, with
    ``details=True``, also ``start_grads`` and ``cost_grads``.
    """
    if cost is None and start is None:
        raise ValueError("subgraph_grad needs a cost or start gradients")
    if not isinstance(end, list) or not isinstance(wrt, list):
        raise TypeError("subgraph_grad: wrt and end must be lists")
    params = list(dict.fromkeys(list(wrt) + list(end)))
    start_grads = cost_grads = None
    if start is not None:
        start_grads = list(
            grad(
                None,
                params,
                known_grads=dict(start),
                consider_constant=end,
                disconnected_inputs="ignore",
            )
        )
    if cost is not None:
        cost_grads = list(grad(cost, params, consider_constant=end, disconnected_inputs="ignore"))
    if start_grads is None:
        grads = cost_grads
    else:
        grads = list(start_grads)
        if cost_grads is not None:
            grads = [a + b for a, b in zip(grads, cost_grads, strict=True)]
    by_param = dict(zip(params, grads, strict=True))
    wrt_grads = [by_param[k] for k in wrt]
    end_grads = [by_param[k] for k in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads


def connected_to(
    outputs: list[Variable],
    wrt: list[Variable],
    consider_constant: Iterable[Variable] | None = None,
) -> list[bool]:
    """For each ``wrt`` variable, whether some output depends on it differentiably."""
    sweep = ReverseSweep(outputs, wrt, _variable_set(consider_constant, "consider_constant"))
    outs = set(outputs)
    return [w in sweep.var_to_app_to_idx or w in outs for w in wrt]


# ---------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------


class ReverseSweep:
    """The variables and nodes between ``wrt`` and ``outputs``, and the reverse pass."""

    def __init__(
        self,
        outputs: list[Variable],
        wrt: list[Variable],
        blockers: set,
        stop_at: Mapping | None = None,
    ) -> None:
        self._patterns: dict[Apply, list[list[bool]]] = {}
        # var_to_app_to_idx[var][node] = input positions of ``var`` in ``node`` through
        # which an output depends on ``var``
        self.var_to_app_to_idx: dict[Variable, dict[Apply, list[int]]] = {}
        self.wrt = wrt
        self._account(outputs, blockers)
        self._keep_descendants_of(wrt, stop_at or {})

    def pattern(self, node: Apply) -> list[list[bool]]:
        pat = self._patterns.get(node)
        if pat is None:
            pat = node.op.connection_pattern(node)
            if len(pat) != len(node.inputs) or any(len(row) != len(node.outputs) for row in pat):
                raise ValueError(
                    f"{node.op}.connection_pattern must be a list of {len(node.inputs)} rows "
                    f"(one per input) of {len(node.outputs)} booleans (one per output); got {pat}"
                )
            self._patterns[node] = pat
        return pat

    def _account(self, outputs: list[Variable], blockers: set) -> None:
        v2a = self.var_to_app_to_idx
        seen: set[Variable] = set()
        stack = list(reversed(outputs))
        while stack:
            var = stack.pop()
            if var in seen:
                continue
            seen.add(var)
            node = var.owner
            if node is None or isinstance(var, Constant) or var in blockers:
                continue
            pat = self.pattern(node)
            j = var.index
            for i in range(len(node.inputs) - 1, -1, -1):
                if not pat[i][j]:
                    continue
                inp = node.inputs[i]
                idx = v2a.setdefault(inp, {}).setdefault(node, [])
                if i not in idx:
                    idx.append(i)
                if inp not in seen:
                    stack.append(inp)

    def _keep_descendants_of(self, wrt: list[Variable], stop_at: Mapping) -> None:
        v2a = self.var_to_app_to_idx
        visited: set[Variable] = set()
        stack = list(wrt)
        while stack:
            var = stack.pop()
            if var in visited or var not in v2a:
                continue
            visited.add(var)
            if var in stop_at:
                continue  # its gradient is given: what lies below does not matter
            for node, idxs in v2a[var].items():
                pat = self.pattern(node)
                for i in idxs:
                    for j, out in enumerate(node.outputs):
                        if pat[i][j] and out not in visited:
                            stack.append(out)
        self.var_to_app_to_idx = {v: a for v, a in v2a.items() if v in visited}

    def nodes_in_order(self) -> list[Apply]:
        """The nodes with a kept input, in topological order (iterative DFS)."""
        relevant: dict[Apply, None] = {}
        for app_to_idx in self.var_to_app_to_idx.values():
            for node in app_to_idx:
                relevant.setdefault(node, None)
        order: list[Apply] = []
        done: set[Apply] = set()
        for root in relevant:
            if root in done:
                continue
            stack: list[tuple[Apply, bool]] = [(root, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    if node not in done:
                        done.add(node)
                        order.append(node)
                    continue
                if node in done:
                    continue
                stack.append((node, True))
                for inp in node.inputs:
                    p = inp.owner
                    if p is not None and p in relevant and p not in done:
                        stack.append((p, False))
        return order

    def run(self, seeds: Mapping[Variable, Variable]) -> dict[Variable, Variable]:
        """Compute the gradient of every kept variable; returns ``{var: gradient}``."""
        grad_dict: dict[Variable, Variable] = dict(seeds)
        terms: dict[Apply, list[Variable]] = {}
        for node in reversed(self.nodes_in_order()):
            output_grads = [self._grad_of(o, grad_dict, terms) for o in node.outputs]
            terms[node] = self._node_terms(node, output_grads)
        for w in self.wrt:
            self._grad_of(w, grad_dict, terms)
        return grad_dict

    def _grad_of(self, var: Variable, grad_dict: dict, terms: dict) -> Variable:
        if var in grad_dict:
            return grad_dict[var]
        app_to_idx = self.var_to_app_to_idx.get(var)
        result: Variable
        if app_to_idx is None:
            result = disconnected_type()
        else:
            nulls, parts = [], []
            for node, idxs in app_to_idx.items():
                for i in idxs:
                    term = terms[node][i]
                    if is_null(term):
                        nulls.append(term)
                    elif not is_disconnected(term):
                        parts.append(self._conform_term(term, var, node, i))
            if nulls:
                result = nulls[0]
            elif parts:
                result = parts[0]
                for p in parts[1:]:
                    result = result + p
            else:
                result = disconnected_type()
        grad_dict[var] = result
        return result

    @staticmethod
    def _conform_term(term: Variable, var: Variable, node: Apply, i: int) -> Variable:
        if is_tensor(var) and is_tensor(term):
            if term.type.ndim != var.type.ndim:
                raise ValueError(
                    f"{node.op}.grad returned a gradient with {term.type.ndim} dimensions for "
                    f"input {i} ({var}, type {var.type}) which has {var.type.ndim}"
                )
            if is_continuous(var):
                term = cast_to(term, dtype_of(var))  # type: ignore[arg-type]
        return term

    def _node_terms(self, node: Apply, output_grads: list[Variable]) -> list[Variable]:
        """The gradient terms of ``node``'s inputs given its outputs' gradients."""
        pat = self.pattern(node)
        n_in, n_out = len(node.inputs), len(node.outputs)
        out_connected = [not is_disconnected(g) for g in output_grads]
        out_null = [is_null(g) for g in output_grads]
        in_connected = [
            any(pat[i][j] and out_connected[j] for j in range(n_out)) for i in range(n_in)
        ]
        only_null = [
            not any(pat[i][j] and out_connected[j] and not out_null[j] for j in range(n_out))
            for i in range(n_in)
        ]
        if not any(in_connected):
            return [disconnected_type() for _ in node.inputs]
        if all(only_null[i] for i in range(n_in) if in_connected[i]):
            return [
                self._first_null(pat, i, output_grads) if in_connected[i] else disconnected_type()
                for i in range(n_in)
            ]

        input_grads = self._call_l_op(node, output_grads)

        result = []
        for i, (inp, term) in enumerate(zip(node.inputs, input_grads, strict=True)):
            if term is None:
                raise TypeError(
                    f"{node.op}.grad returned None for input {i} ({inp}); return "
                    "zeros_like(input), disconnected_type() or grad_undefined(...) instead"
                )
            if not isinstance(term, Variable):
                raise TypeError(
                    f"{node.op}.grad returned {type(term).__name__} for input {i} ({inp}); "
                    "gradients must be symbolic variables"
                )
            if not in_connected[i]:
                term = disconnected_type()  # the connection pattern says it cannot matter
            elif not (is_null(term) or is_disconnected(term)):
                null = self._first_null(pat, i, output_grads, only_if_any=True)
                if null is not None:
                    term = null  # an undefined output gradient makes this one undefined
                elif is_tensor(term):
                    if not is_continuous(term):
                        raise TypeError(
                            f"{node.op}.grad returned an integer-valued gradient (dtype "
                            f"{term.type.dtype}) for input {i} ({inp}, type {inp.type}); "
                            "gradients are float: return zeros_like(input, dtype=floatX) for "
                            "integer inputs, or disconnected_type()"
                        )
                    if is_tensor(inp) and term.type.ndim != inp.type.ndim:
                        raise ValueError(
                            f"{node.op}.grad returned a gradient with {term.type.ndim} "
                            f"dimensions for input {i} ({inp}, type {inp.type}) which has "
                            f"{inp.type.ndim}"
                        )
            result.append(term)
        return result

    @staticmethod
    def _first_null(pat, i: int, output_grads: list, only_if_any: bool = False):
        for j, g in enumerate(output_grads):
            if pat[i][j] and is_null(g):
                return g
        if only_if_any:
            return None
        raise AssertionError("no undefined output gradient")  # pragma: no cover

    @staticmethod
    def _call_l_op(node: Apply, output_grads: list[Variable]) -> list[Variable]:
        op = node.op
        inputs = list(node.inputs)
        # If the Op overwrites an input, its gradient must not read the overwritten
        # value: give it a symbolic copy instead.
        for idxs in getattr(op, "destroy_map", {}).values():
            for k in idxs:
                if hasattr(inputs[k], "copy"):
                    inputs[k] = inputs[k].copy()
        ograds = []
        for out, g in zip(node.outputs, output_grads, strict=True):
            if is_continuous(out) and is_tensor(g) and dtype_of(g) != dtype_of(out):
                g = cast_to(g, dtype_of(out))  # type: ignore[arg-type]
            ograds.append(g)
        has_grad = getattr(op, "has_grad", None)
        if has_grad is not None and not has_grad():
            return [
                grad_not_implemented(op, i, inp, "the Op defines neither grad nor L_op")
                for i, inp in enumerate(inputs)
            ]
        try:
            input_grads = op.L_op(inputs, node.outputs, ograds)
        except MethodNotDefined:
            return [
                grad_not_implemented(op, i, inp, "the Op defines neither grad nor L_op")
                for i, inp in enumerate(inputs)
            ]
        except Exception:
            # Theano passes DisconnectedType gradients for outputs that do not reach the
            # cost; an Op that cannot cope gets zeros for them instead.
            if not any(is_disconnected(g) for g in ograds):
                raise
            zeros = [
                float_zeros_like(o) if (is_disconnected(g) and is_tensor(o)) else g
                for o, g in zip(node.outputs, ograds, strict=True)
            ]
            input_grads = op.L_op(inputs, node.outputs, zeros)
        if input_grads is None or isinstance(input_grads, Variable):
            raise TypeError(
                f"{op}.grad must return a list with one gradient per input "
                f"({len(inputs)}), got {input_grads!r}"
            )
        input_grads = list(input_grads)
        if len(input_grads) != len(inputs):
            raise ValueError(
                f"{op}.grad returned {len(input_grads)} gradients for {len(inputs)} inputs"
            )
        return input_grads


# ---------------------------------------------------------------------------------------
# Argument checking and result shaping
# ---------------------------------------------------------------------------------------


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def _check_cost(cost: Any) -> Variable:
    if not isinstance(cost, Variable):
        from symcore.tensor.basic import as_tensor_variable

        cost = as_tensor_variable(cost)
    if is_null(cost):
        raise ValueError(
            f"grad: cannot differentiate an undefined (NullType) cost: {cost.type.why_null}"
        )
    ndim = getattr(cost.type, "ndim", None)
    if ndim != 0:
        shape = f"{ndim} dimensions" if ndim is not None else f"type {cost.type}"
        raise TypeError(
            f"grad: cost must be a scalar (0-d); got {cost} with {shape} (type {cost.type}). "
            "Reduce it first (e.g. cost.sum() or cost.mean()), or use jacobian/Lop for "
            "non-scalar expressions."
        )
    return cost


def _check_wrt(wrt: Any) -> list[Variable]:
    wrt_list = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    for i, w in enumerate(wrt_list):
        if not isinstance(w, Variable):
            raise TypeError(
                f"grad: wrt[{i}] must be a symbolic variable, got {type(w).__name__}: {w!r}"
            )
        if is_null(w):
            raise TypeError(f"grad: cannot differentiate w.r.t. a NullType variable (wrt[{i}])")
    return wrt_list


def _variable_set(vs: Iterable[Variable] | None, what: str) -> set:
    if vs is None:
        return set()
    if isinstance(vs, Variable):
        raise TypeError(f"{what} must be an iterable of variables, got the variable {vs}")
    try:
        items = list(vs)
    except TypeError:
        raise TypeError(
            f"{what} must be an iterable of variables, got {type(vs).__name__}"
        ) from None
    for v in items:
        if not isinstance(v, Variable):
            raise TypeError(f"elements of {what} must be variables, got {type(v).__name__}: {v!r}")
    return set(items)


def _normalise_known_grads(known_grads: Mapping | None) -> dict[Variable, Variable]:
    out: dict[Variable, Variable] = {}
    if not known_grads:
        return out
    from symcore.tensor.basic import as_tensor_variable

    for var, g in known_grads.items():
        if not isinstance(var, Variable):
            raise TypeError(
                f"known_grads keys must be variables, got {type(var).__name__}: {var!r}"
            )
        if not isinstance(g, Variable):
            g = as_tensor_variable(np.asarray(g, dtype=float_dtype_for(var)))
        if not (is_null(g) or is_disconnected(g)):
            if not is_continuous(g):
                raise TypeError(
                    f"known_grads[{var}] must be a float (or NullType/DisconnectedType) "
                    f"variable, got type {g.type}"
                )
            if is_tensor(var) and g.type.ndim != var.type.ndim:
                raise ValueError(
                    f"known_grads[{var}] has {g.type.ndim} dimensions but {var} has {var.type.ndim}"
                )
        out[var] = g
    return out


def _handle_disconnected(w: Variable, i: int, how: str) -> None:
    if how == "ignore":
        return
    msg = (
        f"grad: the cost does not depend on {_describe(w)} (wrt[{i}]): it is not part of "
        "the cost's graph, or it reaches the cost only through non-differentiable "
        "operations (integer outputs, consider_constant, disconnected_grad...). Pass "
        "disconnected_inputs='ignore' (or 'warn') to get a zero gradient instead."
    )
    if how == "warn":
        warnings.warn(msg, stacklevel=3)
    else:
        raise DisconnectedInputError(msg)


def _describe(v: Variable) -> str:
    name = f"'{v.name}'" if v.name else str(v)
    return f"{name} (type {v.type})"


def _match_wrt_type(g: Variable, w: Variable) -> Variable:
    """Give the gradient ``w``'s float dtype and broadcastable pattern."""
    if not (is_tensor(g) and is_tensor(w)):
        return g
    if is_continuous(w) and dtype_of(g) != dtype_of(w):
        g = cast_to(g, dtype_of(w))  # type: ignore[arg-type]
    if g.type.broadcastable != w.type.broadcastable and g.type.ndim == w.type.ndim:
        target = w.type.clone(dtype=g.type.dtype, broadcastable=w.type.broadcastable)
        try:
            g = target.filter_variable(g)
        except (TypeError, ImportError, AttributeError):
            pass
    return g


def _protected_variables(outputs: list[Variable], given: Iterable[Variable]) -> set:
    """Variables that belong to the user (never renamed by ``add_names``)."""
    return set(ancestors(list(outputs) + [g for g in given if isinstance(g, Variable)]))
