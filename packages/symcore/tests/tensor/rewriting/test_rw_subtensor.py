"""Rewrites of basic indexing (Subtensor)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import symcore.tensor as T
from symcore.tensor.alloc import Alloc
from symcore.tensor.join import Join
from symcore.tensor.shape import MakeVector, Shape_i
from symcore.tensor.subtensor import IncSubtensor, Subtensor
from symcore.tensor.type import TensorType


def _of(rw, f, cls):
    return [n for n in rw.nodes(f) if isinstance(n.op, cls)]


@pytest.mark.parametrize(
    "index", [slice(None), slice(0, None), slice(None, None, 1), slice(0, sys.maxsize)]
)
def test_full_slices_are_removed(rw, index):
    x = T.dmatrix("x")
    f = rw.function([x], x[index] * 2, mode=rw.no_fusion)
    assert not _of(rw, f, Subtensor)
    xv = rw.rng.normal(size=(3, 2))
    np.testing.assert_allclose(f(xv), xv[index] * 2)


def test_slice_to_the_symbolic_length_is_removed(rw):
    x = T.dmatrix("x")
    f = rw.function([x], x[: x.shape[0], 0 : x.shape[1]] + 1, mode=rw.no_fusion)
    assert not _of(rw, f, Subtensor)


def test_partial_slices_are_kept(rw):
    x = TensorType("float64", shape=(4, None))("x")
    f = rw.function([x], [x[:3], x[1:], x[::-1]], mode=rw.no_fusion)
    assert len(_of(rw, f, Subtensor)) == 3
    xv = rw.rng.normal(size=(4, 2))
    for got, exp in zip(f(xv), [xv[:3], xv[1:], xv[::-1]], strict=True):
        np.testing.assert_array_equal(got, exp)


def test_shape_entry_is_shape_i(rw):
    x = T.dtensor3("x")
    f = rw.function([x], [x.shape[1], x.shape[-1], x.shape[1:]])
    assert not _of(rw, f, Subtensor)
    assert {n.op.i for n in _of(rw, f, Shape_i)} == {1, 2}
    xv = np.zeros((2, 3, 4))
    a, b, c = f(xv)
    assert int(a) == 3 and int(b) == 4 and list(c) == [3, 4]
    assert _of(rw, f, MakeVector)


def test_subtensor_of_alloc_allocates_the_slice(rw):
    v = T.dvector("v")
    n = T.lscalar("n")
    a = T.alloc(v, n, 5, v.shape[0])
    b = T.alloc(-v, n, 5, v.shape[0])  # a second alloc, read by one Subtensor each
    f = rw.function([v, n], [a[1:3, 2], -b[0, :, ::2]], mode=rw.no_fusion)
    allocs = _of(rw, f, Alloc)
    assert len(allocs) == 2 and not [
        s for s in _of(rw, f, Subtensor) if s.inputs[0].owner in allocs
    ]
    vv = rw.rng.normal(size=6)
    full = np.broadcast_to(vv, (4, 5, 6))
    got = f(vv, 4)
    np.testing.assert_array_equal(got[0], full[1:3, 2])
    np.testing.assert_array_equal(got[1], full[0, :, ::2])
    # only the indexed part of v is read: v[::2] feeds the second alloc
    c = rw.function([v, n], [a[1:3, 2], a[0]], mode=rw.no_fusion)
    assert len(_of(rw, c, Alloc)) == 1  # an alloc read twice is not duplicated
    assert any(isinstance(i.owner.op, Subtensor) for al in allocs for i in al.inputs[:1] if i.owner)


def test_subtensor_of_join_picks_the_input(rw):
    a = TensorType("float64", shape=(2, None))("a")
    b = TensorType("float64", shape=(3, None))("b")
    j = T.join(0, a, b)
    f = rw.function([a, b], [j[3], j[-1, 1:], j[2:5], j[0:2]], mode=rw.no_fusion)
    assert not _of(rw, f, Join)
    av, bv = rw.rng.normal(size=(2, 4)), rw.rng.normal(size=(3, 4))
    full = np.concatenate([av, bv])
    for got, exp in zip(f(av, bv), [full[3], full[-1, 1:], full[2:5], full[0:2]], strict=True):
        np.testing.assert_array_equal(got, exp)


def test_subtensor_of_join_across_inputs_is_kept(rw):
    a = TensorType("float64", shape=(2, None))("a")
    b = TensorType("float64", shape=(3, None))("b")
    f = rw.function([a, b], T.join(0, a, b)[1:4])
    assert _of(rw, f, Join)
    av, bv = rw.rng.normal(size=(2, 4)), rw.rng.normal(size=(3, 4))
    np.testing.assert_array_equal(f(av, bv), np.concatenate([av, bv])[1:4])


def test_reading_back_a_set_subtensor(rw):
    x = T.dmatrix("x")
    y = T.dvector("y")
    s = T.set_subtensor(x[1:3, 0], y)
    f = rw.function([x, y], s[1:3, 0] * 2, mode=rw.no_fusion)
    assert not _of(rw, f, IncSubtensor) and not _of(rw, f, Subtensor)
    xv, yv = rw.rng.normal(size=(4, 3)), rw.rng.normal(size=2)
    np.testing.assert_allclose(f(xv, yv), yv * 2)


def test_reading_back_a_broadcast_set_value_fills_it(rw):
    x = T.dmatrix("x")
    c = T.dscalar("c")
    f = rw.function([x, c], T.set_subtensor(x[1:], c)[1:], mode=rw.no_fusion)
    assert not _of(rw, f, IncSubtensor)
    xv = rw.rng.normal(size=(3, 2))
    np.testing.assert_array_equal(f(xv, 1.5), np.full((2, 2), 1.5))


def test_reading_back_an_increment_of_zeros(rw):
    x = T.dmatrix("x")
    y = T.dvector("y")
    z = T.inc_subtensor(T.zeros_like(x)[0], y)
    w = T.inc_subtensor(x[0], y)
    f = rw.function([x, y], [z[0], w[0]], mode=rw.no_fusion)
    xv, yv = rw.rng.normal(size=(2, 3)), rw.rng.normal(size=3)
    a, b = f(xv, yv)
    np.testing.assert_array_equal(a, yv)
    np.testing.assert_allclose(b, xv[0] + yv)
    assert len(_of(rw, f, IncSubtensor)) == 1  # only the increment of x remains


def test_reading_another_index_keeps_the_set(rw):
    x = T.dvector("x")
    f = rw.function([x], T.set_subtensor(x[0], 5.0)[1:])
    xv = rw.rng.normal(size=4)
    expected = xv.copy()
    expected[0] = 5.0
    np.testing.assert_array_equal(f(xv), expected[1:])


@pytest.mark.parametrize(
    "i1, i2",
    [
        ((slice(1, 10, 2),), (slice(1, 3),)),
        ((slice(2, None),), (1,)),
        ((slice(1, 8), slice(None, None, 2)), (slice(None, None, 3), 1)),
        ((0,), (slice(2, 5),)),
        ((slice(3, 5),), (slice(0, 10),)),
        ((slice(None, None, 2),), (slice(1, None, 2),)),
    ],
)
def test_consecutive_subtensors_merge(rw, i1, i2):
    x = T.dmatrix("x")
    f = rw.function([x], x[i1][i2], mode=rw.no_fusion)
    assert len(_of(rw, f, Subtensor)) == 1
    xv = np.arange(120.0).reshape(12, 10)
    np.testing.assert_array_equal(f(xv), xv[i1][i2])


def test_merge_keeps_the_index_error_of_the_inner_slice(rw):
    x = T.dvector("x")
    f = rw.function([x], x[1:3][5])
    assert len(_of(rw, f, Subtensor)) == 2
    with pytest.raises(IndexError):
        f(np.arange(10.0))


def test_negative_or_symbolic_indices_are_not_merged(rw):
    x = T.dvector("x")
    i = T.lscalar("i")
    f = rw.function([x, i], [x[-5:][1:], x[2:][i]], mode=rw.no_fusion)
    assert len(_of(rw, f, Subtensor)) == 4
    xv = np.arange(10.0)
    a, b = f(xv, 3)
    np.testing.assert_array_equal(a, xv[-5:][1:])
    assert b == xv[2:][3]


def test_subtensor_rewrites_can_be_excluded(rw):
    x = T.dvector("x")
    f = rw.function([x], x[1:][2:], mode=rw.no_fusion.excluding("local_subtensor_merge"))
    assert len(_of(rw, f, Subtensor)) == 2
