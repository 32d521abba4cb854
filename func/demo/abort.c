/* abort: calls abort(), which is a wasm trap (unreachable) in wasi-libc.
 * Expected: a failed call saying the function aborted/trapped; the next call works. */
#include <stdio.h>
#include <stdlib.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    printf("giving up\n");
    abort();
}
