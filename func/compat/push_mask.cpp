// faasmPushStatePartialMask as Faasm's functions use it: mark doubles in a mask with maskDouble
// and push only those. Writes 4 doubles 1.5, 2.5, 3.5, 4.5 and pushes the 2nd and 4th.
#include "faasm/faasm.h"
#include "faasm/state.h"

FAASM_MAIN_FUNC()
{
    const char* key = "compat_weights";
    const char* maskKey = "compat_weights_mask";
    double weights[4] = { 1.5, 2.5, 3.5, 4.5 };
    unsigned int mask[8] = { 0 };
    faasm::maskDouble(mask, 1);
    faasm::maskDouble(mask, 3);
    faasmWriteState(key, BYTES(weights), sizeof(weights));
    faasmWriteState(maskKey, BYTES(mask), sizeof(mask));
    faasmPushStatePartialMask(key, maskKey);
    return 0;
}
