/* seidel-2d: 9-point Gauss-Seidel stencil, updated in place (stencil; loop-carried). */
#include "kernel.h"

#define N 1000
#define STEPS 30

static double A[N][N];

int main(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            A[i][j] = ((double)i * (j + 2) + 2) / N;
        }
    }
    double start = kernel_now();
    for (int t = 0; t < STEPS; t++) {
        for (int i = 1; i < N - 1; i++) {
            for (int j = 1; j < N - 1; j++) {
                A[i][j] = (A[i - 1][j - 1] + A[i - 1][j] + A[i - 1][j + 1] + A[i][j - 1]
                           + A[i][j] + A[i][j + 1] + A[i + 1][j - 1] + A[i + 1][j]
                           + A[i + 1][j + 1])
                    / 9.0;
            }
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            sum += A[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
