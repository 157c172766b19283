"""The objects plugin hooks register into, and the store of accepted registrations.

Each hook call gets facades bound to one plugin; what they collect is checked
against the :class:`Store` and committed only if the hook returns normally, so
a failing plugin leaves nothing half-registered (its declared flags excepted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from symcore.config import Config, ConfigParam, FlagValueError
from symcore.config.parser import canonical_name
from symcore.plugins.records import PHASES, Backend, OpRecord, RewriteRecord, TypeRecord


def _check_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{kind} name must be a Python identifier, got {name!r}")
    return name


class Store:
    """Everything registered by the plugins that loaded."""

    def __init__(self) -> None:
        self.ops: dict[str, OpRecord] = {}
        self.types: dict[str, TypeRecord] = {}
        self.rewrites: list[RewriteRecord] = []
        self.backends: list[Backend] = []

    def remove_plugin(self, plugin: str) -> None:
        """Forget everything ``plugin`` registered."""
        self.ops = {k: v for k, v in self.ops.items() if v.plugin != plugin}
        self.types = {k: v for k, v in self.types.items() if v.plugin != plugin}
        self.rewrites = [r for r in self.rewrites if r.plugin != plugin]
        self.backends = [b for b in self.backends if b.plugin != plugin]


def _taken_by(existing: dict[str, Any] | Iterable[Any], name: str) -> str | None:
    records = existing.values() if isinstance(existing, dict) else existing
    return next((r.plugin for r in records if r.name == name), None)


class _Facade:
    def __init__(self, store: Store, plugin: str) -> None:
        self._store = store
        self._plugin = plugin

    def _refuse_duplicate(self, kind: str, name: str, *existing: Any) -> None:
        for records in existing:
            owner = _taken_by(records, name)
            if owner is not None:
                raise ValueError(f"{kind} {name!r} is already registered by plugin {owner!r}")


class OpRegistry(_Facade):
    """Passed to ``symcore_register_ops``."""

    def __init__(self, store: Store, plugin: str) -> None:
        super().__init__(store, plugin)
        self.ops: dict[str, OpRecord] = {}
        self.types: dict[str, TypeRecord] = {}

    def add_op(self, name: str, op: Any, doc: str = "") -> None:
        """Register ``op`` (an Op instance or class) as ``symcore.plugins.ops.<name>``."""
        _check_name("op", name)
        self._refuse_duplicate("op", name, self._store.ops, self.ops)
        self.ops[name] = OpRecord(
            name, op, doc or (getattr(op, "__doc__", None) or ""), self._plugin
        )

    def add_type(self, name: str, type_obj: Any) -> None:
        """Register a Type as ``symcore.plugins.types.<name>``."""
        _check_name("type", name)
        self._refuse_duplicate("type", name, self._store.types, self.types)
        self.types[name] = TypeRecord(name, type_obj, self._plugin)

    def _commit(self) -> None:
        self._store.ops.update(self.ops)
        self._store.types.update(self.types)


class RewriteRegistry(_Facade):
    """Passed to ``symcore_register_rewrites``."""

    def __init__(self, store: Store, plugin: str) -> None:
        super().__init__(store, plugin)
        self.rewrites: list[RewriteRecord] = []

    def add_rewrite(
        self,
        name: str,
        rewriter: Any,
        *tags: str,
        position: float | None = None,
        phase: str | None = None,
    ) -> None:
        """Register a rewrite.

        Give ``phase`` (one of :data:`PHASES`) or an explicit ``position``
        (``phase`` is then the phase the position falls in).  ``tags`` select
        the optimizer sets that run it, e.g. ``"fast_run"``, ``"fast_compile"``.
        """
        _check_name("rewrite", name)
        if rewriter is None:
            raise ValueError(f"rewrite {name!r}: rewriter is None")
        if phase is not None and phase not in PHASES:
            raise ValueError(
                f"rewrite {name!r}: unknown phase {phase!r}; allowed: {', '.join(PHASES)}"
            )
        if position is None:
            if phase is None:
                raise ValueError(f"rewrite {name!r}: give phase= or position=")
            position = PHASES[phase]
        position = float(position)
        if phase is None:
            phase = max(
                (p for p in PHASES.items() if p[1] <= position),
                key=lambda p: p[1],
                default=("merge", 0.0),
            )[0]
        if not all(isinstance(t, str) for t in tags):
            raise ValueError(f"rewrite {name!r}: tags must be strings, got {tags!r}")
        self._refuse_duplicate("rewrite", name, self._store.rewrites, self.rewrites)
        self.rewrites.append(
            RewriteRecord(name, rewriter, tuple(tags), position, phase, self._plugin)
        )

    def _commit(self) -> None:
        self._store.rewrites.extend(self.rewrites)


class BackendRegistry(_Facade):
    """Passed to ``symcore_register_backends``."""

    def __init__(self, store: Store, plugin: str) -> None:
        super().__init__(store, plugin)
        self.backends: list[Backend] = []

    def add_backend(
        self,
        name: str,
        devices: Iterable[str],
        linker: str | Callable[..., Any],
        priority: int = 10,
        description: str = "",
    ) -> None:
        """Register a backend serving ``devices`` (fnmatch patterns: ``"cpu"``,
        ``"cuda*"``, ``"opencl*"``).  ``linker`` is ``"module:Class"`` (imported
        lazily) or a callable factory.  For ``linker=auto`` the highest
        ``priority`` serving the device wins; the core's ``py`` backend has 0."""
        _check_name("backend", name)
        patterns = (devices,) if isinstance(devices, str) else tuple(devices)
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(
                f"backend {name!r}: devices must be non-empty strings, got {devices!r}"
            )
        if isinstance(linker, str):
            if not linker.partition(":")[2]:
                raise ValueError(
                    f"backend {name!r}: linker string must be 'module:attr', got {linker!r}"
                )
        elif not callable(linker):
            raise ValueError(f"backend {name!r}: linker must be 'module:attr' or callable")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise ValueError(f"backend {name!r}: priority must be an int, got {priority!r}")
        self._refuse_duplicate("backend", name, self._store.backends, self.backends)
        self.backends.append(Backend(name, patterns, linker, priority, description, self._plugin))

    def _commit(self) -> None:
        self._store.backends.extend(self.backends)


class ConfigDeclarer:
    """Passed to ``symcore_declare_config``: ``add`` declares a flag; other
    attributes read the config.  A bad user value for a plugin flag is reported
    by ``config.validate_pending()``, not blamed on the plugin."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self.flags: list[str] = []

    def add(self, name: str, doc: str, param: ConfigParam) -> None:
        """Declare flag ``name`` (dotted names make sections: ``mybackend.flag``)."""
        try:
            self._config.add(name, doc, param)
        except FlagValueError as exc:
            self._config.defer_error(exc)
        self.flags.append(canonical_name(name))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, name)
