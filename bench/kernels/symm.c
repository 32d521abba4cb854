/* symm: C = alpha * A * B + beta * C with A symmetric, only its lower triangle read
 * (dense linear algebra). */
#include "kernel.h"

#define M 700
#define N 800

static double A[M][M], B[M][N], C[M][N];

int main(void)
{
    const double alpha = 1.5, beta = 1.2;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            C[i][j] = (double)((i + j) % 100) / M;
            B[i][j] = (double)((N + i - j) % 100) / M;
        }
        for (int j = 0; j <= i; j++) {
            A[i][j] = (double)((i + j) % 100) / M;
        }
    }
    double start = kernel_now();
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double temp2 = 0;
            for (int k = 0; k < i; k++) {
                C[k][j] += alpha * B[i][j] * A[i][k];
                temp2 += B[k][j] * A[i][k];
            }
            C[i][j] = beta * C[i][j] + alpha * B[i][j] * A[i][i] + alpha * temp2;
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            sum += C[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
