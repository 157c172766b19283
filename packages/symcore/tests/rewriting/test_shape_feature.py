"""ShapeFeature and the shape rewrites: x.shape of intermediates becomes a graph on inputs."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.mode import Mode
from symcore.config import config
from symcore.graph.basic import Apply, Constant
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import Op
from symcore.rewriting import RewriteWarning
from symcore.tensor.rewriting.shape import ShapeFeature, attach_shape_feature
from symcore.tensor.shape import Shape_i
from symcore.tensor.type import TensorType


def _op_types(f):
    return [type(n.op).__name__ for n in f.maker.fgraph.toposort()]


def _eval_entries(entries, fg, values):
    out = symcore.function(
        fg.inputs, list(entries), mode=Mode(linker="py", optimizer=None), on_unused_input="ignore"
    )
    return [int(v) for v in out(*values)]


def test_shape_of_follows_infer_shape():
    x = T.dmatrix("x")
    y = T.dvector("y")
    z = T.exp(x) + y
    fg = FunctionGraph([x, y], [z.T])
    feat = attach_shape_feature(fg)
    assert fg.shape_feature is feat
    xv, yv = np.ones((2, 3)), np.ones(3)
    assert _eval_entries(feat.shape_of[fg.outputs[0]], fg, [xv, yv]) == [3, 2]
    # graph inputs: Shape_i of the input itself
    x_in = fg.inputs[0]
    assert all(
        isinstance(e.owner.op, Shape_i) and e.owner.inputs[0] is x_in for e in feat.shape_of[x_in]
    )


def test_static_and_broadcastable_dims_are_constants():
    x = TensorType("float64", shape=(4, None))("x")
    r = T.drow("r")
    fg = FunctionGraph([x, r], [T.exp(x), T.exp(r)])
    feat = attach_shape_feature(fg)
    sx = feat.shape_of[fg.inputs[0]]
    sr = feat.shape_of[fg.inputs[1]]
    assert isinstance(sx[0], Constant) and int(sx[0].data) == 4
    assert not isinstance(sx[1], Constant)
    assert isinstance(sr[0], Constant) and int(sr[0].data) == 1
    c = T.constant(np.zeros((2, 5)))
    fg = FunctionGraph([x], [x, T.exp(c)])
    feat = attach_shape_feature(fg)
    const_shape = feat.shape_of[fg.outputs[1].owner.inputs[0]]
    assert [int(e.data) for e in const_shape] == [2, 5]


def test_shape_of_intermediate_does_not_compute_it():
    x = T.dmatrix("x")
    y = T.exp(x) * 2 + x
    f = symcore.function([x], y.shape)
    kinds = _op_types(f)
    assert "Elemwise" not in kinds
    assert set(kinds) <= {"Shape_i", "MakeVector"}
    np.testing.assert_array_equal(f(np.ones((2, 7))), [2, 7])


def test_shape_i_of_intermediate_is_lifted():
    x = T.dmatrix("x")
    y = T.exp(x).T
    f = symcore.function([x], [Shape_i(0)(y)])
    assert _op_types(f) == ["Shape_i"]
    node = f.maker.fgraph.toposort()[0]
    assert node.op == Shape_i(1) and node.inputs[0] is f.maker.fgraph.inputs[0]
    assert int(f(np.ones((2, 5)))[0]) == 5


def test_shape_rewrites_can_be_excluded():
    x = T.dmatrix("x")
    f = symcore.function([x], T.exp(x).shape, mode=Mode(optimizer="fast_run").excluding("shape"))
    assert "Elemwise" in _op_types(f)
    np.testing.assert_array_equal(f(np.ones((3, 1))), [3, 1])


class BadInfer(Op):
    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0].copy()

    def infer_shape(self, node, shapes):
        raise RuntimeError("broken infer_shape")


def test_failing_infer_shape_falls_back_to_runtime_shape():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(BadInfer()(x))])
    with config.change_flags(on_opt_error="warn"):
        with pytest.warns(RewriteWarning, match="broken infer_shape"):
            feat = attach_shape_feature(fg)
    bad_out = fg.outputs[0].owner.inputs[0]
    (entry,) = feat.shape_of[bad_out]
    assert isinstance(entry.owner.op, Shape_i) and entry.owner.inputs[0] is bad_out
    with config.change_flags(on_opt_error="raise"):
        with pytest.raises(RuntimeError, match="broken infer_shape"):
            FunctionGraph([x], [BadInfer()(x)], features=[ShapeFeature()])


def test_replacement_updates_shapes():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x)])
    feat = attach_shape_feature(fg)
    new = T.log(fg.inputs[0])
    fg.replace(fg.outputs[0], new)
    assert new in feat.shape_of
    assert feat.same_shape(new, fg.inputs[0])
