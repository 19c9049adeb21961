/* chokepoint: unit tests of engine/linalg/linalg.c.
 *
 * Known answers: the Leontief inverse of Miller & Blair (2009) chapter 2
 * (copied to tests/data/io/, see its SOURCES note), hand-checkable Cholesky
 * factors and eigenvalues, and refusals (not positive definite, asymmetric,
 * singular). Each check compares against numbers computed outside the code
 * under test. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "engine/linalg/linalg.h"

static void check_close(const char *what, double got, double want, double tol)
{
    CHECK(fabs(got - want) <= tol, "%s: got %.17g want %.17g (tol %g)", what, got, want, tol);
}

static void check_true(const char *what, int cond)
{
    CHECK(cond, "%s", what);
}

static void test_cholesky(void)
{
    /* [[4,2],[2,3]] = L L^T with L = [[2,0],[1,sqrt(2)]]. */
    const double a[4] = {4, 2, 2, 3};
    double L[4];
    check_true("cholesky 2x2 ok", ckp_linalg_cholesky(a, 2, L) == 0);
    check_close("L00", L[0], 2.0, 1e-15);
    check_close("L01", L[1], 0.0, 0.0);
    check_close("L10", L[2], 1.0, 1e-15);
    check_close("L11", L[3], sqrt(2.0), 1e-15);

    /* A 3x3 correlation matrix: L L^T must reproduce it. */
    const double r[9] = {1, 0.5, 0.3, 0.5, 1, 0.2, 0.3, 0.2, 1};
    double L3[9];
    check_true("cholesky 3x3 ok", ckp_linalg_cholesky(r, 3, L3) == 0);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += L3[i * 3 + k] * L3[j * 3 + k];
            check_close("L L^T", s, r[i * 3 + j], 1e-14);
            if (j > i)
                check_true("upper zero", L3[i * 3 + j] == 0.0);
        }
    /* Closed form for the first column and the second diagonal. */
    check_close("L3_11", L3[4], sqrt(1 - 0.25), 1e-15);

    /* Not positive definite: correlation 1 (singular) and eigenvalue < 0. */
    const double sing[4] = {1, 1, 1, 1};
    check_true("singular refused", ckp_linalg_cholesky(sing, 2, L) == -1);
    const double neg[9] = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1};
    check_true("indefinite refused", ckp_linalg_cholesky(neg, 3, L3) == -1);
    const double asym[4] = {1, 0.5, 0.4, 1};
    check_true("asymmetric refused", ckp_linalg_cholesky(asym, 2, L) == -1);
    const double id1[1] = {1};
    double l1[1];
    check_true("1x1", ckp_linalg_cholesky(id1, 1, l1) == 0 && l1[0] == 1.0);
}

static void test_spectral_radius(void)
{
    double r = -1;
    /* [[0,0.8],[0.2,0]]: eigenvalues +-sqrt(0.16) = +-0.4. */
    const double a[4] = {0, 0.8, 0.2, 0};
    check_true("radius ok", ckp_linalg_spectral_radius(a, 2, &r) == 0);
    check_close("radius Haimes-Jiang", r, 0.4, 1e-14);
    /* A rotation by 90 degrees scaled by 0.7: eigenvalues +-0.7i. */
    const double rot[4] = {0, -0.7, 0.7, 0};
    check_true("radius complex ok", ckp_linalg_spectral_radius(rot, 2, &r) == 0);
    check_close("radius complex", r, 0.7, 1e-14);
    /* Upper triangular: the radius is the largest |diagonal|. */
    const double tri[9] = {0.1, 5, 7, 0, -0.95, 3, 0, 0, 0.3};
    check_true("radius tri ok", ckp_linalg_spectral_radius(tri, 3, &r) == 0);
    check_close("radius tri", r, 0.95, 1e-12);
    /* Miller & Blair A: eigenvalues of [[.15,.25],[.2,.05]] are
     * 0.1 +- sqrt(0.0025 + 0.05) = 0.1 +- 0.229128784747792. */
    const double mb[4] = {0.15, 0.25, 0.2, 0.05};
    check_true("radius MB ok", ckp_linalg_spectral_radius(mb, 2, &r) == 0);
    check_close("radius MB", r, 0.1 + sqrt(0.0525), 1e-14);
}

static int read_csv(const char *dir, const char *name, double *v, int max)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s\n", path);
        failures++;
        return 0;
    }
    int n = 0;
    int c;
    char buf[64];
    int len = 0;
    while ((c = fgetc(f)) != EOF || len > 0) {
        if (c == ',' || c == '\n' || c == EOF) {
            if (len > 0 && n < max) {
                buf[len] = 0;
                v[n++] = strtod(buf, NULL);
            }
            len = 0;
            if (c == EOF)
                break;
        } else if (len < 63) {
            buf[len++] = (char)c;
        }
    }
    fclose(f);
    return n;
}

static void test_leontief(const char *datadir)
{
    double A[4], Lwant[4], fd[2], x[2], xnew[2], Z[4];
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/io", datadir);
    check_true("A", read_csv(dir, "miller_blair_2009_ch2_A_arr.csv", A, 4) == 4);
    check_true("L", read_csv(dir, "miller_blair_2009_ch2_L_arr.csv", Lwant, 4) == 4);
    check_true("Z", read_csv(dir, "miller_blair_2009_ch2_Z_arr.csv", Z, 4) == 4);
    check_true("fd", read_csv(dir, "miller_blair_2009_ch2_fd_arr.csv", fd, 2) == 2);
    check_true("x", read_csv(dir, "miller_blair_2009_ch2_x_arr.csv", x, 2) == 2);
    check_true("xnew", read_csv(dir, "miller_blair_2009_ch2_xnew_arr.csv", xnew, 2) == 2);
    if (failures)
        return;
    /* A from Z and x: A[i,j] = Z[i,j] / x[j]. */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            check_close("A = Z / x", Z[i * 2 + j] / x[j], A[i * 2 + j], 1e-15);
    double L[4];
    check_true("leontief ok", ckp_linalg_leontief_inverse(A, 2, L) == 0);
    /* The fixture is rounded to 8-9 decimals. */
    for (int k = 0; k < 4; k++)
        check_close("L vs Miller-Blair", L[k], Lwant[k], 5e-9);
    /* x = L f for the base final demand and for the new one [600, 1500]. */
    for (int i = 0; i < 2; i++)
        check_close("x = L f", L[i * 2] * fd[0] + L[i * 2 + 1] * fd[1], x[i], 1e-9);
    const double fnew[2] = {600, 1500};
    for (int i = 0; i < 2; i++)
        check_close("xnew = L fnew", L[i * 2] * fnew[0] + L[i * 2 + 1] * fnew[1], xnew[i],
                    0.05);
    /* Closed form 1/det * [[0.95,0.25],[0.2,0.85]], det = 0.85*0.95 - 0.05 = 0.7575. */
    check_close("L00 exact", L[0], 0.95 / 0.7575, 1e-15);
    check_close("L01 exact", L[1], 0.25 / 0.7575, 1e-15);
    check_close("L10 exact", L[2], 0.2 / 0.7575, 1e-15);
    check_close("L11 exact", L[3], 0.85 / 0.7575, 1e-15);

    /* A 5x5 random-ish matrix: (I - a) * inv must be the identity. */
    double a5[25], inv5[25];
    for (int k = 0; k < 25; k++)
        a5[k] = 0.03 * ((k * 7) % 11) - 0.1;
    check_true("5x5 ok", ckp_linalg_leontief_inverse(a5, 5, inv5) == 0);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int k = 0; k < 5; k++)
                s += ((i == k) - a5[i * 5 + k]) * inv5[k * 5 + j];
            check_close("(I-a) inv = I", s, i == j, 1e-13);
        }

    /* I - a singular: a = [[1,0],[0,0.5]] and a = [[0.5,0.5],[0.5,0.5]]. */
    const double s1[4] = {1, 0, 0, 0.5};
    const double s2[4] = {0.5, 0.5, 0.5, 0.5};
    check_true("singular 1 refused", ckp_linalg_leontief_inverse(s1, 2, L) == -1);
    check_true("singular 2 refused", ckp_linalg_leontief_inverse(s2, 2, L) == -1);
}

int main(void)
{
    const char *root = getenv("CKP_SOURCE_ROOT");
    char datadir[900];
    snprintf(datadir, sizeof datadir, "%s/tests/data", root ? root : ".");
    test_cholesky();
    test_spectral_radius();
    test_leontief(datadir);
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_linalg: all passed\n");
    return 0;
}
