/* Printing helpers (namespace faasm). */
#ifndef FAASM_PRINT_H
#define FAASM_PRINT_H

#include <stddef.h>
#include <stdio.h>

namespace faasm {

/* f with 3 decimals, new[]-allocated (Faasm's work-around for wasm printf of floats). */
char* floatToStr(float f);

/* Print "[a, b, c]" (no newline) to stdout; for int, unsigned char (uint8_t), float, double. */
template<typename T>
void printArray(T* data, size_t size);

}

#endif
