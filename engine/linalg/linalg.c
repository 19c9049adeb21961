/* chokepoint: small dense linear algebra for validation and simulation.
 *
 * Cholesky factors of the correlation matrices, the spectral radius of the
 * interdependency matrix A* (LAPACK dgeev, from OpenBLAS or the reference
 * LAPACK) and the Leontief inverse (I - A*)^-1 (LU with partial pivoting,
 * LAPACK dgetrf + dgetri).
 * All matrices are row-major. These run once per policy, never per path, so
 * they may allocate.
 *
 * OpenBLAS takes a workspace of about 128 MiB per calling thread on its first
 * call and, when the allocation fails (a `ulimit -v`), retries it forever.
 * ckp_linalg_blas_room checks first that such a workspace fits. */
#include "engine/linalg/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK's Fortran entry point. The two trailing size_t are the hidden lengths
 * of the character arguments that gfortran expects; passing them keeps the
 * call well-defined for LAPACK builds that read them. */
extern void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a,
                   const int *lda, double *wr, double *wi, double *vl, const int *ldvl,
                   double *vr, const int *ldvr, double *work, const int *lwork, int *info,
                   size_t jobvl_len, size_t jobvr_len);
extern void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv,
                    int *info);
extern void dgetri_(const int *n, double *a, const int *lda, const int *ipiv, double *work,
                    const int *lwork, int *info);

int ckp_linalg_blas_room(int nthreads)
{
    if (nthreads < 1)
        nthreads = 1;
    /* once OpenBLAS holds the main thread's workspace, it keeps it */
    static int have_one = 0;
    if (nthreads == 1 && have_one)
        return 0;
    size_t len = (size_t)nthreads * CKP_BLAS_WORKSPACE;
    /* a block this large is mapped, not touched, and unmapped by free */
    void *p = malloc(len);
    if (!p)
        return -2;
    free(p);
    have_one = 1;
    return 0;
}

int ckp_linalg_cholesky(const double *a, int n, double *L)
{
    if (n <= 0)
        return -1;
    double maxdiag = 0.0;
    for (int i = 0; i < n; i++) {
        double d = a[(size_t)i * n + i];
        if (!(d > 0.0) || !isfinite(d))
            return -1;
        if (d > maxdiag)
            maxdiag = d;
        for (int j = 0; j < i; j++) {
            double x = a[(size_t)i * n + j], y = a[(size_t)j * n + i];
            if (!isfinite(x) || fabs(x - y) > 1e-12)
                return -1;
        }
    }
    memset(L, 0, sizeof(double) * (size_t)n * (size_t)n);
    /* Cholesky-Banachiewicz, row by row; only the lower triangle of a is read. */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++) {
            double s = a[(size_t)i * n + j];
            for (int k = 0; k < j; k++)
                s -= L[(size_t)i * n + k] * L[(size_t)j * n + k];
            if (i == j) {
                if (!(s > 1e-12 * maxdiag))
                    return -1;
                L[(size_t)i * n + i] = sqrt(s);
            } else {
                L[(size_t)i * n + j] = s / L[(size_t)j * n + j];
            }
        }
    }
    return 0;
}

int ckp_linalg_spectral_radius(const double *a, int n, double *radius)
{
    if (n <= 0)
        return -1;
    if (n == 1) {
        *radius = fabs(a[0]);
        return isfinite(*radius) ? 0 : -1;
    }
    size_t nn = (size_t)n * (size_t)n;
    for (size_t k = 0; k < nn; k++)
        if (!isfinite(a[k]))
            return -1;
    /* The eigenvalues of a matrix and of its transpose are the same, so the
     * row-major array can be handed to column-major LAPACK as it is. */
    double *copy = malloc(sizeof(double) * nn);
    double *wr = malloc(sizeof(double) * (size_t)n);
    double *wi = malloc(sizeof(double) * (size_t)n);
    double *work = NULL;
    int rc = -2;
    if (!copy || !wr || !wi || ckp_linalg_blas_room(1) != 0)
        goto done;
    rc = -1;
    memcpy(copy, a, sizeof(double) * nn);
    int info = 0, lwork = -1, one = 1;
    double wq = 0.0, dummy = 0.0;
    dgeev_("N", "N", &n, copy, &n, wr, wi, &dummy, &one, &dummy, &one, &wq, &lwork, &info,
           1, 1);
    if (info != 0)
        goto done;
    lwork = (int)wq;
    if (lwork < 3 * n)
        lwork = 3 * n;
    work = malloc(sizeof(double) * (size_t)lwork);
    if (!work)
        goto done;
    dgeev_("N", "N", &n, copy, &n, wr, wi, &dummy, &one, &dummy, &one, work, &lwork, &info,
           1, 1);
    if (info != 0)
        goto done;
    double r = 0.0;
    for (int i = 0; i < n; i++) {
        double m = hypot(wr[i], wi[i]);
        if (m > r)
            r = m;
    }
    *radius = r;
    rc = 0;
done:
    free(copy);
    free(wr);
    free(wi);
    free(work);
    return rc;
}

double ckp_linalg_norm_bound(const double *a, int n)
{
    if (n <= 0)
        return INFINITY;
    double *col = calloc((size_t)n, sizeof(double));
    if (!col)
        return INFINITY; /* callers then fall back to the eigen solver */
    double rmax = 0.0, cmax = 0.0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        const double *row = a + (size_t)i * n;
        double r = 0.0;
        for (int j = 0; j < n; j++) {
            const double v = fabs(row[j]);
            r += v;
            col[j] += v;
        }
        bad |= !isfinite(r); /* a NaN or inf entry makes its row sum so */
        if (r > rmax)
            rmax = r;
    }
    for (int j = 0; j < n; j++)
        if (col[j] > cmax)
            cmax = col[j];
    free(col);
    if (bad || !isfinite(cmax))
        return INFINITY;
    return rmax < cmax ? rmax : cmax;
}

int ckp_linalg_norm_proves_stable(double bound, int n)
{
    /* A recursive sum of n non-negative terms is within a relative
     * (n - 1) 2^-53 / (1 - (n - 1) 2^-53) of the exact sum; 2 n 2^-53 covers it
     * for any n below 2^50. */
    return bound * (1.0 + 2.0 * (double)n * 0x1p-53) < 1.0;
}

int ckp_linalg_leontief_inverse(const double *a, int n, double *inv)
{
    if (n <= 0)
        return -1;
    size_t nn = (size_t)n * (size_t)n;
    int *piv = malloc(sizeof(int) * (size_t)n);
    double *work = NULL;
    int rc = -1;
    if (!piv || ckp_linalg_blas_room(1) != 0) {
        rc = -2;
        goto done;
    }
    double scale = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = (i == j ? 1.0 : 0.0) - a[(size_t)i * n + j];
            if (!isfinite(v))
                goto done;
            inv[(size_t)i * n + j] = v;
            if (fabs(v) > scale)
                scale = fabs(v);
        }
    if (scale == 0.0)
        goto done;
    /* The row-major array read column-major is (I - a)^T, and the inverse of
     * the transpose is the transpose of the inverse: LAPACK's column-major
     * result, read row-major, is (I - a)^-1 itself. */
    int info = 0;
    dgetrf_(&n, &n, inv, &n, piv, &info);
    if (info != 0)
        goto done;
    /* A pivot this small relative to the matrix means I - a is singular to
     * working precision; its inverse would be noise. */
    for (int k = 0; k < n; k++)
        if (!(fabs(inv[(size_t)k * n + k]) > 1e-14 * scale))
            goto done;
    int lwork = -1;
    double wq = 0.0;
    dgetri_(&n, inv, &n, piv, &wq, &lwork, &info);
    if (info != 0)
        goto done;
    lwork = (int)wq;
    if (lwork < n)
        lwork = n;
    work = malloc(sizeof(double) * (size_t)lwork);
    if (!work) {
        rc = -2;
        goto done;
    }
    dgetri_(&n, inv, &n, piv, work, &lwork, &info);
    if (info != 0)
        goto done;
    for (size_t k = 0; k < nn; k++)
        if (!isfinite(inv[k]))
            goto done;
    rc = 0;
done:
    free(piv);
    free(work);
    return rc;
}

int ckp_linalg_power(const double *a, int n, int k, double *out)
{
    if (n <= 0 || k < 0)
        return -1;
    size_t nn = (size_t)n * (size_t)n;
    double *tmp = malloc(sizeof(double) * nn);
    if (!tmp)
        return -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            out[(size_t)i * n + j] = i == j ? 1.0 : 0.0;
    for (int step = 0; step < k; step++) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int l = 0; l < n; l++)
                    s += out[(size_t)i * n + l] * a[(size_t)l * n + j];
                tmp[(size_t)i * n + j] = s;
            }
        memcpy(out, tmp, sizeof(double) * nn);
    }
    free(tmp);
    return 0;
}

int ckp_linalg_io_technical(const double *Z, const double *x, int n, double *A)
{
    for (int j = 0; j < n; j++)
        if (!(x[j] > 0.0))
            return -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            A[(size_t)i * n + j] = Z[(size_t)i * n + j] / x[j];
    return 0;
}

int ckp_linalg_io_supply(const double *Z, const double *x, int n, double kappa, double *Astar)
{
    for (int i = 0; i < n; i++)
        if (!(x[i] > 0.0))
            return -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            Astar[(size_t)i * n + j] = kappa * Z[(size_t)j * n + i] / x[i];
    return 0;
}
