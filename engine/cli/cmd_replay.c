/* chokepoint: `chokepoint replay FILE --path N`, one path again, month by month.
 *
 * The resolved scenario, the seed and the antithetic flag stored in the file
 * are all a path needs: they make a run plan (whose base generator must be
 * the one stored), the plan replays the path of the policy with a full trace
 * (ckp_plan_replay), and the metrics the replay produces are compared bit for
 * bit with the record stored in the file.
 * A difference means the file cannot be reproduced by this engine (a different
 * version, or a damaged file): it is reported and the exit status is 1. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "engine/core/error_impl.h"

static void replay_usage(FILE *out)
{
    fprintf(out,
            "Usage: chokepoint replay FILE --path N|worst [--policy NAME] [--format table|csv]\n"
            "\n"
            "Re-simulate path N (a global path index stored in FILE) of one policy from the\n"
            "scenario, seed and generator state stored in FILE, and print it month by month:\n"
            "regimes, block fractions, supply, reroute, stockpile release and level,\n"
            "shortfall, price multiple, inoperability and loss; then the path's metrics,\n"
            "checked bit for bit against the ones stored in FILE.\n"
            "\n"
            "Options:\n"
            "  --path N|worst      global path index, or `worst`: the path with the\n"
            "                      largest total loss of the policy (required)\n"
            "  --policy NAME       policy to replay (default: baseline)\n"
            "  --format table|csv  table for reading (default), or long CSV with columns\n"
            "                      section,month,item,variable,value (numbers with 17\n"
            "                      significant digits)\n"
            "  --uniforms K        also print the first K uniforms of the path (after the\n"
            "                      antithetic flip), to check a generator against it\n"
            "\n"
            "Exit status: 0 the replay equals the stored record; 1 it differs (FILE was\n"
            "written by another engine, or its values were changed), or another failure;\n"
            "2 bad input: an option, or FILE missing, not a regular file, not a results\n"
            "file, damaged, incomplete, of a newer schema, or with a stored scenario that\n"
            "fails validation or names a CSV file (replay reads nothing but FILE).\n");
}

typedef struct replay_args {
    const char *file, *policy, *format;
    int have_path;
    int worst; /* --path worst: the path with the largest loss_total of the policy */
    long long path;
    long long uniforms;
} replay_args;

static int parse_args(int argc, char **argv, replay_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *v = NULL;
        const char *eq = strchr(s, '=');
        size_t nlen = eq && s[0] == '-' ? (size_t)(eq - s) : strlen(s);
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0)
            return 1;
        int opt_path = strncmp(s, "--path", nlen) == 0 && nlen == 6;
        int opt_pol = strncmp(s, "--policy", nlen) == 0 && nlen == 8;
        int opt_fmt = strncmp(s, "--format", nlen) == 0 && nlen == 8;
        int opt_uni = strncmp(s, "--uniforms", nlen) == 0 && nlen == 10;
        if (opt_path || opt_pol || opt_fmt || opt_uni) {
            if (eq)
                v = eq + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else {
                fprintf(stderr, "chokepoint replay: %s needs a value\n", s);
                return -1;
            }
            if (opt_path && strcmp(v, "worst") == 0) {
                a->worst = 1;
                a->have_path = 1;
            } else if (opt_path || opt_uni) {
                char *end = NULL;
                errno = 0;
                long long n = strtoll(v, &end, 10);
                if (!v[0] || *end || errno || n < 0) {
                    fprintf(stderr, "chokepoint replay: %s: expected %s, got '%s'\n",
                            opt_path ? "--path" : "--uniforms",
                            opt_path ? "a number >= 0 or 'worst'" : "a number >= 0", v);
                    return -1;
                }
                if (opt_path) {
                    a->path = n;
                    a->have_path = 1;
                } else
                    a->uniforms = n;
            } else if (opt_pol)
                a->policy = v;
            else {
                if (strcmp(v, "table") != 0 && strcmp(v, "csv") != 0) {
                    fprintf(stderr,
                            "chokepoint replay: --format: expected table or csv, got '%s'\n", v);
                    return -1;
                }
                a->format = v;
            }
        } else if (s[0] == '-' && s[1] != '\0') {
            fprintf(stderr, "chokepoint replay: unknown option '%s'\n", s);
            return -1;
        } else if (a->file) {
            fprintf(stderr, "chokepoint replay: more than one file given\n");
            return -1;
        } else
            a->file = s;
    }
    if (!a->file) {
        fprintf(stderr, "chokepoint replay: no results file given\n");
        return -1;
    }
    if (!a->have_path) {
        fprintf(stderr, "chokepoint replay: --path N (or --path worst) is required\n");
        return -1;
    }
    return 0;
}

/* Everything the trace holds, T months. */
typedef struct traces {
    ckp_trace t;
    void *mem[14];
} traces;

static int alloc_trace(traces *tr, const ckp_layout *lay)
{
    size_t T = (size_t)lay->T, S = (size_t)lay->S, M = (size_t)lay->M, I = (size_t)lay->I;
    memset(tr, 0, sizeof *tr);
    size_t n[14] = {T * S, T * S * M, T * M, T * M, T * M, T * M, T * M,
                    T * M, T * M, T * M, T * I, T * I, T * I, T * M};
    for (int i = 0; i < 14; i++) {
        tr->mem[i] = calloc(n[i] ? n[i] : 1, i == 0 ? sizeof(int) : sizeof(double));
        if (!tr->mem[i])
            return -1;
    }
    tr->t.regime = tr->mem[0];
    tr->t.block = tr->mem[1];
    tr->t.gap = tr->mem[2];
    tr->t.supply = tr->mem[3];
    tr->t.ramp = tr->mem[4];
    tr->t.reroute = tr->mem[5];
    tr->t.release = tr->mem[6];
    tr->t.stock_days = tr->mem[7];
    tr->t.shortfall = tr->mem[8];
    tr->t.price = tr->mem[9];
    tr->t.q0 = tr->mem[10];
    tr->t.inop = tr->mem[11];
    tr->t.loss = tr->mem[12];
    tr->t.cost = tr->mem[13];
    return 0;
}

static void free_trace(traces *tr)
{
    for (int i = 0; i < 14; i++)
        free(tr->mem[i]);
}

/* The label of slot c of a metric (e.g. "autos", "NdPr", "CN/open"). */
static void slot_label(const ckp_scenario *sc, ckp_dimset ds, size_t c, char *buf, size_t cap)
{
    switch (ds) {
    case CKP_DIMS_INDUSTRY:
        snprintf(buf, cap, "%s", ckp_scenario_industry(sc, (int)c));
        break;
    case CKP_DIMS_MATERIAL:
        snprintf(buf, cap, "%s", ckp_scenario_material(sc, (int)c));
        break;
    case CKP_DIMS_SUPPLIER_REGIME: {
        const size_t K = (size_t)ckp_scenario_nregimes(sc);
        snprintf(buf, cap, "%s/%s", ckp_scenario_supplier(sc, (int)(c / K)),
                 ckp_scenario_regime(sc, (int)(c % K)));
        break;
    }
    default:
        snprintf(buf, cap, "total");
        break;
    }
}

static void print_csv(FILE *out, const ckp_scenario *sc, const ckp_layout *lay,
                      const ckp_trace *t, const double *record)
{
    int S = lay->S, M = lay->M, I = lay->I, T = lay->T;
    fprintf(out, "section,month,item,variable,value\n");
    for (int m1 = 0; m1 < T; m1++) {
        int mo = m1 + 1;
        for (int s = 0; s < S; s++)
            fprintf(out, "supplier,%d,%s,regime,%s\n", mo, ckp_scenario_supplier(sc, s),
                    ckp_scenario_regime(sc, t->regime[m1 * S + s]));
        for (int s = 0; s < S; s++)
            for (int m = 0; m < M; m++)
                fprintf(out, "block,%d,%s/%s,block,%.17g\n", mo, ckp_scenario_supplier(sc, s),
                        ckp_scenario_material(sc, m), t->block[((size_t)m1 * S + s) * M + m]);
        for (int m = 0; m < M; m++) {
            size_t i = (size_t)m1 * M + m;
            const struct {
                const char *n;
                double v;
            } v[] = {{"gap", t->gap[i]},           {"supply", t->supply[i]},
                     {"ramp", t->ramp[i]},         {"reroute", t->reroute[i]},
                     {"release", t->release[i]},   {"stock_days", t->stock_days[i]},
                     {"shortfall", t->shortfall[i]}, {"price", t->price[i]},
                     {"extra_cost", t->cost[i]}};
            for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
                fprintf(out, "material,%d,%s,%s,%.17g\n", mo, ckp_scenario_material(sc, m), v[k].n, v[k].v);
        }
        for (int i1 = 0; i1 < I; i1++) {
            size_t i = (size_t)m1 * I + i1;
            fprintf(out, "industry,%d,%s,q0,%.17g\n", mo, ckp_scenario_industry(sc, i1), t->q0[i]);
            fprintf(out, "industry,%d,%s,inoperability,%.17g\n", mo, ckp_scenario_industry(sc, i1),
                    t->inop[i]);
            fprintf(out, "industry,%d,%s,loss,%.17g\n", mo, ckp_scenario_industry(sc, i1), t->loss[i]);
        }
    }
    const ckp_metric_info *mt = ckp_metric_table();
    char label[256];
    for (int j = 0; j < CKP_M_COUNT; j++)
        for (size_t c = 0; c < lay->length[j]; c++) {
            slot_label(sc, mt[j].dims, c, label, sizeof label);
            fprintf(out, "metric,,%s,%s,%.17g\n", label, mt[j].name,
                    record[lay->offset[j] + c]);
        }
}

static void print_table(FILE *out, const ckp_scenario *sc, const ckp_layout *lay,
                        const ckp_trace *t, const double *record)
{
    int S = lay->S, M = lay->M, I = lay->I, T = lay->T;
    for (int m1 = 0; m1 < T; m1++) {
        fprintf(out, "month %d   regimes:", m1 + 1);
        for (int s = 0; s < S; s++)
            fprintf(out, " %s=%s", ckp_scenario_supplier(sc, s), ckp_scenario_regime(sc, t->regime[m1 * S + s]));
        fprintf(out, "\n  %-16s %9s %9s %9s %9s %10s %9s %9s   block by supplier\n", "material",
                "supply", "reroute", "release", "short", "stock_d", "price", "ramp");
        for (int m = 0; m < M; m++) {
            size_t i = (size_t)m1 * M + m;
            fprintf(out, "  %-16s %9.4f %9.4f %9.4f %9.4f %10.2f %9.4f %9.4f  ", ckp_scenario_material(sc, m),
                    t->supply[i], t->reroute[i], t->release[i], t->shortfall[i],
                    t->stock_days[i], t->price[i], t->ramp[i]);
            for (int s = 0; s < S; s++) {
                double b = t->block[((size_t)m1 * S + s) * M + m];
                if (b != 0.0)
                    fprintf(out, " %s=%.3f", ckp_scenario_supplier(sc, s), b);
            }
            fputc('\n', out);
        }
        fprintf(out, "  %-16s %9s %9s %14s\n", "industry", "q0", "inop", "loss");
        for (int i1 = 0; i1 < I; i1++) {
            size_t i = (size_t)m1 * I + i1;
            fprintf(out, "  %-16s %9.4f %9.4f %14.6g\n", ckp_scenario_industry(sc, i1), t->q0[i],
                    t->inop[i], t->loss[i]);
        }
    }
    fprintf(out, "\nmetrics of the path\n");
    const ckp_metric_info *mt = ckp_metric_table();
    char label[256];
    for (int j = 0; j < CKP_M_COUNT; j++)
        for (size_t c = 0; c < lay->length[j]; c++) {
            slot_label(sc, mt[j].dims, c, label, sizeof label);
            fprintf(out, "  %-18s %-20s %.17g\n", mt[j].name, label, record[lay->offset[j] + c]);
        }
}

/* The index of `policy` in the file's run order, or -1 (then listed on stderr). */
static int file_policy(const char *file, const ckp_output_info *in, const char *policy)
{
    for (int i = 0; i < in->npol; i++)
        if (strcmp(in->policy_names[i], policy) == 0)
            return i;
    fprintf(stderr, "chokepoint replay: %s: no policy '%s' in the file (it has:", file, policy);
    for (int i = 0; i < in->npol; i++)
        fprintf(stderr, " %s", in->policy_names[i]);
    fprintf(stderr, ")\n");
    return -1;
}

/* A plan of the file's run for scenario policy p alone (with the baseline):
 * the file's seed, path range and antithetic flag. *k gets p's run index. */
static ckp_status replay_plan(const ckp_scenario *sc, const ckp_output_info *in, int p,
                              ckp_plan **plan, int *k, ckp_error *err)
{
    ckp_run_options ro;
    ckp_run_options_default(&ro, sc);
    ro.seed = in->seed;
    ro.first_path = in->first_path;
    ro.paths = in->paths;
    ro.antithetic = in->antithetic;
    ro.npolicies = 1;
    ro.policies = &p;
    ro.month_stats = 0;
    ro.threads = 1;
    CKP_TRY(ckp_plan_create(sc, &ro, plan, err));
    *k = 0;
    for (int i = 0; i < ckp_plan_npolicies(*plan); i++)
        if (ckp_plan_policy(*plan, i) == p)
            *k = i;
    return CKP_OK;
}

static int same_generator(const ckp_pcg64 *a, const ckp_pcg64 *b)
{
    return a->state.hi == b->state.hi && a->state.lo == b->state.lo && a->inc.hi == b->inc.hi &&
           a->inc.lo == b->inc.lo;
}

/* Print the replayed path, its first uniforms, and check its metrics against
 * the stored ones. Returns the exit status. */
static int report(const replay_args *a, const char *policy, const ckp_output_info *in,
                  const ckp_scenario *sc, const ckp_plan *plan, const ckp_trace *t,
                  const double *rec, const double *stored, double *u)
{
    const ckp_layout *lay = ckp_plan_layout(plan);
    int csv = a->format && strcmp(a->format, "csv") == 0;
    if (!csv)
        printf("%s: path %lld, policy '%s', seed %llu%s\n\n", a->file, a->path, policy,
               (unsigned long long)in->seed, in->antithetic ? ", antithetic" : "");
    if (csv)
        print_csv(stdout, sc, lay, t, rec);
    else
        print_table(stdout, sc, lay, t, rec);
    size_t nu = (unsigned long long)a->uniforms < lay->uniforms ? (size_t)a->uniforms
                                                                : lay->uniforms;
    if (nu) {
        ckp_path_uniforms(lay, ckp_plan_base(plan), (uint64_t)a->path, ckp_plan_antithetic(plan),
                          u);
        if (!csv)
            printf("\nfirst %zu uniforms of the path\n", nu);
    }
    for (size_t i = 0; i < nu; i++)
        printf(csv ? "uniform,,%zu,u,%.17g\n" : "  %zu %.17g\n", i, u[i]);
    size_t ndiff = 0;
    for (size_t i = 0; i < lay->record; i++)
        ndiff += memcmp(&rec[i], &stored[i], sizeof(double)) != 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chokepoint replay: cannot write to standard output\n");
        return 1;
    }
    if (ndiff) {
        fprintf(stderr,
                "chokepoint replay: %s: %zu of %zu replayed metrics differ from the stored "
                "ones (file written by chokepoint %s, this is %s)\n",
                a->file, ndiff, lay->record, in->engine_version, ckp_version());
        return 1;
    }
    if (!csv)
        printf("\nall %zu metrics equal the stored ones bit for bit\n", lay->record);
    return 0;
}

int ckp_cmd_replay(int argc, char **argv)
{
    replay_args a;
    memset(&a, 0, sizeof a);
    int pr = parse_args(argc, argv, &a);
    if (pr != 0) {
        replay_usage(pr > 0 ? stdout : stderr);
        return pr > 0 ? 0 : 2;
    }
    const char *policy = a.policy ? a.policy : "baseline";

    ckp_error err;
    ckp_error_clear(&err);
    ckp_output_file *f = NULL;
    ckp_scenario *sc = NULL;
    ckp_plan *plan = NULL;
    char *yaml = NULL;
    double *u = NULL, *rec = NULL, *stored = NULL;
    traces tr;
    memset(&tr, 0, sizeof tr);
    int rc = 1;
    ckp_status st = ckp_output_file_open(a.file, &f, &err);
    if (st == CKP_OK)
        st = ckp_output_read_text(f, "scenario_resolved", &yaml, &err);
    if (st != CKP_OK)
        goto fail;
    const ckp_output_info *in = ckp_output_file_info(f);
    int k = file_policy(a.file, in, policy);
    if (k < 0) {
        rc = 2;
        goto done;
    }
    if (a.worst) {
        int64_t wp = 0;
        if ((st = ckp_output_find_worst(f, k, &wp, NULL, &err)) != CKP_OK)
            goto fail;
        a.path = (long long)wp;
    }
    if (a.path < in->first_path || a.path >= in->first_path + in->paths) {
        fprintf(stderr, "chokepoint replay: %s: path %lld is not in the file (it holds %lld..%lld)\n",
                a.file, a.path, (long long)in->first_path,
                (long long)(in->first_path + in->paths - 1));
        rc = 2;
        goto done;
    }
    char scname[600];
    snprintf(scname, sizeof scname, "%s:scenario_resolved", a.file);
    /* The stored scenario is self-contained: replay reads nothing but FILE. */
    if ((st = ckp_scenario_load_inline(yaml, strlen(yaml), scname, &sc, &err)) != CKP_OK)
        goto fail;
    int p = ckp_scenario_policy_index(sc, policy);
    if (p < 0 || ckp_scenario_horizon(sc) != in->horizon_months) {
        fprintf(stderr, "chokepoint replay: %s: the stored scenario does not match the file\n",
                a.file);
        rc = 2;
        goto done;
    }
    int kp = 0;
    if ((st = replay_plan(sc, in, p, &plan, &kp, &err)) != CKP_OK)
        goto fail;
    if (!same_generator(ckp_plan_base(plan), &in->base)) {
        fprintf(stderr,
                "chokepoint replay: %s: the stored generator is not the one of the stored seed\n",
                a.file);
        goto done;
    }
    const ckp_layout *lay = ckp_plan_layout(plan);
    u = malloc((lay->uniforms ? lay->uniforms : 1) * sizeof *u);
    rec = malloc(lay->record * sizeof *rec);
    stored = malloc(lay->record * sizeof *stored);
    if (!u || !rec || !stored || alloc_trace(&tr, lay) != 0) {
        st = CKP_FAIL(&err, CKP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((st = ckp_output_read_record(f, k, (int64_t)a.path, lay, stored, &err)) != CKP_OK ||
        (st = ckp_plan_replay(plan, kp, (int64_t)a.path, rec, &tr.t, &err)) != CKP_OK)
        goto fail;
    rc = report(&a, policy, in, sc, plan, &tr.t, rec, stored, u);
    goto done;
fail:
    fprintf(stderr, "chokepoint replay: %s\n", err.message[0] ? err.message : ckp_status_str(st));
    /* What the file holds is input: the reader's CKP_ERR_IO (or HDF5) and a
     * stored scenario that plans badly (CKP_ERR_NUMERIC) are bad input. */
    rc = st == CKP_ERR_IO || st == CKP_ERR_HDF5 || st == CKP_ERR_NUMERIC ? 2
                                                                          : ckp_status_exit_code(st);
done:
    free_trace(&tr);
    free(u);
    free(rec);
    free(stored);
    free(yaml);
    ckp_plan_free(plan);
    ckp_scenario_free(sc);
    ckp_output_file_close(f);
    return rc;
}
