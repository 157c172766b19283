"""The ``Scan`` Op: a loop whose body is an inner graph, compiled once and run per step.

See :mod:`symcore.scan.info` for how inputs and outputs are grouped. ``store_steps`` has
one entry per traced output (mit_sot, sit_sot, nit_sot): ``-1`` keeps every step's
result; ``k >= 1`` keeps only the last ``k`` (the output then has ``min(k, n_steps)``
rows) and the loop runs in a circular buffer of about that size — the memory-saving
rewrite sets it when only the last results are read.

Backends: the step graph is ``op.fgraph`` (inner inputs/outputs in the order of
``op.info``); ``op.inner_function()`` compiles it once with the active mode (the scan's
``mode`` or ``config.mode``) and returns the linker's ``run(values) -> outputs``.
:meth:`Scan.perform` runs the loop (``symcore.scan.loop.run_scan``): the steps go to a
backend's compiled loop when one is registered with ``symcore.scan.loop.set_loop_driver``
(the C backend registers one in ``sym_backend_c.ops.scan``), else to a Python loop. A
backend that wants to emit the whole loop itself (the step's code inlined) can register an
implementation for ``Scan`` reading ``op.step_layout()`` (info, storage, inner graph).
"""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Apply, Variable, ancestors
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import Op
from symcore.graph.utils import MethodNotDefined
from symcore.scan.info import ScanInfo
from symcore.scan.utils import elem_type, seq_type

__all__ = ["Scan", "ScanInfo"]


class Scan(Op):
    """A symbolic loop. Build it with :func:`symcore.scan`, not directly.

    ``Scan(inner_inputs, inner_outputs, info, store_steps=None, truncate_gradient=-1,
    mode=None, name=None)``: the inner graph is copied into ``self.fgraph``.
    """

    __props__ = ("info", "fgraph", "store_steps", "truncate_gradient", "mode", "name")

    def __init__(
        self,
        inputs: list[Variable],
        outputs: list[Variable],
        info: ScanInfo,
        store_steps: tuple[int, ...] | None = None,
        truncate_gradient: int = -1,
        mode: Any = None,
        name: str | None = None,
        allow_gc: bool | None = None,
        profile: Any = False,
        fgraph: FunctionGraph | None = None,
    ) -> None:
        if fgraph is None:
            fgraph = FunctionGraph(list(inputs), list(outputs), clone=True)
        self.fgraph = fgraph
        self.info = info
        if store_steps is None:
            store_steps = (-1,) * info.n_traced
        store_steps = tuple(int(s) for s in store_steps)
        if len(store_steps) != info.n_traced or any(s == 0 or s < -1 for s in store_steps):
            raise ValueError(
                f"Scan: store_steps {store_steps} must have {info.n_traced} entries, "
                "each -1 (all) or >= 1"
            )
        self.store_steps = store_steps
        self.truncate_gradient = int(truncate_gradient)
        self.mode = mode
        self.name = name
        self.allow_gc = allow_gc
        self.profile = profile
        self._compiled: dict[Any, Any] = {}
        self._check_inner()

    # -- inner graph ---------------------------------------------------------------------
    @property
    def inner_inputs(self) -> list[Variable]:
        return self.fgraph.inputs

    @property
    def inner_outputs(self) -> list[Variable]:
        return self.fgraph.outputs

    def _check_inner(self) -> None:
        info = self.info
        ins, outs = self.inner_inputs, self.inner_outputs
        if len(ins) != info.n_inner_inputs or len(outs) != info.n_inner_outputs:
            raise ValueError(
                f"Scan: the inner graph has {len(ins)} inputs and {len(outs)} outputs but "
                f"{info.describe()} needs {info.n_inner_inputs} and {info.n_inner_outputs}"
            )
        io = info.inner_out()
        for j, grp in enumerate(info.sot_in_groups()):
            out = outs[io["mit_sot"].start + j]
            for k in grp:
                if ins[k].type != out.type:
                    raise TypeError(
                        f"Scan {self.name or ''}: the step output {j} ({out.type}) must have the "
                        f"type of its state ({ins[k].type})"
                    )
        for k, j in zip(io["shared"], info.inner_in()["shared"], strict=True):
            if ins[j].type != outs[k].type:
                raise TypeError(
                    f"Scan: untraced state {k - io['shared'].start} has type "
                    f"{ins[j].type} but the step returns {outs[k].type}"
                )
        if info.as_while:
            cond = outs[-1]
            if getattr(cond.type, "ndim", None) != 0:
                raise TypeError(f"Scan: the until condition must be a scalar, got {cond.type}")

    def __str__(self) -> str:
        extra = []
        if any(s != -1 for s in self.store_steps):
            extra.append(f"store={list(self.store_steps)}")
        if self.truncate_gradient != -1:
            extra.append(f"truncate_gradient={self.truncate_gradient}")
        if self.info.as_while:
            extra.append("while")
        inner = ", ".join([self.name or "scan_fn", *extra])
        return f"Scan{{{inner}}}"

    __repr__ = __str__

    def clone_with(self, **changes: Any) -> Scan:
        """A copy of this Op with some properties changed (the inner graph is shared)."""
        kw = dict(
            info=self.info,
            store_steps=self.store_steps,
            truncate_gradient=self.truncate_gradient,
            mode=self.mode,
            name=self.name,
            allow_gc=self.allow_gc,
            profile=self.profile,
            fgraph=self.fgraph,
        )
        kw.update(changes)
        if "fgraph" not in changes and "info" in changes and changes["info"] != self.info:
            raise ValueError("clone_with: a new info needs a new inner graph")
        return Scan([], [], **kw)

    # -- building ------------------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        from symcore.tensor.basic import as_tensor_variable

        info = self.info
        inputs = [i if isinstance(i, Variable) else as_tensor_variable(i) for i in inputs]
        if len(inputs) != info.n_outer_inputs:
            raise ValueError(
                f"{self}: expected {info.n_outer_inputs} inputs ({info.describe()} "
                f"and n_steps), got {len(inputs)}"
            )
        n_steps = inputs[0]
        if getattr(n_steps.type, "ndim", None) != 0 or n_steps.type.dtype[:3] not in ("int", "uin"):
            raise TypeError(f"{self}: n_steps must be an integer scalar, got {n_steps.type}")
        oi, ii = info.outer_in(), self.inner_inputs
        inner_in = info.inner_in()
        for k, j in zip(oi["seqs"], inner_in["seqs"], strict=True):
            self._check_outer(
                inputs, k, elem_type(inputs[k].type) if inputs[k].ndim else None, ii[j], "sequence"
            )
        for k, grp in zip(oi["mit_mot"], info.mit_mot_in_groups(), strict=True):
            for j in grp:
                self._check_outer(
                    inputs,
                    k,
                    elem_type(inputs[k].type) if inputs[k].ndim else None,
                    ii[j],
                    "mit_mot buffer",
                )
        for k, grp in zip(
            list(oi["mit_sot"]) + list(oi["sit_sot"]), info.sot_in_groups(), strict=True
        ):
            for j in grp:
                self._check_outer(
                    inputs,
                    k,
                    elem_type(inputs[k].type) if inputs[k].ndim else None,
                    ii[j],
                    "initial state",
                )
        for k, j in zip(
            list(oi["shared"]) + list(oi["non_seqs"]),
            list(inner_in["shared"]) + list(inner_in["non_seqs"]),
            strict=True,
        ):
            if inputs[k].type != ii[j].type:
                try:
                    inputs[k] = ii[j].type.filter_variable(inputs[k])
                except TypeError as exc:
                    raise TypeError(
                        f"{self}: outer input {k} ({inputs[k]}, {inputs[k].type}) does "
                        f"not match the step's input of type {ii[j].type}"
                    ) from exc
        outputs = []
        for k in oi["mit_mot"]:
            outputs.append(seq_type(elem_type(inputs[k].type))())
        io = info.inner_out()
        for j in range(info.n_sot):
            outputs.append(seq_type(self.inner_outputs[io["mit_sot"].start + j].type)())
        for j in io["nit_sot"]:
            outputs.append(seq_type(self.inner_outputs[j].type)())
        for k in oi["shared"]:
            outputs.append(inputs[k].type())
        return Apply(self, inputs, outputs)

    def _check_outer(self, inputs, k, etype, inner, what) -> None:
        outer = inputs[k]
        if etype is None or etype.dtype != inner.type.dtype or etype.ndim != inner.type.ndim:
            raise TypeError(
                f"{self}: the {what} {outer} has type {outer.type}; its entries must have the "
                f"step input's dtype {getattr(inner.type, 'dtype', '?')} and "
                f"{getattr(inner.type, 'ndim', '?')} dimensions"
            )

    # -- compiling the step --------------------------------------------------------------
    def _mode_key(self):
        from symcore.config import config

        return (
            id(self.mode) if not isinstance(self.mode, (str, type(None))) else self.mode,
            config.mode,
            config.linker,
            config.device,
            config.optimizer,
        )

    def mutable_inner_inputs(self) -> frozenset[int]:
        """Positions of the inner inputs the step may overwrite:

        * the untraced (shared) tensor states: the loop owns the array it passes there (a
          copy of the initial value, then the step's own result), so in-place rewrites may
          update it (a gradient accumulator ``acc + outer(x, d)`` becomes one in-place
          ``Ger`` per step);
        * the mit_mot taps whose row the same step writes (an offset that is also one of
          the mit_mot's output offsets): the loop's copy of the buffer is read through
          them and the row is overwritten by the step's value anyway (``d + dot(U, g)``
          computed in the row: ``Gemv``/``Gemm`` in place)."""
        from symcore.tensor.type import TensorType

        info, ins = self.info, self.inner_inputs
        out = {k for k in info.inner_in()["shared"] if isinstance(ins[k].type, TensorType)}
        for j, grp in enumerate(info.mit_mot_in_groups()):
            written = set(info.mit_mot_out_taps[j])
            for k, off in zip(grp, info.mit_mot_in_taps[j], strict=True):
                if off in written and isinstance(ins[k].type, TensorType):
                    out.add(k)
        return frozenset(out)

    def inner_function(self):
        """The compiled step (a ``symcore.function`` of the inner graph), compiled once per
        mode; ``fn.maker.thunk(values)`` runs one step without argument checks.

        The untraced tensor states are compiled as mutable inputs
        (``mutable_inner_inputs``); ``fn.scan_destroyed`` is the set of those the rewritten
        step really overwrites. A loop must pass there an array nothing else holds or views
        (see ``symcore.scan.loop``) and may keep the step's result as the next value only
        when it is the array it passed or a fresh array no other output shares."""
        key = self._mode_key()
        fn = self._compiled.get(key)
        if fn is None:
            from symcore.compile.function import function
            from symcore.compile.io import In

            mutable = self.mutable_inner_inputs()
            fn = function(
                [
                    In(v, borrow=True, mutable=k in mutable)
                    for k, v in enumerate(self.inner_inputs)
                ],
                list(self.inner_outputs),
                mode=self.mode,
                on_unused_input="ignore",
                name=f"scan step {self.name or ''}".strip(),
            )
            fn.scan_destroyed = _destroyed_inputs(fn.maker.fgraph, mutable)
            self._compiled[key] = fn
        return fn

    def prepare_node(self, node, storage_map=None, compute_map=None, impl=None) -> None:
        self.inner_function()

    def __getstate__(self):
        d = self.__dict__.copy()
        d["_compiled"] = {}
        return d

    def step_layout(self) -> dict[str, Any]:
        """What a backend needs to emit the loop: the info, store sizes and inner graph."""
        return {
            "info": self.info,
            "store_steps": self.store_steps,
            "fgraph": self.fgraph,
            "inner_inputs": self.inner_inputs,
            "inner_outputs": self.inner_outputs,
        }

    def do_constant_folding(self, fgraph, node) -> bool:
        return False

    # -- running -------------------------------------------------------------------------
    def perform(self, node: Apply, inputs, output_storage, params=None) -> None:
        from symcore.scan.loop import run_scan

        outs = run_scan(self, node, inputs)
        for cell, value in zip(output_storage, outs, strict=True):
            cell[0] = value

    # -- analysis ------------------------------------------------------------------------
    def infer_shape(self, node: Apply, input_shapes):
        from symcore.scan.shapes import scan_infer_shape

        return scan_infer_shape(self, node, input_shapes)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        cached = getattr(node.tag, "connection_pattern", None)
        if cached is not None:
            return cached
        from symcore.scan.shapes import scan_connection_pattern

        pat = scan_connection_pattern(self)
        node.tag.connection_pattern = pat
        return pat

    def L_op(self, inputs, outputs, output_grads):
        from symcore.scan.grad import scan_L_op

        return scan_L_op(self, inputs, outputs, output_grads)

    def R_op(self, inputs, eval_points):
        from symcore.scan.grad import scan_R_op

        res = scan_R_op(self, inputs, eval_points)
        if res is None:
            raise MethodNotDefined("Scan.R_op: mit_mot states (use the Lop trick)")
        return res


def _destroyed_inputs(fgraph, candidates) -> frozenset[int]:
    """Positions among ``candidates`` of the inputs of the compiled ``fgraph`` that some
    node overwrites (through any view of them)."""
    if not candidates:
        return frozenset()
    dh = getattr(fgraph, "destroy_handler", None)
    if dh is not None:
        return frozenset(k for k in candidates if dh.destroyers_of(fgraph.inputs[k]))
    # no handler attached: follow view_map / destroy_map back to the inputs
    roots: dict[Variable, set[Variable]] = {}
    hit: set[Variable] = set()

    def root(v: Variable) -> set[Variable]:
        r = roots.get(v)
        return r if r is not None else {v}

    for node in fgraph.toposort():
        vm = dict(getattr(node.op, "view_map", None) or {})
        dm = getattr(node.op, "destroy_map", None) or {}
        for o, ins in dm.items():
            vm[o] = list(vm.get(o, [])) + list(ins)
            for i in ins:
                hit |= root(node.inputs[i])
        for o, ins in vm.items():
            roots[node.outputs[o]] = set().union(*(root(node.inputs[i]) for i in ins))
    return frozenset(k for k in candidates if fgraph.inputs[k] in hit)


def inner_depends(fgraph_outputs: list[Variable], inner_inputs: list[Variable]) -> list[set[int]]:
    """For each inner output, the positions of the inner inputs it depends on."""
    pos = {v: i for i, v in enumerate(inner_inputs)}
    out = []
    for o in fgraph_outputs:
        out.append({pos[v] for v in ancestors([o], inner_inputs) if v in pos})
    return out
