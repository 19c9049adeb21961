/* chokepoint tests: the HDF5 results writer and reader.
 *
 * One scenario with three policies is run twice on the same seed, once into a
 * memory sink and once into a file; every check compares the file with the
 * memory run or with a fresh simulation, bit for bit:
 *  - stored per-path records equal the memory records (several chunks, a
 *    partial last chunk, batches that do not align with chunks);
 *  - a path replayed from the file's own resolved scenario and generator
 *    state gives the stored record;
 *  - stored summaries and comparisons equal stats.h on the memory columns;
 *  - the table computed in memory (ckp_output_table_rows) equals the table
 *    read from the file bit for bit; any array reads back by its path;
 *  - safe writing: no overwrite without force, abort and failed finish leave
 *    the target untouched and no temporary file behind, force replaces;
 *  - bad input and a file that is not a results file are refused. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chokepoint/chokepoint.h"
#include "engine/run/run_impl.h"
#include "engine/scenario/scenario_impl.h"

#include "check.h"
#include "engine/sim/sim_impl.h"

static const char scenario_text[] =
    "version: 1\n"
    "name: output-test\n"
    "importer: KR\n"
    "horizon_months: 6\n"
    "regimes: [open, licensing, embargo]\n"
    "suppliers:\n"
    "  - name: CN\n"
    "    initial: {open: 0.6, licensing: 0.3, embargo: 0.1}\n"
    "    transitions:\n"
    "      open: [0.7, 0.2, 0.1]\n"
    "      licensing: [0.3, 0.5, 0.2]\n"
    "      embargo: [0.1, 0.2, 0.7]\n"
    "    block:\n"
    "      licensing:\n"
    "        NdPr: {min: 0.1, mode: 0.3, max: 0.6}\n"
    "        Dy: {min: 0.1, mode: 0.3, max: 0.6}\n"
    "      embargo:\n"
    "        NdPr: {min: 0.5, mode: 0.8, max: 1.0}\n"
    "        Dy: 0.9\n"
    "  - name: AU\n"
    "    initial: open\n"
    "    transitions:\n"
    "      open: [0.9, 0.1, 0.0]\n"
    "      licensing: [0.5, 0.5, 0.0]\n"
    "      embargo: [1.0, 0.0, 0.0]\n"
    "    block:\n"
    "      licensing:\n"
    "        NdPr: 0.2\n"
    "materials:\n"
    "  - name: NdPr\n"
    "    routes:\n"
    "      - path: [CN]\n"
    "        share: 0.7\n"
    "      - path: [AU, CN]\n"
    "        share: 0.3\n"
    "    spare: {AU: 0.2}\n"
    "    ramp: {up_months: 3, down_months: 2}\n"
    "    stockpile: {days: 30, target_days: 60, max_release: 0.4, trigger: 0.05, refill: 0.1}\n"
    "    price: {base: 56.0, volume: 1000.0, elasticity: 0.3, cap: 20.0, sigma: 0.1,\n"
    "            jump_prob: 0.05, jump_mean: 0.2, jump_sd: 0.1}\n"
    "  - name: Dy\n"
    "    routes:\n"
    "      - path: [CN]\n"
    "        share: 1.0\n"
    "    stockpile: {days: 10, target_days: 10, max_release: 0.3, trigger: 0.0, refill: 0.05}\n"
    "    price: {base: 300.0, volume: 50.0, elasticity: 0.2, cap: 30.0}\n"
    "industries:\n"
    "  - name: autos\n"
    "    output: 1.0e11\n"
    "    criticality: {NdPr: 0.3, Dy: 0.2}\n"
    "  - name: electronics\n"
    "    output: 5.0e10\n"
    "    criticality: {NdPr: 0.1}\n"
    "interdependency: {matrix: [[0, 0.1], [0.2, 0]]}\n"
    "policies:\n"
    "  - name: stockpile\n"
    "    description: double the stockpiles\n"
    "    annual_cost: 1.0e7\n"
    "    changes:\n"
    "      materials:\n"
    "        - name: NdPr\n"
    "          stockpile: {days: 60, target_days: 120}\n"
    "  - name: alliance\n"
    "    changes:\n"
    "      materials:\n"
    "        - name: NdPr\n"
    "          spare: {AU: 0.4}\n";

#define PATHS 4500 /* more than one 4096-path chunk, with a partial last one */

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Number of entries in dir whose name contains ".tmp-". */
static int temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int file_has_text(const char *path, const char *text)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

/* Run into a file; returns the status of the whole sequence. */
static ckp_status run_to_file(const ckp_scenario *sc, const ckp_run_options *ro, const char *path,
                              const ckp_output_options *oo, ckp_error *err)
{
    ckp_output *o = NULL;
    ckp_run_result *r = NULL;
    ckp_plan *plan = NULL;
    ckp_status st = ckp_plan_create(sc, ro, &plan, err);
    if (st == CKP_OK)
        st = ckp_output_open(path, plan, oo, &o, err);
    if (st != CKP_OK) {
        ckp_plan_free(plan);
        return st;
    }
    st = ckp_run_plan(plan, ckp_output_sink(o), &r, err);
    if (st != CKP_OK) {
        ckp_output_abort(o);
        ckp_plan_free(plan);
        return st;
    }
    st = ckp_output_finish(o, r, err);
    ckp_run_result_free(r);
    ckp_plan_free(plan);
    return st;
}

static void check_contents(const ckp_scenario *sc, const ckp_run_options *ro,
                           const ckp_memsink *ms, const ckp_run_result *mr, const char *path)
{
    ckp_error err;
    ckp_error_clear(&err);
    ckp_output_file *f = NULL;
    ckp_status st = ckp_output_file_open(path, &f, &err);
    CHECK(st == CKP_OK, "open the results file: %s", err.message);
    if (st != CKP_OK)
        return;
    const ckp_output_info *in = ckp_output_file_info(f);
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, ro->seed);
    CHECK(in->schema_version == CKP_OUTPUT_SCHEMA_VERSION && in->complete == 1, "schema/complete");
    CHECK(in->seed == ro->seed && in->paths == PATHS && in->first_path == ro->first_path,
          "seed and path range stored");
    CHECK(in->base.state.hi == base.state.hi && in->base.state.lo == base.state.lo &&
              in->base.inc.hi == base.inc.hi && in->base.inc.lo == base.inc.lo,
          "base generator stored as 64-bit halves");
    CHECK(in->horizon_months == sc->T && in->npol == 3, "horizon and policy count");
    CHECK(in->npol == 3 && strcmp(in->policy_names[0], "baseline") == 0 &&
              strcmp(in->policy_names[1], "stockpile") == 0 &&
              strcmp(in->policy_names[2], "alliance") == 0,
          "policy names in run order");
    CHECK(strcmp(in->engine_version, ckp_version()) == 0, "engine version");
    CHECK(strcmp(in->command_line, "test_output --demo") == 0, "command line");

    /* Stored records equal the memory run's, path by path, for every policy. */
    ckp_layout lay;
    ckp_layout_init(&lay, &sc->models[0]);
    double *rec = malloc(lay.record * sizeof *rec);
    int bad = 0;
    for (int k = 0; k < in->npol && rec; k++)
        for (int64_t p = 0; p < PATHS; p += (p < 4090 || p > 4100) ? 37 : 1) {
            st = ckp_output_read_record(f, k, ro->first_path + p, &lay, rec, &err);
            if (st != CKP_OK || !same_bits(rec, ms->records[k] + (size_t)p * lay.record,
                                           lay.record)) {
                bad++;
                if (bad < 4)
                    printf("  policy %d path %lld differs (%s)\n", k, (long long)p, err.message);
            }
        }
    CHECK(bad == 0, "stored per-path records equal the memory records (%d differ)", bad);
    st = ckp_output_read_record(f, 0, ro->first_path + PATHS, &lay, rec, &err);
    CHECK(st == CKP_ERR_USAGE, "a path outside the file is refused");
    st = ckp_output_read_record(f, 3, ro->first_path, &lay, rec, &err);
    CHECK(st == CKP_ERR_USAGE, "a policy outside the file is refused");

    /* Replay from the stored resolved scenario and generator state. */
    char *yaml = NULL;
    ckp_scenario *sc2 = NULL;
    st = ckp_output_read_text(f, "scenario_resolved", &yaml, &err);
    if (st == CKP_OK)
        st = ckp_scenario_load_string(yaml, strlen(yaml), "stored", NULL, &sc2, &err);
    CHECK(st == CKP_OK, "stored scenario loads: %s", err.message);
    if (st == CKP_OK) {
        ckp_work *w = NULL;
        double *u = malloc(lay.uniforms * sizeof *u);
        double *rr = malloc(lay.record * sizeof *rr);
        st = ckp_work_create(sc2, &w, &err);
        int rbad = 0;
        for (int k = 0; k < in->npol && st == CKP_OK && u && rr; k++) {
            int p = ckp_scenario_policy_index(sc2, in->policy_names[k]);
            ckp_prep *prep = NULL;
            if (p < 0 || ckp_prep_create(&sc2->models[p], &prep, &err) != CKP_OK) {
                rbad++;
                continue;
            }
            int64_t paths[] = {0, 1, 17, 4095, 4096, PATHS - 1};
            for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
                int64_t g = ro->first_path + paths[i];
                ckp_path_uniforms(&lay, &in->base, (uint64_t)g, in->antithetic, u);
                ckp_sim_path(&sc2->models[p], prep, &lay, w, u, rr, NULL, NULL);
                if (ckp_output_read_record(f, k, g, &lay, rec, &err) != CKP_OK ||
                    !same_bits(rr, rec, lay.record))
                    rbad++;
            }
            ckp_prep_free(prep);
        }
        CHECK(st == CKP_OK && rbad == 0, "replayed records equal the stored ones (%d differ)",
              rbad);
        ckp_work_free(w);
        free(u);
        free(rr);
    }
    ckp_scenario_free(sc2);
    free(yaml);
    free(rec);

    /* Summaries and comparisons equal stats.h on the memory columns. */
    ckp_output_row *rows = NULL;
    st = ckp_output_read_table(f, &rows, &err);
    CHECK(st == CKP_OK, "read the table: %s", err.message);
    double *base_col = malloc(PATHS * sizeof *base_col), *col = malloc(PATHS * sizeof *col);
    for (int k = 0; st == CKP_OK && k < in->npol && base_col && col; k++) {
        ckp_memsink_column(ms, 0, lay.offset[CKP_M_LOSS_TOTAL], base_col);
        ckp_memsink_column(ms, k, lay.offset[CKP_M_LOSS_TOTAL], col);
        ckp_summary s;
        ckp_summary_compute(col, PATHS, 0, NULL, &s, &err);
        const ckp_summary *t = &rows[k].loss;
        CHECK(s.count == t->count && s.mean == t->mean && s.sd == t->sd && s.se == t->se &&
                  s.min == t->min && s.max == t->max && s.var95 == t->var95 &&
                  s.cvar95 == t->cvar95 && s.var99 == t->var99 && s.cvar99 == t->cvar99 &&
                  same_bits(s.q, t->q, CKP_NQUANTILES),
              "policy %d: stored loss_total summary equals stats.h", k);
        CHECK(rows[k].is_baseline == (k == 0), "baseline flag");
        if (k == 0)
            continue;
        const ckp_model *m = &sc->models[mr->policy[k]];
        ckp_benefit b;
        ckp_benefit_compute(base_col, col, PATHS, 0, m->has_cost, m->annual_cost, sc->T, NULL, &b,
                            &err);
        const ckp_benefit *c = &rows[k].benefit;
        CHECK(b.mean == c->mean && b.se == c->se && b.p_positive == c->p_positive &&
                  same_bits(b.q, c->q, CKP_NQUANTILES) && b.has_bcr == c->has_bcr &&
                  (!b.has_bcr || b.bcr == c->bcr),
              "policy %d: stored comparison equals stats.h", k);
        CHECK(c->has_bcr == (k == 1), "only the policy with a cost has a BCR");
    }
    free(base_col);
    free(col);
    free(rows);
    ckp_output_file_close(f);
}

static int same_row(const ckp_output_row *a, const ckp_output_row *b)
{
    ckp_summary sa = a->loss, sb = b->loss;
    ckp_benefit ba = a->benefit, bb = b->benefit;
    return strcmp(a->name, b->name) == 0 && a->is_baseline == b->is_baseline &&
           memcmp(&sa.count, &sb.count, 6 * sizeof(double)) == 0 &&
           same_bits(sa.q, sb.q, CKP_NQUANTILES) &&
           memcmp(&sa.var95, &sb.var95, 4 * sizeof(double)) == 0 &&
           memcmp(&ba.mean, &bb.mean, 3 * sizeof(double)) == 0 &&
           same_bits(ba.q, bb.q, CKP_NQUANTILES) && ba.has_bcr == bb.has_bcr &&
           (!ba.has_bcr || memcmp(&ba.bcr, &bb.bcr, sizeof(double)) == 0);
}

/* The table of the memory run equals the file's; arrays read by path. */
static void check_table_and_arrays(const ckp_plan *plan, const ckp_memsink *ms, const char *path)
{
    ckp_error err;
    ckp_error_clear(&err);
    ckp_output_file *f = NULL;
    ckp_status st = ckp_output_file_open(path, &f, &err);
    CHECK(st == CKP_OK, "open the results file: %s", err.message);
    if (st != CKP_OK)
        return;
    const ckp_layout *lay = ckp_plan_layout(plan);
    int npol = ckp_plan_npolicies(plan);
    double *loss[3] = {NULL, NULL, NULL};
    for (int k = 0; k < npol && k < 3; k++) {
        loss[k] = malloc(PATHS * sizeof *loss[k]);
        if (loss[k])
            ckp_memsink_column(ms, k, lay->offset[CKP_M_LOSS_TOTAL], loss[k]);
    }
    ckp_output_row *mem = NULL, *file = NULL;
    st = ckp_output_table_rows(plan, (const double *const *)loss, PATHS, &mem, &err);
    CHECK(st == CKP_OK, "table from memory: %s", err.message);
    if (st == CKP_OK)
        st = ckp_output_read_table(f, &file, &err);
    for (int k = 0; st == CKP_OK && k < npol; k++)
        CHECK(same_row(&mem[k], &file[k]), "policy %d: memory table equals the file's", k);
    free(mem);

    /* Arrays by path: doubles, int64 (months, histogram counts), a scalar. */
    ckp_output_array a;
    st = ckp_output_read_array(f, "policies/baseline/summary/loss_total", &a, &err);
    CHECK(st == CKP_OK && a.type == CKP_OUTPUT_DOUBLE && a.rank == 1 && a.dims[0] == 10 &&
              a.count == 10 && a.f64 && !a.i64 && file && a.f64[1] == file[0].loss.mean &&
              a.f64[9] == file[0].loss.cvar99,
          "summary/loss_total as an array: %s", err.message);
    ckp_output_array_free(&a);
    CHECK(a.f64 == NULL && a.count == 0, "array_free empties the array");
    st = ckp_output_read_array(f, "policies/stockpile/loss", &a, &err);
    CHECK(st == CKP_OK && a.rank == 2 && a.dims[0] == PATHS && a.dims[1] == (size_t)lay->I &&
              a.f64 && same_bits(a.f64, ms->records[1] + lay->offset[CKP_M_LOSS], 1),
          "per-path loss (path, industry) as an array: %s", err.message);
    ckp_output_array_free(&a);
    st = ckp_output_read_array(f, "month", &a, &err);
    CHECK(st == CKP_OK && a.type == CKP_OUTPUT_INT64 && a.count == (size_t)lay->T && a.i64 &&
              a.i64[0] == 1 && a.i64[lay->T - 1] == lay->T,
          "month coordinate as int64: %s", err.message);
    ckp_output_array_free(&a);
    st = ckp_output_read_array(f, "policies/baseline/month/shortfall_hist", &a, &err);
    int64_t total = 0;
    for (size_t i = 0; st == CKP_OK && i < CKP_HIST_BINS; i++)
        total += a.i64[i];
    CHECK(st == CKP_OK && a.type == CKP_OUTPUT_INT64 && a.rank == 3 &&
              a.dims[2] == CKP_HIST_BINS && total == PATHS,
          "histogram counts as int64, one month's bins sum to the paths: %s", err.message);
    ckp_output_array_free(&a);
    st = ckp_output_read_array(f, "policies/alliance/comparison/bcr", &a, &err);
    CHECK(st == CKP_OK && a.rank == 0 && a.count == 1 && isnan(a.f64[0]),
          "a scalar (NaN bcr without a cost): %s", err.message);
    ckp_output_array_free(&a);
    st = ckp_output_read_array(f, "policies/baseline/no_such", &a, &err);
    CHECK(st == CKP_ERR_USAGE && strstr(err.message, path) && strstr(err.message, "no_such") &&
              !a.f64 && !a.i64,
          "missing dataset refused, naming file and dataset: %s", err.message);
    st = ckp_output_read_array(f, "policies", &a, &err);
    CHECK(st == CKP_ERR_USAGE, "a group is no dataset: %s", err.message);
    st = ckp_output_read_array(f, "policy", &a, &err);
    CHECK(st == CKP_ERR_USAGE && strstr(err.message, "strings") && strstr(err.message, "policy"),
          "strings refused: %s", err.message);
    for (int k = 0; k < 3; k++)
        free(loss[k]);
    free(file);
    ckp_output_file_close(f);
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ckp-output-XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        printf("cannot create a temporary directory\n");
        return 1;
    }
    char path[600], other[600], junk[600];
    snprintf(path, sizeof path, "%s/run.h5", dir);
    snprintf(other, sizeof other, "%s/existing.h5", dir);
    snprintf(junk, sizeof junk, "%s/junk.txt", dir);

    ckp_error err;
    ckp_error_clear(&err);
    ckp_scenario *sc = NULL;
    ckp_status st = ckp_scenario_load_string(scenario_text, sizeof scenario_text - 1, "test",
                                             NULL, &sc, &err);
    if (st != CKP_OK) {
        printf("FAIL: test scenario: %s\n", err.message);
        return 1;
    }
    ckp_run_options ro;
    ckp_run_options_default(&ro, sc);
    ro.seed = 20240607;
    ro.paths = PATHS;
    ro.first_path = 1000;
    ro.batch = 777; /* batches that straddle chunk boundaries */
    ro.threads = 2;

    /* The reference: the same run into memory. */
    ckp_memsink *ms = ckp_memsink_create();
    ckp_run_result *mr = NULL;
    st = ms ? ckp_run(sc, &ro, &ms->sink, &mr, &err) : CKP_ERR_NOMEM;
    CHECK(st == CKP_OK, "memory run: %s", err.message);

    /* The plan of that run, for the writers opened directly below. */
    ckp_plan *plan = NULL;
    st = ckp_plan_create(sc, &ro, &plan, &err);
    CHECK(st == CKP_OK, "plan: %s", err.message);

    ckp_output_options oo;
    ckp_output_options_default(&oo);
    oo.command_line = "test_output --demo";
    oo.compress = 4;
    st = run_to_file(sc, &ro, path, &oo, &err);
    CHECK(st == CKP_OK, "run into a file: %s", err.message);
    CHECK(temp_files(dir) == 0, "no temporary file left after success");
    if (st == CKP_OK && mr)
        check_contents(sc, &ro, ms, mr, path);
    if (st == CKP_OK && plan)
        check_table_and_arrays(plan, ms, path);

    /* Without force an existing file is refused and stays as it was. */
    write_text(other, "precious\n");
    oo.compress = 0;
    st = run_to_file(sc, &ro, other, &oo, &err);
    CHECK(st == CKP_ERR_EXISTS && strstr(err.message, "--force"),
          "existing target refused without force (%d: %s)", (int)st, err.message);
    CHECK(file_has_text(other, "precious\n"), "existing target intact");

    /* Abort: nothing at the target, no temporary file. */
    ckp_output *o = NULL;
    char fresh[600];
    snprintf(fresh, sizeof fresh, "%s/fresh.h5", dir);
    st = ckp_output_open(fresh, plan, &oo, &o, &err);
    CHECK(st == CKP_OK && temp_files(dir) == 1, "open makes one temporary file");
    ckp_output_abort(o);
    CHECK(!file_exists(fresh) && temp_files(dir) == 0, "abort leaves nothing behind");

    /* A finish with a result that does not match (a run that stopped early,
     * here: fewer paths) fails, leaves the existing target intact. */
    oo.force = 1;
    st = ckp_output_open(other, plan, &oo, &o, &err);
    CHECK(st == CKP_OK, "open with force: %s", err.message);
    if (st == CKP_OK) {
        ckp_run_options ro2 = ro;
        ro2.paths = 100;
        ckp_run_result *r2 = NULL;
        st = ckp_run(sc, &ro2, ckp_output_sink(o), &r2, &err);
        CHECK(st == CKP_OK, "short run");
        st = ckp_output_finish(o, r2, &err);
        CHECK(st == CKP_ERR_INTERNAL, "finish refuses a result that does not match (%d)", (int)st);
        ckp_run_result_free(r2);
    }
    CHECK(file_has_text(other, "precious\n") && temp_files(dir) == 0,
          "failed finish: target intact, temporary file removed");

    /* A sink that sees a batch out of order stops the run. */
    st = ckp_output_open(fresh, plan, &oo, &o, &err);
    if (st == CKP_OK) {
        const ckp_sink *sk = ckp_output_sink(o);
        ckp_layout lay;
        ckp_layout_init(&lay, &sc->models[0]);
        double *recs = calloc(lay.record, sizeof *recs);
        const double *rr[3] = {recs, recs, recs};
        st = sk->write_batch(sk->ctx, &lay, ro.first_path + 5, 1, 3, rr, &err);
        CHECK(st != CKP_OK, "out-of-order batch refused");
        free(recs);
        ckp_output_abort(o);
    }
    CHECK(!file_exists(fresh) && temp_files(dir) == 0, "nothing left after a refused batch");

    /* With force the existing file is replaced by a complete results file. */
    st = run_to_file(sc, &ro, other, &oo, &err);
    CHECK(st == CKP_OK, "force replaces: %s", err.message);
    ckp_output_file *f = NULL;
    st = ckp_output_file_open(other, &f, &err);
    CHECK(st == CKP_OK, "the replaced file opens: %s", err.message);
    ckp_output_file_close(f);

    /* Bad input. */
    oo.compress = 10;
    st = ckp_output_open(fresh, plan, &oo, &o, &err);
    CHECK(st == CKP_ERR_USAGE, "compression 10 refused");
    oo.compress = 0;
    char nodir[700];
    snprintf(nodir, sizeof nodir, "%s/no/such/dir/x.h5", dir);
    st = ckp_output_open(nodir, plan, &oo, &o, &err);
    CHECK(st == CKP_ERR_IO && strstr(err.message, "no/such/dir"), "missing directory: %s",
          err.message);
    st = ckp_output_open(dir, plan, &oo, &o, &err);
    CHECK(st == CKP_ERR_IO, "a directory as target refused");
    write_text(junk, "not hdf5\n");
    st = ckp_output_file_open(junk, &f, &err);
    CHECK(st == CKP_ERR_IO && strstr(err.message, "not an HDF5 file"), "junk refused: %s",
          err.message);
    st = ckp_output_file_open(fresh, &f, &err);
    CHECK(st == CKP_ERR_IO, "missing file refused");

    ckp_plan_free(plan);
    ckp_run_result_free(mr);
    ckp_memsink_free(ms);
    ckp_scenario_free(sc);
    remove(path);
    remove(other);
    remove(junk);
    rmdir(dir);
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all output checks passed\n");
    return 0;
}
