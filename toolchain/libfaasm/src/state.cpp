#include "faasm/state.h"

#include <vector>

#include "faasm/core.h"

static_assert(sizeof(double) == 2 * sizeof(unsigned int), "a double is masked as two ints");

namespace faasm {

void maskDouble(unsigned int* maskArray, unsigned long idx)
{
    maskArray[2 * idx] |= BIT_MASK_32;
    maskArray[2 * idx + 1] |= BIT_MASK_32;
}

void zeroState(const char* key, size_t stateLen)
{
    std::vector<unsigned char> zeros(stateLen, 0);
    faasmWriteState(key, zeros.data(), (long)stateLen);
    faasmPushState(key);
}

}
