"""``Print``: an identity Op that prints its input's value each time the graph runs.

``x_printed = Print('x is')(x)``; use ``x_printed`` instead of ``x`` downstream (a Print
whose output is not used is not computed). ``attrs`` names attributes of the value to show
(default ``('__str__',)``; e.g. ``('shape', 'dtype')``); ``global_fn(op, value)`` replaces
the printing entirely. Gradients pass through unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op

__all__ = ["Print"]


def _default_print(op: Print, value: Any) -> None:
    parts = []
    for attr in op.attrs:
        v = getattr(value, attr)
        if callable(v):
            v = v()
        parts.append(f"{op.message} {attr} = {v}")
    print("\n".join(parts), file=sys.stdout)


class Print(Op):
    """Identity that prints ``message`` and the listed ``attrs`` of the value when run."""

    __props__ = ("message", "attrs", "global_fn")
    view_map = {0: [0]}

    def __init__(
        self,
        message: str = "",
        attrs: tuple[str, ...] = ("__str__",),
        global_fn: Callable[[Print, Any], None] = _default_print,
    ) -> None:
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn

    def make_node(self, x: Any) -> Apply:
        if not isinstance(x, Variable):
            from symcore.tensor.basic import as_tensor_variable

            x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        self.global_fn(self, x)
        output_storage[0][0] = x

    def grad(self, inputs, output_grads):
        return [output_grads[0]]

    def R_op(self, inputs, eval_points):
        return list(eval_points)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[True]]

    def do_constant_folding(self, fgraph, node) -> bool:
        return False  # printing is the point: never fold it away

    def __str__(self) -> str:
        return f"Print{{{self.message}}}"
