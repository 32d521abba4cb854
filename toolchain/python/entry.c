/*
 * The Python function module: CPython as a Faasm function (a WASI reactor linked with libfaasm's
 * entry points). The zygote initialises the interpreter and hands the function's source (its
 * input) to pyfaasm._runner, which compiles it and runs its imports; the runtime snapshots memory
 * after that, so every call starts from an initialised interpreter. Calls 0-9 go to
 * pyfaasm._runner.call(idx): the script as __main__, then the function registered for idx.
 */
#include "Python.h"

#include <stdio.h>

#include "faasm/core.h"

static PyObject* g_call = NULL;

/* The Python error, printed to stderr (the call's or zygote's), as 1. */
static int
python_error(void)
{
    PyErr_Print();
    fflush(stderr);
    return 1;
}

FAASM_C_LINKAGE int
_faasm_zygote(void)
{
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0; /* no site-packages: the stdlib and pyfaasm are the whole path */
    config.write_bytecode = 0;
    config.install_signal_handlers = 0;
    PyStatus status = PyConfig_SetString(&config, &config.home, L"/");
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "python: %s\n", status.err_msg ? status.err_msg : "init failed");
        fflush(stderr);
        return 1;
    }
    PyObject* runner = PyImport_ImportModule("pyfaasm._runner");
    if (runner == NULL) {
        return python_error();
    }
    PyObject* done = PyObject_CallMethod(runner, "zygote", NULL);
    if (done == NULL) {
        Py_DECREF(runner);
        return python_error();
    }
    Py_DECREF(done);
    g_call = PyObject_GetAttrString(runner, "call");
    Py_DECREF(runner);
    return g_call == NULL ? python_error() : 0;
}

static int
run(int idx)
{
    if (g_call == NULL) {
        fprintf(stderr, "python: the interpreter was not initialised\n");
        return 1;
    }
    PyObject* result = PyObject_CallFunction(g_call, "i", idx);
    if (result == NULL) {
        return python_error();
    }
    long value = PyLong_AsLong(result);
    Py_DECREF(result);
    return (int)value;
}

#define PYTHON_FUNC(idx)                                                                         \
    FAASM_C_LINKAGE FAASM_EXPORT_AS(_faasm_func_##idx) int _faasm_func_##idx(void)                \
    {                                                                                             \
        return run(idx);                                                                          \
    }

PYTHON_FUNC(0)
PYTHON_FUNC(1)
PYTHON_FUNC(2)
PYTHON_FUNC(3)
PYTHON_FUNC(4)
PYTHON_FUNC(5)
PYTHON_FUNC(6)
PYTHON_FUNC(7)
PYTHON_FUNC(8)
PYTHON_FUNC(9)
