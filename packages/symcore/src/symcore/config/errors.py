"""Exceptions raised by :mod:`symcore.config`."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration flag is unknown, malformed or has a bad value."""


class UnknownFlagError(ConfigError):
    """A flag name given in SYMCORE_FLAGS, an rc file or ``change_flags`` is not declared."""


class FlagValueError(ConfigError):
    """A declared flag received a value outside its allowed values."""

    def __init__(self, flag: str, value: object, allowed: str, source: str = "") -> None:
        where = f" (from {source})" if source else ""
        super().__init__(f"bad value {value!r} for flag {flag!r}{where}; allowed: {allowed}")
        self.flag = flag
        self.value = value
        self.allowed = allowed
        self.source = source
