/* 3mm: G = (A * B) * (C * D), three matrix products of non-square matrices (dense linear
 * algebra). Each product clears its output element, then accumulates along k. */
#include "kernel.h"

#define NI 500
#define NJ 550
#define NK 600
#define NL 650
#define NM 700

static double A[NI][NK], B[NK][NJ], C[NJ][NM], D[NM][NL];
static double E[NI][NJ], F[NJ][NL], G[NI][NL];

int main(void)
{
    for (int i = 0; i < NI; i++) {
        for (int k = 0; k < NK; k++) {
            A[i][k] = (double)((i * k + 1) % NI) / (5 * NI);
        }
    }
    for (int k = 0; k < NK; k++) {
        for (int j = 0; j < NJ; j++) {
            B[k][j] = (double)((k * (j + 1) + 2) % NJ) / (5 * NJ);
        }
    }
    for (int j = 0; j < NJ; j++) {
        for (int m = 0; m < NM; m++) {
            C[j][m] = (double)(j * (m + 3) % NL) / (5 * NL);
        }
    }
    for (int m = 0; m < NM; m++) {
        for (int l = 0; l < NL; l++) {
            D[m][l] = (double)((m * (l + 2) + 2) % NK) / (5 * NK);
        }
    }
    double start = kernel_now();
    for (int i = 0; i < NI; i++) {
        for (int j = 0; j < NJ; j++) {
            E[i][j] = 0.0;
            for (int k = 0; k < NK; k++) {
                E[i][j] += A[i][k] * B[k][j];
            }
        }
    }
    for (int j = 0; j < NJ; j++) {
        for (int l = 0; l < NL; l++) {
            F[j][l] = 0.0;
            for (int m = 0; m < NM; m++) {
                F[j][l] += C[j][m] * D[m][l];
            }
        }
    }
    for (int i = 0; i < NI; i++) {
        for (int l = 0; l < NL; l++) {
            G[i][l] = 0.0;
            for (int j = 0; j < NJ; j++) {
                G[i][l] += E[i][j] * F[j][l];
            }
        }
    }
    double seconds = kernel_now() - start;
    double sum = 0;
    for (int i = 0; i < NI; i++) {
        for (int l = 0; l < NL; l++) {
            sum += G[i][l];
        }
    }
    kernel_report(sum, seconds);
    return 0;
}
