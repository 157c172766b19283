"""``debugprint``: the graph as an indented tree, one line per variable, Theano's format::

    Elemwise{add,no_inplace} [id A] ''
     |x [id B]
     |Elemwise{exp,no_inplace} [id C] 'e'
       |y [id D]

A line shows the Op (``Op.i`` for output ``i`` of a multi-output node), an id, the type
when ``print_type``, the variable's name in quotes and, for a FunctionGraph or a compiled
function, the node's position in the execution order. A node reached a second time is
printed once more with the same id but without its inputs. ``min_informative_str`` is a
shorter form that stops at named variables.
"""

from __future__ import annotations

import io
import sys
from typing import IO, Any

from symcore.graph.basic import Apply, Constant, Variable
from symcore.printing._graphs import GraphView, as_graph_view, inner_graph, known_value, short_value

__all__ = ["debugprint", "min_informative_str", "char_from_number"]


def char_from_number(number: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'BA' (base-26 with letters as digits, as Theano)."""
    base = 26
    digits = []
    while True:
        number, rem = divmod(number, base)
        digits.append(chr(ord("A") + rem))
        if number == 0:
            break
    return "".join(reversed(digits))


class _Ids:
    """Assigns display ids to nodes/variables in the order they are first printed."""

    def __init__(self, kind: str, used: dict | None) -> None:
        if kind not in ("CHAR", "id", "int", ""):
            raise ValueError(f"debugprint: ids must be 'CHAR', 'id', 'int' or '', got {kind!r}")
        self.kind = kind
        self.used = used if used is not None else {}

    def __call__(self, obj: Any) -> str:
        if self.kind == "":
            return ""
        if obj not in self.used:
            if self.kind == "CHAR":
                self.used[obj] = char_from_number(len(self.used))
            elif self.kind == "int":
                self.used[obj] = str(len(self.used))
            else:
                self.used[obj] = str(id(obj))
        return f"[id {self.used[obj]}]"


def _var_label(var: Variable) -> str:
    if isinstance(var, Constant) and var.name is None:
        return f"{type(var).__name__}{{{var}}}"
    return str(var)


def debugprint(
    obj: Any,
    depth: int = -1,
    print_type: bool = False,
    file: Any = None,
    ids: str = "CHAR",
    stop_on_name: bool = False,
    done: dict | None = None,
    print_storage: bool = False,
    print_test_value: bool | None = None,
    print_destroy_map: bool = False,
    print_view_map: bool = False,
    used_ids: dict | None = None,
) -> Any:
    """Print the graph of ``obj`` as an indented tree.

    ``obj``: a variable, list of variables, Apply node, FunctionGraph or compiled function.
    ``file``: None prints to stdout (returns None); ``'str'`` returns the text; a stream is
    written to and returned. ``depth``: levels of inputs shown (-1: all). ``print_type``:
    append each variable's type. ``ids``: ``'CHAR'`` (A, B, ...), ``'int'``, ``'id'``
    (Python ids) or ``''`` (none). ``stop_on_name``: do not expand named variables.
    ``done``: nodes already printed, shared between calls (pass the same dict to print
    several graphs with common ids). ``print_storage``: show the values of constants,
    shared variables and, for compiled functions that keep them, intermediate results.
    ``print_test_value``: show ``tag.test_value`` (default: the ``print_test_value`` flag).
    """
    from symcore.config import config

    if file == "str":
        stream: IO[str] = io.StringIO()
    elif file is None:
        stream = sys.stdout
    else:
        stream = file
    if print_test_value is None:
        print_test_value = bool(config.print_test_value)
    view = as_graph_view(obj)
    printer = _TreePrinter(
        stream,
        view,
        depth=depth,
        print_type=print_type,
        ids=_Ids(ids, used_ids),
        stop_on_name=stop_on_name,
        done=done if done is not None else {},
        print_storage=print_storage,
        print_test_value=print_test_value,
        print_destroy_map=print_destroy_map,
        print_view_map=print_view_map,
    )
    for out in view.outputs:
        printer.print_var(out, "", "")
    printer.print_inner_graphs()
    if file == "str":
        return stream.getvalue()
    if file is None:
        stream.flush()
        return None
    return stream


class _TreePrinter:
    def __init__(
        self,
        stream,
        view: GraphView,
        *,
        depth,
        print_type,
        ids,
        stop_on_name,
        done,
        print_storage,
        print_test_value,
        print_destroy_map,
        print_view_map,
    ) -> None:
        self.stream = stream
        self.view = view
        self.order = (
            {node: i for i, node in enumerate(view.topo)} if view.topo is not None else None
        )
        self.depth = depth
        self.print_type = print_type
        self.ids = ids
        self.stop_on_name = stop_on_name
        self.done = done
        self.print_storage = print_storage
        self.print_test_value = print_test_value
        self.print_destroy_map = print_destroy_map
        self.print_view_map = print_view_map
        self.inner: list[Apply] = []

    # -- one line --------------------------------------------------------------------
    def _extras(self, var: Variable) -> str:
        parts = []
        if self.print_type:
            parts.append(f"<{var.type}>")
        if self.print_storage:
            has, value = known_value(var)
            if not has and var in self.view.storage:
                has, value = True, self.view.storage[var]
            if has and value is not None:
                parts.append(f"value={short_value(value)}")
        if self.print_test_value and hasattr(var.tag, "test_value"):
            parts.append(f"test_value={short_value(var.tag.test_value)}")
        return (" " + " ".join(parts)) if parts else ""

    def _node_line(self, var: Variable) -> str:
        node = var.owner
        op_str = str(node.op)
        if len(node.outputs) > 1:
            op_str += f".{var.index}"
        id_str = self.ids(node)
        line = f"{op_str}{' ' + id_str if id_str else ''}{self._extras(var)} '{var.name or ''}'"
        if self.print_destroy_map and getattr(node.op, "destroy_map", None):
            line += f" d={node.op.destroy_map}"
        if self.print_view_map and getattr(node.op, "view_map", None):
            line += f" v={node.op.view_map}"
        if self.order is not None and node in self.order:
            line += f" {self.order[node]}"
        return line

    def _leaf_line(self, var: Variable) -> str:
        id_str = self.ids(var)
        return f"{_var_label(var)}{' ' + id_str if id_str else ''}{self._extras(var)}"

    # -- the tree (iterative: deep graphs do not hit the recursion limit) --------------
    def print_var(self, var: Variable, prefix: str, prefix_child: str) -> None:
        stack: list[tuple[Variable, str, str, int]] = [(var, prefix, prefix_child, self.depth)]
        write = self.stream.write
        while stack:
            v, pre, pre_child, depth = stack.pop()
            if depth == 0:
                continue
            node = v.owner
            if node is None:
                write(pre + self._leaf_line(v) + "\n")
                continue
            already = node in self.done
            write(pre + self._node_line(v) + "\n")
            self.done[node] = True
            if inner_graph(node.op) is not None and node not in self.inner:
                self.inner.append(node)
            if already or (self.stop_on_name and v.name is not None and pre != ""):
                continue
            children = []
            n = len(node.inputs)
            for i, inp in enumerate(node.inputs):
                last = i == n - 1
                children.append(
                    (inp, pre_child + " |", pre_child + ("  " if last else " |"), depth - 1)
                )
            stack.extend(reversed(children))

    def print_inner_graphs(self) -> None:
        if not self.inner:
            return
        self.stream.write("\nInner graphs:\n")
        seen: set[int] = set()
        i = 0
        while i < len(self.inner):  # inner graphs may hold inner graphs: a worklist
            node = self.inner[i]
            i += 1
            if id(node.op) in seen:
                continue
            seen.add(id(node.op))
            self.stream.write("\n")
            self.stream.write(self._node_line(node.outputs[0]) + "\n")
            inner_inputs, inner_outputs = inner_graph(node.op)
            saved_order, self.order = self.order, None
            for out in inner_outputs:
                self.print_var(out, " >", " >")
            self.order = saved_order


# ---------------------------------------------------------------------------------------
# min_informative_str
# ---------------------------------------------------------------------------------------


def min_informative_str(
    obj: Any, indent_level: int = 0, _prev_obs: dict | None = None, _tag_prefix: str = ""
) -> str:
    """A short multi-line description of a graph that stops at named variables.

    Each variable gets a letter tag (``A.``, ``B.``...); named variables print their name
    and are not expanded (the root too); a variable met again prints ``<tag>``. Unnamed nodes print
    the Op and then their inputs, one indent deeper.
    """
    if isinstance(obj, Apply):
        obj = obj.default_output() if len(obj.outputs) == 1 else obj.outputs[0]
    if not isinstance(obj, Variable):
        view = as_graph_view(obj)
        memo: dict = {} if _prev_obs is None else _prev_obs
        return "\n".join(
            min_informative_str(o, indent_level, memo, _tag_prefix) for o in view.outputs
        )
    prev = {} if _prev_obs is None else _prev_obs
    lines: list[str] = []
    stack: list[tuple[Variable, int]] = [(obj, indent_level)]
    while stack:
        var, level = stack.pop()
        indent = "    " * level
        if var in prev:
            lines.append(f"{indent}<{prev[var]}>")
            continue
        tag = _tag_prefix + char_from_number(len(prev))
        prev[var] = tag
        if var.name is not None:
            lines.append(f"{indent}{tag}. {var.name}")
            continue
        if var.owner is None:
            lines.append(f"{indent}{tag}. {_var_label(var)}")
            continue
        op_str = str(var.owner.op)
        if len(var.owner.outputs) > 1:
            op_str += f".{var.index}"
        lines.append(f"{indent}{tag}. {op_str}")
        for inp in reversed(var.owner.inputs):
            stack.append((inp, level + 1))
    return "\n".join(lines)
