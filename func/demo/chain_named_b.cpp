// chain_named_b: called by name from chain_named_a. Expects input "hi b".
// Expected: input "hi b" -> output "b says: hi b", return value 0 (1 for any other input).
#include "faasm/faasm.h"

#include <string>

FAASM_MAIN_FUNC()
{
    std::string input = faasm::getStringInput("");
    faasm::setStringOutput("b says: " + input);
    return input == "hi b" ? 0 : 1;
}
