/* chokepoint: the matrices of a scenario (see resolve_impl.h): inline lists
 * of rows or CSV files; correlation matrices checked for a unit diagonal,
 * symmetry and positive definiteness (Cholesky); the interdependency matrix
 * A* given directly or built from an input-output table, and refused unless
 * its spectral radius is below 1. */
#include "engine/scenario/resolve_impl.h"

#include <math.h>
#include <stdlib.h>

#include "engine/core/error_impl.h"
#include "engine/linalg/linalg.h"
#include "engine/scenario/values_impl.h"

/* Correlation matrices: |R[i,j] - R[j,i]| <= this (as ckp_linalg_cholesky). */
#define SYM_TOL 1e-12

/* A rows x cols matrix: an inline list of rows. */
static ckp_status inline_matrix(ckp_rctx *c, const ynode *n, int rows, int cols, ckp_range r,
                                double *out)
{
    CKP_TRY(ckp_rc_expect(c, n, YN_SEQ, "a list of rows"));
    if (n->n != (size_t)rows)
        return ckp_rc_fail(c, n, "expected %d rows, found %zu", rows, n->n);
    for (int i = 0; i < rows; i++) {
        const ynode *row = n->items[i];
        size_t old = ckp_rc_push(c, "[%d]", i);
        ckp_status st = ckp_rc_expect(c, row, YN_SEQ, "a row (a list of numbers)");
        if (!st && row->n != (size_t)cols)
            st = ckp_rc_fail(c, row, "expected %d entries in row %d, found %zu", cols, i, row->n);
        for (int j = 0; !st && j < cols; j++) {
            size_t o2 = ckp_rc_push(c, "[%d]", j);
            st = ckp_rc_num(c, row->items[j], r, &out[(size_t)i * cols + j]);
            ckp_rc_pop(c, o2);
        }
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }
    return CKP_OK;
}

/* {matrix: [[..]]} or {csv: file}: exactly one. */
static ckp_status matrix_spec(ckp_rctx *c, const ynode *spec, int n, char **names, ckp_range r,
                              double *out)
{
    static const char *const keys[] = {"matrix", "csv", NULL};
    CKP_TRY(ckp_rc_expect(c, spec, YN_MAP, "a mapping {matrix: [[...]]} or {csv: file}"));
    CKP_TRY(ckp_rc_check_keys(c, spec, keys));
    const ynode *mx = ckp_tree_get(spec, "matrix"), *csv = ckp_tree_get(spec, "csv");
    if (!!mx == !!csv)
        return ckp_rc_fail(c, spec, "expected exactly one of `matrix` or `csv`, found %s",
                           mx ? "both" : "neither");
    size_t old = ckp_rc_key(c, mx ? "matrix" : "csv");
    ckp_status st;
    if (mx) {
        st = inline_matrix(c, mx, n, n, r, out);
    } else {
        const char *f = NULL;
        st = ckp_rc_text(c, csv, &f);
        if (!st)
            st = ckp_rc_read_csv(c, csv, f, n, n, names, out);
        if (!st)
            for (size_t i = 0; !st && i < (size_t)n * n; i++)
                if (out[i] < r.lo || out[i] > r.hi) {
                    char rb[96];
                    st = ckp_rc_fail(
                        c, csv, "expected entries %s, found %.17g at row %zu, column %zu",
                        ckp_val_range_text(r, rb, sizeof rb), out[i], i / n + 1, i % n + 1);
                }
    }
    ckp_rc_pop(c, old);
    return st;
}

/* A correlation matrix: unit diagonal, symmetric, positive definite. */
ckp_status ckp_rc_correlation(ckp_rctx *c, const ynode *doc, const char *key, int n, char **names,
                              double *R, int *identity)
{
    const ynode *spec = ckp_tree_get(doc, key);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            R[(size_t)i * n + j] = i == j;
    *identity = 1;
    if (!spec)
        return CKP_OK;
    static const ckp_range CORR = {-1, 1, 0, 0};
    size_t old = ckp_rc_key(c, key);
    ckp_status st = matrix_spec(c, spec, n, names, CORR, R);
    for (int i = 0; !st && i < n; i++) {
        if (R[(size_t)i * n + i] != 1.0)
            st = ckp_rc_fail(c, spec, "expected 1 on the diagonal, found %.17g at [%s][%s]",
                             R[(size_t)i * n + i], names[i], names[i]);
        for (int j = 0; !st && j < i; j++)
            if (!(fabs(R[(size_t)i * n + j] - R[(size_t)j * n + i]) <= SYM_TOL))
                st = ckp_rc_fail(
                    c, spec,
                    "expected a symmetric matrix, found [%s][%s] = %.17g but [%s][%s] = "
                    "%.17g",
                    names[i], names[j], R[(size_t)i * n + j], names[j], names[i],
                    R[(size_t)j * n + i]);
    }
    if (!st) {
        double *L = malloc(sizeof(double) * (size_t)n * (size_t)n);
        if (!L)
            st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, spec, "out of memory");
        else if (ckp_linalg_cholesky(R, n, L) != 0)
            st = ckp_rc_fail(
                c, spec,
                "expected a positive definite correlation matrix, found one that is not "
                "(its Cholesky factorisation fails)");
        free(L);
    }
    for (size_t i = 0; !st && i < (size_t)n * n; i++)
        if (R[i] != (double)(i / n == i % n))
            *identity = 0;
    ckp_rc_pop(c, old);
    return st;
}

static ckp_status io_table(ckp_rctx *c, const ynode *io, double *A)
{
    int I = c->I;
    static const char *const keys[] = {"z", "z_csv", "x", "kappa", NULL};
    CKP_TRY(ckp_rc_expect(c, io, YN_MAP, "a mapping {z | z_csv, x, kappa}"));
    CKP_TRY(ckp_rc_check_keys(c, io, keys));
    const ynode *z = ckp_tree_get(io, "z"), *zc = ckp_tree_get(io, "z_csv");
    if (!!z == !!zc)
        return ckp_rc_fail(c, io, "expected exactly one of `z` or `z_csv`, found %s",
                           z ? "both" : "neither");
    double kappa = 1.0;
    CKP_TRY(ckp_rc_get_num(c, io, "kappa", 0, 1.0, ckp_range_unit, &kappa));
    double *Z = malloc(sizeof(double) * ((size_t)I * I + I));
    if (!Z)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, io, "out of memory");
    double *x = Z + (size_t)I * I;
    ckp_status st;
    size_t old = ckp_rc_key(c, z ? "z" : "z_csv");
    if (z) {
        st = inline_matrix(c, z, I, I, ckp_range_nonneg, Z);
    } else {
        const char *f = NULL;
        st = ckp_rc_text(c, zc, &f);
        if (!st)
            st = ckp_rc_read_csv(c, zc, f, I, I, c->ind, Z);
        for (size_t i = 0; !st && i < (size_t)I * I; i++)
            if (!(Z[i] >= 0))
                st = ckp_rc_fail(c, zc,
                                 "expected transactions >= 0, found %.17g at row %zu, column %zu",
                                 Z[i], i / I + 1, i % I + 1);
    }
    ckp_rc_pop(c, old);
    const ynode *xs = ckp_tree_get(io, "x");
    if (!st && !xs)
        st = ckp_rc_missing(c, io, "x", "a list of total outputs > 0, one per industry");
    if (!st) {
        old = ckp_rc_key(c, "x");
        st = ckp_rc_expect(c, xs, YN_SEQ, "a list of total outputs, one per industry");
        if (!st && xs->n != (size_t)I)
            st = ckp_rc_fail(c, xs, "expected %d outputs (one per industry), found %zu", I, xs->n);
        for (int i = 0; !st && i < I; i++) {
            size_t o2 = ckp_rc_push(c, "[%d]", i);
            st = ckp_rc_num(c, xs->items[i], ckp_range_pos, &x[i]);
            ckp_rc_pop(c, o2);
        }
        ckp_rc_pop(c, old);
    }
    /* Supply-side interdependency: the share of i's output value bought from
     * j, scaled by substitutability (MODEL.md section 2). */
    for (int i = 0; !st && i < I; i++)
        for (int j = 0; j < I; j++)
            A[(size_t)i * I + j] = kappa * Z[(size_t)j * I + i] / x[i];
    free(Z);
    return st;
}

ckp_status ckp_rc_interdependency(ckp_rctx *c, const ynode *doc, double *A)
{
    const ynode *spec = ckp_tree_get(doc, "interdependency");
    int I = c->I;
    if (!spec)
        return CKP_OK; /* no spill-over between industries */
    size_t old = ckp_rc_key(c, "interdependency");
    static const char *const keys[] = {"matrix", "csv", "io_table", NULL};
    ckp_status st = ckp_rc_expect(c, spec, YN_MAP, "a mapping {matrix | csv | io_table}");
    if (!st)
        st = ckp_rc_check_keys(c, spec, keys);
    if (!st) {
        int n = !!ckp_tree_get(spec, "matrix") + !!ckp_tree_get(spec, "csv") +
                !!ckp_tree_get(spec, "io_table");
        if (n != 1)
            st = ckp_rc_fail(c, spec,
                             "expected exactly one of `matrix`, `csv` or `io_table`, found %d", n);
    }
    if (!st) {
        const ynode *io = ckp_tree_get(spec, "io_table");
        if (io) {
            size_t o2 = ckp_rc_key(c, "io_table");
            st = io_table(c, io, A);
            ckp_rc_pop(c, o2);
        } else {
            st = matrix_spec(c, spec, I, c->ind, ckp_range_nonneg, A);
        }
    }
    if (!st) {
        /* A norm bound below 1 proves rho < 1 without the eigen solver (seconds
         * for thousands of industries); the solver runs only when the bound
         * cannot decide, and then gives the radius the message reports. */
        double rho = ckp_linalg_norm_bound(A, I);
        if (!ckp_linalg_norm_proves_stable(rho, I)) {
            const int rc = ckp_linalg_spectral_radius(A, I, &rho);
            if (rc == -2)
                st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, spec,
                                      "out of memory computing the spectral radius of the "
                                      "interdependency matrix (LAPACK needs about 130 MB)");
            else if (rc != 0)
                st = ckp_rc_fail_code(c, CKP_ERR_NUMERIC, spec,
                                      "cannot compute the spectral radius of the interdependency "
                                      "matrix");
            else if (!(rho < 1.0))
                st = ckp_rc_fail(c, spec,
                                 "expected an interdependency matrix with spectral radius below 1, "
                                 "found %.6g (the losses would not converge)",
                                 rho);
        }
    }
    ckp_rc_pop(c, old);
    return st;
}
