"""C helpers of the inlined ``Scan`` loop (``sym_backend_c.ops.scan_inline``): row views
whose data pointer the loop moves, buffer stores and ring gathers, and the step error."""

from __future__ import annotations

SUPPORT = r"""
/* Rows [start, start + count) of a's first axis, as a view (base: a). */
static PyObject* symc_scan_rows(PyObject* a, npy_intp start, npy_intp count) {
    PyArrayObject* b = (PyArrayObject*)a;
    npy_intp dims[NPY_MAXDIMS];
    int nd = PyArray_NDIM(b);
    dims[0] = count;
    for (int d = 1; d < nd; d++) dims[d] = PyArray_DIM(b, d);
    PyArray_Descr* descr = PyArray_DESCR(b);
    Py_INCREF(descr);
    PyObject* v = PyArray_NewFromDescr(&PyArray_Type, descr, nd, dims, PyArray_STRIDES(b),
        PyArray_BYTES(b) + start * PyArray_STRIDE(b, 0), PyArray_FLAGS(b) & NPY_ARRAY_WRITEABLE,
        NULL);
    if (!v) return NULL;
    Py_INCREF(a);
    if (PyArray_SetBaseObject((PyArrayObject*)v, a) < 0) { Py_DECREF(v); return NULL; }
    return v;
}

/* a[row] as an array object whose data pointer the loop moves (base: a). */
static PyObject* symc_scan_rowview(PyObject* a, npy_intp row, int writeable) {
    PyArrayObject* b = (PyArrayObject*)a;
    PyArray_Descr* descr = PyArray_DESCR(b);
    Py_INCREF(descr);
    PyObject* v = PyArray_NewFromDescr(&PyArray_Type, descr, PyArray_NDIM(b) - 1,
        PyArray_DIMS(b) + 1, PyArray_STRIDES(b) + 1,
        PyArray_BYTES(b) + row * PyArray_STRIDE(b, 0), writeable ? NPY_ARRAY_WRITEABLE : 0,
        NULL);
    if (!v) return NULL;
    Py_INCREF(a);
    if (PyArray_SetBaseObject((PyArrayObject*)v, a) < 0) { Py_DECREF(v); return NULL; }
    PyArray_UpdateFlags((PyArrayObject*)v, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_F_CONTIGUOUS |
        NPY_ARRAY_ALIGNED);
    return v;
}

/* Point the row view *v at data (a fresh view when someone else still holds *v). */
static inline int symc_scan_point(PyObject** v, PyObject* base, char* data, int writeable) {
    if (Py_REFCNT(*v) != 1) {
        Py_DECREF(*v);
        *v = symc_scan_rowview(base, 0, writeable);
        if (!*v) return -1;
    }
    ((PyArrayObject_fields*)(*v))->data = data;
    return 0;
}

/* Point *v, a writeable row view of base, at data. A fresh view replaces *v when someone
   else still holds it or when it is not a view of base (a node whose output did not fit
   the row put its own array there). */
static inline int symc_scan_point_row(PyObject** v, PyObject* base, char* data) {
    if (*v == NULL || Py_REFCNT(*v) != 1 || PyArray_BASE((PyArrayObject*)*v) != base) {
        Py_XDECREF(*v);
        *v = symc_scan_rowview(base, 0, 1);
        if (!*v) return -1;
    }
    ((PyArrayObject_fields*)(*v))->data = data;
    return 0;
}

/* Does value v have the shape of the row view `row` (dims only: same ndim by type)? */
static inline int symc_scan_same_shape(PyObject* v, PyObject* row) {
    int nd = PyArray_NDIM((PyArrayObject*)row);
    if (PyArray_NDIM((PyArrayObject*)v) != nd) return 0;
    for (int d = 0; d < nd; d++)
        if (PyArray_DIM((PyArrayObject*)v, d) != PyArray_DIM((PyArrayObject*)row, d)) return 0;
    return 1;
}

/* Copy value v into the buffer row at dst (row view w gives shape and strides). */
static inline int symc_scan_store(PyObject** w, PyObject* base, char* dst, npy_intp nbytes,
                                  PyObject* v) {
    if (PyArray_IS_C_CONTIGUOUS((PyArrayObject*)v)) {
        if (PyArray_BYTES((PyArrayObject*)v) == dst) return 0;  /* computed in the row */
        if (nbytes) memmove(dst, PyArray_BYTES((PyArrayObject*)v), (size_t)nbytes);
        return 0;
    }
    if (symc_scan_point(w, base, dst, 1) < 0) return -1;
    return PyArray_CopyInto((PyArrayObject*)*w, (PyArrayObject*)v);
}

/* Rows p % R for p in [first, first + m) of buffer a, as a new (m, ...) array. */
static PyObject* symc_scan_gather(PyObject* a, npy_intp first, npy_intp m, npy_intp R) {
    PyArrayObject* b = (PyArrayObject*)a;
    npy_intp dims[NPY_MAXDIMS];
    int nd = PyArray_NDIM(b);
    dims[0] = m;
    for (int d = 1; d < nd; d++) dims[d] = PyArray_DIM(b, d);
    PyObject* r = PyArray_EMPTY(nd, dims, PyArray_TYPE(b), 0);
    if (!r) return NULL;
    npy_intp rb = PyArray_STRIDE(b, 0);
    for (npy_intp i = 0; i < m; i++)
        if (rb) memcpy(PyArray_BYTES((PyArrayObject*)r) + i * rb,
                       PyArray_BYTES(b) + ((first + i) % R) * rb, (size_t)rb);
    return r;
}

/* A new reference to v, or to a copy of it when v is a view (its data may belong to a
   buffer the loop overwrites later: a mit_mot row, another state's row). */
static inline PyObject* symc_scan_own(PyObject* v) {
    if (PyArray_BASE((PyArrayObject*)v) == NULL) { Py_INCREF(v); return v; }
    return PyArray_NewCopy((PyArrayObject*)v, NPY_CORDER);
}

/* *v made an array that only the loop holds, so the step may overwrite it in place (an
   untraced state the step destroys): kept when no one else holds a reference to it (no
   view of it exists either: a view holds its base) and it owns writeable memory, else
   replaced by a copy (the initial value, a state the step set to an input or to an array
   a node keeps for reuse). */
static inline int symc_scan_own_state(PyObject** v) {
    PyArrayObject* a = (PyArrayObject*)*v;
    if (Py_REFCNT(*v) == 1 && PyArray_BASE(a) == NULL
        && PyArray_CHKFLAGS(a, NPY_ARRAY_OWNDATA | NPY_ARRAY_WRITEABLE | NPY_ARRAY_ALIGNED))
        return 0;
    PyObject* c = PyArray_NewCopy(a, NPY_CORDER);
    if (!c) return -1;
    Py_SETREF(*v, c);
    return 0;
}

/* The array owning v's memory (v itself when it is not a view of an array). */
static inline PyObject* symc_scan_owner(PyObject* v) {
    while (PyArray_Check(v) && PyArray_BASE((PyArrayObject*)v) != NULL
           && PyArray_Check(PyArray_BASE((PyArrayObject*)v)))
        v = PyArray_BASE((PyArrayObject*)v);
    return v;
}

/* *v, replaced by a copy when its memory belongs to one of the node's inputs (an
   untraced state left unchanged, or updated to a view of an input): the Scan declares
   no view of its inputs, so later in-place nodes may write into its outputs. */
static int symc_scan_detach(PyObject** v, PyObject* const* ins, int n_ins) {
    PyObject* own = symc_scan_owner(*v);
    for (int i = 0; i < n_ins; i++) {
        if (symc_scan_owner(ins[i]) == own) {
            PyObject* c = PyArray_NewCopy((PyArrayObject*)*v, NPY_CORDER);
            if (!c) return -1;
            Py_SETREF(*v, c);
            return 0;
        }
    }
    return 0;
}

/* The pending exception, re-raised with "(raised by step t of <op>)" (as the Python loop). */
static void symc_scan_step_error(npy_intp t, const char* op) {
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyErr_NormalizeException(&et, &ev, &tb);
    if (tb && ev) PyException_SetTraceback(ev, tb);
    PyObject* mod = PyImport_ImportModule("sym_backend_c.ops.scan_inline");
    PyObject* r = mod ? PyObject_CallMethod(mod, "_step_error", "Onz", ev ? ev : Py_None,
                                            (Py_ssize_t)t, op) : NULL;
    Py_XDECREF(mod);
    if (!r) { Py_XDECREF(et); Py_XDECREF(ev); Py_XDECREF(tb); return; }
    PyErr_SetObject((PyObject*)Py_TYPE(r), r);
    Py_DECREF(r);
    Py_XDECREF(et); Py_XDECREF(ev); Py_XDECREF(tb);
}
"""
