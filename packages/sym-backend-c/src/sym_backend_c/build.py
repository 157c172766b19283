"""Building generated C with cffi (API mode) and loading it, through the disk cache.

A generated module defines ``void* symc_make_runner(void* state)`` returning a CPython
function object (``METH_O``, taking the list of input values). cffi builds the extension
module; the runner itself is called directly by Python with no cffi layer, so a call
costs about as much as calling a builtin.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sym_backend_c import cache
from sym_backend_c.toolchain import Toolchain, get_toolchain

CDEF = """
void* symc_make_runner(void* state);
int symc_set_pointers(void** ptrs, int n);
"""


class CCompileError(RuntimeError):
    """The compiler rejected generated code; the message holds the compiler's output."""


@dataclass
class BuiltModule:
    module: Any
    key: str
    path: Path
    from_cache: bool


def _numpy_abi() -> str:
    return f"numpy-{np.__version__}-{np.lib.NumpyVersion(np.__version__).major}"


def module_key(source: str, toolchain: Toolchain) -> str:
    from symcore.config import config

    from importlib.metadata import version as _dist_version

    extra = config.c_key() if hasattr(config, "c_key") else ""
    return cache.make_key(
        source, toolchain.key(), _numpy_abi(), sys.version, _dist_version("sym-backend-c"), str(extra)
    )


def _compile_into(tmp: Path, name: str, source: str, toolchain: Toolchain) -> None:
    import cffi

    from symcore.config import config

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    extra = [f for f in (getattr(config.gcc, "cxxflags", "") or "").split() if f]
    ffi.set_source(
        name,
        source,
        include_dirs=[np.get_include()],
        define_macros=[("_CFFI_NO_LIMITED_API", None)],
        extra_compile_args=[*toolchain.cflags, *extra],
        extra_link_args=list(toolchain.ldflags),
    )
    (tmp / (name + "_generated.c")).write_text(source)
    import os

    env_cc = os.environ.get("CC")
    os.environ["CC"] = toolchain.cc
    try:
        import io
        import contextlib

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            ffi.compile(tmpdir=str(tmp), verbose=False)
    except Exception as exc:  # cffi.VerificationError wraps distutils' CompileError
        raise CCompileError(_compiler_message(exc, source, tmp / (name + ".c"))) from None
    finally:
        if env_cc is None:
            os.environ.pop("CC", None)
        else:
            os.environ["CC"] = env_cc
    for f in tmp.iterdir():
        if f.suffix in (".o",) or f.name == name + ".c":
            f.unlink()


def _compiler_message(exc: Exception, source: str, c_file: Path) -> str:
    import subprocess

    msg = str(exc)
    # Re-run the compiler once to capture its diagnostics (cffi only reports the command).
    try:
        toolchain = get_toolchain()
        r = subprocess.run(
            [toolchain.cc, "-fsyntax-only", "-I", np.get_include(), "-I",
             __import__("sysconfig").get_paths()["include"], "-x", "c", "-"],
            input=source, capture_output=True, text=True, timeout=60,
        )
        diag = r.stderr.strip()
    except Exception:  # pragma: no cover - best effort
        diag = ""
    return f"C compilation failed: {msg}\n{diag[:4000]}"


def load_module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, str(path),
                                                  loader=importlib.machinery.ExtensionFileLoader(name, str(path)))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_loaded: dict[str, Any] = {}


def build(source: str, toolchain: Toolchain | None = None) -> BuiltModule:
    """Compile ``source`` (or fetch it from the cache) and import it."""
    toolchain = toolchain or get_toolchain()
    key = module_key(source, toolchain)
    name = "_symc_" + key[:24]
    if name in _loaded:
        return BuiltModule(_loaded[name], key, Path(_loaded[name].__file__), True)
    entry = cache.entry_for(key)
    for attempt in range(2):
        from_cache = True
        if not entry.done:
            with cache.locked(entry):
                if not entry.done:
                    from_cache = False
                    cache.publish(entry, lambda tmp: _compile_into(tmp, name, source, toolchain))
        so = entry.module_file()
        try:
            if so is None:
                raise ImportError("entry has no module file")
            mod = load_module(so, name)
            _loaded[name] = mod
            return BuiltModule(mod, key, so, from_cache)
        except ImportError:
            if attempt:
                raise
            # A corrupt or half-written entry: remove it and build again.
            with cache.locked(entry):
                cache.remove(entry)
    raise AssertionError("unreachable")


def make_runner(mod: Any, state: tuple) -> Any:
    """The CPython function object of a built module, bound to ``state`` (kept alive by it)."""
    ptr = mod.lib.symc_make_runner(mod.ffi.cast("void*", id(state)))
    if ptr == mod.ffi.NULL:
        raise RuntimeError("the generated module failed to initialise NumPy's C API")
    addr = int(mod.ffi.cast("intptr_t", ptr))
    runner = ctypes.cast(addr, ctypes.py_object).value
    ctypes.pythonapi.Py_DecRef(ctypes.py_object(runner))  # drop the factory's own reference
    return runner
