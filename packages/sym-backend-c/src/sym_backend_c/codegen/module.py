"""Assembling one C module for a whole FunctionGraph.

Every variable is a ``PyObject*`` slot: inputs are borrowed from the argument list,
constants from the module state, node outputs (the array ``symc_v``) are owned and released
right after their last use. Each node's code comes from its registered C implementation —
placed in a "kernel" function shared by identical nodes — or calls the node's Python
``perform`` (a "fallback") when it has none. The nodes run in "part" functions of at most
``PART_NODES`` nodes each, so compile time grows linearly with the graph.

The source depends only on the graph's structure (Ops, types, order): constants, node
descriptions for error messages and input names are given at run time in the module
state, so the same graph built elsewhere hits the compile cache.
"""

from __future__ import annotations

from typing import Any

from sym_backend_c.codegen.context import NodeContext, npy_typenum
from sym_backend_c.codegen.registry import lookup
from sym_backend_c.codegen.runtime import PRELUDE, RUNNER_TEMPLATE
from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.graph.utils import format_trace

#: Nodes per generated "part" function (see ``generate``).
PART_NODES = 64


class GeneratedModule:
    """The generated C source of a graph and what the runner needs besides it.

    (A plain class, not a dataclass: creating a dataclass costs ~0.3 ms when the backend is
    imported, which happens during the first compile of a process.)

    - ``descs``: one description (Op, node index, user line) per node, and ``input_names``:
      given to the module at run time (``state``) so that the source, hence the cache key,
      does not depend on where the user built the graph or what the variables are called;
    - ``order``: the nodes in the order they run;
    - ``kernel_nodes``: kernel function name -> the nodes running it;
    - ``n_cache``: number of output-recycling slots (``state``'s list at index 5).
    """

    __slots__ = (
        "source",
        "constants",
        "fallback_nodes",
        "c_nodes",
        "support_keys",
        "descs",
        "input_names",
        "order",
        "kernel_nodes",
        "n_cache",
    )

    def __init__(
        self,
        source: str,
        constants: list[Any],
        fallback_nodes: list[Apply],
        c_nodes: list[Apply],
        support_keys: list[str] | None = None,
        descs: list[bytes] | None = None,
        input_names: list[bytes] | None = None,
        order: list[Apply] | None = None,
        kernel_nodes: dict[str, list[Apply]] | None = None,
        n_cache: int = 0,
    ) -> None:
        self.source = source
        self.constants = constants
        self.fallback_nodes = fallback_nodes
        self.c_nodes = c_nodes
        self.support_keys = [] if support_keys is None else support_keys
        self.descs = [] if descs is None else descs
        self.input_names = [] if input_names is None else input_names
        self.order = [] if order is None else order
        self.kernel_nodes = {} if kernel_nodes is None else kernel_nodes
        self.n_cache = n_cache

    def __repr__(self) -> str:
        return (
            f"GeneratedModule({len(self.order)} nodes, {len(self.c_nodes)} in C, "
            f"{len(self.fallback_nodes)} in Python, {len(self.source)} chars of C)"
        )

    def state(self, fallbacks: tuple, on_error: Any, times: Any = None) -> tuple:
        """The tuple the runner is bound to (``symc_state`` in the C code).

        ``on_error(k, inputs, exc)``: called when the C code of node ``k`` fails, raises the
        error to report; ``times``: the float64 array of per-node seconds (``timed``).
        Index 5 holds the arrays last returned for graph outputs, recycled when the caller
        dropped them (one list per runner)."""
        base = (
            tuple(self.constants),
            fallbacks,
            tuple(self.descs),
            tuple(self.input_names),
            on_error,
            [None] * max(self.n_cache, 1),
        )
        return base if times is None else (*base, times)


def _is_tensor(var: Variable) -> bool:
    from symcore.tensor.type import TensorType

    return isinstance(var.type, TensorType)


def _describe(node: Apply, k: int) -> str:
    trace = format_trace(getattr(node.tag, "trace", []))
    return f"{node.op} (node {k}); node built at:\n{trace}\n"


def _comment(node: Apply) -> str:
    return str(node.op)[:60].replace("*/", "* /").replace("/*", "/ *")


def generate(
    fgraph: FunctionGraph,
    *,
    openmp: bool = False,
    omp_min_size: int = 200000,
    timed: bool = False,
    keep_buffers: bool = False,
) -> GeneratedModule:
    """The C module for ``fgraph``. ``timed``: add each node's run time (seconds) to
    ``times[k]`` (k: the node's position in ``order``), a float64 array given at run time
    (for ``profile=True``). ``keep_buffers``: every node's outputs get cache slots, not only
    the graph outputs' (``CLinker(allow_gc=False)``): an intermediate array allocated by one
    call is kept and reused by the next one when nothing else holds it."""
    order = fgraph.toposort()
    names: dict[Variable, str] = {}
    owned_set: set[str] = set()
    n_slots = 0
    n_cache = 0
    constants: list[Any] = []
    input_code: list[str] = []
    for i, var in enumerate(fgraph.inputs):
        name = f"PyList_GET_ITEM(symc_args, {i})"  # borrowed from the argument list
        names[var] = name
        if _is_tensor(var):
            bc = "".join("1" if b else "0" for b in var.type.broadcastable)
            input_code.append(
                f"    if (symc_check_input({name}, {npy_typenum(var.type.dtype)}, {var.type.ndim}, "
                f'"{bc}", {i}, SYMC_STR(symc_names, {i})) < 0) goto symc_fail;'
            )

    def name_of(var: Variable) -> str:
        if var in names:
            return names[var]
        if isinstance(var, Constant):
            k = len(constants)
            constants.append(var.data)
            names[var] = f"PyTuple_GET_ITEM(symc_consts, {k})"
            return names[var]
        container = getattr(var, "container", None)
        shared = getattr(var, "_is_shared_variable", False)
        if var.owner is None and shared and container is not None:
            # a shared variable that is not a graph input: read its storage cell at each call
            k = len(constants)
            constants.append(container.storage)
            names[var] = f"PyList_GET_ITEM(PyTuple_GET_ITEM(symc_consts, {k}), 0)"
            return names[var]
        raise KeyError(f"{var} is neither an input of the graph, a constant nor a shared variable")

    last_use: dict[Variable, int] = {}
    for step, node in enumerate(order):
        for v in node.inputs:
            last_use[v] = step
    graph_outputs = set(fgraph.outputs)

    # Node outputs live in one array ``symc_v`` (a node's outputs are consecutive), so the
    # runner stays a flat sequence of calls: compilers handle that in linear time, whereas
    # thousands of separate locals and inlined cleanups made -O3 take minutes.
    support: dict[str, str] = {}
    descs: list[bytes] = []  # node descriptions, passed at run time (see module doc)
    body: list[str] = []
    kernels: dict[str, str] = {}  # kernel source -> function name (identical nodes share one)
    notes: dict[str, str] = {}  # kernel name -> comment naming the node it was made for
    kernel_nodes: dict[str, list[Apply]] = {}
    fallback_nodes: list[Apply] = []
    c_nodes: list[Apply] = []
    for step, node in enumerate(order):
        ins = [name_of(v) for v in node.inputs]
        base = n_slots
        outs = []
        for v in node.outputs:
            nm = f"symc_v[{n_slots}]"
            n_slots += 1
            names[v] = nm
            owned_set.add(nm)
            outs.append(nm)
        desc = f"SYMC_STR(symc_descs, {step})"
        descs.append(_describe(node, step).encode("utf-8", "replace"))
        # arrays returned to the caller may be recycled on the next call once the caller
        # dropped them (the implementation checks the reference count); with keep_buffers,
        # intermediates too (the slot keeps the array alive between calls)
        cache_base = None
        if keep_buffers or any(v in graph_outputs for v in node.outputs):
            cache_base, n_cache = n_cache, n_cache + len(node.outputs)
        code = _kernel_call(
            node,
            step,
            ins,
            base,
            desc,
            support,
            kernels,
            notes,
            openmp,
            omp_min_size,
            cache_base,
        )
        if code is not None:
            kernel_nodes.setdefault(code.kernel, []).append(node)
        if code is None:
            fb = len(fallback_nodes)
            fallback_nodes.append(node)
            code = _fallback_code(node, ins, outs, fb, desc)
        else:
            c_nodes.append(node)
        if timed:
            code = (
                f"        const double symc_t0 = symc_now();\n    {{\n{code}\n    }}\n"
                f"        symc_times[{step}] += symc_now() - symc_t0;"
            )
        block = [f"    /* node {step}: {_comment(node)} */\n    {{\n{code}\n    }}"]
        # release intermediates after their last use
        for v in node.inputs:
            dead = last_use.get(v) == step and v.owner is not None and v not in graph_outputs
            if dead and names[v] in owned_set:
                block.append(f"    Py_CLEAR({names[v]});")
        for v, nm in zip(node.outputs, outs, strict=True):
            if v not in last_use and v not in graph_outputs:
                block.append(f"    Py_CLEAR({nm});")
        body.append("\n".join(block))

    # Outputs are handed over as they are: ``Function`` plans the defensive copies
    # (``symcore.compile.aliasing.copy_plan``) for outputs aliasing inputs, constants,
    # shared storage or each other. A slot listed twice is INCREF'd for all but its last use.
    increfs: list[str] = []
    moves: list[str] = []
    last_index = {var: i for i, var in enumerate(fgraph.outputs)}
    for i, var in enumerate(fgraph.outputs):
        nm = name_of(var)
        if nm in owned_set and last_index[var] == i:
            moves.append(f"    PyList_SET_ITEM(symc_result, {i}, {nm}); {nm} = NULL;")
        else:
            increfs.append(f"    Py_INCREF({nm}); PyList_SET_ITEM(symc_result, {i}, {nm});")
    output_code = increfs + moves  # increfs read slots before moves hand them over

    # The nodes run in "parts" of at most PART_NODES nodes, each its own function: the
    # optimizer's cost grows faster than linearly with a function's size, so a graph of
    # thousands of nodes compiles in seconds instead of minutes.
    parts: list[str] = []
    part_calls: list[str] = []
    timing = (
        "    double* symc_times = (double*)PyArray_DATA((PyArrayObject*)"
        "PyTuple_GET_ITEM(symc_state, 6));\n"
        if timed
        else ""
    )
    for k in range(0, len(body), PART_NODES):
        fn = f"symc_part_{len(parts)}"
        chunk = "\n".join(body[k : k + PART_NODES])
        parts.append(
            f"static SYMC_GLUE int {fn}(PyObject* symc_args, PyObject* symc_state, "
            f"PyObject** symc_v) {{\n"
            f"    SYMC_STATE_NAMES\n{timing}{chunk}\n"
            f"    return 0;\nsymc_fail:\n    return -1;\n}}"
        )
        part_calls.append(f"    if ({fn}(symc_args, symc_state, symc_v) < 0) goto symc_fail;")

    source = "\n".join(
        [
            PRELUDE,
            *support.values(),
            *(f"{notes[fn]}\nstatic SYMC_NOINLINE int {fn}{text}" for text, fn in kernels.items()),
            *parts,
            RUNNER_TEMPLATE.format(
                n_inputs=len(fgraph.inputs),
                n_outputs=len(fgraph.outputs),
                n_slots=max(n_slots, 1),
                input_code="\n".join(input_code),
                body="\n".join(part_calls),
                output_code="\n".join(output_code),
            ),
        ]
    )
    names_in = [str(v).encode("utf-8", "replace") for v in fgraph.inputs]
    return GeneratedModule(
        source,
        constants,
        fallback_nodes,
        c_nodes,
        list(support),
        descs,
        names_in,
        order,
        kernel_nodes,
        n_cache,
    )


def _fallback_code(node: Apply, ins: list[str], outs: list[str], fb: int, desc: str) -> str:
    lines = [f"        PyObject* fb_in[{max(len(ins), 1)}] = {{{', '.join(ins) or 'NULL'}}};"]
    lines.append(
        f"        PyObject* fb_out = symc_call_fallback("
        f"PyTuple_GET_ITEM(symc_fallbacks, {fb}), fb_in, {len(ins)});"
    )
    lines.append("        if (!fb_out) goto symc_fail;")
    for j, (v, nm) in enumerate(zip(node.outputs, outs, strict=True)):
        lines.append(f"        {nm} = PyTuple_GET_ITEM(fb_out, {j}); Py_INCREF({nm});")
        if _is_tensor(v):
            lines.append(
                f"        if (!PyArray_Check({nm})"
                f" || PyArray_TYPE(SYMC_A({nm})) != {npy_typenum(v.type.dtype)}"
                f" || PyArray_NDIM(SYMC_A({nm})) != {v.type.ndim}) {{ Py_DECREF(fb_out);"
                f' PyErr_Format(PyExc_TypeError, "%s: perform returned output {j} with the'
                f' wrong type (expected {v.type})", {desc}); goto symc_fail; }}'
            )
    lines.append("        Py_DECREF(fb_out);")
    return "\n".join(lines)


def _kernel_call(
    node: Apply,
    step: int,
    ins: list[str],
    base: int,
    desc: str,
    support: dict[str, str],
    kernels: dict[str, str],
    notes: dict[str, str],
    openmp: bool,
    omp_min_size: int,
    cache_base: int | None = None,
) -> str | None:
    """Code calling the node's C kernel (a static function shared by identical nodes), or
    None when the node has no C implementation. The kernel writes the node's outputs into
    ``symc_v[base:]``; with ``cache_base``, the implementation may recycle the arrays it
    returned last time from the state's cache list, slots ``cache_base:`` (``out_cache``).

    Each implementation's code is placed in its own function: the compiler optimizes many
    small functions much faster than one huge one, and nodes whose code is identical (same
    Op, dtypes, constants folded into the code) share one function, so a graph of 3000
    additions compiles one addition kernel.
    """
    impl = lookup(node.op)
    if impl is None:
        return None
    n_out = len(node.outputs)
    k_ins = [f"symc_in[{k}]" for k in range(len(ins))]
    k_outs = [f"symc_o{j}" for j in range(n_out)]
    local_support: dict[str, str] = {}
    ctx = NodeContext(
        step, k_ins, k_outs, "goto symc_kfail;", "symc_desc", local_support, openmp, omp_min_size
    )
    if cache_base is not None:
        ctx.out_cache = [f"symc_cache[{j}]" for j in range(n_out)]
    code = impl(node.op, node, ctx)
    if code is None:
        return None
    for key, sup in local_support.items():
        support.setdefault(key, sup)
    decl = "\n".join(f"    PyObject* {o} = NULL;" for o in k_outs)
    handover = " ".join(f"symc_out[{j}] = {o};" for j, o in enumerate(k_outs))
    release = " ".join(f"Py_XDECREF({o});" for o in k_outs)
    fn_body = (
        f"(PyObject* const* symc_in, PyObject** symc_out, const char* symc_desc, "
        f"PyObject** symc_cache) {{\n"
        f"    (void)symc_in; (void)symc_desc; (void)symc_cache;\n{decl}\n    {{\n{code}\n    }}\n"
        f"    {handover}\n    return 0;\nsymc_kfail:\n    {release}\n    return -1;\n}}"
    )
    name = kernels.get(fn_body)
    if name is None:
        name = f"symc_kernel_{len(kernels)}"
        kernels[fn_body] = name
        notes[name] = f"/* kernel {name}: {_comment(node)} (node {step} and identical nodes) */"
    cache = "NULL" if cache_base is None else f"SYMC_CACHE + {cache_base}"
    if ins:
        code = (
            f"        PyObject* const k_in[{len(ins)}] = {{{', '.join(ins)}}};\n"
            f"        if ({name}(k_in, symc_v + {base}, {desc}, {cache}) < 0) {{\n"
            f"            symc_node_error(symc_state, {step}, k_in, {len(ins)}); goto symc_fail; }}"
        )
    else:
        code = (
            f"        if ({name}(NULL, symc_v + {base}, {desc}, {cache}) < 0) {{\n"
            f"            symc_node_error(symc_state, {step}, NULL, 0); goto symc_fail; }}"
        )
    return _KernelCall(code, name)


class _KernelCall(str):
    """The C code calling a kernel, and the kernel's name (``.kernel``)."""

    kernel: str

    def __new__(cls, code: str, kernel: str) -> _KernelCall:
        obj = super().__new__(cls, code)
        obj.kernel = kernel
        return obj
