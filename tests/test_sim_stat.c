/* chokepoint: statistical tests of the simulated path (suite stat).
 *
 * Fixed seeds; every comparison is against a closed form, with a tolerance of
 * 4 standard errors estimated from the sample itself:
 * - long-run regime occupancy = the stationary distribution of P;
 * - AR(1) log-price noise: Var y_T = sigma^2 (1 - phi^(2T)) / (1 - phi^2), and
 *   the covariance the price correlation induces;
 * - jump frequency lambda and jump size mean / sd;
 * - the Gaussian copula's rank correlation: Spearman rho = (6/pi) asin(r/2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/sim.h"
#include "check.h"
#include "engine/scenario/scenario_impl.h"
#include "model_fixture.h"
#include "engine/sim/sim_impl.h"

static void within(const char *what, double got, double want, double se)
{
    double z = (got - want) / se;
    printf("%-34s got %.6f want %.6f se %.2e z %+.2f\n", what, got, want, se, z);
    CHECK(fabs(z) <= 4.0, "%s: %.2f standard errors off", what, z);
}

typedef struct runner {
    ckp_prep *p;
    ckp_work *w;
    ckp_layout lay;
    double *u, *rec, *obs;
    int *regime;
    ckp_pcg64 base;
} runner;

static int r_open(runner *r, ckp_model *m, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    ckp_error err;
    ckp_scenario sc;
    fx_scenario_wrap(&sc, m, 1);
    if (ckp_prep_create(m, &r->p, &err) != CKP_OK || ckp_work_create(&sc, &r->w, &err) != CKP_OK) {
        fprintf(stderr, "FAIL setup: %s\n", err.message);
        failures++;
        return -1;
    }
    ckp_layout_init(&r->lay, m);
    r->u = malloc(sizeof(double) * r->lay.uniforms);
    r->rec = malloc(sizeof(double) * r->lay.record);
    r->obs = malloc(sizeof(double) * r->lay.obs_per_month * m->T);
    r->regime = malloc(sizeof(int) * (size_t)m->T * m->S);
    ckp_pcg64_from_seed(&r->base, seed);
    return 0;
}

static void r_path(runner *r, const ckp_model *m, uint64_t p)
{
    ckp_trace tr;
    memset(&tr, 0, sizeof tr);
    tr.regime = r->regime;
    ckp_path_uniforms(&r->lay, &r->base, p, 0, r->u);
    ckp_sim_path(m, r->p, &r->lay, r->w, r->u, r->rec, r->obs, &tr);
}

static void r_close(runner *r)
{
    ckp_prep_free(r->p);
    ckp_work_free(r->w);
    free(r->u);
    free(r->rec);
    free(r->obs);
    free(r->regime);
}

static void test_occupancy(void)
{
    enum { K = 3, T = 60, N = 4000 };
    const double P[K * K] = {0.8, 0.15, 0.05, 0.3, 0.6, 0.1, 0.2, 0.3, 0.5};
    /* Stationary distribution by power iteration. */
    double pi[K] = {1, 0, 0};
    for (int it = 0; it < 2000; it++) {
        double n[K] = {0, 0, 0};
        for (int a = 0; a < K; a++)
            for (int b = 0; b < K; b++)
                n[b] += pi[a] * P[a * K + b];
        memcpy(pi, n, sizeof pi);
    }
    const int nr = 1, cnt = 1, ex = 0;
    const double sh = 1.0;
    ckp_model m;
    fx_model_alloc(&m, 1, K, 1, 1, T, &nr, &sh, &cnt, &ex);
    memcpy(m.P, P, sizeof P);
    memcpy(m.init, pi, sizeof pi); /* start stationary: every month's law is pi */
    runner r;
    if (r_open(&r, &m, 20240601) == 0) {
        double sum[K] = {0}, sq[K] = {0};
        for (int p = 0; p < N; p++) {
            r_path(&r, &m, (uint64_t)p);
            for (int k = 0; k < K; k++) {
                double f = r.rec[r.lay.offset[CKP_M_REGIME_MONTHS] + k] / T;
                sum[k] += f;
                sq[k] += f * f;
            }
        }
        for (int k = 0; k < K; k++) {
            double mean = sum[k] / N, var = (sq[k] - N * mean * mean) / (N - 1);
            char what[64];
            snprintf(what, sizeof what, "occupancy of regime %d", k);
            within(what, mean, pi[k], sqrt(var / N));
        }
        r_close(&r);
    }
    fx_model_free(&m);
}

static void test_ar1(void)
{
    enum { T = 40, N = 20000 };
    const double phi = 0.6, sigma[2] = {0.1, 0.25}, rho = 0.5;
    const int nr[2] = {1, 1}, cnt[2] = {1, 1}, ex[2] = {0, 0};
    const double sh[2] = {1.0, 1.0};
    ckp_model m;
    fx_model_alloc(&m, 1, 1, 2, 1, T, nr, sh, cnt, ex);
    for (int j = 0; j < 2; j++) {
        m.phi[j] = phi;
        m.sigma[j] = sigma[j];
        m.cap[j] = 1e6;
    }
    m.price_corr_identity = 0;
    m.price_corr[1] = m.price_corr[2] = rho;
    runner r;
    if (r_open(&r, &m, 99) == 0) {
        double s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
        const size_t last = (size_t)(T - 1) * r.lay.obs_per_month + r.lay.obs_pi;
        for (int p = 0; p < N; p++) {
            r_path(&r, &m, (uint64_t)p);
            double y1 = log(r.obs[last]), y2 = log(r.obs[last + 1]);
            s1 += y1;
            s2 += y2;
            s11 += y1 * y1;
            s22 += y2 * y2;
            s12 += y1 * y2;
        }
        const double f = (1 - pow(phi, 2 * T)) / (1 - phi * phi);
        const double v1 = sigma[0] * sigma[0] * f, v2 = sigma[1] * sigma[1] * f;
        const double c12 = rho * sigma[0] * sigma[1] * f;
        double m1 = s1 / N, m2 = s2 / N;
        double var1 = (s11 - N * m1 * m1) / (N - 1), var2 = (s22 - N * m2 * m2) / (N - 1);
        double cov = (s12 - N * m1 * m2) / (N - 1);
        within("AR(1) mean of y_T", m1, 0.0, sqrt(v1 / N));
        within("AR(1) var of y_T", var1, v1, v1 * sqrt(2.0 / (N - 1)));
        within("AR(1) var of y_T (material 2)", var2, v2, v2 * sqrt(2.0 / (N - 1)));
        within("price-correlated covariance", cov, c12, sqrt((v1 * v2 + c12 * c12) / (N - 1)));
        r_close(&r);
    }
    fx_model_free(&m);
}

static void test_jumps(void)
{
    enum { T = 50, N = 4000 };
    const double lambda = 0.08, muJ = 0.3, sJ = 0.1;
    const int nr = 1, cnt = 1, ex = 0;
    const double sh = 1.0;
    ckp_model m;
    fx_model_alloc(&m, 1, 1, 1, 1, T, &nr, &sh, &cnt, &ex);
    m.lambda[0] = lambda;
    m.muJ[0] = muJ;
    m.sigmaJ[0] = sJ;
    m.cap[0] = 1e6;
    runner r;
    if (r_open(&r, &m, 12345) == 0) {
        double n = 0, js = 0, jss = 0;
        for (int p = 0; p < N; p++) {
            r_path(&r, &m, (uint64_t)p);
            for (int t = 0; t < T; t++) {
                double y = log(r.obs[(size_t)t * r.lay.obs_per_month + r.lay.obs_pi]);
                if (y != 0.0) { /* phi = sigma = 0: y is this month's jump */
                    n++;
                    js += y;
                    jss += y * y;
                }
            }
        }
        const double months = (double)N * T;
        within("jump frequency", n / months, lambda, sqrt(lambda * (1 - lambda) / months));
        double mj = js / n, vj = (jss - n * mj * mj) / (n - 1);
        within("jump size mean", mj, muJ, sJ / sqrt(n));
        within("jump size variance", vj, sJ * sJ, sJ * sJ * sqrt(2.0 / (n - 1)));
        r_close(&r);
    }
    fx_model_free(&m);
}

static void test_copula(void)
{
    /* 64 equally likely regimes whatever the current one: the regime is the
     * bin of v of width 1/64, so the bin centres carry v's ranks (the
     * discretisation moves rho by about 1/64^2, far below one standard error). */
    enum { K = 64, T = 50, N = 2000, B = 40 };
    const double r_corr = 0.6;
    const int nr = 1, cnt = 1, ex = 0;
    const double sh = 1.0;
    ckp_model m;
    fx_model_alloc(&m, 2, K, 1, 1, T, &nr, &sh, &cnt, &ex);
    for (size_t k = 0; k < (size_t)2 * K * K; k++)
        m.P[k] = 1.0 / K;
    m.corr_identity = 0;
    m.corr[1] = m.corr[2] = r_corr;
    runner r;
    if (r_open(&r, &m, 777) == 0) {
        double bs[B], all_sum = 0;
        const int per = N / B;
        for (int b = 0; b < B; b++) {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
            for (int p = b * per; p < (b + 1) * per; p++) {
                r_path(&r, &m, (uint64_t)p);
                for (int t = 0; t < T; t++) {
                    double a = (r.regime[t * 2] + 0.5) / K, c = (r.regime[t * 2 + 1] + 0.5) / K;
                    sa += a;
                    sb += c;
                    saa += a * a;
                    sbb += c * c;
                    sab += a * c;
                    n++;
                }
            }
            double cov = sab / n - (sa / n) * (sb / n);
            double va = saa / n - (sa / n) * (sa / n), vb = sbb / n - (sb / n) * (sb / n);
            bs[b] = cov / sqrt(va * vb);
            all_sum += bs[b];
        }
        double mean = all_sum / B, v = 0;
        for (int b = 0; b < B; b++)
            v += (bs[b] - mean) * (bs[b] - mean);
        v /= B - 1;
        const double want = 6.0 / acos(-1.0) * asin(r_corr / 2.0);
        within("copula Spearman rho", mean, want, sqrt(v / B));
        r_close(&r);
    }
    fx_model_free(&m);
}

int main(void)
{
    test_occupancy();
    test_ar1();
    test_jumps();
    test_copula();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_sim_stat: all passed\n");
    return 0;
}
