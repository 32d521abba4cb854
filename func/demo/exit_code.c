/* exit_code: a function reports failure by returning non-zero; output and stdout are still kept.
 * Expected: return value 2, output "failing on purpose". */
#include <string.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    const char* message = "failing on purpose";
    faasmSetOutput((const unsigned char*)message, strlen(message));
    return 2;
}
