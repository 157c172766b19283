"""sym-backend-cuda is discovered through its entry point and says it registers nothing yet."""

from __future__ import annotations

from pathlib import Path

from sym_backend_cuda import plugin
from symcore.testing.plugins import check_discovered, check_placeholder

DIST = "sym-backend-cuda"


def test_discovered_through_entry_point_and_loads() -> None:
    check_discovered(DIST, "cuda", "sym_backend_cuda.plugin")


def test_registers_nothing_and_says_so() -> None:
    check_placeholder(DIST, plugin, Path(__file__).parents[1] / "README.md")
