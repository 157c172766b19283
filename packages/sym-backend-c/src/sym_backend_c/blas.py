"""BLAS routines from SciPy's bundled OpenBLAS, as raw function pointers.

``scipy.linalg.cython_blas`` exports every routine as a PyCapsule; generated code calls
them through ``symc_ptrs[i]`` with Fortran conventions, so no system BLAS and no link
flags are needed. Indices are fixed by ``ROUTINES``.
"""

from __future__ import annotations

import ctypes
import functools

ROUTINES = (
    "dgemm",
    "sgemm",
    "dgemv",
    "sgemv",
    "dger",
    "sger",
    "ddot",
    "sdot",
    "daxpy",
    "saxpy",
    "dscal",
    "sscal",
    "dcopy",
    "scopy",
)

#: C typedefs matching the Fortran BLAS interface (all arguments by pointer).
C_DECLS = r"""
typedef void (*symc_gemm_d)(char*, char*, int*, int*, int*, double*, double*, int*, double*,
                            int*, double*, double*, int*);
typedef void (*symc_gemm_s)(char*, char*, int*, int*, int*, float*, float*, int*, float*,
                            int*, float*, float*, int*);
typedef void (*symc_gemv_d)(char*, int*, int*, double*, double*, int*, double*, int*, double*,
                            double*, int*);
typedef void (*symc_gemv_s)(char*, int*, int*, float*, float*, int*, float*, int*, float*,
                            float*, int*);
typedef void (*symc_ger_d)(int*, int*, double*, double*, int*, double*, int*, double*, int*);
typedef void (*symc_ger_s)(int*, int*, float*, float*, int*, float*, int*, float*, int*);
typedef double (*symc_dot_d)(int*, double*, int*, double*, int*);
typedef float (*symc_dot_s)(int*, float*, int*, float*, int*);
"""


def index(name: str) -> int:
    """Position of a BLAS routine in ``symc_ptrs``."""
    return ROUTINES.index(name)


@functools.lru_cache(maxsize=1)
def pointer_table() -> tuple[int, ...]:
    """Addresses of ``ROUTINES`` (empty when SciPy is missing)."""
    cython_blas = _cython_blas()
    if cython_blas is None:
        return ()
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
    get_ptr.restype = ctypes.c_void_p
    get_ptr.argtypes = [ctypes.py_object, ctypes.c_char_p]
    out = []
    for name in ROUTINES:
        cap = cython_blas.__pyx_capi__[name]
        out.append(get_ptr(cap, get_name(cap)))
    return tuple(out)


def _cython_blas():
    """``scipy.linalg.cython_blas``, loaded from its file without running
    ``scipy/linalg/__init__.py`` (~0.1-0.25 s of imports a compile does not need); the
    normal import when that fails. None without SciPy."""
    import importlib.machinery
    import importlib.util
    import os

    try:
        spec = importlib.util.find_spec("scipy")
        folder = os.path.join(os.path.dirname(spec.origin), "linalg")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "cython_blas" + suffix)
            if os.path.exists(path):
                name = "scipy.linalg.cython_blas"
                loader = importlib.machinery.ExtensionFileLoader(name, path)
                mod_spec = importlib.util.spec_from_file_location(name, path, loader=loader)
                module = importlib.util.module_from_spec(mod_spec)
                mod_spec.loader.exec_module(module)
                return module
    except Exception:  # noqa: BLE001 - fall back to the regular import
        pass
    try:
        from scipy.linalg import cython_blas
    except ImportError:
        return None
    return cython_blas


def available() -> bool:
    return bool(pointer_table())
