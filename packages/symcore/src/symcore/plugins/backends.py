"""Choosing the backend for a device."""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Sequence

from symcore.config import ConfigError
from symcore.plugins.records import Backend

#: What to install for a device family or linker name that no installed backend serves.
_INSTALL_HINTS: dict[str, tuple[str, str, str]] = {
    "cuda": ("a CUDA backend", "cuda", "sym-backend-cuda"),
    "opencl": ("an OpenCL backend", "opencl", "sym-backend-opencl"),
    "c": ("the C backend", "c", "sym-backend-c"),
    "cvm": ("the C backend", "c", "sym-backend-c"),
}


class BackendNotFoundError(ConfigError):
    """No installed backend serves the requested device or linker."""


def _install_hint(key: str) -> str:
    family = re.sub(r"[\d:]+$", "", key)
    if family not in _INSTALL_HINTS:
        return "install a symcore plugin that registers a backend for it"
    what, extra, package = _INSTALL_HINTS[family]
    try:
        version = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return (
            f'it needs {what}: pip install "symcore[{extra}]" '
            f"(from a checkout: pip install -e packages/{package})"
        )
    return (
        f"it needs {what}; {package} {version} is installed but registers no backend for it "
        "(see python -m symcore info)"
    )


def _installed(backends: Sequence[Backend]) -> str:
    return "; ".join(f"{b.name} ({', '.join(b.devices)})" for b in backends) or "none"


def select_backend(backends: Sequence[Backend], device: str, linker: str = "auto") -> Backend:
    """The backend for ``device``: the one named ``linker``, or for ``linker="auto"``
    the highest-priority backend serving the device (earliest registered on ties).

    Raises :class:`BackendNotFoundError` naming the package to install.
    """
    if linker != "auto":
        named = next((b for b in backends if b.name == linker), None)
        if named is None:
            raise BackendNotFoundError(
                f"linker={linker!r}: no installed backend is named {linker!r}; "
                f"{_install_hint(linker)}. Installed backends: {_installed(backends)}"
            )
        if not named.serves(device):
            raise BackendNotFoundError(
                f"linker={linker!r} serves devices {', '.join(named.devices)}, "
                f"not device={device!r}; "
                "use linker=auto or a backend that serves the device. "
                f"Installed backends: {_installed(backends)}"
            )
        return named
    serving = [b for b in backends if b.serves(device)]
    if not serving:
        raise BackendNotFoundError(
            f"device={device!r} has no installed backend; {_install_hint(device)}. "
            f"Installed backends: {_installed(backends)}"
        )
    return max(serving, key=lambda b: b.priority)
