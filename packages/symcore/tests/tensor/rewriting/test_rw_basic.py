"""Useless-node removal, casts, fill/alloc/switch simplifications, shape-only graphs."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from symcore.tensor.alloc import Alloc
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.shape import Rebroadcast, Reshape, Shape_i, SpecifyShape
from symcore.tensor.type import TensorType


def _elemwise_names(rw, f):
    return [type(n.op.scalar_op).__name__ for n in rw.nodes(f) if isinstance(n.op, Elemwise)]


def test_cast_to_same_dtype_and_copy_are_removed(rw):
    x = T.dmatrix("x")
    cast_node = Elemwise(__import__("symcore").scalar.Cast("float64"))(x)
    f = rw.function([x], [cast_node, T.tensor_copy(x) * 2])
    names = _elemwise_names(rw, f)
    assert "Cast" not in names and "Identity" not in names
    xv = rw.rng.normal(size=(2, 3))
    a, b = f(xv)
    np.testing.assert_array_equal(a, xv)
    np.testing.assert_array_equal(b, xv * 2)
    assert not np.shares_memory(a, xv)  # the compiler still copies an output aliasing an input


def test_lossless_double_cast_is_one_cast(rw):
    x = T.bvector("x")
    y = T.dvector("y")
    f = rw.function(
        [x, y],
        [T.cast(T.cast(x, "int32"), "float32"), T.cast(T.cast(y, "int8"), "float64")],
        mode=rw.no_fusion,
    )
    casts = [
        n
        for n in rw.nodes(f)
        if isinstance(n.op, Elemwise) and type(n.op.scalar_op).__name__ == "Cast"
    ]
    assert (
        len(casts) == 3
    )  # int8->float32 directly; float64->int8->float64 keeps both (lossy inner cast)
    xv = np.array([-128, 5, 127], dtype="int8")
    yv = np.array([1.7, -300.2, 2.0])
    a, b = f(xv, yv)
    np.testing.assert_array_equal(a, xv.astype("int32").astype("float32"))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(b, yv.astype("int8").astype("float64"))


def test_rebroadcast_that_changes_nothing_is_removed_and_two_merge(rw):
    x = T.dmatrix("x")
    r = T.drow("r")
    same = Rebroadcast((1, False))(x)
    twice = T.unbroadcast(T.addbroadcast(x, 0), 0)  # ends where it started
    chain = T.addbroadcast(Rebroadcast((1, False))(T.dmatrix("z")), 0)
    z = chain.owner.inputs[0].owner.inputs[0]
    f = rw.function([x, z], [same * 2, twice + 1, chain * 3])
    rebs = [n for n in rw.nodes(f) if isinstance(n.op, Rebroadcast)]
    assert len(rebs) == 1 and rebs[0].inputs[0] is f.maker.fgraph.inputs[1]
    xv = rw.rng.normal(size=(1, 3))
    zv = rw.rng.normal(size=(1, 4))
    a, b, c = f(xv, zv)
    np.testing.assert_allclose(a, xv * 2)
    np.testing.assert_allclose(b, xv + 1)
    np.testing.assert_allclose(c, zv * 3)
    with pytest.raises(ValueError):
        f(xv, rw.rng.normal(size=(2, 4)))  # the remaining rebroadcast still checks length 1
    del r


def test_specify_shape_known_from_the_type_is_removed(rw):
    x = TensorType("float64", shape=(2, 3))("x")
    y = T.dmatrix("y")
    f = rw.function([x, y], [T.specify_shape(x, (2, 3)) * 2, T.specify_shape(y, (2, 3)) * 2])
    specs = [n for n in rw.nodes(f) if isinstance(n.op, SpecifyShape)]
    assert len(specs) == 1 and specs[0].inputs[0] is f.maker.fgraph.inputs[1]
    xv = rw.rng.normal(size=(2, 3))
    a, b = f(xv, xv)
    np.testing.assert_allclose(a, 2 * xv)
    with pytest.raises(ValueError):
        f(xv, rw.rng.normal(size=(3, 3)))


def test_nested_specify_shape_keeps_one(rw):
    y = T.dmatrix("y")
    s = T.specify_shape(y, (2, 3))
    f = rw.function([y], T.specify_shape(s, s.owner.inputs[1]) + 1)
    assert sum(isinstance(n.op, SpecifyShape) for n in rw.nodes(f)) == 1


def test_alloc_of_value_with_that_shape_is_removed(rw):
    x = T.dmatrix("x")
    f = rw.function([x], T.alloc(x, x.shape[0], x.shape[1]) * 3)
    assert not any(isinstance(n.op, Alloc) for n in rw.nodes(f))
    xv = rw.rng.normal(size=(4, 2))
    np.testing.assert_allclose(f(xv), xv * 3)


def test_alloc_of_alloc_is_one_alloc(rw):
    v = T.dvector("v")
    n = T.lscalar("n")
    f = rw.function([v, n], T.alloc(T.alloc(v, 3, v.shape[0]), n, 3, v.shape[0]))
    allocs = [nd for nd in rw.nodes(f) if isinstance(nd.op, Alloc)]
    assert len(allocs) == 1 and allocs[0].inputs[0] is f.maker.fgraph.inputs[0]
    vv = rw.rng.normal(size=5)
    np.testing.assert_array_equal(f(vv, 2), np.broadcast_to(vv, (2, 3, 5)))


def test_reshape_to_own_shape_is_removed_and_reshapes_chain(rw):
    x = T.dmatrix("x")
    f = rw.function(
        [x], [T.reshape(x, x.shape) + 1, T.reshape(T.reshape(x, (-1,)), (x.shape[1], x.shape[0]))]
    )
    reshapes = [n for n in rw.nodes(f) if isinstance(n.op, Reshape)]
    assert len(reshapes) == 1 and reshapes[0].inputs[0] is f.maker.fgraph.inputs[0]
    xv = rw.rng.normal(size=(2, 3))
    a, b = f(xv)
    np.testing.assert_allclose(a, xv + 1)
    np.testing.assert_array_equal(b, xv.reshape(-1).reshape(3, 2))


@pytest.mark.parametrize("cond", [True, False])
def test_switch_with_constant_condition(rw, cond):
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], T.switch(cond, x, y) * 2)
    assert "Switch" not in _elemwise_names(rw, f)
    xv, yv = rw.rng.normal(size=(2, 2)), rw.rng.normal(size=(2, 2))
    np.testing.assert_allclose(f(xv, yv), np.where(cond, xv, yv) * 2)


def test_switch_with_equal_branches_keeps_the_shape(rw):
    c = T.dmatrix("c")
    v = T.dvector("v")
    f = rw.function([c, v], T.switch(c, v, v))
    assert "Switch" not in _elemwise_names(rw, f)
    cv, vv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=4)
    out = f(cv, vv)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out, np.where(cv, vv, vv))


def test_useless_fill_is_removed(rw):
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], T.fill(x, y) + 1, mode=rw.no_fusion)
    assert _elemwise_names(rw, f) == ["Add"]
    xv, yv = rw.rng.normal(size=(2, 3)), rw.rng.normal(size=(2, 3))
    np.testing.assert_allclose(f(xv, yv), yv + 1)


def test_fill_sinks_so_the_values_meet(rw):
    x = T.dmatrix("x")
    v = T.dvector("v")
    out = T.zeros_like(x) + v  # fill(x, 0) + v
    f = rw.function([x, v], out, mode=rw.no_fusion)
    names = _elemwise_names(rw, f)
    assert "Add" not in names
    xv, vv = rw.rng.normal(size=(3, 2)), rw.rng.normal(size=2)
    res = f(xv, vv)
    assert res.shape == (3, 2)
    np.testing.assert_array_equal(res, np.zeros_like(xv) + vv)


def test_fill_of_a_computed_value_no_longer_computes_it(rw):
    x = T.dmatrix("x")
    f = rw.function([x], T.ones_like(T.exp(x) * 3))
    assert _elemwise_names(rw, f) == []
    assert any(isinstance(n.op, Alloc) for n in rw.nodes(f))
    xv = rw.rng.normal(size=(2, 5))
    np.testing.assert_array_equal(f(xv), np.ones((2, 5)))


def test_shape_of_an_intermediate_is_read_from_the_inputs(rw):
    x = T.dmatrix("x")
    y = T.dvector("y")
    z = T.exp(x) * y + 1
    f = rw.function([x, y], [z.shape[0], z.shape[1] * 2, z.sum().shape])
    assert _elemwise_names(rw, f) == [] or "Exp" not in _elemwise_names(rw, f)
    assert not any(isinstance(n.op, Elemwise) and "Exp" in str(n.op) for n in rw.nodes(f))
    assert any(isinstance(n.op, Shape_i) for n in rw.nodes(f))
    xv, yv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=4)
    a, b, c = f(xv, yv)
    assert int(a) == 3 and int(b) == 8 and c.shape == (0,)


def test_useless_group_can_be_excluded(rw):
    x = T.dmatrix("x")
    f = rw.function(
        [x], T.tensor_copy(x) * 2, mode=rw.no_fusion.excluding("local_useless_tensor_copy")
    )
    assert "Identity" in _elemwise_names(rw, f)
