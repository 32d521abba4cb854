#include "faasm/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

namespace faasm {

long getFileLength(const char* path)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        return -1;
    }
    return (long)info.st_size;
}

char* readFileToString(const char* path)
{
    long length = getFileLength(path);
    FILE* file = length > 0 ? fopen(path, "rb") : nullptr;
    if (!file) {
        return nullptr;
    }
    char* text = (char*)malloc((size_t)length + 1);
    size_t got = text ? fread(text, 1, (size_t)length, file) : 0;
    fclose(file);
    if (got != (size_t)length) {
        free(text);
        return nullptr;
    }
    text[length] = 0;
    return text;
}

}
