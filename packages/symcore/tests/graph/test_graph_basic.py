import numpy as np
import pytest
from symcore.graph.basic import (
    Apply,
    Constant,
    Variable,
    ancestors,
    applys_between,
    clone,
    clone_replace,
    graph_inputs,
    io_toposort,
    orphans_between,
    vars_between,
)
from symcore.graph.op import Op
from symcore.graph.type import Generic, NullType
from symcore.tensor.basic import constant, dvector
from symcore.tensor.type import TensorType
from symcore.testing.graph_ops import BinOp, add, exp, mul, neg


def test_apply_adopts_outputs_and_records_user_line():
    x, y = dvector("x"), dvector("y")
    z = add(x, y)
    node = z.owner
    assert node.op is add and node.inputs == [x, y] and node.outputs == [z]
    assert z.index == 0 and x.owner is None
    filename, lineno, fn, _ = node.tag.trace[0]
    assert filename == __file__ and fn == "test_apply_adopts_outputs_and_records_user_line"


def test_ops_have_value_semantics_from_props():
    a1, a2 = BinOp("add", np.add), BinOp("add", np.subtract)
    assert a1 == a2 and hash(a1) == hash(a2)  # fn is not a prop
    assert BinOp("add", np.add) != BinOp("mul", np.add)
    assert str(a1) == "BinOp{add}"

    class NoProps(Op):
        pass

    assert NoProps() != NoProps()  # identity semantics without __props__


def test_apply_rejects_non_variables():
    with pytest.raises(TypeError, match="must be Variables"):
        Apply(add, [np.zeros(2)], [TensorType("float64", (False,))()])


def test_graph_walkers():
    x, y = dvector("x"), dvector("y")
    c = constant(np.ones(2))
    s = add(x, y)
    out = mul(exp(s), c)
    assert set(graph_inputs([out])) == {x, y, c}
    anc = set(ancestors([out]))
    assert {x, y, c, s, out} <= anc
    order = io_toposort([x, y], [out])
    assert [n.op for n in order] == [add, exp, mul]
    assert set(applys_between([x, y], [out])) == set(order)
    assert orphans_between([x, y], [out]) == [c]
    assert s in vars_between([x, y], [out])
    assert set(graph_inputs([out], blockers=[s])) == {s, c}


def test_toposort_is_iterative_on_deep_graphs():
    x = dvector("x")
    out = x
    for _ in range(5000):  # far beyond Python's recursion limit
        out = neg(out)
    order = io_toposort([x], [out])
    assert len(order) == 5000 and order[0].inputs[0] is x


def test_clone_copies_nodes_and_optionally_inputs():
    x, y = dvector("x"), dvector("y")
    out = add(exp(x), y)
    (nx, ny), (nout,) = clone([x, y], [out])
    assert nx is not x and nx.type == x.type and nout is not out
    assert nout.owner.op == add and nout.owner.inputs[1] is ny
    _, (nout2,) = clone([x, y], [out], copy_inputs=False)
    assert nout2.owner.inputs[1] is y


def test_clone_replace_substitutes_and_shares_inputs():
    x, y, z = dvector("x"), dvector("y"), dvector("z")
    out = add(exp(x), y)
    new = clone_replace(out, {y: z})
    assert new.owner.inputs[1] is z
    assert new.owner.inputs[0].owner.inputs[0] is x  # shared input kept
    assert out.owner.inputs[1] is y  # original untouched
    new2 = clone_replace(out, {y: z}, share_inputs=False)
    assert new2.owner.inputs[0].owner.inputs[0] is not x


def test_constants_signature_and_read_only_data():
    a = np.arange(3.0)
    c1, c2 = constant(a), constant(np.arange(3.0))
    assert c1.equals(c2) and c1.signature() == c2.signature()
    assert not c1.data.flags.writeable
    assert a.flags.writeable  # the user's array is never frozen
    with pytest.raises(ValueError):
        c1.owner = add(dvector(), dvector()).owner


def test_variable_needs_a_type_and_is_truthy():
    with pytest.raises(TypeError, match="Type instance"):
        Variable("float64")
    v = Variable(Generic())
    assert v and v.owner is None  # Theano: Variable(type) with no owner
    assert bool(dvector())


def test_null_type_refuses_values():
    with pytest.raises(ValueError, match="because"):
        NullType("because").filter(1.0)


def test_run_time_error_names_op_shapes_and_user_line():
    from symcore.compile.function import function

    x, y = dvector("x"), dvector("y")
    z = add(x, y)  # the user's line
    f = function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.zeros(2), np.zeros(3))
    msg = str(info.value)
    assert "BinOp{add}" in msg and "shape=(2,)" in msg and "shape=(3,)" in msg
    assert "test_graph_basic.py" in msg and "z = add(x, y)" in msg


def test_constant_cannot_be_given_an_owner():
    c = Constant(Generic(), 3)
    assert c.owner is None and c.data == 3
