"""DestroyHandler: which in-place replacements are refused, and the order it imposes."""

from __future__ import annotations

import numpy as np
import pytest
from symcore.graph.fg import FunctionGraph, InconsistencyError
from symcore.link.reference import ReferenceLinker
from symcore.rewriting import DestroyHandler, in2out, node_rewriter
from symcore.tensor.basic import constant


def _fg(inputs, outputs):
    fg = FunctionGraph(inputs, outputs)
    fg.attach_feature(DestroyHandler())
    from symcore.graph.features import ReplaceValidate

    fg.attach_feature(ReplaceValidate())
    return fg


def _make_inplace(ops):
    @node_rewriter([ops.add], inplace=True)
    def add_to_inplace(fgraph, node):
        return [ops.add_inplace(*node.inputs)]

    return in2out(add_to_inplace)


def _count(fg, op):
    return sum(1 for n in fg.apply_nodes if n.op == op)


def test_destroying_graph_input_is_refused(ops):
    x, y = ops.vector("x"), ops.vector("y")
    fg = _fg([x, y], [ops.add(x, y)])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 0
    with pytest.raises(InconsistencyError, match="input of the function"):
        fg.replace_validate(fg.outputs[0], ops.add_inplace(*fg.inputs))


def test_destroying_constant_is_refused(ops):
    x = ops.vector("x")
    c = constant(np.array([1.0, 2.0]))
    fg = _fg([x], [ops.add(c, x)])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 0


def test_destroying_intermediate_is_accepted_and_correct(ops):
    x, y = ops.vector("x"), ops.vector("y")
    fg = _fg([x, y], [ops.add(ops.exp(x), y)])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 1
    xv, yv = np.array([0.0, 1.0]), np.array([2.0, 3.0])
    xc = xv.copy()
    out = ReferenceLinker().make_thunk(fg)([xv, yv])[0]
    np.testing.assert_allclose(out, np.exp(xc) + yv)
    np.testing.assert_array_equal(xv, xc)


def test_other_readers_are_ordered_before_the_destroyer(ops):
    x, y = ops.vector("x"), ops.vector("y")
    e = ops.exp(x)
    reader = ops.neg(e)
    fg = _fg([x, y], [ops.add(e, y), reader])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 1
    order = [str(n.op) for n in fg.toposort()]
    assert order.index("neg") < order.index("AddInplace")
    xv, yv = np.array([0.0, 1.0]), np.array([2.0, 3.0])
    o1, o2 = ReferenceLinker().make_thunk(fg)([xv, yv])
    np.testing.assert_allclose(o1, np.exp(xv) + yv)
    np.testing.assert_allclose(o2, -np.exp(xv))


def test_reader_depending_on_destroyer_is_refused(ops):
    # w = add(e, y) in place on e, but mul(w, e) needs e's old value after w: impossible.
    x, y = ops.vector("x"), ops.vector("y")
    e = ops.exp(x)
    w = ops.add(e, y)
    fg = _fg([x, y], [ops.mul(w, e)])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 0
    xv, yv = np.array([0.0, 1.0]), np.array([2.0, 3.0])
    out = ReferenceLinker().make_thunk(fg)([xv, yv])[0]
    np.testing.assert_allclose(out, (np.exp(xv) + yv) * np.exp(xv))


def test_two_destroyers_of_the_same_value_are_refused(ops):
    x, y = ops.vector("x"), ops.vector("y")
    e = ops.exp(x)
    fg = _fg([x, y], [ops.add(e, y), ops.add(e, x)])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 1


def test_destroying_a_view_of_an_input_is_refused(ops):
    x, y = ops.vector("x"), ops.vector("y")
    fg = _fg([x, y], [ops.add(ops.view(x), y)])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 0


def test_destroying_an_output_is_refused(ops):
    x, y = ops.vector("x"), ops.vector("y")
    e = ops.exp(x)
    fg = _fg([x, y], [ops.add(e, y), e])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 0
    fg = _fg([x, y], [ops.add(ops.exp(x), y), ops.view(ops.exp(x))])
    # different exp nodes: the add may destroy its own exp
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 1


def test_mutable_inputs_may_be_destroyed(ops):
    x, y = ops.vector("x"), ops.vector("y")
    fg = FunctionGraph([x, y], [ops.add(x, y)])
    fg.mutable_inputs = {fg.inputs[0]}
    fg.attach_feature(DestroyHandler())
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 1


def test_destroyer_reading_the_same_value_twice_needs_tolerance(ops):
    x = ops.vector("x")
    e = ops.exp(x)
    fg = _fg([x], [ops.add(e, e)])
    _make_inplace(ops).rewrite(fg)
    assert _count(fg, ops.add_inplace) == 0

    class TolerantAdd(ops.AddInplace):
        destroyhandler_tolerate_same = [(0, 1)]

    fg = _fg([x], [ops.add(e, e)])
    fg.replace_validate(fg.outputs[0], TolerantAdd()(*fg.outputs[0].owner.inputs))
    assert fg.destroy_handler.destroyers_of(fg.outputs[0].owner.inputs[0])


def test_destroyable_precheck_and_queries(ops):
    x, y = ops.vector("x"), ops.vector("y")
    e = ops.exp(x)
    fg = _fg([x, y], [ops.add(e, y)])
    dh = fg.destroy_handler
    e_in = fg.outputs[0].owner.inputs[0]
    assert dh.destroyable(fg, e_in)
    assert not dh.destroyable(fg, fg.inputs[0])
    assert not fg.has_destroyers([e_in])
    _make_inplace(ops).rewrite(fg)
    assert fg.has_destroyers([e_in])
    assert not dh.destroyable(fg, e_in)


def test_pruning_a_destroyer_forgets_it(ops):
    x, y = ops.vector("x"), ops.vector("y")
    fg = _fg([x, y], [ops.add(ops.exp(x), y)])
    _make_inplace(ops).rewrite(fg)
    dh = fg.destroy_handler
    assert len(dh.destroyer_nodes) == 1
    fg.replace_validate(fg.outputs[0], fg.inputs[1])
    assert not dh.destroyer_nodes
    assert fg.orderings() == {}
