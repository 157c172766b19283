"""Memory ownership through the C backend: returned arrays never alias each other, the
caller's inputs, constants or shared storage (unless borrowing is asked for); results of
a call are not changed by later calls; shared-variable updates — including the ones the
rewrites turn into in-place operations on the shared storage — give NumPy's values."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import symcore
import symcore.tensor as T


def _no_sharing(arrays):
    for a, b in itertools.combinations(arrays, 2):
        assert not np.may_share_memory(a, b)


def test_outputs_never_alias_each_other_or_the_inputs(c_function):
    x = T.dmatrix("x")
    y = x + 1
    f = c_function([x], [x, x, y, y, y.T, x.T, x[0], T.exp(x)])
    v = np.arange(6.0).reshape(2, 3)
    keep = v.copy()
    outs = f(v)
    _no_sharing(outs + [v])
    expected = [v, v, v + 1, v + 1, (v + 1).T, v.T, v[0], np.exp(v)]
    for o, e in zip(outs, expected, strict=True):
        np.testing.assert_allclose(o, e, rtol=1e-15)  # exp: vector math, within an ulp
    for o in outs:  # the caller may write into every result
        o[...] = -1
    np.testing.assert_array_equal(v, keep)


def test_borrowed_input_may_be_returned_as_is(c_function):
    x = T.dvector("x")
    a = np.arange(3.0)
    assert c_function([x], symcore.Out(x, borrow=True))(a) is a
    assert c_function([symcore.In(x, borrow=True)], x)(a) is a
    assert not np.may_share_memory(c_function([x], x)(a), a)


def test_results_are_not_overwritten_by_later_calls(c_function):
    x = T.dvector("x")
    f = c_function([x], [T.exp(x) * 2, T.exp(x) * 2 + 1])
    first = f(np.zeros(4))
    second = f(np.ones(4))
    np.testing.assert_array_equal(first[0], np.full(4, 2.0))
    np.testing.assert_array_equal(first[1], np.full(4, 3.0))
    np.testing.assert_allclose(second[0], np.full(4, 2 * np.e))
    _no_sharing(first + second)


def test_shared_values_are_never_returned_or_overwritten(c_function):
    s = symcore.shared(np.arange(4.0), name="s")
    f = c_function([], [s, s * 1.0, s.T])
    outs = f()
    storage = s.get_value(borrow=True)
    _no_sharing(outs + [storage])
    outs[0][:] = 100.0
    np.testing.assert_array_equal(s.get_value(), np.arange(4.0))


def test_inputs_are_not_modified_by_in_place_rewrites(c_function):
    """FAST_RUN makes elementwise ops in place on intermediates; never on the caller's arrays."""
    x, y = T.dvectors("x", "y")
    out = T.exp(T.tanh(x + y) * 2) - y
    f = c_function([x, y], out)
    a, b = np.linspace(-1, 1, 9), np.linspace(0, 2, 9)
    a0, b0 = a.copy(), b.copy()
    np.testing.assert_allclose(f(a, b), np.exp(np.tanh(a + b) * 2) - b, rtol=1e-14)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


def test_update_reading_the_old_value_is_returned_before_the_update(c_function):
    s = symcore.shared(np.zeros(3), name="s")
    x = T.dvector("x")
    f = c_function([x], [s * 2, s + x], updates=[(s, s + x)])
    expected = np.zeros(3)
    for k in range(4):
        v = np.arange(3.0) + k
        doubled, summed = f(v)
        np.testing.assert_array_equal(doubled, expected * 2)
        np.testing.assert_array_equal(summed, expected + v)
        expected = expected + v
        np.testing.assert_array_equal(s.get_value(), expected)
        assert not np.may_share_memory(summed, s.get_value(borrow=True))


def test_in_place_sgd_updates_match_numpy(c_function):
    """Updates like w - lr * g become in-place ops on the shared storage after rewriting."""
    rng = np.random.default_rng(3)
    w0, xv = rng.standard_normal(5), rng.standard_normal((8, 5))
    w = symcore.shared(w0.copy(), name="w")
    m = symcore.shared(np.zeros(5), name="m")
    x = T.dmatrix("x")
    cost = T.sum(T.tanh(T.dot(x, w)) ** 2)
    g = T.grad(cost, w)
    f = c_function(
        [x], cost, updates=[(m, 0.9 * m + g), (w, w - 0.05 * (0.9 * m + g))], fallbacks="any"
    )
    w_np, m_np = w0.copy(), np.zeros(5)
    for _ in range(6):
        h = np.tanh(xv @ w_np)
        np.testing.assert_allclose(f(xv), np.sum(h**2), rtol=1e-12)
        g_np = xv.T @ (2 * h * (1 - h**2))
        m_np = 0.9 * m_np + g_np
        w_np = w_np - 0.05 * m_np
        np.testing.assert_allclose(m.get_value(), m_np, rtol=1e-12)
        np.testing.assert_allclose(w.get_value(), w_np, rtol=1e-12)
    assert not np.may_share_memory(w.get_value(borrow=True), m.get_value(borrow=True))


def test_swapping_two_shared_variables(c_function):
    a = symcore.shared(np.array([1.0, 2.0]), name="a")
    b = symcore.shared(np.array([3.0, 4.0]), name="b")
    f = c_function([], [], updates=[(a, b), (b, a)])
    f()
    np.testing.assert_array_equal(a.get_value(), [3.0, 4.0])
    np.testing.assert_array_equal(b.get_value(), [1.0, 2.0])
    assert not np.may_share_memory(a.get_value(borrow=True), b.get_value(borrow=True))
    f()
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0])


@pytest.mark.parametrize("borrow", [False, True])
def test_set_value_between_calls_is_seen(c_function, borrow):
    s = symcore.shared(np.ones(3), name="s")
    f = c_function([], s * 3)
    np.testing.assert_array_equal(f(), np.full(3, 3.0))
    new = np.arange(3.0)
    s.set_value(new, borrow=borrow)
    np.testing.assert_array_equal(f(), new * 3)
    new[:] = 7.0  # with borrow=True the shared storage is this array
    np.testing.assert_array_equal(f(), (np.full(3, 7.0) if borrow else np.arange(3.0)) * 3)


def test_dropped_results_are_recycled_held_ones_never(c_function):
    """An output array the caller dropped is reused by the next call (no new allocation);
    one the caller still holds, even through a view, is never written again."""
    x = T.dvector("x")
    f = c_function([x], T.exp(x) + 1)
    v = np.linspace(0, 1, 1000)
    first = f(v)
    address = first.ctypes.data
    del first
    second = f(v)
    assert second.ctypes.data == address  # recycled
    third = f(v + 1)
    assert not np.shares_memory(second, third)
    np.testing.assert_allclose(second, np.exp(v) + 1)
    view = third[::2]
    del third
    fourth = f(v + 2)
    assert not np.shares_memory(view, fourth)
    np.testing.assert_allclose(view, (np.exp(v + 1) + 1)[::2])
    np.testing.assert_allclose(fourth, np.exp(v + 2) + 1)
