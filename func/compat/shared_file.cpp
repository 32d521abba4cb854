// Faasm's shared-file function: the input is a path; the output is the file at that path.
#include "faasm/faasm.h"
#include "faasm/files.h"

#include <stdio.h>
#include <string>

FAASM_MAIN_FUNC()
{
    std::string path = faasm::getStringInput("");
    char* content = faasm::readFileToString(path.c_str());
    if (content == nullptr) {
        printf("Failed to open file at %s\n", path.c_str());
        return 1;
    }
    faasmSetOutput(BYTES(content), faasm::getFileLength(path.c_str()));
    return 0;
}
