"""``Composite``: a scalar op holding a graph of scalar ops (the result of elementwise fusion).

``Elemwise(Composite([x, y], [x + exp(y)]))`` computes ``x + exp(y)`` in one node; a backend
can emit one loop for it. Composites have value semantics (equal graphs are equal ops),
print as ``Composite{(i0 + exp(i1))}``, compute on whole arrays with NumPy, and are
differentiable (their inner graph is replayed and differentiated op by op).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Constant, Variable, io_toposort
from symcore.graph.type import DisconnectedType, NullType
from symcore.scalar import _dispatch as D
from symcore.scalar.op import ScalarOp, as_scalar_inputs
from symcore.scalar.type import ScalarType, discrete_dtypes, get_scalar_type

__all__ = ["Composite"]


class Composite(ScalarOp):
    """A scalar op computing ``outputs`` from ``inputs`` (scalar variables of one graph).

    The graph is copied: later changes to the variables passed in do not affect the op.
    Every free variable of the graph must be one of ``inputs`` or a constant.
    """

    __props__ = ("signature",)
    complex_grad_is_explicit = True  # each inner op applies the complex convention itself

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 name: str | None = None) -> None:
        inputs, outputs = list(inputs), list(outputs)
        for v in inputs + outputs:
            if not isinstance(v.type, ScalarType):
                raise TypeError(f"Composite: {v} has type {v.type}, expected a ScalarType variable")
        if len(set(map(id, inputs))) != len(inputs):
            raise ValueError("Composite: an input appears twice")
        self.nin = len(inputs)
        self.nout = len(outputs)
        self._build(inputs, outputs)
        self.name = name or self._make_name()

    # -- construction ------------------------------------------------------------------
    def _build(self, inputs: list[Variable], outputs: list[Variable]) -> None:
        """Copy the graph into fresh variables and compile it into a flat program."""
        nodes = io_toposort(inputs, outputs)
        slot: dict[Variable, int] = {}
        new_vars: list[Variable] = []
        new_inputs = []
        for v in inputs:
            nv = v.type()
            slot[v] = len(new_vars)
            new_vars.append(nv)
            new_inputs.append(nv)
        consts: list[tuple[int, Any]] = []
        program: list[tuple[ScalarOp, tuple[int, ...], tuple[int, ...], tuple[np.dtype, ...]]] = []
        sig_nodes = []
        for node in nodes:
            in_slots = []
            for i in node.inputs:
                if i not in slot:
                    if not isinstance(i, Constant):
                        raise ValueError(
                            f"Composite: {i} is used by {node.op} but is neither an input "
                            "nor a constant"
                        )
                    slot[i] = len(new_vars)
                    new_vars.append(i)
                    consts.append((slot[i], np.asarray(i.data)))
                in_slots.append(slot[i])
            new_node = node.op.make_node(*[new_vars[s] for s in in_slots])
            out_slots = []
            for o, no in zip(node.outputs, new_node.outputs, strict=True):
                slot[o] = len(new_vars)
                new_vars.append(no)
                out_slots.append(slot[o])
            program.append((node.op, tuple(in_slots), tuple(out_slots),
                            tuple(o.type.numpy_dtype for o in new_node.outputs)))
            sig_nodes.append((node.op, tuple(in_slots)))
        out_slots_all = []
        for o in outputs:
            if o not in slot:
                if not isinstance(o, Constant):
                    raise ValueError(
                        f"Composite: output {o} does not depend on the inputs and is not a constant"
                    )
                slot[o] = len(new_vars)
                new_vars.append(o)
                consts.append((slot[o], np.asarray(o.data)))
            out_slots_all.append(slot[o])
        self.inputs = new_inputs
        self.outputs = [new_vars[s] for s in out_slots_all]
        self._program = program
        self._consts = consts
        self._out_slots = tuple(out_slots_all)
        const_slots = {c for c, _ in consts}
        # outputs that would alias an input, a constant or another output are copied
        self._copy_out = tuple(
            s < len(new_inputs) or s in const_slots or s in out_slots_all[:k]
            for k, s in enumerate(out_slots_all)
        )
        self._n_slots = len(new_vars)
        self._vars = new_vars
        self.signature = (
            tuple(v.type.dtype for v in new_inputs),
            tuple((s, v.dtype.name, v.tobytes()) for s, v in consts),
            tuple(sig_nodes),
            self._out_slots,
        )

    def _make_name(self) -> str:
        memo: dict[int, str] = {id(v): f"i{k}" for k, v in enumerate(self.inputs)}

        def show(v: Variable) -> str:
            if id(v) in memo:
                return memo[id(v)]
            if isinstance(v, Constant):
                return str(v)
            node = v.owner
            args = [show(i) for i in node.inputs]
            op = node.op
            sym = getattr(op, "symbol", None)
            if sym and len(args) >= 2:
                s = "(" + f" {sym} ".join(args) + ")"
            elif sym and len(args) == 1:
                s = f"({sym}{args[0]})"
            else:
                s = f"{op}({', '.join(args)})"
            if len(node.outputs) > 1:
                s = f"{s}[{v.index}]"
            memo[id(v)] = s
            return s

        return "Composite{" + ", ".join(show(o) for o in self.outputs) + "}"

    @property
    def fgraph(self):
        """The inner graph as a FunctionGraph (not cloned; do not edit it)."""
        from symcore.graph.fg import FunctionGraph

        return FunctionGraph(self.inputs, self.outputs, clone=False)

    # -- types -------------------------------------------------------------------------
    def output_dtypes(self, *dtypes: str) -> list[str]:
        if tuple(dtypes) == self.signature[0]:
            return [o.type.dtype for o in self.outputs]
        return self.with_input_dtypes(dtypes).output_dtypes(*dtypes)

    def with_input_dtypes(self, dtypes: Sequence[str]) -> Composite:
        """This graph replayed on inputs of ``dtypes`` (output dtypes may change)."""
        new_inputs = [get_scalar_type(d)() for d in dtypes]
        env: dict[int, Variable] = dict(zip(range(self.nin), new_inputs, strict=True))
        for s, _ in self._consts:
            env[s] = self._vars[s]
        for op, ins, outs, _ in self._program:
            node = op.make_node(*[env[s] for s in ins])
            for s, o in zip(outs, node.outputs, strict=True):
                env[s] = o
        return Composite(new_inputs, [env[s] for s in self._out_slots])

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != self.nin:
            raise TypeError(f"{self} takes {self.nin} inputs, got {len(inputs)}")
        ins = as_scalar_inputs(*inputs)
        dts = tuple(i.type.dtype for i in ins)
        op = self if dts == self.signature[0] else self.with_input_dtypes(dts)
        return Apply(op, ins, [o.type() for o in op.outputs])

    # -- computing ---------------------------------------------------------------------
    def compute(self, *arrays: np.ndarray):
        vals: list[Any] = [None] * self._n_slots
        vals[: self.nin] = arrays
        for s, c in self._consts:
            vals[s] = c
        for op, ins, outs, dts in self._program:
            r = op.compute(*[vals[s] for s in ins])
            if len(outs) == 1:
                r = (r,)
            for s, v, dt in zip(outs, r, dts, strict=True):
                if getattr(v, "dtype", None) != dt:
                    v = np.asarray(v, dtype=dt)
                vals[s] = v
        res = []
        for s, copy in zip(self._out_slots, self._copy_out, strict=True):
            v = vals[s]
            if copy:
                shape = np.broadcast_shapes(*[np.shape(a) for a in arrays]) if arrays else ()
                v = np.broadcast_to(v, shape).copy()
            res.append(v)
        return res[0] if self.nout == 1 else tuple(res)

    # -- differentiation ---------------------------------------------------------------
    def L_op(self, inputs, outputs, output_grads):
        """Replay the inner graph on ``inputs`` (tensors or scalars) and back-propagate."""
        env: dict[int, Variable] = dict(zip(range(self.nin), inputs, strict=True))
        like = inputs[0] if inputs else None
        for s, c in self._consts:
            env[s] = D.const_like(like, c, c.dtype.name)
        applied = []
        for op, ins, outs, _ in self._program:
            res = D.apply(op, *[env[s] for s in ins])
            res = res if isinstance(res, (list, tuple)) else [res]
            for s, o in zip(outs, res, strict=True):
                env[s] = o
            applied.append((op, ins, outs))
        grads: dict[int, Variable] = {}

        def acc(s: int, g: Variable) -> None:
            if g is None or isinstance(getattr(g, "type", None), DisconnectedType):
                return
            grads[s] = g if s not in grads else grads[s] + g

        for s, g in zip(self._out_slots, output_grads, strict=True):
            acc(s, g)
        for op, ins, outs in reversed(applied):
            gz = [grads.get(s) for s in outs]
            if all(g is None for g in gz):
                continue
            outs_v = [env[s] for s in outs]
            gz = [g if g is not None else D.zeros_like(o) for g, o in zip(gz, outs_v, strict=True)]
            ins_v = [env[s] for s in ins]
            node_op = _grad_op(op, ins_v)
            gs = node_op.L_op(ins_v, outs_v, gz)
            for s, g in zip(ins, gs, strict=True):
                if isinstance(getattr(g, "type", None), NullType):
                    grads[s] = g
                elif s < self.nin or not isinstance(env[s], Constant):
                    acc(s, g)
        out = []
        for k, x in enumerate(inputs):
            g = grads.get(k)
            out.append(g if g is not None else D.float_zeros_like(x))
        return out


def _grad_op(op: ScalarOp, args: Sequence[Variable]):
    """The op whose ``L_op`` handles broadcasting and discrete dtypes for ``args``."""
    if any(not D.is_scalar_var(a) for a in args):
        from symcore.tensor.elemwise import Elemwise  # true cycle: elemwise imports scalar

        return Elemwise(op)
    return _ScalarGradAdapter(op)


class _ScalarGradAdapter:
    """Scalar-world equivalent of ``Elemwise.L_op``'s handling of discrete dtypes."""

    def __init__(self, op: ScalarOp) -> None:
        self.op = op

    def L_op(self, inputs, outputs, gz):
        if all(o.type.dtype in discrete_dtypes for o in outputs):
            return [D.float_zeros_like(x) for x in inputs]
        gs = self.op.complex_L_op(inputs, outputs, gz)
        res = []
        for x, g in zip(inputs, gs, strict=True):
            if isinstance(getattr(g, "type", None), (NullType, DisconnectedType)):
                res.append(g)
            elif x.type.dtype in discrete_dtypes or g is None:
                res.append(D.float_zeros_like(x))
            elif g.type.dtype != x.type.dtype:
                from symcore.scalar.basic import cast

                res.append(cast(g, x.type.dtype))
            else:
                res.append(g)
        return res
