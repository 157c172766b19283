"""``DestroyHandler``: keeps in-place operations (``destroy_map``) safe.

An Op that overwrites an input declares it in ``destroy_map = {out: [in]}``; one that
returns a view declares ``view_map``. Views form trees rooted at a variable that owns its
memory. The handler refuses (``InconsistencyError`` from ``validate``, so the rewrite is
rolled back) a destroy of

* a constant, a graph input or a shared variable (unless the input is in
  ``fgraph.mutable_inputs``, set by the compiler for ``In(mutable=True)`` and updated
  shared values),
* a value that is, or is viewed by, an output of the graph,
* a value destroyed by another node as well,
* a value some other node still reads after the destroyer must have run (cycle).

It adds ``orderings``: every other reader of the destroyed value (and of its views) runs
before the destroyer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from symcore.graph.basic import Apply, Constant, Variable, io_toposort
from symcore.graph.fg import OUTPUT, FunctionGraph, InconsistencyError

__all__ = ["DestroyHandler", "attach_destroy_handler"]


def _view_inputs(node: Apply) -> dict[int, list[int]]:
    """``{out_idx: [in_idx, ...]}`` merged from the op's view_map and destroy_map."""
    out: dict[int, list[int]] = {}
    for mapping in (
        getattr(node.op, "view_map", None) or {},
        getattr(node.op, "destroy_map", None) or {},
    ):
        for o, ins in mapping.items():
            out.setdefault(o, [])
            for i in ins:
                if i not in out[o]:
                    out[o].append(i)
    return out


class DestroyHandler:
    """FunctionGraph feature validating ``destroy_map``s and ordering destroyers last."""

    def __init__(self, do_imports_on_attach: bool = True) -> None:
        self.fgraph: FunctionGraph | None = None

    # -- attach ----------------------------------------------------------------------
    def on_attach(self, fgraph: FunctionGraph) -> None:
        if getattr(fgraph, "destroy_handler", None) is not None:
            raise ValueError("a DestroyHandler is already attached to this graph")
        self.fgraph = fgraph
        fgraph.destroy_handler = self
        fgraph.destroyers = self.destroyers_of
        fgraph.has_destroyers = self.has_destroyers
        self.view_i: dict[Variable, list[Variable]] = {}
        self.view_o: dict[Variable, set[Variable]] = {}
        self.destroyer_nodes: set[Apply] = set()
        self._valid: bool | None = None
        for node in fgraph.toposort():
            self._add_node(node)

    def on_detach(self, fgraph: FunctionGraph) -> None:
        for attr in ("destroy_handler", "destroyers", "has_destroyers"):
            if hasattr(fgraph, attr):
                delattr(fgraph, attr)
        self.fgraph = None

    def clone(self) -> DestroyHandler:
        return DestroyHandler()

    # -- bookkeeping -----------------------------------------------------------------
    def _add_node(self, node: Apply) -> None:
        for o, ins in _view_inputs(node).items():
            out = node.outputs[o]
            parents = [node.inputs[i] for i in ins]
            self.view_i[out] = parents
            for p in parents:
                self.view_o.setdefault(p, set()).add(out)
        if getattr(node.op, "destroy_map", None):
            self.destroyer_nodes.add(node)
        self._valid = None

    def _remove_node(self, node: Apply) -> None:
        for o in _view_inputs(node):
            out = node.outputs[o]
            for p in self.view_i.pop(out, ()):
                kids = self.view_o.get(p)
                if kids is not None:
                    kids.discard(out)
                    if not kids:
                        del self.view_o[p]
        self.destroyer_nodes.discard(node)
        self._valid = None

    def on_import(self, fgraph, node, reason) -> None:
        self._add_node(node)

    def on_prune(self, fgraph, node, reason) -> None:
        self._remove_node(node)

    def on_change_input(self, fgraph, node, i, old, new, reason) -> None:
        self._valid = None
        if node is OUTPUT or node == OUTPUT:
            return
        views = _view_inputs(node)
        if any(i in ins for ins in views.values()):
            self._remove_node(node)
            self._add_node(node)

    # -- queries ---------------------------------------------------------------------
    def root(self, var: Variable) -> list[Variable]:
        """The variables owning the memory ``var`` views (``[var]`` when it is no view)."""
        roots: list[Variable] = []
        stack = [var]
        seen: set[int] = set()
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            parents = self.view_i.get(v)
            if parents:
                stack.extend(parents)
            elif v not in roots:
                roots.append(v)
        return roots

    def view_tree(self, root: Variable, stop: Iterable[Variable] = ()) -> list[Variable]:
        """``root`` and every variable viewing it, not descending below ``stop``."""
        stop_ids = {id(s) for s in stop}
        out: list[Variable] = []
        stack = [root]
        seen: set[int] = set()
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            out.append(v)
            if id(v) in stop_ids:
                continue
            stack.extend(self.view_o.get(v, ()))
        return out

    def destroyers_of(self, var: Variable) -> list[Apply]:
        """Nodes destroying ``var``'s memory (through any view)."""
        roots = self.root(var)
        out = []
        for node in self.destroyer_nodes:
            for ins in node.op.destroy_map.values():
                for i in ins:
                    if any(r in roots for r in self.root(node.inputs[i])) and node not in out:
                        out.append(node)
        return out

    def has_destroyers(self, variables: Iterable[Variable]) -> bool:
        """True when the memory of any of ``variables`` is destroyed by some node."""
        return any(self.destroyers_of(v) for v in variables)

    def _protected(self, fgraph: FunctionGraph, var: Variable) -> str | None:
        """Why ``var`` (a root) may not be destroyed, or None."""
        if isinstance(var, Constant):
            return f"{var} is a constant"
        mutable = getattr(fgraph, "mutable_inputs", None) or ()
        if var in mutable:
            return None
        if var in fgraph.inputs:
            return f"{var} is an input of the function"
        if var.owner is None:
            if getattr(var, "_is_shared_variable", False):
                return f"{var} is a shared variable"
            return f"{var} is a graph input"
        return None

    def destroyable(self, fgraph: FunctionGraph, var: Variable) -> bool:
        """Cheap pre-check for inplace rewriters: may some new node destroy ``var``?

        False when ``var`` views a protected value, a graph output, or a value already
        destroyed. (Validation after the replacement remains the final word.)
        """
        for r in self.root(var):
            if self._protected(fgraph, r) is not None:
                return False
            tree = self.view_tree(r)
            outs = set(fgraph.outputs)
            if any(v in outs for v in tree):
                return False
            if self.destroyers_of(r):
                return False
        return True

    # -- validation and order --------------------------------------------------------
    def _analyse(self, fgraph: FunctionGraph) -> dict[Apply, list[Apply]]:
        """Check every destroyer; return the orderings. Raises InconsistencyError."""
        orderings: dict[Apply, list[Apply]] = {}
        destroyed_by: dict[Variable, Apply] = {}
        outputs = set(fgraph.outputs)
        for node in sorted(self.destroyer_nodes, key=lambda n: id(n)):
            if node not in fgraph.apply_nodes:
                continue
            before: list[Apply] = []
            for o, ins in node.op.destroy_map.items():
                for i in ins:
                    for root in self.root(node.inputs[i]):
                        why = self._protected(fgraph, root)
                        if why is not None:
                            raise InconsistencyError(
                                f"{node.op} would overwrite its input {i}: {why}"
                            )
                        other = destroyed_by.get(root)
                        if other is not None and other is not node:
                            raise InconsistencyError(
                                f"{node.op} and {other.op} would both overwrite the memory "
                                f"of {root}"
                            )
                        destroyed_by[root] = node
                        before += self._readers(fgraph, node, i, node.outputs[o], root, outputs)
            if before:
                orderings[node] = before
        return orderings

    def _readers(self, fgraph, node, i, out_var, root, outputs) -> list[Apply]:
        """Nodes that read ``root``'s memory and so must run before ``node`` destroys it."""
        tolerated = set(getattr(node.op, "destroyhandler_tolerate_same", ()) or ())
        tolerated |= set(getattr(node.op, "destroyhandler_tolerate_aliased", ()) or ())
        readers: list[Apply] = []
        for v in self.view_tree(root, stop=[out_var]):
            if v is out_var:
                continue
            if v in outputs:
                raise InconsistencyError(
                    f"{node.op} would overwrite {v}, which is an output of the function"
                )
            for client, j in fgraph.clients.get(v, ()):
                if client is OUTPUT or client == OUTPUT:
                    continue
                if client is not node:
                    readers.append(client)
                elif j != i and (i, j) not in tolerated:
                    raise InconsistencyError(
                        f"{node.op} would overwrite input {i} while also reading the same memory "
                        f"as input {j}"
                    )
        return readers

    def validate(self, fgraph: FunctionGraph) -> bool:
        if self._valid:
            return True
        if not self.destroyer_nodes:
            self._valid = True
            return True
        orderings = self._analyse(fgraph)
        if orderings:
            try:
                io_toposort(fgraph.inputs, fgraph.outputs, orderings)
            except ValueError as exc:
                raise InconsistencyError(
                    "an in-place operation would have to run before a node that needs the value "
                    f"it overwrites ({exc})"
                ) from exc
        self._valid = True
        return True

    def orderings(self, fgraph: FunctionGraph) -> dict[Apply, list[Apply]]:
        if not self.destroyer_nodes:
            return {}
        try:
            return self._analyse(fgraph)
        except InconsistencyError:
            return {}


def attach_destroy_handler(fgraph: FunctionGraph) -> Any:
    """Attach a ``DestroyHandler`` to ``fgraph`` unless one is there; return it."""
    dh = getattr(fgraph, "destroy_handler", None)
    if dh is None:
        dh = DestroyHandler()
        fgraph.attach_feature(dh)
    return dh
