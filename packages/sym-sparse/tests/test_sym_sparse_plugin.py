"""sym-sparse is discovered through its entry point and says it registers nothing yet."""

from __future__ import annotations

from pathlib import Path

from sym_sparse import plugin
from symcore.testing.plugins import check_discovered, check_placeholder

DIST = "sym-sparse"


def test_discovered_through_entry_point_and_loads() -> None:
    check_discovered(DIST, "sparse", "sym_sparse.plugin")


def test_registers_nothing_and_says_so() -> None:
    check_placeholder(DIST, plugin, Path(__file__).parents[1] / "README.md")
