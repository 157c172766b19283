"""symcore hooks of the template plugin (entry point ``template`` in ``symcore.plugins``)."""

from __future__ import annotations

from typing import Any

from symcore.plugins import hookimpl


@hookimpl
def symcore_register_ops(registry: Any) -> None:
    from symcore_plugin_template.ops import double

    registry.add_op("double", double, doc="double(x) = 2 * x")


@hookimpl
def symcore_register_rewrites(registry: Any) -> None:
    from symcore_plugin_template.rewrites import local_double_double

    registry.add_rewrite(
        "local_double_double", local_double_double, "fast_run", "fast_compile", phase="canonicalize"
    )
