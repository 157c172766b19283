"""The root README stays true: its flags table is the core's, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from symcore.config import build_config, markdown_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_flags_table_matches_the_core_flags() -> None:
    match = re.search(r"<!-- flags:start -->\n(.*?)<!-- flags:end -->", README, re.S)
    assert match, "README lacks the flags table markers"
    expected = markdown_table(build_config({"SYMCORERC": ""}))
    assert match.group(1) == expected, (
        "README flags table is stale; regenerate it from "
        "symcore.config.markdown_table(symcore.config.build_config({'SYMCORERC': ''}))"
    )


def test_setup_commands_name_files_that_exist() -> None:
    assert "bash scripts/test.sh" in README
    assert (ROOT / "scripts" / "test.sh").is_file()
    assert ".venv/bin/python examples/logistic_regression.py" in README
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
    for package in re.findall(r"-e (packages/[\w-]+)", README):
        assert (ROOT / package / "pyproject.toml").is_file(), package
