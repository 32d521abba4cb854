/* syrk: C = alpha * A * A^T + beta * C on the lower triangle (dense linear algebra). */
#include "kernel.h"

#define N 1000
#define M 1000

static double A[N][M], C[N][N];

int main(void)
{
    const double alpha = 1.5, beta = 1.2;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < M; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
        }
        for (int j = 0; j < N; j++) {
            C[i][j] = (double)((i * j + 2) % M) / M;
        }
    }
    double start = kernel_now();
    for (int i = 0; i < N; i++) {
        for (int j = 0; j <= i; j++) {
            C[i][j] *= beta;
        }
        for (int k = 0; k < M; k++) {
            for (int j = 0; j <= i; j++) {
                C[i][j] += alpha * A[i][k] * A[j][k];
            }
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j <= i; j++) {
            sum += C[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
