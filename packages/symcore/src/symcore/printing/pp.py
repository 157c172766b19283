"""``pp``: one-line infix rendering of a symbolic expression, e.g. ``(x * (y ** 2))``.

Every binary operator is parenthesised so the string is unambiguous; ``exp(x)`` style is
used for elementwise functions, and ``OpName(args)`` for Ops without a printer of their
own. Libraries teach the printer new forms with ``pprint.assign(condition, printer)``,
where ``condition`` is an Op class, an Op instance or a predicate on the output variable.
Printing is iterative (no recursion limit on deep graphs) and prints each shared
subexpression's text once per output string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from symcore.graph.basic import Variable, graph_inputs, io_toposort
from symcore.graph.op import Op
from symcore.printing._graphs import as_graph_view

__all__ = [
    "Printer",
    "OperatorPrinter",
    "FunctionPrinter",
    "ElemwisePrinter",
    "DimShufflePrinter",
    "SubtensorPrinter",
    "DefaultPrinter",
    "PPrinter",
    "pprint",
    "pp",
    "leaf_string",
]


class Printer:
    """Renders the output ``var`` of a node given the strings of the node's inputs."""

    def process(self, var: Variable, inputs: Sequence[str]) -> str:
        raise NotImplementedError


class OperatorPrinter(Printer):
    """Infix ``(a + b + c)`` for two or more inputs, prefix ``(-a)`` for one."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def process(self, var: Variable, inputs: Sequence[str]) -> str:
        if len(inputs) == 1:
            return f"({self.symbol}{inputs[0]})"
        return "(" + f" {self.symbol} ".join(inputs) + ")"


class FunctionPrinter(Printer):
    """Function-call form ``name(a, b)``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def process(self, var: Variable, inputs: Sequence[str]) -> str:
        return f"{self.name}({', '.join(inputs)})"


class DefaultPrinter(Printer):
    """``str(op)(inputs)``; outputs of multi-output nodes get ``[index]``."""

    def process(self, var: Variable, inputs: Sequence[str]) -> str:
        node = var.owner
        s = f"{node.op}({', '.join(inputs)})"
        if len(node.outputs) > 1:
            s += f"[{var.index}]"
        return s


class ElemwisePrinter(Printer):
    """Elementwise nodes: the scalar op's ``symbol`` as an operator, else its name as a call."""

    def process(self, var: Variable, inputs: Sequence[str]) -> str:
        scalar_op = var.owner.op.scalar_op
        symbol = getattr(scalar_op, "symbol", None)
        if symbol and len(var.owner.outputs) == 1:
            return OperatorPrinter(symbol).process(var, inputs)
        name = getattr(scalar_op, "name", None) or type(scalar_op).__name__.lower()
        s = FunctionPrinter(name).process(var, inputs)
        if len(var.owner.outputs) > 1:
            s += f"[{var.index}]"
        return s


class DimShufflePrinter(Printer):
    """A DimShuffle that reverses the axes prints as ``x.T``; one that only adds
    broadcastable dimensions (implicit broadcasting) prints as its input; others as
    ``DimShuffle{..}(x)``."""

    def process(self, var: Variable, inputs: Sequence[str]) -> str:
        order = tuple(getattr(var.owner.op, "new_order", ()))
        n = len(order)
        if n >= 2 and order == tuple(range(n - 1, -1, -1)):
            return f"{inputs[0]}.T"
        kept = tuple(d for d in order if d != "x")
        if kept == tuple(range(var.owner.inputs[0].ndim)) and len(kept) < n:
            return inputs[0]
        return DefaultPrinter().process(var, inputs)


class SubtensorPrinter(Printer):
    """Basic indexing prints as NumPy would write it: ``x[1:3, ::2, None, i]``."""

    def process(self, var: Variable, inputs: Sequence[str]) -> str:
        it = iter(inputs[1:])

        def bound(p: Any) -> str:
            return "" if p is None else next(it)

        parts = []
        for e in var.owner.op.idx_list:
            if e is None:
                parts.append("None")
            elif isinstance(e, slice):
                s = f"{bound(e.start)}:{bound(e.stop)}"
                if e.step is not None:
                    s += f":{bound(e.step)}"
                parts.append(s)
            else:
                parts.append(next(it))
        return f"{inputs[0]}[{', '.join(parts)}]"


def leaf_string(var: Variable) -> str:
    """How an input, constant or shared variable appears: its name, else its value/type."""
    if var.name is not None:
        return var.name
    return str(var)  # constants show their value, free variables their type


def _is_elemwise(var: Variable) -> bool:
    return hasattr(var.owner.op, "scalar_op") and type(var.owner.op).__name__ == "Elemwise"


def _is_dimshuffle(var: Variable) -> bool:
    return type(var.owner.op).__name__ == "DimShuffle" and hasattr(var.owner.op, "new_order")


def _is_subtensor(var: Variable) -> bool:
    return type(var.owner.op).__name__ == "Subtensor" and hasattr(var.owner.op, "idx_list")


Condition = Callable[[Variable], bool] | type | Op


class PPrinter:
    """A registry of (condition, printer) pairs, newest first, and the printing driver."""

    def __init__(self) -> None:
        self.printers: list[tuple[Callable[[Variable], bool], Printer]] = []
        self.default = DefaultPrinter()

    def assign(self, condition: Condition, printer: Printer) -> None:
        """Use ``printer`` for outputs of nodes matching ``condition`` (newest wins)."""
        self.printers.insert(0, (_as_predicate(condition), printer))

    def clone(self) -> PPrinter:
        cp = PPrinter()
        cp.printers = list(self.printers)
        cp.default = self.default
        return cp

    def printer_for(self, var: Variable) -> Printer:
        for cond, printer in self.printers:
            try:
                if cond(var):
                    return printer
            except Exception:  # a broken predicate must not break printing
                continue
        return self.default

    def process(self, obj: Any) -> str:
        """The expression string of a variable (several outputs: one line each)."""
        outputs = as_graph_view(obj).outputs
        memo: dict[Variable, str] = {}
        for inp in graph_inputs(outputs):
            memo[inp] = leaf_string(inp)
        for node in io_toposort([], outputs):
            for inp in node.inputs:
                if inp not in memo:
                    memo[inp] = leaf_string(inp)
            in_strs = [memo[i] for i in node.inputs]
            for out in node.outputs:
                memo[out] = self.printer_for(out).process(out, in_strs)
        return "\n".join(memo[o] if o in memo else leaf_string(o) for o in outputs)

    __call__ = process


def _as_predicate(condition: Condition) -> Callable[[Variable], bool]:
    if isinstance(condition, type):
        return lambda v, cls=condition: v.owner is not None and isinstance(v.owner.op, cls)
    if isinstance(condition, Op):
        return lambda v, op=condition: v.owner is not None and v.owner.op == op
    if callable(condition):
        return lambda v, fn=condition: v.owner is not None and bool(fn(v))
    raise TypeError(f"pprint.assign needs an Op class, an Op or a predicate, got {condition!r}")


pprint = PPrinter()
pprint.assign(_is_elemwise, ElemwisePrinter())
pprint.assign(_is_dimshuffle, DimShufflePrinter())
pprint.assign(_is_subtensor, SubtensorPrinter())


def pp(obj: Any) -> str:
    """Readable one-line infix form of ``obj`` (a variable, list, FunctionGraph or function)."""
    return pprint.process(obj)
