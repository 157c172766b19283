"""The reference linker: runs each node's NumPy ``perform`` in topological order."""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Constant
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import describe_node_failure


class NodeRunError(Exception):
    """Wraps an exception raised by an Op at run time, naming the node and its inputs."""


class ReferenceLinker:
    """Builds a thunk that evaluates a FunctionGraph with every Op's ``perform``."""

    name = "py"

    def __init__(self, allow_gc: bool = True) -> None:
        self.allow_gc = allow_gc

    def make_thunk(self, fgraph: FunctionGraph):
        """Return ``run(input_values) -> output_values`` for ``fgraph``."""
        order = fgraph.toposort()
        for node in order:
            node.op.prepare_node(node)
        index: dict[Any, int] = {}
        consts: list[tuple[int, Any]] = []
        for v in fgraph.inputs:
            index[v] = len(index)
        for node in order:
            for v in node.inputs:
                if v not in index:
                    index[v] = len(index)
                    if isinstance(v, Constant):
                        consts.append((index[v], v.data))
            for v in node.outputs:
                index[v] = len(index)
        for v in fgraph.outputs:
            if v not in index:
                index[v] = len(index)
                if isinstance(v, Constant):
                    consts.append((index[v], v.data))
        # last use of each slot, to free intermediates early
        keep = {index[o] for o in fgraph.outputs} | {index[i] for i in fgraph.inputs}
        last_use: dict[int, int] = {}
        for step, node in enumerate(order):
            for v in node.inputs:
                last_use[index[v]] = step
        free_after: list[list[int]] = [[] for _ in order]
        if self.allow_gc:
            for slot, step in last_use.items():
                if slot not in keep and slot not in {s for s, _ in consts}:
                    free_after[step].append(slot)
        steps = []
        for step, node in enumerate(order):
            steps.append((
                node,
                node.op.perform,
                [index[v] for v in node.inputs],
                [index[v] for v in node.outputs],
                node.run_params(),
                free_after[step],
            ))
        n_slots = len(index)
        in_slots = [index[v] for v in fgraph.inputs]
        out_slots = [index[v] for v in fgraph.outputs]

        def run(values):
            store: list[Any] = [None] * n_slots
            for s, val in zip(in_slots, values):
                store[s] = val
            for s, val in consts:
                store[s] = val
            for node, perform, ins, outs, params, free in steps:
                args = [store[i] for i in ins]
                out_storage = [[None] for _ in outs]
                try:
                    perform(node, args, out_storage, params)
                except Exception as exc:
                    raise_node_error(node, args, exc)
                for s, cell in zip(outs, out_storage):
                    store[s] = cell[0]
                for s in free:
                    store[s] = None
            return [store[s] for s in out_slots]

        return run


def raise_node_error(node, args, exc: BaseException):
    """Re-raise ``exc`` with the node, input shapes/dtypes and user line in the message."""
    msg = describe_node_failure(node, args, exc)
    try:
        new = type(exc)(msg)
    except Exception:
        new = NodeRunError(msg)
    new.__cause__ = exc
    new.node = node  # type: ignore[attr-defined]
    raise new.with_traceback(exc.__traceback__) from exc
