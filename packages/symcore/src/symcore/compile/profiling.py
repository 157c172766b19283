"""Profiling compiled functions: ``ProfileStats`` and the wrappers that fill it.

``symcore.function(..., profile=True)`` (or ``config.profile``) gives the function a
``ProfileStats`` (``f.profile``) that the graph carries as ``fgraph.profile``. The mode's
optimizer (a ``TimedRewriter``) then records the rewrite time, and the mode's linker (an
``InstrumentedLinker``) the linker time and, at each call, the time of every node (through
the backend's per-node thunks), call counts and the bytes of every intermediate.
``f.profile.summary()`` prints the report; with ``config.profile`` on, every profile is
printed when the process exits.
"""

from __future__ import annotations

import atexit
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from symcore.compile.nodeloop import make_node_loop
from symcore.graph.basic import Apply, Variable
from symcore.graph.fg import FunctionGraph

__all__ = ["InstrumentedLinker", "ProfileStats", "TimedRewriter", "print_all_profiles"]

_profiles: list[ProfileStats] = []


class ProfileStats:
    """Times and counts of one compiled function (or of several, when shared).

    Attributes: ``fct_callcount``/``fct_call_time`` (calls of the function),
    ``apply_time``/``apply_callcount`` (per node), ``rewrite_time`` (alias
    ``optimizer_time``), ``linker_time``, ``rewriter_profile`` (seconds per rewrite
    phase), ``rewriter_stats`` (applications and seconds per node rewriter),
    ``variable_nbytes`` (largest size seen of each intermediate).
    """

    def __init__(
        self, message: str | None = None, atexit_print: bool = True, **kwargs: Any
    ) -> None:
        self.message = message or "<symcore function>"
        self.fct_callcount = 0
        self.fct_call_time = 0.0
        self.apply_time: dict[Apply, float] = {}
        self.apply_callcount: dict[Apply, int] = {}
        self.variable_nbytes: dict[Variable, int] = {}
        self.rewrite_time = 0.0
        self.linker_time = 0.0
        self.rewriter_profile: list[tuple[str, float]] = []
        self.rewriter_stats: dict[str, list] = {}
        self.nodes: list[Apply] = []
        self._free: list[list[Variable]] = []
        self.fgraph: FunctionGraph | None = None
        if atexit_print and _config_profile():
            _profiles.append(self)  # printed at exit; kept only when config.profile is on

    # -- recording -------------------------------------------------------------------
    @property
    def optimizer_time(self) -> float:
        return self.rewrite_time

    @property
    def compile_time(self) -> float:
        return self.rewrite_time + self.linker_time

    def record_rewrite(self, seconds: float, rewriter: Any = None) -> None:
        """Add the time of one rewrite run and the per-phase times it reports."""
        self.rewrite_time += seconds
        for name, t in getattr(rewriter, "last_times", None) or ():
            self.rewriter_profile.append((name, t))
        for sub in getattr(rewriter, "rewriters", None) or ():
            for name, (count, t) in (getattr(sub, "stats", None) or {}).items():
                st = self.rewriter_stats.setdefault(name, [0, 0.0])
                st[0] += count
                st[1] += t

    def record_linker(self, seconds: float) -> None:
        self.linker_time += seconds

    def register_graph(
        self,
        fgraph: FunctionGraph,
        order: Sequence[Apply],
        free_after: Sequence[Sequence[Variable]] | None = None,
    ) -> None:
        """The graph being profiled, its node order and what is freed after each node."""
        self.fgraph = fgraph
        self.nodes = list(order)
        self._free = (
            [list(f) for f in free_after] if free_after is not None else [[] for _ in order]
        )
        for node in order:
            self.apply_time.setdefault(node, 0.0)
            self.apply_callcount.setdefault(node, 0)

    def add_apply(self, node: Apply, seconds: float, outputs: Sequence[Any]) -> None:
        self.apply_time[node] = self.apply_time.get(node, 0.0) + seconds
        self.apply_callcount[node] = self.apply_callcount.get(node, 0) + 1
        for var, val in zip(node.outputs, outputs, strict=True):
            nb = _nbytes(val)
            if nb > self.variable_nbytes.get(var, -1):
                self.variable_nbytes[var] = nb

    def add_call(self, seconds: float) -> None:
        self.fct_callcount += 1
        self.fct_call_time += seconds

    # -- aggregates ------------------------------------------------------------------
    def class_time(self) -> dict[type, float]:
        """Seconds per Op class."""
        out: dict[type, float] = {}
        for node, t in self.apply_time.items():
            out[type(node.op)] = out.get(type(node.op), 0.0) + t
        return out

    def class_callcount(self) -> dict[type, int]:
        out: dict[type, int] = {}
        for node, n in self.apply_callcount.items():
            out[type(node.op)] = out.get(type(node.op), 0) + n
        return out

    def op_time(self) -> dict[Any, float]:
        """Seconds per Op (equal Ops summed)."""
        out: dict[Any, float] = {}
        for node, t in self.apply_time.items():
            out[node.op] = out.get(node.op, 0.0) + t
        return out

    def op_callcount(self) -> dict[Any, int]:
        out: dict[Any, int] = {}
        for node, n in self.apply_callcount.items():
            out[node.op] = out.get(node.op, 0) + n
        return out

    def thunk_time(self) -> float:
        return sum(self.apply_time.values())

    def peak_memory(self) -> int:
        """Peak bytes of intermediates held at once, with early freeing, from recorded sizes."""
        if self.fgraph is None:
            return 0
        inputs = set(self.fgraph.inputs)
        live = peak = 0
        for node, freed in zip(self.nodes, self._free, strict=True):
            for v in node.outputs:
                if v not in inputs:
                    live += self.variable_nbytes.get(v, 0)
            peak = max(peak, live)
            for v in freed:
                live -= self.variable_nbytes.get(v, 0)
        return peak

    # -- report ----------------------------------------------------------------------
    def summary(
        self, file: TextIO | None = None, n_ops_to_print: int = 20, n_apply_to_print: int = 20
    ) -> None:
        """Print the report: calls, compile times, time per Op class / Op / node, memory."""
        file = file or sys.stdout
        p = lambda *a: print(*a, file=file)  # noqa: E731
        total = self.thunk_time()
        p("Function profiling")
        p("==================")
        p(f"  Message: {self.message}")
        p(f"  Time in {self.fct_callcount} calls to Function.__call__: {self.fct_call_time:.6e}s")
        if self.fct_call_time > 0:
            p(f"  Time in thunks (nodes): {total:.6e}s ({100 * total / self.fct_call_time:.1f}%)")
        p(f"  Total compile time: {self.compile_time:.6e}s")
        p(f"    Rewriting time: {self.rewrite_time:.6e}s")
        p(f"    Linker time (make_thunk): {self.linker_time:.6e}s")
        p(f"  Nodes in the compiled graph: {len(self.nodes)}")
        report = getattr(self.fgraph, "linker_report", None)  # set by compiling backends
        if report is not None:
            fell_back = list(getattr(report, "fallback_nodes", ()))
            p(
                f"  Backend: {report.backend}: {len(getattr(report, 'c_nodes', ()))} nodes "
                f"compiled, {len(fell_back)} run their Python perform (fallback)"
            )
            for node in fell_back:
                p(f"    fallback: {node}")
        if self.rewriter_profile:
            p("  Rewrite phases (seconds):")
            for name, t in self.rewriter_profile:
                p(f"    {t:.3e}s {name}")
        busy = sorted(
            ((v[1], k, v[0]) for k, v in self.rewriter_stats.items() if v[0]), reverse=True
        )
        if busy:
            p("  Node rewriters applied (count, seconds):")
            for t, name, count in busy[:n_ops_to_print]:
                p(f"    {count:6d} {t:.3e}s {name}")
        p("")
        self._table(
            file,
            "Class",
            {c: t for c, t in self.class_time().items()},
            self.class_callcount(),
            lambda c: c.__name__,
            total,
            n_ops_to_print,
            self._n_apply(lambda n: type(n.op)),
        )
        self._table(
            file,
            "Ops",
            self.op_time(),
            self.op_callcount(),
            str,
            total,
            n_ops_to_print,
            self._n_apply(lambda n: n.op),
        )
        p("Apply")
        p("-----")
        p("  <% time> <sum %> <apply time> <time per call> <#call> <id> <Apply name>")
        order = {n: i for i, n in enumerate(self.nodes)}
        acc = 0.0
        for node, t in sorted(self.apply_time.items(), key=lambda kv: -kv[1])[:n_apply_to_print]:
            calls = self.apply_callcount.get(node, 0)
            pct = 100 * t / total if total else 0.0
            acc += pct
            per = t / calls if calls else 0.0
            p(
                f"  {pct:6.1f}% {acc:6.1f}% {t:.3e}s {per:.3e}s {calls:6d} "
                f"{order.get(node, -1):4d} {node}"
            )
        p("")
        p("Memory profile")
        p("--------------")
        p(f"  Peak memory of intermediates (with early freeing): {self.peak_memory()} bytes")
        big = sorted(self.variable_nbytes.items(), key=lambda kv: -kv[1])[:5]
        for var, nb in big:
            p(f"    {nb:12d} bytes  {var} ({var.type})")
        p("")

    def _n_apply(self, key: Callable) -> dict:
        out: dict = {}
        for node in self.apply_time:
            out[key(node)] = out.get(key(node), 0) + 1
        return out

    @staticmethod
    def _table(file, title, times, calls, fmt, total, n, napply) -> None:
        print(title, file=file)
        print("-" * len(title), file=file)
        print("  <% time> <sum %> <apply time> <time per call> <#call> <#apply> <name>", file=file)
        acc = 0.0
        for key, t in sorted(times.items(), key=lambda kv: -kv[1])[:n]:
            c = calls.get(key, 0)
            pct = 100 * t / total if total else 0.0
            acc += pct
            per = t / c if c else 0.0
            print(
                f"  {pct:6.1f}% {acc:6.1f}% {t:.3e}s {per:.3e}s {c:6d} "
                f"{napply.get(key, 0):5d} {fmt(key)}",
                file=file,
            )
        print("", file=file)


def _config_profile() -> bool:
    from symcore.config import config

    return bool(config.profile)


def _nbytes(val: Any) -> int:
    nb = getattr(val, "nbytes", None)
    if isinstance(nb, int):
        return nb
    return 0


def print_all_profiles(file: TextIO | None = None) -> None:
    """Print the summary of every profile created so far (called at exit with config.profile)."""
    for prof in _profiles:
        if prof.fct_callcount or prof.compile_time:
            prof.summary(file=file)


@atexit.register
def _print_at_exit() -> None:  # pragma: no cover - runs at interpreter exit
    try:
        if _config_profile():
            print_all_profiles(sys.stderr)
    except Exception:  # noqa: BLE001 - never fail at exit
        pass


class TimedRewriter:
    """Wraps a graph rewriter; records its time in ``fgraph.profile`` when profiling."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def rewrite(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> Any:
        profile = getattr(fgraph, "profile", None)
        if not isinstance(profile, ProfileStats):
            return self.inner.rewrite(fgraph, *args, **kwargs)
        t0 = time.perf_counter()
        try:
            return self.inner.rewrite(fgraph, *args, **kwargs)
        finally:
            profile.record_rewrite(time.perf_counter() - t0, self.inner)

    optimize = rewrite

    def __call__(self, fgraph: FunctionGraph) -> Any:
        return self.rewrite(fgraph)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __str__(self) -> str:
        return str(self.inner)

    __repr__ = __str__


class InstrumentedLinker:
    """Wraps a linker; when ``fgraph.profile`` is a ``ProfileStats`` the thunk it builds
    times every node (using the linker's per-node thunks) and records the linker time.
    Otherwise it returns the wrapped linker's own thunk unchanged (no overhead)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def make_thunk(self, fgraph: FunctionGraph):
        profile = getattr(fgraph, "profile", None)
        if not isinstance(profile, ProfileStats):
            return self.inner.make_thunk(fgraph)
        t0 = time.perf_counter()
        if hasattr(self.inner, "make_node_thunk"):
            run = make_node_loop(
                fgraph, self.inner, profile=profile, allow_gc=getattr(self.inner, "allow_gc", True)
            )
        else:
            inner_run = self.inner.make_thunk(fgraph)
            profile.register_graph(fgraph, fgraph.toposort())

            def run(values, _inner=inner_run, _perf=time.perf_counter):
                t = _perf()
                out = _inner(values)
                profile.add_call(_perf() - t)
                return out

            if getattr(inner_run, "reuses_output_storage", False):
                run.reuses_output_storage = True  # type: ignore[attr-defined]
        profile.record_linker(time.perf_counter() - t0)
        return run

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __eq__(self, other: Any) -> bool:
        inner = other.inner if isinstance(other, InstrumentedLinker) else other
        return self.inner == inner

    def __hash__(self) -> int:
        return hash(self.inner)

    def __repr__(self) -> str:
        return repr(self.inner)
