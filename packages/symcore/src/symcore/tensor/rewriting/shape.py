"""Shape inference on a graph (``ShapeFeature``) and the rewrites that use it.

``ShapeFeature`` keeps ``shape_of[var]``: a tuple of symbolic int64 scalars per tensor
variable, built from each Op's ``infer_shape`` (the graph inputs' entries are
``Shape_i(i)(x)``, constant 1 for broadcastable dimensions, or the static size the type
knows). The rewrites ``local_shape_to_shape_i`` (``shape(x)`` → a vector of those entries)
and ``local_shape_i_lift`` (``Shape_i(i)(x)`` of an intermediate ``x`` → its entry) make
``x.shape`` a graph on the inputs' shapes, so a value computed only for its shape is no
longer computed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.config import config
from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.fg import FunctionGraph
from symcore.graph.utils import MethodNotDefined
from symcore.rewriting.basic import RewriteWarning, node_rewriter
from symcore.rewriting.register import register_canonicalize, register_specialize
from symcore.tensor.basic import constant
from symcore.tensor.math import cast
from symcore.tensor.shape import MakeVector, Shape, Shape_i
from symcore.tensor.type import TensorType

__all__ = ["ShapeFeature", "attach_shape_feature", "local_shape_i_lift", "local_shape_to_shape_i"]


def _int64_const(value: int) -> Constant:
    return constant(int(value), dtype="int64")


class ShapeFeature:
    """FunctionGraph feature: ``fgraph.shape_feature.shape_of[var]`` for every tensor."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        if getattr(fgraph, "shape_feature", None) is not None:
            raise ValueError("a ShapeFeature is already attached")
        fgraph.shape_feature = self
        self.fgraph = fgraph
        self.shape_of: dict[Variable, tuple | None] = {}
        for var in fgraph.inputs:
            self._init_var(var)
        for node in fgraph.toposort():
            self.on_import(fgraph, node, "on_attach")

    def on_detach(self, fgraph: FunctionGraph) -> None:
        del fgraph.shape_feature

    def clone(self) -> ShapeFeature:
        return ShapeFeature()

    # -- building entries ------------------------------------------------------------
    def shape_tuple(self, var: Variable) -> tuple | None:
        """Default entries for ``var``: static sizes, 1 for broadcastable dims, else Shape_i."""
        ttype = var.type
        if not isinstance(ttype, TensorType):
            return None
        out = []
        static = ttype.shape
        for i in range(ttype.ndim):
            if static[i] is not None:
                out.append(_int64_const(static[i]))
            elif ttype.broadcastable[i]:
                out.append(_int64_const(1))
            else:
                out.append(Shape_i(i)(var))
        return tuple(out)

    def _init_var(self, var: Variable) -> None:
        if var in self.shape_of:
            return
        if isinstance(var, Constant) and isinstance(var.type, TensorType):
            self.shape_of[var] = tuple(_int64_const(d) for d in np.shape(var.data))
        else:
            self.shape_of[var] = self.shape_tuple(var)

    def _entry(self, s: Any, var: Variable, i: int) -> Variable:
        if isinstance(s, (int, np.integer)):
            return _int64_const(s)
        if isinstance(s, Variable):
            if getattr(s.type, "ndim", None) != 0 or getattr(s.type, "dtype", "") not in (
                "int8",
                "int16",
                "int32",
                "int64",
                "uint8",
                "uint16",
                "uint32",
                "uint64",
            ):
                raise TypeError(
                    f"shape entry {i} of {var} is {s} of type {s.type}, not an integer scalar"
                )
            if isinstance(s, Constant):
                return _int64_const(int(np.asarray(s.data)))
            if s.type.dtype != "int64":
                return cast(s, "int64")
            return s
        raise TypeError(f"shape entry {i} of {var} is {s!r}, not an int or an integer scalar")

    def set_shape(self, var: Variable, shape: Sequence[Any] | None) -> None:
        """Record ``shape`` (ints or int scalars) for ``var``; None means "use the default"."""
        if not isinstance(var.type, TensorType):
            self.shape_of[var] = None
            return
        if shape is None:
            self.shape_of[var] = self.shape_tuple(var)
            return
        shape = tuple(shape)
        if len(shape) != var.type.ndim:
            raise ValueError(
                f"infer_shape gave {len(shape)} entries for {var} with {var.type.ndim} dimensions"
            )
        entries = []
        for i, s in enumerate(shape):
            if var.type.broadcastable[i]:
                entries.append(_int64_const(1))
            elif var.type.shape[i] is not None:
                entries.append(_int64_const(var.type.shape[i]))
            else:
                entries.append(self._entry(s, var, i))
        self.shape_of[var] = tuple(entries)

    # -- callbacks -------------------------------------------------------------------
    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        if node.outputs[0] in self.shape_of:
            return
        for inp in node.inputs:
            self._init_var(inp)
        in_shapes = [self.shape_of[i] for i in node.inputs]
        shapes: Sequence[Any] | None = None
        if any(isinstance(o.type, TensorType) for o in node.outputs):
            try:
                shapes = node.op.infer_shape(node, in_shapes)
            except (MethodNotDefined, NotImplementedError):
                shapes = None
            except Exception as exc:  # noqa: BLE001 - a buggy infer_shape must not break compiling
                self._report(node, exc)
                shapes = None
            if shapes is not None and len(shapes) != len(node.outputs):
                self._report(
                    node,
                    ValueError(
                        f"infer_shape returned {len(shapes)} shapes for {len(node.outputs)} outputs"
                    ),
                )
                shapes = None
        for k, out in enumerate(node.outputs):
            try:
                self.set_shape(out, None if shapes is None else shapes[k])
            except (TypeError, ValueError) as exc:
                self._report(node, exc)
                self.set_shape(out, None)

    def _report(self, node: Apply, exc: BaseException) -> None:
        if config.on_opt_error == "raise":
            raise exc
        if config.on_opt_error == "warn":
            warnings.warn(
                f"ShapeFeature: infer_shape of {node.op} failed ({type(exc).__name__}: {exc}); "
                "using the run-time shape instead",
                RewriteWarning,
                stacklevel=3,
            )

    def on_change_input(self, fgraph, node, i, old, new, reason) -> None:
        self._init_var(new)
        old_shape = self.shape_of.get(old)
        new_shape = self.shape_of.get(new)
        if old_shape is None or new_shape is None or len(old_shape) != len(new_shape):
            return
        # keep what the replaced variable knew for sure (constant sizes)
        merged = tuple(
            o if isinstance(o, Constant) and not isinstance(n, Constant) else n
            for o, n in zip(old_shape, new_shape, strict=True)
        )
        if merged != new_shape:
            self.shape_of[new] = merged

    def on_prune(self, fgraph, node, reason) -> None:
        pass

    # -- queries ---------------------------------------------------------------------
    def get_shape(self, var: Variable, i: int) -> Variable:
        """Entry ``i`` of ``var``'s shape (int64 scalar variable)."""
        self._init_var(var)
        return self.shape_of[var][i]

    def same_shape(self, x: Variable, y: Variable) -> bool:
        """True when the entries of ``x`` and ``y`` are provably equal (same variables or
        equal constants)."""
        sx, sy = self.shape_of.get(x), self.shape_of.get(y)
        if sx is None or sy is None or len(sx) != len(sy):
            return False
        for a, b in zip(sx, sy, strict=True):
            if a is b:
                continue
            if isinstance(a, Constant) and isinstance(b, Constant) and a.equals(b):
                continue
            return False
        return True


def attach_shape_feature(fgraph: FunctionGraph) -> ShapeFeature:
    """Attach a ``ShapeFeature`` unless one is there; return it."""
    feat = getattr(fgraph, "shape_feature", None)
    if feat is None:
        feat = ShapeFeature()
        fgraph.attach_feature(feat)
    return feat


def _refers_to(entry: Variable, var: Variable) -> bool:
    """True when ``entry`` is computed from ``var`` itself (so it cannot replace var's shape)."""
    stack, seen = [entry], set()
    while stack:
        v = stack.pop()
        if v is var:
            return True
        if id(v) in seen or v.owner is None:
            continue
        seen.add(id(v))
        stack.extend(v.owner.inputs)
    return False


@register_canonicalize("shape", name="local_shape_to_shape_i")
@register_specialize("shape", name="local_shape_to_shape_i")
@node_rewriter([Shape], requirements=[attach_shape_feature])
def local_shape_to_shape_i(fgraph, node):
    """``shape(x)`` → ``MakeVector(shape_i...)`` from the ShapeFeature's entries."""
    feat = getattr(fgraph, "shape_feature", None)
    if feat is None:
        return None
    x = node.inputs[0]
    entries = feat.shape_of.get(x)
    if entries is None:
        return None
    if x.type.ndim == 0:
        return [constant(np.zeros(0, dtype="int64"))]
    return [MakeVector("int64")(*entries)]


@register_canonicalize("shape", name="local_shape_i_lift")
@register_specialize("shape", name="local_shape_i_lift")
@node_rewriter([Shape_i], requirements=[attach_shape_feature])
def local_shape_i_lift(fgraph, node):
    """``Shape_i(i)(x)`` of a computed ``x`` → the entry inferred for it (on x's inputs)."""
    feat = getattr(fgraph, "shape_feature", None)
    if feat is None:
        return None
    x = node.inputs[0]
    if x.owner is None:
        return None
    entries = feat.shape_of.get(x)
    if entries is None:
        return None
    entry = entries[node.op.i]
    if entry is node.outputs[0] or _refers_to(entry, x):
        return None
    return [entry]
