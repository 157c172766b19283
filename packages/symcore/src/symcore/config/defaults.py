"""The core flags and the process-wide :data:`config` object."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from symcore.config.core import Config
from symcore.config.params import (
    BoolParam,
    DeviceParam,
    EnumParam,
    IntParam,
    LinkerParam,
    StrParam,
)
from symcore.config.parser import read_raw_settings


def default_compiledir(environ: Mapping[str, str]) -> str:
    """``$XDG_CACHE_HOME/symcore/compiledir``, else ``~/.cache/symcore/compiledir``."""
    cache = environ.get("XDG_CACHE_HOME") or str(
        Path(environ.get("HOME") or Path.home()) / ".cache"
    )
    return str(Path(cache) / "symcore" / "compiledir")


def default_cxx() -> str:
    """Path of ``g++`` (else ``gcc``) on PATH, or ``""`` when there is no compiler."""
    return shutil.which("g++") or shutil.which("gcc") or ""


def add_core_flags(config: Config, environ: Mapping[str, str]) -> None:
    """Declare the flags owned by the core."""
    add = config.add
    add(
        "device",
        "Device that compiled functions run on; the linker picks the backend registered for it.",
        DeviceParam("cpu"),
    )
    add(
        "floatX",
        "Default float dtype of new variables and of casts to float.",
        EnumParam("float64", "float32", "float16"),
    )
    add(
        "mode",
        "Default compilation mode of symcore.function.",
        EnumParam("FAST_RUN", "FAST_COMPILE", "DEBUG_MODE", "DebugMode", "NanGuardMode"),
    )
    add(
        "optimizer",
        "Rewrite set used by the mode: fast_run (all safe rewrites), fast_compile "
        "(cheap ones), merge (only merge duplicates), None (no rewrites).",
        EnumParam("fast_run", "fast_compile", "merge", "None"),
    )
    add(
        "linker",
        "Backend that runs compiled graphs: auto = the highest-priority backend "
        "registered for the device; py = the NumPy reference backend; or a backend name.",
        LinkerParam("auto", ("auto", "py", "c", "cvm")),
    )
    add(
        "compute_test_value",
        "Compute test values while the graph is built.",
        EnumParam("off", "ignore", "warn", "raise"),
    )
    add("print_test_value", "Show test values in error messages and debugprint.", BoolParam(False))
    add(
        "compiledir",
        "Directory of compiled modules and caches.",
        StrParam(
            lambda: default_compiledir(environ),
            default_doc="$XDG_CACHE_HOME/symcore/compiledir, else ~/.cache/symcore/compiledir",
        ),
    )
    add("on_opt_error", "What a failing rewrite does.", EnumParam("warn", "raise", "ignore"))
    add(
        "on_unused_input",
        "What an input not used by the outputs of a function does.",
        EnumParam("raise", "warn", "ignore"),
    )
    add("profile", "Profile compiled functions.", BoolParam(False))
    add("profile_memory", "Also record memory use when profiling.", BoolParam(False))
    add(
        "warn_float64",
        "What creating a float64 variable does (to catch accidental float64 on float32 devices).",
        EnumParam("ignore", "warn", "raise", "pdb"),
    )
    add(
        "cxx",
        "C++ compiler used by native backends; empty means no compiler.",
        StrParam(
            default_cxx, in_c_key=True, default_doc="path of g++ (else gcc) on PATH, else empty"
        ),
    )
    add("gcc.cxxflags", "Extra flags passed to the C++ compiler.", StrParam("", in_c_key=True))
    add(
        "allow_gc",
        "Theano's flag. False (default): compiled native functions keep each intermediate "
        "array between calls and reuse it when nothing else holds it (no allocation, no "
        "page faults of fresh memory; more memory held). True: free every intermediate "
        "right after its last use. The NumPy reference backend always frees.",
        BoolParam(False),
    )
    add("openmp", "Let native backends use OpenMP.", BoolParam(False, in_c_key=True))
    add(
        "openmp_elemwise_minsize",
        "Smallest elementwise size that runs in parallel with OpenMP.",
        IntParam(200000, minimum=0),
    )
    add(
        "traceback.limit",
        "Stack frames kept in the creation trace of variables.",
        IntParam(8, minimum=-1),
    )


def build_config(environ: Mapping[str, str] | None = None) -> Config:
    """A :class:`Config` with the core flags and the user's settings from ``environ``.

    Raises :class:`~symcore.config.errors.FlagValueError` for a bad value of a
    core flag; unknown flags are reported by :meth:`Config.validate_pending`.
    """
    environ = os.environ if environ is None else environ
    config = Config(read_raw_settings(environ))
    add_core_flags(config, environ)
    return config


config: Config = build_config()
