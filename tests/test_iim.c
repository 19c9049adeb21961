/* chokepoint: the inoperability input-output model against published cases.
 *
 * The twelve cases of tests/data/iim/EXPECTED_RESULTS.csv (stigrs/diim test
 * inputs; Haimes & Jiang 2001, Lian & Haimes 2006, Xu et al. 2011) and the
 * Leontief example of Miller & Blair (2009) ch. 2 (tests/data/io/). Static and
 * dynamic propagation are run through the simulation itself: a one-material
 * model whose single route is fully blocked (x = 1) in chosen months, with
 * C[0,i] = c*_i, so that q0 = c* in those months and 0 otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/sim.h"
#include "engine/linalg/linalg.h"
#include "check.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/sim/sim_impl.h"
#include "model_fixture.h"
static char datadir[2048];

static void check_close(const char *what, double got, double want, double tol)
{
    CHECK(fabs(got - want) <= tol, "%s: got %.12g want %.12g (tol %g)", what, got, want, tol);
}

/* Numbers of a CSV file in reading order; the first line is skipped when
 * `header`, and a leading text field of a line (a sector name) is skipped. */
static int read_nums(const char *name, int header, double *v, int max)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", datadir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL cannot open %s\n", path);
        failures++;
        return 0;
    }
    char line[1024];
    int n = 0, first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first && header) {
            first = 0;
            continue;
        }
        first = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, ",\r\n", &save); tok; tok = strtok_r(NULL, ",\r\n", &save)) {
            char *end;
            double d = strtod(tok, &end);
            if (end != tok && n < max)
                v[n++] = d;
        }
    }
    fclose(f);
    return n;
}

/* Run the IIM through ckp_sim_path. The perturbation c* is applied in months
 * 1..blocked (blocked = T: every month). Returns q for months 1..T in q_out
 * (T x n) and the record's inoperability peaks in peak (n). */
static void run_iim(const double *A, int n, const double *c, const double *Kdiag, int dynamic,
                    int T, int blocked, double *q_out, double *peak)
{
    /* Regimes: 0 the start, 1..B blocking, B+1 open; each moves on to the next
     * with probability 1, the last stays. Always-blocked uses one regime. */
    int always = blocked >= T;
    int K = always ? 1 : blocked + 2;
    int nr = 1, cnt = 1, ex = 0;
    double share = 1.0;
    ckp_model m;
    if (fx_model_alloc(&m, 1, K, 1, n, T, &nr, &share, &cnt, &ex) != 0) {
        failures++;
        return;
    }
    for (int k = 0; k < K; k++) {
        for (int j = 0; j < K; j++)
            m.P[k * K + j] = 0.0;
        m.P[k * K + (k + 1 < K ? k + 1 : k)] = 1.0;
        double b = (always || (k >= 1 && k <= blocked)) ? 1.0 : 0.0;
        m.block_min[k] = m.block_mode[k] = m.block_max[k] = b;
    }
    for (int i = 0; i < n; i++) {
        m.C[i] = c[i];
        if (Kdiag)
            m.Kres[i] = Kdiag[i];
    }
    memcpy(m.Astar, A, sizeof(double) * (size_t)n * n);
    m.propagation = dynamic ? CKP_PROP_DYNAMIC : CKP_PROP_STATIC;

    ckp_prep *p = NULL;
    ckp_work *w = NULL;
    ckp_error err;
    ckp_scenario sc;
    fx_scenario_wrap(&sc, &m, 1);
    if (ckp_prep_create(&m, &p, &err) != CKP_OK || ckp_work_create(&sc, &w, &err) != CKP_OK) {
        fprintf(stderr, "FAIL prep: %s\n", err.message);
        failures++;
        ckp_prep_free(p);
        fx_model_free(&m);
        return;
    }
    ckp_layout lay;
    ckp_layout_init(&lay, &m);
    double *u = malloc(sizeof(double) * lay.uniforms);
    double *rec = malloc(sizeof(double) * lay.record);
    for (size_t k = 0; k < lay.uniforms; k++)
        u[k] = 0.5; /* every transition has probability 0 or 1: any uniform works */
    ckp_trace tr;
    memset(&tr, 0, sizeof tr);
    tr.inop = q_out;
    ckp_sim_path(&m, p, &lay, w, u, rec, NULL, &tr);
    memcpy(peak, rec + lay.offset[CKP_M_INOP_PEAK], sizeof(double) * n);
    free(u);
    free(rec);
    ckp_work_free(w);
    ckp_prep_free(p);
    fx_model_free(&m);
}

/* Static q = clip((I - A*)^-1 c, 0, 1) by linalg, and through the simulation. */
static void static_case(const char *label, const double *A, int n, const double *c,
                        const double *want, double tol)
{
    double L[16], q[4], qs[4], peak[4];
    if (ckp_linalg_leontief_inverse(A, n, L) != 0) {
        fprintf(stderr, "FAIL %s: leontief\n", label);
        failures++;
        return;
    }
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < n; j++)
            s += L[i * n + j] * c[j];
        q[i] = s < 0 ? 0 : s > 1 ? 1 : s;
        check_close(label, q[i], want[i], tol);
    }
    run_iim(A, n, c, NULL, 0, 1, 1, qs, peak);
    for (int i = 0; i < n; i++) {
        check_close(label, qs[i], want[i], tol);
        check_close("sim static = linalg", qs[i], q[i], 1e-14);
        check_close("peak = q", peak[i], qs[i], 0.0);
    }
}

static void cases_static(void)
{
    double A[16];
    /* 1: dense 2x2, c* = [0, 0.6]. */
    int k = read_nums("test_case1.csv", 1, A, 16);
    check_close("case1 size", k, 4, 0);
    const double c1[2] = {0, 0.6}, w1[2] = {0.571, 0.714};
    static_case("case1", A, 2, c1, w1, 0.001);
    /* 2: the same matrix in sparse (i, j, value) triplets. */
    double trip[12], A2[4] = {0};
    k = read_nums("test_case2.csv", 1, trip, 12);
    check_close("case2 size", k, 12, 0);
    for (int t = 0; t < 4; t++)
        A2[(int)trip[3 * t] * 2 + (int)trip[3 * t + 1]] = trip[3 * t + 2];
    static_case("case2", A2, 2, c1, w1, 0.001);
    /* 3: 4x4, c* on sector 2, q clipped at 1. */
    read_nums("test_case3.csv", 1, A, 16);
    const double c3[4] = {0, 0.5, 0, 0}, w3[4] = {0.70, 0.78, 1.0, 1.0};
    static_case("case3", A, 4, c3, w3, 0.01);
    /* 4: 3x3, c* on sector C. */
    read_nums("test_case4.csv", 1, A, 9);
    const double c4[3] = {0, 0, 0.12}, w4[3] = {0.04, 0.02, 0.14};
    static_case("case4", A, 3, c4, w4, 0.01);
    /* 7: Lian & Haimes (2006). */
    read_nums("test_case7.csv", 1, A, 4);
    const double c7[2] = {0, 0.1}, w7[2] = {0.066, 0.112};
    static_case("case7", A, 2, c7, w7, 0.001);
}

static void cases_io(void)
{
    double t[20], A[16], As[16];
    const double wantA[16] = {0.14, 0.17, 0.26, 0.14, 0.11, 0.20, 0.32, 0.28,
                              0.20, 0.10, 0.26, 0.14, 0.14, 0.17, 0.10, 0.28};
    for (int c = 5; c <= 6; c++) {
        char name[64];
        snprintf(name, sizeof name, "test_case%d.csv", c);
        int k = read_nums(name, 1, t, 20);
        check_close("io table size", k, 20, 0);
        if (c == 5) {
            check_close("case5 ok", ckp_linalg_io_technical(t, t + 16, 4, A), 0, 0);
            for (int i = 0; i < 16; i++)
                check_close("case5 A", A[i], wantA[i], 0.015);
        } else {
            check_close("case6 ok", ckp_linalg_io_supply(t, t + 16, 4, 1.0, As), 0, 0);
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    check_close("case6 A* = A^T", As[i * 4 + j], wantA[j * 4 + i], 0.015);
            /* kappa scales it. */
            double Ah[16];
            ckp_linalg_io_supply(t, t + 16, 4, 0.5, Ah);
            check_close("kappa", Ah[1], 0.5 * As[1], 1e-16);
        }
    }
    double bad_x[4] = {1, 0, 1, 1};
    check_close("x <= 0 refused", ckp_linalg_io_technical(t, bad_x, 4, A), -1, 0);
}

static void cases_power(void)
{
    double A[16], P2[16], P3[16];
    read_nums("test_case8.csv", 1, A, 16);
    ckp_linalg_power(A, 4, 2, P2);
    ckp_linalg_power(A, 4, 3, P3);
    check_close("case8 (S3,S2) n=2", P2[2 * 4 + 1], 0.9, 0.001);
    check_close("case8 (S3,S2) n=3", P3[2 * 4 + 1], 0.288, 0.001);
    check_close("case8 (S1,S2) n=3", P3[0 * 4 + 1], 0.324, 0.001);
    check_close("case8 (S4,S4) n=3", P3[3 * 4 + 3], 0.0, 0.001);
    /* 9: row-wise argmax of A*^3. */
    read_nums("test_case9.csv", 1, A, 16);
    ckp_linalg_power(A, 4, 3, P3);
    const int warg[4] = {1, 0, 0, 0};
    const double wval[4] = {0.324, 0.144, 0.36, 0.36};
    for (int i = 0; i < 4; i++) {
        int arg = 0;
        for (int j = 1; j < 4; j++)
            if (P3[i * 4 + j] > P3[i * 4 + arg])
                arg = j;
        check_close("case9 argmax", arg, warg[i], 0);
        check_close("case9 value", P3[i * 4 + arg], wval[i], 0.001);
    }
    double I4[16];
    ckp_linalg_power(A, 4, 0, I4);
    check_close("A^0 = I", I4[5] + I4[0] - I4[1], 2.0, 0);
}

static void cases_dynamic(void)
{
    double A[4], Kd[2], qt[100 * 2], peak[2];
    const double c[2] = {0, 0.1};
    /* 10: a perturbation held for the whole horizon converges to static q. */
    read_nums("test_case10_amat.csv", 1, A, 4);
    read_nums("test_case10_kmat.csv", 0, Kd, 2);
    run_iim(A, 2, c, Kd, 1, 100, 100, qt, peak);
    double Ls[4];
    ckp_linalg_leontief_inverse(A, 2, Ls);
    for (int i = 0; i < 2; i++) {
        double qs = Ls[i * 2 + 1] * 0.1;
        /* DIIM step k is month k; q(99) is month 99. */
        check_close("case10 q(99) = static", qt[98 * 2 + i], qs, 1e-6);
    }
    check_close("case10 q1", qt[98 * 2], 0.066, 0.001);
    check_close("case10 q2", qt[98 * 2 + 1], 0.112, 0.001);
    /* First month by hand: q = K c. */
    check_close("case10 month 1", qt[1], 0.2 * (1.0 - (1.0 - 0.1)), 1e-15);

    /* 11: recovery. Month 1 sets q = K * 0.5 = [0, 0.1] = the case's q0;
     * then 99 months without perturbation. */
    read_nums("test_case11_amat.csv", 1, A, 4);
    read_nums("test_case11_kmat.csv", 0, Kd, 2);
    double q0f[2];
    read_nums("test_case11_q0.csv", 0, q0f, 2);
    const double c11[2] = {q0f[0] / Kd[0], q0f[1] / Kd[1]};
    run_iim(A, 2, c11, Kd, 1, 100, 1, qt, peak);
    check_close("case11 q(0)", qt[1], 0.1, 1e-15);
    check_close("case11 recovery q1", qt[99 * 2], 0.0, 1e-6);
    check_close("case11 recovery q2", qt[99 * 2 + 1], 0.0, 1e-6);
    check_close("case11 peak", peak[1], 0.1, 1e-15);

    /* 12: perturbation in steps 0..30, impact = trapezoid of q(0..99). */
    read_nums("test_case12_amat.csv", 1, A, 4);
    read_nums("test_case12_kmat.csv", 0, Kd, 2);
    run_iim(A, 2, c, Kd, 1, 99, 30, qt, peak);
    const double want[2] = {1.980144350, 3.366317449};
    for (int i = 0; i < 2; i++) {
        double s = 0.0; /* q(0) = 0 */
        for (int t = 1; t <= 98; t++)
            s += qt[(t - 1) * 2 + i];
        s += 0.5 * qt[98 * 2 + i];
        check_close("case12 impact", s, want[i], 1e-6);
    }
}

static void miller_blair(void)
{
    double Z[4], x[2], A[4], L[4], Lw[4];
    char save[2048];
    strcpy(save, datadir);
    const char *root = getenv("CKP_SOURCE_ROOT");
    snprintf(datadir, sizeof datadir, "%s/tests/data/io", root ? root : ".");
    read_nums("miller_blair_2009_ch2_Z_arr.csv", 0, Z, 4);
    read_nums("miller_blair_2009_ch2_x_arr.csv", 0, x, 2);
    read_nums("miller_blair_2009_ch2_L_arr.csv", 0, Lw, 4);
    double xnew[2];
    read_nums("miller_blair_2009_ch2_xnew_arr.csv", 0, xnew, 2);
    strcpy(datadir, save);
    check_close("MB A ok", ckp_linalg_io_technical(Z, x, 2, A), 0, 0);
    check_close("MB L ok", ckp_linalg_leontief_inverse(A, 2, L), 0, 0);
    for (int k = 0; k < 4; k++)
        check_close("MB L", L[k], Lw[k], 5e-9);
    const double f[2] = {600, 1500};
    for (int i = 0; i < 2; i++)
        check_close("MB x new", L[i * 2] * f[0] + L[i * 2 + 1] * f[1], xnew[i], 0.05);
}

int main(void)
{
    const char *root = getenv("CKP_SOURCE_ROOT");
    snprintf(datadir, sizeof datadir, "%s/tests/data/iim", root ? root : ".");
    cases_static();
    cases_io();
    cases_power();
    cases_dynamic();
    miller_blair();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_iim: all passed\n");
    return 0;
}
