/* chokepoint: small dense linear algebra used by validation and simulation
 * (internal header; not installed). Matrices are row-major n x n doubles. */
#ifndef CKP_LINALG_H
#define CKP_LINALG_H

#include <stddef.h>

/* Cholesky factor L (lower, row-major, zeros above the diagonal) of a symmetric
 * matrix a. Returns 0 on success, -1 if a is not positive definite (a pivot
 * <= 1e-12 * max diagonal) or not symmetric within 1e-12. */
int ckp_linalg_cholesky(const double *a, int n, double *L);

/* Spectral radius (largest |eigenvalue|) of a general real matrix, via LAPACK
 * dgeev. Returns 0 on success, -1 if the eigen solver failed. */
int ckp_linalg_spectral_radius(const double *a, int n, double *radius);

/* inv = (I - a)^-1. Returns 0 on success, -1 if I - a is singular. */
int ckp_linalg_leontief_inverse(const double *a, int n, double *inv);

#endif
