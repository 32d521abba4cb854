// faasm/pool.h as Faasm's functions use it: fan out to this module's worker, await them all.
#include "faasm/faasm.h"
#include "faasm/pool.h"

#include <stdio.h>

static const char* COUNTER = "compat_pool_count";

FAASM_FUNC(worker, 1)
{
    faasm::incrementCounter(COUNTER);
    return 0;
}

FAASM_MAIN_FUNC()
{
    int nCalls = faasm::getTypedInput<int>(4);
    faasm::initCounter(COUNTER);
    faasm::FunctionPool pool;
    for (int i = 0; i < nCalls; i++) {
        pool.chain(1);
    }
    pool.awaitAll();
    char text[48];
    snprintf(text, sizeof(text), "%d calls, counter %d", nCalls, faasm::getCounter(COUNTER));
    faasm::setStringOutput(text);
    return 0;
}
