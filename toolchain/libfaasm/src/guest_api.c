/*
 * The parts of the core API that need no host call of their own: they run in the guest over
 * WASI (files) and the state and io calls, so natively they are the same code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faasm/core.h"
#include "faasm/host_interface.h"

unsigned long faasmWriteStateFromFile(const char* key, const char* filePath)
{
    FILE* file = fopen(filePath, "rb");
    if (!file) {
        return 0;
    }
    size_t capacity = 4096, length = 0, got;
    unsigned char* data = malloc(capacity);
    while (data && (got = fread(data + length, 1, capacity - length, file)) > 0) {
        length += got;
        if (length == capacity) {
            capacity *= 2;
            unsigned char* bigger = realloc(data, capacity);
            if (!bigger) {
                free(data);
            }
            data = bigger;
        }
    }
    int failed = !data || ferror(file);
    fclose(file);
    if (failed) {
        free(data);
        return 0;
    }
    faasmWriteState(key, data, (long)length);
    free(data);
    return (unsigned long)length;
}

typedef int32_t (*name_call)(uint8_t* buf, int32_t len);

/* Ask once for the length, then for the NUL-terminated name itself. */
static char* copy_name(name_call call)
{
    int32_t length = call(0, 0);
    char* name = malloc((size_t)length + 1);
    if (name) {
        call((uint8_t*)name, length + 1);
    }
    return name;
}

char* faasmGetPythonUser(void) { return copy_name(__faasm_get_py_user); }

char* faasmGetPythonFunc(void) { return copy_name(__faasm_get_py_func); }

unsigned int getConfFlag(const char* key) { return strcmp(key, "ALWAYS_ON") == 0 ? 1 : 0; }
