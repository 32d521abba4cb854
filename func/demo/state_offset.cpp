// state_offset: read and write part of a state value by offset.
// Writes 10 bytes {0..9}, overwrites bytes 3..5 with {30, 40, 50}, reads bytes 2..6 back.
// Expected: output = the 5 bytes {2, 30, 40, 50, 6}, return value 0.
#include "faasm/faasm.h"

#include <string.h>

FAASM_MAIN_FUNC()
{
    const char* key = "state_offset_example";
    const long total = 10;
    unsigned char full[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    faasmWriteState(key, full, total);

    const unsigned char part[] = {30, 40, 50};
    faasmWriteStateOffset(key, total, 3, part, sizeof(part));

    unsigned char actual[5];
    faasmReadStateOffset(key, total, 2, actual, sizeof(actual));
    faasmSetOutput(actual, sizeof(actual));

    const unsigned char expected[] = {2, 30, 40, 50, 6};
    return memcmp(actual, expected, sizeof(expected)) == 0 ? 0 : 1;
}
