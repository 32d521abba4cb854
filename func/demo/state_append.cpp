// state_append: append elements to a key, read them back in order, then clear them.
// Expected: output = the 6 bytes "abcdef" (elements "ab", "cd", "ef"), return value 0.
#include "faasm/faasm.h"

#include <string.h>

FAASM_MAIN_FUNC()
{
    const char* key = "state_append_example";
    faasmClearAppendedState(key);

    faasmAppendState(key, reinterpret_cast<const unsigned char*>("ab"), 2);
    faasmAppendState(key, reinterpret_cast<const unsigned char*>("cd"), 2);
    faasmAppendState(key, reinterpret_cast<const unsigned char*>("ef"), 2);

    unsigned char actual[6];
    faasmReadAppendedState(key, actual, sizeof(actual), 3);
    faasmSetOutput(actual, sizeof(actual));
    faasmClearAppendedState(key);

    return memcmp(actual, "abcdef", 6) == 0 ? 0 : 1;
}
