"""``pydotprint``: a picture of a graph (png, svg, pdf...) through pydot and graphviz.

Boxes are Apply nodes (labelled with the Op), ellipses are variables: graph inputs green,
outputs blue, constants grey, shared variables light blue. With ``compact=True`` unnamed
intermediate variables are not drawn: their type labels the edge between the two nodes.
pydot (``pip install pydot``) and graphviz's ``dot`` program (``apt-get install
graphviz``) are optional dependencies needed only here.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from symcore.graph.basic import Constant, Variable, graph_inputs, io_toposort
from symcore.printing._graphs import as_graph_view, short_value

__all__ = ["pydotprint", "DEFAULT_COLORS", "import_pydot"]

#: fill colour of Apply nodes by Op class name (a user ``colorCodes`` dict overrides).
DEFAULT_COLORS = {
    "Elemwise": "#FFAABB",
    "DimShuffle": "#DDDDFF",
    "Subtensor": "#FFAAFF",
    "IncSubtensor": "#FFAAFF",
    "AdvancedSubtensor": "#FFAAFF",
    "Alloc": "#FFAA22",
    "Shape": "brown",
    "Scan": "yellow",
    "IfElse": "magenta",
    "RandomVariable": "#AAFFAA",
    "Print": "orange",
}
_INPUT, _OUTPUT, _CONSTANT, _SHARED, _VAR = (
    "limegreen",
    "dodgerblue",
    "lightgrey",
    "lightblue",
    "white",
)

_RAW_FORMATS = ("dot", "raw", "canon")


def import_pydot():
    """The pydot module, or an ImportError saying how to install it."""
    try:
        import pydot
    except ImportError as exc:
        raise ImportError(
            "pydotprint needs the optional package pydot and the graphviz 'dot' program: "
            "install them with `pip install pydot` and `apt-get install graphviz` "
            "(or your system's graphviz package)."
        ) from exc
    return pydot


def _require_graphviz() -> None:
    if shutil.which("dot") is None:
        raise ImportError(
            "pydotprint found pydot but not graphviz's 'dot' program on PATH: install graphviz "
            "with `apt-get install graphviz` (pip install pydot is already done), or pass "
            "format='dot' to write the graph description without rendering it."
        )


def _clip(label: str, max_len: int) -> str:
    label = label.replace('"', "'")
    if max_len and len(label) > max_len:
        label = label[: max_len - 3] + "..."
    return label


def pydotprint(
    fct: Any,
    outfile: str | None = None,
    compact: bool = True,
    format: str = "png",
    with_ids: bool = False,
    high_contrast: bool = True,
    cond_highlight: Any = None,
    colorCodes: dict | None = None,
    max_label_size: int = 70,
    scan_graphs: bool = False,
    var_with_name_simple: bool = False,
    print_output_file: bool = True,
    return_image: bool = False,
) -> Any:
    """Draw the graph of ``fct`` (a compiled function, FunctionGraph, variable or list).

    A compiled function shows its rewritten graph, a variable the graph as built. Writes
    ``outfile`` (default: ``symcore.pydotprint.<device>.<format>`` in ``config.compiledir``)
    in ``format`` (any graphviz format: png, svg, pdf...; ``'dot'`` writes the graph
    description without needing graphviz) and returns None; with ``return_image=True``
    returns the rendered bytes instead of writing a file. ``with_ids`` adds each node's
    position in the execution order; ``high_contrast`` fills nodes instead of colouring
    their outline; ``var_with_name_simple`` labels named variables by name only;
    ``colorCodes`` maps Op class names to colours. ``cond_highlight`` and ``scan_graphs``
    are accepted for Theano compatibility and ignored.
    """
    from symcore.config import config

    pydot = import_pydot()
    if format not in _RAW_FORMATS or return_image:
        _require_graphviz()
    colors = dict(DEFAULT_COLORS)
    colors.update(colorCodes or {})
    view = as_graph_view(fct)
    outputs = view.outputs
    if view.fgraph is not None:
        inputs = list(view.fgraph.inputs)
        topo = view.topo
    else:
        inputs = [
            v
            for v in graph_inputs(outputs)
            if not isinstance(v, Constant) and not getattr(v, "_is_shared_variable", False)
        ]
        topo = io_toposort([], outputs)
    graph = _build(
        pydot,
        outputs,
        inputs,
        topo,
        compact=compact,
        with_ids=with_ids,
        high_contrast=high_contrast,
        colors=colors,
        max_label_size=max_label_size,
        var_with_name_simple=var_with_name_simple,
    )
    if return_image:
        return graph.create(prog="dot", format=format)
    if outfile is None:
        os.makedirs(config.compiledir, exist_ok=True)
        outfile = os.path.join(config.compiledir, f"symcore.pydotprint.{config.device}.{format}")
    if format in _RAW_FORMATS:
        graph.write(outfile, format="raw")
    else:
        graph.write(outfile, prog="dot", format=format)
    if print_output_file:
        print("The output file is available at", outfile)
    return None


def _build(
    pydot,
    outputs,
    inputs,
    topo,
    *,
    compact,
    with_ids,
    high_contrast,
    colors,
    max_label_size,
    var_with_name_simple,
):
    graph = pydot.Dot(graph_type="digraph", rankdir="TB")
    names: dict[Any, str] = {}
    out_set = set(outputs)
    in_set = set(inputs)
    order = {node: i for i, node in enumerate(topo)}

    def style(fill: str) -> dict:
        if high_contrast:
            return {"style": "filled", "fillcolor": fill}
        return {"color": fill}

    def var_label(v: Variable) -> str:
        if isinstance(v, Constant):
            text = v.name or f"constant {short_value(v.data, 30)}"
        elif v.name is not None:
            text = v.name if var_with_name_simple else f"{v.name} {v.type}"
        else:
            text = str(v.type)
        return _clip(text, max_label_size)

    def var_fill(v: Variable) -> str:
        if v in out_set:
            return _OUTPUT
        if isinstance(v, Constant):
            return _CONSTANT
        if getattr(v, "_is_shared_variable", False):
            return _SHARED
        if v in in_set or v.owner is None:
            return _INPUT
        return _VAR

    def var_node(v: Variable) -> str:
        if v not in names:
            names[v] = f"v{len(names)}"
            graph.add_node(
                pydot.Node(
                    names[v], label=f'"{var_label(v)}"', shape="ellipse", **style(var_fill(v))
                )
            )
        return names[v]

    def drawn(v: Variable) -> bool:
        """Is ``v`` its own ellipse (rather than a label on an edge)?"""
        return v.owner is None or not compact or v.name is not None or v in out_set

    for node in topo:
        label = str(node.op)
        if with_ids:
            label = f"{label} id={order[node]}"
        op_name = type(node.op).__name__
        fill = colors.get(op_name, "white")
        if getattr(node.op, "destroy_map", None):
            label += " (inplace)"
        names[node] = f"n{len(names)}"
        graph.add_node(
            pydot.Node(
                names[node], label=f'"{_clip(label, max_label_size)}"', shape="box", **style(fill)
            )
        )
        many = len(node.inputs) > 1
        for i, inp in enumerate(node.inputs):
            edge_label = f"{i}" if many else ""
            if drawn(inp):
                src = var_node(inp)
            else:
                src = names[inp.owner]
                edge_label = f"{edge_label} {inp.type}".strip()
            attrs = {"label": f'"{_clip(edge_label, max_label_size)}"'} if edge_label else {}
            if node.op.destroy_map and any(i in ins for ins in node.op.destroy_map.values()):
                attrs["color"] = "red"
            elif getattr(node.op, "view_map", None) and any(
                i in ins for ins in node.op.view_map.values()
            ):
                attrs["color"] = "dodgerblue"
            graph.add_edge(pydot.Edge(src, names[node], **attrs))
        for out in node.outputs:
            if drawn(out):
                graph.add_edge(pydot.Edge(names[node], var_node(out)))
    for out in outputs:
        var_node(out)  # outputs that are inputs or constants still appear
    return graph
