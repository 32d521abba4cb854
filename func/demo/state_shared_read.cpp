// state_shared_read: reads the value state_shared_write left, through a pointer (no copy).
// Run state_shared_write first. Expected: output = {10, 20, 30, 40, 50, 60, 70, 80}, return 0
// (return 1 and print the bytes it found otherwise).
#include "faasm/faasm.h"

#include <stdio.h>

FAASM_MAIN_FUNC()
{
    const char* key = "state_shared_example";
    const long total = 8;
    unsigned char* shared = faasmReadStatePtr(key, total);
    faasmSetOutput(shared, total);
    for (int i = 0; i < total; i++) {
        if (shared[i] != (unsigned char)(10 * (i + 1))) {
            printf("byte %d is %d, expected %d\n", i, shared[i], 10 * (i + 1));
            return 1;
        }
    }
    return 0;
}
