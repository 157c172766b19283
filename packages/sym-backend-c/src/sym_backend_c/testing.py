"""Helpers for tests of C code (this package's and third-party C implementations).

``compile_c(inputs, outputs)`` builds the C runner of a graph as it is (no rewrites) and
asserts that every node got C code; ``skip_module_without_compiler()`` skips the calling
test module, saying why, when no C compiler works on this machine.
"""

from __future__ import annotations

from typing import Any

from sym_backend_c.toolchain import CompilerNotFoundError, get_toolchain


def skip_module_without_compiler() -> None:
    """Call at module level: skip the whole test module when no C compiler works."""
    import pytest

    try:
        get_toolchain()
    except CompilerNotFoundError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"no C compiler: {exc}", allow_module_level=True)


def compile_c(inputs: list, outputs: list) -> Any:
    """The C runner (``runner(list_of_arrays) -> list_of_arrays``) of the graph
    ``inputs -> outputs``, compiled without rewrites; asserts that no node falls back to
    its Python ``perform``."""
    from symcore.graph.fg import FunctionGraph

    from sym_backend_c.linker import CLinker

    fg = FunctionGraph(inputs, outputs)
    run = CLinker().make_thunk(fg)
    report = fg.linker_report
    assert report.backend == "c", f"not built by the C backend: {report}"
    assert not report.fallback_nodes, [str(n.op) for n in report.fallback_nodes]
    return run
