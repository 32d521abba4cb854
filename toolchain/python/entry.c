/*
 * The Python function module: CPython as a Faasm function (a WASI reactor linked with libfaasm's
 * entry points). The zygote initialises the interpreter and hands the function's source (its
 * input) to pyfaasm._runner, which compiles it and runs its imports; the runtime snapshots memory
 * after that, so every call starts from an initialised interpreter. Calls 0-9 go to
 * pyfaasm._runner.call(idx): the script as __main__, then the function registered for idx.
 */
#include "Python.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "faasm/core.h"
#include "faasm/host_interface.h"

static PyObject* g_call = NULL;

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

/* The hash seed: FNV-1a of the zygote's input (the function's path and source). CPython would
 * seed hashing from WASI random_get, and string hashes fill the interpreter's memory: the
 * snapshot would differ in every process and be compiled again each time. Derived from the
 * function, it is the same in every process (cached machine code) and differs between functions.
 */
static unsigned long
hash_seed(void)
{
    int32_t size = __faasm_read_input(NULL, 0);
    uint8_t* input = size > 0 ? malloc((size_t)size) : NULL;
    unsigned long seed = 2166136261UL;
    if (input != NULL) {
        __faasm_read_input(input, size);
        for (int32_t i = 0; i < size; i++) {
            seed = ((seed ^ input[i]) * 16777619UL) & 0xFFFFFFFFUL;
        }
        free(input);
    }
    return seed;
}

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
    config.hash_seed = hash_seed();
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
    PyObject* runner = PyImport_ImportModule("pyfaasm._runner");
    if (runner == NULL) {
        return python_error();
    }
    /* zygote() reports the function's own errors (syntax, imports) and returns 1. */
    PyObject* done = PyObject_CallMethod(runner, "zygote", NULL);
    if (done == NULL) {
        Py_DECREF(runner);
        return python_error();
    }
    long failed = PyLong_AsLong(done);
    Py_DECREF(done);
    if (failed) {
        fflush(stderr);
        Py_DECREF(runner);
        return 1;
    }
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
