"""Helpers for the tests of symcore's plugin packages (finding a distribution's record)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from symcore import plugins


def normalize_dist(name: str) -> str:
    """Normalize a distribution name as PEP 503 does (``Sym_Foo.bar`` -> ``sym-foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def plugin_record(dist: str) -> plugins.PluginRecord:
    """Load the plugins and return the one record of distribution ``dist``; fail if not one."""
    plugins.load_plugins()
    found = [r for r in plugins.list_plugins() if normalize_dist(r.dist) == dist]
    assert len(found) == 1, f"{dist} not discovered: {plugins.list_plugins()}"
    return found[0]


def check_discovered(dist: str, name: str, value: str) -> plugins.PluginRecord:
    """Assert ``dist``'s plugin loaded without error under ``name`` from entry point ``value``."""
    record = plugin_record(dist)
    assert record.ok, record.error
    assert record.name == name
    assert record.value == value
    return record


def check_placeholder(dist: str, plugin: Any, readme: Path) -> None:
    """Assert ``dist``'s placeholder plugin registers nothing and says "not implemented yet"
    in its ``plugin_info`` status and its README."""
    record = plugin_record(dist)
    assert record.registered() == {}
    assert plugins.plugin_info()[record.name] == {"status": plugin.STATUS}
    assert plugin.STATUS.startswith("not implemented yet")
    assert "not implemented yet" in readme.read_text()
