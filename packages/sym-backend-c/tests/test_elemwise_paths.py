"""The loop variants of compiled elementwise code, against NumPy: the flat loop (all
operands contiguous) in its three store orders (a large output allocated by the call:
descending normal stores; a large recycled output or in-place input: streaming stores;
otherwise ascending normal stores), the row loop of strided layouts (last dimension
contiguous in every operand: a matrix plus a row) and the byte-stride loops (transposed,
negative strides, a column broadcast along rows)."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from sym_backend_c.ops import elemwise as E
from symcore.config import change_flags

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


@pytest.fixture
def small_thresholds(monkeypatch):
    """The size thresholds of the descending (fresh output) and streaming (recycled or
    in-place output) flat loops lowered to 64 bytes: small arrays take those paths."""
    monkeypatch.setattr(E, "FRESH_DESCEND_MIN_BYTES", 64)
    monkeypatch.setattr(E, "STREAM_MIN_BYTES", 64)


def _direct_function(inputs, outputs):
    """The same graph compiled with both thresholds out of reach: ascending normal stores."""
    saved = E.FRESH_DESCEND_MIN_BYTES, E.STREAM_MIN_BYTES
    E.FRESH_DESCEND_MIN_BYTES = E.STREAM_MIN_BYTES = 1 << 62
    try:
        return symcore.function(inputs, outputs)
    finally:
        E.FRESH_DESCEND_MIN_BYTES, E.STREAM_MIN_BYTES = saved


def _expr_for(dtype):
    """A fused expression per dtype, with its NumPy oracle."""
    if dtype.startswith("float"):
        return (lambda x, y: [x + x**10, x * y - 1]), (lambda a, b: [a + a**10, a * b - 1])
    return (lambda x, y: [x * x * 3 + x, x - y]), (lambda a, b: [a * a * 3 + a, a - b])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("n", [1, 7, 8, 1001, 4099])
def test_fresh_recycled_and_direct_stores_give_identical_bits(
    c_function, small_thresholds, dtype, n
):
    """Every store order computes the same values, bit for bit, at odd lengths, and from an
    input one element off the allocation's alignment; NumPy is the oracle."""
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    build, oracle = _expr_for(dtype)
    f = c_function([x, y], build(x, y))
    g = _direct_function([x, y], build(x, y))
    if dtype.startswith("float"):
        raw, b = RNG.uniform(-1.5, 1.5, n + 1), RNG.uniform(-1, 1, n)
    else:
        raw, b = RNG.integers(-50, 50, n + 1), RNG.integers(-9, 9, n)
    a = raw.astype(dtype)[1:]  # misaligned by one element
    b = b.astype(dtype)
    want = g(a, b)
    held = f(a, b)  # the first call allocates: descending stores
    again = f(a, b)  # the first results are still held: fresh arrays again
    assert not any(np.shares_memory(h, r) for h, r in zip(held, again, strict=True))
    del again
    recycled = f(a, b)  # the previous results were dropped: their buffers, streaming stores
    for got in (held, recycled):
        for gv, wv in zip(got, want, strict=True):
            assert gv.dtype == wv.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(gv, wv)
    with np.errstate(over="ignore"):
        expected = oracle(a, b)
    rtol = 1e-6 if dtype == "float32" else 1e-14
    for gv, ev in zip(held, expected, strict=True):
        np.testing.assert_allclose(gv, ev.astype(dtype), rtol=rtol, atol=rtol)


def test_in_place_and_views_with_small_thresholds(c_function, small_thresholds):
    """An in-place output (a mutable input) is written where it lies; inputs that are views
    (strided, reversed) take the strided loops into a fresh output; both match NumPy."""
    x = T.dvector("x")
    f = c_function([symcore.In(x, mutable=True)], x + x**10)
    a = RNG.uniform(-1.5, 1.5, 1001)
    want = a + a**10
    buf = a.copy()
    out = f(buf)
    assert np.shares_memory(out, buf)
    np.testing.assert_allclose(out, want, rtol=1e-14, atol=1e-15)
    g = c_function([x], x + x**10)
    big = RNG.uniform(-1.5, 1.5, 3003)
    for view in (big[::3], big[::-3], big[1:][::-1]):
        got = g(view)
        assert got.flags.c_contiguous and not np.shares_memory(got, big)
        np.testing.assert_allclose(got, view + view**10, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("openmp", [True, False])
def test_large_fresh_and_recycled_outputs_with_openmp(c_function, openmp):
    """Above the default thresholds (1 MB fresh, 16 MB recycled) with and without OpenMP
    threads: the descending and the streaming loops split across threads correctly."""
    x = T.dvector("x")
    with change_flags(openmp=openmp):
        f = c_function([x], [x + x**10, 2 * x])
    n = (16 << 20) // 8 + 333
    a = RNG.uniform(-1, 1, n)
    want = [a + a**10, 2 * a]
    fresh = f(a)
    del_me = f(a)  # fresh again (the first results are held)
    del del_me
    recycled = f(a)
    for got in (fresh, recycled):
        np.testing.assert_allclose(got[0], want[0], rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(fresh[0], recycled[0])
