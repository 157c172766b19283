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

Validation is incremental, so that an in-place pass over a deep graph stays about linear:
only destroyers whose surroundings changed are re-checked, and cycles are found with
*levels* (every data edge and ordering edge goes from a lower to a higher level; a new
ordering edge that breaks this raises the levels after it, and reaching its source again
means a cycle).
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


def _is_output_client(client: Any) -> bool:
    return client is OUTPUT or (isinstance(client, str) and client == OUTPUT)


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
        # per-destroyer analysis: its destroyed roots and the readers that must run first
        self._roots_of: dict[Apply, list[Variable]] = {}
        self._readers_of: dict[Apply, list[Apply]] = {}
        self._root_destroyers: dict[Variable, set[Apply]] = {}
        self._dirty_nodes: set[Apply] = set()
        self._dirty_roots: set[Variable] = set()
        # levels for cycle detection
        self.level: dict[Apply, int] = {}
        self._succ: dict[Apply, dict[Apply, int]] = {}  # reader -> {destroyer: edge count}
        self._unchecked: list[tuple[Apply, Apply]] = []  # new ordering edges to level-check
        self._levels_ok = True
        self._valid = False
        for node in fgraph.toposort():
            self._add_views(node)
            self.level[node] = self._base_level(node)

    def on_detach(self, fgraph: FunctionGraph) -> None:
        for attr in ("destroy_handler", "destroyers", "has_destroyers"):
            if hasattr(fgraph, attr):
                delattr(fgraph, attr)
        self.fgraph = None

    def clone(self) -> DestroyHandler:
        return DestroyHandler()

    # -- view trees ------------------------------------------------------------------
    def _add_views(self, node: Apply) -> None:
        for o, ins in _view_inputs(node).items():
            out = node.outputs[o]
            parents = [node.inputs[i] for i in ins]
            self.view_i[out] = parents
            for p in parents:
                self.view_o.setdefault(p, set()).add(out)
        if getattr(node.op, "destroy_map", None):
            self.destroyer_nodes.add(node)
            self._dirty_nodes.add(node)

    def _remove_views(self, node: Apply) -> None:
        for o in _view_inputs(node):
            out = node.outputs[o]
            for p in self.view_i.pop(out, ()):
                kids = self.view_o.get(p)
                if kids is not None:
                    kids.discard(out)
                    if not kids:
                        del self.view_o[p]
        if node in self.destroyer_nodes:
            self.destroyer_nodes.discard(node)
            self._forget_destroyer(node)

    def root(self, var: Variable) -> list[Variable]:
        """The variables owning the memory ``var`` views (``[var]`` when it is no view)."""
        parents = self.view_i.get(var)
        if not parents:
            return [var]
        roots: list[Variable] = []
        stack = list(parents)
        seen: set[int] = {id(var)}
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            ps = self.view_i.get(v)
            if ps:
                stack.extend(ps)
            elif v not in roots:
                roots.append(v)
        return roots

    def view_tree(self, root: Variable, stop: Iterable[Variable] = ()) -> list[Variable]:
        """``root`` and every variable viewing it, not descending below ``stop``."""
        if root not in self.view_o:
            return [root]
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

    # -- change tracking -------------------------------------------------------------
    def _touch(self, var: Variable) -> None:
        """Something reading or viewing ``var`` changed: re-check destroyers of its roots."""
        self._valid = False
        for r in self.root(var):
            self._dirty_roots.add(r)

    def _touch_below(self, var: Variable) -> None:
        """The roots of ``var``'s views changed: re-check destroyers reading below it."""
        fg = self.fgraph
        for v in self.view_tree(var):
            for client, _ in fg.clients.get(v, ()):
                if not _is_output_client(client) and client in self.destroyer_nodes:
                    self._dirty_nodes.add(client)

    def on_import(self, fgraph, node, reason) -> None:
        self._valid = False
        self._add_views(node)
        self.level[node] = self._base_level(node)
        for inp in node.inputs:
            self._touch(inp)

    def on_prune(self, fgraph, node, reason) -> None:
        self._valid = False
        self._remove_views(node)
        self.level.pop(node, None)
        self._dirty_nodes.discard(node)
        for inp in node.inputs:
            self._touch(inp)

    def on_change_input(self, fgraph, node, i, old, new, reason) -> None:
        self._valid = False
        self._touch(old)
        self._touch(new)
        if _is_output_client(node):
            return
        if node in self.destroyer_nodes:
            self._dirty_nodes.add(node)
        if any(i in ins for ins in _view_inputs(node).values()):
            self._remove_views(node)
            self._add_views(node)
            for out in node.outputs:
                self._touch_below(out)
        owner = new.owner
        if (
            owner is not None
            and node in self.level
            and self.level.get(owner, -1) >= self.level[node]
        ):
            if self._raise_levels(node, self.level[owner] + 1, owner):
                self._levels_ok = False  # a cycle through ordering edges: validate refuses

    # -- levels ----------------------------------------------------------------------
    def _base_level(self, node: Apply) -> int:
        lv = -1
        for inp in node.inputs:
            owner = inp.owner
            if owner is not None:
                lv = max(lv, self.level.get(owner, -1))
        return lv + 1

    def _raise_levels(self, start: Apply, new_level: int, source: Apply) -> bool:
        """Raise ``start`` to ``new_level`` and what follows it; True if ``source`` is reached."""
        fg = self.fgraph
        level = self.level
        level[start] = new_level
        limit = new_level + len(fg.apply_nodes) + 1  # longer paths only exist in a cycle
        stack = [start]
        while stack:
            n = stack.pop()
            nl = level[n] + 1
            if nl > limit:
                return True
            succs: list[Apply] = []
            for out in n.outputs:
                for client, _ in fg.clients.get(out, ()):
                    if not _is_output_client(client):
                        succs.append(client)
            succs.extend(self._succ.get(n, ()))
            for s in succs:
                if s is source:
                    return True
                if level.get(s, -1) < nl:
                    level[s] = nl
                    stack.append(s)
        return False

    def _recompute_levels(self, fgraph: FunctionGraph) -> None:
        """Levels from scratch over data and ordering edges (raises on a cycle)."""
        orderings = {d: list(rs) for d, rs in self._readers_of.items() if rs}
        try:
            order = io_toposort(fgraph.inputs, fgraph.outputs, orderings)
        except ValueError as exc:
            raise InconsistencyError(
                "an in-place operation would have to run before a node that needs the value "
                f"it overwrites ({exc})"
            ) from exc
        self.level = {}
        for node in order:
            lv = self._base_level(node)
            for r in orderings.get(node, ()):
                lv = max(lv, self.level.get(r, -1) + 1)
            self.level[node] = lv
        self._levels_ok = True

    def _set_readers(self, d: Apply, readers: list[Apply]) -> list[tuple[Apply, Apply]]:
        """Replace ``d``'s ordering edges; return the edges that are new."""
        old = self._readers_of.get(d, [])
        for r in old:
            cnt = self._succ.get(r)
            if cnt is not None and d in cnt:
                cnt[d] -= 1
                if cnt[d] <= 0:
                    del cnt[d]
                if not cnt:
                    del self._succ[r]
        self._readers_of[d] = readers
        old_set = set(old)
        added = []
        for r in readers:
            self._succ.setdefault(r, {})
            self._succ[r][d] = self._succ[r].get(d, 0) + 1
            if r not in old_set:
                added.append((r, d))
        return added

    def _forget_destroyer(self, d: Apply) -> None:
        self._set_readers(d, [])
        self._readers_of.pop(d, None)
        for r in self._roots_of.pop(d, ()):
            ds = self._root_destroyers.get(r)
            if ds is not None:
                ds.discard(d)
                if not ds:
                    del self._root_destroyers[r]
        self._valid = False

    # -- queries ---------------------------------------------------------------------
    def _protected(self, fgraph: FunctionGraph, var: Variable) -> str | None:
        """Why ``var`` (a root) may not be destroyed, or None."""
        if isinstance(var, Constant):
            return f"{var} is a constant"
        mutable = getattr(fgraph, "mutable_inputs", None) or ()
        if var in mutable:
            return None
        if var.owner is None:
            if var in fgraph.inputs:
                return f"{var} is an input of the function"
            if getattr(var, "_is_shared_variable", False):
                return f"{var} is a shared variable"
            return f"{var} is a graph input"
        return None

    def destroyers_of(self, var: Variable) -> list[Apply]:
        """Nodes destroying ``var``'s memory (through any view)."""
        self._refresh_quietly()
        out: list[Apply] = []
        for r in self.root(var):
            for node in self._root_destroyers.get(r, ()):
                if node not in out:
                    out.append(node)
        return out

    def has_destroyers(self, variables: Iterable[Variable]) -> bool:
        """True when the memory of any of ``variables`` is destroyed by some node."""
        return any(self.destroyers_of(v) for v in variables)

    def destroyable(self, fgraph: FunctionGraph, var: Variable) -> bool:
        """Cheap pre-check for inplace rewriters: may some new node destroy ``var``?

        False when ``var`` views a protected value, a graph output, or a value already
        destroyed. (Validation after the replacement remains the final word.)
        """
        self._refresh_quietly()
        for r in self.root(var):
            if self._protected(fgraph, r) is not None or self._root_destroyers.get(r):
                return False
            for v in self.view_tree(r):
                if any(_is_output_client(c) for c, _ in fgraph.clients.get(v, ())):
                    return False
        return True

    # -- validation and order --------------------------------------------------------
    def _check(self, fgraph: FunctionGraph, node: Apply) -> tuple[list[Variable], list[Apply]]:
        """The roots ``node`` destroys and the readers that must run before it.

        Raises InconsistencyError for a protected root or a destroyed graph output.
        """
        roots: list[Variable] = []
        readers: list[Apply] = []
        for o, ins in node.op.destroy_map.items():
            for i in ins:
                for root in self.root(node.inputs[i]):
                    why = self._protected(fgraph, root)
                    if why is not None:
                        raise InconsistencyError(f"{node.op} would overwrite its input {i}: {why}")
                    if root not in roots:
                        roots.append(root)
                    readers += self._readers(fgraph, node, i, node.outputs[o], root)
        return roots, readers

    def _readers(self, fgraph, node, i, out_var, root) -> list[Apply]:
        """Nodes that read ``root``'s memory and so must run before ``node`` destroys it."""
        tolerated = set(getattr(node.op, "destroyhandler_tolerate_same", ()) or ())
        tolerated |= set(getattr(node.op, "destroyhandler_tolerate_aliased", ()) or ())
        readers: list[Apply] = []
        for v in self.view_tree(root, stop=[out_var]):
            if v is out_var:
                continue
            for client, j in fgraph.clients.get(v, ()):
                if _is_output_client(client):
                    raise InconsistencyError(
                        f"{node.op} would overwrite {v}, which is an output of the function"
                    )
                if client is not node:
                    readers.append(client)
                elif j != i and (i, j) not in tolerated:
                    raise InconsistencyError(
                        f"{node.op} would overwrite input {i} while also reading the same memory "
                        f"as input {j}"
                    )
        return readers

    def _update(self, fgraph: FunctionGraph) -> None:
        """Re-check the destroyers whose surroundings changed; queue new ordering edges."""
        affected = {d for d in self._dirty_nodes if d in self.destroyer_nodes}
        for r in self._dirty_roots:
            affected.update(self._root_destroyers.get(r, ()))
        for d in affected:
            if d not in fgraph.apply_nodes:
                continue
            roots, readers = self._check(fgraph, d)
            for r in self._roots_of.get(d, ()):
                ds = self._root_destroyers.get(r)
                if ds is not None:
                    ds.discard(d)
                    if not ds:
                        del self._root_destroyers[r]
            self._roots_of[d] = roots
            for r in roots:
                self._root_destroyers.setdefault(r, set()).add(d)
            self._unchecked += self._set_readers(d, readers)
        for d in affected:
            for r in self._roots_of.get(d, ()):
                ds = self._root_destroyers.get(r, ())
                if len(ds) > 1:
                    a, b = sorted(ds, key=lambda n: str(n.op))[:2]
                    raise InconsistencyError(
                        f"{a.op} and {b.op} would both overwrite the memory of {r}"
                    )
        self._dirty_nodes.clear()
        self._dirty_roots.clear()

    def _refresh_quietly(self) -> None:
        if self._valid or self.fgraph is None:
            return
        try:
            self._update(self.fgraph)
        except InconsistencyError:
            pass

    def validate(self, fgraph: FunctionGraph) -> bool:
        if self._valid:
            return True
        # On InconsistencyError the change is rolled back and its events mark the same
        # places dirty again; edges not yet level-checked stay queued.
        self._update(fgraph)
        if not self._levels_ok:
            self._recompute_levels(fgraph)
            self._unchecked = []
        level = self.level
        while self._unchecked:
            r, d = self._unchecked[-1]
            if d in self._succ.get(r, ()) and level.get(r, -1) >= level.get(d, -1):
                if self._raise_levels(d, level[r] + 1, r):
                    self._levels_ok = False
                    raise InconsistencyError(
                        f"{d.op} overwrites a value that {r.op} needs, but {r.op} depends "
                        f"on {d.op}'s result: no order of the nodes can satisfy both"
                    )
            self._unchecked.pop()
        self._valid = True
        return True

    def orderings(self, fgraph: FunctionGraph) -> dict[Apply, list[Apply]]:
        if not self.destroyer_nodes:
            return {}
        self._refresh_quietly()
        return {d: list(rs) for d, rs in self._readers_of.items() if rs and d in fgraph.apply_nodes}


def attach_destroy_handler(fgraph: FunctionGraph) -> Any:
    """Attach a ``DestroyHandler`` to ``fgraph`` unless one is there; return it."""
    dh = getattr(fgraph, "destroy_handler", None)
    if dh is None:
        dh = DestroyHandler()
        fgraph.attach_feature(dh)
    return dh
