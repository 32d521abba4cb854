/* State helpers (namespace faasm): masks for faasmPushStatePartialMask, zeroing a value. */
#ifndef FAASM_STATE_H
#define FAASM_STATE_H

#include <stddef.h>

#define BIT_MASK_8 0b11111111
#define BIT_MASK_32 0b11111111111111111111111111111111

namespace faasm {

/* Mark double number idx of a value in its mask (an array of unsigned int, two per double). */
void maskDouble(unsigned int* maskArray, unsigned long idx);

/* Write stateLen zero bytes to key and push them. */
void zeroState(const char* key, size_t stateLen);

}

#endif
