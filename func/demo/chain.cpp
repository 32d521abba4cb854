// chain: the main function chains two functions of this same module, by index, each with its
// own input, then awaits both. The workers check their input and return non-zero if it is wrong.
// Expected: output "chained 2 calls", return value 0.
#include "faasm/faasm.h"

#include <stdio.h>
#include <string.h>

static int checkInput(const unsigned char* expected, long expectedLen)
{
    unsigned char actual[16] = {0};
    long size = faasmGetInputSize();
    faasmGetInput(actual, sizeof(actual));
    if (size != expectedLen || memcmp(actual, expected, expectedLen) != 0) {
        printf("function %d got the wrong input\n", faasmGetCurrentIdx());
        return 1;
    }
    return 0;
}

FAASM_FUNC(workerA, 1)
{
    const unsigned char expected[] = {0, 1, 2};
    return checkInput(expected, sizeof(expected));
}

FAASM_FUNC(workerB, 2)
{
    const unsigned char expected[] = {3, 4, 5, 6};
    return checkInput(expected, sizeof(expected));
}

FAASM_MAIN_FUNC()
{
    const unsigned char inputA[] = {0, 1, 2};
    const unsigned char inputB[] = {3, 4, 5, 6};
    unsigned int callA = faasmChainThisInput(1, inputA, sizeof(inputA));
    unsigned int callB = faasmChainThisInput(2, inputB, sizeof(inputB));

    if (faasmAwaitCall(callA) != 0 || faasmAwaitCall(callB) != 0) {
        printf("a chained call failed\n");
        return 1;
    }
    faasm::setStringOutput("chained 2 calls");
    return 0;
}
