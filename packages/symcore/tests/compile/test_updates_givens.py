"""updates (forms, order, old values returned, type checks, aliasing, default updates)
and givens (variables, shared variables, values, type checks)."""

from collections import OrderedDict

import numpy as np
import pytest
import symcore.tensor as T
from symcore.compile.function import function
from symcore.compile.io import In
from symcore.compile.sharedvalue import shared
from symcore.config import config


def test_theano_accumulator_tutorial():
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    assert int(state.get_value()) == 0
    assert int(accumulator(1)) == 0
    assert int(state.get_value()) == 1
    assert int(accumulator(300)) == 1
    assert int(state.get_value()) == 301
    state.set_value(-1)
    assert int(accumulator(3)) == -1
    assert int(state.get_value()) == 2
    decrementor = function([inc], state, updates=[(state, state - inc)])
    assert int(decrementor(2)) == 2
    assert int(state.get_value()) == 0


@pytest.mark.parametrize("form", ["list", "tuple", "dict", "ordered", "pair"])
def test_update_forms(form):
    s = shared(np.zeros(2))
    x = T.dvector("x")
    pair = (s, s + x)
    updates = {
        "list": [pair],
        "tuple": (pair,),
        "dict": dict([pair]),
        "ordered": OrderedDict([pair]),
        "pair": pair,
    }[form]
    f = function([x], [], updates=updates)
    f([1.0, 2.0])
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])


def test_updates_happen_after_all_outputs():
    a = shared(1.0, name="a")
    b = shared(10.0, name="b")
    f = function([], [a, b, a + b], updates=[(a, b), (b, a)])  # a swap
    ra, rb, rsum = f()
    assert (float(ra), float(rb), float(rsum)) == (1.0, 10.0, 11.0)
    assert float(a.get_value()) == 10.0 and float(b.get_value()) == 1.0


def test_dict_order_does_not_change_the_compiled_function():
    a = shared(1.0, name="a")
    b = shared(2.0, name="b")
    c = shared(3.0, name="c")
    ups1 = {a: a + 1, b: b * 2, c: c - 1}
    ups2 = {c: c - 1, a: a + 1, b: b * 2}
    f1 = function([], [], updates=ups1)
    f2 = function([], [], updates=ups2)
    names = lambda f: [str(v) for v in f.maker.fgraph.inputs]  # noqa: E731
    assert names(f1) == names(f2) == ["a", "b", "c"]
    assert f1.maker.fgraph.update_mapping == f2.maker.fgraph.update_mapping
    f1()
    f2()
    assert [float(v.get_value()) for v in (a, b, c)] == [3.0, 8.0, 1.0]


def test_float64_update_of_float32_shared_is_a_type_error_suggesting_a_cast():
    w = shared(np.zeros(3, dtype="float32"), name="w")
    g = T.dvector("g")
    with pytest.raises(TypeError, match=r"same type.*cast") as info:
        function([g], [], updates=[(w, w - 0.1 * g)])
    assert "float32" in str(info.value) and "float64" in str(info.value)


def test_weak_python_scalar_update_stays_float32():
    w = shared(np.ones(3, dtype="float32"), name="w")
    g = T.fvector("g")
    f = function([g], [], updates=[(w, w - 0.1 * g)])
    f(np.ones(3, dtype="float32"))
    assert w.get_value().dtype == np.float32
    np.testing.assert_allclose(w.get_value(), np.full(3, 0.9, dtype="float32"))


def test_update_with_different_ndim_is_refused():
    s = shared(np.zeros(3), name="s")
    m = T.dmatrix("m")
    with pytest.raises(TypeError, match="dimensions differ"):
        function([m], [], updates=[(s, m)])


def test_more_specific_broadcast_pattern_is_accepted():
    s = shared(np.zeros((1, 3)), name="s")  # type (False, False)
    r = T.drow("r")  # (True, False)
    f = function([r], [], updates=[(s, r * 2)])
    f(np.ones((1, 3)))
    np.testing.assert_array_equal(s.get_value(), 2 * np.ones((1, 3)))


def test_less_specific_broadcast_pattern_is_accepted_and_checked():
    s = shared(np.zeros((1, 3)), name="s", broadcastable=(True, False))
    m = T.dmatrix("m")
    f = function([m], [], updates=[(s, m + 1)])
    f(np.ones((1, 3)))
    np.testing.assert_array_equal(s.get_value(), 2 * np.ones((1, 3)))
    with pytest.raises(TypeError, match="does not fit"):
        f(np.ones((2, 3)))


def test_update_target_must_be_shared():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="must be a shared variable"):
        function([x], x, updates=[(x, x + 1)])


def test_two_updates_of_one_variable():
    s = shared(0.0)
    with pytest.raises(ValueError, match="two update expressions"):
        function([], [], updates=[(s, s + 1), (s, s + 2)])


def test_update_with_a_constant_value():
    s = shared(np.zeros(2), name="s")
    f = function([], [], updates=[(s, np.ones(2))])
    f()
    val = s.get_value(borrow=True)
    np.testing.assert_array_equal(val, np.ones(2))
    assert val.flags.writeable  # not the read-only constant buffer


def test_update_to_an_input_does_not_alias_the_callers_array():
    s = shared(np.zeros(2), name="s")
    x = T.dvector("x")
    f = function([x], [], updates=[(s, x)])
    a = np.ones(2)
    f(a)
    a[0] = 9.0
    np.testing.assert_array_equal(s.get_value(), [1.0, 1.0])


def test_update_to_another_shared_variable_does_not_alias_it():
    a = shared(np.zeros(2), name="a")
    b = shared(np.ones(2), name="b")
    f = function([], [], updates=[(a, b)])
    f()
    assert not np.may_share_memory(a.get_value(borrow=True), b.get_value(borrow=True))


def test_returned_update_value_does_not_alias_the_new_state():
    s = shared(np.zeros(2), name="s")
    new = s + 1
    f = function([], new, updates=[(s, new)])
    out = f()
    out[0] = 100.0
    np.testing.assert_array_equal(s.get_value(), [1.0, 1.0])


def test_default_update_and_no_default_updates():
    s = shared(0, name="s")
    s.default_update = s + 1
    f = function([], s * 10)
    assert int(f()) == 0 and int(f()) == 10
    assert int(s.get_value()) == 2
    g = function([], s * 10, no_default_updates=True)
    g()
    assert int(s.get_value()) == 2
    h = function([], s * 10, no_default_updates=[s])
    h()
    assert int(s.get_value()) == 2
    k = function([], s * 10, updates=[(s, s + 100)])  # an explicit update wins
    k()
    assert int(s.get_value()) == 102


def test_default_update_may_read_other_shared_variables():
    step = shared(5, name="step")
    s = shared(0, name="s")
    s.default_update = s + step
    step.default_update = step + 1
    f = function([], s)
    f()
    assert int(s.get_value()) == 5 and int(step.get_value()) == 6
    f()
    assert int(s.get_value()) == 11 and int(step.get_value()) == 7


def test_givens_replaces_a_shared_variable_by_an_input():
    state = shared(0, name="state")
    inc = T.iscalar("inc")
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype, name="foo")
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert int(skip_shared(1, 3)) == 7
    assert int(state.get_value()) == 0


def test_givens_replaces_inputs_by_expressions_and_values():
    x, y = T.dscalars("x", "y")
    z = x * y
    f = function([y], z, givens={x: y + 1})
    assert float(f(2.0)) == 6.0
    g = function([y], z, givens=[(x, 10.0)])
    assert float(g(2.0)) == 20.0
    # the user's graph is unchanged
    assert z.owner.inputs[0] is x


def test_givens_apply_to_updates_too():
    s = shared(1.0, name="s")
    x, t = T.dscalars("x", "t")
    f = function([t], [], updates=[(s, s + x)], givens={x: t * 2})
    f(3.0)
    assert float(s.get_value()) == 7.0


def test_givens_type_mismatch():
    x = T.dvector("x")
    i = T.ivector("i")
    with pytest.raises(TypeError, match="in place of"):
        function([i], x * 2, givens={x: i})
    with pytest.raises(TypeError, match="keys of givens"):
        function([i], i * 2, givens={1.0: i})


def test_givens_with_rebuild_strict_false_rebuilds_types():
    x = T.dvector("x")
    i = T.fvector("i")
    f = function([i], -x, givens={x: i}, rebuild_strict=False)
    out = f(np.ones(2, dtype="float32"))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [-1.0, -1.0])


def test_givens_replacing_an_input_is_refused():
    x, y = T.dscalars("x", "y")
    with pytest.raises(ValueError, match="also an input"):
        function([x, y], x + y, givens={x: y})


def test_shared_variable_read_by_a_given_value_is_collected():
    s = shared(4.0, name="s")
    x, y = T.dscalars("x", "y")
    f = function([y], x + y, givens={x: s * 2})
    assert float(f(1.0)) == 9.0
    s.set_value(0.0)
    assert float(f(1.0)) == 1.0


def test_in_update_combined_with_shared_update():
    s = shared(0.0, name="s")
    x = T.dscalar("x")
    acc = T.dscalar("acc")
    f = function([x, In(acc, value=1.0, update=acc * 2)], acc + x, updates=[(s, s + acc)])
    f(0.0)
    f(0.0)
    assert float(s.get_value()) == 3.0 and float(f["acc"]) == 4.0


def test_update_of_float32_with_floatx32():
    with config.change_flags(floatX="float32"):
        s = shared(0.0)
        lr = 0.5
        x = T.scalar("x")
        f = function([x], [], updates=[(s, s + lr * x)])
        f(2.0)
    assert s.get_value().dtype == np.float32 and float(s.get_value()) == 1.0
