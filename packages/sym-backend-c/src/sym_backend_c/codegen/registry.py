"""Per-Op C implementations, registered by Op class (dispatch, not isinstance chains).

An implementation is a function ``impl(op, node, ctx) -> str | None`` returning the C
statements computing ``node`` (see ``NodeContext`` for the names it may use), or None when
this particular node is not supported (the node then runs its Python ``perform``).
Lookup follows the Op class's MRO, so an implementation for a base class serves subclasses.
"""

from __future__ import annotations

from collections.abc import Callable

from sym_backend_c.codegen.context import NodeContext

CImpl = Callable[[object, object, NodeContext], "str | None"]

_IMPLS: dict[type, CImpl] = {}


def register_c_impl(*op_classes: type) -> Callable[[CImpl], CImpl]:
    """Decorator: ``@register_c_impl(Elemwise)`` registers C code for an Op class."""

    def deco(fn: CImpl) -> CImpl:
        for cls in op_classes:
            _IMPLS[cls] = fn
        return fn

    return deco


def lookup(op: object) -> CImpl | None:
    for cls in type(op).__mro__:
        impl = _IMPLS.get(cls)
        if impl is not None:
            return impl
    return None


def registered_classes() -> list[type]:
    return list(_IMPLS)
