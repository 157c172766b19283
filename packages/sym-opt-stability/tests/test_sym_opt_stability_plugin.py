"""sym-opt-stability is discovered through its entry point and registers its rewrites into
the stabilize phase of the rewrite database, with tags that modes can exclude."""

from __future__ import annotations

from pathlib import Path

import symcore
import symcore.tensor as T
from sym_opt_stability import plugin
from symcore import plugins
from symcore.compile.mode import Mode
from symcore.rewriting import NodeRewriter, rewrite_db
from symcore.testing.plugins import check_discovered, plugin_record

DIST = "sym-opt-stability"
README = Path(__file__).parents[1] / "README.md"


def test_discovered_through_entry_point_and_loads() -> None:
    check_discovered(DIST, "stability", "sym_opt_stability.plugin")


def test_registers_every_rewrite_and_only_rewrites() -> None:
    record = plugin_record(DIST)
    names = [name for name, _, _ in plugin.REWRITES]
    assert len(set(names)) == len(names)
    assert record.registered() == {"rewrites": names}
    assert all(isinstance(rw, NodeRewriter) for _, rw, _ in plugin.REWRITES)
    info = plugins.plugin_info()[record.name]
    assert info == {"status": plugin.STATUS}
    assert str(len(names)) in plugin.STATUS


def test_records_are_in_the_stabilize_phase_with_their_tags() -> None:
    ours = [r for r in plugins.registered_rewrites() if r.plugin == "stability"]
    assert [r.name for r in ours] == [name for name, _, _ in plugin.REWRITES]
    for rec in ours:
        assert rec.phase == "stabilize" and rec.position == plugins.PHASES["stabilize"]
        assert set(plugin.TAGS) <= set(rec.tags)


def test_database_slots_them_into_the_stabilize_equilibrium() -> None:
    rewrite_db.ensure_loaded()
    stabilize = rewrite_db["stabilize"]
    for name, rewriter, _ in plugin.REWRITES:
        assert stabilize[name] is rewriter
        assert {"fast_run", "stabilize", "sym_opt_stability"} <= stabilize.tags_of(name)


def test_modes_can_exclude_them_by_phase_package_tag_or_name(compile_fn, op_names) -> None:
    x = T.dvector("x")
    y = T.log(1 + x)
    assert "Log1p" in op_names(compile_fn([x], y))
    for tag in ("stabilize", "sym_opt_stability", "local_log1p"):
        mode = Mode(linker="py").excluding(tag)
        names = op_names(symcore.function([x], y, mode=mode))
        assert "Log1p" not in names and "Log" in names, (tag, names)


def test_readme_documents_the_rewrites() -> None:
    text = README.read_text()
    assert "not implemented yet" not in text
    for name, _, _ in plugin.REWRITES:
        assert f"`{name}`" in text, name
