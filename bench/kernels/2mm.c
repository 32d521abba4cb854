/* 2mm: D = alpha * A * B * C + beta * D, as two matrix products (dense linear algebra). */
#include "kernel.h"

#define N 700

static double A[N][N], B[N][N], C[N][N], D[N][N], tmp[N][N];

int main(void)
{
    const double alpha = 1.5, beta = 1.2;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * j + 1) % N) / N;
            B[i][j] = (double)(i * (j + 1) % N) / N;
            C[i][j] = (double)((i * (j + 3) + 1) % N) / N;
            D[i][j] = (double)(i * (j + 2) % N) / N;
        }
    }
    double start = kernel_now();
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            tmp[i][j] = 0.0;
            for (int k = 0; k < N; k++) {
                tmp[i][j] += alpha * A[i][k] * B[k][j];
            }
        }
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            D[i][j] *= beta;
            for (int k = 0; k < N; k++) {
                D[i][j] += tmp[i][k] * C[k][j];
            }
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            sum += D[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
