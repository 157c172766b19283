"""Base classes of rewriters and the code that applies a node rewriter's replacements.

* ``NodeRewriter`` looks at one Apply node and proposes replacement variables;
  ``@node_rewriter(tracks)`` builds one from a plain function.
* ``GraphRewriter`` rewrites a whole ``FunctionGraph``; ``@graph_rewriter`` builds one.
* ``apply_node_rewriter`` is what every graph walker calls: it runs ``transform``, handles
  errors per ``config.on_opt_error``, keeps stack traces, and replaces with validation.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from symcore.graph.basic import Apply, Variable
from symcore.graph.features import ReplaceValidate
from symcore.graph.fg import FunctionGraph, InconsistencyError
from symcore.graph.op import Op

__all__ = [
    "GraphRewriter",
    "NodeRewriter",
    "NoRewrite",
    "RewriteWarning",
    "SequentialGraphRewriter",
    "SequentialNodeRewriter",
    "apply_node_rewriter",
    "copy_stack_trace",
    "graph_rewriter",
    "node_rewriter",
    "OpToRewriterTracker",
]


class RewriteWarning(UserWarning):
    """A rewrite failed and was skipped, or an equilibrium loop was stopped."""


# ---------------------------------------------------------------------------------------
# Errors and traces
# ---------------------------------------------------------------------------------------

_warned: set[tuple[str, str]] = set()


def _on_opt_error_mode(override: str | None = None) -> str:
    if override is not None:
        return override
    from symcore.config import config

    return config.on_opt_error


def report_rewrite_error(
    rewriter: Any, node: Apply | None, exc: BaseException, on_error: str | None = None
) -> None:
    """Handle an exception raised by ``rewriter`` on ``node`` as ``config.on_opt_error`` says.

    ``"raise"`` re-raises, ``"warn"`` warns once per (rewrite, op) and returns,
    ``"ignore"`` returns silently.
    """
    mode = _on_opt_error_mode(on_error)
    if mode == "raise":
        raise exc
    if mode == "ignore":
        return
    name = getattr(rewriter, "name", None) or str(rewriter)
    op_name = str(node.op) if node is not None else "<graph>"
    key = (name, op_name)
    if key in _warned:
        return
    _warned.add(key)
    where = f" on node {node}" if node is not None else ""
    warnings.warn(
        f"Rewrite {name!r} failed{where} and was skipped: {type(exc).__name__}: {exc}. "
        "(Set config.on_opt_error='raise' to get the traceback; this warning is shown once "
        "per rewrite and op.)",
        RewriteWarning,
        stacklevel=2,
    )


def copy_stack_trace(
    from_var: Variable | Sequence[Variable], to_var: Variable | Sequence[Variable]
) -> None:
    """Give ``to_var`` (and its owner node) the user stack traces of ``from_var``.

    Both arguments may be single variables or lists. A variable's trace is its
    ``tag.trace``, else its owner node's; traces of several variables are concatenated
    without duplicates, so error messages keep pointing at the line that built the original.
    """
    froms = [from_var] if isinstance(from_var, Variable) else list(from_var)
    tos = [to_var] if isinstance(to_var, Variable) else list(to_var)
    trace: list = []
    for v in froms:
        src = getattr(v.tag, "trace", None) or getattr(getattr(v.owner, "tag", None), "trace", None)
        for fr in src or ():
            if fr not in trace:
                trace.append(fr)
    if not trace:
        return
    for v in tos:
        _set_trace(v.tag, trace)
        if v.owner is not None:
            _set_trace(v.owner.tag, trace)


def _set_trace(tag: Any, trace: list) -> None:
    try:
        tag.trace = list(trace)
    except Exception:  # pragma: no cover - exotic tags that refuse attributes
        pass


# ---------------------------------------------------------------------------------------
# Node rewriters
# ---------------------------------------------------------------------------------------


class Rewriter:
    """Common base: a name used in warnings, profiles and database tags."""

    name: str | None = None

    def __str__(self) -> str:
        return self.name or type(self).__name__

    __repr__ = __str__

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        """Attach the features this rewriter needs (default: ``ReplaceValidate``)."""
        if not hasattr(fgraph, "replace_all_validate"):
            fgraph.attach_feature(ReplaceValidate())


class NodeRewriter(Rewriter):
    """Rewrites one node at a time. Subclasses implement ``transform`` and ``tracks``."""

    def tracks(self) -> Sequence[Any] | None:
        """Op classes/instances this rewriter applies to, or None for every node."""
        return None

    def transform(self, fgraph: FunctionGraph, node: Apply) -> Any:
        """Return None/False, a list of new outputs, or a dict ``{old: new}``."""
        raise NotImplementedError(f"{type(self).__name__}.transform")


class FromFunctionNodeRewriter(NodeRewriter):
    """A ``NodeRewriter`` made by ``@node_rewriter`` from ``fn(fgraph, node)``."""

    def __init__(
        self,
        fn: Callable,
        tracks: Sequence[Any] | None,
        requirements: Sequence[Callable] = (),
        inplace: bool = False,
    ) -> None:
        self.fn = fn
        self._tracks = None if tracks is None else tuple(tracks)
        self.requirements = tuple(requirements)
        self.inplace = inplace
        self.name = getattr(fn, "__name__", None) or type(self).__name__
        self.__name__ = self.name
        self.__doc__ = getattr(fn, "__doc__", None)

    def tracks(self):
        return self._tracks

    def transform(self, fgraph, node):
        return self.fn(fgraph, node)

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def add_requirements(self, fgraph):
        super().add_requirements(fgraph)
        for req in self.requirements:
            req(fgraph)
        if self.inplace:
            from symcore.rewriting.destroyhandler import attach_destroy_handler

            attach_destroy_handler(fgraph)


def node_rewriter(
    tracks: Sequence[Any] | Any | None, inplace: bool = False, requirements: Sequence[Callable] = ()
) -> Callable[[Callable], FromFunctionNodeRewriter]:
    """Decorator: make ``fn(fgraph, node)`` a ``NodeRewriter`` tracking ``tracks``.

    ``tracks``: a list of Op classes and/or Op instances (or one of them), or None for all
    nodes. ``inplace=True`` attaches a ``DestroyHandler`` before the rewriter runs.
    ``requirements``: callables ``req(fgraph)`` attaching other features.
    """
    if tracks is not None and not isinstance(tracks, (list, tuple, set, frozenset)):
        tracks = [tracks]
    if tracks is not None:
        for t in tracks:
            if not (isinstance(t, Op) or (isinstance(t, type) and issubclass(t, Op))):
                raise TypeError(
                    f"node_rewriter: tracks must be Op classes or Op instances, got {t!r}"
                )

    def decorator(fn: Callable) -> FromFunctionNodeRewriter:
        return FromFunctionNodeRewriter(fn, tracks, requirements, inplace)

    return decorator


class OpToRewriterTracker:
    """Finds quickly which node rewriters track a given op (by instance or class)."""

    def __init__(self, rewriters: Iterable[NodeRewriter] = ()) -> None:
        self.untracked: list[NodeRewriter] = []
        self.by_instance: dict[Op, list[NodeRewriter]] = {}
        self.by_class: dict[type, list[NodeRewriter]] = {}
        self._by_id: dict[int, tuple[Op, list[NodeRewriter]]] = {}
        #: op class -> rewriters, while no rewriter tracks op instances (then the answer
        #: depends on the class only; ops are often new objects, e.g. after a rewrite)
        self._by_type: dict[type, list[NodeRewriter]] = {}
        self._order: dict[int, int] = {}
        for rw in rewriters:
            self.add(rw)

    def add(self, rw: NodeRewriter) -> None:
        self._order.setdefault(id(rw), len(self._order))
        self._by_id.clear()
        self._by_type.clear()
        tracks = rw.tracks()
        if tracks is None:
            self.untracked.append(rw)
            return
        for t in tracks:
            if isinstance(t, type):
                self.by_class.setdefault(t, []).append(rw)
            else:
                self.by_instance.setdefault(t, []).append(rw)

    def get(self, op: Op) -> list[NodeRewriter]:
        """Rewriters tracking ``op``, in registration order (cached per op class, or per op
        object when some rewriter tracks op instances)."""
        if not self.by_instance:
            out = self._by_type.get(type(op))
            if out is None:
                out = self._by_type[type(op)] = self._collect(op)
            return out
        hit = self._by_id.get(id(op))
        if hit is not None and hit[0] is op:
            return hit[1]
        out = self._collect(op)
        if len(self._by_id) > 20000:  # bound the cache in long-running processes
            self._by_id.clear()
        self._by_id[id(op)] = (op, out)  # keeps op alive, so its id is not reused
        return out

    def _collect(self, op: Op) -> list[NodeRewriter]:
        found: list[NodeRewriter] = list(self.untracked)
        for cls in type(op).__mro__:
            found.extend(self.by_class.get(cls, ()))
        if self.by_instance:
            try:
                found.extend(self.by_instance.get(op, ()))
            except TypeError:  # an unhashable op matches no instance
                pass
        seen: set[int] = set()
        out = []
        for rw in sorted(found, key=lambda r: self._order[id(r)]):
            if id(rw) not in seen:
                seen.add(id(rw))
                out.append(rw)
        return out


class SequentialNodeRewriter(NodeRewriter):
    """Tries its rewriters in turn on a node; the first that changes something wins."""

    def __init__(self, *rewriters: NodeRewriter, name: str | None = None) -> None:
        if len(rewriters) == 1 and isinstance(rewriters[0], (list, tuple)):
            rewriters = tuple(rewriters[0])
        self.rewriters = list(rewriters)
        self.name = (
            name or "SequentialNodeRewriter(" + ",".join(str(r) for r in self.rewriters) + ")"
        )
        self.tracker = OpToRewriterTracker(self.rewriters)

    def tracks(self):
        all_tracks: list = []
        for rw in self.rewriters:
            t = rw.tracks()
            if t is None:
                return None
            all_tracks.extend(t)
        return all_tracks

    def transform(self, fgraph, node):
        for rw in self.tracker.get(node.op):
            try:
                res = rw.transform(fgraph, node)
            except Exception as exc:  # noqa: BLE001 - policy decided by on_opt_error
                report_rewrite_error(rw, node, exc)
                continue
            if res:
                self.last_applied = rw
                return res
        return None

    def add_requirements(self, fgraph):
        super().add_requirements(fgraph)
        for rw in self.rewriters:
            rw.add_requirements(fgraph)


# ---------------------------------------------------------------------------------------
# Applying a node rewriter's result
# ---------------------------------------------------------------------------------------


def _normalize(node: Apply, result: Any, rewriter: Any) -> list[tuple[Variable, Variable]] | None:
    if result is None or result is False or result is True:
        return None
    if isinstance(result, dict):
        pairs = [(old, new) for old, new in result.items() if old != "remove"]
    else:
        if isinstance(result, Variable):
            result = [result]
        result = list(result)
        if len(result) != len(node.outputs):
            raise ValueError(
                f"rewrite {rewriter} returned {len(result)} replacement(s) for node {node.op} "
                f"with {len(node.outputs)} output(s)"
            )
        pairs = list(zip(node.outputs, result, strict=True))
    return [(old, new) for old, new in pairs if new is not None and new is not old]


def _new_nodes(fgraph: FunctionGraph, new: Variable, old: Variable, rewriter: Any) -> list[Apply]:
    """Nodes of ``new``'s graph not yet in ``fgraph``; raises if ``new`` depends on ``old``."""
    out: list[Apply] = []
    stack = [new]
    seen: set[int] = set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if v is old:
            raise ValueError(
                f"rewrite {rewriter} replaces {old} by a graph that depends on {old} (cycle)"
            )
        node = v.owner
        if node is None or node in fgraph.apply_nodes:
            continue
        out.append(node)
        stack.extend(node.inputs)
    return out


def apply_node_rewriter(
    fgraph: FunctionGraph, rewriter: NodeRewriter, node: Apply, on_error: str | None = None
) -> bool:
    """Run ``rewriter`` on ``node`` and replace its outputs; True when the graph changed.

    Failures of ``transform`` follow ``config.on_opt_error``; a replacement refused by a
    feature's validation (``InconsistencyError``) is rolled back and counts as no change.
    """
    try:
        result = rewriter.transform(fgraph, node)
        pairs = _normalize(node, result, rewriter)
        if not pairs:
            return False
        for old, new in pairs:
            if not isinstance(new, Variable):
                raise TypeError(f"rewrite {rewriter} returned {new!r} (not a Variable) for {old}")
            if old.type != new.type:
                conv = old.type.convert_variable(new)
                if conv is None:
                    raise TypeError(
                        f"rewrite {rewriter} replaces {old} of type {old.type} by {new} of "
                        f"incompatible type {new.type} (node {node.op})"
                    )
            for new_node in _new_nodes(fgraph, new, old, rewriter):
                if old.owner is not None and getattr(old.owner.tag, "trace", None):
                    new_node.tag.trace = list(old.owner.tag.trace)
    except Exception as exc:  # noqa: BLE001 - policy decided by on_opt_error
        report_rewrite_error(rewriter, node, exc, on_error)
        return False
    try:
        fgraph.replace_all_validate(pairs, reason=rewriter)
    except InconsistencyError:
        return False
    except Exception as exc:  # noqa: BLE001
        report_rewrite_error(rewriter, node, exc, on_error)
        return False
    return True


# ---------------------------------------------------------------------------------------
# Graph rewriters
# ---------------------------------------------------------------------------------------


class GraphRewriter(Rewriter):
    """Rewrites a whole FunctionGraph. Subclasses implement ``apply(fgraph)``."""

    def apply(self, fgraph: FunctionGraph) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.apply")

    def rewrite(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        """Attach requirements, then ``apply``."""
        self.add_requirements(fgraph)
        return self.apply(fgraph, *args, **kwargs)

    optimize = rewrite  # Theano's name

    def __call__(self, fgraph: FunctionGraph) -> Any:
        return self.rewrite(fgraph)


class NoRewrite(GraphRewriter):
    """Does nothing (the ``None`` optimizer)."""

    name = "NoRewrite"

    def add_requirements(self, fgraph):
        pass

    def apply(self, fgraph):
        return None


class FromFunctionGraphRewriter(GraphRewriter):
    """A ``GraphRewriter`` made by ``@graph_rewriter`` from ``fn(fgraph)``."""

    def __init__(
        self, fn: Callable, requirements: Sequence[Callable] = (), name: str | None = None
    ) -> None:
        self.fn = fn
        self.requirements = tuple(requirements)
        self.name = name or getattr(fn, "__name__", None)
        self.__name__ = self.name
        self.__doc__ = getattr(fn, "__doc__", None)

    def apply(self, fgraph):
        return self.fn(fgraph)

    def add_requirements(self, fgraph):
        super().add_requirements(fgraph)
        for req in self.requirements:
            req(fgraph)

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and isinstance(args[0], FunctionGraph) and not kwargs:
            return self.rewrite(args[0])
        return self.fn(*args, **kwargs)


def graph_rewriter(
    fn: Callable | None = None, *, requirements: Sequence[Callable] = (), name: str | None = None
):
    """Decorator: make ``fn(fgraph)`` a ``GraphRewriter`` (bare or with keyword options)."""
    if fn is None:
        return lambda f: FromFunctionGraphRewriter(f, requirements, name)
    return FromFunctionGraphRewriter(fn, requirements, name)


class SequentialGraphRewriter(GraphRewriter):
    """Runs graph rewriters one after the other; records the time each took."""

    def __init__(
        self,
        *rewriters: GraphRewriter,
        name: str | None = None,
        failure_callback=None,
        names: Sequence[str] | None = None,
    ) -> None:
        if len(rewriters) == 1 and isinstance(rewriters[0], (list, tuple)):
            rewriters = tuple(rewriters[0])
        self.rewriters = list(rewriters)
        self.names = list(names) if names is not None else [str(r) for r in self.rewriters]
        self.name = name
        self.failure_callback = failure_callback
        self.last_times: list[tuple[str, float]] = []

    def add_requirements(self, fgraph):
        super().add_requirements(fgraph)
        for rw in self.rewriters:
            rw.add_requirements(fgraph)

    def rewrite(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        """Run the rewriters in turn, each after attaching the features it needs (not all
        up front: the DestroyHandler of the final in-place passes, say, would otherwise
        follow and validate every change made by the earlier passes)."""
        super().add_requirements(fgraph)
        return self.apply(fgraph, *args, _lazy_requirements=True, **kwargs)

    optimize = rewrite

    def apply(self, fgraph, _lazy_requirements: bool = False):
        self.last_times = []
        for rw, rw_name in zip(self.rewriters, self.names, strict=True):
            t0 = time.perf_counter()
            try:
                if _lazy_requirements:
                    rw.add_requirements(fgraph)
                rw.rewrite(fgraph)
            except Exception as exc:  # noqa: BLE001
                if self.failure_callback is not None:
                    self.failure_callback(exc, self, rw)
                else:
                    report_rewrite_error(rw, None, exc)
            self.last_times.append((rw_name, time.perf_counter() - t0))

    def __str__(self):
        return (
            self.name
            or "SequentialGraphRewriter(" + ", ".join(str(r) for r in self.rewriters) + ")"
        )
