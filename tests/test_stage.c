/* Unit test of the staging of the per-month statistics (engine/run/stage.c,
 * stage_avx2.c): both the AVX2 loop (where the CPU has it) and the portable
 * one must count exactly the bins of the exact binner (hist.c) and sum exactly
 * what ckp_fix_add_double sums, on observables made to hit every special
 * case: +-0, subnormals, negative values, values exactly on a bin edge and one
 * ulp either side, tiny values below 2^-64, values at the top of the limbs'
 * range and above it (the slow path), infinities and NaNs of both signs,
 * quads that are all zero, months that repeat the month before (bins reused,
 * also in the quads that start in the first month and end in the second),
 * repeats of slow-path values, and whole paths repeated across a flush
 * boundary (flushes every 3 paths, the last one partial); on the default
 * scenario (60 months: whole quads) and on one of 59 months (1475 cells a
 * policy: the last three after the last quad, done by the portable code). */
#include "engine/run/plan_impl.h"
#include "engine/run/stage_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chokepoint/scenario.h"

#define NPATHS 11
#define NSTAGE 3

static uint64_t rng = 0x243f6a8885a308d3u;
static uint64_t next(void)
{
    rng += 0x9e3779b97f4a7c15u;
    uint64_t z = rng;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* A special value for a binner with upper edges `up`. */
static double special(const double *up)
{
    const uint64_t r = next();
    const double e = up[r % CKP_HIST_BINS];
    switch ((r >> 8) % 24) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return 0x1p-1074;
    case 3: return -0x1p-1030;
    case 4: return -e;
    case 5: return nextafter(e, -INFINITY);
    case 6: return nextafter(e, INFINITY);
    case 7: return 0x1p-70 * (double)(1 + (r >> 40));
    case 8: return 0x1.fffffffffffffp37;
    case 9: return 0x1p38;
    case 10: return -0x1.8p45;
    case 11: return 1e300;
    case 12: return INFINITY;
    case 13: return -INFINITY;
    case 14: return NAN;
    case 15: return from_bits(0xfff8000000000001u); /* a negative NaN */
    case 16: return 0x1p-12;
    case 17: return ldexp((double)(r >> 11), -53) * 2.0 * (isfinite(up[100]) ? up[100] : 1.0);
    default: return isfinite(e) ? e : 1.0;
    }
}

/* Observables of one path of policy k: months that are all zero, months that
 * repeat the month before, else each value special with probability 1/2 or
 * the month before's. */
static void make_path(const ckp_plan *p, int k, double *obs)
{
    const size_t opm = p->lay.obs_per_month, T = (size_t)p->lay.T;
    for (size_t t = 0; t < T; t++) {
        double *v = obs + t * opm;
        const uint64_t r = next() % 8;
        for (size_t o = 0; o < opm; o++) {
            const double *up = p->binners[(size_t)k * opm + o]->upper;
            if (r == 0)
                v[o] = 0.0;
            else if (t > 0 && (r == 1 || next() % 2))
                v[o] = v[(int64_t)o - (int64_t)opm];
            else
                v[o] = special(up);
        }
    }
}

/* Stage `paths` (NPATHS * npol * T * opm) with tab, flushing every NSTAGE
 * paths, and compare with the exact binner and ckp_fix_add_double. */
static void check_tab(const ckp_plan *p, const ckp_stage_tab *tab, const double *paths,
                      const char *name)
{
    const size_t opm = p->lay.obs_per_month, blk = (size_t)p->lay.T * opm, cells = p->cells;
    ckp_error err = {0};
    ckp_stage st;
    memset(&st, 0, sizeof st);
    CHECK(ckp_stage_alloc(&st, tab, NSTAGE, &err) == CKP_OK, "alloc");
    uint32_t *want = calloc(cells * CKP_HIST_BINS, sizeof *want);
    ckp_fix *sum = calloc(cells, sizeof *sum);
    int slot = 0;
    for (int i = 0; i < NPATHS; i++) {
        for (int k = 0; k < p->npol; k++) {
            const double *obs = paths + ((size_t)i * p->npol + (size_t)k) * blk;
            ckp_stage_policy(tab, &st, slot, k, obs);
            for (size_t j = 0; j < blk; j++) {
                const size_t c = (size_t)k * blk + j;
                want[c * CKP_HIST_BINS +
                     (size_t)ckp_hist_binner_bin(p->binners[(size_t)k * opm + j % opm], obs[j])]++;
                ckp_fix_add_double(&sum[c], obs[j]);
            }
        }
        if (++slot == NSTAGE || i == NPATHS - 1) {
            ckp_stage_flush(tab, &st, slot);
            slot = 0;
        }
    }
    int bad_hist = 0, bad_sum = 0;
    for (size_t c = 0; c < cells; c++) {
        bad_hist += memcmp(want + c * CKP_HIST_BINS, st.hist + c * CKP_HIST_BINS,
                           CKP_HIST_BINS * sizeof *want) != 0;
        bad_sum += sum[c].hi != st.sum[c].hi || sum[c].lo != st.sum[c].lo;
    }
    CHECK(bad_hist == 0, "%s: %d of %zu cells' counts differ from the exact binner's", name,
          bad_hist, cells);
    CHECK(bad_sum == 0, "%s: %d of %zu cells' sums differ from ckp_fix_add_double's", name, bad_sum,
          cells);
    free(want);
    free(sum);
    ckp_stage_free(&st);
}

/* Both loops on the default scenario with T months (60: 1500 cells a
 * policy, whole quads; 59: 1475, the last three cells after the last quad). */
static void check_months(int T)
{
    ckp_error err = {0};
    size_t len = 0;
    const char *text = ckp_default_scenario_text(&len);
    char *edited = malloc(len + 16);
    const char *at = strstr(text, "horizon_months: 60");
    CHECK(at != NULL, "the default scenario sets horizon_months: 60");
    if (!edited || !at)
        return;
    const size_t head = (size_t)(at - text);
    memcpy(edited, text, head);
    int n = sprintf(edited + head, "horizon_months: %d", T);
    const size_t tail = len - head - strlen("horizon_months: 60");
    memcpy(edited + head + (size_t)n, at + strlen("horizon_months: 60"), tail);
    const size_t elen = head + (size_t)n + tail;
    ckp_scenario *sc = NULL;
    CHECK(ckp_scenario_load_string(edited, elen, "edited", NULL, &sc, &err) == CKP_OK,
          "scenario of %d months: %s", T, err.message);
    free(edited);
    if (!sc)
        return;
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = NPATHS;
    o.threads = 1;
    o.month_stats = 1;
    ckp_plan *p = NULL;
    CHECK(ckp_plan_create(sc, &o, &p, &err) == CKP_OK, "plan: %s", err.message);
    if (!p)
        return;
    const size_t blk = (size_t)p->lay.T * p->lay.obs_per_month;
    CHECK((blk % 4 != 0) == (T % 4 != 0), "%d months: %zu cells a policy", T, blk);
    double *paths = malloc((size_t)NPATHS * (size_t)p->npol * blk * sizeof *paths);
    for (int i = 0; i < NPATHS; i++)
        for (int k = 0; k < p->npol; k++) {
            double *obs = paths + ((size_t)i * p->npol + (size_t)k) * blk;
            if (i == 3) /* path 3 (the first of a flush group) repeats path 2 */
                memcpy(obs, obs - (size_t)p->npol * blk, blk * sizeof *obs);
            else
                make_path(p, k, obs);
        }

    ckp_stage_tab *tab = NULL;
    unsetenv("CKP_STAGE");
    CHECK(ckp_stage_tab_create(p, &tab, &err) == CKP_OK, "tables");
    if (tab->vector)
        check_tab(p, tab, paths, "avx2");
    else
        printf("no AVX2 here: the vector loop is not tested\n");
    ckp_stage_tab_free(tab);
    setenv("CKP_STAGE", "scalar", 1);
    CHECK(ckp_stage_tab_create(p, &tab, &err) == CKP_OK, "tables");
    CHECK(tab->vector == 0, "CKP_STAGE=scalar selects the portable loop");
    check_tab(p, tab, paths, "scalar");
    ckp_stage_tab_free(tab);
    unsetenv("CKP_STAGE");

    free(paths);
    ckp_plan_free(p);
    ckp_scenario_free(sc);
}

int main(void)
{
    check_months(60);
    check_months(59);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
