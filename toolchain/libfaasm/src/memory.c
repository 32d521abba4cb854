/*
 * brk and sbrk on linear memory, for wasm: WASI has no brk, and wasi-libc's sbrk takes whole
 * 64 KiB pages only (it aborts on anything else). The break starts at the end of memory; moving
 * it past the end grows memory, moving it back leaves memory as it is (wasm memory never
 * shrinks). wasi-libc's malloc calls sbrk too and, libfaasm coming first on the link line, gets
 * this one: for the page-sized steps it takes, it behaves exactly as wasi-libc's.
 */
#ifdef __wasm__
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "faasm/core.h"

#define WASM_PAGE ((uintptr_t)65536)

static uintptr_t g_break = 0;
static uintptr_t g_known_end = 0;

static uintptr_t memory_end(void) { return (uintptr_t)__builtin_wasm_memory_size(0) * WASM_PAGE; }

/* The break; one left at the end of memory follows memory grown by anything else. */
static uintptr_t current_break(void)
{
    uintptr_t end = memory_end();
    if (!g_break || (g_break == g_known_end && end != g_known_end)) {
        g_break = end;
    }
    g_known_end = end;
    return g_break;
}

/* Grow memory so that it reaches `end`: 0, or -1 with errno ENOMEM. */
static int reach(uintptr_t end)
{
    uintptr_t have = memory_end();
    if (end > have) {
        uintptr_t pages = (end - have + WASM_PAGE - 1) / WASM_PAGE;
        if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) {
            errno = ENOMEM;
            return -1;
        }
    }
    g_known_end = memory_end();
    return 0;
}

void* sbrk(intptr_t increment)
{
    uintptr_t old = current_break();
    uintptr_t wanted = old + (uintptr_t)increment;
    if ((increment > 0 && wanted < old) || (increment < 0 && wanted > old)) {
        errno = ENOMEM;
        return (void*)-1;
    }
    if (reach(wanted) != 0) {
        return (void*)-1;
    }
    g_break = wanted;
    return (void*)old;
}

int brk(void* addr)
{
    current_break();
    if (reach((uintptr_t)addr) != 0) {
        return -1;
    }
    g_break = (uintptr_t)addr;
    return 0;
}
#endif
