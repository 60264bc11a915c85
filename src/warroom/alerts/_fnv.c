/* Alertmanager's label-set fingerprint (FNV-1a 64) in C, holding the GIL.
 *
 * Why not a package: the 64-bit FNV-1a modules on the package index either go through
 * cffi/ctypes (which release the GIL on every call, ~20 us each in a server where the
 * event loop and the alert writer share it) or get bytes >= 0x80 wrong. The pure-Python
 * loop in fingerprint.py is the reference and the fallback; this module must agree with
 * it bit for bit (tests/unit/alerts/test_fingerprint_speedup.py).
 *
 * label_fingerprint(labels: dict) -> str | None
 *     16 lowercase hex digits of FNV-1a 64 over "name 0xFF value 0xFF" for each label in
 *     sorted order, or None when a key or value is not an exact str or cannot be encoded
 *     as strict UTF-8 (lone surrogates): the Python path handles those.
 * fnv1a64(data: bytes) -> int
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define FNV_OFFSET 0xCBF29CE484222325ULL
#define FNV_PRIME 0x100000001B3ULL

static inline uint64_t
fnv_update(uint64_t h, const unsigned char *p, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * FNV_PRIME;
    }
    return h;
}

static const unsigned char SEP = 0xFF;

/* UTF-8 of an exact str, or NULL (without an exception set) when it has none. */
static const char *
utf8_of(PyObject *s, Py_ssize_t *size)
{
    if (!PyUnicode_CheckExact(s)) {
        return NULL;
    }
    const char *p = PyUnicode_AsUTF8AndSize(s, size);
    if (p == NULL) {
        PyErr_Clear();
    }
    return p;
}

static PyObject *
label_fingerprint(PyObject *module, PyObject *labels)
{
    if (!PyDict_CheckExact(labels)) {
        Py_RETURN_NONE;
    }
    PyObject *names = PyDict_Keys(labels);
    if (names == NULL) {
        return NULL;
    }
    if (PyList_GET_SIZE(names) > 1) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
            if (!PyUnicode_CheckExact(PyList_GET_ITEM(names, i))) {
                Py_DECREF(names);
                Py_RETURN_NONE;  /* sorting mixed types could raise */
            }
        }
        if (PyList_Sort(names) < 0) {
            Py_DECREF(names);
            return NULL;
        }
    }
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        PyObject *value = PyDict_GetItemWithError(labels, name);
        Py_ssize_t nlen, vlen;
        const char *n = utf8_of(name, &nlen);
        const char *v = value == NULL ? NULL : utf8_of(value, &vlen);
        if (n == NULL || v == NULL) {
            Py_DECREF(names);
            if (PyErr_Occurred()) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
        h = fnv_update(h, (const unsigned char *)n, nlen);
        h = fnv_update(h, &SEP, 1);
        h = fnv_update(h, (const unsigned char *)v, vlen);
        h = fnv_update(h, &SEP, 1);
    }
    Py_DECREF(names);
    char out[17];
    snprintf(out, sizeof out, "%016llx", (unsigned long long)h);
    return PyUnicode_FromStringAndSize(out, 16);
}

static PyObject *
fnv1a64(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    uint64_t h = fnv_update(FNV_OFFSET, (const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLongLong(h);
}

static PyMethodDef methods[] = {
    {"label_fingerprint", label_fingerprint, METH_O,
     "Alertmanager fingerprint of a dict of str to str, or None if the Python path must do it."},
    {"fnv1a64", fnv1a64, METH_O, "FNV-1a 64 of a bytes-like object."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "warroom.alerts._fnv", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__fnv(void)
{
    return PyModule_Create(&module);
}
