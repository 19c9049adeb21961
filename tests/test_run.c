/* chokepoint tests: run orchestration (engine/run/: plan.c, step.c, result.c).
 *
 * The heart of it is reproducibility: a hash over every per-path record of
 * every policy, the exact per-month sums and the histograms must not move by a
 * bit with the thread count, the batch size, or a split of the path range into
 * two runs that are merged. The per-month figures are also recomputed here
 * serially, path by path, straight from ckp_sim_path, so the accumulation is
 * checked against an independent computation and not only against itself. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "engine/run/run_impl.h"
#include "engine/scenario/scenario_impl.h"

#include "check.h"
#include "engine/sim/sim_impl.h"

/* A small scenario with stochastic prices, two materials and three policies:
 * `same` changes a number to the value it already has (so it must give the
 * baseline's results exactly), `stockpile` really changes something. */
static const char fixture[] =
    "version: 1\n"
    "name: run-fixture\n"
    "importer: KR\n"
    "currency: USD\n"
    "horizon_months: 18\n"
    "paths: 50\n"
    "seed: 7\n"
    "regimes: [open, restricted]\n"
    "suppliers:\n"
    "  - name: CN\n"
    "    initial: open\n"
    "    transitions:\n"
    "      open: [0.85, 0.15]\n"
    "      restricted: [0.30, 0.70]\n"
    "    block:\n"
    "      restricted:\n"
    "        NdPr: {min: 0.3, mode: 0.5, max: 0.9}\n"
    "        DyTb: {min: 0.5, mode: 0.8, max: 1.0}\n"
    "  - name: AU\n"
    "    initial: open\n"
    "    transitions:\n"
    "      open: [0.97, 0.03]\n"
    "      restricted: [0.5, 0.5]\n"
    "    block:\n"
    "      restricted:\n"
    "        NdPr: 0.5\n"
    "materials:\n"
    "  - name: NdPr\n"
    "    routes:\n"
    "      - path: [CN]\n"
    "        share: 0.7\n"
    "      - path: [AU, CN]\n"
    "        share: 0.3\n"
    "    spare: {AU: 0.1}\n"
    "    ramp: {up_months: 6, down_months: 3}\n"
    "    stockpile: {days: 52, target_days: 100, max_release: 0.5, trigger: 0.0, refill: 0.1}\n"
    "    price: {base: 56.0, volume: 1000.0, elasticity: 0.3, cap: 20.0, phi: 0.8, sigma: 0.1,"
    " jump_prob: 0.05, jump_mean: 0.2, jump_sd: 0.1}\n"
    "  - name: DyTb\n"
    "    routes:\n"
    "      - path: [CN]\n"
    "        share: 1.0\n"
    "    spare: {AU: 0.05}\n"
    "    ramp: {up_months: 12, down_months: 6}\n"
    "    stockpile: {days: 30, target_days: 60, max_release: 0.3, trigger: 0.05, refill: 0.05}\n"
    "    price: {base: 300.0, volume: 50.0, elasticity: 0.2, cap: 10.0, sigma: 0.05}\n"
    "industries:\n"
    "  - name: autos\n"
    "    output: 1.0e11\n"
    "    criticality: {NdPr: 0.3, DyTb: 0.2}\n"
    "  - name: wind\n"
    "    output: 2.0e10\n"
    "    criticality: {NdPr: 0.5, DyTb: 0.4}\n"
    "interdependency: {matrix: [[0.0, 0.1], [0.2, 0.0]]}\n"
    "policies:\n"
    "  - name: same\n"
    "    changes:\n"
    "      materials:\n"
    "        - {name: NdPr, stockpile: {days: 52}}\n"
    "  - name: stockpile\n"
    "    annual_cost: 1.0e7\n"
    "    changes:\n"
    "      materials:\n"
    "        - {name: NdPr, stockpile: {days: 150, target_days: 150}}\n";

/* FNV-1a, 64 bit, over raw bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define FNV0 0xcbf29ce484222325ULL

typedef struct outcome {
    ckp_run_result *r;
    ckp_memsink *ms;
    uint64_t hash;
} outcome;

static uint64_t hash_outcome(const ckp_run_result *r, const ckp_memsink *ms)
{
    uint64_t h = FNV0;
    for (int k = 0; k < ms->npol; k++)
        h = fnv(h, ms->records[k], (size_t)ms->paths * ms->record * sizeof(double));
    if (r->month_stats) {
        size_t cells = (size_t)r->npol * (size_t)r->lay.T * r->lay.obs_per_month;
        h = fnv(h, r->month_sum, cells * sizeof *r->month_sum);
        h = fnv(h, r->hist, cells * CKP_HIST_BINS * sizeof *r->hist);
    }
    return h;
}

static int do_run(const ckp_scenario *sc, const ckp_run_options *o, outcome *out)
{
    ckp_error err;
    ckp_error_clear(&err);
    out->ms = ckp_memsink_create();
    out->r = NULL;
    ckp_status st = ckp_run(sc, o, &out->ms->sink, &out->r, &err);
    if (st != CKP_OK) {
        fprintf(stderr, "run failed: %s\n", err.message);
        failures++;
        ckp_memsink_free(out->ms);
        out->ms = NULL;
        return -1;
    }
    out->hash = hash_outcome(out->r, out->ms);
    return 0;
}

static void outcome_free(outcome *o)
{
    ckp_run_result_free(o->r);
    ckp_memsink_free(o->ms);
}

/* Same bits for 1, 2 and 7 threads and batch sizes 1, 7 and 1000. */
static void test_invariance(const ckp_scenario *sc, const char *label, int64_t paths,
                            int antithetic)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = paths;
    o.seed = 12345;
    o.antithetic = antithetic;
    o.threads = 1;
    o.batch = 1000;
    outcome ref;
    if (do_run(sc, &o, &ref))
        return;
    CHECK(ref.ms->paths == paths, "%s: sink saw %lld paths", label, (long long)ref.ms->paths);
    static const int threads[] = {1, 2, 7};
    static const int64_t batches[] = {1, 7, 1000};
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 3; b++) {
            o.threads = threads[a];
            o.batch = batches[b];
            outcome x;
            if (do_run(sc, &o, &x))
                continue;
            CHECK(x.hash == ref.hash, "%s: threads %d batch %lld: hash %016llx != %016llx",
                  label, threads[a], (long long)batches[b], (unsigned long long)x.hash,
                  (unsigned long long)ref.hash);
            size_t cells = (size_t)x.r->npol * (size_t)x.r->lay.T * x.r->lay.obs_per_month;
            CHECK(!memcmp(x.r->month_mean, ref.r->month_mean, cells * sizeof(double)),
                  "%s: month means differ (threads %d batch %lld)", label, threads[a],
                  (long long)batches[b]);
            outcome_free(&x);
        }
    outcome_free(&ref);
}

/* [0, N) equals [0, N/2) + [N/2, N): records concatenated, sums merged. */
static void test_split(const ckp_scenario *sc, int64_t n, int antithetic)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.seed = 99;
    o.threads = 2;
    o.antithetic = antithetic;
    o.paths = n;
    outcome whole, a, b;
    if (do_run(sc, &o, &whole))
        return;
    o.paths = n / 2;
    if (do_run(sc, &o, &a)) {
        outcome_free(&whole);
        return;
    }
    o.first_path = n / 2;
    o.paths = n - n / 2;
    o.threads = 7;
    o.batch = 3;
    if (do_run(sc, &o, &b)) {
        outcome_free(&whole);
        outcome_free(&a);
        return;
    }
    ckp_error err;
    ckp_error_clear(&err);
    CHECK(ckp_run_result_merge(a.r, b.r, &err) == CKP_OK, "merge: %s", err.message);
    CHECK(a.r->paths == n && a.r->first_path == 0, "merged range %lld+%lld",
          (long long)a.r->first_path, (long long)a.r->paths);
    size_t rec = whole.ms->record;
    for (int k = 0; k < whole.ms->npol; k++) {
        size_t na = (size_t)a.ms->paths * rec;
        CHECK(!memcmp(whole.ms->records[k], a.ms->records[k], na * sizeof(double)),
              "split: first half of policy %d differs", k);
        CHECK(!memcmp(whole.ms->records[k] + na, b.ms->records[k],
                      (size_t)b.ms->paths * rec * sizeof(double)),
              "split: second half of policy %d differs", k);
    }
    size_t cells = (size_t)whole.r->npol * (size_t)whole.r->lay.T * whole.r->lay.obs_per_month;
    CHECK(!memcmp(whole.r->month_sum, a.r->month_sum, cells * sizeof(ckp_fix)),
          "split: merged month sums differ");
    CHECK(!memcmp(whole.r->hist, a.r->hist, cells * CKP_HIST_BINS * sizeof(uint64_t)),
          "split: merged histograms differ");
    CHECK(!memcmp(whole.r->month_mean, a.r->month_mean, cells * sizeof(double)),
          "split: merged month means differ");

    /* A merge of ranges that do not touch is refused. */
    CHECK(ckp_run_result_merge(whole.r, b.r, &err) == CKP_ERR_USAGE,
          "non-adjacent merge accepted");
    outcome_free(&whole);
    outcome_free(&a);
    outcome_free(&b);
}

/* The run's per-month sums and histograms against a serial recomputation. */
static void test_month_stats(const ckp_scenario *sc)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = 40;
    o.seed = 5;
    o.threads = 2;
    o.batch = 6;
    outcome x;
    if (do_run(sc, &o, &x))
        return;
    const ckp_run_result *r = x.r;
    const ckp_layout *lay = &r->lay;
    size_t block = (size_t)lay->T * lay->obs_per_month;
    size_t cells = (size_t)r->npol * block;
    ckp_fix *sum = calloc(cells, sizeof *sum);
    uint64_t *hist = calloc(cells * CKP_HIST_BINS, sizeof *hist);
    double *u = malloc(lay->uniforms * sizeof *u);
    double *obs = malloc(block * sizeof *obs);
    double *record = malloc(lay->record * sizeof *record);
    ckp_work *w = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    CHECK(ckp_work_create(sc, &w, &err) == CKP_OK, "work: %s", err.message);
    for (int k = 0; k < r->npol && w; k++) {
        const ckp_model *m = &sc->models[r->policy[k]];
        ckp_prep *prep = NULL;
        if (ckp_prep_create(m, &prep, &err) != CKP_OK) {
            CHECK(0, "prep: %s", err.message);
            continue;
        }
        for (int64_t p = 0; p < o.paths; p++) {
            ckp_path_uniforms(lay, &r->base, (uint64_t)p, 0, u);
            ckp_sim_path(m, prep, lay, w, u, record, obs, NULL);
            CHECK(!memcmp(record, x.ms->records[k] + (size_t)p * lay->record,
                          lay->record * sizeof(double)),
                  "policy %d path %lld: record differs from a direct simulation", k,
                  (long long)p);
            for (size_t c = 0; c < block; c++) {
                size_t o_ = c % lay->obs_per_month;
                int bin;
                if (o_ >= lay->obs_pi && o_ < lay->obs_pi + (size_t)lay->M) {
                    bin = ckp_hist_bin_price(obs[c], m->cap[o_ - lay->obs_pi]);
                } else if (o_ >= lay->obs_L && o_ < lay->obs_L + (size_t)lay->M) {
                    size_t j = o_ - lay->obs_L;
                    double lmax = fmax(m->stock0[j], m->target[j]) * CKP_DAYS_PER_MONTH;
                    bin = ckp_hist_bin_stock(obs[c], lmax);
                } else {
                    bin = ckp_hist_bin_unit(obs[c]);
                }
                ckp_fix_add_double(&sum[(size_t)k * block + c], obs[c]);
                hist[((size_t)k * block + c) * CKP_HIST_BINS + (size_t)bin]++;
            }
        }
        ckp_prep_free(prep);
    }
    CHECK(!memcmp(sum, r->month_sum, cells * sizeof *sum), "month sums differ from serial");
    CHECK(!memcmp(hist, r->hist, cells * CKP_HIST_BINS * sizeof *hist),
          "histograms differ from serial");
    /* Every (policy, month, observable) histogram counts every path once, and
     * the means are the sums over the number of paths. */
    int bad_total = 0, bad_mean = 0;
    for (size_t c = 0; c < cells; c++) {
        uint64_t t = 0;
        for (int b = 0; b < CKP_HIST_BINS; b++)
            t += r->hist[c * CKP_HIST_BINS + (size_t)b];
        bad_total += t != (uint64_t)o.paths;
        bad_mean += r->month_mean[c] != ckp_fix_to_double(&r->month_sum[c]) / (double)o.paths;
    }
    CHECK(bad_total == 0, "%d histograms do not count every path", bad_total);
    CHECK(bad_mean == 0, "%d month means are not sum / paths", bad_mean);
    /* The upper edges are those of stats.h for each kind. */
    double edges[CKP_HIST_BINS];
    const ckp_model *m0 = &sc->models[0];
    ckp_hist_edges_price(m0->cap[0], edges);
    CHECK(!memcmp(edges, r->hist_upper + lay->obs_pi * CKP_HIST_BINS, sizeof edges),
          "price edges of policy 0 material 0");
    ckp_hist_edges_unit(edges);
    CHECK(!memcmp(edges, r->hist_upper + lay->obs_x * CKP_HIST_BINS, sizeof edges),
          "unit edges of policy 0");
    ckp_work_free(w);
    free(sum);
    free(hist);
    free(u);
    free(obs);
    free(record);
    outcome_free(&x);
}

/* Antithetic pairs: path 2j+1 uses 1 - u of path 2j; even paths are the plain
 * paths; the standard error comes from the pair means. */
static void test_antithetic(const ckp_scenario *sc)
{
    ckp_layout lay;
    ckp_layout_init(&lay, &sc->models[0]);
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, 2024);
    double *u0 = malloc(lay.uniforms * sizeof *u0);
    double *u1 = malloc(lay.uniforms * sizeof *u1);
    double *v = malloc(lay.uniforms * sizeof *v);
    for (uint64_t j = 0; j < 5; j++) {
        ckp_path_uniforms(&lay, &base, 2 * j, 1, u0);
        ckp_path_uniforms(&lay, &base, 2 * j + 1, 1, u1);
        ckp_path_uniforms(&lay, &base, 2 * j, 0, v);
        int bad = 0;
        for (size_t i = 0; i < lay.uniforms; i++)
            bad += u1[i] != 1.0 - u0[i] || u0[i] != v[i];
        CHECK(bad == 0, "pair %llu: %d uniforms are not antithetic", (unsigned long long)j, bad);
    }
    free(u0);
    free(u1);
    free(v);

    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = 30;
    o.seed = 2024;
    o.threads = 2;
    o.batch = 5; /* odd: the run must round it so pairs stay together */
    outcome anti, plain;
    o.antithetic = 1;
    if (do_run(sc, &o, &anti))
        return;
    o.antithetic = 0;
    if (do_run(sc, &o, &plain)) {
        outcome_free(&anti);
        return;
    }
    size_t rec = anti.ms->record;
    int same_even = 1, differ_odd = 0;
    for (int64_t p = 0; p < o.paths; p++) {
        int eq = !memcmp(anti.ms->records[0] + (size_t)p * rec,
                         plain.ms->records[0] + (size_t)p * rec, rec * sizeof(double));
        if (p % 2 == 0)
            same_even &= eq;
        else
            differ_odd += !eq;
    }
    CHECK(same_even, "antithetic even paths differ from the plain run");
    CHECK(differ_odd > 0, "antithetic odd paths equal the plain run");

    /* se from pairs: sd(pair means) / sqrt(pairs). */
    size_t n = (size_t)o.paths;
    double *loss = malloc(n * sizeof *loss);
    ckp_memsink_column(anti.ms, 0, anti.r->lay.offset[CKP_M_LOSS_TOTAL], loss);
    double mean = 0, ss = 0;
    size_t np = n / 2;
    for (size_t j = 0; j < np; j++)
        mean += 0.5 * (loss[2 * j] + loss[2 * j + 1]);
    mean /= (double)np;
    for (size_t j = 0; j < np; j++) {
        double d = 0.5 * (loss[2 * j] + loss[2 * j + 1]) - mean;
        ss += d * d;
    }
    double se = sqrt(ss / (double)(np - 1)) / sqrt((double)np);
    ckp_summary s;
    ckp_error err;
    ckp_error_clear(&err);
    CHECK(ckp_summary_compute(loss, n, 1, NULL, &s, &err) == CKP_OK, "summary: %s", err.message);
    CHECK(fabs(s.se - se) <= 1e-12 * fabs(se) + 1e-300, "antithetic se %.17g != %.17g", s.se,
          se);
    free(loss);
    outcome_free(&anti);
    outcome_free(&plain);

    /* An odd range is refused. */
    o.antithetic = 1;
    o.paths = 9;
    ckp_run_result *r = NULL;
    CHECK(ckp_run(sc, &o, NULL, &r, &err) == CKP_ERR_USAGE && !r, "odd antithetic accepted");
}

/* Common random numbers: a policy identical to the baseline gives a zero
 * benefit on every path; the baseline's records do not depend on which other
 * policies run; the baseline is always added and comes first. */
static void test_policies(const ckp_scenario *sc)
{
    int same = ckp_scenario_policy_index(sc, "same");
    int stock = ckp_scenario_policy_index(sc, "stockpile");
    CHECK(same > 0 && stock > 0, "fixture policies missing (%d, %d)", same, stock);
    if (same <= 0 || stock <= 0)
        return;
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = 40;
    int pol[] = {stock, same, stock};
    o.policies = pol;
    o.npolicies = 3;
    outcome x;
    if (do_run(sc, &o, &x))
        return;
    CHECK(x.r->npol == 3 && x.r->policy[0] == 0 && x.r->policy[1] == stock &&
              x.r->policy[2] == same,
          "policy order: npol %d", x.r->npol);
    size_t n = (size_t)o.paths, j = x.r->lay.offset[CKP_M_LOSS_TOTAL];
    double *base = malloc(n * sizeof *base), *pst = malloc(n * sizeof *pst),
           *psame = malloc(n * sizeof *psame);
    ckp_memsink_column(x.ms, 0, j, base);
    ckp_memsink_column(x.ms, 1, j, pst);
    ckp_memsink_column(x.ms, 2, j, psame);
    ckp_benefit b;
    ckp_error err;
    ckp_error_clear(&err);
    CHECK(ckp_benefit_compute(base, psame, n, 0, 0, 0.0, x.r->lay.T, NULL, &b, &err) == CKP_OK,
          "benefit: %s", err.message);
    CHECK(b.mean == 0.0 && b.se == 0.0 && b.p_positive == 0.0,
          "identical policy: benefit %g se %g P %g", b.mean, b.se, b.p_positive);
    CHECK(!memcmp(x.ms->records[0], x.ms->records[2], n * x.ms->record * sizeof(double)),
          "identical policy: records differ from the baseline");
    double dsum = 0;
    for (size_t p = 0; p < n; p++)
        dsum += fabs(base[p] - pst[p]);
    CHECK(dsum > 0, "the stockpile policy changes nothing on 40 paths");
    /* Month sums of `same` equal the baseline's. */
    size_t block = (size_t)x.r->lay.T * x.r->lay.obs_per_month;
    CHECK(!memcmp(x.r->month_sum, x.r->month_sum + 2 * block, block * sizeof(ckp_fix)),
          "identical policy: month sums differ");

    /* Baseline alone: same baseline records. */
    int only0[] = {0};
    o.policies = only0;
    o.npolicies = 1;
    outcome y;
    if (!do_run(sc, &o, &y)) {
        CHECK(y.r->npol == 1, "baseline-only npol %d", y.r->npol);
        CHECK(!memcmp(y.ms->records[0], x.ms->records[0], n * x.ms->record * sizeof(double)),
              "baseline records depend on the other policies");
        outcome_free(&y);
    }
    int badpol[] = {sc->npolicies};
    o.policies = badpol;
    ckp_run_result *r = NULL;
    CHECK(ckp_run(sc, &o, NULL, &r, &err) == CKP_ERR_USAGE && !r, "bad policy index accepted");
    free(base);
    free(pst);
    free(psame);
    outcome_free(&x);
}

static void test_fix(void)
{
    ckp_fix a = {0, 0};
    ckp_fix_add_double(&a, 1.5);
    CHECK(a.hi == 1 && a.lo == 0x8000000000000000ULL, "1.5 -> %lld:%llx", (long long)a.hi,
          (unsigned long long)a.lo);
    ckp_fix b = {0, 0};
    ckp_fix_add_double(&b, -1.5);
    CHECK(b.hi == -2 && b.lo == 0x8000000000000000ULL, "-1.5 -> %lld:%llx", (long long)b.hi,
          (unsigned long long)b.lo);
    ckp_fix_add(&a, &b);
    CHECK(a.hi == 0 && a.lo == 0, "1.5 - 1.5 != 0");
    /* 2^-64 is the last bit kept; below it, truncation toward zero. */
    ckp_fix c = {0, 0};
    ckp_fix_add_double(&c, ldexp(1.0, -64));
    CHECK(c.hi == 0 && c.lo == 1, "2^-64 -> %llx", (unsigned long long)c.lo);
    ckp_fix_add_double(&c, ldexp(1.0, -70));
    ckp_fix_add_double(&c, -ldexp(1.0, -70));
    CHECK(c.hi == 0 && c.lo == 1, "tiny values are not truncated to 0");
    ckp_fix_add_double(&c, -ldexp(3.0, -65)); /* -1.5 * 2^-64 -> -1 */
    CHECK(c.hi == 0 && c.lo == 0, "negative truncation is not toward zero");
    /* Large and exact: 2^40 + 2^-30 keeps both bits. */
    ckp_fix d = {0, 0};
    ckp_fix_add_double(&d, ldexp(1.0, 40) + ldexp(1.0, -12));
    CHECK(d.hi == (int64_t)1 << 40 && d.lo == (uint64_t)1 << 52, "2^40 + 2^-12");
    CHECK(ckp_fix_to_double(&d) == ldexp(1.0, 40) + ldexp(1.0, -12), "to_double");
    /* Order does not matter: forward and backward sums are the same bits, and
     * close to the exact value. */
    ckp_fix f = {0, 0}, g = {0, 0};
    double vals[200];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 200; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        vals[i] = ((double)(x >> 11) * 0x1p-53 - 0.3) * 1000.0;
    }
    for (int i = 0; i < 200; i++)
        ckp_fix_add_double(&f, vals[i]);
    for (int i = 199; i >= 0; i--)
        ckp_fix_add_double(&g, vals[i]);
    CHECK(f.hi == g.hi && f.lo == g.lo, "fixed-point sum depends on order");
    long double ref = 0;
    for (int i = 0; i < 200; i++)
        ref += vals[i];
    CHECK(fabsl((long double)ckp_fix_to_double(&f) - ref) <= 1e-12L * fabsl(ref),
          "sum %.17g vs %.17Lg", ckp_fix_to_double(&f), ref);
}

static void test_bad_options(const ckp_scenario *sc)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    ckp_error err;
    ckp_run_result *r = NULL;
    o.paths = 0;
    CHECK(ckp_run(sc, &o, NULL, &r, &err) == CKP_ERR_USAGE && !r, "0 paths accepted");
    o.paths = 10;
    o.first_path = -1;
    CHECK(ckp_run(sc, &o, NULL, &r, &err) == CKP_ERR_USAGE && !r, "negative first path");
    o.first_path = INT64_MAX - 5;
    CHECK(ckp_run(sc, &o, NULL, &r, &err) == CKP_ERR_USAGE && !r, "overflowing range");
    o.first_path = 0;
    o.batch = -3;
    CHECK(ckp_run(sc, &o, NULL, &r, &err) == CKP_ERR_USAGE && !r, "negative batch");
}

int main(void)
{
    ckp_error err;
    ckp_error_clear(&err);
    ckp_scenario *fx = NULL, *def = NULL;
    if (ckp_scenario_load_string(fixture, sizeof fixture - 1, "<run fixture>", NULL, &fx,
                                 &err) != CKP_OK) {
        fprintf(stderr, "fixture: %s\n", err.message);
        return 1;
    }
    if (ckp_scenario_load_default(&def, &err) != CKP_OK) {
        fprintf(stderr, "default scenario: %s\n", err.message);
        ckp_scenario_free(fx);
        return 1;
    }
    test_fix();
    test_invariance(fx, "fixture", 153, 0); /* > 64 staged paths per thread */
    test_invariance(fx, "fixture antithetic", 40, 1);
    test_invariance(def, "default", 40, 0); /* > 28 staged paths */
    test_split(fx, 61, 0);
    test_split(def, 20, 0);
    test_split(fx, 40, 1);
    test_month_stats(fx);
    test_antithetic(fx);
    test_policies(fx);
    test_bad_options(fx);
    ckp_scenario_free(fx);
    ckp_scenario_free(def);
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("test_run: all checks passed\n");
    return 0;
}
