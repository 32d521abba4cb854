// chain_named_a: chains two *other* functions of the same user by name (chain_named_b and
// chain_named_c), with input, and combines their outputs.
// Expected: output "b says: hi b | c says: hi c", return value 0.
#include "faasm/faasm.h"

#include <string.h>

#include <string>

static std::string callByName(const char* name, const char* input, unsigned int* result)
{
    unsigned int callId = faasmChainFunctionInput(
      name, reinterpret_cast<const unsigned char*>(input), strlen(input));
    unsigned char buffer[128] = {0};
    *result = faasmAwaitCallOutput(callId, buffer, sizeof(buffer) - 1);
    return reinterpret_cast<const char*>(buffer);
}

FAASM_MAIN_FUNC()
{
    unsigned int resultB = 0, resultC = 0;
    std::string fromB = callByName("chain_named_b", "hi b", &resultB);
    std::string fromC = callByName("chain_named_c", "hi c", &resultC);
    if (resultB != 0 || resultC != 0) {
        faasm::setStringOutput("a chained call failed");
        return 1;
    }
    faasm::setStringOutput(fromB + " | " + fromC);
    return 0;
}
