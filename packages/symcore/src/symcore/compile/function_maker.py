"""``FunctionMaker``: turns input/output specs into a rewritten, linked ``Function``.

Steps (Theano's): check the inputs are used and every needed input is given; build a
``FunctionGraph`` whose outputs are the user outputs followed by the update expressions
(``fgraph.update_mapping`` maps such an output to the input it updates); refuse in-place
Ops unless ``accept_inplace``; mark the inputs the graph may overwrite
(``fgraph.mutable_inputs``); run ``mode.optimizer.rewrite(fgraph)``; ask
``mode.linker.make_thunk(fgraph)`` for the callable; plan the defensive copies.

The linker interface is deliberately narrow: ``make_thunk(fgraph)`` returns
``run(values) -> outputs`` where ``values`` is a list with one value per
``fgraph.inputs`` and ``outputs`` a new list with one value per ``fgraph.outputs``
(the caller may modify that list). Values returned must not be reused by later calls;
a backend that reuses output buffers sets ``run.reuses_output_storage = True`` and
``Function`` then copies every output it returns.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from symcore.compile.aliasing import copy_plan
from symcore.compile.io import Container, In, SymbolicInput, SymbolicOutput
from symcore.graph.basic import Constant, Variable, ancestors
from symcore.graph.fg import FunctionGraph, InconsistencyError, MissingInputError
from symcore.graph.utils import format_trace

__all__ = ["FunctionMaker", "UnusedInputError", "resolve_mode", "linker_of"]


class UnusedInputError(Exception):
    """An input of ``function`` is not needed to compute its outputs or updates."""


# ---------------------------------------------------------------------------------------
# Modes
# ---------------------------------------------------------------------------------------


class _ReferenceMode:
    """Used while ``symcore.compile.mode`` does not exist: no rewrites, reference linker."""

    optimizer = None

    def __init__(self) -> None:
        from symcore.link.reference import ReferenceLinker

        self.linker = ReferenceLinker()

    def __repr__(self) -> str:
        return "Mode(linker=py, optimizer=None)"


class _LinkerOnlyMode:
    """What an unpickled or copied function keeps of a custom mode: its linker."""

    optimizer = None

    def __init__(self, linker: Any) -> None:
        self.linker = linker

    def __repr__(self) -> str:
        return f"Mode(linker={self.linker!r}, optimizer=None)"


def resolve_mode(mode: Any) -> Any:
    """The mode object for ``mode`` (None, a name or a Mode) via ``symcore.compile.mode``."""
    if isinstance(mode, _LinkerOnlyMode):
        return mode
    try:
        from symcore.compile.mode import get_mode
    except ModuleNotFoundError as exc:
        if exc.name != "symcore.compile.mode":
            raise
        if mode is None or isinstance(mode, str):
            return _ReferenceMode()
        return mode
    return get_mode(mode)


def linker_of(mode: Any) -> Any:
    """The linker object of ``mode`` (a ``"py"`` string means the reference linker)."""
    linker = getattr(mode, "linker", None)
    if linker is None or linker == "py":
        from symcore.link.reference import ReferenceLinker

        return ReferenceLinker()
    if not hasattr(linker, "make_thunk"):
        raise TypeError(f"The linker {linker!r} of mode {mode!r} has no make_thunk(fgraph) method")
    return linker


def _run_optimizer(optimizer: Any, fgraph: FunctionGraph) -> None:
    if optimizer is None:
        return
    for meth in ("rewrite", "optimize"):
        fn = getattr(optimizer, meth, None)
        if fn is not None:
            fn(fgraph)
            return
    if callable(optimizer):
        optimizer(fgraph)
        return
    raise TypeError(f"The optimizer {optimizer!r} has no rewrite(fgraph) method")


# ---------------------------------------------------------------------------------------
# Checks on the user graph
# ---------------------------------------------------------------------------------------


def _check_missing_and_unused(
    inputs: Sequence[SymbolicInput], outputs: Sequence[Variable], on_unused_input: str
) -> None:
    in_vars = [i.variable for i in inputs]
    blockers = set(in_vars)
    targets = list(outputs) + [i.update for i in inputs if i.update is not None]
    used = set()
    for v in ancestors(targets, blockers):
        if v.owner is None or v in blockers:
            used.add(v)
            if (
                v not in blockers
                and not isinstance(v, Constant)
                and not getattr(v, "_is_shared_variable", False)
            ):
                _raise_missing(v, targets, blockers)
    for idx, i in enumerate(inputs):
        if i.variable in used or getattr(i, "implicit", False):
            continue
        msg = (
            "symcore.function was asked to create a function computing outputs given certain "
            f"inputs, but the provided input variable at index {idx} ({i.variable}, "
            f"{i.variable.type}) is not part of the computational graph needed to compute "
            "the outputs. To make this error into a warning, pass on_unused_input='warn' to "
            "symcore.function; to disable it completely, use on_unused_input='ignore'."
        )
        if on_unused_input == "raise":
            raise UnusedInputError(msg)
        if on_unused_input == "warn":
            warnings.warn(msg, stacklevel=4)
        elif on_unused_input != "ignore":
            raise ValueError(
                f"on_unused_input must be 'raise', 'warn' or 'ignore', not {on_unused_input!r}"
            )


def _raise_missing(var: Variable, targets: Sequence[Variable], blockers: set) -> None:
    user = None
    for v in ancestors(targets, blockers):
        node = v.owner
        if node is not None and v not in blockers and any(inp is var for inp in node.inputs):
            user = node
            break
    where = ""
    trace = getattr(var.tag, "trace", None)
    if trace:
        where += "\nThe variable was created at:\n" + format_trace(trace)
    if user is not None:
        where += f"\nIt is used by {user}, built at:\n" + format_trace(
            getattr(user.tag, "trace", [])
        )
    raise MissingInputError(
        f"Input {var} ({var.type}) is needed to compute the outputs but was not provided as an "
        "input of the function (pass it in the inputs list, or replace it with givens=)." + where,
        variable=var,
    )


def _check_inplace(fgraph: FunctionGraph, accept_inplace: bool) -> None:
    for node in fgraph.apply_nodes:
        if getattr(node.op, "destroy_map", None):
            if not accept_inplace:
                raise TypeError(
                    f"Graph must not contain in-place operations: {node.op} overwrites its input "
                    "(destroy_map). Pass accept_inplace=True to symcore.function to allow it."
                )
            try:
                from symcore.rewriting.destroyhandler import DestroyHandler
            except ImportError:
                return
            if getattr(fgraph, "destroy_handler", None) is None:
                fgraph.attach_feature(DestroyHandler())
            try:
                fgraph.validate()
            except InconsistencyError as exc:
                raise InconsistencyError(
                    f"The graph given to symcore.function has an unsafe in-place operation: {exc}. "
                    "An input may be overwritten only when declared In(x, mutable=True), a shared "
                    "variable only when the function updates it."
                ) from exc
            return


# ---------------------------------------------------------------------------------------
# The maker
# ---------------------------------------------------------------------------------------


class FunctionMaker:
    """Builds the rewritten FunctionGraph and the thunk for given input/output specs.

    ``inputs``: ``SymbolicInput``/``In`` specs, explicit ones first (positional arguments),
    then implicit ones (shared variables and In(implicit=True)); ``outputs``:
    ``SymbolicOutput`` specs. Attributes after construction: ``fgraph`` (rewritten),
    ``mode``, ``linker``, ``inputs``, ``outputs``, ``thunk``, ``copy_outputs``.
    """

    def __init__(
        self,
        inputs: Sequence[SymbolicInput],
        outputs: Sequence[SymbolicOutput],
        mode: Any = None,
        accept_inplace: bool = False,
        name: str | None = None,
        profile: Any = None,
        on_unused_input: str | None = None,
        output_keys: Sequence[Any] | None = None,
        return_kind: str = "list",
        fgraph: FunctionGraph | None = None,
        display_name: str | None = None,
    ) -> None:
        from symcore.config import config

        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.name = name
        self.display_name = display_name or name or "<symcore function>"
        self.profile = profile
        self.output_keys = list(output_keys) if output_keys is not None else None
        self.return_kind = return_kind
        self.accept_inplace = accept_inplace
        self.on_unused_input = on_unused_input or config.on_unused_input
        self.mode_spec = mode
        self.mode = resolve_mode(mode)
        self.linker = linker_of(self.mode)
        if fgraph is None:
            fgraph = self._build_fgraph()
            _run_optimizer(getattr(self.mode, "optimizer", None), fgraph)
        self.fgraph = fgraph
        self._link()

    # -- building ----------------------------------------------------------------------
    def _build_fgraph(self) -> FunctionGraph:
        seen: dict[Variable, int] = {}
        for idx, i in enumerate(self.inputs):
            if i.variable in seen:
                raise ValueError(
                    f"Variable {i.variable} is used twice in the inputs of symcore.function, at "
                    f"indices {seen[i.variable]} and {idx}; the value given for one would be "
                    "ignored. Do not duplicate variables in the inputs list."
                )
            seen[i.variable] = idx
        out_vars = [o.variable for o in self.outputs]
        _check_missing_and_unused(self.inputs, out_vars, self.on_unused_input)
        n_out = len(out_vars)
        update_mapping: dict[int, int] = {}
        graph_outs = list(out_vars)
        for idx, i in enumerate(self.inputs):
            if i.update is not None:
                update_mapping[len(graph_outs)] = idx
                graph_outs.append(i.update)
        fgraph = FunctionGraph(
            [i.variable for i in self.inputs], graph_outs, clone=True, update_mapping=update_mapping
        )
        assert len(fgraph.outputs) >= n_out
        fgraph.mutable_inputs = {
            fgraph.inputs[idx]
            for idx, i in enumerate(self.inputs)
            if i.mutable or (i.update is not None and _is_shared_input(i))
        }
        _check_inplace(fgraph, self.accept_inplace)
        if self.profile is not None:
            fgraph.profile = self.profile
        return fgraph

    def _link(self) -> None:
        fgraph = self.fgraph
        n_user = len(self.outputs)
        self.thunk = self.linker.make_thunk(fgraph)
        borrowable = [
            fgraph.inputs[idx]
            for idx, i in enumerate(self.inputs)
            if i.borrow and not _is_shared_input(i)
        ]
        if getattr(self.thunk, "reuses_output_storage", False):
            self.copy_outputs = [
                k for k in range(len(fgraph.outputs)) if k >= n_user or not self.outputs[k].borrow
            ]
        else:
            self.copy_outputs = copy_plan(
                fgraph, n_user, [o.borrow for o in self.outputs], borrowable, fgraph.update_mapping
            )

    # -- containers and the Function -----------------------------------------------------
    def make_containers(self, defaults: Sequence[Any] | None = None) -> list[Container]:
        """One storage cell per input: shared cells, given containers, or fresh defaults."""
        containers = []
        for idx, i in enumerate(self.inputs):
            value = getattr(i, "value", None)
            if defaults is not None and defaults[idx] is not None:
                value = defaults[idx]
            if isinstance(value, Container):
                containers.append(value)
            elif getattr(value, "_is_shared_variable", False):
                containers.append(value.container)
            else:
                c = Container(
                    i.variable.type, name=i.name, strict=i.strict, allow_downcast=i.allow_downcast
                )
                if value is not None:
                    try:
                        c.value = value
                    except TypeError as exc:
                        raise TypeError(
                            f"Default value of input {i.name or i.variable} (index {idx}): {exc}"
                        ) from exc
                containers.append(c)
        return containers

    def create(self, defaults: Sequence[Any] | None = None, input_storage=None):
        """A callable ``Function`` over this maker's graph (``defaults``: per-input values)."""
        from symcore.compile.function_runtime import Function

        containers = input_storage if input_storage is not None else self.make_containers(defaults)
        return Function(self, containers)

    # -- copies and pickling -------------------------------------------------------------
    def clone(
        self, swap: dict | None = None, delete_updates: bool = False, name: str | None = None
    ):
        """A maker over a copy of the rewritten graph (shared variables swapped as asked)."""
        state = self.__getstate__()
        if swap:
            _apply_swap(state, swap)
        if delete_updates:
            state = _drop_updates(state)
        if name is not None:
            state["name"] = name
            state["display_name"] = name
        new = FunctionMaker.__new__(FunctionMaker)
        new.__setstate__(state)
        return new

    def __getstate__(self) -> dict:
        """A flat description of the graph (no deep recursion when pickling long graphs)."""
        fgraph = self.fgraph
        table: dict[Variable, int] = {}
        var_objs: list[Any] = []

        def ref(v: Variable) -> int:
            r = table.get(v)
            if r is None:
                r = table[v] = len(var_objs)
                var_objs.append(v)  # ownerless: inputs, constants, orphan shared variables
            return r

        for v in fgraph.inputs:
            ref(v)
        nodes = []
        for node in fgraph.toposort():
            ins = [ref(v) for v in node.inputs]
            outs = []
            for o in node.outputs:
                cp = o.clone()
                table[o] = len(var_objs)
                var_objs.append(None)
                outs.append((table[o], cp))
            nodes.append((node.op, ins, outs, node.tag))
        out_refs = [ref(v) for v in fgraph.outputs]
        specs = []
        for i in self.inputs:
            value = getattr(i, "value", None)
            specs.append(
                dict(
                    name=i.name,
                    value=value,
                    mutable=i.mutable,
                    strict=i.strict,
                    allow_downcast=i.allow_downcast,
                    implicit=i.implicit,
                    borrow=i.borrow,
                )
            )
        return dict(
            vars=var_objs,
            nodes=nodes,
            inputs=list(range(len(fgraph.inputs))),
            outputs=out_refs,
            update_mapping=dict(fgraph.update_mapping),
            mutable=[
                idx
                for idx, v in enumerate(fgraph.inputs)
                if v in getattr(fgraph, "mutable_inputs", ())
            ],
            specs=specs,
            out_borrow=[o.borrow for o in self.outputs],
            name=self.name,
            display_name=self.display_name,
            output_keys=self.output_keys,
            return_kind=self.return_kind,
            accept_inplace=self.accept_inplace,
            on_unused_input=self.on_unused_input,
            mode_spec=self._picklable_mode_spec(),
        )

    def _picklable_mode_spec(self) -> Any:
        """The mode by name when it has one, else only its linker (rewrites already ran)."""
        if self.mode_spec is None or isinstance(self.mode_spec, str):
            return self.mode_spec
        try:
            from symcore.compile.mode import predefined_modes
        except ImportError:
            predefined_modes = {}
        for mode_name, m in predefined_modes.items():
            if m is self.mode:
                return mode_name
        linker = getattr(self.mode, "raw_linker", None) or self.linker
        return _LinkerOnlyMode(linker)

    def __setstate__(self, state: dict) -> None:
        from symcore.graph.basic import Apply

        vars_ = list(state["vars"])
        for op, ins, outs, tag in state["nodes"]:
            node = Apply(op, [vars_[r] for r in ins], [cp for _, cp in outs])
            node.tag = tag
            for r, cp in outs:
                vars_[r] = cp
        f_inputs = [vars_[r] for r in state["inputs"]]
        f_outputs = [vars_[r] for r in state["outputs"]]
        fgraph = FunctionGraph(
            f_inputs, f_outputs, clone=False, update_mapping=state["update_mapping"]
        )
        fgraph.mutable_inputs = {f_inputs[idx] for idx in state["mutable"]}
        if any(getattr(n.op, "destroy_map", None) for n in fgraph.apply_nodes):
            from symcore.rewriting.destroyhandler import attach_destroy_handler

            attach_destroy_handler(fgraph)  # its orderings keep readers before in-place nodes
        update_of = {inp: out for out, inp in state["update_mapping"].items()}
        inputs = []
        for idx, spec in enumerate(state["specs"]):
            upd = f_outputs[update_of[idx]] if idx in update_of else None
            kind = In if (spec["value"] is not None or spec["implicit"]) else SymbolicInput
            if kind is In:
                i = In(
                    f_inputs[idx],
                    name=spec["name"],
                    value=spec["value"],
                    update=upd,
                    mutable=spec["mutable"],
                    strict=spec["strict"],
                    allow_downcast=spec["allow_downcast"],
                    autoname=False,
                    implicit=spec["implicit"],
                    borrow=spec["borrow"],
                )
            else:
                i = SymbolicInput(
                    f_inputs[idx],
                    name=spec["name"],
                    update=upd,
                    mutable=spec["mutable"],
                    strict=spec["strict"],
                    allow_downcast=spec["allow_downcast"],
                    autoname=False,
                    borrow=spec["borrow"],
                )
            inputs.append(i)
        n_user = len(state["out_borrow"])
        self.inputs = inputs
        self.outputs = [
            SymbolicOutput(f_outputs[k], borrow=b) for k, b in enumerate(state["out_borrow"])
        ]
        self.name = state["name"]
        self.display_name = state["display_name"]
        self.profile = None
        self.output_keys = state["output_keys"]
        self.return_kind = state["return_kind"]
        self.accept_inplace = state["accept_inplace"]
        self.on_unused_input = state["on_unused_input"]
        self.mode_spec = state["mode_spec"]
        self.mode = resolve_mode(self.mode_spec)
        self.linker = linker_of(self.mode)
        self.fgraph = fgraph
        assert len(self.outputs) == n_user
        self._link()


def _is_shared_input(i: SymbolicInput) -> bool:
    return getattr(i.variable, "_is_shared_variable", False)


def _apply_swap(state: dict, swap: dict) -> None:
    """Replace shared variables (inputs of the graph) by others of the same type."""
    by_container = {}
    for old, new in swap.items():
        if not getattr(old, "_is_shared_variable", False) or not getattr(
            new, "_is_shared_variable", False
        ):
            raise TypeError("swap= maps SharedVariables to SharedVariables")
        if old.type != new.type:
            raise TypeError(
                f"Type of the given SharedVariable {new} ({new.type}) conflicts with the original "
                f"one {old} ({old.type})"
            )
        by_container[id(old.container)] = new
    vars_ = state["vars"]
    for r in state["inputs"]:
        v = vars_[r]
        if getattr(v, "_is_shared_variable", False) and id(v.container) in by_container:
            vars_[r] = by_container[id(v.container)].clone()
    for spec in state["specs"]:
        value = spec["value"]
        if getattr(value, "_is_shared_variable", False) and id(value.container) in by_container:
            spec["value"] = by_container[id(value.container)]
        elif isinstance(value, Container) and id(value) in by_container:
            spec["value"] = by_container[id(value)].container


def _drop_updates(state: dict) -> dict:
    """The same graph without its update outputs (nodes only they used are dropped)."""
    n_user = len(state["out_borrow"])
    state = dict(state)
    state["outputs"] = state["outputs"][:n_user]
    state["update_mapping"] = {}
    # keep only the nodes the remaining outputs need
    needed = set(state["outputs"])
    kept = []
    for op, ins, outs, tag in reversed(state["nodes"]):
        if any(r in needed for r, _ in outs):
            kept.append((op, ins, outs, tag))
            needed.update(ins)
    state["nodes"] = list(reversed(kept))
    return state
