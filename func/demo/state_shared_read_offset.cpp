// state_shared_read_offset: reads bytes 4..7 of the value state_shared_write_offset wrote,
// through a pointer to that part. Run state_shared_write_offset first.
// Expected: output = {1, 2, 3, 4}, return value 0 (1 if the bytes differ).
#include "faasm/faasm.h"

#include <string.h>

FAASM_MAIN_FUNC()
{
    const char* key = "state_shared_offset_example";
    const long total = 12, offset = 4, len = 4;
    unsigned char* part = faasmReadStateOffsetPtr(key, total, offset, len);
    faasmSetOutput(part, len);
    const unsigned char expected[] = {1, 2, 3, 4};
    return memcmp(part, expected, sizeof(expected)) == 0 ? 0 : 1;
}
