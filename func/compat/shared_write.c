/* Tries to create or overwrite the file at the input path: shared files are read-only. */
#include "faasm/faasm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

FAASM_MAIN_FUNC()
{
    char path[256] = { 0 };
    faasmGetInput((unsigned char*)path, sizeof(path) - 1);
    FILE* file = fopen(path, "w");
    const char* result = file ? "written" : strerror(errno);
    if (file) {
        fputs("overwritten", file);
        fclose(file);
    }
    faasmSetOutput((const unsigned char*)result, (long)strlen(result));
    return file ? 1 : 0;
}
