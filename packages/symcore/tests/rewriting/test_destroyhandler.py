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


def _random_graph(ops, rng, n_nodes):
    x, y = ops.vector("x"), ops.vector("y")
    pool = [x, y]
    for _ in range(n_nodes):
        kind = rng.integers(5)
        a = pool[rng.integers(len(pool))]
        b = pool[rng.integers(len(pool))]
        if kind == 0:
            pool.append(ops.exp(ops.neg(a)))
        elif kind == 1:
            pool.append(ops.add(a, b))
        elif kind == 2:
            pool.append(ops.mul(a, b))
        elif kind == 3:
            pool.append(ops.view(a))
        else:
            pool.append(ops.add(ops.neg(a), b))
    outs = [pool[-1]] + [pool[i] for i in rng.integers(2, len(pool), size=2)]
    return [x, y], outs


@pytest.mark.parametrize("seed", range(12))
def test_incremental_decisions_match_a_fresh_handler(ops, seed):
    """Random graphs, random in-place attempts: the incremental handler accepts exactly
    what a handler built from scratch on the same graph accepts, and results stay right."""
    from symcore.graph.features import ReplaceValidate

    rng = np.random.default_rng(seed)
    inputs, outputs = _random_graph(ops, rng, 25)
    reference = FunctionGraph(inputs, outputs)
    fg = _fg(inputs, outputs)
    accepted = 0
    for _ in range(3):  # several sweeps: earlier refusals may become possible, or not
        candidates = [n for n in fg.apply_nodes if n.op == ops.add]
        rng.shuffle(candidates)
        for node in candidates:
            if node not in fg.apply_nodes:
                continue
            fresh, equiv = fg.clone_get_equiv(check_integrity=False, attach_feature=False)
            fresh.attach_feature(DestroyHandler())
            fresh.attach_feature(ReplaceValidate())
            twin = equiv[node]
            try:
                fresh.replace_validate(twin.outputs[0], ops.add_inplace(*twin.inputs))
                expected = True
            except InconsistencyError:
                expected = False
            try:
                fg.replace_validate(node.outputs[0], ops.add_inplace(*node.inputs))
                got = True
            except InconsistencyError:
                got = False
            assert got == expected, f"seed {seed}: incremental {got}, fresh {expected} on {node}"
            accepted += got
    fg.check_integrity()
    xv, yv = rng.normal(size=4), rng.normal(size=4)
    want = ReferenceLinker().make_thunk(reference)([xv.copy(), yv.copy()])
    xc, yc = xv.copy(), yv.copy()
    got = ReferenceLinker().make_thunk(fg)([xc, yc])
    for a, b in zip(want, got, strict=True):
        np.testing.assert_allclose(a, b)
    np.testing.assert_array_equal(xc, xv)  # inputs untouched
    np.testing.assert_array_equal(yc, yv)
