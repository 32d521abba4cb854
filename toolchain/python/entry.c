/*
 * The Python function module: CPython as a Faasm function (a WASI reactor linked with libfaasm's
 * entry points). Loading a function takes two steps, so the first is shared by every function:
 * the zygote starts the interpreter and runs pyfaasm._runner.start (the runtime snapshots that
 * once per interpreter build: the base); __faasm_python_load then hands the function's source (its
 * input) to pyfaasm._runner.load, which compiles it and runs its imports (the runtime keeps the
 * pages that changed). Calls 0-9 go to pyfaasm._runner.call(idx): the script as __main__, then
 * the function registered for idx.
 */
#include "Python.h"

#include <stdio.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "faasm/core.h"

/* The process clock (clock(), times(); getrusage() through __clock). wasi-libc's emulation
 * reads a start time in a constructor, i.e. in the zygote: a different value in every process's
 * snapshot, and not the call's start. Each call runs in a fresh WASI context whose monotonic
 * clock starts with it, so measured from 0 it is the call's time. Defined here, the library's
 * clock.o and times.o are not linked. */
__wasi_timestamp_t
__clock(void)
{
    __wasi_timestamp_t now = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &now);
    return now;
}

clock_t
clock(void)
{
    return (clock_t)__clock();
}

/* In sysconf(_SC_CLK_TCK) ticks, as POSIX says and time.process_time() divides by (wasi-libc's
 * counts nanoseconds). */
clock_t
times(struct tms* buffer)
{
    clock_t ticks = (clock_t)(__clock() / (1000000000 / (__wasi_timestamp_t)sysconf(_SC_CLK_TCK)));
    *buffer = (struct tms){.tms_utime = ticks};
    return ticks;
}

/* The hash seed is fixed: string hashes fill the base snapshot every function and process
 * shares, so it cannot depend on a function (CPython would seed hashing from WASI random_get: a
 * different base in every process, compiled again each time). */
#define HASH_SEED 2166136261UL

static PyObject* g_runner = NULL; /* pyfaasm._runner, imported by the zygote */
static PyObject* g_call = NULL;   /* its call(idx) */

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
    /* UTF-8 mode: the guest has no locale, and its C locale would make stdio ASCII. */
    PyPreConfig preconfig;
    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1;
    PyStatus status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "python: %s\n", status.err_msg ? status.err_msg : "pre-init failed");
        fflush(stderr);
        return 1;
    }
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0; /* no site-packages: the stdlib and pyfaasm are the whole path */
    config.write_bytecode = 0;
    config.install_signal_handlers = 0;
    config.use_hash_seed = 1;
    config.hash_seed = HASH_SEED;
    status = PyConfig_SetString(&config, &config.home, L"/");
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        fprintf(stderr, "python: %s\n", status.err_msg ? status.err_msg : "init failed");
        fflush(stderr);
        return 1;
    }
    g_runner = PyImport_ImportModule("pyfaasm._runner");
    PyObject* started = g_runner == NULL ? NULL : PyObject_CallMethod(g_runner, "start", NULL);
    if (started == NULL) {
        return python_error();
    }
    Py_DECREF(started);
    g_call = PyObject_GetAttrString(g_runner, "call");
    return g_call == NULL ? python_error() : 0;
}

/* The function's step: pyfaasm._runner.load compiles the source (the input) and runs its
 * imports, reporting the function's own errors (syntax, imports) itself and returning 1. */
FAASM_C_LINKAGE FAASM_EXPORT_AS(__faasm_python_load) int
__faasm_python_load(void)
{
    PyObject* done = PyObject_CallMethod(g_runner, "load", NULL);
    int failed = done == NULL ? python_error() : PyLong_AsLong(done) != 0;
    Py_XDECREF(done);
    fflush(stdout);
    fflush(stderr);
    return failed;
}

static int
run(int idx)
{
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
