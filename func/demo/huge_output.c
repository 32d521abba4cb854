/* huge_output: sets a 64 MiB output, more than the runtime's output limit allows.
 * Expected: a failed call saying the output limit was exceeded; the next call works. */
#include <stdlib.h>
#include <string.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    const long size = 64L * 1024 * 1024;
    unsigned char* output = malloc(size);
    if (!output) {
        return 1;
    }
    memset(output, 'x', size);
    faasmSetOutput(output, size);
    return 0;
}
