"""The on-disk cache of compiled modules: safe across processes, self-repairing, keyed by
what changes the binary, and visible to ``python -m symcore cache``."""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import subprocess
import sys

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from sym_backend_c import cache
from symcore.config import change_flags

# The graph the cache tests build (WORKER_CODE builds the same one), always in a fresh
# compiledir so that it is new.
GRAPH_CODE = """
import json, sys
import numpy as np
import symcore, symcore.tensor as T
x = T.dvector("x")
f = symcore.function([x], T.exp(x) * 3.25 - x)
r = f.maker.fgraph.linker_report
v = np.arange(5.0)
err = float(np.abs(f(v) - (np.exp(v) * 3.25 - v)).max())
print(json.dumps({"backend": r.backend, "from_cache": r.from_cache, "err": err}))
"""


WORKER_CODE = """
def work(compiledir, barrier, queue):
    # Compile the graph in a spawned interpreter once every worker is ready; report.
    try:
        import numpy as np
        import symcore
        import symcore.tensor as T
        from symcore.config import config

        with config.change_flags(compiledir=compiledir, linker="auto", device="cpu"):
            x = T.dvector("x")
            out = T.exp(x) * 3.25 - x
            barrier.wait(timeout=600)
            f = symcore.function([x], out)
            r = f.maker.fgraph.linker_report
            v = np.arange(5.0)
            err = float(np.abs(f(v) - (np.exp(v) * 3.25 - v)).max())
            queue.put({"backend": r.backend, "from_cache": r.from_cache, "err": err})
    except BaseException as exc:  # reported to the test, which fails with it
        queue.put({"error": repr(exc)})
"""


def _run_graph(compiledir, extra_flags: str = "") -> dict:
    """GRAPH_CODE in a new interpreter with ``compiledir`` (a fresh process: nothing is
    already loaded, so what is on disk is what gets used)."""
    env = dict(os.environ)
    flags = f"compiledir={compiledir},linker=auto,device=cpu"
    env["SYMCORE_FLAGS"] = flags + ("," + extra_flags if extra_flags else "")
    r = subprocess.run(
        [sys.executable, "-c", GRAPH_CODE], capture_output=True, text=True, env=env, timeout=600
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _the_entry(compiledir) -> cache.Entry:
    entries = cache.list_entries(compiledir / "c")
    assert len(entries) == 1, entries
    return cache.entry_for(entries[0]["key"], compiledir / "c")


def test_eight_processes_compiling_the_same_graph_leave_one_entry(tmp_path, requires_compiler):
    """Spawned processes start compiling together: all succeed, exactly one builds."""
    n = 8
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    queue = ctx.Queue()
    # spawned children unpickle the target by module name: give it an importable module
    mod_dir = tmp_path / "worker"
    mod_dir.mkdir()
    (mod_dir / "symc_cache_worker.py").write_text(WORKER_CODE)
    compiledir = tmp_path / "compiledir"
    sys.path.insert(0, str(mod_dir))
    try:
        work = importlib.import_module("symc_cache_worker").work
        procs = [ctx.Process(target=work, args=(str(compiledir), barrier, queue)) for _ in range(n)]
        for p in procs:
            p.start()
        results = [queue.get(timeout=900) for _ in range(n)]
        for p in procs:
            p.join(timeout=60)
    finally:
        sys.path.remove(str(mod_dir))
        sys.modules.pop("symc_cache_worker", None)
    assert all("error" not in r for r in results), results
    assert all(r["backend"] == "c" and r["err"] < 1e-12 for r in results), results
    assert sum(not r["from_cache"] for r in results) == 1, results
    entries = cache.list_entries(compiledir / "c")
    assert len(entries) == 1 and entries[0]["complete"], entries
    leftovers = [p.name for p in (compiledir / "c").rglob("*") if "." in p.name and p.is_dir()]
    assert leftovers == []  # no temporary build folders left behind


@pytest.mark.parametrize("damage", ["truncate_module", "delete_done_marker", "delete_module"])
def test_a_damaged_entry_is_rebuilt(tmp_path, requires_compiler, damage):
    first = _run_graph(tmp_path)
    assert not first["from_cache"] and first["err"] < 1e-12
    entry = _the_entry(tmp_path)
    so = entry.module_file()
    assert so is not None
    good_size = so.stat().st_size
    if damage == "truncate_module":
        so.write_bytes(so.read_bytes()[:100])
    elif damage == "delete_done_marker":
        (entry.path / "DONE").unlink()
    else:
        so.unlink()
    again = _run_graph(tmp_path)
    assert again["backend"] == "c" and again["err"] < 1e-12
    assert not again["from_cache"]  # it was built again
    entry = _the_entry(tmp_path)
    assert entry.done and entry.module_file().stat().st_size == good_size
    third = _run_graph(tmp_path)
    assert third["from_cache"]


def test_cache_list_and_clear_see_c_entries(tmp_path, requires_compiler):
    _run_graph(tmp_path)
    env = dict(os.environ, SYMCORE_FLAGS=f"compiledir={tmp_path}")
    listed = subprocess.run(
        [sys.executable, "-m", "symcore", "cache", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    line = next(ln for ln in listed.splitlines() if ln.strip().startswith("c/"))
    assert int(line.split()[1]) > 10_000  # the module's bytes
    cleared = subprocess.run(
        [sys.executable, "-m", "symcore", "cache", "clear"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "removed" in cleared
    assert cache.list_entries(tmp_path / "c") == []
    assert not _run_graph(tmp_path)["from_cache"]  # built again after clearing


def test_entry_holds_the_generated_source(c_function, session_compiledir):
    x = T.dmatrix("x")
    f = c_function([x], T.sin(x) + 0.125)
    source = f.maker.fgraph.linker_report.source
    hits = [p for p in (session_compiledir / "c").rglob("*_generated.c") if p.read_text() == source]
    assert len(hits) == 1
    assert (hits[0].parent / "DONE").exists()


def test_flags_that_change_the_binary_change_the_key(tmp_path, requires_compiler):
    x = T.dvector("x")
    with change_flags(compiledir=str(tmp_path)):
        f = symcore.function([x], T.log1p(x) * 2)
        with change_flags(**{"gcc.cxxflags": "-DSYMC_TEST_FLAG=1"}):
            g = symcore.function([x], T.log1p(x) * 2)
        h = symcore.function([x], T.log1p(x) * 2)
    assert not f.maker.fgraph.linker_report.from_cache
    assert not g.maker.fgraph.linker_report.from_cache
    assert h.maker.fgraph.linker_report.from_cache
    assert len(cache.list_entries(tmp_path / "c")) == 2
    v = np.linspace(0, 1, 5)
    for fn in (f, g, h):
        np.testing.assert_allclose(fn(v), np.log1p(v) * 2, rtol=1e-14)


def test_lock_is_released_after_a_failed_build(tmp_path):
    entry = cache.entry_for("ab" * 32, tmp_path)

    def failing(tmp):
        (tmp / "partial.so").write_bytes(b"x")
        raise RuntimeError("compiler crashed")

    with pytest.raises(RuntimeError, match="compiler crashed"):
        with cache.locked(entry):
            cache.publish(entry, failing)
    assert not entry.done and not entry.path.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_dir() and "." in p.name] == []
    with cache.locked(entry, timeout=5):  # not left locked
        cache.publish(entry, lambda tmp: (tmp / "m.so").write_bytes(b"y"))
    assert entry.done and entry.module_file().read_bytes() == b"y"
