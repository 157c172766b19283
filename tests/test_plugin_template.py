"""A third-party plugin written only against the documented hooks: install
examples/plugin_template and see its Op and rewrite used by symcore.function."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "examples" / "plugin_template"

CHECK = textwrap.dedent(
    """
    import warnings
    warnings.simplefilter("error", UserWarning)  # a failing plugin must not go unnoticed
    import numpy as np
    import symcore
    import symcore.tensor as T
    from symcore import plugins

    record = next(r for r in plugins.list_plugins() if r.name == "template")
    assert record.ok, record.error
    assert record.dist == "symcore-plugin-template", record.dist
    assert record.ops == ["double"] and record.rewrites == ["local_double_double"], record

    double = plugins.ops.double
    rewrite = next(r for r in plugins.registered_rewrites() if r.name == "local_double_double")
    assert rewrite.phase == "canonicalize" and "fast_run" in rewrite.tags

    x = T.vector("x")
    f = symcore.function([x], double(double(x)))
    ops = [type(node.op).__name__ for node in f.maker.fgraph.toposort()]
    assert "Double" not in ops, f"the rewrite did not remove Double: {ops}"
    value = np.array([1.0, -2.5, 3.0])
    np.testing.assert_allclose(f(value), 4 * value)

    g = symcore.function([x], double(x))  # a single Double stays and runs its perform
    assert "Double" in [type(n.op).__name__ for n in g.maker.fgraph.toposort()]
    np.testing.assert_allclose(g(value), 2 * value)
    print("TEMPLATE OK")
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("template_site")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-build-isolation",
        "--no-deps",
        "--target",
        str(target),
        str(TEMPLATE),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(target.glob("symcore_plugin_template-*.dist-info/entry_points.txt"))
    return target


def test_installed_template_is_discovered_and_its_rewrite_runs(installed: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMCORE")}
    env["SYMCORERC"] = ""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(installed), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TEMPLATE OK" in result.stdout
