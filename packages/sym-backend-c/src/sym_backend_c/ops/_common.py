"""Small code-generation helpers shared by the per-Op C implementations in this package.

Python helpers return C expressions/statements; ``COMMON_C`` holds C helper functions that
an implementation adds to its module with ``ctx.add_support("symc_common", COMMON_C)``.
"""

from __future__ import annotations

import numpy as np

from sym_backend_c.codegen.context import NodeContext, c_type

#: dtypes the generated loops handle natively (float16 and complex run their ``perform``).
NATIVE_DTYPES = frozenset(
    [
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float32",
        "float64",
    ]
)

_UNSIGNED = {
    "int8": "npy_uint8",
    "int16": "npy_uint16",
    "int32": "npy_uint32",
    "int64": "npy_uint64",
}

_LIMITS = {
    "bool": ("0", "1"),
    "int8": ("NPY_MIN_INT8", "NPY_MAX_INT8"),
    "int16": ("NPY_MIN_INT16", "NPY_MAX_INT16"),
    "int32": ("NPY_MIN_INT32", "NPY_MAX_INT32"),
    "int64": ("NPY_MIN_INT64", "NPY_MAX_INT64"),
    "uint8": ("0", "NPY_MAX_UINT8"),
    "uint16": ("0", "NPY_MAX_UINT16"),
    "uint32": ("0", "NPY_MAX_UINT32"),
    "uint64": ("0", "NPY_MAX_UINT64"),
    "float32": ("(-INFINITY)", "INFINITY"),
    "float64": ("(-INFINITY)", "INFINITY"),
}


def native(*dtypes: str) -> bool:
    """True when every dtype has a plain C type the generated loops handle."""
    return all(np.dtype(d).name in NATIVE_DTYPES for d in dtypes)


def is_float(dtype: str) -> bool:
    return dtype in ("float32", "float64")


def lowest(dtype: str) -> str:
    """C expression of the smallest value of ``dtype`` (-inf for floats)."""
    return _LIMITS[dtype][0]


def highest(dtype: str) -> str:
    return _LIMITS[dtype][1]


def wrap_type(dtype: str) -> str:
    """The C type in which ``+``/``*`` of ``dtype`` wrap around like NumPy (unsigned for
    signed ints: signed overflow is undefined in C)."""
    return _UNSIGNED.get(dtype, c_type(dtype))


def convert(expr: str, src: str, dst: str) -> str:
    """C expression converting ``expr`` (a ``src`` value) to ``dst`` as NumPy's cast does
    (to bool: non-zero test)."""
    if src == dst:
        return expr
    if dst == "bool":
        return f"(({expr}) != 0)"
    return f"(({c_type(dst)})({expr}))"


def read_scalar(ctx_expr: str, dtype: str) -> str:
    """C expression reading the single element of a 0-d array of ``dtype``."""
    return f"(*({c_type(dtype)}*)SYMC_DATA({ctx_expr}))"


def read_int(ctx_expr: str, dtype: str) -> str:
    """C expression of the integer 0-d array ``ctx_expr`` as ``npy_int64``."""
    return f"((npy_int64){read_scalar(ctx_expr, dtype)})"


def shape_error(ctx: NodeContext, exc: str, message: str, *arrays: str) -> str:
    """A C block raising ``exc`` with ``message`` (may contain ``%s`` for each array's shape,
    in order) prefixed by the node description, then failing."""
    bufs = "".join(f" char sb{k}[128];" for k in range(len(arrays)))
    args = "".join(f", symc_shape_str({a}, sb{k}, 128)" for k, a in enumerate(arrays))
    return f'{{{bufs} PyErr_Format({exc}, "%s: {message}", {ctx.desc}{args}); {ctx.fail} }}'


COMMON_C = r"""
/* Byte range [lo, hi) touched by an array (empty arrays touch nothing). */
static void symc_extent(PyArrayObject* a, char** lo, char** hi) {
    char* p = PyArray_BYTES(a);
    char* l = p;
    char* h = p + PyArray_ITEMSIZE(a);
    if (PyArray_SIZE(a) == 0) { *lo = *hi = p; return; }
    for (int d = 0; d < PyArray_NDIM(a); d++) {
        npy_intp s = PyArray_STRIDE(a, d) * (PyArray_DIM(a, d) - 1);
        if (s < 0) l += s; else h += s;
    }
    *lo = l; *hi = h;
}

/* Conservative: may the memory of a and b overlap? */
static int symc_may_overlap(PyObject* a, PyObject* b) {
    char *al, *ah, *bl, *bh;
    symc_extent((PyArrayObject*)a, &al, &ah);
    symc_extent((PyArrayObject*)b, &bl, &bh);
    return al < bh && bl < ah;
}

/* A view of `base` with the given shape/strides starting at `data`; NULL on error. */
static PyObject* symc_view(PyObject* base, int nd, npy_intp* dims, npy_intp* strides, char* data) {
    PyArrayObject* b = (PyArrayObject*)base;
    PyArray_Descr* descr = PyArray_DESCR(b);
    Py_INCREF(descr);
    PyObject* v = PyArray_NewFromDescr(&PyArray_Type, descr, nd, dims, strides, data,
                                       PyArray_FLAGS(b) & NPY_ARRAY_WRITEABLE, NULL);
    if (!v) return NULL;
    Py_INCREF(base);
    if (PyArray_SetBaseObject((PyArrayObject*)v, base) < 0) { Py_DECREF(v); return NULL; }
    PyArray_UpdateFlags((PyArrayObject*)v, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_F_CONTIGUOUS |
        NPY_ARRAY_ALIGNED);
    return v;
}
"""
