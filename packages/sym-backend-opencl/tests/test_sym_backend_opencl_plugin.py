"""sym-backend-opencl is discovered through its entry point and says it registers nothing yet."""

from __future__ import annotations

import re
from pathlib import Path

from sym_backend_opencl import plugin
from symcore import plugins

DIST = "sym-backend-opencl"


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
    assert record.name == "opencl"
    assert record.value == "sym_backend_opencl.plugin"


def test_registers_nothing_and_says_so() -> None:
    record = _record()
    assert record.registered() == {}
    assert plugins.plugin_info()[record.name] == {"status": plugin.STATUS}
    assert plugin.STATUS.startswith("not implemented yet")
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "not implemented yet" in readme
