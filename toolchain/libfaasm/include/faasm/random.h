/* Random numbers for functions (namespace faasm), reseeded at every call from WASI entropy. */
#ifndef FAASM_RANDOM_H
#define FAASM_RANDOM_H

#include <stddef.h>

namespace faasm {

/* A uniform integer in [iStart, iEnd] (both inclusive). */
int randomInteger(int iStart, int iEnd);

/* A uniform float in [0, 1). */
float randomFloat();

/* Shuffle arrayIn in place (Fisher-Yates). */
void shuffleArray(int* arrayIn, size_t arraySize);

/* The integers 0 .. rangeLen-1 in random order; new[]-allocated. */
int* randomIntRange(int rangeLen);

}

#endif
