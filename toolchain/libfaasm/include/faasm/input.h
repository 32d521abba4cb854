/* C++ helpers for a call's input and output (namespace faasm). */
#ifndef FAASM_INPUT_H
#define FAASM_INPUT_H

#include <stdint.h>
#include <string.h>

#include <string>

#include "faasm/core.h"

namespace faasm {

/* The input as a NUL-terminated string (heap copy), or defaultValue when there is no input. */
const char* getStringInput(const char* defaultValue);

/* Set the call's output to the bytes of val (without the NUL). */
void setStringOutput(const char* val);
void setStringOutput(const std::string& val);

/* Parse nInts space-separated integers; missing ones are 0. The array is new[]-allocated. */
int* parseStringToIntArray(const char* strIn, int nInts);

/* The input reinterpreted as one T, or defaultValue when the input is shorter than a T. */
template <typename T>
T getTypedInput(T defaultValue)
{
    long inputSize = faasmGetInputSize();
    if (inputSize < (long)sizeof(T)) {
        return defaultValue;
    }
    T result;
    uint8_t buffer[sizeof(T)];
    faasmGetInput(buffer, sizeof(T));
    memcpy(&result, buffer, sizeof(T));
    return result;
}

}

#endif
