"""``pydotprint``: graph pictures through pydot and graphviz (optional dependencies)."""

import re
import shutil
import sys

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.printing import pydotprint

pytest.importorskip("pydot", reason="pydot is an optional dependency (pip install pydot)")
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="graphviz 'dot' is not installed"
)


def _graph():
    x, y = T.dvectors("x", "y")
    w = symcore.shared(np.ones(3), name="w")
    h = T.exp(x) * w
    out = h + y
    out.name = "out"
    return x, y, out


_NODE = re.compile(r'^(\w+) \[label="(.*?)"(.*)\];$')
_EDGE = re.compile(r"^(\w+) -> (\w+)")


def _parse(path):
    """(edges, nodes, labels) of a graph written with format='dot'; nodes map to attrs."""
    nodes, edges = [], []
    for line in path.read_text().splitlines():
        if m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif m := _NODE.match(line):
            attrs = dict(re.findall(r"(\w+)=([^,\]]+)", m.group(3)))
            attrs["label"] = m.group(2)
            nodes.append(attrs)
    return edges, nodes, [n["label"] for n in nodes]


def test_dot_format_describes_every_node_and_edge(tmp_path):
    x, y, out = _graph()
    path = tmp_path / "g.dot"
    assert pydotprint(out, outfile=str(path), format="dot", print_output_file=False) is None
    edges, nodes, labels = _parse(path)
    ops = [str(n.op) for n in symcore.graph.io_toposort([x, y], [out])]
    for op in ops:
        assert op in labels
    assert any(label.startswith("x ") for label in labels)
    assert any(label.startswith("out ") for label in labels)
    fills = {n["label"].split(" ")[0]: n.get("fillcolor") for n in nodes}
    assert fills["x"] == "limegreen" and fills["out"] == "dodgerblue" and fills["w"] == "lightblue"
    # compact: unnamed intermediates are edge labels, so edges = node inputs + the output edge
    n_inputs = sum(len(n.inputs) for n in symcore.graph.io_toposort([x, y], [out]))
    assert len(edges) == n_inputs + 1


def test_not_compact_draws_intermediate_variables(tmp_path):
    x, y, out = _graph()
    pydotprint(out, outfile=str(tmp_path / "c.dot"), format="dot", print_output_file=False)
    pydotprint(
        out, outfile=str(tmp_path / "n.dot"), format="dot", compact=False, print_output_file=False
    )
    _, compact_nodes, _ = _parse(tmp_path / "c.dot")
    _, full_nodes, _ = _parse(tmp_path / "n.dot")
    topo = symcore.graph.io_toposort([x, y], [out])
    unnamed_intermediates = sum(1 for n in topo for o in n.outputs if o.name is None)
    assert len(full_nodes) - len(compact_nodes) == unnamed_intermediates


def test_with_ids_and_var_with_name_simple(tmp_path):
    x, y, out = _graph()
    f = symcore.function([x, y], out)
    path = tmp_path / "f.dot"
    pydotprint(
        f,
        outfile=str(path),
        format="dot",
        with_ids=True,
        var_with_name_simple=True,
        print_output_file=False,
    )
    _, _, labels = _parse(path)
    topo = f.maker.fgraph.toposort()
    for i, node in enumerate(topo):
        assert f"{node.op} id={i}" in labels
    assert "x" in labels and "y" in labels


@needs_dot
@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_rendered_file_of_compiled_function(tmp_path, fmt, magic, capsys):
    x, y, out = _graph()
    f = symcore.function([x, y], out)
    path = tmp_path / f"graph.{fmt}"
    pydotprint(f, outfile=str(path), format=fmt)
    assert path.read_bytes().startswith(magic)
    assert str(path) in capsys.readouterr().out


@needs_dot
def test_return_image_gives_bytes_without_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y, out = _graph()
    img = pydotprint(out, format="svg", return_image=True)
    assert isinstance(img, bytes) and b"<svg" in img
    assert list(tmp_path.iterdir()) == []


@needs_dot
def test_default_outfile_is_in_compiledir(tmp_path):
    x, y, out = _graph()
    with symcore.config.change_flags(compiledir=str(tmp_path / "cache")):
        pydotprint(out, format="svg", print_output_file=False)
    expected = tmp_path / "cache" / f"symcore.pydotprint.{symcore.config.device}.svg"
    assert expected.read_bytes().startswith(b"<?xml")


def test_missing_pydot_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    x, y, out = _graph()
    with pytest.raises(ImportError, match="pip install pydot") as info:
        pydotprint(out, outfile="never_written.png")
    assert "apt-get install graphviz" in str(info.value)


def test_missing_graphviz_is_a_clear_import_error(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    x, y, out = _graph()
    with pytest.raises(ImportError, match="apt-get install graphviz"):
        pydotprint(out, outfile=str(tmp_path / "g.png"))
    assert not (tmp_path / "g.png").exists()
    # the raw graph description needs no graphviz
    pydotprint(out, outfile=str(tmp_path / "g.dot"), format="dot", print_output_file=False)
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
