// x2: doubles every input byte (mod 256), e.g. bytes {1, 2, 3} -> {2, 4, 6}, "ab" -> {194, 196}.
#include "faasm/faasm.h"

#include <vector>

FAASM_MAIN_FUNC()
{
    std::vector<unsigned char> data(faasmGetInputSize());
    faasmGetInput(data.data(), data.size());
    for (unsigned char& byte : data) {
        byte = (unsigned char)(byte * 2);
    }
    faasmSetOutput(data.data(), data.size());
    return 0;
}
