import numpy as np
import pytest
from symcore.graph.features import NodeFinder, ReplaceValidate
from symcore.graph.fg import OUTPUT, FunctionGraph, InconsistencyError, MissingInputError
from symcore.tensor.basic import dvector
from symcore.testing.graph_ops import BinOp, add, exp, mul, neg


def make():
    x, y = dvector("x"), dvector("y")
    out = mul(add(x, y), exp(x))
    return x, y, out


def test_clients_and_nodes():
    x, y, out = make()
    fg = FunctionGraph([x, y], [out], clone=False)
    assert len(fg.apply_nodes) == 3
    assert {n.op for n, _ in fg.clients[x]} == {add, exp}
    assert fg.clients[out] == [(OUTPUT, 0)]
    assert fg.toposort()[-1].op == mul
    fg.check_integrity()


def test_clone_by_default_leaves_user_graph_alone():
    x, y, out = make()
    fg = FunctionGraph([x, y], [out])
    assert fg.inputs[0] is not x and fg.outputs[0] is not out
    assert out.owner.op == mul


def test_replace_prunes_dead_nodes_and_notifies_features():
    x, y, out = make()
    fg = FunctionGraph([x, y], [out], clone=False)
    events = []

    class Listener:
        def on_import(self, fg, node, reason):
            events.append(("import", node.op.name))

        def on_prune(self, fg, node, reason):
            events.append(("prune", node.op.name))

        def on_change_input(self, fg, node, i, old, new, reason):
            events.append(("change", i))

    fg.attach_feature(Listener())
    s = out.owner.inputs[0]
    fg.replace(s, neg(x), reason="test")
    assert ("import", "neg") in events and ("prune", "add") in events and ("change", 0) in events
    assert {n.op.name for n in fg.apply_nodes} == {"neg", "exp", "mul"}
    assert y not in [i for n in fg.apply_nodes for i in n.inputs]
    fg.check_integrity()


def test_replace_output_and_type_check():
    x, y, out = make()
    fg = FunctionGraph([x, y], [out], clone=False)
    fg.replace(out, x)
    assert fg.outputs == [x] and not fg.apply_nodes
    from symcore.tensor.basic import lvector

    fg2 = FunctionGraph([x, y], [out], clone=False)
    with pytest.raises(TypeError):
        fg2.replace(out, lvector())


def test_missing_input_is_reported():
    x, y, out = make()
    with pytest.raises(MissingInputError) as info:
        FunctionGraph([x], [out])
    assert "y" in str(info.value)


def test_replace_validate_rolls_back_on_inconsistency():
    x, y, out = make()
    fg = FunctionGraph([x, y], [out], clone=False)
    fg.attach_feature(ReplaceValidate())

    class RefuseNeg:
        def validate(self, fg):
            if any(n.op.name == "neg" for n in fg.apply_nodes):
                raise InconsistencyError("no neg allowed")

    fg.attach_feature(RefuseNeg())
    before = set(fg.apply_nodes)
    s = out.owner.inputs[0]
    with pytest.raises(InconsistencyError):
        fg.replace_validate(s, neg(x))
    assert out.owner.inputs[0] is s
    assert {n.op.name for n in fg.apply_nodes} == {n.op.name for n in before}
    fg.check_integrity()
    fg.replace_validate(s, exp(y))  # allowed change goes through
    assert out.owner.inputs[0].owner.op == exp


def test_node_finder():
    x, y, out = make()
    fg = FunctionGraph([x, y], [out], clone=False)
    fg.attach_feature(NodeFinder())
    assert len(fg.get_nodes(BinOp)) == 2
    assert [n.op for n in fg.get_nodes(exp)] == [exp]


def test_fgraph_clone_is_independent():
    x, y, out = make()
    fg = FunctionGraph([x, y], [out])
    fg2 = fg.clone()
    fg2.replace(fg2.outputs[0], fg2.inputs[0])
    assert len(fg.apply_nodes) == 3 and not fg2.apply_nodes


def test_feature_orderings_constrain_toposort():
    x, y = dvector("x"), dvector("y")
    a, b = exp(x), neg(y)
    out = add(a, b)
    fg = FunctionGraph([x, y], [out], clone=False)

    class NegFirst:
        def orderings(self, fg):
            return {a.owner: [b.owner]}

    fg.attach_feature(NegFirst())
    order = [n.op.name for n in fg.toposort()]
    assert order.index("neg") < order.index("exp")


def test_deep_graph_import_is_fast_enough_to_be_linear():
    x = dvector("x")
    out = x
    for _ in range(3000):
        out = neg(out)
    fg = FunctionGraph([x], [out], clone=False)
    assert len(fg.apply_nodes) == 3000
    run = __import__("symcore.compile.function", fromlist=["function"]).function([x], out)
    np.testing.assert_allclose(run(np.array([1.0, -2.0])), [1.0, -2.0])
