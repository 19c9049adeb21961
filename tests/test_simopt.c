/* chokepoint: the simulation's shortcuts give the same bits as doing the work.
 *
 * 1. Stages shared across policies (regimes and block fractions, gaps and
 *    spare capacity kept in the work for later policies with bitwise equal
 *    inputs): every record, per-month observable and trace of policies called
 *    in a row on one work equals, byte for byte, the one from a fresh work
 *    (nothing cached), for policies that share every stage, only the regimes,
 *    or nothing; also when only a severity uniform or only a regime uniform
 *    of the path changes between calls. The same with the uniforms buffer
 *    stamped after every write (the caches then recognise it by serial), and
 *    with calls alternating between a stamped and an unstamped buffer; and
 *    the run's uniforms with the severity ones drawn only when read
 *    (ckp_path_uniforms_lazy) are those of ckp_path_uniforms.
 * 3. The radius check: the norm bound decides when it is below 1 (and is what
 *    the prep reports), the eigen solver when it is not (a matrix with norm
 *    1.5 and radius sqrt(0.15)); a policy with the baseline's A* shares its
 *    (I - A*)^-1, one with another A* does not.
 * 2. The copula decision taken in normal space: with regime uniforms placed
 *    on, next to and around the cumulative transition probabilities (rows
 *    with a leading zero, with sums within 1e-12 of 1 and reaching 1), the
 *    regimes are those of Phi(a) <= c evaluated here for every month. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/rng.h"
#include "chokepoint/sim.h"
#include "engine/linalg/linalg.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/sim/sim_impl.h"
#include "check.h"
#include "model_fixture.h"

static void check(const char *what, int ok)
{
    CHECK(ok, "%s", what);
}

/* Buffers of one path: record, observables and the full trace. */
typedef struct out {
    double *rec, *obs, *dbl;
    int *regime;
    ckp_trace tr;
    size_t nrec, nobs, ndbl, nreg;
} out;

static int out_open(out *o, const ckp_layout *lay)
{
    const size_t T = (size_t)lay->T, S = (size_t)lay->S, M = (size_t)lay->M,
                 I = (size_t)lay->I;
    memset(o, 0, sizeof *o);
    o->nrec = lay->record;
    o->nobs = lay->obs_per_month * T;
    o->ndbl = T * (S * M + 10 * M + 3 * I);
    o->nreg = T * S;
    o->rec = calloc(o->nrec, sizeof(double));
    o->obs = calloc(o->nobs, sizeof(double));
    o->dbl = calloc(o->ndbl, sizeof(double));
    o->regime = calloc(o->nreg, sizeof(int));
    if (!o->rec || !o->obs || !o->dbl || !o->regime)
        return -1;
    double *b = o->dbl;
    o->tr.regime = o->regime;
    o->tr.block = b, b += T * S * M;
    double **mm[] = {&o->tr.gap,        &o->tr.supply,    &o->tr.ramp,  &o->tr.reroute,
                     &o->tr.release,    &o->tr.stock_days, &o->tr.shortfall, &o->tr.price,
                     &o->tr.cost};
    for (size_t k = 0; k < sizeof mm / sizeof mm[0]; k++)
        *mm[k] = b, b += T * M;
    o->tr.q0 = b, b += T * I;
    o->tr.inop = b, b += T * I;
    o->tr.loss = b;
    return 0;
}

static void out_close(out *o)
{
    free(o->rec);
    free(o->obs);
    free(o->dbl);
    free(o->regime);
}

static int out_same(const out *a, const out *b)
{
    return memcmp(a->rec, b->rec, sizeof(double) * a->nrec) == 0 &&
           memcmp(a->obs, b->obs, sizeof(double) * a->nobs) == 0 &&
           memcmp(a->dbl, b->dbl, sizeof(double) * a->ndbl) == 0 &&
           memcmp(a->regime, b->regime, sizeof(int) * a->nreg) == 0;
}

/* One path of one policy on a work that has seen nothing. */
static int fresh_path(const ckp_scenario *sc, const ckp_model *m, const ckp_prep *p,
                      const ckp_layout *lay, const double *u, out *o)
{
    ckp_work *w = NULL;
    ckp_error err;
    if (ckp_work_create(sc, &w, &err) != CKP_OK)
        return -1;
    ckp_sim_path(m, p, lay, w, u, o->rec, o->obs, &o->tr);
    ckp_work_free(w);
    return 0;
}

enum { NPOL = 8 };

/* `stamp`: 0 never stamps the uniforms (the caches compare contents); 1
 * stamps the buffer after every write into it (ckp_work_uniforms_new, as the
 * run does); 2 stamps it too, but some calls go through a copy of the buffer
 * that is never stamped (the caches must not take its uniforms for the
 * stamped ones, nor the other way round). */
static void test_shared_stages(int stamp)
{
    const int T = 36;
    ckp_model mods[NPOL];
    /* 0 baseline; 1-5 the fixture's policies (stockpile, spare, routes, cap,
     * rule); 6 other transitions of supplier 1; 7 another supplier
     * correlation; every one with other price parameters in 5. */
    for (int k = 0; k < NPOL; k++) {
        if (fx_model_default(&mods[k], T, k <= 5 ? k : 0) != 0) {
            check("fixture", 0);
            return;
        }
    }
    const int K = mods[0].K, S = mods[0].S;
    mods[6].P[(size_t)1 * K * K + 1] -= 0.01; /* row 0 of supplier 1 */
    mods[6].P[(size_t)1 * K * K + 2] += 0.01;
    mods[7].corr[1 * S + 2] = mods[7].corr[2 * S + 1] = 0.5;
    mods[5].sigma[0] = 0.2;

    ckp_scenario sc;
    fx_scenario_wrap(&sc, mods, NPOL);
    ckp_prep *prep[NPOL] = {0};
    ckp_work *w = NULL;
    ckp_error err;
    ckp_layout lay;
    ckp_layout_init(&lay, &mods[0]);
    out got, want;
    double *u = malloc(sizeof(double) * lay.uniforms);
    double *ucopy = malloc(sizeof(double) * lay.uniforms);
    int ok = u && ucopy && ckp_work_create(&sc, &w, &err) == CKP_OK &&
             out_open(&got, &lay) == 0 && out_open(&want, &lay) == 0;
    for (int k = 0; ok && k < NPOL; k++)
        ok = ckp_prep_create(&mods[k], &prep[k], &err) == CKP_OK;
    check("setup", ok);
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, 20260101u);
    const size_t D = (size_t)S + (size_t)S * mods[0].M + 3 * (size_t)mods[0].M;
    int same = 1, changed = 0;
    for (uint64_t path = 0; ok && path < 40; path++) {
        ckp_path_uniforms(&lay, &base, path, 0, u);
        if (stamp)
            ckp_work_uniforms_new(w, u);
        /* Orders vary so that every policy meets a cache filled by others. */
        for (int i = 0; i < NPOL + 3; i++) {
            const int k = (int)((i * 3 + path) % NPOL);
            if (i == NPOL) {
                /* Same regime uniforms, one severity uniform of month 0
                 * (supplier 1 starts in some regime: its blocks are read). */
                u[(size_t)S + S + 1 * mods[0].M] = 1.0 - u[(size_t)S + S + 1 * mods[0].M];
                changed++;
            } else if (i == NPOL + 1) {
                /* A regime uniform of a late month only. */
                u[(size_t)S + (size_t)(T - 1) * D + 1] = 0.999;
                changed++;
            }
            if (stamp && i >= NPOL)
                ckp_work_uniforms_new(w, u);
            const double *ui = u;
            if (stamp == 2 && (i + path) % 3 == 0) {
                /* The path through an unstamped buffer: the stamped
                 * buffer's contents, or from call NPOL / 2 on, other
                 * regime uniforms of supplier 1 (months 0 and 1). */
                memcpy(ucopy, u, sizeof(double) * lay.uniforms);
                if (i >= NPOL / 2)
                    for (int t = 0; t < 2; t++)
                        ucopy[(size_t)S + t * D + 1] = 1.0 - ucopy[(size_t)S + t * D + 1];
                ui = ucopy;
            }
            ckp_sim_path(&mods[k], prep[k], &lay, w, ui, got.rec, got.obs, &got.tr);
            if (fresh_path(&sc, &mods[k], prep[k], &lay, ui, &want) != 0) {
                ok = 0;
                break;
            }
            if (!out_same(&got, &want)) {
                fprintf(stderr, "  stamp %d: path %llu policy %d (call %d) differs\n", stamp,
                        (unsigned long long)path, k, i);
                same = 0;
            }
        }
    }
    static const char *const what[] = {
        "shared stages: every output as from a fresh work",
        "shared stages, uniforms stamped: every output as from a fresh work",
        "shared stages, stamped and unstamped buffers: every output as from a fresh work"};
    check(what[stamp], ok && same);
    check("uniform changes exercised", changed == 80);
    /* The cache must not hide a change: the changed severity uniform altered
     * some block fraction on at least one path (else this test proves little). */
    free(u);
    free(ucopy);
    for (int k = 0; k < NPOL; k++) {
        ckp_prep_free(prep[k]);
        fx_model_free(&mods[k]);
    }
    ckp_work_free(w);
    out_close(&got);
    out_close(&want);
}

/* The uniforms of ckp_path_uniforms_lazy, the severity ones through
 * ckp_sev_lazy_get, are ckp_path_uniforms' bit for bit: several shapes,
 * paths far apart, both members of antithetic pairs; the positions left
 * undrawn keep what they held. */
static void test_lazy_uniforms(void)
{
    static const int shapes[][3] = {{1, 1, 1}, {8, 5, 60}, {3, 7, 13}, {2, 1, 5}, {5, 2, 2}};
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, 99u);
    int ok = 1, compared = 0;
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0] && ok; c++) {
        ckp_layout lay;
        memset(&lay, 0, sizeof lay);
        lay.S = shapes[c][0], lay.M = shapes[c][1], lay.T = shapes[c][2];
        const size_t S = (size_t)lay.S, SM = S * lay.M, D = S + SM + 3 * (size_t)lay.M;
        lay.uniforms = S + (size_t)lay.T * D;
        double *want = malloc(sizeof(double) * lay.uniforms);
        double *got = malloc(sizeof(double) * lay.uniforms);
        ckp_rng_skip skip;
        ckp_sev_lazy lz = {&skip, malloc(sizeof(ckp_u128) * (size_t)lay.T), 0};
        ok = want && got && lz.st && ckp_rng_skip_init(&skip, &base, SM) == 0;
        static const uint64_t paths[] = {0, 1, 2, 3, 1000001, (uint64_t)1 << 40};
        for (size_t k = 0; ok && k < sizeof paths / sizeof paths[0]; k++)
            for (int anti = 0; anti <= 1; anti++) {
                ckp_path_uniforms(&lay, &base, paths[k], anti, want);
                for (size_t i = 0; i < lay.uniforms; i++)
                    got[i] = -1.0;
                ckp_path_uniforms_lazy(&lay, &base, paths[k], anti, got, &lz);
                for (size_t i = 0; i < lay.uniforms; i++) {
                    const size_t t = i < S ? 0 : (i - S) / D, o = i < S ? 0 : (i - S) % D;
                    const int sev = i >= S && o >= S && o < S + SM;
                    const double v = sev ? ckp_sev_lazy_get(&lz, (int)t, o - S) : got[i];
                    if (memcmp(&v, &want[i], sizeof v) != 0 || (sev && got[i] != -1.0)) {
                        fprintf(stderr, "  lazy uniforms: shape %zu path %llu anti %d at %zu\n", c,
                                (unsigned long long)paths[k], anti, i);
                        ok = 0;
                        break;
                    }
                    compared++;
                }
            }
        free(want);
        free(got);
        free(lz.st);
        ckp_rng_skip_free(&skip);
    }
    check("lazy severity uniforms: the bits of ckp_path_uniforms", ok && compared > 0);
}

/* A severity uniform change shows up in the blocks (guards the test above). */
static void test_severity_change_visible(void)
{
    ckp_model m;
    if (fx_model_default(&m, 12, 0) != 0) {
        check("fixture", 0);
        return;
    }
    ckp_scenario sc;
    fx_scenario_wrap(&sc, &m, 1);
    ckp_prep *p = NULL;
    ckp_work *w = NULL;
    ckp_error err;
    ckp_layout lay;
    ckp_layout_init(&lay, &m);
    out a, b;
    double *u = malloc(sizeof(double) * lay.uniforms);
    int ok = u && ckp_prep_create(&m, &p, &err) == CKP_OK &&
             ckp_work_create(&sc, &w, &err) == CKP_OK && out_open(&a, &lay) == 0 &&
             out_open(&b, &lay) == 0;
    check("setup 2", ok);
    int differ = 0;
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, 7u);
    const int S = m.S, M = m.M, K = m.K;
    for (uint64_t path = 0; ok && path < 200 && !differ; path++) {
        ckp_path_uniforms(&lay, &base, path, 0, u);
        ckp_sim_path(&m, p, &lay, w, u, a.rec, a.obs, &a.tr);
        /* Supplier 1's month-0 severity uniforms: read when its first regime
         * has triangular blocks. */
        if (a.regime[1] == 0 || a.regime[1] == K - 1)
            continue;
        for (int j = 0; j < M; j++)
            u[(size_t)S + S + 1 * M + j] = 0.5 * u[(size_t)S + S + 1 * M + j];
        ckp_sim_path(&m, p, &lay, w, u, b.rec, b.obs, &b.tr);
        differ = memcmp(a.tr.block, b.tr.block, sizeof(double) * (size_t)S * M) != 0;
    }
    check("a severity uniform change reaches the blocks through the cache", differ);
    free(u);
    ckp_prep_free(p);
    ckp_work_free(w);
    out_close(&a);
    out_close(&b);
    fx_model_free(&m);
}

/* Cumulative sums as the contract defines them (left to right). */
static void cumul(const double *row, int K, double *cum, int *last)
{
    double s = 0.0;
    *last = K - 1;
    for (int j = 0; j < K; j++) {
        s += row[j];
        cum[j] = s;
        if (row[j] > 0.0)
            *last = j;
    }
}

static void test_copula_brackets(void)
{
    enum { K = 4, NULP = 12 };
    const int S = 2, M = 1, I = 1, T = 4000;
    static const double P[K * K] = {
        0.0, 0.5, 0.3, 0.2,                 /* leading zero */
        0.999999999999, 1e-12, 0.0, 0.0,    /* within 1e-12 of 1 */
        0.25, 0.25, 0.25, 0.25,             /* sums reach 1 exactly */
        0.1, 0.2, 0.3, 0.4,
    };
    const int nr = 1, cnt = 1, ex = 1;
    const double sh = 1.0;
    ckp_model m;
    if (fx_model_alloc(&m, S, K, M, I, T, &nr, &sh, &cnt, &ex) != 0) {
        check("fixture 3", 0);
        return;
    }
    for (int s = 0; s < S; s++)
        memcpy(m.P + (size_t)s * K * K, P, sizeof P);
    m.corr_identity = 0;
    m.corr[1] = m.corr[2] = 0.6;
    ckp_scenario sc;
    fx_scenario_wrap(&sc, &m, 1);
    ckp_prep *p = NULL;
    ckp_work *w = NULL;
    ckp_error err;
    ckp_layout lay;
    ckp_layout_init(&lay, &m);
    out o;
    double *u = calloc(lay.uniforms, sizeof(double));
    int *want = calloc((size_t)T, sizeof(int));
    int ok = u && want && ckp_prep_create(&m, &p, &err) == CKP_OK &&
             ckp_work_create(&sc, &w, &err) == CKP_OK && out_open(&o, &lay) == 0;
    check("setup 3", ok);
    if (!ok)
        goto done;
    double cum[K * K];
    int last[K];
    for (int k = 0; k < K; k++)
        cumul(P + k * K, K, cum + k * K, &last[k]);
    /* Offsets of u from the probability it is placed at: on it, 1-12 ulps either
     * side (where Phi(Phi^-1(u)) and u may round apart), and relative steps through the bracket's edge (1e-6 in a is a
     * relative step of about 1e-6 phi/Phi in u) and beyond. */
    static const double rel[] = {0,     1e-15, -1e-15, 1e-12, -1e-12, 1e-9,  -1e-9,
                                 3e-8,  -3e-8, 1e-7,   -1e-7, 4e-7,   -4e-7, 1e-6,
                                 -1e-6, 3e-6,  -3e-6,  1e-5,  -1e-5,  1e-3,  -1e-3};
    const int nrel = (int)(sizeof rel / sizeof rel[0]);
    const size_t D = (size_t)S + (size_t)S * M + 3 * (size_t)M;
    for (size_t k = 0; k < lay.uniforms; k++)
        u[k] = 0.5;
    u[0] = 0.3; /* supplier 0 starts in regime 0 (initial distribution: regime 0) */
    int k0 = 0, inside = 0;
    for (int t = 0; t < T; t++) {
        /* Supplier 0's a = 1 * Phi^-1(u) exactly (first row of the factor). */
        const int j = t % K, r = (t / K) % (nrel + 2 * NULP);
        double c = cum[k0 * K + j], v = c;
        if (r >= nrel) {
            /* 1..NULP ulps either side */
            const int n = r - nrel;
            for (int q = 0; q <= n % NULP; q++)
                v = nextafter(v, n < NULP ? 0.0 : 2.0);
        } else {
            v = c * (1.0 + rel[r]);
        }
        if (!(v > 0.0))
            v = 1e-300;
        if (!(v < 1.0))
            v = nextafter(1.0, 0.0);
        u[(size_t)S + (size_t)t * D] = v;
        u[(size_t)S + (size_t)t * D + 1] = 0.5 + 0.4 * sin(t);
        const double a = ckp_norm_inv(v);
        const double phi = ckp_norm_cdf(a);
        inside += fabs(phi - c) < 1e-9;
        int kn = last[k0];
        for (int i = 0; i < K; i++)
            if (phi <= cum[k0 * K + i]) {
                kn = i;
                break;
            }
        want[t] = kn;
        k0 = kn;
    }
    ckp_sim_path(&m, p, &lay, w, u, o.rec, o.obs, &o.tr);
    int same = 1;
    for (int t = 0; t < T; t++)
        if (o.regime[(size_t)t * S] != want[t]) {
            fprintf(stderr, "  month %d: regime %d, Phi says %d\n", t, o.regime[(size_t)t * S],
                    want[t]);
            same = 0;
        }
    check("copula decisions as with Phi evaluated", same);
    check("decisions near the thresholds exercised", inside > T / 4);
    out_close(&o);
done:
    free(u);
    free(want);
    ckp_prep_free(p);
    ckp_work_free(w);
    fx_model_free(&m);
}

static void test_radius_and_sharing(void)
{
    /* Norm bound: row sums 0.7, 0.4; column sums 0.3, 0.8 -> 0.7. */
    const double a[4] = {0.2, 0.5, 0.1, -0.3};
    check("norm bound", ckp_linalg_norm_bound(a, 2) == 0.7);
    const double bad[4] = {0.2, NAN, 0.1, 0.3};
    check("norm bound of NaN is inf", isinf(ckp_linalg_norm_bound(bad, 2)));
    check("0.7 proves", ckp_linalg_norm_proves_stable(0.7, 2));
    check("1 does not", !ckp_linalg_norm_proves_stable(1.0, 2));
    check("1 - 1e-17 does not", !ckp_linalg_norm_proves_stable(nextafter(1.0, 0.0), 4));

    const int nr = 1, cnt = 1, ex = 0;
    const double sh = 1.0;
    ckp_model m[3];
    for (int k = 0; k < 3; k++)
        if (fx_model_alloc(&m[k], 1, 1, 1, 2, 2, &nr, &sh, &cnt, &ex) != 0) {
            check("fixture 4", 0);
            return;
        }
    ckp_error err;
    ckp_prep *p[3] = {0};
    /* Norm 1.5 in both norms, radius sqrt(0.15): only the eigen solver accepts. */
    m[0].Astar[1] = 1.5;
    m[0].Astar[2] = 0.1;
    check("dgeev path accepted", ckp_prep_create(&m[0], &p[0], &err) == CKP_OK);
    if (p[0])
        check("dgeev path radius", fabs(ckp_prep_spectral_radius(p[0]) - sqrt(0.15)) < 1e-14);
    ckp_prep_free(p[0]);
    p[0] = NULL;
    /* Bound 0.6 < 1: reported as the radius (an upper bound of 0.3). */
    m[0].Astar[1] = 0.6;
    m[0].Astar[2] = 0.15;
    m[1].Astar[1] = 0.6;
    m[1].Astar[2] = 0.15;
    m[2].Astar[1] = 0.6;
    m[2].Astar[2] = 0.25;
    int ok = ckp_prep_create(&m[0], &p[0], &err) == CKP_OK &&
             ckp_prep_create_like(&m[1], &m[0], p[0], &p[1], &err) == CKP_OK &&
             ckp_prep_create_like(&m[2], &m[0], p[0], &p[2], &err) == CKP_OK;
    check("preps", ok);
    if (ok) {
        check("bound reported", ckp_prep_spectral_radius(p[0]) == 0.6);
        check("same A*: one inverse", ckp_prep_leontief(p[1]) == ckp_prep_leontief(p[0]));
        check("other A*: its own", ckp_prep_leontief(p[2]) != ckp_prep_leontief(p[0]));
        /* (I - A)^-1 of [[0, .6], [.25, 0]]: 1 / (1 - .15) on the diagonal. */
        check("other A*: its inverse", fabs(ckp_prep_leontief(p[2])[0] - 1.0 / 0.85) < 1e-14);
    }
    /* Freed in creation order: the shared inverse outlives the first owner. */
    ckp_prep_free(p[0]);
    if (p[1])
        check("shared inverse after the baseline's prep is gone",
              fabs(ckp_prep_leontief(p[1])[0] - 1.0 / 0.91) < 1e-14);
    ckp_prep_free(p[1]);
    ckp_prep_free(p[2]);
    /* A radius >= 1 is still refused through the eigen solver. */
    m[0].Astar[1] = 2.0;
    m[0].Astar[2] = 0.5;
    p[0] = NULL;
    check("radius 1 refused", ckp_prep_create(&m[0], &p[0], &err) == CKP_ERR_NUMERIC);
    for (int k = 0; k < 3; k++)
        fx_model_free(&m[k]);
}

int main(void)
{
    test_radius_and_sharing();
    test_shared_stages(0);
    test_shared_stages(1);
    test_shared_stages(2);
    test_lazy_uniforms();
    test_severity_change_visible();
    test_copula_brackets();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("simopt: all passed\n");
    return 0;
}
