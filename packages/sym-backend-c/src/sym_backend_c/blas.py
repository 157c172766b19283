"""BLAS routines from SciPy's bundled OpenBLAS, as raw function pointers.

``scipy.linalg.cython_blas`` exports every routine as a PyCapsule; generated code calls
them through ``symc_ptrs[i]`` with Fortran conventions, so no system BLAS and no link
flags are needed. Indices are fixed by ``ROUTINES``.
"""

from __future__ import annotations

import ctypes
import functools

ROUTINES = (
    "dgemm", "sgemm", "dgemv", "sgemv", "dger", "sger", "ddot", "sdot", "daxpy", "saxpy",
    "dscal", "sscal", "dcopy", "scopy",
)

#: C typedefs matching the Fortran BLAS interface (all arguments by pointer).
C_DECLS = r"""
typedef void (*symc_gemm_d)(char*, char*, int*, int*, int*, double*, double*, int*, double*, int*, double*, double*, int*);
typedef void (*symc_gemm_s)(char*, char*, int*, int*, int*, float*, float*, int*, float*, int*, float*, float*, int*);
typedef void (*symc_gemv_d)(char*, int*, int*, double*, double*, int*, double*, int*, double*, double*, int*);
typedef void (*symc_gemv_s)(char*, int*, int*, float*, float*, int*, float*, int*, float*, float*, int*);
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
    try:
        from scipy.linalg import cython_blas
    except ImportError:
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


def available() -> bool:
    return bool(pointer_table())
