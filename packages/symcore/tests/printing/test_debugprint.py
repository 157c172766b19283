"""``debugprint`` and ``min_informative_str``: tree printing of graphs."""

import io
import re

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.graph.basic import Apply
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import Op
from symcore.printing import char_from_number, debugprint, min_informative_str


class TwoOut(Op):
    """Two copies of its input (test helper for multi-output nodes)."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = inputs[0].copy()
        output_storage[1][0] = inputs[0].copy()


class WithInner(Op):
    """An Op carrying an inner graph, like Scan (test helper)."""

    __props__ = ()

    def __init__(self):
        self.inner_inputs = [T.dscalar("a")]
        self.inner_outputs = [T.exp(self.inner_inputs[0])]

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.exp(inputs[0])


def lines(obj, **kw):
    return debugprint(obj, file="str", **kw).rstrip("\n").split("\n")


def test_char_ids():
    assert [char_from_number(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "BA", "BB"]


def test_tree_format_matches_theano():
    x, y = T.dvectors("x", "y")
    e = T.exp(y)
    e.name = "e"
    z = x + e
    out = lines(z)
    assert out == [
        f"{z.owner.op} [id A] ''",
        " |x [id B]",
        f" |{e.owner.op} [id C] 'e'",
        "   |y [id D]",
    ]


def test_shared_subgraph_is_printed_once_then_referenced():
    x = T.dvector("x")
    e = T.exp(x)
    z = e * e
    out = lines(z)
    assert out[1] == f" |{e.owner.op} [id B] ''"
    assert out[2] == " | |x [id C]"  # first time: with its inputs
    assert out[3] == f" |{e.owner.op} [id B] ''"  # second time: same id, no inputs
    assert len(out) == 4


def test_print_type_appends_types():
    x = T.fmatrix("x")
    z = T.exp(x)
    out = lines(z, print_type=True)
    assert out[0] == f"{z.owner.op} [id A] <{z.type}> ''"
    assert out[1] == f" |x [id B] <{x.type}>"


@pytest.mark.parametrize("ids", ["int", "id", ""])
def test_id_styles(ids):
    x = T.dvector("x")
    z = T.exp(x)
    out = lines(z, ids=ids)
    if ids == "int":
        assert out == [f"{z.owner.op} [id 0] ''", " |x [id 1]"]
    elif ids == "id":
        assert out == [f"{z.owner.op} [id {id(z.owner)}] ''", f" |x [id {id(x)}]"]
    else:
        assert out == [f"{z.owner.op} ''", " |x"]


def test_bad_ids_value():
    with pytest.raises(ValueError, match="ids must be"):
        debugprint(T.dvector("x"), ids="letters")


def test_file_none_prints_to_stdout_and_returns_none(capsys):
    x = T.dvector("x")
    assert debugprint(T.exp(x)) is None
    assert capsys.readouterr().out == debugprint(T.exp(x), file="str")


def test_file_stream_is_written_and_returned():
    x = T.dvector("x")
    buf = io.StringIO()
    assert debugprint(T.exp(x), file=buf) is buf
    assert buf.getvalue() == debugprint(T.exp(x), file="str")


def test_depth_limits_levels():
    x = T.dvector("x")
    z = T.exp(T.exp(T.exp(x)))
    assert len(lines(z, depth=1)) == 1
    assert len(lines(z, depth=2)) == 2
    assert len(lines(z)) == 4


def test_list_apply_fgraph_and_compiled_function():
    x, y = T.dvectors("x", "y")
    a, b = x + y, T.exp(x)
    both = lines([a, b])
    # ids continue across the outputs: x keeps its id in the second tree
    assert both == [
        f"{a.owner.op} [id A] ''",
        " |x [id B]",
        " |y [id C]",
        f"{b.owner.op} [id D] ''",
        " |x [id B]",
    ]
    assert lines(a.owner) == lines(a)
    fg = FunctionGraph([x, y], [a, b], clone=False)
    fg_lines = lines(fg)
    topo = fg.toposort()
    # every node line of a FunctionGraph ends with its position in the execution order
    positions = {int(m.group(1)) for line in fg_lines if (m := re.search(r"'' (\d+)$", line))}
    assert positions == set(range(len(topo)))


def test_compiled_function_shows_execution_order():
    x, y = T.dvectors("x", "y")
    f = symcore.function([x, y], T.exp(x) * y)
    out = lines(f)
    topo = f.maker.fgraph.toposort()
    node_lines = [line for line in out if re.search(r"\[id [A-Z]+\] '.*' \d+$", line)]
    assert len(node_lines) == len(topo)
    for node in topo:
        assert any(
            line.lstrip(" |").startswith(str(node.op)) and line.endswith(f" {topo.index(node)}")
            for line in node_lines
        )


def test_shared_done_dict_across_calls():
    x = T.dvector("x")
    z = T.exp(x)
    done, used = {}, {}
    first = debugprint(z, file="str", done=done, used_ids=used).split("\n")
    second = debugprint(z, file="str", done=done, used_ids=used).rstrip("\n").split("\n")
    assert first[0] == second[0]
    assert second == [first[0]]  # already printed: no inputs the second time


def test_stop_on_name():
    x = T.dvector("x")
    h = T.exp(x)
    h.name = "hidden"
    z = T.log(h)
    assert len(lines(z)) == 3
    out = lines(z, stop_on_name=True)
    assert out[1].endswith("'hidden'") and len(out) == 2


def test_multi_output_node_shows_output_index():
    x = T.dvector("x")
    a, b = TwoOut()(x)
    out = lines(b + a)
    assert f" |{b.owner.op}.1 [id B] ''" in out
    assert f" |{a.owner.op}.0 [id B] ''" in out


def test_print_storage_shows_constant_and_shared_values():
    x = T.dvector("x")
    w = symcore.shared(np.array([1.5, 2.5]), name="w")
    z = x * w + np.array([7.0, 8.0])
    out = "\n".join(lines(z, print_storage=True))
    assert "w [id" in out and "value=[1.5, 2.5]" in out
    assert "value=[7., 8.]" in out
    assert "value=" not in "\n".join(lines(z))


def test_print_test_value(monkeypatch):
    x = T.dvector("x")
    with symcore.config.change_flags(compute_test_value="raise"):
        x.tag.test_value = np.array([0.0, 1.0])
        z = T.exp(x)
    text = debugprint(z, file="str", print_test_value=True)
    expected = " ".join(np.array2string(np.exp([0.0, 1.0]), separator=", ").split())
    assert f"test_value={expected}" in text
    with symcore.config.change_flags(print_test_value=True):
        assert debugprint(z, file="str") == text
    assert "test_value" not in debugprint(z, file="str")


def test_inner_graphs_are_printed_after_the_outer_graph():
    x = T.dscalar("x")
    op = WithInner()
    out = lines(op(x) + 1)
    assert "Inner graphs:" in out
    start = out.index("Inner graphs:")
    inner = out[start + 1 :]
    assert any(line.startswith(str(op)) for line in inner)
    assert any(
        line.startswith(" >") and str(op.inner_outputs[0].owner.op) in line for line in inner
    )
    assert any(line.startswith(" > |a [id") for line in inner)


def test_deep_graph_no_recursion_error():
    x = T.dscalar("x")
    out = x
    for _ in range(3000):
        out = T.exp(out)
    assert len(lines(out)) == 3001


def test_bad_object_is_a_type_error():
    with pytest.raises(TypeError, match="Expected a symbolic Variable"):
        debugprint("not a graph", file="str")


# ---------------------------------------------------------------------------------------
# min_informative_str
# ---------------------------------------------------------------------------------------


def test_min_informative_str_stops_at_names_and_references_repeats():
    x, y = T.dvectors("x", "y")
    e = T.exp(x)
    z = e * y + e
    text = min_informative_str(z).split("\n")
    assert text[0] == f"A. {z.owner.op}"
    assert text[1] == f"    B. {(e * y).owner.op}"
    assert text[2] == f"        C. {e.owner.op}"
    assert text[3] == "            D. x"
    assert text[4] == "        E. y"
    assert text[5] == "    <C>"
    assert len(text) == 6


def test_min_informative_str_named_root_is_just_its_name():
    x = T.dvector("x")
    z = T.exp(x)
    z.name = "z"
    assert min_informative_str(z) == "A. z"


def test_print_storage_of_a_compiled_function_shows_defaults_and_shared_values():
    x, s = T.dvectors("x", "s")
    w = symcore.shared(np.array([1.0, 2.0]), name="w")
    f = symcore.function([x, symcore.In(s, value=np.array([3.5, 4.5]))], x * w + s)
    text = debugprint(f, file="str", print_storage=True)
    assert re.search(r"\bw \[id [A-Z]+\] value=\[1\., 2\.\]", text)
    assert re.search(r"\bs \[id [A-Z]+\] value=\[3\.5, 4\.5\]", text)
    w.set_value(np.array([7.0, 8.0]))
    assert "value=[7., 8.]" in debugprint(f, file="str", print_storage=True)


def test_scan_inner_graph_is_printed():
    x = T.dvector("x")
    out, _ = symcore.scan(lambda a, acc: acc + a, sequences=[x], outputs_info=[T.constant(0.0)])
    (scan_node,) = {
        v.owner
        for v in symcore.graph.ancestors([out])
        if v.owner is not None and hasattr(v.owner.op, "inner_outputs")
    }
    text = lines(out)
    inner = text[text.index("Inner graphs:") + 1 :]
    assert any(line.startswith(str(scan_node.op)) for line in inner)
    inner_root = scan_node.op.inner_outputs[0].owner.op
    assert any(line.startswith(f" >{inner_root}") for line in inner)
