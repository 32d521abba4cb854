// increment: a counter kept in state with the faasm::*Counter helpers. State persists between
// calls (and, locally, between `faasm run`s), so each run counts one more.
// Expected: first run output "1", second run "2", ...
#include "faasm/faasm.h"

#include <stdio.h>
#include <string>

FAASM_MAIN_FUNC()
{
    int count = faasm::incrementCounter("incr_example");
    printf("Counter: %d\n", count);
    faasm::setStringOutput(std::to_string(count));
    return 0;
}
