"""Composite: value semantics, printing, evaluation on arrays, dtype rebuilding, gradients."""

import numpy as np
import pytest
import symcore
import symcore.scalar as S
import symcore.tensor as T
from symcore.gradient import Lop
from symcore.tensor.elemwise import Elemwise

rng = np.random.default_rng(3)


def make(builder, dtypes=("float64", "float64")):
    ins = [S.get_scalar_type(d)() for d in dtypes]
    outs = builder(*ins)
    return S.Composite(ins, outs if isinstance(outs, list) else [outs])


def test_name_and_str():
    c = make(lambda a, b: a + S.exp(b))
    assert str(c) == "Composite{(i0 + exp(i1))}"
    assert str(Elemwise(c)) == "Elemwise{Composite{(i0 + exp(i1))},no_inplace}"
    c2 = make(lambda a, b: [-(a * 2), S.cast(b, "float32")])
    assert str(c2) == "Composite{(-(i0 * 2.0)), Cast{float32}(i1)}"


def test_value_semantics():
    c1 = make(lambda a, b: a * b + 1)
    c2 = make(lambda a, b: a * b + 1)
    assert c1 == c2 and hash(c1) == hash(c2)
    assert c1 != make(lambda a, b: a * b + 2)
    assert c1 != make(lambda a, b: a * b + 1, ("float32", "float32"))
    assert c1 != make(lambda a, b: b * a + 1)


def test_graph_is_copied():
    a, b = S.float64(), S.float64()
    out = a + b
    c = S.Composite([a, b], [out])
    assert all(i is not a and i is not b for i in c.inputs)
    assert c.outputs[0] is not out
    assert c.fgraph.outputs[0] is c.outputs[0]


def test_free_variable_is_an_error():
    a, b = S.float64(), S.float64()
    with pytest.raises(ValueError, match="neither an input nor a constant"):
        S.Composite([a], [a + b])
    with pytest.raises(TypeError, match="ScalarType"):
        S.Composite([T.dvector()], [T.dvector()])


def test_compute_on_arrays_matches_numpy():
    c = make(lambda a, b: [S.exp(a) * b - S.sqrt(b), S.maximum(a, b)])
    x, y = rng.random((3, 4)), rng.random((1, 4))
    o1, o2 = c.compute(x, y)
    np.testing.assert_allclose(o1, np.exp(x) * y - np.sqrt(y))
    np.testing.assert_allclose(o2, np.maximum(x, y))


def test_elemwise_of_composite_runs_and_broadcasts():
    c = make(lambda a, b: a * S.sin(b) + 0.5)
    x, r = T.dmatrix(), T.drow()
    out = Elemwise(c)(x, r)
    assert out.type.broadcastable == (False, False)
    a, b = rng.random((3, 4)), rng.random((1, 4))
    f = symcore.function([x, r], out)
    np.testing.assert_allclose(f(a, b), a * np.sin(b) + 0.5)
    e = np.ones((0, 4))
    assert f(e, b).shape == (0, 4)


def test_outputs_that_are_inputs_or_constants_are_fresh_arrays():
    a, b = S.float64(), S.float64()
    c = S.Composite([a, b], [a, a + b, S.constant(2.0)])
    x, y = rng.random(3), rng.random(3)
    o1, o2, o3 = c.compute(x, y)
    assert not np.shares_memory(o1, x)
    np.testing.assert_array_equal(o1, x)
    np.testing.assert_array_equal(o3, np.full(3, 2.0))


def test_intermediate_dtypes_are_respected():
    i = S.int8()
    c = S.Composite([i], [S.cast(i * 100, "int16")])
    got = c.compute(np.array([2], dtype="int8"))
    # int8 * 100 wraps in int8 (as NumPy would) before the cast
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, (np.array([2], "int8") * np.int8(100)).astype("int16"))


def test_make_node_with_other_dtypes_rebuilds():
    c = make(lambda a, b: a + b)
    node = c.make_node(S.float32(), S.float32())
    assert node.outputs[0].type.dtype == "float32"
    assert node.op != c
    assert c.output_dtypes("float32", "float32") == ["float32"]
    out = Elemwise(c)(T.fvector(), T.fvector())
    assert out.dtype == "float32"


def test_nested_composite():
    inner = make(lambda a, b: a * b)
    a, b = S.float64(), S.float64()
    outer = S.Composite([a, b], [inner(a, b) + S.exp(a)])
    assert "Composite{(i0 * i1)}(i0, i1)" in str(outer)
    x, y = rng.random(3), rng.random(3)
    np.testing.assert_allclose(outer.compute(x, y), x * y + np.exp(x))


def test_composite_gradient_tensor_level():
    c = make(lambda a, b: S.exp(a) * b + S.sqr(a))
    x, y = T.dvector(), T.dvector()
    out = Elemwise(c)(x, y)
    r = T.dvector()
    gx, gy = Lop(out, [x, y], r)
    a, b, rv = rng.random(3), rng.random(3), rng.random(3)
    got = symcore.function([x, y, r], [gx, gy])(a, b, rv)
    np.testing.assert_allclose(got[0], rv * (np.exp(a) * b + 2 * a))
    np.testing.assert_allclose(got[1], rv * np.exp(a))


def test_composite_gradient_scalar_level():
    c = make(lambda a, b: a * b + S.log(a))
    x, y, gz = S.float64(), S.float64(), S.float64()
    out = c(x, y)
    gx, gy = c.L_op([x, y], [out], [gz])
    assert isinstance(gx.type, S.ScalarType)
    from symcore.graph.fg import FunctionGraph
    from symcore.link.reference import ReferenceLinker

    vals = ReferenceLinker().make_thunk(FunctionGraph([x, y, gz], [gx, gy]))(
        [np.float64(2.0), np.float64(3.0), np.float64(1.5)])
    np.testing.assert_allclose(vals[0], 1.5 * (3.0 + 0.5))
    np.testing.assert_allclose(vals[1], 1.5 * 2.0)


def test_composite_gradient_with_integer_input_is_zero():
    c = make(lambda a, i: a * i, ("float64", "int32"))
    x, i = T.dvector(), T.ivector()
    gx, gi = Lop(Elemwise(c)(x, i), [x, i], T.constant(np.ones(2)))
    f = symcore.function([x, i], [gx, gi], on_unused_input="ignore")
    got = f(np.ones(2), np.array([2, 3], "int32"))
    np.testing.assert_array_equal(got[0], [2, 3])
    np.testing.assert_array_equal(got[1], [0, 0])
