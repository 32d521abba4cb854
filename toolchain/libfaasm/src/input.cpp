/* faasm/input.h: string input/output helpers. */
#include "faasm/input.h"

#include <stdlib.h>
#include <string.h>

namespace faasm {

const char* getStringInput(const char* defaultValue)
{
    long inputSize = faasmGetInputSize();
    if (inputSize <= 0) {
        return defaultValue;
    }
    auto* buffer = new unsigned char[inputSize + 1];
    faasmGetInput(buffer, inputSize);
    buffer[inputSize] = 0;
    return reinterpret_cast<const char*>(buffer);
}

void setStringOutput(const char* val)
{
    faasmSetOutput(reinterpret_cast<const unsigned char*>(val), (long)strlen(val));
}

void setStringOutput(const std::string& val)
{
    faasmSetOutput(reinterpret_cast<const unsigned char*>(val.data()), (long)val.size());
}

int* parseStringToIntArray(const char* strIn, int nInts)
{
    int* result = new int[nInts > 0 ? nInts : 1]();
    const char* cursor = strIn;
    for (int i = 0; i < nInts && cursor && *cursor; i++) {
        char* end = nullptr;
        result[i] = (int)strtol(cursor, &end, 10);
        if (end == cursor) {
            break;
        }
        cursor = end;
    }
    return result;
}

}
