"""Shared variables: constructors and dtypes, copy/borrow semantics, set_value checks,
tensor operators, sharing between functions, the constructor registry."""

import pickle

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.function import function
from symcore.compile.sharedvalue import (
    ScalarSharedVariable,
    SharedVariable,
    TensorSharedVariable,
    shared,
    shared_constructor,
)
from symcore.config import config
from symcore.graph.type import Generic
from symcore.tensor.type import TensorType
from symcore.tensor.variable import TensorVariable


@pytest.mark.parametrize(
    "dtype",
    ["bool", "int8", "uint16", "int32", "int64", "float16", "float32", "float64", "complex64"],
)
def test_array_keeps_dtype_and_ndim(dtype):
    a = np.ones((2, 3), dtype=dtype)
    s = shared(a)
    assert isinstance(s, TensorSharedVariable)
    assert s.type == TensorType(dtype, (False, False))
    assert s.dtype == dtype and s.ndim == 2
    np.testing.assert_array_equal(s.get_value(), a)
    assert s.get_value().dtype == a.dtype


@pytest.mark.parametrize(
    "value, floatx, dtype",
    [
        (1.5, "float64", "float64"),
        (1.5, "float32", "float32"),
        (3, "float64", "int64"),
        (True, "float64", "bool"),
        (1 + 2j, "float64", "complex128"),
        (np.float32(1.5), "float64", "float32"),
        (np.int16(3), "float32", "int16"),
        (np.float64(2.0), "float32", "float64"),
    ],
)
def test_scalar_dtypes(value, floatx, dtype):
    with config.change_flags(floatX=floatx):
        s = shared(value)
    assert isinstance(s, ScalarSharedVariable)
    assert s.dtype == dtype and s.ndim == 0
    assert s.get_value() == np.asarray(value).astype(dtype)


def test_shared_copies_value_unless_borrow():
    a = np.zeros(3)
    s = shared(a)
    a[0] = 5.0
    assert s.get_value()[0] == 0.0
    b = np.zeros(3)
    t = shared(b, borrow=True)
    b[0] = 5.0
    assert t.get_value(borrow=True)[0] == 5.0


def test_get_value_copies_unless_borrow():
    s = shared(np.zeros(3))
    v = s.get_value()
    v[0] = 1.0
    assert s.get_value()[0] == 0.0
    internal = s.get_value(borrow=True)
    assert internal is s.container.storage[0]
    assert s.get_value(borrow=True, return_internal_type=True) is internal


def test_set_value_copies_unless_borrow():
    s = shared(np.zeros(3))
    a = np.ones(3)
    s.set_value(a)
    a[0] = 7.0
    assert s.get_value()[0] == 1.0
    b = np.ones(3)
    s.set_value(b, borrow=True)
    assert s.get_value(borrow=True) is b


def test_set_value_may_change_shape_but_not_ndim_or_lose_precision():
    s = shared(np.zeros((2, 2)))
    s.set_value(np.ones((5, 1)))
    assert s.get_value().shape == (5, 1)
    with pytest.raises(TypeError, match="dimensions"):
        s.set_value(np.ones(3))
    f = shared(np.zeros(2, dtype="float32"))
    with pytest.raises(TypeError, match="precision"):
        f.set_value(np.ones(2, dtype="float64"))
    f.set_value(np.ones(2, dtype="int8"))  # safe upcast
    assert f.get_value().dtype == np.float32


def test_allow_downcast_and_strict():
    s = shared(np.zeros(2, dtype="float32"), allow_downcast=True)
    s.set_value(np.array([1.5, 2.5]))
    assert s.get_value().dtype == np.float32
    np.testing.assert_array_equal(s.get_value(), [1.5, 2.5])
    t = shared(np.zeros(2), strict=True)
    with pytest.raises(TypeError):
        t.set_value([1.0, 2.0])
    t.set_value(np.ones(2))


def test_broadcastable_and_shape_kwargs():
    s = shared(np.zeros((1, 3)), broadcastable=(True, False))
    assert s.broadcastable == (True, False)
    with pytest.raises(TypeError, match="broadcastable"):
        s.set_value(np.zeros((2, 3)))
    t = shared(np.zeros((1, 3)))
    assert t.broadcastable == (False, False)  # default: no dimension is broadcastable
    u = shared(np.zeros((1, 3)), shape=(1, None))
    assert u.broadcastable == (True, False)


def test_generic_fallback_for_other_objects():
    obj = {"a": [1, 2]}
    s = shared(obj)
    assert type(s) is SharedVariable and isinstance(s.type, Generic)
    got = s.get_value()
    assert got == obj and got is not obj
    got["a"].append(3)
    assert s.get_value() == {"a": [1, 2]}


def test_list_becomes_generic_as_in_theano():
    s = shared([1, 2, 3])
    assert isinstance(s.type, Generic)


def test_symbolic_value_is_refused():
    with pytest.raises(TypeError, match="symbolic"):
        shared(T.dscalar())


def test_unknown_kwarg_is_refused_clearly():
    with pytest.raises(TypeError, match="No shared-variable constructor"):
        shared(np.zeros(2), flavour="mint")


def test_tensor_operators_on_shared():
    s = shared(np.arange(6.0).reshape(2, 3), name="s")
    expr = (s + 1) * 2 - s.T.T / 2
    assert isinstance(expr, TensorVariable)
    f = function([], [expr, s[0], s.shape])
    val, row, shp = f()
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(val, (a + 1) * 2 - a / 2)
    np.testing.assert_array_equal(row, a[0])
    np.testing.assert_array_equal(shp, [2, 3])


def test_shared_between_functions():
    s = shared(0, name="count")
    x = T.lscalar("x")
    inc = function([x], s, updates=[(s, s + x)])
    dec = function([x], s, updates=[(s, s - x)])
    read = function([], s)
    assert int(inc(5)) == 0
    assert int(dec(2)) == 5
    assert int(read()) == 3
    s.set_value(10)
    assert int(read()) == 10


def test_clone_shares_the_container():
    s = shared(np.zeros(2), name="s")
    c = s.clone()
    assert c is not s and c.container is s.container and c.name == "s"
    s.set_value(np.ones(2))
    np.testing.assert_array_equal(c.get_value(), np.ones(2))


def test_default_update_attribute_is_kept_by_clone():
    s = shared(0.0)
    s.default_update = s + 1
    assert s.clone().default_update is s.default_update


def test_zero():
    s = shared(np.arange(3.0))
    s.zero()
    np.testing.assert_array_equal(s.get_value(), np.zeros(3))


def test_constructor_registry_newest_first():
    class Marker:
        pass

    made = []

    @shared_constructor
    def marker_ctor(value, name=None, strict=False, allow_downcast=None, borrow=False, **kw):
        if not isinstance(value, Marker):
            raise TypeError("not a Marker")
        v = SharedVariable(name=name, type=symcore.graph.generic, value=value, strict=strict)
        made.append(v)
        return v

    try:
        m = Marker()
        s = shared(m, name="m")
        assert made == [s] and s.get_value(borrow=True) is m
        t = shared(np.zeros(2))  # other values still reach the tensor constructor
        assert isinstance(t, TensorSharedVariable)
    finally:
        shared_constructor(marker_ctor, remove=True)
    assert isinstance(shared(Marker()).type, Generic)


def test_pickle_shared_variable():
    s = shared(np.arange(3.0), name="s")
    s2 = pickle.loads(pickle.dumps(s))
    assert s2.name == "s" and s2.type == s.type
    np.testing.assert_array_equal(s2.get_value(), np.arange(3.0))
    s2.set_value(np.zeros(3))
    np.testing.assert_array_equal(s.get_value(), np.arange(3.0))


def test_shared_records_the_user_line():
    s = shared(1.0)
    assert s.tag.trace and "test_shared.py" in s.tag.trace[0][0]
