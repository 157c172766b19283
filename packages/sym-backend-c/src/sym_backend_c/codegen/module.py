"""Assembling one C module for a whole FunctionGraph.

Every variable is a ``PyObject*`` slot: inputs are borrowed from the argument list,
constants from the module state, node outputs are owned and released right after their
last use. Each node's code comes from its registered C implementation, or calls the node's
Python ``perform`` (a "fallback") when it has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.graph.utils import format_trace

from sym_backend_c.codegen.context import NodeContext, npy_typenum
from sym_backend_c.codegen.registry import lookup
from sym_backend_c.codegen.runtime import PRELUDE, RUNNER_TEMPLATE


@dataclass
class GeneratedModule:
    source: str
    constants: list[Any]
    fallback_nodes: list[Apply]
    c_nodes: list[Apply]
    support_keys: list[str] = field(default_factory=list)


def _c_string(text: str) -> str:
    esc = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{esc}"'


def _is_tensor(var: Variable) -> bool:
    from symcore.tensor.type import TensorType

    return isinstance(var.type, TensorType)


def _describe(node: Apply, k: int) -> str:
    trace = format_trace(getattr(node.tag, "trace", []))
    return f"{node.op} (node {k}); node built at:\n{trace}\n"


def _alias_root(var: Variable) -> Variable:
    """The variable whose memory ``var`` may share, following view_map/destroy_map."""
    seen = 0
    while var.owner is not None and seen < 10000:
        node = var.owner
        idx = node.outputs.index(var)
        src = node.op.view_map.get(idx) or node.op.destroy_map.get(idx)
        if not src:
            return var
        var = node.inputs[src[0]]
        seen += 1
    return var


def generate(fgraph: FunctionGraph, *, openmp: bool = False, omp_min_size: int = 200000) -> GeneratedModule:
    order = fgraph.toposort()
    names: dict[Variable, str] = {}
    owned: list[str] = []
    constants: list[Any] = []
    input_code: list[str] = []
    for i, var in enumerate(fgraph.inputs):
        name = f"symc_in{i}"
        names[var] = name
        input_code.append(f"    PyObject* {name} = PyList_GET_ITEM(symc_args, {i});")
        if _is_tensor(var):
            bc = "".join("1" if b else "0" for b in var.type.broadcastable)
            input_code.append(
                f'    if (symc_check_input({name}, {npy_typenum(var.type.dtype)}, {var.type.ndim}, '
                f'"{bc}", {i}, {_c_string(str(var))}) < 0) goto symc_fail;'
            )

    def name_of(var: Variable) -> str:
        if var in names:
            return names[var]
        if isinstance(var, Constant):
            k = len(constants)
            constants.append(var.data)
            names[var] = f"PyTuple_GET_ITEM(symc_consts, {k})"
            return names[var]
        raise KeyError(var)

    last_use: dict[Variable, int] = {}
    for step, node in enumerate(order):
        for v in node.inputs:
            last_use[v] = step
    graph_outputs = set(fgraph.outputs)

    support: dict[str, str] = {}
    descs: list[str] = []
    body: list[str] = []
    fallback_nodes: list[Apply] = []
    c_nodes: list[Apply] = []
    for step, node in enumerate(order):
        ins = [name_of(v) for v in node.inputs]
        outs = []
        for j, v in enumerate(node.outputs):
            nm = f"v{step}_{j}"
            names[v] = nm
            owned.append(nm)
            outs.append(nm)
        desc = f"symc_desc_{step}"
        descs.append(f"static const char {desc}[] = {_c_string(_describe(node, step))};")
        ctx = NodeContext(step, ins, outs, "goto symc_fail;", desc, support, openmp, omp_min_size)
        impl = lookup(node.op)
        code = impl(node.op, node, ctx) if impl is not None else None
        if code is None:
            fb = len(fallback_nodes)
            fallback_nodes.append(node)
            code = _fallback_code(node, ins, outs, fb, desc)
        else:
            c_nodes.append(node)
        body.append(f"    /* node {step}: {str(node.op)[:60].replace('*/', '* /')} */\n    {{\n{code}\n    }}")
        # release intermediates after their last use
        for v in node.inputs:
            if last_use.get(v) == step and v.owner is not None and v not in graph_outputs and names[v] in owned:
                body.append(f"    Py_CLEAR({names[v]});")
        for v, nm in zip(node.outputs, outs):
            if v not in last_use and v not in graph_outputs:
                body.append(f"    Py_CLEAR({nm});")

    copies: list[str] = []
    moves: list[str] = []
    claimed: set[Variable] = set()
    for i, var in enumerate(fgraph.outputs):
        nm = name_of(var)
        root = _alias_root(var)
        must_copy = root.owner is None or root in claimed  # aliases an input or another output
        claimed.add(root)
        if must_copy and _is_tensor(var):
            copies.append(
                f"    {{ PyObject* c = PyArray_NewCopy(SYMC_A({nm}), NPY_CORDER); if (!c) goto symc_fail;"
                f" PyList_SET_ITEM(symc_result, {i}, c); }}"
            )
        elif must_copy or nm not in owned:
            copies.append(f"    Py_INCREF({nm}); PyList_SET_ITEM(symc_result, {i}, {nm});")
        else:
            moves.append(f"    PyList_SET_ITEM(symc_result, {i}, {nm}); {nm} = NULL;")
    output_code = copies + moves  # copies read slots before moves hand them over

    declarations = "\n".join(f"    PyObject* {nm} = NULL;" for nm in owned)
    cleanup = "\n".join(f"    Py_XDECREF({nm});" for nm in owned)
    source = "\n".join([
        PRELUDE,
        *support.values(),
        *descs,
        RUNNER_TEMPLATE.format(
            n_inputs=len(fgraph.inputs),
            n_outputs=len(fgraph.outputs),
            declarations=declarations,
            input_code="\n".join(input_code),
            body="\n".join(body),
            output_code="\n".join(output_code),
            cleanup=cleanup,
        ),
    ])
    return GeneratedModule(source, constants, fallback_nodes, c_nodes, list(support))


def _fallback_code(node: Apply, ins: list[str], outs: list[str], fb: int, desc: str) -> str:
    lines = [f"        PyObject* fb_in[{max(len(ins), 1)}] = {{{', '.join(ins) or 'NULL'}}};"]
    lines.append(
        f"        PyObject* fb_out = symc_call_fallback(PyTuple_GET_ITEM(symc_fallbacks, {fb}), fb_in, {len(ins)});"
    )
    lines.append("        if (!fb_out) goto symc_fail;")
    for j, (v, nm) in enumerate(zip(node.outputs, outs)):
        lines.append(f"        {nm} = PyTuple_GET_ITEM(fb_out, {j}); Py_INCREF({nm});")
        if _is_tensor(v):
            lines.append(
                f"        if (!PyArray_Check({nm}) || PyArray_TYPE(SYMC_A({nm})) != {npy_typenum(v.type.dtype)}"
                f" || PyArray_NDIM(SYMC_A({nm})) != {v.type.ndim}) {{ Py_DECREF(fb_out);"
                f' PyErr_Format(PyExc_TypeError, "%s: perform returned output {j} with the wrong type'
                f' (expected {v.type})", {desc}); goto symc_fail; }}'
            )
    lines.append("        Py_DECREF(fb_out);")
    return "\n".join(lines)
