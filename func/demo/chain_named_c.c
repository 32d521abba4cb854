/* chain_named_c: called by name from chain_named_a (written in C). Expects input "hi c".
 * Expected: input "hi c" -> output "c says: hi c", return value 0 (1 for any other input). */
#include <stdio.h>
#include <string.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    unsigned char input[32] = {0};
    long size = faasmGetInputSize();
    faasmGetInput(input, sizeof(input) - 1);

    char output[64];
    int n = snprintf(output, sizeof(output), "c says: %s", (const char*)input);
    faasmSetOutput((const unsigned char*)output, n);
    return (size == 4 && memcmp(input, "hi c", 4) == 0) ? 0 : 1;
}
