"""A run loop over per-node thunks, with hooks: the base of profiling and NanGuardMode.

A linker that can run single nodes defines ``make_node_thunk(node, fgraph)`` returning
``thunk(input_values) -> output_values``; for one that cannot, the node's ``perform`` is
used (through the reference linker). ``make_node_loop`` builds ``run(values) -> outputs``
with the same storage and early-freeing rules as the reference linker, calling
``before_call(values)`` once per call and ``after_node(node, inputs, outputs)`` after each
node, and timing nodes when a ``ProfileStats`` is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.link.reference import ReferenceLinker

__all__ = ["make_node_loop", "node_thunk_maker"]


def node_thunk_maker(linker: Any) -> Callable[[Apply, FunctionGraph], Callable]:
    """``linker.make_node_thunk``, or the reference linker's when it has none."""
    maker = getattr(linker, "make_node_thunk", None)
    if maker is None:
        maker = ReferenceLinker().make_node_thunk
    return maker


def make_node_loop(
    fgraph: FunctionGraph,
    linker: Any = None,
    after_node: Callable[[Apply, list, list], None] | None = None,
    before_call: Callable[[Sequence[Any]], None] | None = None,
    profile: Any = None,
    allow_gc: bool = True,
) -> Callable[[Sequence[Any]], list]:
    """Build ``run(values) -> outputs`` executing ``fgraph`` node by node (see module doc)."""
    make_thunk = node_thunk_maker(linker)
    order = fgraph.toposort()
    slot: dict[Variable, int] = {}
    template: list[Any] = []
    orphan_shared: list[tuple[int, Any]] = []

    def slot_of(v: Variable) -> int:
        s = slot.get(v)
        if s is None:
            s = slot[v] = len(template)
            template.append(v.data if isinstance(v, Constant) else None)
            if (
                v.owner is None
                and not isinstance(v, Constant)
                and getattr(v, "_is_shared_variable", False)
            ):
                orphan_shared.append((s, v.container))
        return s

    for v in fgraph.inputs:
        slot_of(v)
    n_in = len(fgraph.inputs)
    raw_steps = []
    for node in order:
        ins = [slot_of(v) for v in node.inputs]
        outs = [slot_of(v) for v in node.outputs]
        raw_steps.append((node, ins, outs))
    out_slots = [slot_of(v) for v in fgraph.outputs]
    keep = set(out_slots) | set(range(n_in))
    free_after: list[list[int]] = [[] for _ in raw_steps]
    if allow_gc:
        last_use: dict[int, int] = {}
        produced: dict[int, int] = {}
        for k, (_n, ins, outs) in enumerate(raw_steps):
            for s in ins:
                last_use[s] = k
            for s in outs:
                produced[s] = k
        for s, k in produced.items():
            if s not in keep:
                free_after[last_use.get(s, k)].append(s)
    steps = tuple(
        (node, make_thunk(node, fgraph), tuple(ins), tuple(outs), tuple(free))
        for (node, ins, outs), free in zip(raw_steps, free_after, strict=True)
    )
    template_t = tuple(template)
    perf = time.perf_counter
    if profile is not None:
        var_of = {s: v for v, s in slot.items()}
        profile.register_graph(fgraph, order, [[var_of[s] for s in free] for free in free_after])

    def run(values: Sequence[Any]) -> list:
        if len(values) != n_in:
            raise TypeError(f"expected {n_in} input values, got {len(values)}")
        t_call = perf()
        store = list(template_t)
        store[:n_in] = values
        for s, container in orphan_shared:
            store[s] = container.storage[0]
        if before_call is not None:
            before_call(values)
        for node, thunk, ins, outs, free in steps:
            args = [store[i] for i in ins]
            if profile is not None:
                t0 = perf()
                results = thunk(args)
                profile.add_apply(node, perf() - t0, results)
            else:
                results = thunk(args)
            if after_node is not None:
                after_node(node, args, results)
            for s, val in zip(outs, results, strict=True):
                store[s] = val
            for s in free:
                store[s] = None
        out = [store[s] for s in out_slots]
        if profile is not None:
            profile.add_call(perf() - t_call)
        return out

    run.nodes = order  # type: ignore[attr-defined]
    run.fgraph = fgraph  # type: ignore[attr-defined]
    return run
