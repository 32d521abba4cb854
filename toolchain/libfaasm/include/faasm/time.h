/* Time helpers (namespace faasm), with Faasm's profiling macros. */
#ifndef FAASM_TIME_H
#define FAASM_TIME_H

#include <stdio.h>
#include <time.h>

/* FAASM_PROF_START(t) ... FAASM_PROF_END(t) prints "TIME: t <ms>" natively, or in wasm when
 * built with -DWASM_PROF=1; otherwise they compile to nothing. */
#if defined(WASM_PROF) && WASM_PROF == 1 || !defined(__wasm__)
#define FAASM_PROF_START(profVar) clock_t profVar = clock();
#define FAASM_PROF_END(profVar)                                                             \
    float diff_##profVar = ((clock() - profVar) * 1000.0f) / CLOCKS_PER_SEC;                \
    printf("TIME: %s %f\n", #profVar, diff_##profVar);
#else
#define FAASM_PROF_START(profVar)
#define FAASM_PROF_END(profVar)
#endif

namespace faasm {

/* Wall-clock seconds since the Unix epoch, with sub-second precision. */
double getSecondsSinceEpoch();

}

#endif
