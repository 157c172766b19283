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
import re
import subprocess
import sys
import sysconfig
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


def _wrapper_version() -> str:
    """What decides the module's code besides ``source``: cffi's wrapper (its version and
    ``CDEF``). (Not this distribution's version: ``importlib.metadata`` costs ~0.5 ms per
    process, and an editable install keeps one version while its code changes; bump
    ``cache.CACHE_VERSION`` when the build recipe changes.)"""
    import _cffi_backend  # loading a built module imports it anyway

    return f"cffi-{_cffi_backend.__version__}|{CDEF}"


def module_key(source: str, toolchain: Toolchain) -> str:
    from symcore.config import config

    extra = config.c_key() if hasattr(config, "c_key") else ""
    return cache.make_key(
        source,
        toolchain.key(),
        " ".join(compile_args(toolchain)),
        _numpy_abi(),
        sys.version,
        _wrapper_version(),
        str(extra),
    )


def compile_args(toolchain: Toolchain) -> list[str]:
    """The compiler's arguments for a generated module (besides include dirs and output)."""
    from symcore.config import config

    extra = [f for f in (getattr(config.gcc, "cxxflags", "") or "").split() if f]
    # -g0: no debug info (Python's own CFLAGS would add -g: ~15% of the compile time).
    # -fwrapv: signed integer overflow wraps, as in NumPy (and as CPython builds extensions).
    # A call of an undeclared function is an error (with -w it would link, then fail to
    # load); other warnings are captured and shown only when the build fails.
    # -fopenmp-simd: the "omp simd" pragmas (vectorized loops, and libmvec's vector exp/log/
    # sin... through "declare simd") work without -fopenmp, i.e. without threads.
    flags = [f for f in toolchain.cflags if f != "-w"]
    simd = ["-fopenmp-simd"] if toolchain.openmp_simd and not toolchain.openmp else []
    return [
        *flags,
        *simd,
        "-g0",
        "-fwrapv",
        "-fPIC",
        "-DNDEBUG",
        "-D_CFFI_NO_LIMITED_API",
        "-Werror=implicit-function-declaration",
        *extra,
    ]


def _direct_build_supported() -> bool:
    return sys.platform.startswith(("linux", "darwin", "freebsd"))


def _compile_into(tmp: Path, name: str, source: str, toolchain: Toolchain) -> None:
    """Build the extension module ``name`` from ``source`` into the folder ``tmp``.

    cffi writes the module's C file (its wrapper around ``source``); on POSIX systems the
    compiler is then run directly, once, to compile and link (no setuptools run: faster,
    and its diagnostics are captured for the error message); elsewhere cffi builds it.
    """
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    (tmp / (name + "_generated.c")).write_text(source)
    if not _direct_build_supported():  # pragma: no cover - exercised on Windows only
        _compile_with_setuptools(ffi, tmp, name, source, toolchain)
        return
    from cffi.recompiler import make_c_source

    c_file = tmp / (name + ".c")
    make_c_source(ffi, name, source, str(c_file), verbose=False)
    pch = precompiled_header(toolchain)
    if pch is not None:  # must come first in the file for the compiler to use it
        c_file.write_text(f'#include "{PCH_NAME}"\n' + c_file.read_text())
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    out = tmp / (name + suffix)
    link = ["-shared"] if sys.platform != "darwin" else ["-bundle", "-undefined", "dynamic_lookup"]
    cmd = [
        toolchain.cc,
        *compile_args(toolchain),
        *_include_args(),
        *(["-I", str(pch)] if pch is not None else []),
        str(c_file),
        "-o",
        str(out),
        *link,
        *toolchain.ldflags,
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=str(tmp))
    if r.returncode != 0 or not out.exists():
        text = c_file.read_text()
        offset = text[: text.index(source)].count("\n") if source in text else 0
        raise CCompileError(compiler_message(r.stderr or r.stdout, source, offset, name, cmd))
    c_file.unlink()


def _include_args() -> list[str]:
    return ["-I", np.get_include(), "-I", sysconfig.get_paths()["include"]]


#: The headers every generated module includes (``codegen.runtime.PRELUDE``), precompiled
#: once per toolchain with GCC: parsing Python.h and NumPy's headers is about a third of
#: the time of building a small module.
PCH_NAME = "symc_pch.h"
PCH_HEADER = """#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>
#include <numpy/npy_math.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
"""

_pch_failed: set[str] = set()


def precompiled_header(toolchain: Toolchain) -> Path | None:
    """The folder holding the precompiled ``symc_pch.h`` for ``toolchain`` (built on first
    use, through the cache's lock), or None when the compiler is not GCC or building failed
    (modules then parse the headers themselves: slower, same result)."""
    from symcore.config import config

    if "clang" in toolchain.version.lower() or not any(
        w in toolchain.version.lower() for w in ("gcc", "g++", "free software foundation")
    ):
        return None
    args = compile_args(toolchain)
    key = cache.make_key("pch", PCH_HEADER, toolchain.key(), _numpy_abi(), sys.version, *args)
    if key in _pch_failed:
        return None
    entry = cache.entry_for(key, Path(config.compiledir) / "c-pch")

    def make(tmp: Path) -> None:
        (tmp / PCH_NAME).write_text(PCH_HEADER)
        cmd = [
            toolchain.cc,
            *args,
            *_include_args(),
            "-x",
            "c-header",
            PCH_NAME,
            "-o",
            PCH_NAME + ".gch",
        ]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=str(tmp))
        if r.returncode != 0:
            raise CCompileError(r.stderr)

    try:
        if not entry.done:
            with cache.locked(entry):
                if not entry.done:
                    cache.publish(entry, make)
    except (CCompileError, OSError):
        _pch_failed.add(key)
        return None
    return entry.path


def _compile_with_setuptools(ffi, tmp: Path, name: str, source: str, toolchain: Toolchain) -> None:
    import contextlib
    import io
    import os

    ffi.set_source(
        name,
        source,
        include_dirs=[np.get_include()],
        extra_compile_args=compile_args(toolchain),
        extra_link_args=list(toolchain.ldflags),
    )
    env_cc = os.environ.get("CC")
    os.environ["CC"] = toolchain.cc
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            ffi.compile(tmpdir=str(tmp), verbose=False)
    except Exception as exc:  # cffi.VerificationError wraps distutils' CompileError
        raise CCompileError(compiler_message(str(exc), source, 0, name, [])) from None
    finally:
        if env_cc is None:
            os.environ.pop("CC", None)
        else:
            os.environ["CC"] = env_cc
    for f in tmp.iterdir():
        if f.suffix in (".o",) or f.name == name + ".c":
            f.unlink()


_DIAG = re.compile(
    r"^(?P<file>[^:\n]+\.c):(?P<line>\d+):(?:\d+:)? (?P<kind>(?:fatal )?error)", re.M
)
_BLOCK = re.compile(r"/\* (node \d+|kernel \w+): ")


def compiler_message(diagnostics: str, source: str, offset: int, name: str, cmd: list[str]) -> str:
    """An error message for people: which node's code failed, the generated lines around
    the first error, and the compiler's own message. ``offset``: lines the module's C file
    has before ``source`` (cffi's wrapper)."""
    lines = source.splitlines()
    parts = ["The C compiler rejected the code generated for this graph."]
    m = _DIAG.search(diagnostics)
    if m:
        line = int(m.group("line")) - offset  # 1-based line in ``source``
        if 1 <= line <= len(lines):
            owner = next(
                (lines[k] for k in range(line - 1, -1, -1) if _BLOCK.search(lines[k])), None
            )
            if owner is not None:
                parts.append(f"Failing code: {owner.strip()}")
            lo, hi = max(1, line - 4), min(len(lines), line + 3)
            excerpt = "\n".join(
                f"{'>' if k == line else ' '} {k:6d} | {lines[k - 1]}" for k in range(lo, hi + 1)
            )
            parts.append(f"Generated source around line {line}:\n{excerpt}")
    saved = _save_failed_source(source, name)
    diag = diagnostics.strip()
    if len(diag) > 6000:
        diag = diag[:6000] + "\n[... truncated]"
    parts.append(f"Compiler message:\n{diag or '(none)'}")
    if cmd:
        parts.append("Command: " + " ".join(cmd))
    if saved is not None:
        parts.append(f"The generated source is saved in {saved}")
    return "\n".join(parts)


def _save_failed_source(source: str, name: str) -> Path | None:
    try:
        folder = cache.cache_root() / "failed"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (name + ".c")
        path.write_text(source)
        return path
    except OSError:  # pragma: no cover - best effort
        return None


def load_module(path: Path, name: str) -> Any:
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_loaded: dict[str, Any] = {}
_EXT_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


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
        so = entry.module_file(name + _EXT_SUFFIX)
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
