"""FunctionGraph features: change history with rollback, validated replacement, shape hooks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from symcore.graph.basic import Variable
from symcore.graph.fg import FunctionGraph, InconsistencyError


class Feature:
    """Base class of graph listeners; every callback is optional."""

    def on_attach(self, fgraph: FunctionGraph) -> None: ...
    def on_detach(self, fgraph: FunctionGraph) -> None: ...
    def on_import(self, fgraph: FunctionGraph, node, reason) -> None: ...
    def on_prune(self, fgraph: FunctionGraph, node, reason) -> None: ...
    def on_change_input(self, fgraph: FunctionGraph, node, i, old, new, reason) -> None: ...


class History(Feature):
    """Records input changes so that ``fgraph.revert(checkpoint)`` can undo them."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if hasattr(fgraph, "checkpoint"):
            raise AlreadyThere("History is already attached")
        self._log: list[tuple] = []
        fgraph.checkpoint = lambda: len(self._log)
        fgraph.revert = self.revert

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.checkpoint
        del fgraph.revert

    def on_change_input(self, fgraph, node, i, old, new, reason) -> None:
        if getattr(self, "_reverting", False):
            return
        self._log.append((node, i, old, new))

    def revert(self, checkpoint: int, fgraph: FunctionGraph | None = None) -> None:
        fg = self._fgraph if fgraph is None else fgraph
        self._reverting = True
        try:
            while len(self._log) > checkpoint:
                node, i, old, _new = self._log.pop()
                fg.change_node_input(node, i, old, reason="revert", import_missing=True)
        finally:
            self._reverting = False


class AlreadyThere(Exception):
    """A feature of that kind is already attached."""


class Validator(Feature):
    """Adds ``fgraph.consistent()``: True when every feature's ``validate`` passes."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if hasattr(fgraph, "consistent"):
            raise AlreadyThere("Validator is already attached")

        def consistent() -> bool:
            try:
                fgraph.validate()
                return True
            except InconsistencyError:
                return False

        fgraph.consistent = consistent

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.consistent


class ReplaceValidate(History, Validator):
    """``fgraph.replace_validate(var, new)``: replace, validate, and roll back on failure."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self._fgraph = fgraph
        History.on_attach(self, fgraph)
        Validator.on_attach(self, fgraph)
        fgraph.replace_validate = self.replace_validate
        fgraph.replace_all_validate = self.replace_all_validate

    def on_detach(self, fgraph: FunctionGraph) -> None:
        History.on_detach(self, fgraph)
        Validator.on_detach(self, fgraph)
        del fgraph.replace_validate
        del fgraph.replace_all_validate

    def replace_validate(
        self, var: Variable, new: Variable, reason: str | None = None, **kw: Any
    ) -> None:
        self.replace_all_validate([(var, new)], reason=reason, **kw)

    def replace_all_validate(
        self, pairs: Iterable[tuple[Variable, Variable]], reason: str | None = None, **kw: Any
    ) -> None:
        fg = self._fgraph
        chk = len(self._log)
        try:
            for var, new in pairs:
                fg.replace(var, new, reason=reason, **kw)
            fg.validate()
        except Exception:
            self.revert(chk, fg)
            raise


class NodeFinder(Feature):
    """Keeps ``fgraph.get_nodes(op_class_or_op)`` fast by indexing nodes by op type."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self._by_type: dict[type, set] = {}
        for node in fgraph.apply_nodes:
            self.on_import(fgraph, node, None)
        fgraph.get_nodes = self.get_nodes

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.get_nodes

    def on_import(self, fgraph, node, reason) -> None:
        self._by_type.setdefault(type(node.op), set()).add(node)

    def on_prune(self, fgraph, node, reason) -> None:
        self._by_type.get(type(node.op), set()).discard(node)

    def get_nodes(self, op_or_class) -> list:
        if isinstance(op_or_class, type):
            out = []
            for cls, nodes in self._by_type.items():
                if issubclass(cls, op_or_class):
                    out.extend(nodes)
            return out
        return [n for n in self._by_type.get(type(op_or_class), ()) if n.op == op_or_class]
