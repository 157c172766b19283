"""The scan tutorial scripts (examples/scan_*.py) run and print what NumPy computes."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]


def run_example(name: str) -> dict:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, f"{name}.py failed:\n{proc.stdout}\n{proc.stderr}"
    out = {}
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            out[key] = ast.literal_eval(value)
    assert out, f"{name}.py printed nothing:\n{proc.stdout}"
    return out


def test_scan_power_example():
    res = run_example("scan_power")
    a = np.arange(10, dtype=float)
    np.testing.assert_allclose(res["power(range(10), 2)"], a**2)
    np.testing.assert_allclose(res["power(range(10), 4)"], a**4)
    assert res["steps kept in memory"] == [1]


def test_scan_polynomial_example():
    res = run_example("scan_polynomial")
    assert res["calculate_polynomial(test_coefficients, test_value)"] == 1.0 + 0.0 * 3 + 2.0 * 9


def test_scan_accumulate_example_shows_the_pitfall_error_then_the_fix():
    res = run_example("scan_accumulate")
    msg = res["pitfall error"]
    assert "int8" in msg and "int64" in msg and "cast" in msg
    assert res["triangular_sequence(some_num)"] == [n * (n + 1) // 2 for n in range(15)]
