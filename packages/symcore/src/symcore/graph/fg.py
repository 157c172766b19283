"""``FunctionGraph``: a mutable, self-contained graph that rewrites edit in place.

It tracks the clients of every variable, notifies attached features of every change
(``on_import``, ``on_prune``, ``on_change_input``), and lets features veto a change through
``validate`` (see ``symcore.graph.features`` for validation with rollback).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from symcore.graph.basic import (
    Apply,
    Constant,
    Variable,
    clone_get_equiv,
    graph_inputs,
    io_toposort,
)

#: Marker used in client lists for "this variable is output number i of the graph".
OUTPUT = "output"


class InconsistencyError(Exception):
    """A feature refused a change to the graph (the change is rolled back)."""


class MissingInputError(Exception):
    """A graph needs an input that was not given to ``function``."""

    def __init__(self, *args, variable: Variable | None = None):
        super().__init__(*args)
        self.variable = variable


class FunctionGraph:
    """A graph between ``inputs`` and ``outputs`` with client tracking and features.

    ``clients[var]`` is a list of ``(node, input_index)`` pairs, where ``node`` is an
    ``Apply`` or the string ``"output"`` (then the index is the output position).
    """

    def __init__(
        self,
        inputs: Sequence[Variable] | None = None,
        outputs: Sequence[Variable] = (),
        features: Iterable[Any] = (),
        clone: bool = True,
        update_mapping: dict[int, int] | None = None,
    ) -> None:
        outputs = list(outputs)
        if inputs is None:
            inputs = [v for v in graph_inputs(outputs) if not isinstance(v, Constant)]
        inputs = list(inputs)
        if clone:
            equiv = clone_get_equiv(inputs, outputs, copy_inputs=True, copy_orphans=False)
            inputs = [equiv[i] for i in inputs]
            outputs = [equiv[o] for o in outputs]
        self.inputs: list[Variable] = []
        self.outputs: list[Variable] = []
        self.apply_nodes: set[Apply] = set()
        self.variables: set[Variable] = set()
        self.clients: dict[Variable, list[tuple[Any, int]]] = {}
        self._features: list[Any] = []
        self.update_mapping = update_mapping or {}
        self._toposort_cache: list[Apply] | None = None
        self.profile = None
        for inp in inputs:
            if inp.owner is not None:
                raise ValueError(f"FunctionGraph input {inp} is computed by {inp.owner.op}")
            self.add_input(inp)
        for i, out in enumerate(outputs):
            self.outputs.append(out)
            self.import_var(out, reason="init")
            self.clients[out].append((OUTPUT, i))
        for f in features:
            self.attach_feature(f)

    # -- structure -------------------------------------------------------------------
    def add_input(self, var: Variable, check: bool = True) -> None:
        if check and var in self.variables and var in self.inputs:
            return
        self.inputs.append(var)
        self.variables.add(var)
        self.clients.setdefault(var, [])

    def import_var(
        self, var: Variable, reason: str | None = None, import_missing: bool = False
    ) -> None:
        if var.owner is not None and var.owner not in self.apply_nodes:
            self.import_node(var.owner, reason=reason, import_missing=import_missing)
        elif var.owner is None and var not in self.variables:
            if not isinstance(var, Constant) and not getattr(var, "_is_shared_variable", False):
                if not import_missing:
                    from symcore.graph.utils import format_trace

                    raise MissingInputError(
                        f"Input {var} ({var.type}) is needed to compute the outputs but was not "
                        "provided as an input of the function. Variable created at:\n"
                        + format_trace(getattr(var.tag, "trace", [])),
                        variable=var,
                    )
                self.add_input(var)
                return
            self.variables.add(var)
            self.clients.setdefault(var, [])
        else:
            self.variables.add(var)
            self.clients.setdefault(var, [])

    def import_node(
        self, node: Apply, reason: str | None = None, import_missing: bool = False
    ) -> None:
        """Add ``node`` and every node it needs that is not in the graph yet."""
        new_nodes: list[Apply] = []
        seen: set[Apply] = set()
        stack: list[tuple[Apply, bool]] = [(node, False)]
        while stack:
            cur, expanded = stack.pop()
            if expanded:
                new_nodes.append(cur)
                continue
            if cur in self.apply_nodes or cur in seen:
                continue
            seen.add(cur)
            stack.append((cur, True))
            for inp in cur.inputs:
                if (
                    inp.owner is not None
                    and inp.owner not in self.apply_nodes
                    and inp.owner not in seen
                ):
                    stack.append((inp.owner, False))
        for n in new_nodes:
            if n in self.apply_nodes:
                continue
            for inp in n.inputs:
                if inp.owner is None and inp not in self.variables:
                    self.import_var(inp, reason=reason, import_missing=import_missing)
            self.apply_nodes.add(n)
            for out in n.outputs:
                self.variables.add(out)
                self.clients.setdefault(out, [])
            for i, inp in enumerate(n.inputs):
                self.variables.add(inp)
                self.clients.setdefault(inp, []).append((n, i))
            self._toposort_cache = None
            self.execute_callbacks("on_import", n, reason)

    def _remove_client(
        self, var: Variable, client: tuple[Any, int], reason: str | None = None
    ) -> None:
        """Drop one client of ``var``; prune ``var``'s node when nothing uses it any more."""
        stack = [(var, client)]
        while stack:
            v, cl = stack.pop()
            cls = self.clients[v]
            cls.remove(cl)
            if cls or v in self.outputs:
                continue
            node = v.owner
            if node is None:
                if v not in self.inputs:
                    self.variables.discard(v)
                    del self.clients[v]
                continue
            if node not in self.apply_nodes:
                continue
            if any(self.clients.get(o) for o in node.outputs):
                continue
            if any(o in self.outputs for o in node.outputs):
                continue
            self.apply_nodes.remove(node)
            self._toposort_cache = None
            for o in node.outputs:
                self.variables.discard(o)
                self.clients.pop(o, None)
            self.execute_callbacks("on_prune", node, reason)
            for i, inp in enumerate(node.inputs):
                stack.append((inp, (node, i)))

    def change_node_input(
        self,
        node: Any,
        i: int,
        new_var: Variable,
        reason: str | None = None,
        import_missing: bool = False,
    ) -> None:
        """Make input ``i`` of ``node`` (graph output ``i`` when node is "output") ``new_var``."""
        if node == OUTPUT:
            old = self.outputs[i]
            if old.type != new_var.type and not old.type.is_super(new_var.type):
                raise TypeError(
                    f"Cannot replace output {old} of type {old.type} with {new_var} "
                    f"of type {new_var.type}"
                )
            self.outputs[i] = new_var
        else:
            old = node.inputs[i]
            if old is new_var:
                return
            if old.type != new_var.type and not old.type.is_super(new_var.type):
                raise TypeError(
                    f"Cannot replace {old} ({old.type}) by {new_var} ({new_var.type}) in {node.op}"
                )
            node.inputs[i] = new_var
        if old is new_var:
            return
        self.import_var(new_var, reason=reason, import_missing=import_missing)
        self.clients[new_var].append((node, i))
        self._remove_client(old, (node, i), reason=reason)
        self._toposort_cache = None
        self.execute_callbacks("on_change_input", node, i, old, new_var, reason)

    def replace(
        self,
        var: Variable,
        new_var: Variable,
        reason: str | None = None,
        verbose: bool | None = None,
        import_missing: bool = False,
    ) -> None:
        """Replace every use of ``var`` by ``new_var`` (types must match or be convertible)."""
        if var not in self.variables:
            return
        if var.type != new_var.type:
            new_var2 = var.type.convert_variable(new_var)
            if new_var2 is None:
                raise TypeError(
                    f"The type of the replacement ({new_var.type}) must be compatible with the "
                    f"type of the original variable ({var.type}); rewrite: {reason}"
                )
            new_var = new_var2
        if var is new_var:
            return
        for node, i in list(self.clients[var]):
            self.change_node_input(node, i, new_var, reason=reason, import_missing=import_missing)

    def replace_all(self, pairs: Iterable[tuple[Variable, Variable]], **kwargs: Any) -> None:
        for var, new_var in pairs:
            self.replace(var, new_var, **kwargs)

    def remove_node(self, node: Apply, reason: str | None = None) -> None:
        """Remove a node whose outputs have no clients."""
        for o in node.outputs:
            if self.clients.get(o):
                raise ValueError(f"Cannot remove {node}: its output {o} is still used")
        if node in self.apply_nodes:
            self.apply_nodes.remove(node)
            for o in node.outputs:
                self.variables.discard(o)
                self.clients.pop(o, None)
            self._toposort_cache = None
            self.execute_callbacks("on_prune", node, reason)
            for i, inp in enumerate(node.inputs):
                self._remove_client(inp, (node, i), reason)

    # -- features --------------------------------------------------------------------
    def attach_feature(self, feature: Any) -> None:
        if feature in self._features:
            return
        attach = getattr(feature, "on_attach", None)
        if attach is not None:
            attach(self)
        self._features.append(feature)

    def remove_feature(self, feature: Any) -> None:
        if feature not in self._features:
            return
        self._features.remove(feature)
        detach = getattr(feature, "on_detach", None)
        if detach is not None:
            detach(self)

    @property
    def features(self) -> list[Any]:
        return list(self._features)

    def execute_callbacks(self, name: str, *args: Any, **kwargs: Any) -> None:
        for feature in self._features:
            fn = getattr(feature, name, None)
            if fn is not None:
                fn(self, *args, **kwargs)

    def collect_callbacks(self, name: str, *args: Any) -> dict:
        out = {}
        for feature in self._features:
            fn = getattr(feature, name, None)
            if fn is not None:
                out[feature] = fn(*args)
        return out

    # -- order -----------------------------------------------------------------------
    def orderings(self) -> dict[Apply, list[Apply]]:
        """Extra ``node -> [nodes that must run before]`` constraints from features."""
        merged: dict[Apply, list[Apply]] = {}
        for feature in self._features:
            fn = getattr(feature, "orderings", None)
            if fn is None:
                continue
            for node, prereqs in fn(self).items():
                if prereqs:
                    merged.setdefault(node, []).extend(
                        p for p in prereqs if p not in merged.get(node, ())
                    )
        return merged

    def toposort(self) -> list[Apply]:
        """Apply nodes in an order that respects data dependencies and feature orderings."""
        if self._toposort_cache is not None and not any(
            hasattr(f, "orderings") for f in self._features
        ):
            return list(self._toposort_cache)
        order = io_toposort(self.inputs, self.outputs, self.orderings())
        self._toposort_cache = order
        return list(order)

    # -- checks ----------------------------------------------------------------------
    def check_integrity(self) -> None:
        nodes = set(io_toposort(self.inputs, self.outputs))
        if nodes != self.apply_nodes:
            raise AssertionError("apply_nodes does not match the graph")
        for node in nodes:
            for i, inp in enumerate(node.inputs):
                if (node, i) not in self.clients.get(inp, []):
                    raise AssertionError(f"missing client {(node, i)} of {inp}")

    def validate(self) -> None:
        self.execute_callbacks("validate")

    # -- copies ----------------------------------------------------------------------
    def clone(self, check_integrity: bool = True) -> FunctionGraph:
        return self.clone_get_equiv(check_integrity)[0]

    def clone_get_equiv(self, check_integrity: bool = True, attach_feature: bool = True):
        equiv = clone_get_equiv(self.inputs, self.outputs, copy_inputs=True, copy_orphans=False)
        fg = FunctionGraph(
            [equiv[i] for i in self.inputs],
            [equiv[o] for o in self.outputs],
            clone=False,
            update_mapping=dict(self.update_mapping),
        )
        if check_integrity:
            fg.check_integrity()
        if attach_feature:
            for feature in self._features:
                clone_feature = getattr(feature, "clone", None)
                if clone_feature is not None:
                    fg.attach_feature(clone_feature())
        return fg, equiv

    def __str__(self) -> str:
        return f"FunctionGraph({', '.join(str(o) for o in self.outputs)})"

    def __repr__(self) -> str:
        return self.__str__()

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, Variable):
            return item in self.variables
        if isinstance(item, Apply):
            return item in self.apply_nodes
        return False
