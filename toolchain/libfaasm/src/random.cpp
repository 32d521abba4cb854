/*
 * faasm/random.h. Every call starts from the same memory snapshot, so a generator seeded once
 * would give every call the same numbers: the generator is reseeded from entropy whenever
 * faasmCallGeneration says a new call has started.
 */
#include "faasm/random.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if !defined(__wasm__)
#include <sys/random.h>
#endif

#include "faasm/core.h"

namespace faasm {

static uint64_t g_state = 0;
static unsigned int g_seededGeneration = 0;
static bool g_seeded = false;

static uint64_t nextRandom()
{
    if (!g_seeded || g_seededGeneration != faasmCallGeneration) {
        uint64_t seed = 0;
        if (getentropy(&seed, sizeof(seed)) != 0) {
            seed = (uint64_t)time(nullptr);
        }
        g_state = seed ? seed : 0x9E3779B97F4A7C15ull;
        g_seededGeneration = faasmCallGeneration;
        g_seeded = true;
    }
    /* xorshift64* */
    g_state ^= g_state >> 12;
    g_state ^= g_state << 25;
    g_state ^= g_state >> 27;
    return g_state * 0x2545F4914F6CDD1Dull;
}

int randomInteger(int iStart, int iEnd)
{
    if (iEnd <= iStart) {
        return iStart;
    }
    uint64_t span = (uint64_t)((int64_t)iEnd - iStart) + 1;
    return (int)(iStart + (int64_t)(nextRandom() % span));
}

float randomFloat() { return (float)(nextRandom() >> 40) / (float)(1ull << 24); }

void shuffleArray(int* arrayIn, size_t arraySize)
{
    for (size_t i = arraySize; i > 1; i--) {
        size_t j = (size_t)(nextRandom() % i);
        int tmp = arrayIn[i - 1];
        arrayIn[i - 1] = arrayIn[j];
        arrayIn[j] = tmp;
    }
}

int* randomIntRange(int rangeLen)
{
    int* result = new int[rangeLen > 0 ? rangeLen : 1];
    for (int i = 0; i < rangeLen; i++) {
        result[i] = i;
    }
    shuffleArray(result, rangeLen > 0 ? (size_t)rangeLen : 0);
    return result;
}

}
