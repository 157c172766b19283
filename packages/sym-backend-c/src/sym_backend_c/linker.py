"""``CLinker``: compiles a whole FunctionGraph into one C function.

The compiled runner takes the list of input values and returns the list of outputs; it
checks each input's dtype, ndim and broadcastable dimensions itself, so a bad value gives
a TypeError, never a crash, even with ``trust_input``.
"""

from __future__ import annotations

import warnings
from typing import Any

from symcore.graph.fg import FunctionGraph
from symcore.link.reference import ReferenceLinker, raise_node_error

from sym_backend_c import build as build_mod
from sym_backend_c.codegen.module import generate
from sym_backend_c.toolchain import CompilerNotFoundError, get_toolchain

_warned_no_compiler = False


def _make_fallback(node):
    perform = node.op.perform
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


class CLinker:
    """Generates C for the graph, builds it with cffi (through the disk cache) and runs it.

    ``fallback_nodes`` lists the nodes that run their Python ``perform`` inside the compiled
    function (Ops without C code); profiling reports them.
    """

    name = "c"

    def __init__(self, allow_gc: bool = True) -> None:
        self.allow_gc = allow_gc
        self.fallback_nodes: list = []
        self.c_nodes: list = []
        self.from_cache: bool | None = None
        self.source: str | None = None

    def make_thunk(self, fgraph: FunctionGraph, **kwargs: Any):
        global _warned_no_compiler
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
            return ReferenceLinker(allow_gc=self.allow_gc).make_thunk(fgraph)
        from symcore.config import config

        gen = generate(
            fgraph,
            openmp=toolchain.openmp,
            omp_min_size=int(getattr(config, "openmp_elemwise_minsize", 200000)),
        )
        self.source = gen.source
        self.fallback_nodes = gen.fallback_nodes
        self.c_nodes = gen.c_nodes
        built = build_mod.build(gen.source, toolchain)
        self.from_cache = built.from_cache
        _install_pointers(built.module)
        state = (tuple(gen.constants), tuple(_make_fallback(n) for n in gen.fallback_nodes))
        return build_mod.make_runner(built.module, state)


def _install_pointers(module) -> None:
    from sym_backend_c.blas import pointer_table

    table = pointer_table()
    if not table:
        return
    arr = module.ffi.new("void*[]", [module.ffi.cast("void*", p) for p in table])
    if module.lib.symc_set_pointers(arr, len(table)) != 0:
        raise RuntimeError("BLAS pointer table too large")
