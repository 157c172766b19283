"""Tiny Ops to exercise the graph protocol without the tensor library."""

import numpy as np

from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.tensor.basic import as_tensor_variable


class BinOp(Op):
    """Elementwise binary op on same-typed tensors (test helper)."""

    __props__ = ("name",)

    def __init__(self, name, fn):
        self.name = name
        self.fn = fn

    def make_node(self, a, b):
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        return Apply(self, [a, b], [a.type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.asarray(self.fn(*inputs), dtype=node.outputs[0].dtype)


class UnOp(Op):
    __props__ = ("name",)

    def __init__(self, name, fn):
        self.name = name
        self.fn = fn

    def make_node(self, a):
        a = as_tensor_variable(a)
        return Apply(self, [a], [a.type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = np.asarray(self.fn(inputs[0]), dtype=node.outputs[0].dtype)


add = BinOp("add", np.add)
mul = BinOp("mul", np.multiply)
neg = UnOp("neg", np.negative)
exp = UnOp("exp", np.exp)


class IdentityOp(Op):
    """``x -> copy of x`` with no gradient method: subclass it to test a ``grad``."""

    __props__ = ()

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage, params=None):
        output_storage[0][0] = inputs[0].copy()
