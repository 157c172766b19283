"""Without sym-opt-stability the core still works and the stability rewrites are absent.

Each check runs in a fresh interpreter. "Not installed" is simulated by hiding the plugin's
entry point from ``importlib.metadata`` and making ``import sym_opt_stability`` fail, before
``import symcore`` discovers plugins; the same script with nothing hidden is the control.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

HIDE = textwrap.dedent(
    """
    import importlib.abc
    import importlib.metadata
    import sys

    _entry_points = importlib.metadata.entry_points

    def entry_points(**params):
        found = _entry_points(**params)
        if params.get("group") != "symcore.plugins":
            return found
        return importlib.metadata.EntryPoints(
            ep for ep in found if not ep.value.startswith("sym_opt_stability")
        )

    importlib.metadata.entry_points = entry_points

    class _NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "sym_opt_stability":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NotInstalled())
    """
)

CHECK = textwrap.dedent(
    """
    import warnings
    import numpy as np
    import symcore
    import symcore.tensor as T
    from symcore import plugins
    from symcore.rewriting import rewrite_db

    names = {r.name for r in plugins.list_plugins()}
    ours = [r.name for r in plugins.registered_rewrites() if r.plugin == "stability"]
    rewrite_db.ensure_loaded()
    print("PLUGIN", "stability" in names, len(ours), len(rewrite_db["stabilize"]))
    try:
        import sym_opt_stability  # noqa: F401
        print("IMPORTABLE True")
    except ImportError:
        print("IMPORTABLE False")

    mode = symcore.Mode(linker="py")
    x = T.dvector("x")
    f = symcore.function([x], T.log(1 + x), mode=mode)
    from symcore.graph.basic import io_toposort
    from symcore.scalar.composite import Composite

    ops = set()
    for n in f.maker.fgraph.toposort():
        op = getattr(n.op, "scalar_op", n.op)
        inner = io_toposort(op.inputs, op.outputs) if isinstance(op, Composite) else []
        ops |= {type(i.op).__name__ for i in inner} or {type(op).__name__}
    ops = sorted(ops)
    print("OPS", ",".join(ops))
    np.testing.assert_allclose(f(np.array([0.5, 2.0])), np.log1p([0.5, 2.0]), rtol=1e-15)
    print("TINY", f(np.array([1e-20]))[0])

    # the seed's gradient probe (packages/symcore/tests/gradient/test_logistic_regression.py)
    z = T.dscalar("z")
    p = 1 / (1 + T.exp(-z))
    g = symcore.function([z], T.grad(T.log(1 - p), z), mode=mode)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        print("PROBE", bool(np.isfinite(g(40.0))))

    # the core alone trains the seed's model from small weights
    rng = np.random.RandomState(0)
    X, Y = rng.randn(60, 5), rng.randint(0, 2, 60).astype(float)
    w = symcore.shared(np.zeros(5), name="w")
    xs, ys = T.dmatrix("xs"), T.dvector("ys")
    p1 = 1 / (1 + T.exp(-T.dot(xs, w)))
    cost = (-ys * T.log(p1) - (1 - ys) * T.log(1 - p1)).mean()
    train = symcore.function([xs, ys], cost, updates=[(w, w - 0.5 * T.grad(cost, w))], mode=mode)
    costs = [float(train(X, Y)) for _ in range(50)]
    assert all(np.isfinite(costs)) and costs[-1] < costs[0], costs
    q = 1 / (1 + np.exp(-X @ w.get_value()))
    expected = np.mean(-Y * np.log(q) - (1 - Y) * np.log(1 - q))
    got = symcore.function([xs, ys], cost, mode=mode)(X, Y)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    print("CORE WORKS")
    """
)


def _run(script: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMCORE")}
    env["SYMCORERC"] = ""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600
    )


def _lines(out: str) -> dict[str, str]:
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {key: value for key, value in pairs}


@pytest.fixture(scope="module")
def without() -> dict[str, str]:
    result = _run(HIDE + CHECK)
    assert result.returncode == 0, result.stdout + result.stderr
    return _lines(result.stdout)


@pytest.fixture(scope="module")
def with_plugin() -> dict[str, str]:
    result = _run(CHECK)
    assert result.returncode == 0, result.stdout + result.stderr
    return _lines(result.stdout)


def test_core_works_without_the_plugin(without) -> None:
    assert without["CORE"] == "WORKS"
    assert without["IMPORTABLE"] == "False"


def test_stability_rewrites_are_absent_without_the_plugin(without) -> None:
    assert without["PLUGIN"] == "False 0 0"  # not loaded, nothing registered, phase empty
    assert "Log" in without["OPS"].split(",") and "Log1p" not in without["OPS"].split(",")
    assert float(without["TINY"]) == 0.0  # log(1 + 1e-20) computed naively
    assert without["PROBE"] == "False"


def test_control_with_the_plugin_installed(with_plugin) -> None:
    loaded, n_rewrites, n_stabilize = with_plugin["PLUGIN"].split()
    assert loaded == "True" and int(n_rewrites) > 10 and int(n_stabilize) == int(n_rewrites)
    assert with_plugin["IMPORTABLE"] == "True"
    assert "Log1p" in with_plugin["OPS"].split(",")
    assert float(with_plugin["TINY"]) == 1e-20
    assert with_plugin["PROBE"] == "True"
    assert with_plugin["CORE"] == "WORKS"
