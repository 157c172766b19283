"""``pp`` / ``pprint``: one-line infix strings of expressions."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.graph.basic import Apply
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import Op
from symcore.printing import FunctionPrinter, OperatorPrinter, pp, pprint


class Frobnicate(Op):
    """An Op no printer knows (test helper)."""

    __props__ = ()

    def make_node(self, *xs):
        xs = [T.as_tensor_variable(x) for x in xs]
        return Apply(self, xs, [xs[0].type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.asarray(inputs[0]).copy()


class TwoOut(Op):
    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = inputs[0].copy()
        output_storage[1][0] = inputs[0].copy()


def test_binary_operators_are_infix_and_parenthesised():
    x, y = T.dscalars("x", "y")
    assert pp(x + y) == "(x + y)"
    assert pp(x - y) == "(x - y)"
    assert pp(x / y) == "(x / y)"
    assert pp(x * y**x) == "(x * (y ** x))"


def test_nested_expression_with_constant():
    x, y = T.dscalars("x", "y")
    two = T.constant(2.0)
    expected = f"(x * (y ** {two}))"
    assert pp(x * y**two) == expected


def test_variadic_add_and_unary_operator():
    x, y, z = T.dscalars("x", "y", "z")
    assert pp(T.add(x, y, z)) == "(x + y + z)"
    assert pp(-x) == "(-x)"


def test_elementwise_functions_use_call_form():
    x = T.dvector("x")
    assert pp(T.exp(x)) == "exp(x)"
    assert pp(T.log(T.exp(x) + 1)) == f"log((exp(x) + {T.constant(1.0)}))"


def test_transpose_and_subtensor_read_like_numpy():
    m = T.dmatrix("m")
    i = T.lscalar("i")
    assert pp(m.T) == "m.T"
    assert pp(m.dimshuffle("x", 0, 1)) == "m"  # implicit broadcasting is not shown
    assert pp(m.dimshuffle(1, "x", 0)).startswith(str(m.dimshuffle(1, "x", 0).owner.op))
    assert pp(m[1:3]) == "m[1:3]"
    assert pp(m[::-1, i]) == "m[::-1, i]"


def test_unknown_op_uses_its_name_in_call_form():
    x, y = T.dvectors("x", "y")
    out = Frobnicate()(x, y)
    assert pp(out) == f"{out.owner.op}(x, y)"
    assert pp(Frobnicate()(x)).startswith("Frobnicate(")


def test_multi_output_node_shows_the_output_index():
    x = T.dvector("x")
    a, b = TwoOut()(x)
    assert pp(b) == f"{b.owner.op}(x)[1]"


def test_unnamed_input_shows_its_type():
    x = T.dvector()
    assert pp(T.exp(x)) == f"exp({x})"
    assert str(x.type) in pp(T.exp(x))


def test_list_fgraph_and_compiled_function_give_one_line_per_output():
    x, y = T.dscalars("x", "y")
    outs = [x + y, T.exp(x)]
    assert pp(outs) == "(x + y)\nexp(x)"
    fg = FunctionGraph([x, y], outs, clone=False)
    assert pp(fg) == "(x + y)\nexp(x)"
    f = symcore.function([x, y], x + y)
    text = pp(f)
    assert "x" in text and "y" in text
    assert text == pp(f.maker.fgraph.outputs[0])


def test_pp_is_exposed_at_top_level():
    assert symcore.pp is pp
    x, y = T.dscalars("x", "y")
    assert symcore.printing.pprint(x + y) == pp(x + y)


def test_assign_custom_printer_on_a_clone_does_not_change_the_global_printer():
    x, y = T.dvectors("x", "y")
    out = Frobnicate()(x, y)
    mine = pprint.clone()
    mine.assign(Frobnicate, OperatorPrinter("<~>"))
    assert mine(out) == "(x <~> y)"
    assert pp(out) != "(x <~> y)"
    mine.assign(lambda v: v.owner.op == Frobnicate(), FunctionPrinter("frob"))  # newest wins
    assert mine(out) == "frob(x, y)"


def test_assign_rejects_non_conditions():
    with pytest.raises(TypeError, match="pprint.assign"):
        pprint.clone().assign(42, FunctionPrinter("f"))


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = T.dscalar("x")
    out = x
    for _ in range(3000):
        out = -out
    s = pp(out)
    assert s.count("-") == 3000
    assert s.count("x") == 1


def test_bad_object_is_a_type_error():
    with pytest.raises(TypeError, match="Expected a symbolic Variable"):
        pp(42)
