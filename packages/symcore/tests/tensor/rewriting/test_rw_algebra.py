"""Algebraic canonicalization (add/mul canonizers), powers and sums of reductions."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.mode import FAST_COMPILE
from symcore.graph.basic import Constant
from symcore.graph.fg import FunctionGraph
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.reduction import Sum


def _mul_constants(node):
    """Values of the constant inputs of an Elemwise node (seen through DimShuffles)."""
    out = []
    for i in node.inputs:
        while i.owner is not None and isinstance(i.owner.op, DimShuffle):
            i = i.owner.inputs[0]
        if isinstance(i, Constant):
            out.append(np.asarray(i.data).item())
    return out


# ---------------------------------------------------------------------------------------
# the seed's cases
# ---------------------------------------------------------------------------------------


def test_seed_sum_of_equal_sums_is_one_fused_2_times_add(rw):
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], (x + y) + (x + y))
    (node,) = rw.nodes(f)
    assert rw.composites(f) == [node]
    inner = node.op.scalar_op.fgraph.toposort()
    assert [type(n.op).__name__ for n in inner] == ["Add", "Mul"]
    mul = inner[1]
    assert mul.inputs[1] is inner[0].outputs[0]
    assert [float(i.data) for i in mul.inputs if isinstance(i, Constant)] == [2.0]
    xv, yv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(3, 4))
    np.testing.assert_allclose(f(xv, yv), (xv + yv) + (xv + yv))


def test_seed_sum_of_equal_sums_without_fusion(rw):
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], (x + y) + (x + y), mode=rw.no_fusion)
    assert sorted(rw.scalar_names(f)) == ["Add", "Mul"]
    add, mul = rw.nodes(f)
    assert mul.inputs[1] is add.outputs[0] and _mul_constants(mul) == [2.0]
    xv, yv = rw.rng.normal(size=(2, 5)), rw.rng.normal(size=(2, 5))
    np.testing.assert_allclose(f(xv, yv), 2 * (xv + yv))


@pytest.mark.parametrize("mode", ["FAST_RUN", "no_fusion", "FAST_COMPILE"])
def test_seed_x_over_x_is_a_constant_fill(rw, mode):
    x = T.dmatrix("x")
    m = {"FAST_RUN": None, "no_fusion": rw.no_fusion, "FAST_COMPILE": FAST_COMPILE}[mode]
    f = rw.function([x], x / x, mode=m)
    names = rw.scalar_names(f)
    assert "TrueDiv" not in names and "Composite" not in names
    assert not any(
        isinstance(n.op, Elemwise) and n.op.scalar_op.__class__.__name__ == "TrueDiv"
        for n in rw.nodes(f)
    )
    xv = rw.rng.uniform(1, 2, size=(3, 2))
    out = f(xv)
    assert out.shape == xv.shape and out.dtype == xv.dtype
    np.testing.assert_array_equal(out, xv / xv)


# ---------------------------------------------------------------------------------------
# add canonizer
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, expect",
    [
        (lambda x: x + 0, lambda xv: xv + 0),
        (lambda x: x * 1, lambda xv: xv * 1),
        (lambda x: T.neg(T.neg(x)), np.positive),
        (lambda x: x - 0.0 + 0.0 * 1, lambda xv: xv),
        (lambda x: (x - 1) + 1, lambda xv: xv),
    ],
)
def test_identities_leave_no_elementwise_node(rw, build, expect):
    x = T.dmatrix("x")
    f = rw.function([x], build(x))
    assert not any(isinstance(n.op, Elemwise) for n in rw.nodes(f))
    xv = rw.rng.normal(size=(3, 3))
    np.testing.assert_allclose(f(xv), expect(xv))


def test_x_minus_x_is_zeros_of_the_shape(rw):
    x = T.dmatrix("x")
    f = rw.function([x], x - x)
    assert "Sub" not in rw.scalar_names(f)
    xv = rw.rng.normal(size=(2, 7))
    out = f(xv)
    assert out.shape == (2, 7)
    np.testing.assert_array_equal(out, np.zeros((2, 7)))


def test_shared_subexpression_is_counted(rw):
    x, y = T.dvectors("x", "y")
    a = T.exp(x) * y
    f = rw.function([x, y], a + a + a - a, mode=rw.canonical)
    assert rw.scalar_names(f).count("Add") == 0 and rw.scalar_names(f).count("Sub") == 0
    mul_nodes = [
        n
        for n in rw.nodes(f)
        if rw.scalar_names(f)
        and isinstance(n.op, Elemwise)
        and type(n.op.scalar_op).__name__ == "Mul"
        and 2.0 in _mul_constants(n)
    ]
    assert len(mul_nodes) == 1
    xv, yv = rw.rng.normal(size=5), rw.rng.normal(size=5)
    av = np.exp(xv) * yv
    np.testing.assert_allclose(f(xv, yv), av + av + av - av)


def test_constants_and_scaled_terms_merge(rw):
    x, y = T.dvectors("x", "y")
    out = 2 * (x + y) - 2 * y + (x + 2) - (x - 3)
    f = rw.function([x, y], out, mode=rw.canonical)
    names = rw.scalar_names(f)
    assert "Sub" not in names and names.count("Add") == 1 and names.count("Mul") == 1
    xv, yv = rw.rng.normal(size=4), rw.rng.normal(size=4)
    np.testing.assert_allclose(f(xv, yv), 2 * (xv + yv) - 2 * yv + (xv + 2) - (xv - 3))


def test_broadcast_term_cancelled_keeps_output_shape(rw):
    m = T.dmatrix("m")
    r = T.drow("r")
    f = rw.function([m, r], m + r - m)
    mv, rv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(1, 4))
    out = f(mv, rv)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out, mv + rv - mv, atol=1e-12)
    assert "Sub" not in rw.scalar_names(f)


def test_canonical_form_is_a_fixed_point(rw):
    x, y, z = T.dvectors("x", "y", "z")
    out = (x - y) * 3 - (z + x) + 2 * (y - 1) - (-z)
    f = rw.function([x, y, z], out, mode=rw.canonical)
    fg = f.maker.fgraph.clone()
    before = [str(n) for n in fg.toposort()]
    rw.canonical.optimizer.rewrite(fg)
    assert [str(n) for n in fg.toposort()] == before
    vals = [rw.rng.normal(size=3) for _ in range(3)]
    xv, yv, zv = vals
    np.testing.assert_allclose(f(*vals), (xv - yv) * 3 - (zv + xv) + 2 * (yv - 1) - (-zv))


def test_integer_sums_wrap_like_numpy(rw):
    x = T.bvector("x")
    y = T.wvector("y")
    f = rw.function([x, y], [x + x + x, (x + x) + y, x - x + 5])
    xv = np.array([100, -100, 127, 3], dtype="int8")
    yv = np.array([30000, -5, 7, 1], dtype="int16")
    with np.errstate(over="ignore"):
        expected = [xv + xv + xv, (xv + xv) + yv, xv - xv + np.int8(5)]
    for got, exp in zip(f(xv, yv), expected, strict=True):
        assert got.dtype == exp.dtype
        np.testing.assert_array_equal(got, exp)


def test_float32_stays_float32(rw):
    x = T.fvector("x")
    f = rw.function([x], x * 0.1 + x * 0.2 - 0.5 * x)
    xv = rw.rng.normal(size=6).astype("float32")
    out = f(xv)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out,
        xv * np.float32(0.1) + xv * np.float32(0.2) - np.float32(0.5) * xv,
        rtol=1e-5,
        atol=1e-6,
    )


def test_boolean_or_is_not_turned_into_arithmetic(rw):
    b = T.tensor("bool", (False,), name="b")
    f = rw.function([b], [b + b, b * True])
    bv = np.array([1, 0, 1], dtype=bool)
    s, p = f(bv)
    assert s.dtype == p.dtype == np.bool_
    np.testing.assert_array_equal(s, bv + bv)
    np.testing.assert_array_equal(p, bv * True)


def test_add_canonizer_can_be_excluded(rw):
    x, y = T.dmatrices("x", "y")
    mode = rw.no_fusion.excluding("local_add_canonizer")
    f = rw.function([x, y], (x + y) + (x + y), mode=mode)
    assert rw.scalar_names(f) == ["Add", "Add"]
    xv = rw.rng.normal(size=(2, 2))
    np.testing.assert_allclose(f(xv, xv), 4 * xv)


# ---------------------------------------------------------------------------------------
# mul canonizer
# ---------------------------------------------------------------------------------------


def test_products_and_quotients_cancel(rw):
    x, y, z = T.dvectors("x", "y", "z")
    f = rw.function(
        [x, y, z], [(x * y) / y, x * (z / x) * 1, (2 * x) / 2, x / (2 * x)], mode=rw.canonical
    )
    names = rw.scalar_names(f)
    assert "TrueDiv" not in names and "Mul" not in names and "Inv" not in names
    xv, yv, zv = (rw.rng.uniform(1, 2, size=4) for _ in range(3))
    got = f(xv, yv, zv)
    for g, e in zip(
        got, [(xv * yv) / yv, xv * (zv / xv), (2 * xv) / 2, xv / (2 * xv)], strict=True
    ):
        np.testing.assert_allclose(g, e)


def test_division_by_product_is_one_division(rw):
    x, y, z = T.dvectors("x", "y", "z")
    f = rw.function([x, y, z], (x / y) / z * 3, mode=rw.canonical)
    names = rw.scalar_names(f)
    assert names.count("TrueDiv") == 1
    xv, yv, zv = (rw.rng.uniform(1, 2, size=3) for _ in range(3))
    np.testing.assert_allclose(f(xv, yv, zv), (xv / yv) / zv * 3)


def test_integer_products_are_not_divided(rw):
    i = T.lvector("i")
    f = rw.function([i], [i * 1 * 3, (i * 4) // 4])
    iv = np.array([1, -7, 2**40], dtype="int64")
    a, b = f(iv)
    np.testing.assert_array_equal(a, iv * 3)
    np.testing.assert_array_equal(b, (iv * 4) // 4)
    assert a.dtype == b.dtype == np.int64


def test_mul_canonizer_can_be_excluded(rw):
    x = T.dvector("x")
    # (the stability plugin, when installed, has its own x/x rewrite: exclude it too)
    f = rw.function([x], x / x, mode=rw.no_fusion.excluding("local_mul_canonizer", "stabilize"))
    assert "TrueDiv" in rw.scalar_names(f)


# ---------------------------------------------------------------------------------------
# powers
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expo, scalar_name",
    [(2, "Sqr"), (0.5, "Sqrt"), (-1, "Inv"), (1, None), (0, None)],
)
def test_pow_specializations(rw, expo, scalar_name):
    x = T.dvector("x")
    f = rw.function([x], x**expo, mode=rw.no_fusion)
    names = rw.scalar_names(f)
    assert "Pow" not in names
    if scalar_name is not None:
        assert names == [scalar_name]
    else:
        assert scalar_name not in names
    xv = rw.rng.uniform(0.5, 2, size=5)
    out = f(xv)
    assert out.shape == xv.shape
    np.testing.assert_allclose(out, xv**expo)


def test_pow_of_integers(rw):
    i = T.ivector("i")
    f = rw.function([i], [i**2, i**0.5], mode=rw.no_fusion)
    assert "Pow" not in rw.scalar_names(f)
    iv = np.array([0, 3, 46340], dtype="int32")
    sq, rt = f(iv)
    assert sq.dtype == (iv**2).dtype and rt.dtype == (iv**0.5).dtype
    np.testing.assert_array_equal(sq, iv**2)
    np.testing.assert_allclose(rt, iv**0.5)


def test_pow_with_other_exponents_is_kept(rw):
    x = T.dvector("x")
    f = rw.function([x], x**3.5, mode=rw.no_fusion)
    assert rw.scalar_names(f) == ["Pow"]


# ---------------------------------------------------------------------------------------
# sums of reductions
# ---------------------------------------------------------------------------------------


def test_sum_of_sum_is_one_sum(rw):
    x = T.tensor3("x", dtype="float64")
    f = rw.function([x], x.sum(axis=1).sum(axis=1))
    sums = [n for n in rw.nodes(f) if isinstance(n.op, Sum)]
    assert len(sums) == 1 and sums[0].op.axis == (1, 2)
    xv = rw.rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(f(xv), xv.sum(axis=1).sum(axis=1))


def test_sum_of_sum_of_ints(rw):
    x = T.bmatrix("x")
    f = rw.function([x], x.sum(axis=0).sum())
    assert [type(n.op).__name__ for n in rw.nodes(f)] == ["Sum"]
    xv = np.full((50, 3), 100, dtype="int8")
    out = f(xv)
    assert out.dtype == np.int64 and int(out) == int(xv.astype("int64").sum())


def test_sum_of_transpose_reads_the_input(rw):
    x = T.dmatrix("x")
    y = T.tensor3("y", dtype="float64")
    f = rw.function([x, y], [x.T.sum(axis=0), y.dimshuffle(2, "x", 0, 1).sum(axis=(0, 2))])
    sums = [n for n in rw.nodes(f) if isinstance(n.op, Sum)]
    assert sums[0].inputs[0] is f.maker.fgraph.inputs[0] and sums[0].op.axis == (1,)
    assert sums[1].inputs[0] is f.maker.fgraph.inputs[1] and sums[1].op.axis == (0, 2)
    xv, yv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(2, 3, 4))
    a, b = f(xv, yv)
    np.testing.assert_allclose(a, xv.T.sum(axis=0))
    np.testing.assert_allclose(b, yv.transpose(2, 0, 1)[:, None].sum(axis=(0, 2)))


def test_canonicalize_on_a_function_graph_directly(rw):
    x = T.dvector("x")
    fg = FunctionGraph([x], [(x + x) * 1 - x])
    rw.canonical.optimizer.rewrite(fg)
    (out,) = fg.outputs
    assert out is fg.inputs[0]
    assert symcore.function([x], (x + x) * 1 - x)(np.array([1.5]))[0] == 1.5
