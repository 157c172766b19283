"""Helpers for the tests of symcore's plugin packages (finding a distribution's record)."""

from __future__ import annotations

import re

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
