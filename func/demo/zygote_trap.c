/* zygote_trap: its zygote traps, so the module can never be snapshotted.
 * Expected: every call fails with the zygote's trap message; other functions still work. */
#include "faasm/faasm.h"

FAASM_ZYGOTE()
{
    __builtin_trap();
}

FAASM_MAIN_FUNC()
{
    faasmSetOutput((const unsigned char*)"unreachable", 11);
    return 0;
}
