// chain_simple: chain function 1 of this module with an input and take its output back.
// Expected: input "faasm" -> output "hello faasm" (computed by the chained call).
#include "faasm/faasm.h"

#include <string>

FAASM_FUNC(greet, 1)
{
    std::string name = faasm::getStringInput("nobody");
    faasm::setStringOutput("hello " + name);
    return 0;
}

FAASM_MAIN_FUNC()
{
    std::string name = faasm::getStringInput("world");
    unsigned int callId = faasmChainThisInput(
      1, reinterpret_cast<const unsigned char*>(name.data()), name.size());

    unsigned char buffer[64] = {0};
    unsigned int result = faasmAwaitCallOutput(callId, buffer, sizeof(buffer) - 1);
    if (result != 0) {
        return 1;
    }
    faasm::setStringOutput(reinterpret_cast<const char*>(buffer));
    return 0;
}
