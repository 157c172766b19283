"""symcore's plugin system.

Plugins are published through the entry point group ``symcore.plugins``; the
value names a module (or object) with :data:`hookimpl`-decorated functions::

    # pyproject.toml of a plugin
    [project.entry-points."symcore.plugins"]
    myplugin = "my_package.plugin"

See :mod:`symcore.plugins.hookspecs` for the hooks.  ``import symcore`` calls
:func:`load_plugins` and then ``config.validate_pending()``.
"""

from __future__ import annotations

from typing import Any

from symcore.config import config
from symcore.plugins.backends import BackendNotFoundError, select_backend
from symcore.plugins.hookspecs import ENTRY_POINT_GROUP, hookimpl, hookspec
from symcore.plugins.manager import PluginSystem, SymcorePluginWarning
from symcore.plugins.records import (
    PHASES,
    Backend,
    OpRecord,
    PluginRecord,
    RewriteRecord,
    TypeRecord,
)

_system = PluginSystem(config)


def load_plugins() -> None:
    """Discover, import and register all installed plugins (idempotent).

    A plugin that fails emits one :class:`SymcorePluginWarning` and is skipped.
    """
    _system.load()


def list_plugins() -> list[PluginRecord]:
    """The core and every plugin found: dist, version, status, what each registered."""
    return _system.records()


def registered_rewrites() -> list[RewriteRecord]:
    """Rewrites registered by plugins, sorted by position (stable)."""
    return sorted(_system.store.rewrites, key=lambda r: r.position)


def registered_ops() -> dict[str, OpRecord]:
    """Ops registered by plugins, by name."""
    return dict(_system.store.ops)


def registered_types() -> dict[str, TypeRecord]:
    """Types registered by plugins, by name."""
    return dict(_system.store.types)


def registered_backends() -> list[Backend]:
    """Backends registered (the core's ``py`` included), highest priority first."""
    return sorted(_system.store.backends, key=lambda b: -b.priority)


def get_backend_for_device(device: str | None = None, linker: str | None = None) -> Backend:
    """The backend that runs graphs on ``device`` (default ``config.device``),
    honouring ``linker`` (default ``config.linker``; ``auto`` = highest priority).

    Raises :class:`BackendNotFoundError` (a ``ValueError``) naming what to install.
    """
    return select_backend(
        _system.store.backends,
        config.device if device is None else device,
        config.linker if linker is None else linker,
    )


def plugin_info() -> dict[str, dict[str, str]]:
    """Lines from every plugin's ``symcore_info`` hook, by plugin name."""
    return _system.collect_info()


class _Namespace:
    """Attribute access to registered ops or types: ``symcore.plugins.ops.double``."""

    def __init__(self, kind: str, hook: str) -> None:
        self._kind = kind
        self._hook = hook

    def _records(self) -> dict[str, Any]:
        return _system.store.ops if self._kind == "op" else _system.store.types

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        record = self._records().get(name)
        if record is None:
            have = ", ".join(self._records()) or "none"
            raise AttributeError(
                f"no {self._kind} named {name!r} is registered (registered: {have}); "
                f"plugins add them with the {self._hook} hook"
            )
        return record.op if self._kind == "op" else record.type

    def __dir__(self) -> list[str]:
        return sorted(self._records())

    def __repr__(self) -> str:
        return f"<symcore registered {self._kind}s: {', '.join(self._records()) or 'none'}>"


ops = _Namespace("op", "symcore_register_ops")
types = _Namespace("type", "symcore_register_ops")

__all__ = [
    "ENTRY_POINT_GROUP",
    "PHASES",
    "Backend",
    "BackendNotFoundError",
    "OpRecord",
    "PluginRecord",
    "PluginSystem",
    "RewriteRecord",
    "SymcorePluginWarning",
    "TypeRecord",
    "get_backend_for_device",
    "hookimpl",
    "hookspec",
    "list_plugins",
    "load_plugins",
    "ops",
    "plugin_info",
    "registered_backends",
    "registered_ops",
    "registered_rewrites",
    "registered_types",
    "types",
]
