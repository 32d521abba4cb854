/* wild_pointer: hands the host a pointer far outside linear memory. The runtime checks every
 * guest pointer, so this is a failed call with a message, never a host crash.
 * Expected: a failed call naming the bad pointer; the next call works. */
#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    const unsigned char* wild = (const unsigned char*)0xFFFFF000u;
    faasmSetOutput(wild, 4096);
    return 0;
}
