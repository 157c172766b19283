"""What a C implementation sees while generating code for one node."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: C type and NumPy type number for each dtype name.
C_TYPES = {
    "bool": ("npy_bool", "NPY_BOOL"),
    "int8": ("npy_int8", "NPY_INT8"),
    "int16": ("npy_int16", "NPY_INT16"),
    "int32": ("npy_int32", "NPY_INT32"),
    "int64": ("npy_int64", "NPY_INT64"),
    "uint8": ("npy_uint8", "NPY_UINT8"),
    "uint16": ("npy_uint16", "NPY_UINT16"),
    "uint32": ("npy_uint32", "NPY_UINT32"),
    "uint64": ("npy_uint64", "NPY_UINT64"),
    "float16": ("npy_half", "NPY_FLOAT16"),
    "float32": ("float", "NPY_FLOAT32"),
    "float64": ("double", "NPY_FLOAT64"),
    "complex64": ("npy_cfloat", "NPY_COMPLEX64"),
    "complex128": ("npy_cdouble", "NPY_COMPLEX128"),
}


def _c_types(dtype) -> tuple[str, str]:
    # Names are looked up directly (np.dtype(...).name costs ~2 µs, and code generation
    # asks for hundreds); other spellings (np.float64, "f8", dtype objects) are normalized.
    found = C_TYPES.get(dtype) if isinstance(dtype, str) else None
    return found if found is not None else C_TYPES[np.dtype(dtype).name]


def c_type(dtype: str) -> str:
    return _c_types(dtype)[0]


def npy_typenum(dtype: str) -> str:
    return _c_types(dtype)[1]


@dataclass
class NodeContext:
    """Names and services for generating one node's C code.

    - ``inputs`` / ``outputs``: C expressions of type ``PyObject*`` holding the node's
      input values and receiving its outputs. Inputs are borrowed; each output must be
      assigned a NEW reference (a fresh array, a view whose base is set, or an input
      INCREF'd when the op declares it in ``destroy_map``/``view_map``).
    - ``fail``: the C statement to run after setting a Python exception.
    - ``desc``: a C expression (``const char*``) describing the node and where the user
      built it; start error messages with it: ``PyErr_Format(PyExc_ValueError, "%s: ...",
      desc)``. (The linker re-raises such errors with the node, the input shapes/dtypes and
      the user line, dropping this prefix.)
    - ``add_support(key, code)``: emit helper functions/macros once per module.
    - ``node_id``: the node's position, unique in the module (for unique C identifiers).
    - ``out_cache``: None, or one C lvalue (``PyObject*``, owned by the caller) per output
      where an implementation may keep the array it allocated for that output and reuse it
      on the next run when nothing else holds it (the inlined loop of ``Scan`` runs a
      node's code once per step). Implementations may ignore it; ``alloc`` uses it.
    """

    node_id: int
    inputs: list[str]
    outputs: list[str]
    fail: str
    desc: str
    support: dict[str, str] = field(default_factory=dict)
    openmp: bool = False
    omp_min_size: int = 200000
    out_cache: list[str] | None = None

    def add_support(self, key: str, code: str) -> None:
        self.support.setdefault(key, code)

    def alloc(
        self, j: int, nd: int, dims: str, typenum: str, zero: bool = False, fresh: str = "NULL"
    ) -> str:
        """C statement setting output ``j`` to a new reference to a C-contiguous array of
        ``nd`` dimensions ``dims`` (an ``npy_intp*`` expression) and type ``typenum``
        (zero-filled with ``zero``), failing on error: the array this output's cache slot
        kept from the last run when nothing else holds it and it matches, else a new one
        (``symc_empty_cached``). ``fresh``: an ``int*`` expression set to 1 when the array
        is new."""
        slot = "NULL" if self.out_cache is None else f"&{self.out_cache[j]}"
        out = self.outputs[j]
        return (
            f"{out} = symc_empty_cached({slot}, {nd}, {dims}, {typenum}, {int(zero)}, {fresh});"
            f" if (!{out}) {self.fail}"
        )

    def arr(self, name: str) -> str:
        """``name`` as a ``PyArrayObject*`` expression."""
        return f"((PyArrayObject*)({name}))"

    def uid(self, base: str) -> str:
        return f"{base}_{self.node_id}"
