"""Reading raw flag values from ``SYMCORE_FLAGS`` and rc files.

Both sources produce :class:`RawValue` records keyed by canonical flag name
(dotted, e.g. ``gcc.cxxflags``).  Nothing here knows which flags exist; that
is checked by :class:`~symcore.config.core.Config`.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from symcore.config.errors import ConfigError

ENV_FLAGS = "SYMCORE_FLAGS"
ENV_RC = "SYMCORERC"


@dataclass(frozen=True)
class RawValue:
    """A flag value as written by the user, with where it was written."""

    value: str
    source: str


def canonical_name(name: str) -> str:
    """``gcc__cxxflags`` and ``gcc.cxxflags`` both become ``gcc.cxxflags``."""
    return name.strip().replace("__", ".")


def parse_flags_string(text: str, source: str = ENV_FLAGS) -> dict[str, RawValue]:
    """Parse ``name=value,name=value``; a bare ``name`` means ``name=True``."""
    result: dict[str, RawValue] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = canonical_name(name)
        if not name:
            raise ConfigError(f"{source}: entry {item!r} has no flag name (expected name=value)")
        result[name] = RawValue(value.strip() if sep else "True", source)
    return result


def read_rc_files(paths: Iterable[Path]) -> dict[str, RawValue]:
    """Read INI rc files; later files override earlier ones.

    Keys of ``[global]`` are flag names; a key ``k`` in ``[section]`` is the
    flag ``section.k``.  Missing files are skipped.  Keys are case-sensitive.
    """
    result: dict[str, RawValue] = {}
    for path in paths:
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep case: floatX
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise ConfigError(f"cannot parse rc file {path}: {exc}") from exc
        for section in parser.sections():
            prefix = "" if section == "global" else canonical_name(section) + "."
            for key, value in parser.items(section, raw=True):
                result[prefix + canonical_name(key)] = RawValue(value.strip(), f"rc file {path}")
    return result


def rc_paths(environ: Mapping[str, str]) -> list[Path]:
    """The rc files named by ``SYMCORERC`` (os.pathsep-separated), default ``~/.symcorerc``."""
    if ENV_RC in environ:
        return [Path(p).expanduser() for p in environ[ENV_RC].split(os.pathsep) if p.strip()]
    home = environ.get("HOME") or str(Path.home())
    return [Path(home) / ".symcorerc"]


def read_raw_settings(environ: Mapping[str, str]) -> dict[str, RawValue]:
    """All user settings, ``SYMCORE_FLAGS`` taking precedence over rc files."""
    raw = read_rc_files(rc_paths(environ))
    raw.update(parse_flags_string(environ.get(ENV_FLAGS, "")))
    return raw
