/* echo: outputs its input unchanged (C this time: the API is plain C).
 * Expected: input "abc" -> output "abc"; no input -> empty output. */
#include <stdlib.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    long size = faasmGetInputSize();
    unsigned char* buffer = malloc(size > 0 ? size : 1);
    faasmGetInput(buffer, size);
    faasmSetOutput(buffer, size);
    free(buffer);
    return 0;
}
