/* chokepoint: `chokepoint sensitivity`, the tornado and regret tables.
 *
 * Each key of `--vary KEY=LOW,HIGH` and of the scenario's `sensitivity:`
 * section is swung to its low and its high value (ckp_scenario_vary); every
 * swing is a variant of the scenario run for every policy on the same seed
 * and path range as the unswung scenario (common random numbers). From each
 * variant only its policy table (ckp_output_table_rows, the same figures as
 * `run` prints) is kept, and from the low swing the baseline's per-path total
 * losses, until the high swing's give the paired standard error of the swing:
 * memory is that of one `run` plus one column, whatever the number of keys.
 * With -o the unswung run is written as a normal results file, with the tables
 * in its group `sensitivity/`. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "engine/core/error_impl.h"
#include "sens.h"
#include "signals.h"

static void sens_usage(FILE *out)
{
    fprintf(out, "Usage: chokepoint sensitivity [FILE] [--vary KEY=LOW,HIGH ...] [options]\n"
                 "\n"
                 "Swing each KEY of the scenario (FILE, or the built-in default scenario) to its\n"
                 "LOW and its HIGH value, run every swing for the baseline and every policy on\n"
                 "the same paths as the unswung scenario, and print the tornado table (baseline\n"
                 "mean total loss at each swing, with the paired standard error of the swing),\n"
                 "each policy's mean benefit at each swing, the regret table and the robustness\n"
                 "of each policy. Keys come from --vary and from the scenario's `sensitivity:`\n"
                 "section (its entries first). KEY is a key path as in the scenario's messages,\n"
                 "e.g. materials[NdPr].stockpile.days or suppliers[CN].transitions.licensing.\n"
                 "restricted (the row's other entries are rescaled to keep it summing to 1).\n"
                 "\n"
                 "Options:\n"
                 "      --vary KEY=LOW,HIGH  a key and its two values; repeatable\n"
                 "  -n, --paths N       number of paths (default: the scenario's `paths`)\n"
                 "  -s, --seed S        64-bit seed (default: the scenario's `seed`)\n"
                 "  -j, --threads N     threads; 0 = OpenMP's default (default: 0)\n"
                 "  -o, --output FILE   write the unswung run as a results file with the tables\n"
                 "                      in its group sensitivity/ (default: none)\n"
                 "      --force         replace FILE if it exists (default: refuse)\n"
                 "  -q, --quiet         no notes on stderr\n"
                 "  -h, --help          show this help and exit\n"
                 "\n"
                 "Results depend only on the scenario, the keys, the seed and the paths, never\n"
                 "on threads. Exit status: 0 success, 2 bad input, 1 other failure.\n");
}

typedef struct sargs {
    const char *file, *output;
    int have_paths, have_seed, force, quiet;
    uint64_t paths, seed, threads;
    const char **vary;
    int nvary;
    char *cmdline; /* stored in the results file */
} sargs;

/* 0 to go on, 1 after --help, 2 on a usage error. */
static int parse_args(int argc, char **argv, sargs *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            sens_usage(stdout);
            return 1;
        }
        if (!strcmp(s, "--force") || !strcmp(s, "-q") || !strcmp(s, "--quiet")) {
            *(s[1] == 'f' || s[2] == 'f' ? &a->force : &a->quiet) = 1;
            continue;
        }
        if (s[0] != '-' || !strcmp(s, "-")) {
            if (a->file) {
                fprintf(stderr,
                        "chokepoint sensitivity: more than one scenario file ('%s', "
                        "'%s')\n",
                        a->file, s);
                return 2;
            }
            a->file = s;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "chokepoint sensitivity: option %s needs a value\n", s);
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(s, "--vary"))
            a->vary[a->nvary++] = v;
        else if (!strcmp(s, "-n") || !strcmp(s, "--paths"))
            bad = ckp_cli_number("sensitivity", s, v, 1, INT64_MAX, &a->paths), a->have_paths = 1;
        else if (!strcmp(s, "-s") || !strcmp(s, "--seed"))
            bad = ckp_cli_number("sensitivity", s, v, 0, UINT64_MAX, &a->seed), a->have_seed = 1;
        else if (!strcmp(s, "-j") || !strcmp(s, "--threads"))
            bad = ckp_cli_number("sensitivity", s, v, 0, 4096, &a->threads);
        else if (!strcmp(s, "-o") || !strcmp(s, "--output"))
            a->output = v;
        else {
            fprintf(stderr, "chokepoint sensitivity: unknown option '%s' (see --help)\n", s);
            return 2;
        }
        if (bad)
            return 2;
    }
    return 0;
}

static int fail(const ckp_error *err, ckp_status st, const char *what)
{
    const char *msg = err->message[0] ? err->message : ckp_status_str(st);
    if (!strncmp(msg, "run: ", 5)) /* the library's own module prefix */
        msg += 5;
    if (what)
        fprintf(stderr, "chokepoint sensitivity: %s: %s\n", what, msg);
    else
        fprintf(stderr, "chokepoint sensitivity: %s\n", msg);
    return st == CKP_ERR_NOMEM ? 1 : ckp_status_exit_code(st);
}

/* ---- the swings ------------------------------------------------------------------ */

/* One swing of a key: its text from --vary or the scenario's section. */
typedef struct swing {
    char *key, *low, *high; /* owned (a copy of --vary's pieces or of the section's) */
    int low_line, low_col, high_line, high_col;
    char *what; /* "--vary K=L,H" or "sensitivity[i]" for messages */
} swing;

static void swings_free(swing *w, int n)
{
    for (int i = 0; w && i < n; i++) {
        free(w[i].key);
        free(w[i].low);
        free(w[i].high);
        free(w[i].what);
    }
    free(w);
}

/* "KEY=LOW,HIGH" into w; -1 with a message when malformed. */
static int split_vary(const char *v, swing *w)
{
    const char *eq = strchr(v, '=');
    const char *comma = eq ? strchr(eq + 1, ',') : NULL;
    if (!eq || eq == v || !comma || comma == eq + 1 || !comma[1] || strchr(comma + 1, ',')) {
        fprintf(stderr,
                "chokepoint sensitivity: --vary %s: expected KEY=LOW,HIGH (e.g. "
                "materials[NdPr].stockpile.days=0,90)\n",
                v);
        return -1;
    }
    w->key = strndup(v, (size_t)(eq - v));
    w->low = strndup(eq + 1, (size_t)(comma - eq - 1));
    w->high = strdup(comma + 1);
    size_t n = strlen(v) + 8;
    if ((w->what = malloc(n)) != NULL)
        snprintf(w->what, n, "--vary %s", v);
    return w->key && w->low && w->high && w->what ? 0 : -2;
}

/* The section's entries, then --vary's. Returns 0, or the exit status. */
static int collect(const sargs *a, const ckp_scenario *sc, swing **out, int *n)
{
    int ns = 0;
    const ckp_swing *sw = ckp_scenario_swings(sc, &ns);
    int total = ns + a->nvary;
    if (total == 0) {
        fprintf(stderr, "chokepoint sensitivity: nothing to vary: give --vary KEY=LOW,HIGH or "
                        "a `sensitivity:` section in the scenario\n");
        return 2;
    }
    swing *w = calloc((size_t)total, sizeof *w);
    if (!w)
        return 1;
    int rc = 0;
    for (int i = 0; i < ns && !rc; i++) {
        w[i].key = strdup(sw[i].key);
        w[i].low = strdup(sw[i].low);
        w[i].high = strdup(sw[i].high);
        w[i].low_line = sw[i].low_line;
        w[i].low_col = sw[i].low_col;
        w[i].high_line = sw[i].high_line;
        w[i].high_col = sw[i].high_col;
        if ((w[i].what = malloc(40)) != NULL)
            snprintf(w[i].what, 40, "sensitivity[%d]", i);
        rc = w[i].key && w[i].low && w[i].high && w[i].what ? 0 : 1;
    }
    for (int i = 0; i < a->nvary && !rc; i++) {
        int r = split_vary(a->vary[i], &w[ns + i]);
        rc = r == -1 ? 2 : r ? 1 : 0;
    }
    if (rc == 1)
        fprintf(stderr, "chokepoint sensitivity: out of memory\n");
    *out = w;
    *n = total;
    return rc;
}

/* The variant of swing w at side `hi`; exit status (0 ok) after a message. */
static int make_variant(const ckp_scenario *sc, const swing *w, int hi, ckp_scenario **v,
                        double *value)
{
    ckp_override ov = {w->key, hi ? w->high : w->low, hi ? w->high_line : w->low_line,
                       hi ? w->high_col : w->low_col};
    ckp_error err;
    ckp_error_clear(&err);
    ckp_status st = ckp_scenario_vary(sc, &ov, 1, v, &err);
    if (st != CKP_OK)
        return fail(&err, st, w->what);
    char *end = NULL;
    errno = 0;
    *value = strtod(ov.value, &end);
    if (end == ov.value || *end || errno) {
        fprintf(stderr,
                "chokepoint sensitivity: %s: %s: expected a number to swing, found "
                "'%s'\n",
                w->what, w->key, ov.value);
        ckp_scenario_free(*v);
        *v = NULL;
        return 2;
    }
    return 0;
}

/* ---- the runs ---------------------------------------------------------------------- */

/* A sink that keeps the total loss of every run policy, and passes the
 * batch on to another sink (the writer) when there is one. */
typedef struct loss_keep {
    int npol;
    int64_t n, cap;
    double **loss;
    const ckp_sink *next;
} loss_keep;

static ckp_status keep_write(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                             int npol, const double *const *records, ckp_error *err)
{
    loss_keep *lk = ctx;
    if (lk->n + n > lk->cap)
        return CKP_FAIL(err, CKP_ERR_INTERNAL, "more paths than the plan's");
    size_t off = lay->offset[CKP_M_LOSS_TOTAL];
    for (int k = 0; k < npol && k < lk->npol; k++)
        for (int64_t i = 0; i < n; i++)
            lk->loss[k][lk->n + i] = records[k][(size_t)i * lay->record + off];
    lk->n += n;
    if (lk->next)
        return lk->next->write_batch(lk->next->ctx, lay, first_path, n, npol, records, err);
    return CKP_OK;
}

static void keep_free(loss_keep *lk)
{
    for (int k = 0; lk->loss && k < lk->npol; k++)
        free(lk->loss[k]);
    free(lk->loss);
    memset(lk, 0, sizeof *lk);
}

static ckp_status keep_init(loss_keep *lk, const ckp_plan *plan, const ckp_sink *next,
                            ckp_error *err)
{
    memset(lk, 0, sizeof *lk);
    lk->npol = ckp_plan_npolicies(plan);
    lk->cap = ckp_plan_paths(plan);
    lk->next = next;
    lk->loss = calloc((size_t)lk->npol, sizeof *lk->loss);
    for (int k = 0; lk->loss && k < lk->npol; k++)
        if (!(lk->loss[k] = malloc((size_t)lk->cap * sizeof(double)))) {
            keep_free(lk);
            break;
        }
    return lk->loss ? CKP_OK
                    : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory keeping %lld total losses",
                               (long long)lk->cap);
}

/* Run `plan` keeping the total losses (and feeding `next`), then its table. */
static ckp_status run_keep(const ckp_plan *plan, const ckp_sink *next, loss_keep *lk,
                           ckp_run_result **res, ckp_output_row **rows, ckp_error *err)
{
    CKP_TRY(keep_init(lk, plan, next, err));
    ckp_sink sink = {lk, keep_write};
    CKP_TRY(ckp_run_plan(plan, &sink, res, err));
    return ckp_output_table_rows(plan, (const double *const *)lk->loss, (size_t)lk->n, rows, err);
}

/* One key: the low and the high variant, each run on ro's paths; fills the
 * key's rows of s. `T` is the horizon for the paired comparison. */
static ckp_status run_key(const ckp_scenario *const v[2], const ckp_run_options *ro, sens *s, int k,
                          ckp_error *err)
{
    double *low_base = NULL;
    ckp_status st = CKP_OK;
    int Q = s->Q;
    for (int w = 0; w < 2 && st == CKP_OK; w++) {
        ckp_plan *plan = NULL;
        loss_keep lk;
        memset(&lk, 0, sizeof lk);
        ckp_run_result *res = NULL;
        ckp_output_row *rows = NULL;
        st = ckp_plan_create(v[w], ro, &plan, err);
        if (st == CKP_OK && ckp_plan_npolicies(plan) != Q + 1)
            st = CKP_FAIL(err, CKP_ERR_INTERNAL, "a variant with other policies");
        if (st == CKP_OK)
            st = run_keep(plan, NULL, &lk, &res, &rows, err);
        if (st == CKP_OK) {
            size_t row = (size_t)k * 2 + (size_t)w;
            s->loss_mean[row] = rows[0].loss.mean;
            s->loss_se[row] = rows[0].loss.se;
            for (int q = 0; q < Q; q++) {
                s->benefit_mean[row * Q + q] = rows[q + 1].benefit.mean;
                s->benefit_se[row * Q + q] = rows[q + 1].benefit.se;
            }
            if (w == 0) {
                low_base = lk.loss[0];
                lk.loss[0] = NULL;
            } else {
                ckp_benefit b;
                st = ckp_benefit_compute(lk.loss[0], low_base, (size_t)lk.n,
                                         ckp_plan_antithetic(plan), 0, 0.0, 1, NULL, &b, err);
                s->loss_swing[k] = s->loss_mean[row] - s->loss_mean[row - 1];
                s->loss_swing_se[k] = b.se;
            }
        }
        free(rows);
        ckp_run_result_free(res);
        keep_free(&lk);
        ckp_plan_free(plan);
    }
    free(low_base);
    return st;
}

/* Every swing's variant, resolved and freed: bad keys and values are refused
 * before any path is run. Returns the exit status. */
static int check_swings(const ckp_scenario *sc, const swing *w, int K, sens *s)
{
    for (int k = 0; k < K; k++) {
        for (int h = 0; h < 2; h++) {
            ckp_scenario *v = NULL;
            int rc = make_variant(sc, &w[k], h, &v, h ? &s->high[k] : &s->low[k]);
            ckp_scenario_free(v);
            if (rc)
                return rc;
        }
        s->keys[k] = w[k].key;
        s->lowtxt[k] = w[k].low;
        s->hightxt[k] = w[k].high;
    }
    return 0;
}

/* A run stopped by a signal: what happened, and the exit status 128 + signal. */
static int cancelled(const sargs *a, const ckp_error *err)
{
    const char *msg = err->message + (strncmp(err->message, "run: ", 5) ? 0 : 5);
    if (a->output)
        fprintf(stderr, "chokepoint sensitivity: %s; nothing was written to %s\n", msg, a->output);
    else
        fprintf(stderr, "chokepoint sensitivity: %s\n", msg);
    return 128 + ckp_cli_got_signal;
}

/* The runs of the swings, key by key. Returns the exit status. */
static int run_swings(const sargs *a, const ckp_scenario *sc, const swing *w, int K,
                      const ckp_run_options *ro, sens *s)
{
    for (int k = 0; k < K; k++) {
        ckp_scenario *v[2] = {NULL, NULL};
        double x;
        int rc = make_variant(sc, &w[k], 0, &v[0], &x);
        if (!rc)
            rc = make_variant(sc, &w[k], 1, &v[1], &x);
        ckp_error err;
        ckp_error_clear(&err);
        ckp_status st = CKP_OK;
        if (!rc)
            st = run_key((const ckp_scenario *const *)v, ro, s, k, &err);
        ckp_scenario_free(v[0]);
        ckp_scenario_free(v[1]);
        if (rc)
            return rc;
        if (st == CKP_ERR_CANCELLED)
            return cancelled(a, &err);
        if (st != CKP_OK)
            return fail(&err, st, w[k].what);
        if (!a->quiet)
            fprintf(stderr, "chokepoint sensitivity: key %d of %d done (%s)\n", k + 1, K, w[k].key);
    }
    return 0;
}

/* With -o: the writer of the unswung run, opened before any run so that an
 * existing file is refused at once; its temporary file is removed on a
 * second signal. */
static ckp_status open_writer(const sargs *a, const ckp_plan *plan, ckp_output **out,
                              ckp_error *err)
{
    ckp_output_options oo;
    ckp_output_options_default(&oo);
    oo.force = a->force;
    oo.command_line = a->cmdline;
    ckp_cli_opening_begin();
    ckp_status st = ckp_output_open(a->output, plan, &oo, out, err);
    if (st == CKP_OK)
        ckp_cli_temp_set(0, ckp_output_temp_path(*out));
    ckp_cli_opening_end();
    return st;
}

/* The unswung run: its table into s, and into the writer when there is one. */
static ckp_status run_base(const ckp_plan *plan, ckp_output *out, sens *s, ckp_run_result **res,
                           ckp_error *err)
{
    loss_keep lk;
    ckp_output_row *rows = NULL;
    ckp_status st = run_keep(plan, out ? ckp_output_sink(out) : NULL, &lk, res, &rows, err);
    if (st == CKP_OK) {
        s->base_loss_mean = rows[0].loss.mean;
        s->base_loss_se = rows[0].loss.se;
        for (int q = 0; q < s->Q; q++) {
            s->base_benefit[q] = rows[q + 1].benefit.mean;
            s->policies[q] = ckp_plan_policy_name(plan, q + 1);
        }
    }
    free(rows);
    keep_free(&lk);
    return st;
}

static int stop_on_signal(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    (void)done;
    (void)total;
    return ckp_cli_got_signal != 0;
}

/* Options from the scenario and the command line; month statistics only for
 * the file's run. Exit status (0 ok). */
static int options(const sargs *a, const ckp_scenario *sc, ckp_run_options *ro)
{
    ckp_run_options_default(ro, sc);
    if (a->have_paths)
        ro->paths = (int64_t)a->paths;
    if (a->have_seed)
        ro->seed = a->seed;
    ro->threads = (int)a->threads;
    ro->month_stats = 0;
    ro->progress = stop_on_signal;
    if (ro->antithetic && ro->paths % 2 != 0) {
        fprintf(stderr,
                "chokepoint sensitivity: the scenario is antithetic: the number of "
                "paths must be even (got %lld)\n",
                (long long)ro->paths);
        return 2;
    }
    return 0;
}

static int print_tables(const sargs *a, const ckp_scenario *sc, const ckp_plan *plan, const sens *s)
{
    printf("Scenario %s: seed %llu, paths %lld..%lld%s; %d key%s, each swing on the same "
           "paths\n",
           ckp_scenario_name(sc), (unsigned long long)ckp_plan_seed(plan),
           (long long)ckp_plan_first_path(plan),
           (long long)(ckp_plan_first_path(plan) + ckp_plan_paths(plan) - 1),
           ckp_plan_antithetic(plan) ? ", antithetic" : "", s->K, s->K > 1 ? "s" : "");
    ckp_sens_print(stdout, s, ckp_scenario_currency(sc));
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chokepoint sensitivity: cannot write to standard output: %s\n",
                strerror(errno));
        return 1;
    }
    if (a->output && !a->quiet)
        fprintf(stderr, "chokepoint sensitivity: wrote %s\n", a->output);
    return 0;
}

/* The runs in order: check every swing, open the file, the unswung run, the
 * swings, the tables; one clean-up for all. */
static int sensitivity(const sargs *a, ckp_scenario *sc)
{
    swing *w = NULL;
    int K = 0, rc = collect(a, sc, &w, &K);
    sens s;
    memset(&s, 0, sizeof s);
    ckp_run_options ro, rb;
    ckp_plan *plan = NULL;
    ckp_output *out = NULL;
    ckp_run_result *res = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    ckp_status st = CKP_OK;
    if (!rc)
        rc = options(a, sc, &ro);
    if (!rc && ckp_sens_alloc(&s, K, ckp_scenario_npolicies(sc) - 1) != 0) {
        fprintf(stderr, "chokepoint sensitivity: out of memory\n");
        rc = 1;
    }
    if (!rc)
        rc = check_swings(sc, w, K, &s);
    if (!rc) {
        rb = ro;
        rb.month_stats = a->output != NULL;
        st = ckp_plan_create(sc, &rb, &plan, &err);
        if (st == CKP_OK && a->output)
            st = open_writer(a, plan, &out, &err);
        if (st == CKP_OK)
            st = run_base(plan, out, &s, &res, &err);
        rc = st == CKP_ERR_CANCELLED ? cancelled(a, &err) : st ? fail(&err, st, NULL) : 0;
    }
    if (!rc)
        rc = run_swings(a, sc, w, K, &ro, &s);
    if (!rc) {
        ckp_sens_derive(&s);
        ckp_sens_table t;
        ckp_sens_view(&s, &t);
        if (out && (st = ckp_output_put_sensitivity(out, &t, &err)) == CKP_OK) {
            st = ckp_output_finish(out, res, &err);
            out = NULL;
            ckp_cli_temp_set(0, NULL);
        }
        if (st != CKP_OK)
            rc = fail(&err, st, NULL);
    }
    if (!rc)
        rc = print_tables(a, sc, plan, &s);
    ckp_output_abort(out);
    ckp_cli_temp_set(0, NULL);
    ckp_run_result_free(res);
    ckp_plan_free(plan);
    ckp_sens_free(&s);
    swings_free(w, K);
    return rc;
}

int ckp_cmd_sensitivity(int argc, char **argv)
{
    sargs a;
    memset(&a, 0, sizeof a);
    a.vary = calloc((size_t)argc + 1, sizeof *a.vary);
    if (!a.vary) {
        fprintf(stderr, "chokepoint sensitivity: out of memory\n");
        return 1;
    }
    int rc = parse_args(argc, argv, &a);
    if (rc || !(a.cmdline = ckp_cli_join_args(argc, argv))) {
        free(a.vary);
        if (!rc)
            fprintf(stderr, "chokepoint sensitivity: out of memory\n");
        return rc == 1 ? 0 : rc ? 2 : 1;
    }
    ckp_cli_signals_install();
    ckp_error err;
    ckp_error_clear(&err);
    ckp_scenario *sc = NULL;
    ckp_status st =
        a.file ? ckp_scenario_load_file(a.file, &sc, &err) : ckp_scenario_load_default(&sc, &err);
    if (st != CKP_OK)
        rc = st == CKP_ERR_NOMEM ? 1 : (fail(&err, st, NULL), 2);
    else
        rc = sensitivity(&a, sc);
    ckp_scenario_free(sc);
    free(a.vary);
    free(a.cmdline);
    return rc;
}
