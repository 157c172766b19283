"""The README table is current, and each of its rows holds: the naive formula is wrong at
the row's input and the rewritten one matches the reference, in float64 and float32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sym_opt_stability.table import DTYPES, ROWS, evaluate, markdown_table

README = Path(__file__).parents[1] / "README.md"
START, END = "<!-- table:start -->\n", "\n<!-- table:end -->"

CASES = [
    pytest.param(row, dtype, id=f"{k}-{'grad' if row.grad else 'value'}-{dtype}")
    for k, row in enumerate(ROWS)
    for dtype in DTYPES
]


def test_readme_table_is_generated_from_the_rows() -> None:
    text = README.read_text()
    assert START in text and END in text
    block = text.split(START, 1)[1].split(END, 1)[0]
    assert block == markdown_table(), "regenerate: python -m sym_opt_stability.table"


def test_every_rewrite_row_has_both_dtypes_and_value_and_gradient_rows() -> None:
    assert all(set(row.inputs) == set(DTYPES) for row in ROWS)
    assert sum(row.grad for row in ROWS) >= 8 and sum(not row.grad for row in ROWS) >= 20


def _close(a: np.ndarray, ref: np.ndarray, dtype: str) -> bool:
    rtol = 1e-12 if dtype == "float64" else 2e-6
    return a.shape == ref.shape and bool(np.allclose(a, ref, rtol=rtol, atol=0.0))


@pytest.mark.parametrize(("row", "dtype"), CASES)
def test_row_naive_fails_and_rewritten_is_right(row, dtype) -> None:
    naive, new, ref = evaluate(row, dtype)
    ref = ref.astype(dtype).astype("float64")  # the exact value, rounded to the dtype
    assert new.dtype == np.dtype(dtype)
    assert np.all(np.isfinite(new)), new
    assert _close(new.astype("float64"), ref, dtype), (new, ref)
    assert not _close(naive.astype("float64"), ref, dtype), (naive, ref)
