/* infinite_loop_registers: a loop that neither calls anything nor touches memory, only a 64-bit
 * LCG held in a register. The LCG has full period, so it reaches 0 only after up to 2^64 steps
 * (centuries); `for (;;)` has no controlling expression, so the compiler may not assume the loop
 * ends and fold it away. The runtime's time limit must still stop it.
 * Expected: a failed call saying the time limit was hit; the next call works. */
#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    unsigned long long state = 1;
    for (;;) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        if (state == 0) {
            break;
        }
    }
    return (int)state;
}
