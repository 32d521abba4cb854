/* trap: divides by zero, which is a wasm trap ("integer divide by zero"): a failed call.
 * Expected: the call fails; the next call of any function works. */
#include <stdio.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    volatile int numerator = 42, zero = 0; /* volatile: keep the compiler from folding it */
    printf("about to divide by zero\n");
    return numerator / zero;
}
