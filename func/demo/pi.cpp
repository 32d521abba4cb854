// pi: Monte Carlo estimate of pi with chained workers. Each worker (function 1) throws random
// points at the unit square and outputs how many land inside the quarter circle; the main
// function fans out, awaits every worker's output and combines the counts.
// Expected: output "Pi estimate: 3.14..." (within 0.05 of pi), return value 0.
#include "faasm/faasm.h"

#include <math.h>
#include <stdio.h>

static const int N_WORKERS = 4;
static const int N_POINTS = 200000;

FAASM_FUNC(piWorker, 1)
{
    int inside = 0;
    for (int i = 0; i < N_POINTS; i++) {
        float x = faasm::randomFloat();
        float y = faasm::randomFloat();
        if (x * x + y * y <= 1.0f) {
            inside++;
        }
    }
    faasmSetOutput(reinterpret_cast<const unsigned char*>(&inside), sizeof(inside));
    return 0;
}

FAASM_MAIN_FUNC()
{
    unsigned int callIds[N_WORKERS];
    for (int i = 0; i < N_WORKERS; i++) {
        callIds[i] = faasmChainThis(1);
    }

    long inside = 0;
    for (int i = 0; i < N_WORKERS; i++) {
        int count = 0;
        if (faasmAwaitCallOutput(callIds[i], reinterpret_cast<unsigned char*>(&count),
                                 sizeof(count)) != 0) {
            return 1;
        }
        inside += count;
    }

    double estimate = 4.0 * (double)inside / ((double)N_WORKERS * N_POINTS);
    char output[64];
    snprintf(output, sizeof(output), "Pi estimate: %.5f", estimate);
    faasm::setStringOutput(output);
    return fabs(estimate - M_PI) < 0.05 ? 0 : 1;
}
