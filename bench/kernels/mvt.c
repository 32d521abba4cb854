/* mvt: x1 += A * y1 and x2 += A^T * y2, a matrix-vector product and a transposed one (linear
 * algebra kernels). The transposed product walks A by columns in its inner loop, which gcc -O3
 * interchanges; repeated so that the products, not the set-up, dominate. */
#include "kernel.h"

#define N 2000
#define REPEATS 30

static double A[N][N], x1[N], x2[N], y1[N], y2[N];

int main(void)
{
    for (int i = 0; i < N; i++) {
        x1[i] = (double)(i % N) / N;
        x2[i] = (double)((i + 1) % N) / N;
        y1[i] = (double)((i + 3) % N) / N;
        y2[i] = (double)((i + 4) % N) / N;
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(i * j % N) / N;
        }
    }
    double start = kernel_now();
    for (int r = 0; r < REPEATS; r++) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                x1[i] = x1[i] + A[i][j] * y1[j];
            }
        }
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                x2[i] = x2[i] + A[j][i] * y2[j];
            }
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        sum += x1[i] + x2[i];
    }
    kernel_report(sum, seconds);
    return 0;
}
