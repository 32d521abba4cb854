// faasmWriteStateFromFile with a shared file: the input is its path.
#include "faasm/faasm.h"

#include <stdio.h>
#include <string>
#include <vector>

FAASM_MAIN_FUNC()
{
    std::string path = faasm::getStringInput("");
    unsigned long written = faasmWriteStateFromFile("compat_file", path.c_str());
    std::vector<unsigned char> back((size_t)written);
    faasmReadState("compat_file", back.data(), (long)back.size());
    std::string text = std::to_string(written) + " bytes: " + std::string(back.begin(), back.end());
    faasm::setStringOutput(text);
    return written ? 0 : 1;
}
