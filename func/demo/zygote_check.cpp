// zygote_check: FAASM_ZYGOTE runs once, before the snapshot every call starts from. The main
// function checks it sees the zygote's value, then changes it: the change must not leak into the
// next call, which starts from the snapshot again.
// Expected: every call outputs "zygote value 42", return value 0.
#include "faasm/faasm.h"

#include <stdio.h>

static int zygoteValue = 0;

FAASM_ZYGOTE()
{
    zygoteValue = 42;
    return 0;
}

FAASM_MAIN_FUNC()
{
    if (zygoteValue != 42) {
        printf("expected 42 from the zygote, found %d\n", zygoteValue);
        return 1;
    }
    faasm::setStringOutput("zygote value 42");
    zygoteValue = 7; // gone by the next call
    return 0;
}
