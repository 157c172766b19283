"""``DebugMode``: run a function slowly while checking everything that can be checked.

At every call, for every node of the rewritten graph it

* runs the Op's ``perform`` on copies of the inputs and checks that the outputs are valid
  values of their types (``InvalidValueError``; NaN/Inf too with ``check_isfinite``);
* checks ``destroy_map`` honesty (an input not declared destroyed must be unchanged:
  ``BadDestroyMap``) and ``view_map`` honesty (an output sharing memory with an input must
  declare it: ``BadViewMap``);
* runs the backend's own per-node thunk when the linker has ``make_node_thunk`` (e.g. a
  compiled implementation) and compares its outputs to ``perform`` (``BadThunkOutput``);
  a linker without per-node thunks has its whole-graph outputs compared instead;
* compares ``infer_shape`` (evaluated on the real input shapes) with the real output
  shapes (``BadInferShape``).

Then it checks the rewrites: every replacement made while rewriting (recorded with the
rewrite's name) must give the same value as what it replaced (``BadOptimization``), and
the un-rewritten graph must give the same outputs as the rewritten one. The FIRST
divergence is raised, naming the node, the rewrite and the values.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.compile.mode import Mode, register_mode
from symcore.compile.profiling import TimedRewriter
from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import perform_of
from symcore.graph.utils import format_trace
from symcore.link.reference import ReferenceLinker, raise_node_error

__all__ = [
    "BadDestroyMap",
    "BadInferShape",
    "BadOptimization",
    "BadThunkOutput",
    "BadViewMap",
    "DebugLinker",
    "DebugMode",
    "DebugModeError",
    "InvalidValueError",
]


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        body = np.array2string(value, threshold=20, edgeitems=3, precision=6)
        return f"shape={value.shape} dtype={value.dtype} {body}"
    return repr(value)


def _diff(a: Any, b: Any) -> str:
    try:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return f"shapes differ: {a.shape} vs {b.shape}"
        if a.dtype.kind in "biufc" and b.dtype.kind in "biufc" and a.size:
            d = np.abs(a.astype(np.complex128) - b.astype(np.complex128))
            return f"max abs difference {np.nanmax(d):.6g}"
    except Exception:  # noqa: BLE001 - only informative
        pass
    return "values differ"


def _where(node: Apply | None) -> str:
    if node is None:
        return ""
    return "\nNode built at:\n" + format_trace(getattr(node.tag, "trace", []))


def _inputs_desc(node: Apply, inputs: Sequence[Any]) -> str:
    return "\n".join(
        f"  input {i} ({v}, {v.type}): {_show(val)}"
        for i, (v, val) in enumerate(zip(node.inputs, inputs, strict=True))
    )


class DebugModeError(Exception):
    """Base class of the errors DebugMode raises."""


class BadThunkOutput(DebugModeError):
    """A backend's implementation of a node disagrees with the Op's ``perform``."""

    def __init__(
        self,
        node: Apply | None,
        output_idx: int,
        ref: Any,
        got: Any,
        inputs: Sequence[Any] = (),
        impl: str = "thunk",
    ) -> None:
        self.node, self.output_idx, self.ref, self.got, self.inputs = (
            node,
            output_idx,
            ref,
            got,
            list(inputs),
        )
        what = f"node {node.op}" if node is not None else "the whole graph"
        msg = (
            f"BadThunkOutput: the {impl} of {what} gives a different output {output_idx} "
            "than perform "
            f"({_diff(ref, got)}).\n  perform: {_show(ref)}\n  {impl}: {_show(got)}"
        )
        if node is not None:
            msg += "\n" + _inputs_desc(node, self.inputs) + _where(node)
        super().__init__(msg)


class BadViewMap(DebugModeError):
    """An output shares memory with an input without declaring it in ``view_map``."""

    def __init__(self, node: Apply, output_idx: int, input_idx: int, impl: str = "perform") -> None:
        self.node, self.output_idx, self.input_idx = node, output_idx, input_idx
        super().__init__(
            f"BadViewMap: the {impl} of {node.op} returns output {output_idx} sharing memory with "
            f"input {input_idx}, but the Op declares view_map={dict(node.op.view_map)} "
            f"destroy_map={dict(node.op.destroy_map)}. Declare the view, or return a copy."
            + _where(node)
        )


class BadDestroyMap(DebugModeError):
    """An Op modified an input it did not declare in ``destroy_map``."""

    def __init__(
        self, node: Apply, input_idx: int, before: Any, after: Any, impl: str = "perform"
    ) -> None:
        self.node, self.input_idx, self.before, self.after = node, input_idx, before, after
        super().__init__(
            f"BadDestroyMap: the {impl} of {node.op} modified its input {input_idx} "
            f"({node.inputs[input_idx]}, {node.inputs[input_idx].type}) but declares "
            f"destroy_map={dict(node.op.destroy_map)} ({_diff(before, after)}).\n"
            f"  before: {_show(before)}\n  after: {_show(after)}" + _where(node)
        )


class BadOptimization(DebugModeError):
    """A rewrite replaced a variable by one that computes a different value."""

    def __init__(
        self,
        old: Variable | None,
        new: Variable | None,
        old_value: Any,
        new_value: Any,
        reason: Any,
        detail: str = "",
    ) -> None:
        self.old, self.new, self.old_value, self.new_value, self.reason = (
            old,
            new,
            old_value,
            new_value,
            reason,
        )
        what = (
            f"replaced {old} ({getattr(old, 'type', '?')}) by {new}" if old is not None else detail
        )
        node = old.owner if old is not None else None
        super().__init__(
            f"BadOptimization: rewrite {reason} {what}, which computes a different value "
            f"({_diff(old_value, new_value)}).\n  before: {_show(old_value)}\n"
            f"  after: {_show(new_value)}"
            + _where(node)
            + "\n(A rewrite that makes a computation more accurate, e.g. a stabilisation, may "
            "tag its new variable with values_eq_approx to say how far it may differ.)"
        )


class InvalidValueError(DebugModeError):
    """An Op produced a value that is not valid for its output type (or NaN/Inf)."""

    def __init__(
        self, node: Apply, output_idx: int, value: Any, why: str, inputs: Sequence[Any] = ()
    ) -> None:
        self.node, self.output_idx, self.value, self.why = node, output_idx, value, why
        super().__init__(
            f"InvalidValueError: output {output_idx} of {node.op} "
            f"({node.outputs[output_idx].type}) is "
            f"invalid: {why}.\n  value: {_show(value)}\n"
            + _inputs_desc(node, inputs)
            + _where(node)
        )


class BadInferShape(DebugModeError):
    """``infer_shape`` disagrees with the shape of the value ``perform`` computed."""

    def __init__(
        self,
        node: Apply,
        output_idx: int,
        inferred: tuple,
        actual: tuple,
        inputs: Sequence[Any] = (),
    ) -> None:
        self.node, self.output_idx, self.inferred, self.actual = node, output_idx, inferred, actual
        super().__init__(
            f"BadInferShape: {node.op}.infer_shape says output {output_idx} has shape {inferred}, "
            f"but perform returned shape {actual}.\n" + _inputs_desc(node, inputs) + _where(node)
        )


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - uncopyable objects are passed as they are
        return value


def _same(var: Variable, a: Any, b: Any) -> bool:
    """``a`` and ``b`` hold the same value of ``var`` (arrays: exactly; others: by type)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return (
            a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    try:
        return bool(var.type.values_eq(a, b))
    except Exception:  # noqa: BLE001 - a type that cannot compare: trust identity
        return a is b


def _shares(var: Variable, a: Any, b: Any) -> bool:
    """``a`` (a value of ``var``) and ``b`` share memory."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.size > 0 and b.size > 0 and bool(np.may_share_memory(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(var.type.may_share_memory(a, b))
    except Exception:  # noqa: BLE001
        return a is b


def _values_eq(var: Variable, a: Any, b: Any) -> bool:
    """Compare two values of ``var``: ``var.tag.values_eq_approx`` when set (Theano's
    convention, e.g. always true for uninitialised ``AllocEmpty`` memory), else its type's."""
    fn = getattr(var.tag, "values_eq_approx", None) or var.type.values_eq_approx
    return bool(fn(a, b))


def _rewrite_ok(var: Variable, old: Any, new: Any) -> bool:
    """A rewrite may replace ``old`` by ``new``: equal values, except that where ``old``
    is NaN or Inf any ``new`` is accepted (stabilising rewrites remove them)."""
    if getattr(var.tag, "values_eq_approx", None) is not None:
        return _values_eq(var, old, new)
    if (
        isinstance(old, np.ndarray)
        and isinstance(new, np.ndarray)
        and old.dtype.kind in "fc"
        and old.shape == new.shape
    ):
        keep = np.isfinite(old)
        if not keep.all():
            return bool(var.type.values_eq_approx(old[keep], new[keep]))
    return _values_eq(var, old, new)


def _perform(node: Apply, args: list) -> list:
    cells = [[None] for _ in node.outputs]
    try:
        perform_of(node)(node, args, cells, node.run_params())
    except Exception as exc:  # noqa: BLE001
        raise_node_error(node, args, exc)
    return [c[0] for c in cells]


class _Evaluator:
    """Computes variables with ``perform`` from known values (never modifying them)."""

    def __init__(self, *known: dict) -> None:
        self.known = known
        self.local: dict[Variable, Any] = {}

    def _lookup(self, var: Variable) -> tuple[bool, Any]:
        if var in self.local:
            return True, self.local[var]
        for k in self.known:
            if var in k:
                return True, k[var]
        if isinstance(var, Constant):
            return True, var.data
        if var.owner is None and getattr(var, "_is_shared_variable", False):
            return True, var.container.storage[0]
        return False, None

    def value(self, var: Variable) -> Any:
        stack = [var]
        while stack:
            v = stack[-1]
            found, _ = self._lookup(v)
            if found:
                stack.pop()
                continue
            node = v.owner
            if node is None:
                raise KeyError(f"DebugMode: no value for the input {v}")
            missing = [i for i in node.inputs if not self._lookup(i)[0]]
            if missing:
                stack.extend(missing)
                continue
            args = [_copy(self._lookup(i)[1]) for i in node.inputs]
            for out, val in zip(node.outputs, _perform(node, args), strict=True):
                self.local[out] = val
            stack.pop()
        return self._lookup(var)[1]


class _EquivalenceTracker:
    """Feature recording every replacement made while rewriting: ``(old, new, reason)``."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self.replacements: list[tuple[Variable, Variable, Any]] = []
        self._seen: set[tuple[int, int]] = set()
        fgraph.debug_tracker = self

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.debug_tracker

    def on_change_input(self, fgraph, node, i, old, new, reason) -> None:
        if reason == "revert":
            for k in range(len(self.replacements) - 1, -1, -1):
                o, n, _ = self.replacements[k]
                if o is new and n is old:
                    del self.replacements[k]
                    self._seen.discard((id(o), id(n)))
                    break
            return
        key = (id(old), id(new))
        if key not in self._seen:
            self._seen.add(key)
            self.replacements.append((old, new, reason))


class _DebugRewriter:
    """Runs a rewriter while recording replacements and keeping the un-rewritten graph."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def rewrite(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        if not hasattr(fgraph, "debug_original"):
            fgraph.debug_original = fgraph.clone_get_equiv(
                check_integrity=False, attach_feature=False
            )[0]
        if not hasattr(fgraph, "debug_tracker"):
            fgraph.attach_feature(_EquivalenceTracker())
        return self.inner.rewrite(fgraph, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __str__(self) -> str:
        return f"DebugMode({self.inner})"


# ---------------------------------------------------------------------------------------
# The linker
# ---------------------------------------------------------------------------------------


class DebugLinker:
    """Builds thunks that run every check of DebugMode (see the module docstring)."""

    def __init__(
        self,
        inner: Any,
        check_isfinite: bool = True,
        check_infer_shape: bool = True,
        check_thunks: bool = True,
        check_optimizations: bool = True,
    ) -> None:
        self.inner = inner
        self.check_isfinite = check_isfinite
        self.check_infer_shape = check_infer_shape
        self.check_thunks = check_thunks
        self.check_optimizations = check_optimizations

    def make_thunk(self, fgraph: FunctionGraph):
        order = fgraph.toposort()
        for node in order:
            node.op.prepare_node(node)
        inner = self.inner
        node_thunks: dict[Apply, Any] = {}
        whole = None
        if self.check_thunks and inner is not None and not isinstance(inner, ReferenceLinker):
            if hasattr(inner, "make_node_thunk"):
                node_thunks = {node: inner.make_node_thunk(node, fgraph) for node in order}
            else:
                whole = inner.make_thunk(fgraph)
        impl = f"{type(inner).__name__} thunk"
        shape_graphs: dict[Apply, Any] = {}
        original = getattr(fgraph, "debug_original", None) if self.check_optimizations else None
        original_run = (
            ReferenceLinker(allow_gc=True).make_thunk(original) if original is not None else None
        )
        inputs = list(fgraph.inputs)

        def run(values: Sequence[Any]) -> list:
            live: dict[Variable, Any] = dict(zip(inputs, values, strict=True))
            ev = _Evaluator(live)
            for node in order:
                args = [ev.value(v) for v in node.inputs]
                before = [_copy(a) for a in args]
                p_args = [_copy(a) for a in args]
                ref = _perform(node, p_args)
                self._check_outputs(node, ref, before)
                self._check_honesty(node, before, p_args, ref, "perform")
                thunk = node_thunks.get(node)
                if thunk is not None:
                    t_args = [_copy(a) for a in args]
                    got = list(thunk(t_args))
                    self._check_honesty(node, before, t_args, got, impl)
                    for k, (out, r, g) in enumerate(zip(node.outputs, ref, got, strict=True)):
                        if not _values_eq(out, r, g):
                            raise BadThunkOutput(node, k, r, g, before, impl)
                if self.check_infer_shape:
                    self._check_shape(node, shape_graphs, before, ref, live)
                for out, val in zip(node.outputs, ref, strict=True):
                    live[out] = val
            outputs = [ev.value(o) for o in fgraph.outputs]
            if self.check_optimizations:
                self._check_replacements(fgraph, live)
                if original_run is not None:
                    orig_out = original_run([_copy(v) for v in values])
                    for k, (o, a, b) in enumerate(
                        zip(fgraph.outputs, orig_out, outputs, strict=True)
                    ):
                        if not _rewrite_ok(o, a, b):
                            raise BadOptimization(
                                None,
                                None,
                                a,
                                b,
                                "(all rewrites together)",
                                detail=f"changed output {k} of the function",
                            )
            if whole is not None:
                got = whole([_copy(v) for v in values])
                for k, (o, a, b) in enumerate(zip(fgraph.outputs, outputs, got, strict=True)):
                    if not _values_eq(o, a, b):
                        raise BadThunkOutput(None, k, a, b, (), impl)
            return outputs

        run.nodes = order  # type: ignore[attr-defined]
        run.fgraph = fgraph  # type: ignore[attr-defined]
        return run

    # -- checks ----------------------------------------------------------------------
    def _check_outputs(self, node: Apply, values: list, inputs: list) -> None:
        for k, (out, val) in enumerate(zip(node.outputs, values, strict=True)):
            if val is None:
                raise InvalidValueError(node, k, val, "perform stored no value", inputs)
            try:
                out.type.filter(val, strict=True)
            except (TypeError, ValueError) as exc:
                raise InvalidValueError(
                    node, k, val, f"not a value of {out.type} ({exc})", inputs
                ) from None
            if not getattr(out.tag, "nan_guard_mode_check", True):
                continue  # e.g. AllocEmpty: uninitialised memory
            if self.check_isfinite and isinstance(val, np.ndarray) and val.dtype.kind in "fc":
                if np.isnan(val).any():
                    raise InvalidValueError(node, k, val, "contains NaN", inputs)
                if np.isinf(val).any():
                    raise InvalidValueError(node, k, val, "contains Inf", inputs)

    @staticmethod
    def _check_honesty(node: Apply, before: list, after: list, outputs: list, impl: str) -> None:
        destroyed = {i for ins in (node.op.destroy_map or {}).values() for i in ins}
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            if i not in destroyed and not _same(node.inputs[i], b, a):
                raise BadDestroyMap(node, i, b, a, impl)
        for k, val in enumerate(outputs):
            allowed = set((node.op.view_map or {}).get(k, ())) | set(
                (node.op.destroy_map or {}).get(k, ())
            )
            for i, a in enumerate(after):
                if i not in allowed and _shares(node.outputs[k], val, a):
                    raise BadViewMap(node, k, i, impl)

    def _check_shape(
        self, node: Apply, cache: dict, inputs: list, outputs: list, live: dict
    ) -> None:
        if node not in cache:
            cache[node] = _shape_graph(node)
        graph = cache[node]
        if graph is None:
            return
        placeholders, shapes = graph
        known: dict[Variable, Any] = {}
        for ph, val in zip(placeholders, inputs, strict=True):
            if ph is None:
                continue
            vshape = np.shape(val)
            if len(vshape) != len(ph):
                return
            for p, d in zip(ph, vshape, strict=True):
                known[p] = np.asarray(d, dtype="int64")
        for var, val in zip(node.inputs, inputs, strict=True):
            known[var] = val
        ev = _Evaluator(known, live)
        for k, (shape, val) in enumerate(zip(shapes, outputs, strict=True)):
            if shape is None or not isinstance(val, np.ndarray):
                continue
            try:
                inferred = tuple(
                    int(ev.value(s)) if isinstance(s, Variable) else int(s) for s in shape
                )
            except Exception:  # noqa: BLE001 - an infer_shape graph that cannot run is not judged
                continue
            if inferred != tuple(val.shape):
                raise BadInferShape(node, k, inferred, tuple(val.shape), inputs)

    @staticmethod
    def _check_replacements(fgraph: FunctionGraph, live: dict) -> None:
        tracker = getattr(fgraph, "debug_tracker", None)
        if tracker is None:
            return
        ev = _Evaluator(live)
        for old, new, reason in tracker.replacements:
            try:
                a = ev.value(old)
                b = ev.value(new)
            except KeyError:
                continue
            if not _rewrite_ok(old, a, b):
                raise BadOptimization(old, new, a, b, reason)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


def _shape_graph(node: Apply) -> Any:
    """``(placeholders per input, inferred shapes per output)``, or None without infer_shape."""
    from symcore.tensor.type import TensorType

    placeholders = []
    for inp in node.inputs:
        ndim = getattr(inp.type, "ndim", None)
        placeholders.append(
            None if ndim is None else tuple(TensorType("int64", ())() for _ in range(ndim))
        )
    try:
        shapes = node.op.infer_shape(node, [p if p is not None else None for p in placeholders])
    except Exception:  # noqa: BLE001 - MethodNotDefined and ops that cannot infer here
        return None
    if shapes is None or len(shapes) != len(node.outputs):
        return None
    return placeholders, [None if s is None else tuple(s) for s in shapes]


# ---------------------------------------------------------------------------------------
# The mode
# ---------------------------------------------------------------------------------------


class DebugMode(Mode):
    """Checks every node and every rewrite at each call (slow; for debugging and tests).

    ``DebugMode(optimizer="fast_run", linker=None, check_isfinite=True,
    check_infer_shape=True, check_thunks=True, check_optimizations=True)``.
    """

    def __init__(
        self,
        optimizer: Any = "fast_run",
        linker: Any = None,
        check_isfinite: bool = True,
        check_infer_shape: bool = True,
        check_thunks: bool = True,
        check_optimizations: bool = True,
        db: Any = None,
    ) -> None:
        super().__init__(linker=linker, optimizer=optimizer, db=db)
        self.check_isfinite = check_isfinite
        self.check_infer_shape = check_infer_shape
        self.check_thunks = check_thunks
        self.check_optimizations = check_optimizations

    @property
    def optimizer(self) -> Any:
        return TimedRewriter(_DebugRewriter(self.raw_optimizer))

    @property
    def linker(self) -> Any:
        return DebugLinker(
            self.raw_linker,
            self.check_isfinite,
            self.check_infer_shape,
            self.check_thunks,
            self.check_optimizations,
        )

    def __str__(self) -> str:
        return f"DebugMode(optimizer={self.provided_optimizer!r}, linker={self.provided_linker!r})"

    __repr__ = __str__


_DEBUG_MODE = DebugMode()
register_mode("DebugMode", _DEBUG_MODE)
register_mode("DEBUG_MODE", _DEBUG_MODE)
