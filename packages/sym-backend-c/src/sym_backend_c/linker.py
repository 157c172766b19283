"""``CLinker``: compiles a whole FunctionGraph into one C function.

The compiled runner takes the list of input values and returns the list of outputs; it
checks each input's dtype, ndim and broadcastable dimensions itself, so a bad value gives
a TypeError, never a crash, even with ``trust_input``.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import perform_of
from symcore.link.reference import ReferenceLinker, raise_node_error

import sym_backend_c.ops  # noqa: F401  (registers the C implementations)
from sym_backend_c import build as build_mod
from sym_backend_c.codegen.module import generate
from sym_backend_c.toolchain import CompilerNotFoundError, get_toolchain

_warned_no_compiler = False


def _make_fallback(node):
    perform = perform_of(node)
    params = node.run_params()
    nout = len(node.outputs)
    node.op.prepare_node(node)

    def fallback(*args):
        storage = [[None] for _ in range(nout)]
        try:
            perform(node, list(args), storage, params)
        except Exception as exc:
            raise_node_error(node, args, exc)
        return tuple(cell[0] for cell in storage)

    return fallback


class LinkerReport:
    """What the C linker did for one graph (stored as ``fgraph.linker_report``).

    ``validates_inputs``: the thunk checks dtype/ndim/broadcastable of every input itself,
    so the Python caller may pass arguments straight through. (A plain class, not a
    dataclass: the backend is imported during a process's first compile, and creating a
    dataclass costs ~0.3 ms.)
    """

    __slots__ = (
        "backend",
        "validates_inputs",
        "c_nodes",
        "fallback_nodes",
        "from_cache",
        "source",
        "build_seconds",
    )

    def __init__(
        self,
        backend: str,
        validates_inputs: bool,
        c_nodes: list | None = None,
        fallback_nodes: list | None = None,
        from_cache: bool | None = None,
        source: str | None = None,
        build_seconds: float = 0.0,
    ) -> None:
        self.backend = backend
        self.validates_inputs = validates_inputs
        self.c_nodes = [] if c_nodes is None else c_nodes
        self.fallback_nodes = [] if fallback_nodes is None else fallback_nodes
        self.from_cache = from_cache
        self.source = source
        self.build_seconds = build_seconds

    def __repr__(self) -> str:
        return (
            f"LinkerReport(backend={self.backend!r}, validates_inputs={self.validates_inputs}, "
            f"{len(self.c_nodes)} C nodes, {len(self.fallback_nodes)} fallback nodes, "
            f"from_cache={self.from_cache}, build_seconds={self.build_seconds:.4f})"
        )


class CLinker:
    """Generates C for the graph, builds it with cffi (through the disk cache) and runs it.

    One linker serves many functions (modes share it): per-graph results go to
    ``fgraph.linker_report`` (a ``LinkerReport``), e.g. the nodes that fell back to their
    Python ``perform`` because their Op has no C code.

    ``allow_gc`` (Theano's flag; None reads the ``allow_gc`` config flag, default False):
    True releases every intermediate array right after its last use; False keeps each node's
    last array in the compiled function between calls and reuses it on the next call when
    nothing else holds it any more (reference count: a result the caller kept, a view of it,
    a shared variable's value is never written). That saves the allocation and, for large
    arrays, the page faults of fresh memory (RNN forward+grad: ~0.7x the time; 1e7-element
    intermediates: ~0.6x), for at most one extra copy of the intermediates held between
    calls (the RNN's: 4 MB). See ``benchmarks/keep_buffers.py``.
    """

    name = "c"

    def __init__(self, allow_gc: bool | None = None) -> None:
        self._allow_gc = allow_gc

    @property
    def allow_gc(self) -> bool:
        """This linker's setting, or the ``allow_gc`` config flag when it has none."""
        if self._allow_gc is not None:
            return self._allow_gc
        from symcore.config import config

        return bool(getattr(config, "allow_gc", False))

    def make_thunk(self, fgraph: FunctionGraph, **kwargs: Any):
        global _warned_no_compiler
        t0 = time.perf_counter()
        try:
            toolchain = get_toolchain()
        except CompilerNotFoundError as exc:
            if not _warned_no_compiler:
                warnings.warn(
                    f"{exc}; symcore falls back to the NumPy reference backend (slower)",
                    RuntimeWarning,
                    stacklevel=2,
                )
                _warned_no_compiler = True
            fgraph.linker_report = LinkerReport("py", False)
            # the reference backend reuses no buffer: keeping them would only hold memory
            return ReferenceLinker(allow_gc=True).make_thunk(fgraph)
        from symcore.config import config

        profile = getattr(fgraph, "profile", None)
        timed = profile is not None and hasattr(profile, "apply_time")
        gen = generate(
            fgraph,
            openmp=toolchain.openmp,
            omp_min_size=int(getattr(config, "openmp_elemwise_minsize", 200000)),
            timed=timed,
            keep_buffers=not self.allow_gc,
        )
        try:
            built = build_mod.build(gen.source, toolchain)
        except build_mod.CCompileError as exc:
            raise build_mod.CCompileError(_with_user_lines(str(exc), gen)) from None
        _install_pointers(built.module)
        times = np.zeros(max(len(gen.order), 1)) if timed else None
        fallbacks = tuple(_make_fallback(n) for n in gen.fallback_nodes)
        state = gen.state(fallbacks, _error_hook(gen.order, gen.descs), times)
        runner = build_mod.make_runner(built.module, state)
        fgraph.linker_report = LinkerReport(
            "c",
            True,
            gen.c_nodes,
            gen.fallback_nodes,
            built.from_cache,
            gen.source,
            time.perf_counter() - t0,
        )
        if timed:
            return _profiled(runner, gen.order, times, profile)
        return runner


def _error_hook(order: list, descs: list[bytes]):
    """What the C code calls when node ``k`` fails: raises the error as the reference
    backend does (same type, ``.node``, input shapes and dtypes, the user's line). The C
    message starts with the node description (``ctx.desc``), repeated by the new message:
    that prefix is dropped."""

    def on_error(k: int, args: tuple, exc: BaseException):
        node = order[k]
        desc = descs[k].decode("utf-8", "replace")
        msg = str(exc)
        if msg.startswith(desc):
            msg = msg[len(desc) :].lstrip(":").strip()
            try:
                short = type(exc)(msg)
                if str(short) == msg:
                    short.__traceback__ = exc.__traceback__
                    exc = short
            except Exception:  # noqa: BLE001 - keep the original exception
                pass
        raise_node_error(node, list(args), exc)

    return on_error


def _with_user_lines(message: str, gen) -> str:
    """``message`` plus the user lines that built the nodes of the kernel that failed."""
    import re

    from symcore.graph.utils import format_trace

    m = re.search(r"kernel (symc_kernel_\d+)", message)
    nodes = gen.kernel_nodes.get(m.group(1), []) if m else []
    if not nodes:
        return message
    node = nodes[0]
    trace = format_trace(getattr(node.tag, "trace", [])) or "  (no trace: config.traceback.limit)"
    more = f" (and {len(nodes) - 1} identical nodes)" if len(nodes) > 1 else ""
    return f"{message}\nThe failing code is the C code of {node.op}{more}, built at:\n{trace}"


def _profiled(runner, order: list, times: np.ndarray, profile: Any):
    """``runner`` adding the per-node seconds the C code measured to ``profile``
    (a ``symcore.compile.profiling.ProfileStats``) after each call."""
    apply_time, apply_count = profile.apply_time, profile.apply_callcount

    def run(values):
        try:
            return runner(values)
        finally:
            for node, t in zip(order, times.tolist(), strict=False):
                apply_time[node] = apply_time.get(node, 0.0) + t
                apply_count[node] = apply_count.get(node, 0) + 1
            times[:] = 0.0

    return run


def _install_pointers(module) -> None:
    from sym_backend_c.blas import pointer_table

    table = pointer_table()
    if not table:
        return
    arr = module.ffi.new("void*[]", [module.ffi.cast("void*", p) for p in table])
    if module.lib.symc_set_pointers(arr, len(table)) != 0:
        raise RuntimeError("BLAS pointer table too large")
