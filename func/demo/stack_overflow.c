/* stack_overflow: unbounded recursion, each frame holding 1 KiB on the stack. The stack sits
 * first in linear memory, so overflowing it is an out-of-bounds trap (or wasmtime's own stack
 * limit hits first). Expected: a failed call (a trap); the next call works. */
#include "faasm/faasm.h"

static int recurse(int depth)
{
    volatile char frame[1024];
    frame[depth % sizeof(frame)] = (char)depth;
    return recurse(depth + 1) + frame[0];
}

FAASM_MAIN_FUNC()
{
    return recurse(0);
}
