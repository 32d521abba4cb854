// dummy: does nothing and succeeds. Useful to measure the cost of a call itself.
// Expected: empty output, return value 0.
#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    return 0;
}
