/* trmm: B = alpha * A^T * B with A unit lower triangular (linear algebra kernels). The inner
 * loop runs down a column of A and of B: a strided walk that gcc -O3 interchanges. */
#include "kernel.h"

#define M 800
#define N 900

static double A[M][M], B[M][N];

int main(void)
{
    const double alpha = 1.5;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < i; j++) {
            A[i][j] = (double)((i + j) % M) / M;
        }
        A[i][i] = 1.0;
        for (int j = 0; j < N; j++) {
            B[i][j] = (double)((N + (i - j)) % N) / N;
        }
    }
    double start = kernel_now();
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            for (int k = i + 1; k < M; k++) {
                B[i][j] += A[k][i] * B[k][j];
            }
            B[i][j] = alpha * B[i][j];
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            sum += B[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
