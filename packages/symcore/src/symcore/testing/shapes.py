"""Checks that an Op's ``infer_shape`` agrees with the shape of the value it computes."""

import numpy as np

import symcore
import symcore.tensor as T
from symcore.tensor.shape import Shape_i


def check_infer_shape(out, inputs, values, *, on_unused_input="ignore"):
    """The node's infer_shape, fed the real input shapes, gives the real output shape.

    The input shapes are fed as fresh ``lscalar`` inputs; ``on_unused_input`` applies to the
    function computing the real output (pass ``None`` for the config's default).
    """
    node = out.owner
    in_vals = symcore.function(list(inputs), list(node.inputs), on_unused_input="ignore")(*values)
    syms = [[T.lscalar() for _ in range(v.ndim)] for v in node.inputs]
    exprs = node.op.infer_shape(node, [tuple(s) for s in syms])[out.index]
    flat = [s for ss in syms for s in ss]
    exprs = [T.as_tensor_variable(e) for e in exprs]
    f = symcore.function(list(inputs) + flat, exprs, on_unused_input="ignore")
    shape_vals = [np.int64(d) for v in in_vals for d in np.shape(v)]
    got = tuple(int(e) for e in f(*values, *shape_vals))
    real = symcore.function(list(inputs), out, on_unused_input=on_unused_input)(*values)
    assert got == np.shape(real)


def check_infer_shape_symbolic(out, inputs, values):
    """The node's infer_shape, fed ``Shape_i`` of its inputs, evaluates to the real shape."""

    def run(outputs):
        return symcore.function(list(inputs), outputs, on_unused_input="ignore")(*values)

    node = out.owner
    shapes = [tuple(Shape_i(i)(v) for i in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(node, shapes)[out.index]
    real = run(out)
    assert len(inferred) == real.ndim
    if real.ndim:
        got = run(list(inferred))
        assert tuple(int(g) for g in got) == real.shape, (node.op, real.shape, got)
