/* memory_hog: allocates (and touches) 1 MiB blocks until malloc fails, i.e. until linear
 * memory cannot grow past the runtime's memory limit.
 * Expected: a failed call (return value 1, stdout "malloc failed after N MiB"), or a failed call
 * reporting the memory limit if the runtime traps on it; the next call works. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faasm/faasm.h"

/* Keeps every block reachable, so the compiler cannot drop the allocations. */
static char* volatile last_block;

FAASM_MAIN_FUNC()
{
    const size_t block = 1024 * 1024;
    long blocks = 0;
    for (;;) {
        char* p = malloc(block);
        if (!p) {
            break;
        }
        memset(p, 1, block);
        last_block = p;
        blocks++;
    }
    printf("malloc failed after %ld MiB\n", blocks);
    return 1;
}
