"""sym-backend-c is discovered through its entry point and serves device=cpu."""

from __future__ import annotations

import re

import numpy as np
import symcore
import symcore.tensor as T
from symcore import plugins
from symcore.config import change_flags

DIST = "sym-backend-c"


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _record() -> plugins.PluginRecord:
    plugins.load_plugins()
    found = [r for r in plugins.list_plugins() if _normalize(r.dist) == DIST]
    assert len(found) == 1, f"{DIST} not discovered: {plugins.list_plugins()}"
    return found[0]


def test_discovered_through_entry_point_and_loads() -> None:
    record = _record()
    assert record.ok, record.error
    assert record.name == "c"
    assert record.value == "sym_backend_c.plugin"


def test_is_the_backend_for_cpu_and_linker_py_overrides(tmp_path) -> None:
    backend = plugins.get_backend_for_device("cpu", "auto")
    assert backend.name == "c"
    x = T.dvector("x")
    with change_flags(linker="auto", compiledir=str(tmp_path)):
        f = symcore.function([x], T.exp(x) + 1)
    from sym_backend_c.linker import CLinker

    assert isinstance(getattr(f.maker.linker, "inner", f.maker.linker), CLinker)
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) + 1)
    with change_flags(linker="py"):
        g = symcore.function([x], T.exp(x) + 1)
    assert not isinstance(getattr(g.maker.linker, "inner", g.maker.linker), CLinker)


def test_info_reports_compiler_and_blas() -> None:
    info = plugins.plugin_info()[_record().name]
    assert "gcc" in info["compiler"] or "cc" in info["compiler"]
    assert "cython_blas" in info["blas"]
