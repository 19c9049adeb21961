/* chokepoint: small dense linear algebra used by validation and simulation
 * (internal header; not installed). Matrices are row-major n x n doubles. */
#ifndef CKP_LINALG_H
#define CKP_LINALG_H

#include <stddef.h>

/* Cholesky factor L (lower, row-major, zeros above the diagonal) of a symmetric
 * matrix a. Returns 0 on success, -1 if a is not positive definite (a pivot
 * <= 1e-12 * max diagonal) or not symmetric within 1e-12. */
int ckp_linalg_cholesky(const double *a, int n, double *L);

/* The workspace OpenBLAS allocates per calling thread (BUFFER_SIZE of its
 * build, 128 MiB, and a page), which it retries forever when it fails. */
#define CKP_BLAS_WORKSPACE ((size_t)128 * 1024 * 1024 + 2 * 4096)

/* 0 when the address space has room for the BLAS workspaces of nthreads
 * threads calling BLAS at once (checked by allocating and freeing them), -2 if
 * not: call it before BLAS, which would otherwise hang. */
int ckp_linalg_blas_room(int nthreads);

/* Spectral radius (largest |eigenvalue|) of a general real matrix, via LAPACK
 * dgeev. Returns 0 on success, -1 if the eigen solver failed, -2 when out of
 * memory. */
int ckp_linalg_spectral_radius(const double *a, int n, double *radius);

/* min(||a||_1, ||a||_inf) (largest absolute column / row sum), an upper
 * bound of the spectral radius; +inf if some entry is not finite. Both are
 * induced norms, so a result below 1 (with room for the rounding of the sums,
 * ckp_linalg_norm_proves_stable) proves rho(a) < 1 without an eigen solve. */
double ckp_linalg_norm_bound(const double *a, int n);
/* 1 when the bound above, inflated by the worst relative rounding of an
 * n-term sum of non-negative numbers, is below 1. */
int ckp_linalg_norm_proves_stable(double bound, int n);

/* inv = (I - a)^-1. Returns 0 on success, -1 if I - a is singular, -2 when
 * out of memory. */
int ckp_linalg_leontief_inverse(const double *a, int n, double *inv);

/* out = a^k (k >= 0; a^0 = I), by repeated multiplication: the k-th order
 * interdependency indices of an IIM (Santos & Haimes 2004). out may not alias
 * a. Returns 0 on success, -1 on bad arguments or allocation failure. */
int ckp_linalg_power(const double *a, int n, int k, double *out);

/* From an input-output table (transactions Z[i,j] from i to j, outputs x):
 * technical coefficients A[i,j] = Z[i,j] / x[j], and the supply-side
 * interdependency matrix of MODEL.md section 2, Astar[i,j] = kappa Z[j,i] / x[i]
 * (the transpose of A scaled by kappa). Return -1 if some x <= 0. */
int ckp_linalg_io_technical(const double *Z, const double *x, int n, double *A);
int ckp_linalg_io_supply(const double *Z, const double *x, int n, double kappa, double *Astar);

#endif
