"""Shared fixtures of the C-backend tests.

* Every test module compiles into one temporary ``compiledir`` for the whole session (a
  module may override the ``_compiledir`` fixture with its own), so identical graphs in
  different modules are built once, and the user's cache is never touched.
* ``c_function(inputs, outputs, **kwargs)`` compiles with ``symcore.function`` on the
  default backend and asserts the C backend built it (``fallbacks=`` lists the Op class
  names allowed to run their Python ``perform``, or is ``"any"``; default: none).
* ``py_function`` compiles the same with the reference backend (the oracle next to NumPy).
* ``requires_compiler``: tests that need a working C compiler skip, saying why, without one.
"""

from __future__ import annotations

import pytest
import symcore
from sym_backend_c.toolchain import CompilerNotFoundError, get_toolchain
from symcore.compile.mode import Mode
from symcore.config import config


def _compiler_problem() -> str | None:
    try:
        get_toolchain()
    except CompilerNotFoundError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def session_compiledir(tmp_path_factory):
    return tmp_path_factory.mktemp("symc_compiledir")


@pytest.fixture(scope="module", autouse=True)
def _compiledir(session_compiledir):
    with config.change_flags(compiledir=str(session_compiledir)):
        yield


@pytest.fixture(autouse=True)
def _default_backend():
    """The C-backend tests use the backend symcore picks for device=cpu (this one)."""
    with config.change_flags(linker="auto", device="cpu"):
        yield


@pytest.fixture
def requires_compiler():
    problem = _compiler_problem()
    if problem is not None:
        pytest.skip(f"no C compiler: {problem}")


def _report_of(f):
    return getattr(f.maker.fgraph, "linker_report", None)


@pytest.fixture
def c_function(requires_compiler):
    def make(inputs, outputs, fallbacks=(), **kwargs):
        f = symcore.function(inputs, outputs, **kwargs)
        report = _report_of(f)
        assert report is not None and report.backend == "c", f"not built by the C backend: {report}"
        fell_back = sorted({type(n.op).__name__ for n in report.fallback_nodes})
        unexpected = [] if fallbacks == "any" else [n for n in fell_back if n not in fallbacks]
        assert not unexpected, f"nodes without C code: {fell_back}"
        return f

    return make


@pytest.fixture
def py_function():
    def make(inputs, outputs, **kwargs):
        kwargs.setdefault("mode", Mode(linker="py", optimizer="fast_run"))
        return symcore.function(inputs, outputs, **kwargs)

    return make
