/* lu: in-place LU decomposition without pivoting of a diagonally dominant matrix
 * (dense linear algebra). */
#include "kernel.h"

#define N 1000

static double A[N][N];

int main(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            A[i][j] = i == j ? (double)N : (double)((i * j + 1) % 7 + 1) / (10.0 * N);
        }
    }
    double start = kernel_now();
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < i; j++) {
            for (int k = 0; k < j; k++) {
                A[i][j] -= A[i][k] * A[k][j];
            }
            A[i][j] /= A[j][j];
        }
        for (int j = i; j < N; j++) {
            for (int k = 0; k < i; k++) {
                A[i][j] -= A[i][k] * A[k][j];
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
