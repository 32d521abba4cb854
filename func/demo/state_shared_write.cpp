// state_shared_write: writes a value through a pointer into shared state, then pushes it.
// Calls colocated with it (state_shared_read) see the same bytes through their own pointer.
// Expected: output = the 8 bytes {10, 20, 30, 40, 50, 60, 70, 80}, return value 0.
#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    const char* key = "state_shared_example";
    const long total = 8;
    unsigned char* shared = faasmReadStatePtr(key, total);
    for (int i = 0; i < total; i++) {
        shared[i] = (unsigned char)(10 * (i + 1));
    }
    faasmFlagStateDirty(key, total);
    faasmPushState(key);
    faasmSetOutput(shared, total);
    return 0;
}
