/* cholesky: in-place Cholesky decomposition of a symmetric positive definite matrix
 * (dense linear algebra). */
#include <math.h>

#include "kernel.h"

#define N 1200

static double A[N][N];

int main(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j <= i; j++) {
            double value = i == j ? (double)N : (double)((i + j) % 7 + 1) / (10.0 * N);
            A[i][j] = value;
            A[j][i] = value;
        }
    }
    double start = kernel_now();
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < i; j++) {
            for (int k = 0; k < j; k++) {
                A[i][j] -= A[i][k] * A[j][k];
            }
            A[i][j] /= A[j][j];
        }
        for (int k = 0; k < i; k++) {
            A[i][i] -= A[i][k] * A[i][k];
        }
        A[i][i] = sqrt(A[i][i]);
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j <= i; j++) {
            sum += A[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
