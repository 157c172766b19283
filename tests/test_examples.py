"""The tutorial scripts in examples/ run and print what NumPy computes.

Each script prints ``<expression> = <Python literal>`` lines; every test runs one script in
a fresh interpreter and compares those values with NumPy (exit status 0 is not enough).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(name: str) -> list[tuple[str, object]]:
    """Run ``examples/<name>.py``; return its ``(expression, value)`` lines in order."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, f"{name}.py failed:\n{proc.stdout}\n{proc.stderr}"
    pairs = []
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            pairs.append((key, ast.literal_eval(value)))
    assert pairs, f"{name}.py printed no results:\n{proc.stdout}"
    return pairs


def as_dict(pairs):
    out = {}
    for k, v in pairs:
        assert k not in out, f"duplicate key {k}"
        out[k] = v
    return out


def test_adding_scalars():
    res = as_dict(run_example("adding_scalars"))
    assert res["f(2, 3)"] == np.float64(2) + np.float64(3)
    assert res["f(16.3, 12.1)"] == np.float64(16.3) + np.float64(12.1)
    assert res["z.eval({x: 16.3, y: 12.1})"] == np.float64(16.3) + np.float64(12.1)
    assert res["pp(z)"] == "(x + y)"
    assert res["type(x).__name__"] == "TensorVariable"
    import symcore.tensor as T

    assert res["x.type"] == str(T.dscalar().type)


def test_adding_matrices():
    res = as_dict(run_example("adding_matrices"))
    a, b = np.array([[1, 2], [3, 4]], dtype=float), np.array([[10, 20], [30, 40]], dtype=float)
    np.testing.assert_array_equal(res["f([[1, 2], [3, 4]], [[10, 20], [30, 40]])"], a + b)
    np.testing.assert_array_equal(
        res["f(np.array([[1, 2], [3, 4]]), np.array([[10, 20], [30, 40]]))"], a + b
    )
    u, v = np.array([0.0, 1, 2]), np.array([1.0, 2, 3])
    np.testing.assert_allclose(res["f2([0, 1, 2], [1, 2, 3])"], u**2 + v**2 + 2 * u * v)


def test_logistic_function():
    res = as_dict(run_example("logistic_function"))
    x = np.array([[0.0, 1.0], [-1.0, -2.0]])
    expected = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(res["logistic([[0, 1], [-1, -2]])"], expected, rtol=1e-12)
    np.testing.assert_allclose(
        res["logistic2([[0, 1], [-1, -2]])"], (1 + np.tanh(x / 2)) / 2, rtol=1e-12
    )
    np.testing.assert_allclose(res["logistic2([[0, 1], [-1, -2]])"], expected, rtol=1e-12)
    a, b = np.ones((2, 2)), np.array([[0.0, 1.0], [2.0, 3.0]])
    diff, abs_diff, sq = res["f([[1, 1], [1, 1]], [[0, 1], [2, 3]])"]
    np.testing.assert_array_equal(diff, a - b)
    np.testing.assert_array_equal(abs_diff, np.abs(a - b))
    np.testing.assert_array_equal(sq, (a - b) ** 2)


def test_shared_accumulator():
    pairs = run_example("shared_accumulator")
    # replay the tutorial's calls on a plain Python state; each call returns the OLD value
    state = 0
    expected = [("state.get_value()", state)]

    def call(key, delta):
        nonlocal state
        old = state
        state += delta
        expected.append((key, old))
        expected.append(("state.get_value()", state))

    call("accumulator(1)", 1)
    call("accumulator(300)", 300)
    state = -1
    call("accumulator(3)", 3)
    call("decrementor(2)", -2)
    expected.append(("skip_shared(1, 3)", 3 * 2 + 1))  # givens: foo=3 replaces state
    expected.append(("state.get_value()", state))  # givens leave the state alone
    assert pairs == expected


def test_default_values():
    pairs = run_example("default_values")

    def f1(x, y=1):
        return float(x + y)

    def f2(x, y=1, w_by_name=2):
        return float((x + y) * w_by_name)

    assert pairs == [
        ("f(33)", f1(33)),
        ("f(33, 2)", f1(33, 2)),
        ("f(33)", f2(33)),
        ("f(33, 2)", f2(33, 2)),
        ("f(33, 0, 1)", f2(33, 0, 1)),
        ("f(33, w_by_name=1)", f2(33, w_by_name=1)),
        ("f(33, w_by_name=1, y=0)", f2(33, w_by_name=1, y=0)),
    ]


def test_random_streams():
    res = as_dict([(k, v) for k, v in run_example("random_streams")])
    # documented seeding rule: stream k of RandomStreams(seed) uses default_rng(s_k) with
    # s_k the k-th draw of default_rng(seed).integers(2**30)
    seeds = np.random.default_rng(234)
    u_gen = np.random.default_rng(int(seeds.integers(2**30)))
    n_gen = np.random.default_rng(int(seeds.integers(2**30)))
    np.testing.assert_allclose(res["f_val0"], u_gen.uniform(size=(2, 2)))
    np.testing.assert_allclose(res["f_val1"], u_gen.uniform(size=(2, 2)))
    assert res["f_val0"] != res["f_val1"]
    np.testing.assert_allclose(res["g_val0"], n_gen.normal(size=(2, 2)))
    assert res["g_val0"] == res["g_val1"]  # no_default_updates: same numbers
    np.testing.assert_allclose(res["nearly_zeros()"], np.zeros((2, 2)), atol=1e-15)
    np.testing.assert_allclose(
        res["f() after rv_u.rng.set_value(default_rng(89234))"],
        np.random.default_rng(89234).uniform(size=(2, 2)),
    )
    reseeded = np.random.default_rng(902340)
    u_gen = np.random.default_rng(int(reseeded.integers(2**30)))
    np.testing.assert_allclose(res["f() after srng.seed(902340)"], u_gen.uniform(size=(2, 2)))
    assert res["v1"] == res["v2"]  # restoring a saved state replays the draws
    u_gen.uniform(size=(2, 2))  # the draw nearly_zeros() made
    np.testing.assert_allclose(res["v1"], u_gen.uniform(size=(2, 2)))


@pytest.mark.parametrize(
    "name",
    [
        "adding_scalars",
        "adding_matrices",
        "logistic_function",
        "shared_accumulator",
        "default_values",
        "random_streams",
    ],
)
def test_examples_have_a_docstring_with_run_command(name):
    src = (EXAMPLES / f"{name}.py").read_text()
    assert ast.get_docstring(ast.parse(src)) is not None
    assert f"python examples/{name}.py" in src
