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
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "engine/core/error_impl.h"
#include "table.h"

static void replay_usage(FILE *out)
{
    fprintf(out, "Usage: chokepoint replay FILE --path N|worst [--policy NAME] [--vs NAME]\n"
                 "                         [--format table|csv] [--uniforms K]\n"
                 "\n"
                 "Re-simulate path N (a global path index stored in FILE) of one policy from the\n"
                 "scenario, seed and generator state stored in FILE, and print it month by month:\n"
                 "regimes, block fractions, supply, reroute, stockpile release and level,\n"
                 "shortfall, price multiple, inoperability and loss; then the path's metrics,\n"
                 "checked bit for bit against the ones stored in FILE. The table starts with the\n"
                 "path's total loss and its rank among the file's paths, and a legend of the\n"
                 "columns; money is shown in one readable unit (thousand, million, billion).\n"
                 "\n"
                 "Options:\n"
                 "  --path N|worst      global path index, or `worst`: the path with the\n"
                 "                      largest total loss of the policy replayed (required);\n"
                 "                      with --policy P that is P's own worst path, which need\n"
                 "                      not be the baseline's (replay --path worst without\n"
                 "                      --policy for that, or give its number with --path N)\n"
                 "  --policy NAME       policy to replay (default: baseline)\n"
                 "  --vs NAME           show the same path under a second policy side by side\n"
                 "                      (A = --policy, B = NAME): shortfall, stock, price,\n"
                 "                      inoperability and loss of both, month by month; --path\n"
                 "                      worst is then A's worst path (table format only)\n"
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
    const char *file, *policy, *format, *vs;
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
        int opt_vs = strncmp(s, "--vs", nlen) == 0 && nlen == 4;
        if (opt_path || opt_pol || opt_fmt || opt_uni || opt_vs) {
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
            else if (opt_vs)
                a->vs = v;
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
    if (a->vs && a->format && strcmp(a->format, "csv") == 0) {
        fprintf(stderr, "chokepoint replay: --vs shows a table; for CSV replay each policy "
                        "with --policy\n");
        return -1;
    }
    if (a->vs && !strcmp(a->vs, a->policy ? a->policy : "baseline")) {
        fprintf(stderr, "chokepoint replay: --vs names the policy replayed already\n");
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

/* Money in one readable unit: the largest of thousand .. trillion that keeps
 * `big` at or above 1. */
static void money_unit(double big, double *scale, const char **name)
{
    static const struct {
        double scale;
        const char *name;
    } units[] = {{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}};
    *scale = 1.0;
    *name = "";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (fabs(big) >= units[i].scale) {
            *scale = units[i].scale;
            *name = units[i].name;
            return;
        }
}

/* What the columns of the month tables mean (vs: the side-by-side table). */
static void print_legend(FILE *out, const char *unit, const char *currency, int vs)
{
    fprintf(out, "Per material (%s: fractions of normal monthly demand):\n",
            vs ? "short" : "supply, reroute, release, short");
    if (!vs)
        fprintf(out, "  supply    imports that get through the export controls this month\n"
                     "  reroute   the gap covered by other suppliers' spare capacity\n"
                     "  release   drawn from the stockpile\n");
    fprintf(out, "  short     physical shortfall: demand left unmet this month\n"
                 "  stock_d   stockpile after the month, in days of normal demand\n"
                 "  price     price as a multiple of the baseline price\n");
    if (!vs)
        fprintf(out, "  ramp      how far rerouting has ramped up (0 none .. 1 full)\n"
                     "  block by supplier  share of a supplier's exports blocked (when > 0)\n");
    fprintf(out, "Per industry:\n");
    if (!vs)
        fprintf(out, "  q0        direct inoperability: share of output lost before the\n"
                     "            input-output propagation\n");
    fprintf(out,
            "  inop      inoperability after the propagation\n"
            "  loss      output lost this month, in %s%s%s\n",
            unit, unit[0] ? " " : "", currency);
    if (vs)
        fprintf(out, "A is --policy, B is --vs; regimes are shown twice in months where the "
                     "two differ.\n");
    fputc('\n', out);
}

/* One month's regimes ("CN=restricted AU=open ..."). */
static void print_regimes(FILE *out, const ckp_scenario *sc, const ckp_trace *t, int m1, int S)
{
    for (int s = 0; s < S; s++)
        fprintf(out, " %s=%s", ckp_scenario_supplier(sc, s),
                ckp_scenario_regime(sc, t->regime[m1 * S + s]));
    fputc('\n', out);
}

static void print_table(FILE *out, const ckp_scenario *sc, const ckp_layout *lay,
                        const ckp_trace *t, const double *record, double scale,
                        const char *currency)
{
    int S = lay->S, M = lay->M, I = lay->I, T = lay->T;
    for (int m1 = 0; m1 < T; m1++) {
        fprintf(out, "month %d   regimes:", m1 + 1);
        print_regimes(out, sc, t, m1, S);
        fprintf(out, "  %-16s %9s %9s %9s %9s %10s %9s %9s   block by supplier\n", "material",
                "supply", "reroute", "release", "short", "stock_d", "price", "ramp");
        for (int m = 0; m < M; m++) {
            size_t i = (size_t)m1 * M + m;
            fprintf(out, "  %-16s %9.4f %9.4f %9.4f %9.4f %10.2f %9.4f %9.4f  ",
                    ckp_scenario_material(sc, m), t->supply[i], t->reroute[i], t->release[i],
                    t->shortfall[i], t->stock_days[i], t->price[i], t->ramp[i]);
            for (int s = 0; s < S; s++) {
                double b = t->block[((size_t)m1 * S + s) * M + m];
                if (b != 0.0)
                    fprintf(out, " %s=%.3f", ckp_scenario_supplier(sc, s), b);
            }
            fputc('\n', out);
        }
        fprintf(out, "  %-16s %9s %9s %10s\n", "industry", "q0", "inop", "loss");
        for (int i1 = 0; i1 < I; i1++) {
            size_t i = (size_t)m1 * I + i1;
            fprintf(out, "  %-16s %9.4f %9.4f %10.3f\n", ckp_scenario_industry(sc, i1), t->q0[i],
                    t->inop[i], t->loss[i] / scale);
        }
    }
    fprintf(out, "\nmetrics of the path (full precision)\n");
    const ckp_metric_info *mt = ckp_metric_table();
    char label[256];
    for (int j = 0; j < CKP_M_COUNT; j++)
        for (size_t c = 0; c < lay->length[j]; c++) {
            slot_label(sc, mt[j].dims, c, label, sizeof label);
            double v = record[lay->offset[j] + c], ms;
            fprintf(out, "  %-18s %-20s %.17g", mt[j].name, label, v);
            const char *mu;
            money_unit(v, &ms, &mu);
            if (!strcmp(mt[j].units, "currency") && v != 0.0)
                fprintf(out, "  (%.2f %s%s%s)", v / ms, mu, mu[0] ? " " : "", currency);
            fputc('\n', out);
        }
}

/* Two policies on the same path, side by side: A = --policy, B = --vs. */
static void print_vs(FILE *out, const ckp_scenario *sc, const ckp_layout *lay, const ckp_trace *a,
                     const ckp_trace *b, double scale)
{
    int S = lay->S, M = lay->M, I = lay->I, T = lay->T;
    for (int m1 = 0; m1 < T; m1++) {
        int same = memcmp(a->regime + m1 * S, b->regime + m1 * S, (size_t)S * sizeof(int)) == 0;
        fprintf(out, "month %d   regimes%s:", m1 + 1, same ? "" : " under A");
        print_regimes(out, sc, a, m1, S);
        if (!same) {
            fprintf(out, "%*s under B:", (int)snprintf(NULL, 0, "month %d   regimes", m1 + 1), "");
            print_regimes(out, sc, b, m1, S);
        }
        fprintf(out, "  %-16s %9s %9s %10s %10s %9s %9s\n", "material", "short A", "short B",
                "stock_d A", "stock_d B", "price A", "price B");
        for (int m = 0; m < M; m++) {
            size_t i = (size_t)m1 * M + m;
            fprintf(out, "  %-16s %9.4f %9.4f %10.2f %10.2f %9.4f %9.4f\n",
                    ckp_scenario_material(sc, m), a->shortfall[i], b->shortfall[i],
                    a->stock_days[i], b->stock_days[i], a->price[i], b->price[i]);
        }
        fprintf(out, "  %-16s %9s %9s %10s %10s\n", "industry", "inop A", "inop B", "loss A",
                "loss B");
        for (int i1 = 0; i1 < I; i1++) {
            size_t i = (size_t)m1 * I + i1;
            fprintf(out, "  %-16s %9.4f %9.4f %10.3f %10.3f\n", ckp_scenario_industry(sc, i1),
                    a->inop[i], b->inop[i], a->loss[i] / scale, b->loss[i] / scale);
        }
    }
}

/* The index of `policy` in the file's run order, or -1 (then listed on stderr). */
static int file_policy(const char *file, const ckp_output_info *in, const char *policy)
{
    for (int i = 0; i < in->npol; i++)
        if (strcmp(in->policy_names[i], policy) == 0)
            return i;
    fprintf(stderr,
            "chokepoint replay: %s: no policy '%s' in the file (it has:", ckp_cli_safe(file),
            ckp_cli_safe(policy));
    for (int i = 0; i < in->npol; i++)
        fprintf(stderr, " %s", ckp_cli_safe(in->policy_names[i]));
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

/* One policy's replay of the path: its plan, trace, replayed and stored records. */
typedef struct one {
    const char *name;
    int k;  /* in the file's run order */
    int kp; /* in the plan's */
    ckp_plan *plan;
    traces tr;
    double *rec, *stored;
} one;

static void one_free(one *o)
{
    free_trace(&o->tr);
    free(o->rec);
    free(o->stored);
    ckp_plan_free(o->plan);
}

/* Replay path `path` of policy o->name (file index o->k). Returns the exit
 * status, 0 to go on. */
static int one_replay(const char *file, const ckp_output_file *f, const ckp_output_info *in,
                      const ckp_scenario *sc, int64_t path, one *o, ckp_error *err)
{
    int p = ckp_scenario_policy_index(sc, o->name);
    if (p < 0 || ckp_scenario_horizon(sc) != in->horizon_months) {
        fprintf(stderr, "chokepoint replay: %s: the stored scenario does not match the file\n",
                file);
        return 2;
    }
    ckp_status st = replay_plan(sc, in, p, &o->plan, &o->kp, err);
    if (st != CKP_OK)
        return -(int)st;
    if (!same_generator(ckp_plan_base(o->plan), &in->base)) {
        fprintf(stderr,
                "chokepoint replay: %s: the stored generator is not the one of the stored seed\n",
                file);
        return 1;
    }
    const ckp_layout *lay = ckp_plan_layout(o->plan);
    o->rec = malloc(lay->record * sizeof *o->rec);
    o->stored = malloc(lay->record * sizeof *o->stored);
    if (!o->rec || !o->stored || alloc_trace(&o->tr, lay) != 0)
        st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    if (st == CKP_OK)
        st = ckp_output_read_record(f, o->k, path, lay, o->stored, err);
    if (st == CKP_OK)
        st = ckp_plan_replay(o->plan, o->kp, path, o->rec, &o->tr.t, err);
    return st == CKP_OK ? 0 : -(int)st;
}

/* How many paths of the policy lose more than v (*above) and how many in all
 * (*n), reading loss_total in slices. */
static ckp_status loss_rank(const char *file, const char *policy, double v, int64_t *above,
                            int64_t *n, ckp_error *err)
{
    ckp_output_slices *s = NULL;
    ckp_output_array shape;
    char name[300];
    double *buf = NULL;
    snprintf(name, sizeof name, "policies/%s/loss_total", policy);
    *above = 0;
    ckp_status st = ckp_output_slices_open(file, &s, err);
    if (st == CKP_OK)
        st = ckp_output_slices_shape(s, name, &shape, err);
    if (st == CKP_OK && !(buf = malloc(4096 * sizeof *buf)))
        st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    size_t total = st == CKP_OK ? shape.dims[0] : 0;
    for (size_t i = 0; st == CKP_OK && i < total; i += 4096) {
        size_t m = total - i < 4096 ? total - i : 4096;
        st = ckp_output_slices_read(s, name, i, m, buf, err);
        for (size_t j = 0; st == CKP_OK && j < m; j++)
            *above += buf[j] > v;
    }
    *n = (int64_t)total;
    free(buf);
    ckp_output_slices_close(s);
    return st;
}

/* The short header: path, policy, total loss and its rank among the paths. */
static ckp_status print_header(const replay_args *a, const ckp_output_info *in, const one *o,
                               const ckp_layout *lay, int second, ckp_error *err)
{
    double v = o->rec[lay->offset[CKP_M_LOSS_TOTAL]], scale;
    const char *unit;
    int64_t above = 0, n = 0;
    CKP_TRY(loss_rank(a->file, o->name, v, &above, &n, err));
    money_unit(v, &scale, &unit);
    printf("%s: path %lld%s, policy '%s', seed %llu%s\n", ckp_cli_safe(a->file), a->path,
           !a->worst ? ""
           : second  ? " (the worst path of the first policy)"
                     : " (--path worst: this policy's largest total loss)",
           ckp_cli_safe(o->name), (unsigned long long)in->seed,
           in->antithetic ? ", antithetic" : "");
    printf("total loss %.2f %s%s%s over %d months, ", v / scale, unit, unit[0] ? " " : "",
           ckp_cli_safe(in->currency), lay->T);
    if (above == 0)
        printf("the largest of the %lld paths\n", (long long)n);
    else
        printf("rank %lld of %lld paths by total loss (%.2f %% of the paths lose as much or "
               "more)\n",
               (long long)(above + 1), (long long)n, 100.0 * (double)(above + 1) / (double)n);
    return CKP_OK;
}

/* The number of replayed metrics of o that differ from the stored ones. */
static size_t differing(const one *o, const ckp_layout *lay)
{
    size_t nd = 0;
    for (size_t i = 0; i < lay->record; i++)
        nd += memcmp(&o->rec[i], &o->stored[i], sizeof(double)) != 0;
    return nd;
}

/* Print the replayed path (or two policies' side by side), its first uniforms,
 * and check the metrics against the stored ones. Returns the exit status. */
static int report(const replay_args *a, const ckp_output_info *in, const ckp_scenario *sc,
                  const one *o, const one *vs, double *u, ckp_error *err)
{
    const ckp_plan *plan = o->plan;
    const ckp_layout *lay = ckp_plan_layout(plan);
    int csv = a->format && strcmp(a->format, "csv") == 0;
    double big = 0.0, scale;
    const char *unit;
    for (size_t i = 0; i < (size_t)lay->T * (size_t)lay->I; i++)
        big = fmax(big, fmax(o->tr.t.loss[i], vs ? vs->tr.t.loss[i] : 0.0));
    money_unit(big, &scale, &unit);
    if (csv) {
        print_csv(stdout, sc, lay, &o->tr.t, o->rec);
    } else {
        if (print_header(a, in, o, lay, 0, err) != CKP_OK ||
            (vs && print_header(a, in, vs, lay, 1, err) != CKP_OK)) {
            fprintf(stderr, "chokepoint replay: %s\n", err->message);
            return 2;
        }
        if (vs) {
            double la = o->rec[lay->offset[CKP_M_LOSS_TOTAL]];
            double lb = vs->rec[lay->offset[CKP_M_LOSS_TOTAL]], sb;
            const char *ub;
            money_unit(fmax(fabs(la), fabs(lb)), &sb, &ub);
            printf("A = '%s', B = '%s' on the same path: B loses %.2f %s%s%s %s than A\n",
                   ckp_cli_safe(o->name), ckp_cli_safe(vs->name), fabs(lb - la) / sb, ub,
                   ub[0] ? " " : "", in->currency, lb <= la ? "less" : "more");
        }
        putchar('\n');
        print_legend(stdout, unit, in->currency, vs != NULL);
        if (vs)
            print_vs(stdout, sc, lay, &o->tr.t, &vs->tr.t, scale);
        else
            print_table(stdout, sc, lay, &o->tr.t, o->rec, scale, in->currency);
    }
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
    size_t ndiff = differing(o, lay) + (vs ? differing(vs, lay) : 0);
    size_t nall = lay->record * (vs ? 2 : 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chokepoint replay: cannot write to standard output\n");
        return 1;
    }
    if (ndiff) {
        fprintf(stderr,
                "chokepoint replay: %s: %zu of %zu replayed metrics differ from the stored "
                "ones (file written by chokepoint %s, this is %s)\n",
                a->file, ndiff, nall, in->engine_version, ckp_version());
        return 1;
    }
    if (!csv)
        printf("\nall %zu metrics equal the stored ones bit for bit\n", nall);
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
    ckp_error err;
    ckp_error_clear(&err);
    ckp_output_file *f = NULL;
    ckp_scenario *sc = NULL;
    char *yaml = NULL;
    double *u = NULL;
    one o[2];
    memset(o, 0, sizeof o);
    o[0].name = a.policy ? a.policy : "baseline";
    o[1].name = a.vs;
    int nrep = a.vs ? 2 : 1, rc = 1;
    ckp_status st = ckp_output_file_open(a.file, &f, &err);
    if (st == CKP_OK)
        st = ckp_output_read_text(f, "scenario_resolved", &yaml, &err);
    if (st != CKP_OK)
        goto fail;
    const ckp_output_info *in = ckp_output_file_info(f);
    for (int i = 0; i < nrep; i++)
        if ((o[i].k = file_policy(a.file, in, o[i].name)) < 0) {
            rc = 2;
            goto done;
        }
    if (a.worst) {
        int64_t wp = 0;
        if ((st = ckp_output_find_worst(f, o[0].k, &wp, NULL, &err)) != CKP_OK)
            goto fail;
        a.path = (long long)wp;
    }
    if (a.path < in->first_path || a.path >= in->first_path + in->paths) {
        fprintf(
            stderr, "chokepoint replay: %s: path %lld is not in the file (it holds %lld..%lld)\n",
            a.file, a.path, (long long)in->first_path, (long long)(in->first_path + in->paths - 1));
        rc = 2;
        goto done;
    }
    char scname[600];
    snprintf(scname, sizeof scname, "%s:scenario_resolved", a.file);
    /* The stored scenario is self-contained: replay reads nothing but FILE. */
    if ((st = ckp_scenario_load_inline(yaml, strlen(yaml), scname, &sc, &err)) != CKP_OK)
        goto fail;
    for (int i = 0; i < nrep; i++) {
        int r = one_replay(a.file, f, in, sc, (int64_t)a.path, &o[i], &err);
        if (r < 0) {
            st = (ckp_status)-r;
            goto fail;
        }
        if (r > 0) {
            rc = r;
            goto done;
        }
    }
    const ckp_layout *lay = ckp_plan_layout(o[0].plan);
    if (!(u = malloc((lay->uniforms ? lay->uniforms : 1) * sizeof *u))) {
        st = CKP_FAIL(&err, CKP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    rc = report(&a, in, sc, &o[0], a.vs ? &o[1] : NULL, u, &err);
    goto done;
fail:
    fprintf(stderr, "chokepoint replay: %s\n", err.message[0] ? err.message : ckp_status_str(st));
    /* What the file holds is input: the reader's CKP_ERR_IO (or HDF5) and a
     * stored scenario that plans badly (CKP_ERR_NUMERIC) are bad input. */
    rc = st == CKP_ERR_IO || st == CKP_ERR_HDF5 || st == CKP_ERR_NUMERIC ? 2
                                                                          : ckp_status_exit_code(st);
done:
    for (int i = 0; i < 2; i++)
        one_free(&o[i]);
    free(u);
    free(yaml);
    ckp_scenario_free(sc);
    ckp_output_file_close(f);
    return rc;
}
