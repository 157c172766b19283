"""sym-backend-cuda is discovered through its entry point and says it registers nothing yet."""

from __future__ import annotations

from pathlib import Path

from sym_backend_cuda import plugin
from symcore import plugins
from symcore.testing.plugins import plugin_record

DIST = "sym-backend-cuda"


def test_discovered_through_entry_point_and_loads() -> None:
    record = plugin_record(DIST)
    assert record.ok, record.error
    assert record.name == "cuda"
    assert record.value == "sym_backend_cuda.plugin"


def test_registers_nothing_and_says_so() -> None:
    record = plugin_record(DIST)
    assert record.registered() == {}
    assert plugins.plugin_info()[record.name] == {"status": plugin.STATUS}
    assert plugin.STATUS.startswith("not implemented yet")
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "not implemented yet" in readme
