"""symcore hooks of sym-backend-c: the C backend serves ``device=cpu``.

Registering is cheap: the compiler is probed and code generated only when a function is
compiled (``sym_backend_c.linker:CLinker`` is imported lazily by the core).
"""

from __future__ import annotations

from symcore.plugins import hookimpl

#: Above the core's NumPy reference backend ("py", priority 0).
PRIORITY = 10


@hookimpl
def symcore_register_backends(registry) -> None:
    registry.add_backend(
        "c",
        devices=["cpu"],
        linker="sym_backend_c.linker:CLinker",
        priority=PRIORITY,
        description="generated C compiled with cffi; BLAS from SciPy; OpenMP",
    )


@hookimpl
def symcore_info() -> dict[str, str]:
    from symcore.config import config

    from sym_backend_c import blas
    from sym_backend_c.build import compile_args
    from sym_backend_c.toolchain import CompilerNotFoundError, get_toolchain

    try:
        tc = get_toolchain()
        compiler = f"{tc.cc} ({tc.version})"
        flags = " ".join([*compile_args(tc), *tc.ldflags])
    except CompilerNotFoundError as exc:
        compiler, flags = f"none: {exc}; the reference backend runs instead", ""
    blas_line = (
        "scipy.linalg.cython_blas (SciPy's bundled OpenBLAS)"
        if blas.available()
        else "none (scipy missing): products run their NumPy perform"
    )
    return {
        "compiler": compiler,
        "flags": flags,
        "blas": blas_line,
        "cache": f"{config.compiledir}/c (python -m symcore cache list|clear)",
    }
