"""Finding the C compiler and choosing compile flags."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass


class CompilerNotFoundError(RuntimeError):
    """No usable C compiler (``config.cxx`` is empty or points at nothing)."""


@dataclass(frozen=True)
class Toolchain:
    """A C compiler and the flags every generated module is built with."""

    cc: str
    version: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...]
    openmp: bool
    #: accepts -fopenmp-simd ("omp simd" pragmas without the OpenMP runtime)
    openmp_simd: bool = False

    def key(self) -> str:
        """What changes generated binaries: part of the compile-cache key."""
        return "|".join([self.cc, self.version, *self.cflags, *self.ldflags, cpu_features()])


#: Flags that keep IEEE semantics (NaN/Inf, signed zeros) while letting the compiler
#: vectorize: errno is never read by generated code, and traps are off in NumPy too.
SAFE_MATH_FLAGS = ("-fno-math-errno", "-fno-trapping-math")


def _compiler_from_config() -> str:
    from symcore.config import config

    cxx = getattr(config, "cxx", "")
    return cxx or ""


def _c_driver(cxx: str) -> str:
    """A C driver next to ``cxx`` (g++ → gcc, clang++ → clang), else ``cxx`` itself."""
    base = os.path.basename(cxx)
    for cpp, c in (("g++", "gcc"), ("clang++", "clang"), ("c++", "cc")):
        if base.endswith(cpp):
            cand = os.path.join(os.path.dirname(cxx), base[: -len(cpp)] + c)
            found = shutil.which(cand)
            if found:
                return found
    return cxx


@functools.lru_cache(maxsize=8)
def _probe(cc: str) -> tuple[str, bool, bool, bool]:
    """(version line, supports -march=native, -fopenmp, -fopenmp-simd) of ``cc``.

    Running the compiler four times costs ~50 ms, so the answer is kept on disk (in
    ``compiledir``) for this compiler binary (path, size, modification time)."""
    cached = _read_probe(cc)
    if cached is not None:
        return cached
    result = _run_probe(cc)
    _write_probe(cc, result)
    return result


def _probe_file(cc: str):
    import hashlib
    from pathlib import Path

    from symcore.config import config

    try:
        st = os.stat(cc)
    except OSError:
        return None
    ident = f"{cc}|{st.st_size}|{st.st_mtime_ns}|{PROBE_VERSION}"
    name = hashlib.sha256(ident.encode()).hexdigest()[:32] + ".json"
    return Path(config.compiledir) / "c-toolchain" / name


#: Bump when ``_run_probe`` checks something new (stored probes are then ignored).
PROBE_VERSION = "2"


def _read_probe(cc: str) -> tuple[str, bool, bool, bool] | None:
    import json

    path = _probe_file(cc)
    try:
        data = json.loads(path.read_text()) if path is not None else None
        version, native, omp, simd = data
        return str(version), bool(native), bool(omp), bool(simd)
    except (OSError, ValueError, TypeError):
        return None


def _write_probe(cc: str, result: tuple) -> None:
    import json
    import tempfile

    path = _probe_file(cc)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(list(result), fh)
        os.replace(tmp, path)  # atomic: readers see the old file or the new one
    except OSError:  # pragma: no cover - a read-only cache only costs the probe
        pass


def _run_probe(cc: str) -> tuple[str, bool, bool, bool]:
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        raise CompilerNotFoundError(f"C compiler {cc!r} cannot be run: {exc}") from exc
    if out.returncode != 0:
        raise CompilerNotFoundError(f"C compiler {cc!r} failed: {out.stderr.strip()[:200]}")
    version = out.stdout.splitlines()[0] if out.stdout else cc

    def accepts(flag: str) -> bool:
        try:
            r = subprocess.run(
                [cc, flag, "-x", "c", "-E", "-", "-o", os.devnull],
                input="int x;",
                capture_output=True,
                text=True,
                timeout=20,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return r.returncode == 0

    return version, accepts("-march=native"), accepts("-fopenmp"), accepts("-fopenmp-simd")


@functools.lru_cache(maxsize=1)
def cpu_features() -> str:
    """The host CPU's model and flags (binaries built with -march=native depend on them)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        import platform

        return platform.machine() + platform.processor()
    model = flags = ""
    for line in text.splitlines():
        if line.startswith("model name") and not model:
            model = line.split(":", 1)[1].strip()
        elif line.startswith(("flags", "Features")) and not flags:
            flags = line.split(":", 1)[1].strip()
    return f"{model}|{flags}"


def get_toolchain() -> Toolchain:
    """The toolchain for the current flags (``cxx``, ``openmp``); raises CompilerNotFoundError."""
    from symcore.config import config

    cxx = _compiler_from_config()
    if not cxx:
        raise CompilerNotFoundError(
            "config.cxx is empty: no C compiler, so the C backend cannot build code "
            "(set SYMCORE_FLAGS=cxx=/usr/bin/g++ or install gcc)"
        )
    path = shutil.which(cxx)
    if path is None:
        raise CompilerNotFoundError(f"config.cxx={cxx!r} was not found on PATH")
    cc = _c_driver(path)
    version, native, omp, simd = _probe(cc)
    use_omp = bool(getattr(config, "openmp", True)) and omp
    cflags = ["-O3", *SAFE_MATH_FLAGS, "-fno-semantic-interposition", "-w"]
    if native:
        cflags.append("-march=native")
    ldflags: list[str] = []
    if use_omp:
        cflags.append("-fopenmp")
        ldflags.append("-fopenmp")
    if sysconfig.get_platform().startswith("linux"):
        ldflags.append("-lmvec")  # glibc's vector math library (SIMD exp/log/sin/cos)
        ldflags.append("-lm")
    return Toolchain(
        path if cc == path else cc, version, tuple(cflags), tuple(ldflags), use_omp, simd
    )
