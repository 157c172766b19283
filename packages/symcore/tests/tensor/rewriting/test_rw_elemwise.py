"""DimShuffle rewrites and elementwise fusion into Elemwise{Composite}."""

from __future__ import annotations

import numpy as np
import symcore.tensor as T
from symcore.graph.fg import FunctionGraph
from symcore.tensor.elemwise import DimShuffle, Elemwise
from symcore.tensor.rewriting.fusion import FusionOptimizer, fuse_cluster


def _dimshuffles(rw, f):
    return [n for n in rw.nodes(f) if isinstance(n.op, DimShuffle)]


# ---------------------------------------------------------------------------------------
# DimShuffle
# ---------------------------------------------------------------------------------------


def test_identity_dimshuffle_is_removed(rw):
    x = T.dmatrix("x")
    f = rw.function([x], DimShuffle((False, False), (0, 1))(x) * 2, mode=rw.no_fusion)
    assert not _dimshuffles(rw, f)
    xv = rw.rng.normal(size=(2, 3))
    np.testing.assert_allclose(f(xv), xv * 2)


def test_consecutive_dimshuffles_become_one(rw):
    x = T.dmatrix("x")
    y = x.dimshuffle(1, "x", 0).dimshuffle(2, 1, 0)
    f = rw.function([x], y, mode=rw.no_fusion)
    (ds,) = _dimshuffles(rw, f)
    assert ds.inputs[0] is f.maker.fgraph.inputs[0] and ds.op.new_order == (0, "x", 1)
    xv = rw.rng.normal(size=(2, 3))
    np.testing.assert_array_equal(f(xv), xv.T[:, None, :].transpose(2, 1, 0))
    back = rw.function([x], y.dimshuffle(0, 2), mode=rw.no_fusion)  # the identity overall
    assert not _dimshuffles(rw, back)
    g = rw.function([x], x.T.T + 1, mode=rw.no_fusion)
    assert not _dimshuffles(rw, g)


def test_dimshuffle_is_lifted_through_elementwise_ops(rw):
    x, y = T.dmatrices("x", "y")
    out = (T.exp(x) + y).T * x.T
    f = rw.function([x, y], out, mode=rw.no_fusion)
    # every transpose now reads an input directly; the elementwise nodes are adjacent
    for ds in _dimshuffles(rw, f):
        assert ds.inputs[0] in f.maker.fgraph.inputs
    xv, yv = rw.rng.normal(size=(2, 3)), rw.rng.normal(size=(2, 3))
    np.testing.assert_allclose(f(xv, yv), (np.exp(xv) + yv).T * xv.T)


def test_lift_stops_at_a_value_needed_twice(rw):
    x = T.dmatrix("x")
    e = T.exp(x)
    f = rw.function([x], [e.T, e + 1], mode=rw.no_fusion)
    names = [type(n.op.scalar_op).__name__ for n in rw.nodes(f) if isinstance(n.op, Elemwise)]
    assert names.count("Exp") == 1
    xv = rw.rng.normal(size=(2, 3))
    a, b = f(xv)
    np.testing.assert_allclose(a, np.exp(xv).T)
    np.testing.assert_allclose(b, np.exp(xv) + 1)


# ---------------------------------------------------------------------------------------
# fusion
# ---------------------------------------------------------------------------------------


def test_five_op_chain_is_one_composite(rw):
    x, y, z = T.dmatrices("x", "y", "z")
    out = T.tanh(T.exp(x * y) - z) / (1 + T.sqr(z))
    f = rw.function([x, y, z], out)
    (node,) = rw.nodes(f)
    assert node in rw.composites(f)
    inner = sorted(rw.inner_names(node))
    assert inner == sorted(["Mul", "Exp", "Sub", "Tanh", "Add", "Sqr", "TrueDiv"])
    vals = [rw.rng.normal(size=(3, 4)) for _ in range(3)]
    xv, yv, zv = vals
    np.testing.assert_allclose(f(*vals), np.tanh(np.exp(xv * yv) - zv) / (1 + zv**2))


def test_fusion_respects_broadcasting(rw):
    m = T.dmatrix("m")
    r = T.drow("r")
    v = T.dvector("v")
    out = T.exp(r * 2) + T.log1p(m**2) * v
    f = rw.function([m, r, v], out)
    comps = rw.composites(f)
    assert len(comps) == 1
    assert not [n for n in rw.nodes(f) if isinstance(n.op, Elemwise) and n not in comps]
    mv, rv, vv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(1, 4)), rw.rng.normal(size=4)
    np.testing.assert_allclose(f(mv, rv, vv), np.exp(rv * 2) + np.log1p(mv**2) * vv)
    # a non-broadcastable length-1 dimension still refuses to stretch
    try:
        f(mv, rv, rw.rng.normal(size=1))
    except ValueError as exc:
        assert "Composite" in str(exc) or "Elemwise" in str(exc) or "shape" in str(exc)
    else:
        raise AssertionError("expected a shape error")


def test_value_needed_elsewhere_is_not_fused_away(rw):
    x, y = T.dvectors("x", "y")
    shared_part = T.exp(x) * y
    out1 = T.tanh(shared_part) + 1
    out2 = shared_part.sum()
    f = rw.function([x, y], [out1, out2])
    producers = [n for n in rw.nodes(f) if isinstance(n.op, Elemwise)]
    # exp*y is computed once and read by both the fused node and the sum
    assert (
        sum(
            1
            for n in producers
            if n.outputs[0]
            in [i for m in rw.nodes(f) if type(m.op).__name__ == "Sum" for i in m.inputs]
        )
        == 1
    )
    xv, yv = rw.rng.normal(size=5), rw.rng.normal(size=5)
    a, b = f(xv, yv)
    np.testing.assert_allclose(a, np.tanh(np.exp(xv) * yv) + 1)
    np.testing.assert_allclose(b, (np.exp(xv) * yv).sum())


def test_graph_output_in_the_middle_of_a_chain_is_kept(rw):
    x = T.dvector("x")
    mid = T.exp(x) + 1
    f = rw.function([x], [mid, T.sin(mid) * 2])
    xv = rw.rng.normal(size=4)
    a, b = f(xv)
    np.testing.assert_allclose(a, np.exp(xv) + 1)
    np.testing.assert_allclose(b, np.sin(np.exp(xv) + 1) * 2)
    fg = f.maker.fgraph
    assert fg.outputs[0].owner is not None and fg.outputs[0] in fg.outputs[1].owner.inputs


def test_fusion_keeps_dtypes(rw):
    x = T.fvector("x")
    i = T.ivector("i")
    out = T.exp(x * 2) + i  # float32 + int32 -> float64, as NumPy
    f = rw.function([x, i], out)
    assert len(rw.composites(f)) == 1
    xv = rw.rng.normal(size=3).astype("float32")
    iv = np.array([1, 2, 3], dtype="int32")
    res = f(xv, iv)
    expected = np.exp(xv * np.float32(2)) + iv
    assert res.dtype == expected.dtype
    np.testing.assert_allclose(res, expected, rtol=1e-6)


def test_fusion_can_be_excluded(rw):
    x, y = T.dvectors("x", "y")
    f = rw.function([x, y], T.exp(x) * y + 1, mode=rw.no_fusion)
    assert not rw.composites(f)
    assert len([n for n in rw.nodes(f) if isinstance(n.op, Elemwise)]) == 3
    g = rw.function(
        [x, y], T.exp(x) * y + 1, mode=rw.FAST_RUN.excluding("composite_elemwise_fusion")
    )
    assert not rw.composites(g)


def test_fused_gradient_graph_matches_numpy(rw):
    x = T.dvector("x")
    cost = (T.tanh(x) ** 2 * T.exp(-x)).sum()
    g = T.grad(cost, x)
    f = rw.function([x], g)
    assert rw.composites(f)
    xv = rw.rng.normal(size=6)
    t = np.tanh(xv)
    expected = 2 * t * (1 - t**2) * np.exp(-xv) - t**2 * np.exp(-xv)
    np.testing.assert_allclose(f(xv), expected, rtol=1e-10)


def test_fusion_optimizer_on_a_function_graph(rw):
    x, y = T.dvectors("x", "y")
    fg = FunctionGraph([x, y], [T.sqrt(T.abs(x - y)) + 3])
    assert FusionOptimizer().rewrite(fg) == 1
    (node,) = fg.toposort()
    assert node.op.scalar_op.nin == 2  # the constant 3 is inlined
    assert sorted(rw.inner_names(node)) == sorted(["Sub", "Abs", "Sqrt", "Add"])
    assert (
        fuse_cluster([node]) is not None
    )  # a lone node can be wrapped too (not done by the optimizer)
    f = rw.reference(fg.inputs, fg.outputs)
    xv, yv = rw.rng.normal(size=3), rw.rng.normal(size=3)
    np.testing.assert_allclose(f(xv, yv)[0], np.sqrt(np.abs(xv - yv)) + 3)
