"""The core's own hook implementations: the NumPy reference backend and core info.

Registered by :class:`~symcore.plugins.manager.PluginSystem` under the name
``symcore`` before any entry point, through the same hooks as any plugin.
"""

from __future__ import annotations

import subprocess

import numpy as np

from symcore.config import config
from symcore.plugins.hookspecs import hookimpl

REFERENCE_LINKER = "symcore.link.reference:ReferenceLinker"


@hookimpl
def symcore_register_backends(registry):  # type: ignore[no-untyped-def]
    registry.add_backend(
        "py",
        devices=["cpu"],
        linker=REFERENCE_LINKER,
        priority=0,
        description="NumPy reference backend (pure Python; always installed, lowest priority)",
    )


def compiler_line(cxx: str) -> str:
    """``config.cxx`` and the first line of its ``--version``, or why there is none."""
    if not cxx:
        return "none (config.cxx is empty)"
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{cxx}: not usable ({type(exc).__name__}: {exc})"
    first = (out.stdout or out.stderr).strip().splitlines()
    return f"{cxx}: {first[0] if first else 'no version output'}"


def blas_line() -> str:
    """The BLAS NumPy was built with (and SciPy's, if SciPy is installed)."""
    parts = []
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        parts.append(
            f"numpy {np.__version__}: {blas.get('name', '?')} {blas.get('version', '')}".strip()
        )
    except Exception as exc:  # noqa: BLE001 - only informative
        parts.append(f"numpy {np.__version__}: unknown BLAS ({exc})")
    try:
        import scipy
    except ImportError:
        parts.append("scipy not installed")
    else:
        parts.append(f"scipy {scipy.__version__} (BLAS through scipy.linalg.cython_blas)")
    return "; ".join(parts)


@hookimpl
def symcore_info() -> dict[str, str]:
    return {"compiler": compiler_line(config.cxx), "BLAS": blas_line()}
