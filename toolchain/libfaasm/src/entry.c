/*
 * The entry points the runtime calls: __faasm_call(idx), __faasm_zygote() and __faasm_alloc(len).
 *
 * User functions are found through weak references: FAASM_FUNC(name, N) defines _faasm_func_N,
 * FAASM_ZYGOTE() defines _faasm_zygote, and a plain `int main()` program defines __main_void or
 * __main_argc_argv (clang's wasm names for the two forms of main). An absent symbol is NULL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faasm/core.h"
#include "libfaasm_internal.h"

#ifdef __wasm__
#include <wasi/api.h>
#endif

#define WEAK __attribute__((weak))

WEAK int _faasm_func_0(void);
WEAK int _faasm_func_1(void);
WEAK int _faasm_func_2(void);
WEAK int _faasm_func_3(void);
WEAK int _faasm_func_4(void);
WEAK int _faasm_func_5(void);
WEAK int _faasm_func_6(void);
WEAK int _faasm_func_7(void);
WEAK int _faasm_func_8(void);
WEAK int _faasm_func_9(void);
WEAK int _faasm_zygote(void);

#ifdef __wasm__
WEAK int __main_void(void);
WEAK int __main_argc_argv(int argc, char** argv);
#endif

unsigned int faasmCallGeneration = 0;

typedef int (*faasm_func_t)(void);

faasm_func_t faasm_lookup_func(int idx)
{
    switch (idx) {
    case 0: return _faasm_func_0;
    case 1: return _faasm_func_1;
    case 2: return _faasm_func_2;
    case 3: return _faasm_func_3;
    case 4: return _faasm_func_4;
    case 5: return _faasm_func_5;
    case 6: return _faasm_func_6;
    case 7: return _faasm_func_7;
    case 8: return _faasm_func_8;
    case 9: return _faasm_func_9;
    default: return 0;
    }
}

#ifdef __wasm__
/* A plain main(argc, argv) gets the WASI arguments the runtime passes. */
static int call_main_argc_argv(void)
{
    __wasi_size_t argc = 0, bufSize = 0;
    if (__wasi_args_sizes_get(&argc, &bufSize) != 0) {
        argc = 0;
        bufSize = 0;
    }
    char** argv = calloc(argc + 1, sizeof(char*));
    char* buf = malloc(bufSize + 1);
    if (!argv || !buf) {
        fprintf(stderr, "faasm: out of memory for main's arguments\n");
        return 1;
    }
    if (argc > 0 && __wasi_args_get((uint8_t**)argv, (uint8_t*)buf) != 0) {
        argc = 0;
    }
    argv[argc] = 0;
    return __main_argc_argv((int)argc, argv);
}
#endif

int faasm_dispatch(int idx)
{
    faasmCallGeneration++;
    faasm_func_t func = faasm_lookup_func(idx);
    if (func) {
        return func();
    }
#ifdef __wasm__
    if (idx == 0 && __main_argc_argv) {
        return call_main_argc_argv();
    }
    if (idx == 0 && __main_void) {
        return __main_void();
    }
#endif
    fprintf(stderr, "faasm: this module has no function at index %d\n", idx);
    return 1;
}

FAASM_EXPORT_AS(__faasm_call) int __faasm_call(int idx)
{
#ifdef __wasm__
    faasm_register_preopens();
#endif
    int result = faasm_dispatch(idx);
    fflush(stdout);
    fflush(stderr);
    return result;
}

FAASM_EXPORT_AS(__faasm_zygote) int __faasm_zygote(void)
{
    int result = _faasm_zygote ? _faasm_zygote() : 0;
    fflush(stdout);
    fflush(stderr);
    return result;
}

#define FAASM_PAGE 4096

/* Page-aligned, page-rounded, zeroed memory from the guest allocator (the host maps state there). */
FAASM_EXPORT_AS(__faasm_alloc) void* __faasm_alloc(int len)
{
    if (len <= 0) {
        return 0;
    }
    size_t size = ((size_t)len + FAASM_PAGE - 1) & ~(size_t)(FAASM_PAGE - 1);
    void* ptr = aligned_alloc(FAASM_PAGE, size);
    if (ptr) {
        memset(ptr, 0, size);
    }
    return ptr;
}
