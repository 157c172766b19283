"""The ``Double`` Op: multiplies a tensor by two."""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.tensor import as_tensor_variable


class Double(Op):
    """``double(x) = 2 * x``, elementwise, same type as ``x``."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        (x,) = inputs
        output_storage[0][0] = x * x.dtype.type(2)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (gz,) = output_grads
        return [self(gz)]


double = Double()
