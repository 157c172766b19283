"""Symbolic differentiation (``symcore.gradient``, Theano's ``theano.gradient``).

- :func:`grad` — reverse mode: the gradient of a scalar cost (``symcore.grad``, ``T.grad``);
  :func:`Lop` — vector-Jacobian products; :func:`subgraph_grad`.
- :func:`Rop` — forward mode: Jacobian-vector products (each Op's ``R_op``, else two
  reverse passes).
- :func:`jacobian`, :func:`hessian`, :func:`hessian_vector_product`.
- :func:`verify_grad` / :class:`numeric_grad` — check gradients by central differences;
  a mismatch raises :class:`GradientError`.
- For Op writers: :func:`grad_undefined`, :func:`grad_not_implemented`,
  ``disconnected_type()`` / :class:`DisconnectedType`.
- Gradient controls: :func:`zero_grad`, :func:`disconnected_grad`, :func:`undefined_grad`,
  :func:`grad_clip`, :func:`grad_scale`, :func:`consider_constant`.

How an Op takes part: define ``grad(inputs, output_grads)`` or
``L_op(inputs, outputs, output_grads)`` returning one variable per input — a float
tensor of the input's number of dimensions (float zeros for integer inputs),
``disconnected_type()`` where the output does not depend on the input (and say so in
``connection_pattern``), or ``grad_undefined(...)``/``grad_not_implemented(...)``. Outputs
that do not reach the cost get a DisconnectedType output gradient (an Op that fails on it
is retried with zeros). Ops that are not differentiable by nature (comparisons, argmax,
shapes, random draws) set the class attribute ``differentiable = False``; the test suite
requires every other Op of ``symcore.tensor``/``symcore.scalar`` to have a gradient and a
``verify_grad`` case in ``tests/gradient/op_catalogue_*.py``.
"""

from symcore.gradient.controls import (
    ConsiderConstant,
    DisconnectedGrad,
    GradClip,
    GradScale,
    UndefinedGrad,
    ZeroGrad,
    consider_constant,
    disconnected_grad,
    grad_clip,
    grad_scale,
    undefined_grad,
    zero_grad,
)
from symcore.gradient.derived import hessian, hessian_vector_product, jacobian
from symcore.gradient.errors import (
    DisconnectedInputError,
    GradientError,
    NullTypeGradError,
    grad_not_implemented,
    grad_undefined,
)
from symcore.gradient.forward import Rop
from symcore.gradient.reverse import Lop, grad, subgraph_grad
from symcore.gradient.verify import numeric_grad, verify_grad
from symcore.graph.type import DisconnectedType, NullType, disconnected_type

__all__ = [
    "ConsiderConstant",
    "DisconnectedGrad",
    "DisconnectedInputError",
    "DisconnectedType",
    "GradClip",
    "GradScale",
    "GradientError",
    "Lop",
    "NullType",
    "NullTypeGradError",
    "Rop",
    "UndefinedGrad",
    "ZeroGrad",
    "consider_constant",
    "disconnected_grad",
    "disconnected_type",
    "grad",
    "grad_clip",
    "grad_not_implemented",
    "grad_scale",
    "grad_undefined",
    "hessian",
    "hessian_vector_product",
    "jacobian",
    "numeric_grad",
    "subgraph_grad",
    "undefined_grad",
    "verify_grad",
    "zero_grad",
]
