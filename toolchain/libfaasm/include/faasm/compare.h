/* Comparing arrays (namespace faasm). */
#ifndef FAASM_COMPARE_H
#define FAASM_COMPARE_H

#include "faasm/print.h"

namespace faasm {

/* True when the first len elements are equal; otherwise prints both arrays and returns false.
 * For int, unsigned char (uint8_t), float and double. */
template<typename T>
bool compareArrays(T* a, T* b, int len);

}

#endif
