// state_async: a chained call writes state, the caller awaits it and reads the value back.
// Shows that state written by one call is seen by the next (push makes it durable).
// Expected: output = the 8 bytes {0, 1, 2, 3, 4, 5, 6, 7}, return value 0.
#include "faasm/faasm.h"

#include <stdio.h>
#include <string.h>

static const char* KEY = "state_async_example";
static const unsigned char VALUE[] = {0, 1, 2, 3, 4, 5, 6, 7};

FAASM_FUNC(writer, 1)
{
    faasmWriteState(KEY, VALUE, sizeof(VALUE));
    faasmPushState(KEY);
    return 0;
}

FAASM_MAIN_FUNC()
{
    if (faasmAwaitCall(faasmChainThis(1)) != 0) {
        printf("the writer failed\n");
        return 1;
    }

    unsigned char actual[sizeof(VALUE)];
    faasmPullState(KEY, sizeof(actual));
    faasmReadState(KEY, actual, sizeof(actual));
    faasmSetOutput(actual, sizeof(actual));
    if (memcmp(actual, VALUE, sizeof(VALUE)) != 0) {
        printf("read back something else\n");
        return 1;
    }
    return 0;
}
