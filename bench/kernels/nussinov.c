/* nussinov: RNA secondary-structure folding by dynamic programming over an upper-triangular
 * table (dynamic programming). */
#include "kernel.h"

#define N 900

static int seq[N];
static int table[N][N];

static int max_int(int a, int b)
{
    return a >= b ? a : b;
}

static int pairs(int b1, int b2)
{
    return b1 + b2 == 3 ? 1 : 0;
}

int main(void)
{
    for (int i = 0; i < N; i++) {
        seq[i] = (i + 1) % 4;
    }
    double start = kernel_now();
    for (int i = N - 1; i >= 0; i--) {
        for (int j = i + 1; j < N; j++) {
            int best = table[i][j];
            best = max_int(best, table[i][j - 1]);
            if (i + 1 < N) {
                best = max_int(best, table[i + 1][j]);
                if (i < j - 1) {
                    best = max_int(best, table[i + 1][j - 1] + pairs(seq[i], seq[j]));
                } else {
                    best = max_int(best, table[i + 1][j - 1]);
                }
            }
            for (int k = i + 1; k < j; k++) {
                best = max_int(best, table[i][k] + table[k + 1][j]);
            }
            table[i][j] = best;
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            sum += table[i][j];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
