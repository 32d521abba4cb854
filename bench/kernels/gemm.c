/* gemm: C = alpha * A * B + beta * C (dense linear algebra). */
#include "kernel.h"

#define N 1000

static double A[N][N], B[N][N], C[N][N];

int main(void)
{
    const double alpha = 1.5, beta = 1.2;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
            B[i][j] = (double)((i * (j + 1) + 2) % N) / N;
            C[i][j] = (double)((i * (j + 2) + 3) % N) / N;
        }
    }
    double start = kernel_now();
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            C[i][j] *= beta;
        }
        for (int k = 0; k < N; k++) {
            for (int j = 0; j < N; j++) {
                C[i][j] += alpha * A[i][k] * B[k][j];
            }
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            sum += C[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
