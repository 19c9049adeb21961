/* chokepoint benchmarks: cblas_dgemm rate (see dgemm.h). */
#include "dgemm.h"

#include <stdlib.h>
#include <time.h>

#include <cblas.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_dgemm_rate(int n, int k, int cols, int reps)
{
    double *a = malloc(sizeof(double) * (size_t)n * (size_t)k);
    double *b = malloc(sizeof(double) * (size_t)k * (size_t)cols);
    double *c = malloc(sizeof(double) * (size_t)n * (size_t)cols);
    double best = 0;
    if (a && b && c) {
        /* small nonzero values: no denormals, no shortcut for zeros */
        for (size_t i = 0; i < (size_t)n * (size_t)k; i++)
            a[i] = 1e-3 * (double)(i % 97 + 1);
        for (size_t i = 0; i < (size_t)k * (size_t)cols; i++)
            b[i] = 1e-3 * (double)(i % 89 + 1);
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, cols, k, 1.0, a, k, b,
                        cols, 0.0, c, cols);
            double dt = now() - t0;
            double rate = 2.0 * n * (double)k * (double)cols / dt * 1e-9;
            if (rate > best)
                best = rate;
        }
    }
    free(a);
    free(b);
    free(c);
    return best;
}
