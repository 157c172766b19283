"""Plain records of what plugins registered."""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Positions of the rewrite phases (as in PyTensor's optimizer database).
PHASES: dict[str, float] = {
    "merge": 0.0,
    "canonicalize": 1.0,
    "stabilize": 1.5,
    "blas": 1.7,
    "specialize": 2.0,
    "fusion": 49.0,
    "inplace": 50.0,
}


@dataclass(frozen=True)
class OpRecord:
    """An Op instance (or Op class) registered by a plugin."""

    name: str
    op: Any
    doc: str
    plugin: str


@dataclass(frozen=True)
class TypeRecord:
    """A Type registered by a plugin."""

    name: str
    type: Any
    plugin: str


@dataclass(frozen=True)
class RewriteRecord:
    """A graph rewrite, to be placed by the rewrite engine at ``position``.

    ``tags`` say which optimizer sets include it (e.g. ``"fast_run"``);
    ``phase`` is the phase of :data:`PHASES` that ``position`` falls in.
    """

    name: str
    rewriter: Any
    tags: tuple[str, ...]
    position: float
    phase: str
    plugin: str


@dataclass(frozen=True)
class Backend:
    """A backend: the devices it serves and the linker that runs graphs on them.

    ``linker`` is a ``"module:attribute"`` string, imported only when used, or
    a callable factory.
    """

    name: str
    devices: tuple[str, ...]
    linker: str | Callable[..., Any]
    priority: int
    description: str
    plugin: str

    def serves(self, device: str) -> bool:
        """Whether ``device`` matches one of the backend's fnmatch patterns."""
        return any(fnmatch.fnmatchcase(device, pattern) for pattern in self.devices)

    def load_linker(self) -> Callable[..., Any]:
        """The linker factory, importing it if it was given as a string."""
        if callable(self.linker):
            return self.linker
        module_name, _, attr = self.linker.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise ImportError(
                f"backend {self.name!r} (plugin {self.plugin!r}) names linker {self.linker!r}, "
                f"which cannot be imported: {exc}"
            ) from exc
        return obj


@dataclass
class PluginRecord:
    """One plugin: where it comes from, whether it loaded, what it registered."""

    name: str
    dist: str
    version: str
    value: str
    builtin: bool = False
    status: str = "ok"
    error: str = ""
    traceback: str = ""
    flags: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    rewrites: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def registered(self) -> dict[str, list[str]]:
        """Non-empty categories of what the plugin registered."""
        kinds = {
            "flags": self.flags,
            "ops": self.ops,
            "types": self.types,
            "rewrites": self.rewrites,
            "backends": self.backends,
        }
        return {kind: names for kind, names in kinds.items() if names}
