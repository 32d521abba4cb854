// state_shared_write_offset: like state_shared_write, through a pointer to part of a value:
// bytes 4..7 of a 12-byte value become {1, 2, 3, 4}; only that part is flagged and pushed.
// Expected: output = {1, 2, 3, 4}, return value 0.
#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    const char* key = "state_shared_offset_example";
    const long total = 12, offset = 4, len = 4;
    unsigned char* part = faasmReadStateOffsetPtr(key, total, offset, len);
    for (int i = 0; i < len; i++) {
        part[i] = (unsigned char)(i + 1);
    }
    faasmFlagStateOffsetDirty(key, total, offset, len);
    faasmPushStatePartial(key);
    faasmSetOutput(part, len);
    return 0;
}
