/* Shared by the compute kernels: a monotonic clock around the kernel proper (not the set-up),
 * and the one line each kernel prints. The checksum makes the compiler keep all the work, and
 * lets the benchmark check that the native and the wasm build computed the same thing. */
#ifndef FAASM_BENCH_KERNEL_H
#define FAASM_BENCH_KERNEL_H

#include <stdio.h>
#include <time.h>

static double kernel_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void kernel_report(double checksum, double seconds)
{
    printf("checksum %.12e seconds %.6f\n", checksum, seconds);
}

#endif
