"""A compiled loop for ``symcore.scan`` (the ``Scan`` Op's per-step driver in C).

``Scan.perform`` prepares the loop in Python (buffers, rings, index tables: see
``symcore.scan.loop``) and hands the steps to a *loop driver*; this module registers one
written in C (``symcore.scan.loop.set_loop_driver``) when the C backend is imported. Per
step it slices the sequences, fills the step's argument list from the state rings, calls
the compiled step (directly through its C entry point when it is a C-backend runner),
checks the shapes of the results and stores them: no Python bytecode runs per step.

The module is built once with the backend's toolchain and disk cache (like a generated
graph module); if it cannot be built the Python loop is used.
"""

from __future__ import annotations

import warnings
from typing import Any

_DRIVER_SOURCE = r"""
/* Fast call of the step: a C-backend runner is a METH_O builtin. */
static PyObject* symc_scan_call(PyObject* fn, PyObject* arg) {
    if (PyCFunction_Check(fn) && (PyCFunction_GET_FLAGS(fn) & METH_O))
        return PyCFunction_GET_FUNCTION(fn)(PyCFunction_GET_SELF(fn), arg);
    return PyObject_CallOneArg(fn, arg);
}

/* arr[t] as an ndarray view (0-d for a vector), owning a reference to arr. */
static PyObject* symc_scan_row(PyArrayObject* arr, npy_intp t) {
    PyArray_Descr* d = PyArray_DESCR(arr);
    Py_INCREF(d);
    PyObject* v = PyArray_NewFromDescr(&PyArray_Type, d, PyArray_NDIM(arr) - 1,
        PyArray_DIMS(arr) + 1, PyArray_STRIDES(arr) + 1,
        PyArray_BYTES(arr) + t * PyArray_STRIDES(arr)[0],
        PyArray_FLAGS(arr) & (NPY_ARRAY_WRITEABLE | NPY_ARRAY_ALIGNED), NULL);
    if (!v) return NULL;
    Py_INCREF(arr);
    if (PyArray_SetBaseObject((PyArrayObject*)v, (PyObject*)arr) < 0) { Py_DECREF(v); return NULL; }
    return v;
}

static int symc_scan_set(PyObject* list, Py_ssize_t i, PyObject* v) {
    Py_INCREF(v);
    return PyList_SetItem(list, i, v);
}

/* The object owning v's memory (v when it is not a view of an array). */
static PyObject* symc_scan_root(PyObject* v) {
    while (PyArray_Check(v) && PyArray_BASE((PyArrayObject*)v) != NULL
           && PyArray_Check(PyArray_BASE((PyArrayObject*)v)))
        v = PyArray_BASE((PyArrayObject*)v);
    return v;
}

/* Is the step's result v (untraced state out_slot o) the array the loop passed (prev),
   written in place, with no other output of the step being it or a view of it? */
static int symc_scan_still_owned(PyObject* outs, Py_ssize_t o, PyObject* v, PyObject* prev) {
    if (v != prev) return 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(outs); k++)
        if (k != o && symc_scan_root(PyList_GET_ITEM(outs, k)) == v) return 0;
    return 1;
}

/* args: (thunk, start, n, vals, seqs, reads, traced, shared, cur, as_while, flush, chunk)
   seqs: [(slot, array)], reads: [(slot, ring, off, R)],
   traced: [(oslot, ring, L, R, shape_tuple, pending_or_None, index)],
   shared: [(slot, out_slot, destroyed)] with cur the list of current values; a destroyed
   state (the step overwrites it in place) gets an array the loop owns: a copy before the
   step unless it is the array the previous step wrote in place and no other output views.
   Returns the number of steps done. */
static PyObject* symc_scan_loop(PyObject* state, PyObject* args) {
    (void)state;
    PyObject *thunk, *vals, *seqs, *reads, *traced, *shared, *cur, *flush;
    Py_ssize_t start, n, chunk;
    int as_while;
    if (!PyArg_ParseTuple(args, "OnnOOOOOOpOn", &thunk, &start, &n, &vals, &seqs, &reads,
                          &traced, &shared, &cur, &as_while, &flush, &chunk))
        return NULL;
    Py_ssize_t ns = PyList_GET_SIZE(seqs), nr = PyList_GET_SIZE(reads);
    Py_ssize_t ntr = PyList_GET_SIZE(traced), nsh = PyList_GET_SIZE(shared);
    Py_ssize_t done = n;
    char owned[64] = {0};  /* per destroyed untraced state (at most 64 are tracked) */
    for (Py_ssize_t t = start; t < n; t++) {
        for (Py_ssize_t i = 0; i < ns; i++) {
            PyObject* e = PyList_GET_ITEM(seqs, i);
            PyObject* row = symc_scan_row((PyArrayObject*)PyTuple_GET_ITEM(e, 1), t);
            if (!row || PyList_SetItem(vals, PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 0)), row) < 0)
                return NULL;
        }
        for (Py_ssize_t i = 0; i < nr; i++) {
            PyObject* e = PyList_GET_ITEM(reads, i);
            PyObject* ring = PyTuple_GET_ITEM(e, 1);
            Py_ssize_t off = PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 2));
            Py_ssize_t R = PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 3));
            if (symc_scan_set(vals, PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 0)),
                              PyList_GET_ITEM(ring, (t + off) % R)) < 0) return NULL;
        }
        for (Py_ssize_t i = 0; i < nsh; i++) {
            PyObject* e = PyList_GET_ITEM(shared, i);
            if (PyObject_IsTrue(PyTuple_GET_ITEM(e, 2)) && !(i < 64 && owned[i])) {
                PyObject* c = PyArray_NewCopy((PyArrayObject*)PyList_GET_ITEM(cur, i), NPY_CORDER);
                if (!c || PyList_SetItem(cur, i, c) < 0) return NULL;
                if (i < 64) owned[i] = 1;
            }
            if (symc_scan_set(vals, PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 0)),
                              PyList_GET_ITEM(cur, i)) < 0) return NULL;
        }
        PyObject* outs = symc_scan_call(thunk, vals);
        if (!outs) {
            PyObject* r = PyLong_FromSsize_t(-t - 1);  /* tell Python the failing step */
            PyObject *et, *ev, *tb;
            PyErr_Fetch(&et, &ev, &tb);
            PyObject_SetAttrString(flush, "failed_step", r);
            Py_XDECREF(r);
            PyErr_Restore(et, ev, tb);
            return NULL;
        }
        for (Py_ssize_t j = 0; j < ntr; j++) {
            PyObject* e = PyList_GET_ITEM(traced, j);
            PyObject* v = PyList_GET_ITEM(outs, PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 0)));
            PyObject* shape = PyTuple_GET_ITEM(e, 4);
            Py_ssize_t nd = PyTuple_GET_SIZE(shape);
            int ok = PyArray_Check(v) && PyArray_NDIM((PyArrayObject*)v) == nd;
            for (Py_ssize_t k = 0; ok && k < nd; k++)
                ok = PyArray_DIMS((PyArrayObject*)v)[k]
                     == PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, k));
            if (!ok) {
                PyObject* cb = PyObject_CallMethod(flush, "shape_error", "nnO", j, t, v);
                Py_XDECREF(cb);
                Py_DECREF(outs);
                return NULL;
            }
            Py_ssize_t L = PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 2));
            Py_ssize_t R = PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 3));
            if (symc_scan_set(PyTuple_GET_ITEM(e, 1), (t + L) % R, v) < 0) {
                Py_DECREF(outs);
                return NULL;
            }
            PyObject* pending = PyTuple_GET_ITEM(e, 5);
            if (pending != Py_None) {
                if (PyList_Append(pending, v) < 0) { Py_DECREF(outs); return NULL; }
                if (PyList_GET_SIZE(pending) >= chunk) {
                    PyObject* r = PyObject_CallFunction(flush, "O", PyTuple_GET_ITEM(e, 6));
                    if (!r) { Py_DECREF(outs); return NULL; }
                    Py_DECREF(r);
                }
            }
        }
        for (Py_ssize_t i = 0; i < nsh; i++) {
            PyObject* e = PyList_GET_ITEM(shared, i);
            Py_ssize_t o = PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 1));
            if (i < 64)
                owned[i] = (char)symc_scan_still_owned(outs, o, PyList_GET_ITEM(outs, o),
                                                       PyList_GET_ITEM(cur, i));
            if (symc_scan_set(cur, i, PyList_GET_ITEM(outs, o)) < 0) {
                Py_DECREF(outs); return NULL;
            }
        }
        if (as_while) {
            int stop = PyObject_IsTrue(PyList_GET_ITEM(outs, PyList_GET_SIZE(outs) - 1));
            if (stop < 0) { Py_DECREF(outs); return NULL; }
            if (stop) { Py_DECREF(outs); done = t + 1; break; }
        }
        Py_DECREF(outs);
    }
    return PyLong_FromSsize_t(done);
}

static int symc_scan_np_ready = 0;
static PyMethodDef symc_scan_def = {"scan_loop", (PyCFunction)symc_scan_loop, METH_VARARGS,
                                    "the compiled loop of symcore.scan"};

void* symc_make_runner(void* state) {
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject* r = NULL;
    if (!symc_scan_np_ready) {
        if (_import_array() < 0) goto done;
        symc_scan_np_ready = 1;
    }
    r = PyCFunction_New(&symc_scan_def, (PyObject*)state);
done:
    PyGILState_Release(g);
    return r;
}
"""

_loop: Any = None


def compiled_loop():
    """The C loop function (built on first use; None when it cannot be built)."""
    global _loop
    if _loop is None:
        try:
            from sym_backend_c import build as build_mod
            from sym_backend_c.codegen.runtime import PRELUDE

            built = build_mod.build(PRELUDE + _DRIVER_SOURCE)
            _state = ()
            fn = build_mod.make_runner(built.module, _state)
            _loop = (fn, _state)
        except Exception as exc:  # noqa: BLE001 - no compiler: the Python loop works
            warnings.warn(
                f"symcore.scan: the compiled loop is not available ({exc}); "
                "scan uses its Python loop",
                RuntimeWarning,
                stacklevel=2,
            )
            _loop = (None, None)
    return _loop[0]


def _register() -> None:
    try:
        from symcore.scan.loop import set_loop_driver
    except ImportError:  # pragma: no cover - an older symcore
        return
    set_loop_driver(compiled_loop)


_register()

# The whole loop in C with the step's code inlined, when the step graph allows it
# (``Scan``'s registered C implementation); other scans run the driver above.
from sym_backend_c.ops import scan_inline  # noqa: E402,F401
