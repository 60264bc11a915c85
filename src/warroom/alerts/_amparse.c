/* The common Alertmanager v2 alert, parsed in C, holding the GIL.
 *
 * Why: POST /api/v2/alerts is the ingest hot path (Prometheus resends every active
 * alert every minute), and in Python one valid alert cost ~6.5 us, most of it generic
 * per-field validation, keyword calls and the frozen dataclass's __init__ (one
 * object.__setattr__ per field). This module takes only the common valid alert and
 * declines (returns None) everything else, so the Python path (_parse_item in
 * formats/alertmanager.py) still says what is wrong with a bad alert and handles every
 * odd case. That path is the reference and the fallback when this was not built; the
 * two must agree exactly (tests/unit/alerts/test_parse_speedup.py).
 *
 * configure(alert_type, firing, resolved, timestamp, invalid, content_hash) -> None
 *     Called once by alertmanager.py: the IncomingAlert class (a slots dataclass whose
 *     fields are ALERT_FIELDS, in that order), the two AlertStatus members, the cached
 *     timestamp parser of formats/_fields.py and its "invalid" sentinel, and
 *     fingerprint.content_hash_from. Timestamps and the content hash stay in Python so
 *     their definitions live in one place.
 * parse_item(item, now, source_format) -> IncomingAlert | None
 *     The alert, or None unless `item` is an exact dict whose "labels" is a non-empty
 *     exact dict and whose "annotations" is missing, null or an exact dict, both of exact
 *     str names matching [a-zA-Z_][a-zA-Z0-9_]* and exact str values without lone
 *     surrogates (and no empty label value: Python drops those); "startsAt"/"endsAt"
 *     missing, null or valid timestamp strings with endsAt not before startsAt;
 *     "generatorURL" missing, null or an exact str; and a summary found in the
 *     "summary" or "title" annotation or the "alertname" label. Other keys are ignored,
 *     as in Python. `now` must be an aware UTC datetime (the caller checks).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Strings are always ready from 3.12 on (and from JSON); 3.11 may still meet a legacy one. */
#if PY_VERSION_HEX < 0x030C0000
#define READY(s) PyUnicode_READY(s)
#else
#define READY(s) 0
#endif

#define FNV_OFFSET 0xCBF29CE484222325ULL
#define FNV_PRIME 0x100000001B3ULL

/* IncomingAlert's fields, in dataclass order; alertmanager.py checks they still match. */
enum {
    F_LABELS, F_ANNOTATIONS, F_FINGERPRINT, F_CONTENT_HASH, F_STATUS, F_STARTS_AT,
    F_ENDS_AT, F_GENERATOR_URL, F_SOURCE_FORMAT, F_DEDUP_KEY, F_SUMMARY, F_SEVERITY_HINT,
    F_RAW, N_FIELDS
};
static const char *const FIELD_NAMES[N_FIELDS] = {
    "labels", "annotations", "fingerprint", "content_hash", "status", "starts_at",
    "ends_at", "generator_url", "source_format", "dedup_key", "summary", "severity_hint",
    "raw",
};

/* Set by configure(); strong references kept for the life of the process. */
static PyTypeObject *alert_type;
static Py_ssize_t slot_offsets[N_FIELDS];
static PyObject *status_firing, *status_resolved;       /* AlertStatus members */
static PyObject *text_firing, *text_resolved;           /* their str() */
static PyObject *timestamp_fn, *invalid_timestamp, *content_hash_fn;

/* Interned keys, made at import. */
static PyObject *k_labels, *k_annotations, *k_starts_at, *k_ends_at, *k_generator_url;
static PyObject *k_summary, *k_title, *k_alertname, *k_severity;

static inline uint64_t
fnv_update(uint64_t h, const unsigned char *p, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * FNV_PRIME;
    }
    return h;
}

/* FNV-1a of the UTF-8 of a ready str without lone surrogates (checked before). */
static uint64_t
fnv_str(uint64_t h, PyObject *s)
{
    if (PyUnicode_IS_ASCII(s)) {
        return fnv_update(h, PyUnicode_1BYTE_DATA(s), PyUnicode_GET_LENGTH(s));
    }
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        unsigned char b[4];
        Py_ssize_t len;
        if (c < 0x80) {
            b[0] = (unsigned char)c;
            len = 1;
        }
        else if (c < 0x800) {
            b[0] = (unsigned char)(0xC0 | (c >> 6));
            b[1] = (unsigned char)(0x80 | (c & 0x3F));
            len = 2;
        }
        else if (c < 0x10000) {
            b[0] = (unsigned char)(0xE0 | (c >> 12));
            b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            b[2] = (unsigned char)(0x80 | (c & 0x3F));
            len = 3;
        }
        else {
            b[0] = (unsigned char)(0xF0 | (c >> 18));
            b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            b[3] = (unsigned char)(0x80 | (c & 0x3F));
            len = 4;
        }
        h = fnv_update(h, b, len);
    }
    return h;
}

static const unsigned char SEP = 0xFF;

/* 1 if the ready str `s` holds a surrogate code point (strict UTF-8 refuses it). */
static int
has_surrogate(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    switch (PyUnicode_KIND(s)) {
    case PyUnicode_2BYTE_KIND: {
        const Py_UCS2 *p = PyUnicode_2BYTE_DATA(s);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (p[i] >= 0xD800 && p[i] <= 0xDFFF) {
                return 1;
            }
        }
        return 0;
    }
    case PyUnicode_4BYTE_KIND: {
        const Py_UCS4 *p = PyUnicode_4BYTE_DATA(s);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (p[i] >= 0xD800 && p[i] <= 0xDFFF) {
                return 1;
            }
        }
        return 0;
    }
    default:
        return 0;  /* one byte per code point: Latin-1, no surrogates */
    }
}

/* 1 if the ready str `s` matches [a-zA-Z_][a-zA-Z0-9_]* (ASCII only, like the regex). */
static int
is_label_name(PyObject *s)
{
    if (!PyUnicode_IS_ASCII(s) || PyUnicode_GET_LENGTH(s) == 0) {
        return 0;
    }
    const unsigned char *p = PyUnicode_1BYTE_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
                 || (i > 0 && c >= '0' && c <= '9');
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* Whether `map` is an exact dict that Python would take as it is: exact str label names
 * to exact str values without surrogates, none empty if `nonempty`.
 * 1 yes, 0 no (decline), -1 error. Runs no Python code. */
static int
is_plain_map(PyObject *map, int nonempty)
{
    if (!PyDict_CheckExact(map)) {
        return 0;
    }
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (PyDict_Next(map, &pos, &name, &value)) {
        if (!PyUnicode_CheckExact(name) || !PyUnicode_CheckExact(value)) {
            return 0;
        }
        if (READY(name) < 0 || READY(value) < 0) {
            return -1;
        }
        if (!is_label_name(name) || has_surrogate(value)
            || (nonempty && PyUnicode_GET_LENGTH(value) == 0)) {
            return 0;
        }
    }
    return 1;
}

typedef struct {
    const char *name;
    Py_ssize_t size;
    PyObject *value;
} Label;

static int
label_order(const void *a, const void *b)
{
    const Label *x = a, *y = b;
    Py_ssize_t n = x->size < y->size ? x->size : y->size;
    int c = memcmp(x->name, y->name, (size_t)n);
    if (c != 0) {
        return c;
    }
    return (x->size > y->size) - (x->size < y->size);
}

/* Alertmanager's fingerprint (see _fnv.c) of a dict that passed is_plain_map: names are
 * ASCII, so byte order is code point order. New str, or NULL with an exception. */
static PyObject *
fingerprint_of(PyObject *labels)
{
    Label local[16];
    Py_ssize_t n = PyDict_GET_SIZE(labels);
    Label *sorted = local;
    if (n > (Py_ssize_t)(sizeof local / sizeof local[0])) {
        sorted = PyMem_New(Label, n);
        if (sorted == NULL) {
            return PyErr_NoMemory();
        }
    }
    Py_ssize_t pos = 0, i = 0;
    PyObject *name, *value;
    while (i < n && PyDict_Next(labels, &pos, &name, &value)) {
        sorted[i].name = (const char *)PyUnicode_1BYTE_DATA(name);
        sorted[i].size = PyUnicode_GET_LENGTH(name);
        sorted[i].value = value;
        i++;
    }
    qsort(sorted, (size_t)i, sizeof(Label), label_order);
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t j = 0; j < i; j++) {
        h = fnv_update(h, (const unsigned char *)sorted[j].name, sorted[j].size);
        h = fnv_update(h, &SEP, 1);
        h = fnv_str(h, sorted[j].value);
        h = fnv_update(h, &SEP, 1);
    }
    if (sorted != local) {
        PyMem_Free(sorted);
    }
    char out[17];
    snprintf(out, sizeof out, "%016llx", (unsigned long long)h);
    return PyUnicode_FromStringAndSize(out, 16);
}

/* item[key] as a new reference in *out (NULL when missing). 0 ok, -1 error. */
static int
get_item(PyObject *item, PyObject *key, PyObject **out)
{
    PyObject *value = PyDict_GetItemWithError(item, key);
    if (value == NULL && PyErr_Occurred()) {
        return -1;
    }
    Py_XINCREF(value);
    *out = value;
    return 0;
}

/* Parsed startsAt/endsAt into *out (new reference: a datetime, or None when missing,
 * null or the zero time). 1 ok, 0 decline, -1 error. */
static int
timestamp_of(PyObject *value, PyObject **out)
{
    if (value == NULL || value == Py_None) {
        *out = Py_NewRef(Py_None);
        return 1;
    }
    if (!PyUnicode_CheckExact(value)) {
        return 0;
    }
    PyObject *moment = PyObject_CallOneArg(timestamp_fn, value);
    if (moment == NULL) {
        return -1;
    }
    if (moment == invalid_timestamp) {
        Py_DECREF(moment);
        return 0;
    }
    *out = moment;
    return 1;
}

/* A new reference to a non-empty str value of `map` under `key`, or NULL (no error). */
static PyObject *
nonempty_value(PyObject *map, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(map, key);  /* exact str keys: cannot fail */
    if (value == NULL || PyUnicode_GET_LENGTH(value) == 0) {
        return NULL;
    }
    return Py_NewRef(value);
}

static PyObject *
new_alert(PyObject *const values[N_FIELDS])
{
    PyObject *alert = alert_type->tp_alloc(alert_type, 0);
    if (alert == NULL) {
        return NULL;
    }
    /* What the dataclass __init__ does, one object.__setattr__ per field, without the
     * calls: the slots of a fresh instance are NULL. */
    for (int i = 0; i < N_FIELDS; i++) {
        *(PyObject **)((char *)alert + slot_offsets[i]) = Py_NewRef(values[i]);
    }
    return alert;
}

static PyObject *
parse_item(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "parse_item(item, now, source_format) takes 3 arguments");
        return NULL;
    }
    PyObject *item = args[0], *now = args[1], *source_format = args[2];
    if (alert_type == NULL || !PyDict_CheckExact(item)) {
        Py_RETURN_NONE;
    }
    PyObject *result = NULL;
    PyObject *labels_in = NULL, *annotations_in = NULL, *starts_in = NULL, *ends_in = NULL;
    PyObject *url = NULL, *labels = NULL, *annotations = NULL, *starts_at = NULL;
    PyObject *ends_at = NULL, *summary = NULL, *severity = NULL, *fingerprint = NULL;
    PyObject *hash = NULL, *status = status_firing, *status_text = text_firing;
    int ok;

    if (get_item(item, k_labels, &labels_in) < 0
        || get_item(item, k_annotations, &annotations_in) < 0
        || get_item(item, k_starts_at, &starts_in) < 0
        || get_item(item, k_ends_at, &ends_in) < 0
        || get_item(item, k_generator_url, &url) < 0) {
        goto done;
    }
    if (labels_in == NULL || !PyDict_CheckExact(labels_in) || PyDict_GET_SIZE(labels_in) == 0) {
        goto decline;  /* Python: "at least one label pair required", or a type error */
    }
    if ((ok = is_plain_map(labels_in, 1)) <= 0) {
        goto fail_or_decline;
    }
    if (annotations_in != NULL && annotations_in != Py_None) {
        if ((ok = is_plain_map(annotations_in, 0)) <= 0) {
            goto fail_or_decline;
        }
    }
    if (url != NULL && url != Py_None) {
        if (!PyUnicode_CheckExact(url)) {
            goto decline;
        }
        if (READY(url) < 0) {
            goto done;
        }
    }
    if (url == NULL || url == Py_None || PyUnicode_GET_LENGTH(url) == 0) {
        Py_XSETREF(url, Py_NewRef(Py_None));  /* Python: generator_url or None */
    }
    /* From here on only our copies are read: nothing else can change them. */
    labels = PyDict_Copy(labels_in);
    annotations = annotations_in == NULL || annotations_in == Py_None
                      ? PyDict_New() : PyDict_Copy(annotations_in);
    if (labels == NULL || annotations == NULL) {
        goto done;
    }
    summary = nonempty_value(annotations, k_summary);
    if (summary == NULL) {
        summary = nonempty_value(annotations, k_title);
    }
    if (summary == NULL) {
        summary = nonempty_value(labels, k_alertname);
    }
    if (summary == NULL) {
        goto decline;  /* Python joins the label set */
    }
    severity = PyDict_GetItemWithError(labels, k_severity);
    severity = Py_NewRef(severity != NULL ? severity : Py_None);

    if ((ok = timestamp_of(starts_in, &starts_at)) <= 0
        || (ok = timestamp_of(ends_in, &ends_at)) <= 0) {
        goto fail_or_decline;
    }
    if (starts_at == Py_None) {
        Py_SETREF(starts_at, Py_NewRef(ends_at != Py_None ? ends_at : now));
    }
    if (ends_at != Py_None) {
        if ((ok = PyObject_RichCompareBool(ends_at, starts_at, Py_LT)) != 0) {
            ok = ok < 0 ? -1 : 0;  /* endsAt before startsAt: Python's error */
            goto fail_or_decline;
        }
        if ((ok = PyObject_RichCompareBool(ends_at, now, Py_GT)) < 0) {
            goto done;
        }
        if (!ok) {
            status = status_resolved;
            status_text = text_resolved;
        }
    }
    fingerprint = fingerprint_of(labels);
    if (fingerprint == NULL) {
        goto done;
    }
    PyObject *hash_args[6] = {labels, annotations, status_text, ends_at, summary, severity};
    hash = PyObject_Vectorcall(content_hash_fn, hash_args, 6, NULL);
    if (hash == NULL) {
        goto done;
    }
    PyObject *values[N_FIELDS] = {
        [F_LABELS] = labels, [F_ANNOTATIONS] = annotations, [F_FINGERPRINT] = fingerprint,
        [F_CONTENT_HASH] = hash, [F_STATUS] = status, [F_STARTS_AT] = starts_at,
        [F_ENDS_AT] = ends_at, [F_GENERATOR_URL] = url, [F_SOURCE_FORMAT] = source_format,
        [F_DEDUP_KEY] = Py_None, [F_SUMMARY] = summary, [F_SEVERITY_HINT] = severity,
        [F_RAW] = item,
    };
    result = new_alert(values);
    goto done;

fail_or_decline:
    if (ok < 0) {
        goto done;
    }
decline:
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(labels_in);
    Py_XDECREF(annotations_in);
    Py_XDECREF(starts_in);
    Py_XDECREF(ends_in);
    Py_XDECREF(url);
    Py_XDECREF(labels);
    Py_XDECREF(annotations);
    Py_XDECREF(starts_at);
    Py_XDECREF(ends_at);
    Py_XDECREF(summary);
    Py_XDECREF(severity);
    Py_XDECREF(fingerprint);
    Py_XDECREF(hash);
    return result;
}

/* Offset of the slot `name` defined by `type` itself, or -1 with TypeError. */
static Py_ssize_t
slot_offset(PyTypeObject *type, const char *name)
{
    PyObject *descr = PyDict_GetItemString(type->tp_dict, name);
    if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)
        || ((PyDescrObject *)descr)->d_type != type) {
        PyErr_Format(PyExc_TypeError, "%s has no slot %s", type->tp_name, name);
        return -1;
    }
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || (member->flags & READONLY)) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a plain slot", type->tp_name, name);
        return -1;
    }
    return member->offset;
}

static PyObject *
configure(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "configure() takes 6 arguments");
        return NULL;
    }
    if (!PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "configure(): alert_type must be a class");
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)args[0];
    if (type->tp_dict == NULL || type->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_SetString(PyExc_TypeError, "configure(): alert_type must be a plain slots class");
        return NULL;
    }
    Py_ssize_t offsets[N_FIELDS];
    for (int i = 0; i < N_FIELDS; i++) {
        if ((offsets[i] = slot_offset(type, FIELD_NAMES[i])) < 0) {
            return NULL;
        }
    }
    PyObject *firing = PyObject_Str(args[1]);
    PyObject *resolved = firing == NULL ? NULL : PyObject_Str(args[2]);
    if (resolved == NULL) {
        Py_XDECREF(firing);
        return NULL;
    }
    memcpy(slot_offsets, offsets, sizeof offsets);
    Py_XSETREF(alert_type, (PyTypeObject *)Py_NewRef(type));
    Py_XSETREF(status_firing, Py_NewRef(args[1]));
    Py_XSETREF(status_resolved, Py_NewRef(args[2]));
    Py_XSETREF(text_firing, firing);
    Py_XSETREF(text_resolved, resolved);
    Py_XSETREF(timestamp_fn, Py_NewRef(args[3]));
    Py_XSETREF(invalid_timestamp, Py_NewRef(args[4]));
    Py_XSETREF(content_hash_fn, Py_NewRef(args[5]));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_FASTCALL,
     "configure(alert_type, firing, resolved, timestamp, invalid, content_hash): once, "
     "before parse_item."},
    {"parse_item", (PyCFunction)(void (*)(void))parse_item, METH_FASTCALL,
     "The IncomingAlert of a common valid Alertmanager alert, or None if the Python path "
     "must parse it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "warroom.alerts._amparse", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__amparse(void)
{
    struct { PyObject **key; const char *text; } keys[] = {
        {&k_labels, "labels"}, {&k_annotations, "annotations"}, {&k_starts_at, "startsAt"},
        {&k_ends_at, "endsAt"}, {&k_generator_url, "generatorURL"}, {&k_summary, "summary"},
        {&k_title, "title"}, {&k_alertname, "alertname"}, {&k_severity, "severity"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (*keys[i].key == NULL
            && (*keys[i].key = PyUnicode_InternFromString(keys[i].text)) == NULL) {
            return NULL;
        }
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    PyObject *names = PyTuple_New(N_FIELDS);
    if (names == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    for (int i = 0; i < N_FIELDS; i++) {
        PyObject *name = PyUnicode_FromString(FIELD_NAMES[i]);
        if (name == NULL) {
            Py_DECREF(names);
            Py_DECREF(m);
            return NULL;
        }
        PyTuple_SET_ITEM(names, i, name);
    }
    if (PyModule_AddObject(m, "ALERT_FIELDS", names) < 0) {
        Py_DECREF(names);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
