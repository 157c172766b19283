"""Hook specifications of symcore plugins.

A plugin is any object (usually a module) with functions decorated by
:data:`hookimpl` and named like the specs below, published through the entry
point group ``symcore.plugins``.  A hook may take any subset of the spec's
arguments.  Hooks register into the object they receive and return ``None``
(except :func:`symcore_info`).  Hook wrappers are not supported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from symcore.plugins.registries import (
        BackendRegistry,
        ConfigDeclarer,
        OpRegistry,
        RewriteRegistry,
    )

PROJECT = "symcore"
ENTRY_POINT_GROUP = "symcore.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class SymcoreHookSpecs:
    """The hooks symcore calls, in this order, once per process."""

    @hookspec
    def symcore_declare_config(self, config: ConfigDeclarer) -> None:
        """Declare flags: ``config.add("mybackend.flag", "doc", BoolParam(False))``."""

    @hookspec
    def symcore_register_ops(self, registry: OpRegistry) -> None:
        """Register Ops and Types: ``registry.add_op(name, op, doc="")``,
        ``registry.add_type(name, type_obj)``; users reach them as
        ``symcore.plugins.ops.<name>`` and ``symcore.plugins.types.<name>``."""

    @hookspec
    def symcore_register_rewrites(self, registry: RewriteRegistry) -> None:
        """Register graph rewrites: ``registry.add_rewrite(name, rewriter, *tags,
        position=None, phase=None)``; see :data:`symcore.plugins.PHASES`."""

    @hookspec
    def symcore_register_backends(self, registry: BackendRegistry) -> None:
        """Register backends: ``registry.add_backend(name, devices=["cuda*"],
        linker="pkg.module:Linker", priority=10, description="")``."""

    @hookspec
    def symcore_info(self) -> dict[str, str] | None:
        """Return extra ``{label: text}`` lines for ``python -m symcore info``
        (compiler, BLAS, devices found...).  Called only by ``symcore info``."""
