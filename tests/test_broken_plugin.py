"""An installed plugin that cannot be imported makes ``import symcore`` warn once,
naming it, and everything else keeps working."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

CHECK = textwrap.dedent(
    """
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import symcore
    from symcore import plugins
    ours = [w for w in caught if issubclass(w.category, plugins.SymcorePluginWarning)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    print("WARNING:", ours[0].message)
    records = {r.name: r for r in plugins.list_plugins()}
    assert records["broken"].status == "failed", records["broken"]
    others = [r for r in records.values() if r.name != "broken"]
    assert others and all(r.ok for r in others), others
    assert symcore.config.floatX == "float64"
    assert plugins.get_backend_for_device("cpu").name
    import numpy as np
    import symcore.tensor as T
    x = T.vector("x")
    np.testing.assert_allclose(symcore.function([x], x)(np.ones(3)), np.ones(3))
    print("STILL WORKS")
    """
)


def make_broken_dist(root: Path) -> None:
    info = root / "broken_symcore_plugin-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-symcore-plugin\nVersion: 0.3\n"
    )
    (info / "entry_points.txt").write_text("[symcore.plugins]\nbroken = broken_symcore_mod\n")
    (root / "broken_symcore_mod.py").write_text(
        "import no_such_native_library  # fails: the plugin cannot be imported\n"
    )


def test_broken_plugin_only_warns(tmp_path: Path) -> None:
    make_broken_dist(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMCORE")}
    env["SYMCORERC"] = ""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    warning = next(line for line in result.stdout.splitlines() if line.startswith("WARNING:"))
    assert "'broken'" in warning and "broken-symcore-plugin 0.3" in warning
    assert "No module named 'no_such_native_library'" in warning
    assert "STILL WORKS" in result.stdout
