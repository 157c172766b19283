"""The :class:`Config` object: declared flags, their values and where they came from."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from contextlib import ContextDecorator
from dataclasses import dataclass
from typing import Any

from symcore.config.errors import ConfigError, FlagValueError, UnknownFlagError
from symcore.config.params import ConfigParam
from symcore.config.parser import RawValue, canonical_name

DEFAULT = "default"
ASSIGNMENT = "assignment"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class FlagInfo:
    """Description of one declared flag (for ``symcore info`` and the README table)."""

    name: str
    doc: str
    default: str
    allowed: str
    mutable: bool
    computed_default: bool = False


class Config:
    """Typed configuration flags.

    Values come from ``SYMCORE_FLAGS``, then rc files, then defaults (see
    :mod:`symcore.config.parser`).  Read a flag as ``config.floatX``; dotted
    flags read as sections, ``config.gcc.cxxflags`` (or ``config.gcc__cxxflags``).
    User values for flags not declared yet are kept pending until
    :meth:`validate_pending`, because plugins declare flags after core import.
    """

    def __init__(self, raw: Mapping[str, RawValue] | None = None) -> None:
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_docs", {})
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_sources", {})
        object.__setattr__(self, "_defaults", {})
        object.__setattr__(self, "_pending", dict(raw or {}))
        object.__setattr__(self, "_deferred", [])
        object.__setattr__(self, "_validated", False)

    # -- declaring -----------------------------------------------------------------
    def add(self, name: str, doc: str, param: ConfigParam) -> None:
        """Declare flag ``name``; a pending user value for it is parsed now.

        Raises :class:`ConfigError` for a malformed or duplicate name and
        :class:`FlagValueError` if the user's value is not allowed.
        """
        name = canonical_name(name)
        if not _NAME.fullmatch(name):
            raise ConfigError(f"invalid flag name {name!r}: use identifiers separated by dots")
        if name in self._params:
            raise ConfigError(f"flag {name!r} is already declared")
        for other in self._params:
            if other.startswith(name + ".") or name.startswith(other + "."):
                raise ConfigError(f"flag {name!r} clashes with flag {other!r} (a section)")
        self._params[name] = param
        self._docs[name] = doc
        raw = self._pending.pop(name, None)
        if raw is not None:
            self._values[name] = self._filter(name, raw.value, raw.source)
            self._sources[name] = raw.source

    def defer_error(self, error: ConfigError) -> None:
        """Keep ``error`` to be raised by :meth:`validate_pending` (used for plugin flags)."""
        self._deferred.append(error)

    def validate_pending(self) -> None:
        """Fail on user values that no declared flag took, and on deferred errors.

        Call once all plugins have declared their flags.  Afterwards, values of
        backend-dependent flags (``device``, ``linker``) are also checked against
        the registered backends on every assignment.
        """
        object.__setattr__(self, "_validated", True)
        errors: list[ConfigError] = list(self._deferred)
        for name, raw in self._pending.items():
            errors.append(self._unknown(name, raw.source))
        for name, source in self._sources.items():
            try:
                self._params[name].late_check(self._values[name])
            except ValueError:
                errors.append(
                    FlagValueError(name, self._values[name], self._params[name].allowed(), source)
                )
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ConfigError("; ".join(str(e) for e in errors))

    # -- reading -------------------------------------------------------------------
    def get(self, name: str) -> Any:
        """Value of flag ``name`` (``a.b`` or ``a__b``)."""
        name = canonical_name(name)
        if name in self._values:
            return self._values[name]
        if name not in self._params:
            raise self._unknown(name, "")
        if name not in self._defaults:
            self._defaults[name] = self._params[name].default()
        return self._defaults[name]

    def param(self, name: str) -> ConfigParam:
        """The parameter object of flag ``name``."""
        name = canonical_name(name)
        if name not in self._params:
            raise self._unknown(name, "")
        return self._params[name]

    def source(self, name: str) -> str:
        """Where the current value of ``name`` comes from: default, SYMCORE_FLAGS, rc file..."""
        return self._sources.get(canonical_name(name), DEFAULT)

    def flags(self) -> list[str]:
        """Names of all declared flags, in declaration order."""
        return list(self._params)

    def changed_flags(self) -> dict[str, tuple[Any, str]]:
        """Flags not at their default: ``{name: (value, source)}``."""
        return {n: (self._values[n], s) for n, s in self._sources.items()}

    def c_key(self) -> tuple[tuple[str, Any], ...]:
        """Values of the flags that change generated native code (for cache keys)."""
        return tuple((n, self.get(n)) for n, p in self._params.items() if p.in_c_key)

    def describe(self) -> list[FlagInfo]:
        """One :class:`FlagInfo` per declared flag."""
        infos = []
        for name, param in self._params.items():
            default = param.default_doc or repr(param.default())
            infos.append(
                FlagInfo(
                    name,
                    self._docs[name],
                    default,
                    param.allowed(),
                    param.mutable,
                    computed_default=param.default_doc is not None,
                )
            )
        return infos

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_name(name) in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self.flags())

    # -- writing -------------------------------------------------------------------
    def set(self, name: str, value: Any, source: str = ASSIGNMENT) -> None:
        """Set a mutable flag after checking the value."""
        name = canonical_name(name)
        param = self.param(name)
        if not param.mutable:
            raise ConfigError(
                f"flag {name!r} cannot be changed after import; set it in SYMCORE_FLAGS "
                "or an rc file instead"
            )
        self._values[name] = self._filter(name, value, source)
        self._sources[name] = source

    def change_flags(self, changes: Mapping[str, Any] | None = None, **kwargs: Any) -> ChangeFlags:
        """Temporarily set flags; use as ``with config.change_flags(floatX='float32'):``
        or as a decorator.  Values are restored on exit, also after an exception.
        Dotted names are written ``gcc__cxxflags=...`` or passed in ``changes``."""
        return ChangeFlags(self, {**(changes or {}), **kwargs})

    # -- attribute access ----------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        cname = canonical_name(name)
        if cname in self._params:
            return self.get(cname)
        if any(p.startswith(cname + ".") for p in self._params):
            return _Section(self, cname)
        raise AttributeError(str(self._unknown(cname, "")))

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.set(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*object.__dir__(self), *(n.split(".")[0] for n in self._params)})

    def __repr__(self) -> str:
        return f"<symcore Config: {len(self._params)} flags, {len(self._sources)} changed>"

    # -- internals -----------------------------------------------------------------
    def _filter(self, name: str, value: Any, source: str) -> Any:
        param = self._params[name]
        try:
            result = param.filter(value)
            if self._validated:
                param.late_check(result)
        except ValueError:
            raise FlagValueError(name, value, param.allowed(), source) from None
        return result

    def _unknown(self, name: str, source: str) -> UnknownFlagError:
        where = f" (from {source})" if source else ""
        close = difflib.get_close_matches(name, self._params, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        known = ", ".join(self._params)
        return UnknownFlagError(
            f"unknown flag {name!r}{where}.{hint} Known flags: {known}. "
            "Flags of a plugin exist only if that plugin is installed and loads."
        )

    def _snapshot(self, name: str) -> tuple[bool, Any, str]:
        return (name in self._values, self._values.get(name), self._sources.get(name, DEFAULT))

    def _restore(self, name: str, snapshot: tuple[bool, Any, str]) -> None:
        present, value, source = snapshot
        if present:
            self._values[name] = value
            self._sources[name] = source
        else:
            self._values.pop(name, None)
            self._sources.pop(name, None)


class _Section:
    """Attribute view of the flags under a dotted prefix, e.g. ``config.gcc``."""

    __slots__ = ("_config", "_prefix")

    def __init__(self, config: Config, prefix: str) -> None:
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, f"{self._prefix}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        self._config.set(f"{self._prefix}.{name}", value)

    def __dir__(self) -> list[str]:
        start = len(self._prefix) + 1
        names = (n[start:] for n in self._config.flags() if n.startswith(self._prefix + "."))
        return sorted({n.split(".")[0] for n in names})

    def __repr__(self) -> str:
        return f"<symcore config section {self._prefix!r}>"


class ChangeFlags(ContextDecorator):
    """Context manager / decorator returned by :meth:`Config.change_flags`."""

    def __init__(self, config: Config, changes: Mapping[str, Any]) -> None:
        self._config = config
        self._changes = {canonical_name(k): v for k, v in changes.items()}
        for name in self._changes:
            if not config.param(name).mutable:
                raise ConfigError(f"flag {name!r} cannot be changed after import")
        self._saved: list[dict[str, tuple[bool, Any, str]]] = []

    def __enter__(self) -> ChangeFlags:
        saved = {name: self._config._snapshot(name) for name in self._changes}
        try:
            for name, value in self._changes.items():
                self._config.set(name, value, source="change_flags")
        except BaseException:
            self._restore(saved)
            raise
        self._saved.append(saved)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._restore(self._saved.pop())

    def _restore(self, saved: dict[str, tuple[bool, Any, str]]) -> None:
        for name, snapshot in saved.items():
            self._config._restore(name, snapshot)
