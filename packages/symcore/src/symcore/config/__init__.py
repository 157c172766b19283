"""Typed configuration flags of symcore.

``from symcore.config import config`` gives the process-wide :class:`Config`.
Values come from ``SYMCORE_FLAGS`` (``name=value,...``), then the rc files named
by ``SYMCORERC`` (default ``~/.symcorerc``), then the defaults.
"""

from symcore.config.core import ChangeFlags, Config, FlagInfo
from symcore.config.defaults import build_config, config
from symcore.config.errors import ConfigError, FlagValueError, UnknownFlagError
from symcore.config.params import (
    BoolParam,
    ConfigParam,
    DeviceParam,
    EnumParam,
    FloatParam,
    IntParam,
    LinkerParam,
    StrParam,
)
from symcore.config.table import markdown_table

change_flags = config.change_flags

__all__ = [
    "BoolParam",
    "ChangeFlags",
    "Config",
    "ConfigError",
    "ConfigParam",
    "DeviceParam",
    "EnumParam",
    "FlagInfo",
    "FlagValueError",
    "FloatParam",
    "IntParam",
    "LinkerParam",
    "StrParam",
    "UnknownFlagError",
    "build_config",
    "change_flags",
    "config",
    "markdown_table",
]
