"""C code shared by every generated module: headers, error helpers, the pointer table."""

from __future__ import annotations

PRELUDE = r"""
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>
#include <numpy/npy_math.h>
#include <math.h>
#include <string.h>
#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SYMC_NOINLINE __attribute__((noinline))
#else
#define SYMC_NOINLINE
#endif

/* The glue functions (calls of kernels, reference counting) gain nothing from -O3. */
#if defined(__GNUC__) && !defined(__clang__)
#define SYMC_GLUE __attribute__((noinline, optimize("O1")))
#else
#define SYMC_GLUE SYMC_NOINLINE
#endif

#define SYMC_A(v) ((PyArrayObject*)(v))
/* The list of recycled output arrays (module state, index 5), as an array of slots. */
#define SYMC_CACHE (((PyListObject*)PyTuple_GET_ITEM(symc_state, 5))->ob_item)
/* Item k of a tuple of bytes, as a C string (node descriptions, input names). */
#define SYMC_STR(tup, k) PyBytes_AS_STRING(PyTuple_GET_ITEM(tup, k))
/* The parts of the module state: (constants, fallbacks, descriptions, input names,
   error hook, recycled outputs[, node times]). */
#define SYMC_STATE_NAMES \
    PyObject* symc_consts = PyTuple_GET_ITEM(symc_state, 0); \
    PyObject* symc_fallbacks = PyTuple_GET_ITEM(symc_state, 1); \
    PyObject* symc_descs = PyTuple_GET_ITEM(symc_state, 2); \
    PyObject* symc_names = PyTuple_GET_ITEM(symc_state, 3); \
    (void)symc_args; (void)symc_consts; (void)symc_fallbacks; (void)symc_descs; (void)symc_names;
#define SYMC_NDIM(v) PyArray_NDIM(SYMC_A(v))
#define SYMC_DIMS(v) PyArray_DIMS(SYMC_A(v))
#define SYMC_STRIDES(v) PyArray_STRIDES(SYMC_A(v))
#define SYMC_DATA(v) PyArray_BYTES(SYMC_A(v))
#define SYMC_SIZE(v) PyArray_SIZE(SYMC_A(v))

/* Pointers handed over by Python once per module (BLAS routines...). */
static void* symc_ptrs[64];

int symc_set_pointers(void** ptrs, int n) {
    if (n > 64) return -1;
    for (int i = 0; i < n; i++) symc_ptrs[i] = ptrs[i];
    return 0;
}

/* "(2, 3)" for an array's shape, in buf. */
static const char* symc_shape_str(PyObject* v, char* buf, size_t len) {
    if (v == NULL || !PyArray_Check(v)) { snprintf(buf, len, "(not an array)"); return buf; }
    PyArrayObject* a = (PyArrayObject*)v;
    size_t pos = 0;
    pos += snprintf(buf + pos, len - pos, "(");
    for (int i = 0; i < PyArray_NDIM(a) && pos < len; i++)
        pos += snprintf(buf + pos, len - pos, i ? ", %ld" : "%ld", (long)PyArray_DIM(a, i));
    if (PyArray_NDIM(a) == 1 && pos < len) pos += snprintf(buf + pos, len - pos, ",");
    if (pos < len) snprintf(buf + pos, len - pos, ")");
    return buf;
}

/* Check a runtime input against its static type; sets TypeError and returns -1 if bad. */
static int symc_check_input(PyObject* v, int typenum, int ndim, const char* bcast,
                            int index, const char* name) {
    if (!PyArray_CheckExact(v)) {
        PyErr_Format(PyExc_TypeError,
            "Bad input argument %d (%s): expected a numpy.ndarray, got %s",
            index, name, Py_TYPE(v)->tp_name);
        return -1;
    }
    PyArrayObject* a = (PyArrayObject*)v;
    if (PyArray_TYPE(a) != typenum) {
        PyErr_Format(PyExc_TypeError,
            "Bad input argument %d (%s): expected dtype %s, got %s", index, name,
            PyArray_DescrFromType(typenum)->typeobj->tp_name, PyArray_DESCR(a)->typeobj->tp_name);
        return -1;
    }
    if (PyArray_NDIM(a) != ndim) {
        PyErr_Format(PyExc_TypeError,
            "Bad input argument %d (%s): expected %d dimensions, got %d",
            index, name, ndim, PyArray_NDIM(a));
        return -1;
    }
    for (int i = 0; i < ndim; i++) {
        if (bcast[i] == '1' && PyArray_DIM(a, i) != 1) {
            PyErr_Format(PyExc_TypeError,
                "Bad input argument %d (%s): dimension %d is broadcastable and must have "
                "length 1, got %ld", index, name, i, (long)PyArray_DIM(a, i));
            return -1;
        }
    }
    return 0;
}

/* Seconds from a monotonic clock (per-node timing of profiled functions). */
#ifdef _WIN32
#include <time.h>
static double symc_now(void) { return (double)clock() / CLOCKS_PER_SEC; }
#else
#include <time.h>
static double symc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#endif

/* Drop the references held in the value slots (one out-of-line loop, not n inlined ones). */
static void symc_release(PyObject** v, int n) {
    for (int i = 0; i < n; i++) Py_XDECREF(v[i]);
}

/* The C code of node k failed with a Python exception set: let the linker's error hook
   (state[4]) replace it by the error it reports (node, input shapes/dtypes, user line). */
static void symc_node_error(PyObject* symc_state, int k, PyObject* const* ins, int nin) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) return;
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) PyException_SetTraceback(value, tb);
    PyObject* args = PyTuple_New(nin);
    if (args == NULL) { PyErr_Restore(type, value, tb); return; }
    for (int i = 0; i < nin; i++) { Py_INCREF(ins[i]); PyTuple_SET_ITEM(args, i, ins[i]); }
    PyObject* r = PyObject_CallFunction(PyTuple_GET_ITEM(symc_state, 4), "iOO", k, args, value);
    Py_DECREF(args);
    if (r != NULL) {  /* the hook did not raise: keep the original error */
        Py_DECREF(r);
        PyErr_Restore(type, value, tb);
        return;
    }
    Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
}

/* A new reference to a C-contiguous, aligned, writeable array of shape dims and type
   typenum (contents undefined; zeroed when zero). With a cache slot (NodeContext.out_cache):
   the array the slot kept from the last run when nothing else references it any more
   (reference count 1: not returned to the caller, not the base of a live view, not a
   shared variable's value, not held by a later node of this run) and its shape and type
   match, else a new array that the slot keeps for the next run. *fresh (may be NULL) is
   set to 1 when the array is new (its pages may never have been touched), else 0. */
static PyObject* symc_empty_cached(PyObject** slot, int nd, const npy_intp* dims, int typenum,
                                   int zero, int* fresh) {
    PyObject* c = slot ? *slot : NULL;
    if (c && Py_REFCNT(c) == 1 && PyArray_NDIM(SYMC_A(c)) == nd
        && PyArray_TYPE(SYMC_A(c)) == typenum && PyArray_ISCARRAY(SYMC_A(c))) {
        int same = 1;
        for (int d = 0; d < nd; d++) same &= PyArray_DIM(SYMC_A(c), d) == dims[d];
        if (same) {
            if (zero) memset(PyArray_DATA(SYMC_A(c)), 0, PyArray_NBYTES(SYMC_A(c)));
            if (fresh) *fresh = 0;
            Py_INCREF(c);
            return c;
        }
    }
    if (fresh) *fresh = 1;
    PyObject* a = zero ? PyArray_ZEROS(nd, (npy_intp*)dims, typenum, 0)
                       : PyArray_EMPTY(nd, (npy_intp*)dims, typenum, 0);
    if (a && slot) { Py_INCREF(a); Py_XSETREF(*slot, a); }
    return a;
}

/* Run a node's Python perform: fb(*inputs) -> tuple of outputs. */
static PyObject* symc_call_fallback(PyObject* fb, PyObject** ins, int nin) {
    PyObject* args = PyTuple_New(nin);
    if (!args) return NULL;
    for (int i = 0; i < nin; i++) { Py_INCREF(ins[i]); PyTuple_SET_ITEM(args, i, ins[i]); }
    PyObject* r = PyObject_Call(fb, args, NULL);
    Py_DECREF(args);
    return r;
}
"""

RUNNER_TEMPLATE = r"""
static int symc_np_ready = 0;

static PyObject* symc_run(PyObject* symc_state, PyObject* symc_args) {{
    SYMC_STATE_NAMES
    if (!PyList_CheckExact(symc_args) || PyList_GET_SIZE(symc_args) != {n_inputs}) {{
        PyErr_Format(PyExc_TypeError,
                     "compiled function expects a list of {n_inputs} input values");
        return NULL;
    }}
    PyObject* symc_v[{n_slots}] = {{NULL}};
    PyObject* symc_result = NULL;
{input_code}
{body}
    symc_result = PyList_New({n_outputs});
    if (!symc_result) goto symc_fail;
{output_code}
    symc_release(symc_v, {n_slots});
    return symc_result;
symc_fail:
    Py_XDECREF(symc_result);
    symc_release(symc_v, {n_slots});
    return NULL;
}}

static PyMethodDef symc_run_def = {{"run", (PyCFunction)symc_run, METH_O, "compiled graph"}};

void* symc_make_runner(void* state) {{
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject* r = NULL;
    if (!symc_np_ready) {{
        if (_import_array() < 0) goto done;
        symc_np_ready = 1;
    }}
    r = PyCFunction_New(&symc_run_def, (PyObject*)state);
done:
    PyGILState_Release(g);
    return r;
}}
"""
