"""C code of the reductions (Sum/Prod/Max/Min/All/Any/ProdWithoutZeros, generic CAReduce,
Argmax/Argmin/MaxAndArgmax) against NumPy: dtypes, axes incl. None/()/negative, keepdims,
empty arrays, negative strides, non-contiguous inputs, NaN, and the OpenMP paths."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.scalar as ps
import symcore.tensor as T
from sym_backend_c.linker import CLinker
from sym_backend_c.testing import compile_c, skip_module_without_compiler
from symcore.config import change_flags
from symcore.graph.fg import FunctionGraph
from symcore.link.reference import ReferenceLinker
from symcore.tensor.reduction import CAReduce, ProdWithoutZeros, Sum

skip_module_without_compiler()


def reference(inputs, outputs):
    return ReferenceLinker().make_thunk(FunctionGraph(inputs, outputs))


RNG = np.random.default_rng(42)


def sample(dtype, shape):
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    if dtype.startswith("float"):
        return RNG.standard_normal(shape).astype(dtype)
    if dtype.startswith("uint"):
        return RNG.integers(0, 50, shape).astype(dtype)
    return RNG.integers(-50, 50, shape).astype(dtype)


def layouts(a):
    """The same values in several memory layouts."""
    yield a
    if a.ndim >= 2:
        yield np.asfortranarray(a)
        yield a[::-1, ..., ::-1]
        yield np.repeat(a, 2, axis=1)[:, ::2]
        yield a.transpose(*range(1, a.ndim), 0).copy().transpose(a.ndim - 1, *range(a.ndim - 1))


def assert_same(out, expected, dtype_kind):
    assert out.dtype == expected.dtype
    assert out.shape == expected.shape
    if dtype_kind == "f":
        np.testing.assert_allclose(
            out,
            expected,
            rtol=1e-5 if out.dtype == np.float32 else 1e-10,
            atol=1e-4 if out.dtype == np.float32 else 1e-10,
        )
    else:
        np.testing.assert_array_equal(out, expected)


def _cases(x):
    """(graph output, NumPy function) pairs over a 3-d input."""
    nd = x.ndim
    return [
        (T.sum(x), lambda a: np.sum(a, dtype=_np_sum_dtype(a.dtype))),
        (T.sum(x, axis=0), lambda a: np.sum(a, axis=0, dtype=_np_sum_dtype(a.dtype))),
        (T.sum(x, axis=(0, 2)), lambda a: np.sum(a, axis=(0, 2), dtype=_np_sum_dtype(a.dtype))),
        (
            T.sum(x, axis=-1, keepdims=True),
            lambda a: np.sum(a, axis=-1, keepdims=True, dtype=_np_sum_dtype(a.dtype)),
        ),
        (T.prod(x, axis=1), lambda a: np.prod(a, axis=1, dtype=_np_sum_dtype(a.dtype))),
        (T.max(x, axis=1), lambda a: np.max(a, axis=1)),
        (T.min(x, axis=(1, 2), keepdims=True), lambda a: np.min(a, axis=(1, 2), keepdims=True)),
        (T.max(x), lambda a: np.max(a)),
        (T.any(x, axis=0), lambda a: np.any(a, axis=0)),
        (T.all(x, axis=(0, 2)), lambda a: np.all(a, axis=(0, 2))),
        (T.argmax(x, axis=1), lambda a: np.argmax(a, axis=1)),
        (T.argmin(x, axis=-1), lambda a: np.argmin(a, axis=-1)),
        (T.argmax(x), lambda a: np.argmax(a)),
        (
            T.argmin(x, axis=(0, 2)),
            lambda a: np.argmin(np.moveaxis(a, 1, 0).reshape(a.shape[1], -1), axis=1),
        ),
        (T.max_and_argmax(x, axis=2)[0], lambda a: np.max(a, axis=2)),
        (T.max_and_argmax(x, axis=2)[1], lambda a: np.argmax(a, axis=2)),
        (T.sum(x, axis=(), dtype="float64") if nd else T.sum(x), lambda a: a.astype("float64")),
    ]


def _np_sum_dtype(dtype):
    """Theano's/the core's default sum dtype: int64 for bool and signed, uint64 for unsigned."""
    d = np.dtype(dtype)
    if d.kind in "bi":
        return np.int64
    if d.kind == "u":
        return np.uint64
    return d


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int8", "uint16", "bool"])
def test_reductions_match_numpy(dtype):
    x = T.tensor(dtype, (False, False, False), name="x")
    cases = _cases(x)
    run = compile_c([x], [out for out, _ in cases])
    for shape in [(3, 4, 5), (1, 5, 1), (2, 9, 17)]:
        for a in layouts(sample(dtype, shape)):
            outs = run([a])
            for (out, fn), got in zip(cases, outs, strict=True):
                expected = np.asarray(fn(a)).astype(out.dtype)
                assert_same(got, expected, np.dtype(out.dtype).kind)


@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_empty_inputs(dtype):
    x = T.tensor(dtype, (False, False), name="x")
    identities = [T.sum(x, axis=0), T.prod(x, axis=1), T.any(x, axis=1), T.all(x, axis=0), T.sum(x)]
    extrema = [T.max(x, axis=0), *T.max_and_argmax(x, axis=0)]
    run_id = compile_c([x], identities)
    a = np.zeros((0, 3), dtype)
    outs = run_id([a])
    expected = [
        np.sum(a, axis=0),
        np.prod(a, axis=1),
        np.any(a, axis=1),
        np.all(a, axis=0),
        np.sum(a),
    ]
    for got, exp in zip(outs, expected, strict=True):
        assert got.shape == exp.shape
        np.testing.assert_array_equal(got, exp)
    run_ex = compile_c([x], extrema)
    # reducing a non-empty axis of an empty array is fine ...
    outs = run_ex([np.zeros((3, 0), dtype)])
    assert [o.shape for o in outs] == [(0,), (0,), (0,)]
    assert [o.dtype for o in outs] == [np.dtype(dtype), np.dtype(dtype), np.dtype("int64")]
    # ... reducing an empty axis of an extremum is a ValueError naming the Op, like perform
    with pytest.raises(ValueError, match="(?s)Max.*empty array"):
        run_ex([np.zeros((0, 3), dtype)])
    with pytest.raises(ValueError, match="(?s)Argmin.*empty"):
        compile_c([x], [T.argmin(x, axis=1)])([np.zeros((3, 0), dtype)])
    with pytest.raises(ValueError):
        reference([x], [T.argmin(x, axis=1)])([np.zeros((3, 0), dtype)])


def test_nan_propagation_and_first_index():
    x = T.dmatrix("x")
    outs = [
        T.max(x, axis=1),
        T.min(x, axis=1),
        T.argmax(x, axis=1),
        T.argmin(x, axis=1),
        *T.max_and_argmax(x, axis=0),
        T.max(x),
        T.argmax(x),
    ]
    run = compile_c([x], outs)
    a = np.array(
        [
            [1.0, np.nan, 3.0, np.nan],
            [2.0, 2.0, 1.0, 1.0],
            [-np.inf, -np.inf, -np.inf, -np.inf],
            [np.inf, 5.0, np.inf, -np.inf],
            [0.0, 7.0, 7.0, np.nan],
        ]
    )
    for v in layouts(a):
        got = run([v])
        expected = [
            np.max(v, 1),
            np.min(v, 1),
            np.argmax(v, 1),
            np.argmin(v, 1),
            np.max(v, 0),
            np.argmax(v, 0),
            np.max(v),
            np.argmax(v),
        ]
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e)


def test_sum_dtype_and_acc_dtype():
    x8 = T.bvector("x8")
    xf = T.fvector("xf")
    xb = T.vector("xb", dtype="bool")
    outs = [
        T.sum(x8),
        T.sum(x8, dtype="int8"),
        T.prod(x8, dtype="int16"),
        T.sum(xf),
        T.sum(xf, acc_dtype="float32"),
        T.sum(xf, dtype="float64"),
        T.sum(xb),
        T.sum(xb, dtype="bool"),
        T.prod(xb, dtype="bool"),
        T.sum(x8, dtype="float32"),
    ]
    run = compile_c([x8, xf, xb], outs)
    a8 = np.array([100, 100, 100, -7, 3], "int8")
    af = (RNG.standard_normal(1001) * 1e4).astype("float32")
    ab = np.array([True, False, True])
    got = run([a8, af, ab])
    assert got[0].dtype == np.int64 and got[0] == a8.astype(np.int64).sum()
    assert got[1].dtype == np.int8 and got[1] == np.sum(a8, dtype="int64").astype("int8")  # wraps
    assert got[2].dtype == np.int16 and got[2] == np.prod(a8, dtype="int64").astype("int16")
    assert got[3].dtype == np.float32
    np.testing.assert_allclose(got[3], af.astype(np.float64).sum(), rtol=1e-6)
    np.testing.assert_allclose(got[4], af.astype(np.float64).sum(), rtol=1e-4)
    assert got[5].dtype == np.float64
    np.testing.assert_allclose(got[5], af.astype(np.float64).sum(), rtol=1e-12)
    assert got[6].dtype == np.int64 and got[6] == 2
    assert got[7].dtype == np.bool_ and got[7]
    assert got[8].dtype == np.bool_ and not got[8]
    assert got[9].dtype == np.float32 and got[9] == np.float32(a8.astype(np.float64).sum())


def test_integer_sum_and_prod_wrap_like_numpy():
    x = T.lvector("x")
    run = compile_c([x], [T.sum(x), T.prod(x), T.sum(T.cast(x, "uint64"))])
    a = np.array([2**62, 2**62, 2**62, 3, -5, 7] * 5, "int64")
    got = run([a])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got[0], np.sum(a))
        np.testing.assert_array_equal(got[1], np.prod(a))
        np.testing.assert_array_equal(got[2], np.sum(a.astype("uint64")))


def test_generic_careduce_and_prod_without_zeros():
    x = T.imatrix("x")
    xf = T.dmatrix("xf")
    outs = [
        CAReduce(ps.add, axis=(0,))(x),
        CAReduce(ps.maximum, axis=(1,))(x),
        CAReduce(ps.or_, axis=(0,))(x),
        CAReduce(ps.and_, axis=(1,))(x),
        CAReduce(ps.xor, axis=None)(x),
        ProdWithoutZeros(axis=(1,))(xf),
        ProdWithoutZeros(axis=())(xf),
        Sum(axis=(0, 1), dtype="int32")(x),
    ]
    run = compile_c([x, xf], outs)
    a = RNG.integers(-100, 100, (4, 6)).astype("int32")
    af = RNG.integers(-3, 3, (4, 6)).astype("float64")
    got = run([a, af])
    expected = [
        np.add.reduce(a, axis=0, dtype="int32"),
        np.max(a, axis=1),
        np.bitwise_or.reduce(a, axis=0),
        np.bitwise_and.reduce(a, axis=1),
        np.bitwise_xor.reduce(a.ravel()),
        np.prod(np.where(af == 0, 1, af), axis=1),
        af,
        np.sum(a, dtype="int64").astype("int32"),
    ]
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


def test_zero_d_and_no_axis_reductions_copy():
    s = T.dscalar("s")
    m = T.fmatrix("m")
    outs = [T.sum(s), T.max(s), T.argmax(s), T.all(s), T.sum(m, axis=()), T.argmin(m, axis=())]
    run = compile_c([s, m], outs)
    mv = RNG.standard_normal((2, 3)).astype("float32")[:, ::-1]
    got = run([np.array(-2.5), mv])
    assert got[0] == -2.5 and got[1] == -2.5 and got[2] == 0 and bool(got[3])
    assert got[0].shape == () and got[2].dtype == np.int64
    np.testing.assert_array_equal(got[4], mv)
    assert got[4].dtype == np.float32 and not np.shares_memory(got[4], mv)
    np.testing.assert_array_equal(got[5], np.zeros((2, 3), "int64"))


@pytest.mark.parametrize("openmp", [True, False])
def test_large_inputs_take_the_parallel_paths(openmp):
    x = T.dmatrix("x")
    xi = T.imatrix("xi")
    outs = [
        T.sum(x),
        T.sum(x, axis=0),
        T.sum(x, axis=1),
        T.max(x, axis=1),
        T.argmax(x, axis=0),
        T.argmin(x, axis=1),
        T.sum(xi),
        T.any(xi, axis=0),
    ]
    with change_flags(openmp=openmp):
        run = compile_c([x, xi], outs)
    a = RNG.standard_normal((700, 500))
    a[3, 7] = np.nan
    ai = RNG.integers(-1000, 1000, (700, 500)).astype("int32")
    for v, vi in [(a, ai), (np.asfortranarray(a), ai[::-1])]:
        got = run([v, vi])
        np.testing.assert_allclose(got[0], np.sum(v), equal_nan=True)
        np.testing.assert_allclose(got[1], np.sum(v, axis=0), rtol=1e-10, equal_nan=True)
        np.testing.assert_allclose(got[2], np.sum(v, axis=1), rtol=1e-10, equal_nan=True)
        np.testing.assert_array_equal(got[3], np.max(v, axis=1))
        np.testing.assert_array_equal(got[4], np.argmax(v, axis=0))
        np.testing.assert_array_equal(got[5], np.argmin(v, axis=1))
        assert got[6] == np.sum(vi, dtype="int64")
        np.testing.assert_array_equal(got[7], np.any(vi, axis=0))


def test_matches_reference_backend_for_float16_fallback():
    """float16 has no C loop: the node runs its perform and the result still matches."""
    x = T.tensor("float16", (False,), name="h")
    fg = FunctionGraph([x], [T.sum(x)])
    run = CLinker().make_thunk(fg)
    assert [type(n.op).__name__ for n in fg.linker_report.fallback_nodes] == ["Sum"]
    a = np.arange(10, dtype="float16")
    np.testing.assert_array_equal(run([a])[0], reference([x], [T.sum(x)])([a])[0])
