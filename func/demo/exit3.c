/* exit3: calls exit(3) instead of returning. exit() flushes stdio and ends the call through
 * WASI proc_exit. Expected: return value 3, stdout "leaving with exit(3)\n". */
#include <stdio.h>
#include <stdlib.h>

#include "faasm/faasm.h"

FAASM_MAIN_FUNC()
{
    printf("leaving with exit(3)\n");
    exit(3);
}
