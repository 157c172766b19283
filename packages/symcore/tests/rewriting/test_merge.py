"""MergeOptimizer / MergeFeature: common-subexpression elimination."""

from __future__ import annotations

import numpy as np
from symcore.graph.fg import FunctionGraph
from symcore.link.reference import ReferenceLinker
from symcore.rewriting import MergeFeature, MergeOptimizer
from symcore.tensor.basic import constant


def test_identical_nodes_are_merged(ops, names):
    x, y = ops.vector("x"), ops.vector("y")
    a1 = ops.add(x, y)
    a2 = ops.add(x, y)
    fg = FunctionGraph([x, y], [ops.mul(a1, a2)])
    MergeOptimizer().rewrite(fg)
    assert sorted(names(fg)) == ["add", "mul"]
    mul = fg.outputs[0].owner
    assert mul.inputs[0] is mul.inputs[1]
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    out = ReferenceLinker().make_thunk(fg)([xv, yv])[0]
    np.testing.assert_allclose(out, (xv + yv) ** 2)


def test_merging_cascades_through_the_graph(ops, names):
    x = ops.vector("x")
    chain1 = ops.log(ops.exp(ops.neg(x)))
    chain2 = ops.log(ops.exp(ops.neg(x)))
    fg = FunctionGraph([x], [chain1, chain2])
    MergeOptimizer().rewrite(fg)
    assert names(fg) == ["neg", "exp", "log"]
    assert fg.outputs[0] is fg.outputs[1]


def test_different_ops_or_inputs_are_not_merged(ops, names):
    x, y = ops.vector("x"), ops.vector("y")
    fg = FunctionGraph([x, y], [ops.add(x, y), ops.add(y, x), ops.mul(x, y)])
    MergeOptimizer().rewrite(fg)
    assert sorted(names(fg)) == ["add", "add", "mul"]


def test_equal_constants_are_merged_then_their_users(ops, names):
    x = ops.vector("x")
    c1 = constant(np.array([2.0, 3.0]))
    c2 = constant(np.array([2.0, 3.0]))
    c3 = constant(np.array([2.0, 4.0]))
    fg = FunctionGraph([x], [ops.add(x, c1), ops.add(x, c2), ops.add(x, c3)])
    MergeOptimizer().rewrite(fg)
    assert sorted(names(fg)) == ["add", "add"]
    assert fg.outputs[0] is fg.outputs[1]
    assert fg.outputs[2] is not fg.outputs[0]


def test_constants_of_different_dtype_are_not_merged(ops, names):
    x = ops.vector("x")
    c1 = constant(np.array([2.0], dtype="float64"))
    c2 = constant(np.array([2.0], dtype="float32"))
    fg = FunctionGraph([x], [ops.add(x, c1), ops.add(x, c2)])
    MergeOptimizer().rewrite(fg)
    assert len(names(fg)) == 2


def test_feature_is_incremental(ops, names):
    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.exp(x), ops.neg(x)])
    merge = MergeOptimizer()
    merge.rewrite(fg)
    feat = fg.merge_feature
    assert isinstance(feat, MergeFeature)
    assert feat.pending == []
    # a rewrite adds a duplicate of exp(x): the feature notices on import
    dup = ops.exp(fg.inputs[0])
    fg.replace(fg.outputs[1], ops.neg(dup))
    assert feat.pending
    merge.rewrite(fg)
    assert sorted(names(fg)) == ["exp", "neg"]
    assert fg.outputs[1].owner.inputs[0] is fg.outputs[0]


def test_merge_keeps_graph_consistent(ops):
    x, y = ops.vector("x"), ops.vector("y")
    terms = [ops.mul(ops.add(x, y), ops.add(x, y)) for _ in range(5)]
    out = terms[0]
    for t in terms[1:]:
        out = ops.add(out, t)
    fg = FunctionGraph([x, y], [out])
    MergeOptimizer().rewrite(fg)
    fg.check_integrity()
    # 1 add(x, y), 1 mul, then the sum chain of identical terms: add(m, m), add(., m) ...
    assert len(fg.apply_nodes) == 2 + 4
