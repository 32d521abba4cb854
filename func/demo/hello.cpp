// hello: the smallest Faasm function. Sets its output; prints nothing.
// Expected output: "Hello faasm!"
#include "faasm/faasm.h"

#include <string.h>

FAASM_MAIN_FUNC()
{
    const char* message = "Hello faasm!";
    faasmSetOutput(reinterpret_cast<const unsigned char*>(message), strlen(message));
    return 0;
}
