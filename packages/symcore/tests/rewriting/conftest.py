"""Small helper Ops for the rewrite-engine tests (independent of the tensor Ops)."""

from __future__ import annotations

import types

import numpy as np
import pytest
from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.tensor.basic import constant
from symcore.tensor.type import TensorType


def _as_var(x, ndim):
    if isinstance(x, Variable):
        return x
    return constant(np.asarray(x, dtype="float64"), ndim=ndim)


class Elem(Op):
    """An elementwise op on same-shaped float tensors, named by ``name``."""

    __props__ = ("name", "nin")

    def __init__(self, name, fn, nin):
        self.name = name
        self.fn = fn
        self.nin = nin

    def make_node(self, *inputs):
        if len(inputs) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} inputs, got {len(inputs)}")
        nd = max((i.type.ndim for i in inputs if isinstance(i, Variable)), default=0)
        inputs = [_as_var(i, nd) for i in inputs]
        dtype = np.result_type(*[i.type.dtype for i in inputs]).name
        bcast = tuple(all(i.type.broadcastable[d] for i in inputs) for d in range(nd))
        return Apply(self, inputs, [TensorType(dtype, bcast)()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(self.fn(*inputs), dtype=node.outputs[0].type.dtype)

    def infer_shape(self, node, shapes):
        for s, i in zip(shapes, node.inputs, strict=True):
            if not any(i.type.broadcastable):
                return [s]
        return [shapes[0]]

    def __str__(self):
        return self.name


class AddInplace(Op):
    """``a += b`` in place (declares ``destroy_map``)."""

    __props__ = ()
    destroy_map = {0: [0]}

    def make_node(self, a, b):
        return Apply(self, [a, b], [a.type()])

    def perform(self, node, inputs, out, params=None):
        a, b = inputs
        np.add(a, b, out=a)
        out[0][0] = a

    def infer_shape(self, node, shapes):
        return [shapes[0]]


class ViewOp(Op):
    """Returns a view of its input (declares ``view_map``)."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, a):
        return Apply(self, [a], [a.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0][...]

    def infer_shape(self, node, shapes):
        return [shapes[0]]


@pytest.fixture
def ops():
    ns = types.SimpleNamespace()
    ns.Elem = Elem
    ns.AddInplace = AddInplace
    ns.ViewOp = ViewOp
    ns.add = Elem("add", np.add, 2)
    ns.sub = Elem("sub", np.subtract, 2)
    ns.mul = Elem("mul", np.multiply, 2)
    ns.neg = Elem("neg", np.negative, 1)
    ns.log = Elem("log", np.log, 1)
    ns.log1p = Elem("log1p", np.log1p, 1)
    ns.exp = Elem("exp", np.exp, 1)
    ns.add_inplace = AddInplace()
    ns.view = ViewOp()
    ns.vector = lambda name=None: TensorType("float64", (False,))(name)
    return ns


def op_names(fgraph):
    return [str(n.op) for n in fgraph.toposort()]


@pytest.fixture
def names():
    return op_names
