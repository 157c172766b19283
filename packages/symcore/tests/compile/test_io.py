"""In/Out specs: default values, keyword arguments, names, state held by In(update=...),
containers and shared values as defaults, borrow/mutable rules."""

import numpy as np
import pytest
import symcore.tensor as T
from symcore.compile.function import function
from symcore.compile.io import Container, In, Out, SymbolicInput, SymbolicOutput, copy_value
from symcore.compile.sharedvalue import shared
from symcore.tensor.type import TensorType


def test_default_value_used_when_argument_missing():
    x, y = T.dscalars("x", "y")
    f = function([x, In(y, value=1.0)], x + y)
    assert float(f(33.0)) == 34.0
    assert float(f(33.0, 2.0)) == 35.0


def test_theano_tutorial_defaults_and_names():
    x, y, w = T.dscalars("x", "y", "w")
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z)
    assert float(f(33)) == 68.0
    assert float(f(33, 2)) == 70.0
    assert float(f(33, 0, 1)) == 33.0
    assert float(f(33, w_by_name=1)) == 34.0
    assert float(f(33, w_by_name=1, y=0)) == 33.0


def test_keyword_arguments_by_variable_name():
    x, y = T.dscalars("x", "y")
    f = function([x, y], x - y)
    assert float(f(x=1.0, y=3.0)) == -2.0
    assert float(f(5.0, y=3.0)) == 2.0


def test_default_value_is_filtered_at_compile_time():
    x = T.fscalar("x")
    with pytest.raises(TypeError, match="Default value"):
        function([In(x, value=np.float64(1.5))], x * 2)
    f = function([In(x, value=1)], x * 2)
    assert f().dtype == np.float32


def test_default_not_overwritten_by_a_given_value():
    x, y = T.dscalars("x", "y")
    f = function([x, In(y, value=1.0)], x + y)
    f(0.0, 100.0)
    assert float(f(0.0)) == 1.0


def test_get_and_set_default_by_name_index_and_variable():
    x, y = T.dscalars("x", "y")
    f = function([x, In(y, value=1.0)], x + y)
    assert float(f["y"]) == 1.0 and float(f[1]) == 1.0 and float(f[y]) == 1.0
    f["y"] = 5.0
    assert float(f(1.0)) == 6.0
    with pytest.raises(KeyError):
        f["nope"]


def test_in_with_update_keeps_state():
    x = T.dscalar("x")
    acc = T.dscalar("acc")
    f = function([x, In(acc, value=0.0, update=acc + x)], acc)
    assert float(f(2.0)) == 0.0
    assert float(f(3.0)) == 2.0
    assert float(f(0.0)) == 5.0
    assert float(f["acc"]) == 5.0


def test_in_update_needs_a_value():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="value"):
        In(x, update=x + 1)


def test_shared_variable_as_default_value_is_implicit_and_shared():
    s = shared(10.0)
    x, y = T.dscalars("x", "y")
    f = function([x, In(y, value=s)], x + y)
    assert float(f(1.0)) == 11.0
    s.set_value(20.0)
    assert float(f(1.0)) == 21.0
    with pytest.raises(TypeError, match="positional"):
        f(1.0, 2.0)  # implicit: not an argument


def test_container_value_shared_between_functions():
    x = T.dscalar("x")
    state = T.dscalar("state")
    c = Container(state.type, [np.asarray(0.0)])
    inc = function([x, In(state, value=c, update=state + x)], state)
    read = function([In(state, value=c)], state * 1)
    inc(4.0)
    inc(1.0)
    assert float(read()) == 5.0


def test_explicit_container_input_can_be_positional():
    x = T.dscalar("x")
    c = Container(x.type, [np.asarray(3.0)])
    f = function([In(x, value=c, implicit=False)], x * 2)
    assert float(f()) == 6.0
    assert float(f(1.0)) == 2.0


def test_mutable_implies_borrow():
    x = T.dvector("x")
    assert In(x, mutable=True).borrow is True
    with pytest.raises(ValueError, match="borrow"):
        In(x, mutable=True, borrow=False)


def test_autoname_and_explicit_name():
    x = T.dscalar("x")
    assert In(x).name == "x"
    assert In(x, name="other").name == "other"
    assert In(x, autoname=False).name is None
    assert SymbolicInput(x).name == "x"


def test_ambiguous_keyword():
    a = T.dscalar("v")
    b = T.dscalar("v")
    f = function([a, b], a - b)
    assert float(f(3.0, 1.0)) == 2.0
    with pytest.raises(TypeError, match="ambiguous"):
        f(v=1.0)


def test_out_spec():
    x = T.dvector("x")
    o = Out(x * 2, borrow=True)
    assert isinstance(o, SymbolicOutput) and o.borrow
    f = function([x], o)
    np.testing.assert_array_equal(f([1.0]), [2.0])
    with pytest.raises(TypeError):
        Out(np.ones(2))


def test_in_as_output_is_refused():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="Out"):
        function([x], In(x))


def test_non_variable_in_is_refused():
    with pytest.raises(TypeError, match="symbolic"):
        In(np.zeros(2))


def test_container_filters_on_assignment():
    c = Container(TensorType("float32", (False,)), name="c")
    c.value = [1, 2]
    assert c.storage[0].dtype == np.float32
    with pytest.raises(TypeError):
        c.value = np.ones(2, dtype="float64")
    ro = Container(TensorType("float64", ()), [np.asarray(1.0)], readonly=True)
    with pytest.raises(TypeError, match="read-only"):
        ro.value = 2.0
    cp = c.copy()
    assert cp.storage[0] is not c.storage[0]
    np.testing.assert_array_equal(cp.storage[0], c.storage[0])


def test_copy_value():
    a = np.arange(3.0)
    b = copy_value(a)
    assert not np.may_share_memory(a, b)
    d = {"k": [1]}
    e = copy_value(d)
    e["k"].append(2)
    assert d == {"k": [1]}
