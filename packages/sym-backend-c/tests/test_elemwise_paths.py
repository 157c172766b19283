"""The loop variants of compiled elementwise code, against NumPy: the flat loop (all
operands contiguous) with direct or streaming stores (outputs above 16 MB), the row loop
of strided layouts (last dimension contiguous in every operand: a matrix plus a row) and
the byte-stride loops (transposed, negative strides, a column broadcast along rows)."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T

RNG = np.random.default_rng(7)


def _layouts(shape):
    """Arrays of ``shape`` in several memory layouts: (name, array)."""
    base = RNG.standard_normal(shape)
    yield "contiguous", base
    yield "fortran", np.asfortranarray(base)
    yield "reversed", base[::-1, ::-1].copy()[::-1, ::-1]
    yield "negative", np.ascontiguousarray(base[::-1, ::-1])[::-1, ::-1]
    big = RNG.standard_normal((shape[0] * 2, shape[1] * 3))
    yield "sliced", big[::2, ::3]


@pytest.mark.parametrize(
    "name_a,name_b",
    [
        ("contiguous", "sliced"),
        ("fortran", "negative"),
        ("sliced", "reversed"),
        ("negative", "contiguous"),
    ],
)
def test_matrix_with_row_and_col_in_every_layout(c_function, name_a, name_b):
    x = T.dmatrix("x")
    r = T.drow("r")
    c = T.dcol("c")
    f = c_function([x, r, c], [T.tanh(x + r) * c, T.exp(c - x) + r])
    a = dict(_layouts((7, 9)))[name_a]
    row = RNG.standard_normal((1, 9))
    col = (
        dict(_layouts((7, 1)))[name_b] if name_b != "sliced" else RNG.standard_normal((14, 1))[::2]
    )
    out0, out1 = f(a, row, col)
    np.testing.assert_allclose(out0, np.tanh(a + row) * col, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(out1, np.exp(col - a) + row, rtol=1e-14)


def test_broadcast_last_dimension(c_function):
    """A column (stride 0 along the last dimension) in a 3-d expression."""
    x = T.dtensor3("x")
    y = T.TensorType("float64", (False, False, True))("y")
    f = c_function([x, y], T.sin(x) * y + x)
    a = RNG.standard_normal((3, 4, 5))
    b = RNG.standard_normal((3, 4, 1))
    np.testing.assert_allclose(f(a, b), np.sin(a) * b + a, rtol=1e-14)
    np.testing.assert_allclose(f(a[:, ::-1], b[::-1]), np.sin(a[:, ::-1]) * b[::-1] + a[:, ::-1])


@pytest.mark.parametrize("dtype", ["float32", "int32", "int8"])
def test_row_loop_dtypes(c_function, dtype):
    x = T.matrix("x", dtype=dtype)
    r = T.row("r", dtype=dtype)
    f = c_function([x, r], [x * r + x, T.maximum(x, r)])
    a = (RNG.standard_normal((5, 6)) * 10).astype(dtype)
    b = (RNG.standard_normal((1, 6)) * 10).astype(dtype)
    got = f(a[:, ::-1], b)
    want = [a[:, ::-1] * b + a[:, ::-1], np.maximum(a[:, ::-1], b)]
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_streaming_stores_for_large_outputs(c_function):
    """Outputs of at least 16 MB take the chunked loop with non-temporal stores, including
    a length that is not a multiple of the chunk and a misaligned input."""
    x = T.dvector("x")
    y = T.dvector("y")
    f = c_function([x, y], [x + x**10, x * y - 1])
    n = (16 << 20) // 8 + 777
    a = RNG.uniform(-1, 1, n + 1)[1:]  # an 8-byte offset from the allocation
    b = RNG.uniform(-1, 1, n)
    out0, out1 = f(a, b)
    # near a = -1, a + a**10 cancels: errors of an ulp of the terms are absolute
    np.testing.assert_allclose(out0, a + a**10, rtol=1e-14, atol=1e-15)
    # a * b - 1 may be one fused multiply-add (one rounding): compare with an absolute bound
    np.testing.assert_allclose(out1, a * b - 1, rtol=0, atol=4.5e-16)
    again = f(b, a)[0]  # recycled output buffers hold the new values
    np.testing.assert_allclose(again, b + b**10, rtol=1e-14, atol=1e-15)


def test_integer_powers_match_numpy_within_ulps(c_function):
    x = T.dvector("x")
    f = c_function([x], [x**2, x**3, x**-2, x**10, x**0, x**1])
    v = np.array([0.0, -0.0, 1.5, -2.25, 1e-3, 7.0, np.inf, -np.inf, np.nan])
    with np.errstate(divide="ignore", invalid="ignore"):
        want = [v**2, v**3, v**-2.0, v**10, v**0, v**1]
    for g, w in zip(f(v), want, strict=True):
        np.testing.assert_allclose(g, w, rtol=4e-16 * 8)
        np.testing.assert_array_equal(np.signbit(g[np.isfinite(w)]), np.signbit(w[np.isfinite(w)]))
