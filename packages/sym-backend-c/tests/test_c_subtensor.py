"""C code of Subtensor/IncSubtensor and AdvancedSubtensor1/AdvancedIncSubtensor1 against
NumPy indexing: negative indices and steps, clipping, newaxis, views, broadcasting of the
value, dtype casts, in-place updates (also when the value aliases the destination),
duplicate indices, index dtypes/strides and the IndexError/ValueError messages."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from sym_backend_c.testing import compile_c, skip_module_without_compiler
from symcore.tensor.subtensor import IncSubtensor
from symcore.tensor.subtensor_advanced import AdvancedIncSubtensor1, advanced_subtensor1

skip_module_without_compiler()


RNG = np.random.default_rng(3)


def sample(dtype, shape):
    if dtype == "bool":
        return np.asarray(RNG.random(shape) > 0.5)
    return np.asarray(RNG.standard_normal(shape) * 10).astype(dtype)


def layouts(a):
    yield a
    yield np.asfortranarray(a)
    yield a[::-1, :, ::-1]
    yield np.repeat(a, 2, axis=2)[:, :, ::2]


I, J, K = T.lscalars("i", "j", "k")  # noqa: E741
B = T.bscalar("b")


def _basic_cases(x):
    return [
        (x[I], lambda a, i, j, k, b: a[i]),
        (x[:, I:J], lambda a, i, j, k, b: a[:, i:j]),
        (x[::-1], lambda a, i, j, k, b: a[::-1]),
        (x[I:J:K, None, B], lambda a, i, j, k, b: a[i:j:k, None, b]),
        (x[-1, ::K], lambda a, i, j, k, b: a[-1, ::k]),
        (x[None, I, :, ::-1], lambda a, i, j, k, b: a[None, i, :, ::-1]),
        (x[I, J, K], lambda a, i, j, k, b: a[i, j, k, ...]),
        (x[1:, :-1, ::2], lambda a, i, j, k, b: a[1:, :-1, ::2]),
    ]


def _numpy_or_error(fn, *args):
    try:
        return fn(*args)
    except (IndexError, ValueError) as exc:
        return exc


def test_subtensor_views_match_numpy():
    x = T.dtensor3("x")
    cases = _basic_cases(x)
    run = compile_c([x, I, J, K, B], [c for c, _ in cases])
    singles = [compile_c([x, I, J, K, B], [c]) for c, _ in cases]
    base = sample("float64", (4, 5, 6))
    for a in [*layouts(base), np.zeros((4, 0, 6))]:
        for i, j, k, b in [
            (0, 2, 1, 0),
            (-1, -3, 2, -2),
            (3, 10, -1, 3),
            (-4, 0, -2, 1),
            (1, 5, 6, -6),
            (4, 2, 1, 0),
            (0, 2, 0, 0),
            (0, 1, 1, 9),
            (-9, 1, 1, 0),
        ]:
            args = [a, np.array(i), np.array(j), np.array(k), np.array(b, "int8")]
            expected = [_numpy_or_error(fn, a, i, j, k, b) for _, fn in cases]
            if not any(isinstance(e, Exception) for e in expected):
                got = run(args)
                for g, e in zip(got, expected, strict=True):
                    assert g.shape == e.shape and g.dtype == e.dtype
                    np.testing.assert_array_equal(g, e)
                    assert np.shares_memory(g, a) == (e.size > 0 and np.shares_memory(e, a))
                continue
            for single, e in zip(singles, expected, strict=True):
                if isinstance(e, Exception):
                    with pytest.raises(type(e)):
                        single(args)
                else:
                    np.testing.assert_array_equal(single(args)[0], e)


def test_subtensor_error_messages():
    x = T.dmatrix("x")
    run = compile_c([x, I, K], [x[I, ::K]])
    with pytest.raises(
        IndexError,
        match=r"Subtensor.*index \[7, ::1\] is out of bounds for an input of shape \(3, 4\): "
        r"index 7 is out"
        r" of bounds for axis 0 with size 3",
    ):
        run([np.zeros((3, 4)), np.array(7), np.array(1)])
    with pytest.raises(IndexError, match="index -4 is out of bounds"):
        run([np.zeros((3, 4)), np.array(-4), np.array(1)])
    with pytest.raises(ValueError, match=r"invalid index \[0, ::0\] .*: slice step cannot be zero"):
        run([np.zeros((3, 4)), np.array(0), np.array(0)])


def test_inc_subtensor_error_messages_like_perform():
    x, y = T.dmatrix("x"), T.dvector("y")
    run = compile_c([x, y, I], [T.set_subtensor(x[I, 1:], y)])
    with pytest.raises(
        ValueError,
        match=r"SetSubtensor.*: a value of shape \(5,\) cannot be broadcast to x\[0, 1\] of shape"
        r" \(3,\) \(x has shape \(2, 4\)\)",
    ):
        run([np.zeros((2, 4)), np.ones(5), np.array(0)])
    with pytest.raises(IndexError, match=r"SetSubtensor.*index \[-3, 1\] is out of bounds"):
        run([np.zeros((2, 4)), np.ones(3), np.array(-3)])


@pytest.mark.parametrize(
    "xdt, ydt",
    [
        ("float64", "float64"),
        ("float32", "float64"),
        ("int32", "int8"),
        ("int8", "int64"),
        ("bool", "bool"),
        ("float64", "int32"),
    ],
)
def test_inc_and_set_subtensor(xdt, ydt):
    x = T.tensor(xdt, (False,) * 3, name="x")
    y2, y1, y0 = (T.tensor(ydt, (False,) * n, name=f"y{n}") for n in (2, 1, 0))
    cases = [
        (T.set_subtensor(x[I], y2), lambda a, v2, v1, v0, i, j, k: _setitem(a, (i,), v2, False)),
        (T.inc_subtensor(x[I], y2), lambda a, v2, v1, v0, i, j, k: _setitem(a, (i,), v2, True)),
        (
            T.inc_subtensor(x[:, I:J], y1),
            lambda a, v2, v1, v0, i, j, k: _setitem(a, (slice(None), slice(i, j)), v1, True),
        ),
        (
            T.set_subtensor(x[::-1, 1, ::K], y0),
            lambda a, v2, v1, v0, i, j, k: _setitem(
                a, (slice(None, None, -1), 1, slice(None, None, k)), v0, False
            ),
        ),
        (
            T.inc_subtensor(x[I, J, K], y0),
            lambda a, v2, v1, v0, i, j, k: _setitem(a, (i, j, k), v0, True),
        ),
        (
            T.set_subtensor(x[None, 1:, I], y2),
            lambda a, v2, v1, v0, i, j, k: _setitem(a, (None, slice(1, None), i), v2, False),
        ),
    ]
    ins = [x, y2, y1, y0, I, J, K]
    run = compile_c(ins, [c for c, _ in cases])
    singles = [compile_c(ins, [c]) for c, _ in cases]
    a = sample(xdt, (4, 5, 6))
    v0 = sample(ydt, ())
    for v2 in [sample(ydt, (5, 6)), sample(ydt, (1, 6)), sample(ydt, (5, 1)), sample(ydt, (3, 6))]:
        for v1 in [sample(ydt, (6,)), sample(ydt, (1,)), sample(ydt, (5,))]:
            for i, j, k in [(0, 2, 1), (-1, 3, -1), (2, 0, 2), (9, 1, 1), (1, 1, 0)]:
                for xv in (a, a[:, ::-1]):
                    args = [xv, v2, v1, v0, np.array(i), np.array(j), np.array(k)]
                    before = xv.copy()
                    expected = [_numpy_or_error(fn, xv, v2, v1, v0, i, j, k) for _, fn in cases]
                    if not any(isinstance(e, Exception) for e in expected):
                        got = run(args)
                    else:
                        got = [_run_or_error(s, args) for s in singles]
                    np.testing.assert_array_equal(xv, before)  # not inplace: x untouched
                    for g, e in zip(got, expected, strict=True):
                        if isinstance(e, Exception):
                            assert type(g) is type(e), (g, e)
                            continue
                        assert g.dtype == e.dtype and g.shape == e.shape
                        if e.dtype.kind == "f":
                            np.testing.assert_allclose(g, e, rtol=1e-6)
                        else:
                            np.testing.assert_array_equal(g, e)


def _setitem(a, index, value, inc):
    out = a.copy()
    if inc:
        view = out[index + (Ellipsis,)]
        np.add(view, value, out=view, casting="unsafe")
    else:
        out[index + (Ellipsis,)] = value
    return out


def _run_or_error(run, args):
    try:
        return run(args)[0]
    except (IndexError, ValueError) as exc:
        return exc


def test_inplace_inc_subtensor_writes_into_x_and_handles_an_aliased_value():
    x = T.dmatrix("x")
    idx = x[1:].owner.op.idx_list
    run = compile_c([x, I], [IncSubtensor(idx, inplace=True)(x, x[:-1], I)])
    m = np.arange(12.0).reshape(4, 3)
    expected = m.copy()
    expected[1:] += m[:-1].copy()
    out = run([m, np.array(1)])[0]
    np.testing.assert_array_equal(out, expected)
    assert np.shares_memory(out, m)
    np.testing.assert_array_equal(m, expected)
    run_set = compile_c(
        [x, I], [IncSubtensor(idx, inplace=True, set_instead_of_inc=True)(x, x[:-1, ::-1], I)]
    )
    m = np.arange(12.0).reshape(4, 3)
    expected = m.copy()
    expected[1:] = m[:-1, ::-1].copy()
    np.testing.assert_array_equal(run_set([m, np.array(1)])[0], expected)
    frozen = np.ones((4, 3))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        run([frozen, np.array(1)])
    np.testing.assert_array_equal(frozen, np.ones((4, 3)))


@pytest.mark.parametrize(
    "xdt, ydt, idt",
    [
        ("float64", "float64", "int64"),
        ("float32", "float64", "int32"),
        ("int32", "int8", "uint8"),
        ("bool", "bool", "int8"),
    ],
)
def test_advanced_subtensor1_and_inc(xdt, ydt, idt):
    x3, x1 = T.tensor(xdt, (False,) * 3, name="x3"), T.tensor(xdt, (False,), name="x1")
    ilist = T.tensor(idt, (False,), name="ilist")
    y3, y2, y0 = (T.tensor(ydt, (False,) * n, name=f"y{n}") for n in (3, 2, 0))
    cases = [
        (advanced_subtensor1(x3, ilist), lambda a3, a1, i, v3, v2, v0: a3[i]),
        (advanced_subtensor1(x1, ilist), lambda a3, a1, i, v3, v2, v0: a1[i]),
        (AdvancedIncSubtensor1()(x3, y3, ilist), lambda a3, a1, i, v3, v2, v0: _add_at(a3, i, v3)),
        (
            AdvancedIncSubtensor1(set_instead_of_inc=True)(x3, y3, ilist),
            lambda a3, a1, i, v3, v2, v0: _set_at(a3, i, v3),
        ),
        (AdvancedIncSubtensor1()(x3, y2, ilist), lambda a3, a1, i, v3, v2, v0: _add_at(a3, i, v2)),
        (
            AdvancedIncSubtensor1(set_instead_of_inc=True)(x1, y0, ilist),
            lambda a3, a1, i, v3, v2, v0: _set_at(a1, i, v0),
        ),
        (AdvancedIncSubtensor1()(x1, y0, ilist), lambda a3, a1, i, v3, v2, v0: _add_at(a1, i, v0)),
    ]
    ins = [x3, x1, ilist, y3, y2, y0]
    run = compile_c(ins, [c for c, _ in cases])
    singles = [compile_c(ins, [c]) for c, _ in cases]
    base = sample(xdt, (5, 3, 4))
    a1 = sample(xdt, (5,))
    for a3 in layouts(base):
        for iv in [[0, 2, 2, -1], [4], [], [1, 1, 1], [0, 5], [-6], [3, -5]]:
            if idt.startswith("uint") and min(iv, default=0) < 0:
                continue
            i = np.array(iv, dtype=idt)
            for v3s in [(len(iv), 3, 4), (1, 3, 4), (len(iv), 1, 4), (2, 3, 4)]:
                v3, v2, v0 = (
                    sample(ydt, v3s),
                    sample(ydt, (3, 1) if len(iv) % 2 else (3, 4)),
                    sample(ydt, ()),
                )
                args = [a3, a1, i, v3, v2, v0]
                expected = [_numpy_or_error(fn, *args) for _, fn in cases]
                if not any(isinstance(e, Exception) for e in expected):
                    got = run(args)
                else:
                    got = [_run_or_error(s, args) for s in singles]
                for g, e in zip(got, expected, strict=True):
                    if isinstance(e, Exception):
                        assert type(g) is type(e), (g, e)
                        continue
                    assert g.dtype == e.dtype and g.shape == e.shape
                    np.testing.assert_allclose(g, e, rtol=1e-6)
    # strided index vectors
    i = np.array([0, 1, 0, 2, 1], dtype=idt)[::-2]
    got = run([base, a1, i, sample(ydt, (3, 3, 4)), sample(ydt, (3, 4)), sample(ydt, ())])
    np.testing.assert_array_equal(got[0], base[i])


def _add_at(a, i, v):
    out = a.copy()
    np.add.at(out, i, v)
    return out


def _set_at(a, i, v):
    out = a.copy()
    out[i] = v
    return out


def test_advanced_index_errors_and_inplace_alias():
    x = T.dmatrix("x")
    ilist = T.lvector("ilist")
    run = compile_c([x, ilist], [advanced_subtensor1(x, ilist)])
    with pytest.raises(
        IndexError, match=r"(?s)AdvancedSubtensor1.*index 4 is out of bounds for axis 0 with size 4"
    ):
        run([np.zeros((4, 2)), np.array([0, 4])])
    run_inc = compile_c([x, ilist], [AdvancedIncSubtensor1(inplace=True)(x, x[1:3], ilist)])
    with pytest.raises(IndexError, match="index -5 is out of bounds"):
        run_inc([np.zeros((4, 2)), np.array([-5, 0])])
    m = np.arange(12.0).reshape(4, 3)
    expected = m.copy()
    np.add.at(expected, [0, 0], m[1:3].copy())
    out = run_inc([m, np.array([0, 0])])[0]
    np.testing.assert_array_equal(out, expected)
    assert np.shares_memory(out, m)
    with pytest.raises(ValueError, match=r"value of shape \(2, 3\) cannot be broadcast"):
        run_inc([np.zeros((4, 3)), np.array([0, 1, 2])])


def test_integer_array_indexing_and_its_inc_set():
    from symcore.tensor.subtensor_advanced import advanced_inc_subtensor, advanced_set_subtensor

    x = T.dtensor3("x")
    i, j, m = T.lvector("i"), T.ivector("j"), T.lmatrix("m")
    y1, y2, y0 = T.dvector("y1"), T.dmatrix("y2"), T.dscalar("y0")
    cases = [
        (x[i, j], lambda a, iv, jv, mv, v1, v2, v0: a[iv, jv]),
        (x[m], lambda a, iv, jv, mv, v1, v2, v0: a[mv]),
        (x[i, I], lambda a, iv, jv, mv, v1, v2, v0: a[iv, 2]),
        (
            advanced_inc_subtensor(x, y1, i, j),
            lambda a, iv, jv, mv, v1, v2, v0: _at(a, (iv, jv), v1, True),
        ),
        (
            advanced_set_subtensor(x, y2, i, j),
            lambda a, iv, jv, mv, v1, v2, v0: _at(a, (iv, jv), v2, False),
        ),
        (
            advanced_inc_subtensor(x, y0, m),
            lambda a, iv, jv, mv, v1, v2, v0: _at(a, (mv,), v0, True),
        ),
    ]
    ins = [x, i, j, m, y1, y2, y0, I]
    run = compile_c(ins, [c for c, _ in cases])
    singles = [compile_c(ins, [c]) for c, _ in cases]
    a = sample("float64", (4, 5, 3))
    for xv in (a, a[::-1, :, ::-1]):
        for iv, jv, mv, n2 in [
            ([0, 1, 1, -1], [2, 0, 0, 4], [[0, 3], [3, 3]], 4),
            ([0, 4], [2, 0], [[0, 3]], 2),
            ([0, 1, 1], [2, 0], [[0]], 3),
            ([0, 1], [2, -6], np.zeros((0, 2)), 2),
            ([1, 2], [0, 1], [[1, 2]], 3),
        ]:
            args = [
                xv,
                np.array(iv),
                np.array(jv, "int32"),
                np.array(mv, "int64"),
                sample("float64", (3,)),
                sample("float64", (n2, 3)),
                sample("float64", ()),
                np.array(2),
            ]
            expected = [_numpy_or_error(fn, *args[:7]) for _, fn in cases]
            got = (
                run(args)
                if not any(isinstance(e, Exception) for e in expected)
                else [_run_or_error(s, args) for s in singles]
            )
            for g, e in zip(got, expected, strict=True):
                if isinstance(e, Exception):
                    assert type(g) is type(e), (g, e)
                    continue
                assert g.dtype == e.dtype and g.shape == e.shape
                np.testing.assert_allclose(g, e, rtol=1e-12)


def _at(a, index, value, inc):
    out = a.copy()
    if inc:
        np.add.at(out, index, value)
    else:
        out[index] = value
    return out
