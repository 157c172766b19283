"""Discovering, loading and calling plugins.

Entry points of the group ``symcore.plugins`` are loaded one by one (not with
pluggy's ``load_setuptools_entrypoints``, which aborts on the first failing
import).  Hooks are called per plugin, phase by phase; a plugin that fails to
import or whose hook raises is reported by one :class:`SymcorePluginWarning`
and skipped, and the others go on.
"""

from __future__ import annotations

import importlib.metadata
import traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import pluggy

from symcore.config import Config
from symcore.plugins import builtin
from symcore.plugins.hookspecs import ENTRY_POINT_GROUP, PROJECT, SymcoreHookSpecs
from symcore.plugins.records import PluginRecord
from symcore.plugins.registries import (
    BackendRegistry,
    ConfigDeclarer,
    OpRegistry,
    RewriteRegistry,
    Store,
)

EntryPoints = Callable[[], Iterable[importlib.metadata.EntryPoint]]


class SymcorePluginWarning(UserWarning):
    """A symcore plugin failed to import or register and was skipped."""


def _default_entry_points() -> Iterable[importlib.metadata.EntryPoint]:
    return importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)


def _describe_dist(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown", ""
    return dist.metadata["Name"] or "unknown", dist.version or ""


class PluginSystem:
    """Plugin manager, plugin records and the store of registrations.

    ``symcore.plugins`` uses one instance bound to the global config; tests
    build their own with a fresh :class:`Config` and fake entry points.
    """

    def __init__(self, config: Config, entry_points: EntryPoints = _default_entry_points) -> None:
        self.config = config
        self.store = Store()
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(SymcoreHookSpecs)
        self._entry_points = entry_points
        self._records: dict[str, PluginRecord] = {}
        self._rejected: list[PluginRecord] = []  # entry points whose name was already taken
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def records(self) -> list[PluginRecord]:
        """All plugins seen, the core first, in load order."""
        return [*self._records.values(), *self._rejected]

    # -- loading -------------------------------------------------------------------
    def load(self) -> None:
        """Discover and register all plugins; calling it again does nothing."""
        if self._loaded:
            return
        self._loaded = True
        core = PluginRecord(PROJECT, PROJECT, dist_version(PROJECT), builtin.__name__, builtin=True)
        self._register(core, builtin)
        for ep in self._entry_points():
            self._load_entry_point(ep)
        declarers: dict[str, ConfigDeclarer] = {}
        self._run_phase(
            "symcore_declare_config",
            "config",
            lambda name: declarers.setdefault(name, ConfigDeclarer(self.config)),
        )
        for name, declarer in declarers.items():
            self._records[name].flags = declarer.flags
        self._run_phase(
            "symcore_register_ops", "registry", lambda name: OpRegistry(self.store, name)
        )
        self._run_phase(
            "symcore_register_rewrites", "registry", lambda name: RewriteRegistry(self.store, name)
        )
        self._run_phase(
            "symcore_register_backends", "registry", lambda name: BackendRegistry(self.store, name)
        )
        self._sync_records()
        self.config.param("device").accept(p for b in self.store.backends for p in b.devices)
        self.config.param("linker").accept(b.name for b in self.store.backends)

    def _load_entry_point(self, ep: importlib.metadata.EntryPoint) -> None:
        dist, version = _describe_dist(ep)
        record = PluginRecord(ep.name, dist, version, ep.value)
        if ep.name in self._records:
            other = self._records[ep.name]
            self._fail(
                record,
                f"the plugin name {ep.name!r} is already used by {other.dist}",
                owns_name=False,
            )
            return
        try:
            plugin = ep.load()
        except BaseException as exc:  # noqa: BLE001 - any import-time failure skips the plugin
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._fail(record, _format(exc), traceback.format_exc())
            return
        self._register(record, plugin)

    def _register(self, record: PluginRecord, plugin: object) -> None:
        self._records[record.name] = record
        try:
            self.pm.register(plugin, name=record.name)
        except Exception as exc:  # pluggy.PluginValidationError, ValueError (already registered)
            self._fail(record, _format(exc))
            return
        unknown = [
            caller.name
            for caller in self.pm.get_hookcallers(plugin) or []
            if caller.spec is None
            and not any(i.optionalhook for i in caller.get_hookimpls() if i.plugin is plugin)
        ]
        wrappers = [
            caller.name
            for caller in self.pm.get_hookcallers(plugin) or []
            if any(i.hookwrapper or i.wrapper for i in caller.get_hookimpls() if i.plugin is plugin)
        ]
        if unknown:
            known = ", ".join(n for n in dir(SymcoreHookSpecs) if n.startswith("symcore_"))
            self._fail(record, f"unknown hook(s) {', '.join(unknown)}; known hooks: {known}")
        elif wrappers:
            self._fail(record, f"hook wrappers are not supported: {', '.join(wrappers)}")

    def _run_phase(self, hook: str, argname: str, make: Callable[[str], Any]) -> None:
        for impl in getattr(self.pm.hook, hook).get_hookimpls():  # registration order
            record = self._records[impl.plugin_name]
            if not record.ok:
                continue
            target = make(record.name)
            try:
                impl.function(**({argname: target} if argname in impl.argnames else {}))
                if hasattr(target, "_commit"):
                    target._commit()
            except Exception as exc:  # noqa: BLE001 - a failing hook skips its plugin
                self._fail(record, f"{hook}: {_format(exc)}", traceback.format_exc())

    def _fail(
        self, record: PluginRecord, error: str, tb: str = "", *, owns_name: bool = True
    ) -> None:
        """Mark ``record`` failed, drop what it registered, and warn once."""
        record.status, record.error, record.traceback = "failed", error, tb
        if owns_name:
            self._records[record.name] = record
            self.store.remove_plugin(record.name)
            if self.pm.get_plugin(record.name) is not None:
                self.pm.unregister(name=record.name)
        else:
            self._rejected.append(record)
        where = f"distribution {record.dist} {record.version}".rstrip()
        warnings.warn(
            SymcorePluginWarning(
                f"symcore plugin {record.name!r} ({where}, entry point {record.value!r}) "
                f"failed and was skipped: {error}. Fix or uninstall it; other plugins still load."
            ),
            stacklevel=2,
        )

    def _sync_records(self) -> None:
        for record in self._records.values():
            record.ops = [r.name for r in self.store.ops.values() if r.plugin == record.name]
            record.types = [r.name for r in self.store.types.values() if r.plugin == record.name]
            record.rewrites = [r.name for r in self.store.rewrites if r.plugin == record.name]
            record.backends = [b.name for b in self.store.backends if b.plugin == record.name]

    # -- info ----------------------------------------------------------------------
    def collect_info(self) -> dict[str, dict[str, str]]:
        """Call every loaded plugin's ``symcore_info`` hook: ``{plugin: {label: text}}``."""
        result: dict[str, dict[str, str]] = {}
        for impl in self.pm.hook.symcore_info.get_hookimpls():
            if not self._records[impl.plugin_name].ok:
                continue
            try:
                lines = impl.function() or {}
                result[impl.plugin_name] = {str(k): str(v) for k, v in dict(lines).items()}
            except Exception as exc:  # noqa: BLE001 - info must not fail because of one plugin
                result[impl.plugin_name] = {"error": f"symcore_info failed: {_format(exc)}"}
        return result


def _format(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def dist_version(dist: str) -> str:
    """Installed version of distribution ``dist``, or a note that it is not installed."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"
