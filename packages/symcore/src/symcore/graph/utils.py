"""Small helpers shared by the graph classes: user-frame traces, scratchpads, errors."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SKIP_DIRS: list[str] = [_PACKAGE_DIR]


def register_internal_dir(path: str) -> None:
    """Mark a directory as library code: frames in it are skipped when recording user traces.

    Plugins call this with their own package directory so that error messages point at
    the user's line, not at the plugin's helper functions.
    """
    path = os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else os.path.abspath(path)
    if path not in _SKIP_DIRS:
        _SKIP_DIRS.append(path)
        _INTERNAL.clear()


#: filename -> whether it is library code (every new Variable walks the stack: a rewrite
#: deep in the library checks dozens of frames, mostly the same few files)
_INTERNAL: dict[str, bool] = {}


def _is_internal(filename: str) -> bool:
    found = _INTERNAL.get(filename)
    if found is None:
        found = any(filename.startswith(d) for d in _SKIP_DIRS) or filename.startswith("<frozen")
        if len(_INTERNAL) > 4096:  # bound it: exec'd code can make many distinct names
            _INTERNAL.clear()
        _INTERNAL[filename] = found
    return found


def user_trace(limit: int = 1) -> list[tuple[str, int, str, str | None]]:
    """Return the innermost ``limit`` frames outside symcore: (file, line, function, source)."""
    frames = []
    f = sys._getframe(1)
    while f is not None and len(frames) < limit:
        code = f.f_code
        if not _is_internal(code.co_filename):
            frames.append((code.co_filename, f.f_lineno, code.co_name, None))
        f = f.f_back
    return frames


def format_trace(trace: list) -> str:
    """Readable 'File "x.py", line N, in fn' lines, with the source line when available."""
    if not trace:
        return "  (no user frame recorded)"
    lines = []
    for filename, lineno, name, _ in trace:
        lines.append(f'  File "{filename}", line {lineno}, in {name}')
        try:
            import linecache

            src = linecache.getline(filename, lineno).strip()
        except Exception:  # pragma: no cover - linecache never raises in practice
            src = ""
        if src:
            lines.append(f"    {src}")
    return "\n".join(lines)


class Scratchpad:
    """Attribute bag used for ``var.tag`` and ``node.tag``."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)

    def __repr__(self) -> str:
        return "scratchpad" + repr(self.__dict__)

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> Scratchpad:
        return type(self)(**self.__dict__)


class ValidatingScratchpad(Scratchpad):
    """A scratchpad whose ``test_value`` attribute is filtered through the variable's type."""

    def __init__(self, attr: str, filter_fn) -> None:
        object.__setattr__(self, "_attr", attr)
        object.__setattr__(self, "_filter", filter_fn)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == self._attr and value is not None:
            value = self._filter(value)
        object.__setattr__(self, name, value)

    def copy(self) -> ValidatingScratchpad:
        new = type(self)(self._attr, self._filter)
        for k, v in self.__dict__.items():
            if not k.startswith("_"):
                object.__setattr__(new, k, v)
        return new


class MethodNotDefined(NotImplementedError):
    """An Op does not implement an optional method (e.g. ``infer_shape``, ``R_op``)."""


class TestValueError(ValueError):
    """Raised when computing test values (``compute_test_value``) fails."""

    __test__ = False  # keep pytest from collecting it


def short_exc(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
