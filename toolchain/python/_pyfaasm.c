/*
 * _pyfaasm: the host interface for Python functions, built into the interpreter.
 *
 * Each function is a thin wrapper over one env.__faasm_* import, the same imports C functions
 * use (declared once in faasm/host_interface.h, fixed by the runtime's interface table): Python
 * functions get no second ABI. The Pythonic API (pyfaasm.core, pyfaasm.code) is written in
 * Python on top of this module.
 */
#define PY_SSIZE_T_CLEAN
#include "Python.h"

#include <stdint.h>

#include "faasm/host_interface.h"

/* A host length is an int32: larger Python buffers are refused rather than cut. */
static int
fits_i32(Py_ssize_t len)
{
    if (len < 0 || len > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "buffer larger than 2 GiB");
        return 0;
    }
    return 1;
}

static PyObject*
new_bytes(Py_ssize_t len, uint8_t** data)
{
    if (len < 0) {
        PyErr_SetString(PyExc_ValueError, "negative length");
        return NULL;
    }
    PyObject* out = PyBytes_FromStringAndSize(NULL, len);
    if (out != NULL) {
        *data = (uint8_t*)PyBytes_AS_STRING(out);
    }
    return out;
}

static PyObject*
pyfaasm_read_input(PyObject* self, PyObject* unused)
{
    int32_t size = __faasm_read_input(NULL, 0);
    uint8_t* data;
    PyObject* out = new_bytes(size, &data);
    if (out != NULL && size > 0) {
        __faasm_read_input(data, size);
    }
    return out;
}

static PyObject*
pyfaasm_write_output(PyObject* self, PyObject* arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (fits_i32(view.len)) {
        __faasm_write_output((const uint8_t*)view.buf, (int32_t)view.len);
    }
    PyBuffer_Release(&view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject*
pyfaasm_get_idx(PyObject* self, PyObject* unused)
{
    return PyLong_FromLong(__faasm_get_idx());
}

static PyObject*
name_from(int32_t (*get)(uint8_t*, int32_t))
{
    char buf[256];
    int32_t len = get((uint8_t*)buf, (int32_t)sizeof(buf));
    if (len < 0) {
        len = 0;
    }
    if (len >= (int32_t)sizeof(buf)) {
        len = (int32_t)sizeof(buf) - 1;
    }
    return PyUnicode_DecodeUTF8(buf, len, "replace");
}

static PyObject*
pyfaasm_get_py_user(PyObject* self, PyObject* unused)
{
    return name_from(__faasm_get_py_user);
}

static PyObject*
pyfaasm_get_py_func(PyObject* self, PyObject* unused)
{
    return name_from(__faasm_get_py_func);
}

static PyObject*
pyfaasm_chain_this(PyObject* self, PyObject* args)
{
    int idx;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "iy*:chain_this", &idx, &view)) {
        return NULL;
    }
    PyObject* out = NULL;
    if (fits_i32(view.len)) {
        out = PyLong_FromLong(
          __faasm_chain_this(idx, (const uint8_t*)view.buf, (int32_t)view.len));
    }
    PyBuffer_Release(&view);
    return out;
}

static PyObject*
pyfaasm_chain_function(PyObject* self, PyObject* args)
{
    const char* name;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "sy*:chain_function", &name, &view)) {
        return NULL;
    }
    PyObject* out = NULL;
    if (fits_i32(view.len)) {
        out = PyLong_FromLong(
          __faasm_chain_function(name, (const uint8_t*)view.buf, (int32_t)view.len));
    }
    PyBuffer_Release(&view);
    return out;
}

static PyObject*
pyfaasm_await_call(PyObject* self, PyObject* args)
{
    int id;
    if (!PyArg_ParseTuple(args, "i:await_call", &id)) {
        return NULL;
    }
    return PyLong_FromLong(__faasm_await_call(id));
}

/* (return value, output cut to max_len bytes): the host copies at most max_len bytes. */
static PyObject*
pyfaasm_await_call_output(PyObject* self, PyObject* args)
{
    int id;
    Py_ssize_t max_len;
    if (!PyArg_ParseTuple(args, "in:await_call_output", &id, &max_len)) {
        return NULL;
    }
    if (!fits_i32(max_len)) {
        return NULL;
    }
    uint8_t* data;
    PyObject* buf = new_bytes(max_len, &data);
    if (buf == NULL) {
        return NULL;
    }
    memset(data, 0, (size_t)max_len);
    int32_t result = __faasm_await_call_output(id, data, (int32_t)max_len);
    PyObject* out = Py_BuildValue("(iO)", result, buf);
    Py_DECREF(buf);
    return out;
}

static PyObject*
pyfaasm_read_state(PyObject* self, PyObject* args)
{
    const char* key;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "sn:read_state", &key, &len) || !fits_i32(len)) {
        return NULL;
    }
    uint8_t* data;
    PyObject* out = new_bytes(len, &data);
    if (out != NULL) {
        __faasm_read_state(key, data, (int32_t)len);
    }
    return out;
}

static PyObject*
pyfaasm_read_state_size(PyObject* self, PyObject* args)
{
    const char* key;
    if (!PyArg_ParseTuple(args, "s:read_state_size", &key)) {
        return NULL;
    }
    return PyLong_FromLong(__faasm_read_state_size(key));
}

static PyObject*
pyfaasm_write_state(PyObject* self, PyObject* args)
{
    const char* key;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "sy*:write_state", &key, &view)) {
        return NULL;
    }
    if (fits_i32(view.len)) {
        __faasm_write_state(key, (const uint8_t*)view.buf, (int32_t)view.len);
    }
    PyBuffer_Release(&view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject*
pyfaasm_read_state_offset(PyObject* self, PyObject* args)
{
    const char* key;
    Py_ssize_t total, off, len;
    if (!PyArg_ParseTuple(args, "snnn:read_state_offset", &key, &total, &off, &len) ||
        !fits_i32(total) || !fits_i32(off) || !fits_i32(len)) {
        return NULL;
    }
    uint8_t* data;
    PyObject* out = new_bytes(len, &data);
    if (out != NULL) {
        __faasm_read_state_offset(key, (int32_t)total, (int32_t)off, data, (int32_t)len);
    }
    return out;
}

static PyObject*
pyfaasm_write_state_offset(PyObject* self, PyObject* args)
{
    const char* key;
    Py_ssize_t total, off;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "snny*:write_state_offset", &key, &total, &off, &view)) {
        return NULL;
    }
    if (fits_i32(total) && fits_i32(off) && fits_i32(view.len)) {
        __faasm_write_state_offset(
          key, (int32_t)total, (int32_t)off, (const uint8_t*)view.buf, (int32_t)view.len);
    }
    PyBuffer_Release(&view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject*
pyfaasm_pull_state(PyObject* self, PyObject* args)
{
    const char* key;
    Py_ssize_t total;
    if (!PyArg_ParseTuple(args, "sn:pull_state", &key, &total) || !fits_i32(total)) {
        return NULL;
    }
    __faasm_pull_state(key, (int32_t)total);
    Py_RETURN_NONE;
}

static PyObject*
pyfaasm_append_state(PyObject* self, PyObject* args)
{
    const char* key;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "sy*:append_state", &key, &view)) {
        return NULL;
    }
    if (fits_i32(view.len)) {
        __faasm_append_state(key, (const uint8_t*)view.buf, (int32_t)view.len);
    }
    PyBuffer_Release(&view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject*
pyfaasm_read_appended_state(PyObject* self, PyObject* args)
{
    const char* key;
    Py_ssize_t len;
    int n;
    if (!PyArg_ParseTuple(args, "sni:read_appended_state", &key, &len, &n) || !fits_i32(len)) {
        return NULL;
    }
    uint8_t* data;
    PyObject* out = new_bytes(len, &data);
    if (out != NULL) {
        __faasm_read_appended_state(key, data, (int32_t)len, n);
    }
    return out;
}

/* The state verbs that take only a key. */
#define KEY_VERB(verb)                                                                            \
    static PyObject* pyfaasm_##verb(PyObject* self, PyObject* args)                               \
    {                                                                                             \
        const char* key;                                                                          \
        if (!PyArg_ParseTuple(args, "s:" #verb, &key)) {                                          \
            return NULL;                                                                          \
        }                                                                                         \
        __faasm_##verb(key);                                                                      \
        Py_RETURN_NONE;                                                                           \
    }

KEY_VERB(push_state)
KEY_VERB(push_state_partial)
KEY_VERB(clear_appended_state)
KEY_VERB(lock_state_global)
KEY_VERB(unlock_state_global)
KEY_VERB(lock_state_read)
KEY_VERB(unlock_state_read)
KEY_VERB(lock_state_write)
KEY_VERB(unlock_state_write)

#define METHOD(name, flags, doc) { #name, (PyCFunction)pyfaasm_##name, flags, doc }

static PyMethodDef pyfaasm_methods[] = {
    METHOD(read_input, METH_NOARGS, "read_input() -> bytes: the call's input."),
    METHOD(write_output, METH_O, "write_output(data): set the call's output."),
    METHOD(get_idx, METH_NOARGS, "get_idx() -> int: the function index this call runs."),
    METHOD(get_py_user, METH_NOARGS, "get_py_user() -> str: the Python user of the call."),
    METHOD(get_py_func, METH_NOARGS, "get_py_func() -> str: the Python function of the call."),
    METHOD(chain_this, METH_VARARGS, "chain_this(idx, data) -> call id."),
    METHOD(chain_function, METH_VARARGS, "chain_function(name, data) -> call id."),
    METHOD(await_call, METH_VARARGS, "await_call(id) -> the callee's return value."),
    METHOD(await_call_output, METH_VARARGS,
           "await_call_output(id, max_len) -> (return value, output padded to max_len)."),
    METHOD(read_state, METH_VARARGS, "read_state(key, len) -> bytes."),
    METHOD(read_state_size, METH_VARARGS, "read_state_size(key) -> int."),
    METHOD(write_state, METH_VARARGS, "write_state(key, data)."),
    METHOD(read_state_offset, METH_VARARGS, "read_state_offset(key, total, off, len) -> bytes."),
    METHOD(write_state_offset, METH_VARARGS, "write_state_offset(key, total, off, data)."),
    METHOD(push_state, METH_VARARGS, "push_state(key)."),
    METHOD(push_state_partial, METH_VARARGS, "push_state_partial(key)."),
    METHOD(pull_state, METH_VARARGS, "pull_state(key, total)."),
    METHOD(append_state, METH_VARARGS, "append_state(key, data)."),
    METHOD(read_appended_state, METH_VARARGS, "read_appended_state(key, len, n) -> bytes."),
    METHOD(clear_appended_state, METH_VARARGS, "clear_appended_state(key)."),
    METHOD(lock_state_global, METH_VARARGS, "lock_state_global(key)."),
    METHOD(unlock_state_global, METH_VARARGS, "unlock_state_global(key)."),
    METHOD(lock_state_read, METH_VARARGS, "lock_state_read(key)."),
    METHOD(unlock_state_read, METH_VARARGS, "unlock_state_read(key)."),
    METHOD(lock_state_write, METH_VARARGS, "lock_state_write(key)."),
    METHOD(unlock_state_write, METH_VARARGS, "unlock_state_write(key)."),
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef pyfaasm_module = {
    PyModuleDef_HEAD_INIT,
    "_pyfaasm",
    "The Faasm host interface (env.__faasm_* imports); use pyfaasm.core instead.",
    0,
    pyfaasm_methods,
};

PyMODINIT_FUNC
PyInit__pyfaasm(void)
{
    return PyModule_Create(&pyfaasm_module);
}
