/* chokepoint benchmarks: the machine's dense matrix-multiply rate.
 * Kept apart from ckp_bench.c because OpenBLAS's cblas.h pulls in <complex.h>,
 * whose macro `I` collides with the industry count in the public structs. */
#ifndef CKP_BENCH_DGEMM_H
#define CKP_BENCH_DGEMM_H

/* Best GFLOP/s of `reps` calls of C(n x cols) = A(n x k) B(k x cols), row-major,
 * on BLAS's own threads (set OPENBLAS_NUM_THREADS for one core). 0 if out of
 * memory. */
double bench_dgemm_rate(int n, int k, int cols, int reps);

#endif
