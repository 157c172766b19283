"""``Op``: an operation that builds Apply nodes and knows how to compute them.

Ops have value semantics: the names in ``__props__`` define equality, hashing and the
printed form, so that identical nodes merge and compiled code can be cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symcore.graph.basic import Apply, Variable
from symcore.graph.utils import MethodNotDefined, TestValueError, format_trace


class Op:
    """Base class of operations.

    Subclasses implement ``make_node(*inputs) -> Apply`` and
    ``perform(node, inputs, output_storage)`` (NumPy reference implementation), and
    optionally ``infer_shape(node, input_shapes)``, ``grad(inputs, output_grads)`` or
    ``L_op(inputs, outputs, output_grads)``, ``R_op(inputs, eval_points)``,
    ``connection_pattern(node)``. ``view_map``/``destroy_map`` map an output index to the
    input indices it views or overwrites.
    """

    __props__: tuple[str, ...] = ()
    default_output: int | None = None
    view_map: dict[int, list[int]] = {}
    destroy_map: dict[int, list[int]] = {}

    _has_props = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Value semantics only for classes that declare __props__ (themselves or a parent
        # below Op); others compare by identity, as in Theano.
        cls._has_props = any("__props__" in k.__dict__ for k in cls.__mro__ if k is not Op)

    # -- value semantics ---------------------------------------------------------------
    def _props(self) -> tuple:
        return tuple(getattr(self, a) for a in self.__props__)

    def _props_dict(self) -> dict[str, Any]:
        return {a: getattr(self, a) for a in self.__props__}

    def __eq__(self, other: Any) -> bool:
        if self is other:
            return True
        if type(self) is not type(other) or not self._has_props:
            return False
        return self._props() == other._props()

    def __hash__(self) -> int:
        if not self._has_props:
            return id(self)
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        props = self.__props__
        if not props:
            return type(self).__name__
        if len(props) == 1:
            return f"{type(self).__name__}{{{getattr(self, props[0])}}}"
        inner = ", ".join(f"{p}={getattr(self, p)!r}" for p in props)
        return f"{type(self).__name__}{{{inner}}}"

    __repr__ = __str__

    # -- building ----------------------------------------------------------------------
    def make_node(self, *inputs: Variable) -> Apply:
        raise NotImplementedError(f"{type(self).__name__} must implement make_node")

    def __call__(self, *inputs: Any, **kwargs: Any):
        """Build a node and return its output(s); computes test values when enabled."""
        return_list = kwargs.pop("return_list", False)
        node = self.make_node(*inputs, **kwargs)
        _maybe_compute_test_value(self, node)
        if return_list:
            return list(node.outputs)
        if self.default_output is not None:
            return node.outputs[self.default_output]
        if len(node.outputs) == 1:
            return node.outputs[0]
        return list(node.outputs)

    # -- running -----------------------------------------------------------------------
    def perform(
        self, node: Apply, inputs: Sequence[Any], output_storage: list[list[Any]], params=None
    ):
        raise MethodNotDefined(f"{type(self).__name__}.perform")

    def get_params(self, node: Apply):
        return None

    def prepare_node(self, node: Apply, storage_map=None, compute_map=None, impl=None) -> None:
        """Hook called once before a node is run by a linker."""

    def do_constant_folding(self, fgraph, node: Apply) -> bool:
        """Whether constant folding may replace this node by its value."""
        return True

    # -- analysis ----------------------------------------------------------------------
    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple]):
        raise MethodNotDefined(f"{type(self).__name__}.infer_shape")

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """``[input][output]`` booleans: does the output depend on the input (default: all)."""
        return [[True] * len(node.outputs) for _ in node.inputs]

    # -- differentiation ---------------------------------------------------------------
    def L_op(self, inputs, outputs, output_grads):
        """Vector-Jacobian product. Defaults to ``grad(inputs, output_grads)``."""
        return self.grad(inputs, output_grads)

    def grad(self, inputs, output_grads):
        raise MethodNotDefined(f"{type(self).__name__}.grad")

    def R_op(self, inputs, eval_points):
        raise MethodNotDefined(f"{type(self).__name__}.R_op")

    def has_grad(self) -> bool:
        """True when this Op defines its own gradient (``grad`` or ``L_op``)."""
        cls = type(self)
        return cls.grad is not Op.grad or cls.L_op is not Op.L_op

    # -- errors ------------------------------------------------------------------------
    def describe_failure(self, node: Apply, inputs: Sequence[Any], exc: BaseException) -> str:
        """A message naming the op, the input shapes/dtypes and where the node was built."""
        return describe_node_failure(node, inputs, exc)


_ACCEPTS_PARAMS: dict[type, bool] = {}


def perform_of(node: Apply):
    """``node.op.perform`` callable as ``(node, inputs, output_storage, params)``.

    Ops written for Theano often define ``perform(self, node, inputs, output_storage)``
    without ``params``; they are called without it, as Theano did.
    """
    perform = node.op.perform
    cls = type(node.op)
    accepts = _ACCEPTS_PARAMS.get(cls)
    if accepts is None:
        import inspect

        try:
            sig = inspect.signature(perform)
            accepts = len(sig.parameters) >= 4 or any(
                p.kind is p.VAR_POSITIONAL for p in sig.parameters.values()
            )
        except (TypeError, ValueError):
            accepts = True
        _ACCEPTS_PARAMS[cls] = accepts
    if accepts:
        return perform
    return lambda node, inputs, output_storage, params=None: perform(node, inputs, output_storage)


def describe_value(v: Any) -> str:
    shape = getattr(v, "shape", None)
    dtype = getattr(v, "dtype", None)
    if shape is not None and dtype is not None:
        return f"shape={tuple(shape)} dtype={dtype}"
    return type(v).__name__


def describe_node_failure(node: Apply, inputs: Sequence[Any], exc: BaseException) -> str:
    lines = [f"{type(exc).__name__} in {node.op}: {exc}"]
    for i, (var, val) in enumerate(zip(node.inputs, inputs, strict=False)):
        lines.append(f"  input {i} ({var}, {var.type}): {describe_value(val)}")
    lines.append("Node built at:")
    lines.append(format_trace(getattr(node.tag, "trace", [])))
    return "\n".join(lines)


def _maybe_compute_test_value(op: Op, node: Apply) -> None:
    from symcore.config import config

    mode = config.compute_test_value
    if mode == "off":
        return
    values = []
    for inp in node.inputs:
        if hasattr(inp, "data"):
            values.append(inp.data)
        elif hasattr(inp.tag, "test_value"):
            values.append(inp.tag.test_value)
        elif getattr(inp, "_is_shared_variable", False):
            values.append(inp.get_value(borrow=True))
        else:
            if mode == "ignore":
                return
            msg = f"{op}: input {inp} has no test value (compute_test_value={mode})"
            if mode == "warn":
                import warnings

                warnings.warn(msg, stacklevel=3)
                return
            raise TestValueError(msg)
    storage = [[None] for _ in node.outputs]
    try:
        op.prepare_node(node)
        perform_of(node)(node, values, storage, node.run_params())
    except Exception as exc:
        raise TestValueError(
            "Error computing test values (compute_test_value is on):\n"
            + describe_node_failure(node, values, exc)
        ) from exc
    for out, st in zip(node.outputs, storage, strict=False):
        out.tag.test_value = st[0]
