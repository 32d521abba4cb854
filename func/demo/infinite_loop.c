/* infinite_loop: never returns. The runtime's wall-clock limit (epoch interruption) stops it.
 * Expected: a failed call saying the time limit was hit; the next call works. */
#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    volatile unsigned long spins = 0;
    for (;;) {
        spins++;
    }
    return 0;
}
