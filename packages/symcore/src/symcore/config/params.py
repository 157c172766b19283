"""Typed flag parameters.

A parameter knows its default, checks and converts raw (string) values with
:meth:`ConfigParam.filter`, and describes its allowed values for error messages
and the flags table.  ``filter`` raises :class:`ValueError` with a short reason;
:class:`~symcore.config.core.Config` turns it into a :class:`FlagValueError`
that names the flag.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Any

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class ConfigParam:
    """Base class of typed flags.

    ``default`` is a value or a zero-argument callable evaluated on first use
    (for machine-dependent defaults such as the compiler path).  ``default_doc``
    describes such a default in the flags table.  ``in_c_key`` marks flags that
    change generated native code, see :meth:`Config.c_key`.
    """

    def __init__(
        self,
        default: Any,
        *,
        mutable: bool = True,
        in_c_key: bool = False,
        default_doc: str | None = None,
    ) -> None:
        self._default = default
        self.mutable = mutable
        self.in_c_key = in_c_key
        self.default_doc = default_doc

    def default(self) -> Any:
        """Return the default value, evaluating a callable default."""
        value = self._default() if callable(self._default) else self._default
        return self.filter(value)

    def filter(self, value: Any) -> Any:
        """Convert ``value`` to the flag's type; raise ValueError if it is not allowed."""
        return value

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        return "any value"

    def late_check(self, value: Any) -> None:
        """Check what is only known once plugins are loaded; raise ValueError if wrong."""


class EnumParam(ConfigParam):
    """One of a fixed set of strings (case-sensitive)."""

    def __init__(self, default: str, *options: str, **kwargs: Any) -> None:
        self.options: tuple[str, ...] = tuple(dict.fromkeys((default, *options)))
        super().__init__(default, **kwargs)

    def filter(self, value: Any) -> str:
        if value is None and "None" in self.options:
            value = "None"
        if not isinstance(value, str) or value not in self.options:
            raise ValueError(self.allowed())
        return value

    def allowed(self) -> str:
        return ", ".join(self.options)


class BoolParam(ConfigParam):
    """A boolean; strings true/false, 1/0, yes/no and on/off are accepted."""

    def filter(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError(self.allowed())

    def allowed(self) -> str:
        return "True, False (also 1/0, yes/no, on/off)"


class IntParam(ConfigParam):
    """An integer, optionally bounded below by ``minimum``."""

    def __init__(self, default: int, *, minimum: int | None = None, **kwargs: Any) -> None:
        self.minimum = minimum
        super().__init__(default, **kwargs)

    def filter(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(self.allowed())
        try:
            number = int(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ValueError(self.allowed()) from None
        if isinstance(value, float) and number != value:
            raise ValueError(self.allowed())
        if self.minimum is not None and number < self.minimum:
            raise ValueError(self.allowed())
        return number

    def allowed(self) -> str:
        return "an integer" + (f" >= {self.minimum}" if self.minimum is not None else "")


class FloatParam(ConfigParam):
    """A floating point number."""

    def filter(self, value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(self.allowed())
        try:
            return float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ValueError(self.allowed()) from None

    def allowed(self) -> str:
        return "a number"


class StrParam(ConfigParam):
    """A free string (may be empty)."""

    def filter(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(self.allowed())
        return value

    def allowed(self) -> str:
        return "a string"


class _Vocabulary(ConfigParam):
    """Base of flags whose full set of names comes from registered backends."""

    def __init__(self, default: str, builtin: Iterable[str], **kwargs: Any) -> None:
        self.builtin = tuple(builtin)
        self.registered: list[str] = []
        super().__init__(default, **kwargs)

    def accept(self, names: Iterable[str]) -> None:
        """Add names (or fnmatch patterns) made valid by a registered backend."""
        for name in names:
            if name not in self.registered:
                self.registered.append(name)

    def _known(self, value: str) -> bool:
        return any(fnmatch.fnmatchcase(value, p) for p in (*self.builtin, *self.registered))


class DeviceParam(_Vocabulary):
    """A device name: ``cpu``, ``cuda``, ``cudaN``, ``opencl``, ``openclN:M``, or a
    name served by a registered backend (its device patterns, e.g. ``"tpu*"``).

    The syntax is checked when the value is parsed; whether a name outside the
    built-in families is served by some backend is checked once plugins are
    loaded (:meth:`late_check`).  Whether the backend for a built-in family is
    installed is checked when a function is compiled
    (:func:`symcore.plugins.get_backend_for_device`), so the error can say
    which package to install.
    """

    _BUILTIN = re.compile(r"cpu|cuda\d*|opencl(\d+:\d+)?")
    _SYNTAX = re.compile(r"[A-Za-z][A-Za-z_]*(\d+(:\d+)?)?")

    def __init__(self, default: str = "cpu", **kwargs: Any) -> None:
        super().__init__(default, (), **kwargs)

    def filter(self, value: Any) -> str:
        if not isinstance(value, str) or not self._SYNTAX.fullmatch(value.strip()):
            raise ValueError(self.allowed())
        return value.strip()

    def late_check(self, value: Any) -> None:
        if not (self._BUILTIN.fullmatch(value) or self._known(value)):
            raise ValueError(self.allowed())

    def allowed(self) -> str:
        extra = "".join(
            f", {p}" for p in self.registered if not self._BUILTIN.fullmatch(p.rstrip("*"))
        )
        return f"cpu, cuda, cudaN, opencl, openclN:M{extra}"


class LinkerParam(_Vocabulary):
    """``auto`` (the backend registered for the device) or a backend name."""

    def filter(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip().isidentifier():
            raise ValueError(self.allowed())
        return value.strip()

    def late_check(self, value: Any) -> None:
        if not self._known(value):
            raise ValueError(self.allowed())

    def allowed(self) -> str:
        return ", ".join(dict.fromkeys((*self.builtin, *self.registered)))
