/* chokepoint golden test: nothing changes but speed.
 *
 * Runs the built-in default scenario for a fixed seed and path count, and hashes
 * (FNV-1a 64) the exact bits of everything a run produces: the per-path records
 * of every policy, the per-month exact sums, means and histograms, and the
 * summaries of every per-path metric (plus each policy's benefit over the
 * baseline and the loss exceedance curve). The hashes are compared with
 * tests/data/golden/default.txt; any changed bit fails, naming the part that
 * changed. The run is repeated on 1 and 2 threads and with a small batch, which
 * must give the same bits.
 *
 * Refresh after an intended change of results (and say why in the commit):
 *   CKP_GOLDEN_UPDATE=1 meson test -C build --suite golden
 * or run the binary with --update [FILE]. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/run.h"
#include "engine/run/run_impl.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"
#include "chokepoint/stats.h"
#include "engine/sim/sim_impl.h"
#include "engine/scenario/scenario_impl.h"

#define GOLDEN_SEED 20260101u
#define GOLDEN_PATHS 2000

enum { H_RECORDS, H_MONTH_SUM, H_MONTH_MEAN, H_HIST, H_HIST_EDGES, H_SUMMARY, H_N };
static const char *const PART[H_N] = {"records", "month_sum", "month_mean", "hist",
                                      "hist_edges", "summaries"};

typedef struct fnv {
    uint64_t h;
} fnv;

/* FNV-1a 64 over little-endian bytes, so the hash does not depend on the
 * host's byte order. */
static void fnv_u64(fnv *f, uint64_t v)
{
    for (int k = 0; k < 8; k++) {
        f->h ^= (v >> (8 * k)) & 0xff;
        f->h *= 0x100000001b3ULL;
    }
}

static void fnv_f64(fnv *f, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &v[i], sizeof b);
        fnv_u64(f, b);
    }
}

static void fnv_summary(fnv *f, const ckp_summary *s)
{
    double v[6 + CKP_NQUANTILES + 4] = {s->count, s->mean, s->sd, s->se, s->min, s->max};
    memcpy(v + 6, s->q, sizeof s->q);
    v[6 + CKP_NQUANTILES] = s->var95;
    v[7 + CKP_NQUANTILES] = s->cvar95;
    v[8 + CKP_NQUANTILES] = s->var99;
    v[9 + CKP_NQUANTILES] = s->cvar99;
    fnv_f64(f, v, sizeof v / sizeof v[0]);
}

static int fail(const char *what, const ckp_error *err)
{
    fprintf(stderr, "test_golden: %s: %s\n", what, err ? err->message : "");
    return -1;
}

/* Run the golden case and hash it. */
static int golden_hashes(const ckp_scenario *sc, int threads, int64_t batch, uint64_t h[H_N])
{
    ckp_error err;
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.seed = GOLDEN_SEED;
    o.first_path = 0;
    o.paths = GOLDEN_PATHS;
    o.threads = threads;
    o.batch = batch;
    o.antithetic = 0;
    o.npolicies = 0;
    o.month_stats = 1;
    ckp_memsink *ms = ckp_memsink_create();
    ckp_run_result *res = NULL;
    if (!ms)
        return fail("memsink", NULL);
    if (ckp_run(sc, &o, &ms->sink, &res, &err) != CKP_OK) {
        ckp_memsink_free(ms);
        return fail("ckp_run", &err);
    }
    fnv f[H_N];
    for (int k = 0; k < H_N; k++)
        f[k].h = 0xcbf29ce484222325ULL;
    const ckp_layout *lay = &res->lay;
    size_t P = (size_t)res->paths, T = (size_t)lay->T, O = lay->obs_per_month;
    int rc = 0;
    if (ms->npol != res->npol || ms->paths != res->paths || ms->record != lay->record) {
        rc = fail("the sink's shape differs from the run result's", NULL);
        goto out;
    }
    fnv_u64(&f[H_RECORDS], (uint64_t)res->npol);
    for (int k = 0; k < res->npol; k++) {
        fnv_u64(&f[H_RECORDS], (uint64_t)res->policy[k]);
        fnv_f64(&f[H_RECORDS], ms->records[k], P * lay->record);
    }
    size_t nobs = (size_t)res->npol * T * O;
    for (size_t i = 0; i < nobs; i++) {
        fnv_u64(&f[H_MONTH_SUM], (uint64_t)res->month_sum[i].hi);
        fnv_u64(&f[H_MONTH_SUM], res->month_sum[i].lo);
    }
    fnv_f64(&f[H_MONTH_MEAN], res->month_mean, nobs);
    for (size_t i = 0; i < nobs * CKP_HIST_BINS; i++)
        fnv_u64(&f[H_HIST], res->hist[i]);
    fnv_f64(&f[H_HIST_EDGES], res->hist_upper, (size_t)res->npol * O * CKP_HIST_BINS);

    /* summaries of every column, benefits on loss_total, exceedance curve */
    double *col = malloc(sizeof(double) * P), *base = malloc(sizeof(double) * P);
    double *scratch = malloc(sizeof(double) * P);
    if (!col || !base || !scratch) {
        free(col);
        free(base);
        free(scratch);
        rc = fail("out of memory", NULL);
        goto out;
    }
    ckp_memsink_column(ms, 0, CKP_M_LOSS_TOTAL, base);
    for (int k = 0; k < res->npol && rc == 0; k++) {
        const ckp_model *m = &sc->models[res->policy[k]];
        for (size_t j = 0; j < lay->record; j++) {
            ckp_summary s;
            ckp_memsink_column(ms, k, j, col);
            if (ckp_summary_compute(col, P, 0, scratch, &s, &err) != CKP_OK) {
                rc = fail("ckp_summary_compute", &err);
                break;
            }
            fnv_summary(&f[H_SUMMARY], &s);
        }
        ckp_memsink_column(ms, k, CKP_M_LOSS_TOTAL, col);
        double lev[CKP_EXCEEDANCE_LEVELS], prob[CKP_EXCEEDANCE_LEVELS];
        ckp_exceedance(col, P, lev, prob);
        fnv_f64(&f[H_SUMMARY], lev, CKP_EXCEEDANCE_LEVELS);
        fnv_f64(&f[H_SUMMARY], prob, CKP_EXCEEDANCE_LEVELS);
        if (k > 0 && rc == 0) {
            ckp_benefit b;
            if (ckp_benefit_compute(base, col, P, 0, m->has_cost, m->annual_cost, lay->T,
                                    scratch, &b, &err) != CKP_OK) {
                rc = fail("ckp_benefit_compute", &err);
            } else {
                double v[3 + CKP_NQUANTILES + 1] = {b.mean, b.se, b.p_positive};
                memcpy(v + 3, b.q, sizeof b.q);
                v[3 + CKP_NQUANTILES] = b.has_bcr ? b.bcr : -1.0;
                fnv_f64(&f[H_SUMMARY], v, sizeof v / sizeof v[0]);
            }
        }
    }
    free(col);
    free(base);
    free(scratch);
    for (int k = 0; k < H_N; k++)
        h[k] = f[k].h;
out:
    ckp_run_result_free(res);
    ckp_memsink_free(ms);
    return rc;
}

static int read_golden(const char *path, uint64_t h[H_N])
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    char line[256];
    int seen = 0;
    while (fgets(line, sizeof line, fp)) {
        char key[64];
        uint64_t v;
        if (line[0] == '#' || sscanf(line, "%63s %" SCNx64, key, &v) != 2)
            continue;
        for (int k = 0; k < H_N; k++)
            if (strcmp(key, PART[k]) == 0) {
                h[k] = v;
                seen |= 1 << k;
            }
    }
    fclose(fp);
    return seen == (1 << H_N) - 1 ? 0 : -2;
}

static int write_golden(const char *path, const uint64_t h[H_N], const ckp_scenario *sc)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fprintf(fp,
            "# Golden FNV-1a 64 hashes of the built-in default scenario (%s), seed %u, "
            "%d paths,\n# every policy, per-month statistics on. Written by "
            "tests/test_golden.c --update; see that file.\n",
            sc->name, GOLDEN_SEED, GOLDEN_PATHS);
    for (int k = 0; k < H_N; k++)
        fprintf(fp, "%s %016" PRIx64 "\n", PART[k], h[k]);
    return fclose(fp) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *root = getenv("CKP_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/golden/default.txt", root ? root : ".");
    int update = getenv("CKP_GOLDEN_UPDATE") && strcmp(getenv("CKP_GOLDEN_UPDATE"), "1") == 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--update") == 0) {
            update = 1;
            if (i + 1 < argc)
                snprintf(path, sizeof path, "%s", argv[++i]);
        } else {
            fprintf(stderr, "usage: test_golden [--update [FILE]]\n");
            return 2;
        }
    }

    ckp_scenario *sc = NULL;
    ckp_error err;
    if (ckp_scenario_load_default(&sc, &err) != CKP_OK) {
        fail("loading the default scenario", &err);
        return 1;
    }

    uint64_t h1[H_N], h2[H_N], hb[H_N];
    int rc = 0;
    if (golden_hashes(sc, 1, 0, h1) != 0 || golden_hashes(sc, 2, 0, h2) != 0 ||
        golden_hashes(sc, 2, 37, hb) != 0) {
        ckp_scenario_free(sc);
        return 1;
    }
    for (int k = 0; k < H_N; k++) {
        if (h1[k] != h2[k] || h1[k] != hb[k]) {
            fprintf(stderr,
                    "test_golden: %s differ with threads/batch: 1 thread %016" PRIx64
                    ", 2 threads %016" PRIx64 ", batch 37 %016" PRIx64 "\n",
                    PART[k], h1[k], h2[k], hb[k]);
            rc = 1;
        }
    }
    if (update) {
        if (rc == 0 && write_golden(path, h1, sc) != 0) {
            fprintf(stderr, "test_golden: cannot write %s\n", path);
            rc = 1;
        }
        if (rc == 0)
            printf("test_golden: wrote %s\n", path);
        ckp_scenario_free(sc);
        return rc;
    }
    uint64_t g[H_N];
    int r = read_golden(path, g);
    if (r != 0) {
        fprintf(stderr, "test_golden: cannot read %s (%s)\n", path,
                r == -1 ? "missing" : "incomplete");
        ckp_scenario_free(sc);
        return 1;
    }
    for (int k = 0; k < H_N; k++) {
        if (h1[k] != g[k]) {
            fprintf(stderr, "test_golden: %s changed: golden %016" PRIx64 ", now %016" PRIx64 "\n",
                    PART[k], g[k], h1[k]);
            rc = 1;
        } else {
            printf("test_golden: %s %016" PRIx64 " ok\n", PART[k], h1[k]);
        }
    }
    ckp_scenario_free(sc);
    return rc;
}
