"""The reference linker: runs each node's NumPy ``perform`` in topological order.

It is the ``py`` backend: the fallback when no faster backend is installed and the one
every other backend is tested against. Everything that does not depend on values (the
order, the storage slots, when each intermediate can be freed) is computed once in
``make_thunk``; the returned ``run`` does only the per-node work.

Errors raised by an Op are re-raised with the same exception type and a message naming
the Op, the shapes and dtypes of its inputs and the user's line that built the node
(``raise_node_error``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import describe_node_failure, perform_of

__all__ = ["ReferenceLinker", "NodeRunError", "raise_node_error"]


class NodeRunError(Exception):
    """Wraps an exception raised by an Op at run time, naming the node and its inputs."""


class ReferenceLinker:
    """Builds a thunk that evaluates a FunctionGraph with every Op's ``perform``.

    ``allow_gc``: drop each intermediate value as soon as its last consumer has run.
    ``check_outputs``: verify that every ``perform`` stored a valid value of its output's
    type (exact dtype, number of dimensions, broadcastable sizes) — a debugging aid for
    writing Ops; off by default.
    """

    name = "py"
    required_rewrites: tuple[str, ...] = ()
    incompatible_rewrites: tuple[str, ...] = ()

    def __init__(self, allow_gc: bool = True, check_outputs: bool = False) -> None:
        self.allow_gc = allow_gc
        self.check_outputs = check_outputs

    def __repr__(self) -> str:
        return f"ReferenceLinker(allow_gc={self.allow_gc}, check_outputs={self.check_outputs})"

    def __eq__(self, other: Any) -> bool:
        return (
            type(self) is type(other)
            and self.allow_gc == other.allow_gc
            and self.check_outputs == other.check_outputs
        )

    def __hash__(self) -> int:
        return hash((type(self), self.allow_gc, self.check_outputs))

    # ------------------------------------------------------------------------------------
    def make_thunk(self, fgraph: FunctionGraph) -> Callable[[Sequence[Any]], list]:
        """Return ``run(input_values) -> output_values`` for ``fgraph``.

        ``input_values`` has one value per ``fgraph.inputs``; the result is a new list with
        one value per ``fgraph.outputs``. Shared variables that are not graph inputs are
        read from their storage at each call.
        """
        order = fgraph.toposort()
        for node in order:
            node.op.prepare_node(node)
        slot: dict[Variable, int] = {}
        template: list[Any] = []
        orphan_shared: list[tuple[int, Any]] = []

        def slot_of(v: Variable) -> int:
            s = slot.get(v)
            if s is None:
                s = slot[v] = len(template)
                if isinstance(v, Constant):
                    template.append(v.data)
                else:
                    template.append(None)
                    if v.owner is None and getattr(v, "_is_shared_variable", False):
                        orphan_shared.append((s, v.container))
            return s

        for v in fgraph.inputs:
            slot_of(v)
        n_in = len(fgraph.inputs)
        if len(slot) != n_in:
            raise ValueError("FunctionGraph inputs must be distinct variables")
        steps_in = []
        for node in order:
            ins = [slot_of(v) for v in node.inputs]
            outs = [slot_of(v) for v in node.outputs]
            steps_in.append((node, ins, outs))
        out_slots = [slot_of(v) for v in fgraph.outputs]

        free_after = self._free_schedule(steps_in, set(out_slots), n_in, fgraph)
        steps = []
        for (node, ins, outs), free in zip(steps_in, free_after, strict=True):
            perform = perform_of(node)
            if self.check_outputs:
                perform = _checked_perform(perform)
            # one output: store the slot number itself (the common, faster case)
            out_spec = outs[0] if len(outs) == 1 else tuple(outs)
            steps.append((node, perform, _getter(ins), out_spec, node.run_params(), tuple(free)))
        steps = tuple(steps)
        template_t = tuple(template)
        n_slots = len(template)

        def run(values: Sequence[Any]) -> list:
            if len(values) != n_in:
                raise TypeError(f"expected {n_in} input values, got {len(values)}")
            store = list(template_t)
            store[:n_in] = values
            for s, container in orphan_shared:
                store[s] = container.storage[0]
            for node, perform, get_args, outs, params, free in steps:
                args = get_args(store)
                if outs.__class__ is int:
                    cell = [None]
                    try:
                        perform(node, args, [cell], params)
                    except Exception as exc:
                        raise_node_error(node, args, exc)
                    store[outs] = cell[0]
                else:
                    cells = [[None] for _ in outs]
                    try:
                        perform(node, args, cells, params)
                    except Exception as exc:
                        raise_node_error(node, args, exc)
                    for s, cell in zip(outs, cells, strict=True):
                        store[s] = cell[0]
                if free:
                    for s in free:
                        store[s] = None
            return [store[s] for s in out_slots]

        run.nodes = order  # type: ignore[attr-defined]
        run.fgraph = fgraph  # type: ignore[attr-defined]
        run.n_slots = n_slots  # type: ignore[attr-defined]
        return run

    def _free_schedule(self, steps, keep: set, n_in: int, fgraph) -> list[list[int]]:
        """For each step, the slots whose value is not needed after it (intermediates only)."""
        free_after: list[list[int]] = [[] for _ in steps]
        if not self.allow_gc:
            return free_after
        last_use: dict[int, int] = {}
        produced_at: dict[int, int] = {}
        for step, (_node, ins, outs) in enumerate(steps):
            for s in ins:
                last_use[s] = step
            for s in outs:
                produced_at[s] = step
        for s, step in produced_at.items():
            if s in keep:
                continue
            free_after[last_use.get(s, step)].append(s)
        return free_after

    def make_node_thunk(self, node: Apply, fgraph: FunctionGraph | None = None):
        """``thunk(input_values) -> output_values`` running one node's ``perform``."""
        node.op.prepare_node(node)
        perform = _checked_perform(perform_of(node)) if self.check_outputs else perform_of(node)
        params = node.run_params()
        n_out = len(node.outputs)

        def thunk(values: Sequence[Any]) -> list:
            args = list(values)
            cells = [[None] for _ in range(n_out)]
            try:
                perform(node, args, cells, params)
            except Exception as exc:
                raise_node_error(node, args, exc)
            return [c[0] for c in cells]

        return thunk


def _getter(slots: Sequence[int]) -> Callable[[list], list]:
    """A fast ``store -> [store[i] for i in slots]``."""
    if not slots:
        return lambda store: []
    if len(slots) == 1:
        (i,) = slots
        return lambda store: [store[i]]
    get = itemgetter(*slots)
    return lambda store: list(get(store))


def _checked_perform(perform):
    def checked(node, args, cells, params):
        perform(node, args, cells, params)
        for k, (out, cell) in enumerate(zip(node.outputs, cells, strict=True)):
            value = cell[0]
            if value is None:
                raise TypeError(f"{node.op}.perform did not store a value for output {k}")
            try:
                out.type.filter(value, strict=True)
            except (TypeError, ValueError) as exc:
                shape = getattr(value, "shape", None)
                dtype = getattr(value, "dtype", type(value).__name__)
                raise TypeError(
                    f"{node.op}.perform stored an invalid value for output {k} of type {out.type}: "
                    f"{type(value).__name__} with shape={shape} dtype={dtype} ({exc})"
                ) from None

    return checked


_wrapper_classes: dict[type, type] = {}


def _wrapper_class(cls: type) -> type:
    """A subclass of ``cls`` (and NodeRunError) whose str() is exactly the given message."""
    w = _wrapper_classes.get(cls)
    if w is None:

        def __init__(self, msg):  # noqa: N807
            BaseException.__init__(self, msg)
            self._msg = msg

        w = type(
            cls.__name__,
            (cls, NodeRunError),
            {
                "__init__": __init__,
                "__str__": lambda self: self._msg,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
            },
        )
        _wrapper_classes[cls] = w
    return w


def raise_node_error(node: Apply, args: Sequence[Any], exc: BaseException):
    """Re-raise ``exc`` with the node, input shapes/dtypes and user line in the message.

    The new exception has the same type when possible (so ``except ValueError`` keeps
    working), ``.node`` set to the failing node, and the original as ``__cause__``.
    """
    msg = describe_node_failure(node, args, exc)
    new: BaseException | None = None
    cls = type(exc)
    try:
        cand = cls(msg)
        if str(cand) == msg:
            new = cand
    except Exception:
        pass
    if new is None:
        try:
            new = _wrapper_class(cls)(msg)
        except Exception:
            new = NodeRunError(msg)
    new.node = node  # type: ignore[attr-defined]
    raise new.with_traceback(exc.__traceback__) from exc
