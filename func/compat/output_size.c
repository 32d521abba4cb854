/* Sets an output of as many bytes as its input says (decimal): for the output limit's edge. */
#include <stdlib.h>
#include <string.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    char text[32] = { 0 };
    faasmGetInput((unsigned char*)text, sizeof(text) - 1);
    long size = atol(text);
    unsigned char* output = malloc(size > 0 ? (size_t)size : 1);
    if (!output) {
        return 1;
    }
    memset(output, 'x', (size_t)size);
    faasmSetOutput(output, size);
    return 0;
}
