/* chokepoint: `chokepoint run`, simulate a scenario and print the policy table.
 *
 * Precedence of settings: built-in defaults, then the scenario file (seed,
 * paths, antithetic), then the command line. Without -o only the total loss
 * of each policy is kept in memory (a small sink) for the table; with -o the
 * records stream into the HDF5 file and the table is read back from the
 * summaries stored there, so what is printed is what was written. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "checkpoint.h"
#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "converge.h"
#include "engine/core/error_impl.h"
#include "mpi_run.h"
#include "progress.h"
#include "signals.h"
#include "table.h"

#define MAX_THREADS 4096

static void run_usage(FILE *out)
{
    fprintf(out,
            "Usage: chokepoint run [FILE] [options]\n"
            "\n"
            "Simulate the paths of a scenario (FILE, or the built-in default scenario when\n"
            "FILE is omitted) for the baseline and its policies on the same random numbers,\n"
            "and print a table of total losses and benefits.\n"
            "\n"
            "Options:\n"
            "  -n, --paths N       number of paths (default: the scenario's `paths`, 10000\n"
            "                      if it sets none)\n"
            "  -s, --seed S        64-bit seed (default: the scenario's `seed`, 1 if unset)\n"
            "  -j, --threads N     threads; 0 = OpenMP's default (OMP_NUM_THREADS or all\n"
            "                      cores) (default: 0)\n"
            "  -p, --policy NAME   run this policy; repeatable; the baseline always runs\n"
            "                      (default: every policy of the scenario)\n"
            "      --antithetic    pair path 2j+1 with 1 - u of path 2j (default: the\n"
            "                      scenario's `antithetic`, off if unset); needs an even\n"
            "                      first path and number of paths\n"
            "      --first-path N  index of the first path, to split a run into pieces\n"
            "                      whose results join exactly (default: 0)\n"
            "      --batch N       paths per batch; 0 = automatic, 1024 or fewer for large\n"
            "                      records (default: 0)\n"
            "      --max-memory SIZE\n"
            "                      refuse a run estimated to need more memory than SIZE\n"
            "                      (4G, 500M, bytes) before it allocates; none = no check\n"
            "                      (default: the memory available now and under ulimit -v)\n"
            "  -o, --output FILE   write every per-path record, per-month statistics and\n"
            "                      summaries to an HDF5 file (default: none)\n"
            "      --force         replace FILE if it exists (default: refuse)\n"
            "      --compress N    deflate level 0-9 of the per-path datasets (default: %d)\n"
            "      --resume        continue the interrupted run of the same command from the\n"
            "                      checkpoint beside FILE (.FILE.ckpt); without one, start\n"
            "                      afresh; refused, naming what differs, for another run\n"
            "      --checkpoint-every S\n"
            "                      with -o, save the checkpoint every S seconds, at a batch\n"
            "                      boundary; 0 = after every batch (default: 2)\n"
            "      --no-checkpoint don't keep a checkpoint beside FILE\n",
            CKP_OUTPUT_DEFAULT_COMPRESS);
    /* two strings: one would pass the 4095 characters C99 promises */
    fprintf(out,
            "      --progress WHEN auto: a live line on a terminal, and when stderr is\n"
            "                      not one (a log file, a pipe) a line every 10 s or 10 %%\n"
            "                      with paths done, rate and time left, then the same for\n"
            "                      the summaries with -o; nothing before a phase takes a\n"
            "                      second; always: the same from the start; never: none\n"
            "                      (default: auto)\n"
            "      --target-se X   stop once the standard errors are below X (in the\n"
            "                      scenario's currency); -n is then the upper limit\n"
            "      --target-rel-se R\n"
            "                      the same with each standard error divided by the\n"
            "                      absolute value of its mean (R = 0.01: 1 %%)\n"
            "      --target-on W   which standard errors: loss (the baseline's mean\n"
            "                      total loss), benefit (every policy's paired mean\n"
            "                      benefit) or both (default: both)\n"
            "      --details       also print VaR and CVaR at 95 and 99 %% of every loss and\n"
            "                      benefit with their standard errors\n"
            "  -q, --quiet         nothing on stderr but errors: no progress, no notes\n"
            "                      (the table still goes to stdout)\n"
            "  -h, --help          show this help and exit\n"
            "\n"
            "Results depend only on the scenario, the seed and the path range: never on\n"
            "threads or batch size. A target is checked only after 1024 x 2^k paths from\n"
            "the first path (1024, 2048, 4096, ...) and at the limit, so the count a run\n"
            "stops at depends only on the scenario, seed and target, and its results are\n"
            "those of a run of that many paths. SIGINT, SIGTERM or SIGHUP stop the run\n"
            "after the current batch (a second one at once), leaving nothing at the output\n"
            "file; with -o the checkpoint stays, and the same command with --resume\n"
            "continues (also after kill -9, a crash or a power cut) to the same file.\n"
            "Exit status: 0 success, 2 bad input, 1 other failure, 128 + the signal number\n"
            "when stopped by a signal.\n");
}

typedef struct run_args {
    const char *file;
    int have_paths, have_seed, have_first, antithetic, quiet, force, have_compress;
    int resume, no_checkpoint, have_every;
    progress_mode progress;
    uint64_t paths, seed, first_path, batch, threads, compress, every;
    int have_target_se, have_target_rel, have_target_on, details;
    double target_se, target_rel;
    ckp_conv_on target_on;
    const char *output;
    const char **policies;
    int npolicies;
    int64_t max_memory; /* --max-memory: bytes; 0 automatic, -1 none */
} run_args;

/* The value of an option: attached ("-n200", "--paths=200") or the next word. */
static const char *opt_value(int argc, char **argv, int *i, const char *attached,
                             const char *name)
{
    if (attached)
        return attached;
    if (*i + 1 >= argc) {
        fprintf(stderr, "chokepoint run: option %s needs a value\n", name);
        return NULL;
    }
    return argv[++*i];
}

/* The target options: one of --target-se and --target-rel-se, --target-on
 * only with one. Returns 0 or 2 after a message. */
static int target_args(run_args *a)
{
    if (a->have_target_se && a->have_target_rel) {
        fprintf(stderr, "chokepoint run: give one of --target-se and --target-rel-se\n");
        return 2;
    }
    if (a->have_target_on && !a->have_target_se && !a->have_target_rel) {
        fprintf(stderr, "chokepoint run: --target-on needs --target-se or --target-rel-se\n");
        return 2;
    }
    if (!a->have_target_on)
        a->target_on = CKP_CONV_BOTH;
    return 0;
}

/* --max-memory: "none", or a whole number of bytes with an optional K, M, G
 * or T (powers of 1024). */
static int memory_opt(const char *name, const char *v, int64_t *out)
{
    if (!strcmp(v, "none")) {
        *out = -1;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    int shift = 0;
    if (end && *end && !end[1])
        shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : *end == 'T' ? 40 : -1;
    if (errno || end == v || v[0] == '-' || shift < 0 || (end[0] && end[1]) ||
        n > (unsigned long long)INT64_MAX >> shift) {
        fprintf(stderr,
                "chokepoint run: option %s expects a size such as 4G, 500M or 2000000000 "
                "(bytes), or none, got '%s'\n",
                name, v);
        return -1;
    }
    *out = (int64_t)(n << shift);
    return 0;
}

/* Returns 0 to continue, 1 after --help, 2 on a usage error. */
/* A flat list of options, one short block each: longer than most functions
 * here, but splitting it would only scatter the option table. */
static int parse_args(int argc, char **argv, run_args *a)
{
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_files || arg[0] != '-' || !strcmp(arg, "-")) {
            if (a->file) {
                fprintf(stderr, "chokepoint run: more than one scenario file ('%s', '%s')\n",
                        a->file, arg);
                return 2;
            }
            a->file = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            only_files = 1;
            continue;
        }
        /* Split "--name=value" and "-xVALUE". */
        char name[64];
        const char *attached = NULL;
        if (arg[1] == '-') {
            const char *eq = strchr(arg, '=');
            size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
            if (len >= sizeof name)
                len = sizeof name - 1;
            memcpy(name, arg, len);
            name[len] = '\0';
            if (eq)
                attached = eq + 1;
        } else {
            name[0] = '-';
            name[1] = arg[1];
            name[2] = '\0';
            if (arg[2])
                attached = arg + 2;
        }
#define IS(s, l) (!strcmp(name, s) || !strcmp(name, l))
        const char *v;
        if (IS("-h", "--help")) {
            run_usage(stdout);
            return 1;
        } else if (IS("-q", "--quiet") || IS("--antithetic", "--antithetic") ||
                   IS("--force", "--force") || IS("--resume", "--resume") ||
                   IS("--no-checkpoint", "--no-checkpoint") || IS("--details", "--details")) {
            if (attached) {
                fprintf(stderr, "chokepoint run: option %s takes no value\n", name);
                return 2;
            }
            if (IS("-q", "--quiet"))
                a->quiet = 1;
            else if (IS("--force", "--force"))
                a->force = 1;
            else if (IS("--resume", "--resume"))
                a->resume = 1;
            else if (IS("--no-checkpoint", "--no-checkpoint"))
                a->no_checkpoint = 1;
            else if (IS("--details", "--details"))
                a->details = 1;
            else
                a->antithetic = 1;
        } else if (IS("-n", "--paths")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_cli_number("run", name, v, 1, INT64_MAX, &a->paths))
                return 2;
            a->have_paths = 1;
        } else if (IS("-s", "--seed")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_cli_number("run", name, v, 0, UINT64_MAX, &a->seed))
                return 2;
            a->have_seed = 1;
        } else if (IS("-j", "--threads")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_cli_number("run", name, v, 0, MAX_THREADS, &a->threads))
                return 2;
        } else if (IS("--first-path", "--first-path")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_cli_number("run", name, v, 0, INT64_MAX, &a->first_path))
                return 2;
            a->have_first = 1;
        } else if (IS("--batch", "--batch")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_cli_number("run", name, v, 0, INT64_MAX, &a->batch))
                return 2;
        } else if (IS("--max-memory", "--max-memory")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                memory_opt(name, v, &a->max_memory))
                return 2;
        } else if (IS("--checkpoint-every", "--checkpoint-every")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_cli_number("run", name, v, 0, 86400, &a->every))
                return 2;
            a->have_every = 1;
        } else if (IS("--compress", "--compress")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_cli_number("run", name, v, 0, 9, &a->compress))
                return 2;
            a->have_compress = 1;
        } else if (IS("--progress", "--progress")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)))
                return 2;
            if (ckp_cli_progress_parse(v, &a->progress) != 0) {
                fprintf(stderr,
                        "chokepoint run: --progress expects auto, always or never, "
                        "got '%s'\n",
                        v);
                return 2;
            }
        } else if (IS("--target-se", "--target-rel-se")) {
            int rel = !strcmp(name, "--target-rel-se");
            if (!(v = opt_value(argc, argv, &i, attached, name)) ||
                ckp_conv_parse_value(name, v, rel ? &a->target_rel : &a->target_se))
                return 2;
            *(rel ? &a->have_target_rel : &a->have_target_se) = 1;
        } else if (IS("--target-on", "--target-on")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)))
                return 2;
            if (ckp_conv_parse_on(v, &a->target_on) != 0) {
                fprintf(stderr,
                        "chokepoint run: option --target-on expects loss, benefit or "
                        "both, got '%s'\n",
                        v);
                return 2;
            }
            a->have_target_on = 1;
        } else if (IS("-o", "--output")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)))
                return 2;
            if (!*v) {
                fprintf(stderr, "chokepoint run: option %s needs a file name\n", name);
                return 2;
            }
            a->output = v;
        } else if (IS("-p", "--policy")) {
            if (!(v = opt_value(argc, argv, &i, attached, name)))
                return 2;
            a->policies[a->npolicies++] = v;
        } else {
            fprintf(stderr, "chokepoint run: unknown option '%s' (see chokepoint run --help)\n",
                    arg);
            return 2;
        }
#undef IS
    }
    if ((a->force || a->have_compress || a->resume || a->no_checkpoint || a->have_every) &&
        !a->output) {
        fprintf(stderr, "chokepoint run: --force, --compress, --resume, --checkpoint-every and "
                        "--no-checkpoint need -o/--output\n");
        return 2;
    }
    if (a->no_checkpoint && (a->resume || a->have_every)) {
        fprintf(stderr, "chokepoint run: --no-checkpoint excludes --resume and "
                        "--checkpoint-every\n");
        return 2;
    }
    if (!a->have_every)
        a->every = 2;
    return target_args(a);
}

/* ---- The small sink: loss_total of each policy ----------------------------- */

typedef struct loss_sink {
    int npol;
    int64_t n, cap;
    double **loss;
} loss_sink;

static ckp_status loss_write(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                             int npol, const double *const *records, ckp_error *err)
{
    (void)first_path; /* batches arrive in path order */
    loss_sink *ls = ctx;
    if (ls->n + n > ls->cap) {
        int64_t cap = ls->cap ? ls->cap : 4096;
        while (cap < ls->n + n)
            cap *= 2;
        for (int k = 0; k < npol; k++) {
            double *p = realloc(ls->loss[k], (size_t)cap * sizeof *p);
            if (!p)
                return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory keeping %lld total losses",
                                (long long)cap);
            ls->loss[k] = p;
        }
        ls->cap = cap;
    }
    size_t off = lay->offset[CKP_M_LOSS_TOTAL];
    for (int k = 0; k < npol; k++)
        for (int64_t i = 0; i < n; i++)
            ls->loss[k][ls->n + i] = records[k][(size_t)i * lay->record + off];
    ls->n += n;
    return CKP_OK;
}

static int fail(const ckp_error *err, ckp_status st)
{
    const char *msg = err->message[0] ? err->message : ckp_status_str(st);
    if (!strncmp(msg, "run: ", 5)) /* the library's own module prefix */
        msg += 5;
    fprintf(stderr, "chokepoint run: %s\n", msg);
    return ckp_status_exit_code(st);
}

/* The run options from the defaults, the scenario and the command line
 * (*pol gets the policy indices, freed by the caller). Returns 0 to go on, or
 * the exit status after a message. */
static int build_options(const run_args *a, const ckp_scenario *sc, ckp_run_options *ro,
                         int **pol)
{
    ckp_run_options_default(ro, sc);
    if (a->have_paths)
        ro->paths = (int64_t)a->paths;
    if (a->have_seed)
        ro->seed = a->seed;
    if (a->have_first)
        ro->first_path = (int64_t)a->first_path;
    if (a->antithetic)
        ro->antithetic = 1;
    ro->threads = (int)a->threads;
    ro->batch = (int64_t)a->batch;
    ro->max_memory = a->max_memory;
    if (a->npolicies > 0) {
        *pol = malloc((size_t)a->npolicies * sizeof **pol);
        if (!*pol) {
            fprintf(stderr, "chokepoint run: out of memory\n");
            return 1;
        }
        for (int i = 0; i < a->npolicies; i++) {
            (*pol)[i] = ckp_scenario_policy_index(sc, a->policies[i]);
            if ((*pol)[i] < 0) {
                fprintf(stderr, "chokepoint run: unknown policy '%s'; the scenario '%s' has:",
                        a->policies[i], ckp_scenario_name(sc));
                for (int k = 0; k < ckp_scenario_npolicies(sc); k++)
                    fprintf(stderr, " %s", ckp_scenario_policy_name(sc, k));
                fprintf(stderr, "\n");
                return 2;
            }
        }
        ro->npolicies = a->npolicies;
        ro->policies = *pol;
    }
    if (ro->antithetic && (ro->paths % 2 != 0 || ro->first_path % 2 != 0)) {
        fprintf(stderr,
                "chokepoint run: antithetic runs need an even number of paths and an even "
                "first path (got %lld paths from path %lld)\n",
                (long long)ro->paths, (long long)ro->first_path);
        return 2;
    }
    if (ro->first_path > INT64_MAX - ro->paths) {
        fprintf(stderr, "chokepoint run: --first-path plus --paths is too large\n");
        return 2;
    }
    return 0;
}

/* What a run writes to: the HDF5 writer with -o (*out), else the small sink
 * of total losses (ls). *cmdline is freed by the caller. */
static ckp_status open_base(const run_args *a, int argc, char **argv, const ckp_plan *plan,
                            ckp_output **out, char **cmdline, loss_sink *ls, ckp_sink *small,
                            const ckp_sink **sink, progress *pg, ckp_error *err)
{
    if (a->output) {
        ckp_output_options oo;
        ckp_output_options_default(&oo);
        oo.force = a->force;
        if (a->have_compress)
            oo.compress = (int)a->compress;
        *cmdline = ckp_cli_join_args(argc, argv);
        oo.command_line = *cmdline;
        oo.progress = ckp_cli_progress_finish; /* the summaries phase */
        oo.progress_ctx = pg;
        CKP_TRY(ckp_output_open(a->output, plan, &oo, out, err));
        *sink = ckp_output_sink(*out);
        return CKP_OK;
    }
    ls->npol = ckp_plan_npolicies(plan);
    ls->loss = calloc((size_t)ls->npol, sizeof *ls->loss);
    if (!ls->loss)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    small->ctx = ls;
    small->write_batch = loss_write;
    *sink = small;
    return CKP_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* open_base, and with a target (cv) its copy of the total losses in front,
 * which then sees every batch first, including those replayed from a
 * checkpoint. */
static ckp_status open_sink(const run_args *a, int argc, char **argv, const ckp_plan *plan,
                            ckp_conv *cv, ckp_output **out, char **cmdline, loss_sink *ls,
                            ckp_sink *small, const ckp_sink **sink, progress *pg,
                            ckp_error *err)
{
    CKP_TRY(open_base(a, argc, argv, plan, out, cmdline, ls, small, sink, pg, err));
    if (!cv->active)
        return CKP_OK;
    CKP_TRY(ckp_conv_start(cv, plan, *sink, err));
    *sink = &cv->sink;
    return CKP_OK;
}

/* The run, batch by batch: progress after each, and a stop at the first
 * batch boundary after a signal (CKP_ERR_CANCELLED). With a target (cv),
 * batches end at the check counts, and the run stops at the first check
 * that meets it (a resumed run checks its count first). */
static ckp_status drive_run(const ckp_plan *plan, const ckp_sink *sink, const ckp_run_result *from,
                            ckp_ckpt *ck, double every, ckp_conv *cv, progress *pg,
                            ckp_run_result **res, ckp_error *err)
{
    ckp_run_state *rs = NULL;
    if (from)
        CKP_TRY(ckp_run_resume(plan, sink, from, &rs, err));
    else
        CKP_TRY(ckp_run_begin(plan, sink, &rs, err));
    int64_t first = ckp_plan_first_path(plan), total = ckp_plan_paths(plan);
    double saved = now_seconds();
    int stop = 0;
    ckp_status st0 = ckp_conv_resume(cv, rs, first, total, &stop, err);
    if (st0 != CKP_OK) {
        ckp_run_abort(rs);
        return st0;
    }
    while (!ckp_run_done(rs) && !stop && !ckp_cli_got_signal) {
        int64_t to =
            cv ? first + ckp_conv_next_check(ckp_run_next_path(rs) - first, total) : INT64_MAX;
        ckp_status st = ckp_run_step_to(rs, to, err);
        if (st == CKP_OK)
            st = ckp_conv_after_step(cv, rs, first, total, &stop, err);
        if (st == CKP_OK && ck && !ckp_cli_got_signal && !ckp_run_done(rs) && !stop &&
            now_seconds() - saved >= every) {
            st = ckp_ckpt_save(ck, rs, err);
            saved = now_seconds();
        }
        if (st != CKP_OK) {
            ckp_run_abort(rs);
            return st;
        }
        ckp_cli_progress_paths(pg, ckp_run_next_path(rs) - first, total);
    }
    if (ckp_cli_got_signal && !stop) {
        int64_t done = ckp_run_next_path(rs) - first;
        ckp_status st = ck ? ckp_ckpt_save(ck, rs, err) : CKP_OK;
        ckp_run_abort(rs);
        if (st != CKP_OK)
            return st;
        return CKP_FAIL(err, CKP_ERR_CANCELLED, "stopped by %s after %lld of %lld paths",
                        ckp_cli_signal_name(ckp_cli_got_signal), (long long)done, (long long)total);
    }
    return ckp_run_end(rs, res, err);
}

/* Before the run with a checkpoint: refuse to overwrite the checkpoint of an
 * interrupted run without --resume; with --resume load it (*from) or say
 * there is none. Returns 0 to go on, or the exit status after a message. */
/* checkpoint_prepare: the run had finished; nothing to do. */
#define ALREADY_DONE 3

/* `path` is a finished results file of exactly this run: the same scenario
 * text, seed, path range and antithetic pairing. */
static int published_by(const char *path, const ckp_plan *plan, int target)
{
    ckp_output_file *f = NULL;
    char *text = NULL;
    if (ckp_output_file_open(path, &f, NULL) != CKP_OK)
        return 0;
    const ckp_output_info *in = ckp_output_file_info(f);
    const char *src = ckp_scenario_source_text(ckp_plan_scenario(plan));
    int same = in->complete && in->seed == ckp_plan_seed(plan) &&
               in->first_path == ckp_plan_first_path(plan) &&
               (in->paths == ckp_plan_paths(plan) ||
                (target && in->paths > 0 && in->paths < ckp_plan_paths(plan))) &&
               in->antithetic == ckp_plan_antithetic(plan) &&
               in->npol == ckp_plan_npolicies(plan) &&
               ckp_output_read_text(f, "scenario_source", &text, NULL) == CKP_OK && src &&
               strcmp(text, src) == 0;
    free(text);
    ckp_output_file_close(f);
    return same;
}

static int checkpoint_prepare(const run_args *a, const ckp_plan *plan, ckp_ckpt *ck,
                              ckp_run_result **from)
{
    ckp_error err;
    ckp_error_clear(&err);
    int level = a->have_compress ? (int)a->compress : CKP_OUTPUT_DEFAULT_COMPRESS;
    ckp_status st = ckp_ckpt_init(ck, a->output, plan, level, &err);
    if (st != CKP_OK)
        return fail(&err, st);
    ckp_cli_temp_set(1, ck->tmp);
    if ((st = ckp_ckpt_lock(ck, a->output, &err)) != CKP_OK)
        return fail(&err, st);
    if (!ckp_ckpt_exists(ck)) {
        if (a->resume && !a->force &&
            published_by(a->output, plan, a->have_target_se || a->have_target_rel)) {
            /* Stopped after the checkpoint was removed: nothing left to do. */
            ckp_ckpt_unlock_created(ck);
            if (!a->quiet)
                fprintf(stderr, "chokepoint run: %s is already finished and written\n",
                        a->output);
            return ALREADY_DONE;
        }
        if (a->resume && !a->quiet)
            fprintf(stderr, "chokepoint run: no checkpoint of %s (%s): starting afresh\n",
                    a->output, ck->path);
        return 0;
    }
    if (!a->resume) {
        ckp_ckpt_unlock_created(ck);
        fprintf(stderr,
                "chokepoint run: %s: the checkpoint of an interrupted run of %s is there; add "
                "--resume to continue it, or delete it to start afresh\n",
                ck->path, a->output);
        return 1;
    }
    if ((st = ckp_ckpt_load(ck, plan, from, &err)) != CKP_OK) {
        ckp_ckpt_unlock_created(ck);
        return fail(&err, st);
    }
    if (!a->force && published_by(a->output, plan, a->have_target_se || a->have_target_rel)) {
        /* Killed after publishing and before removing its checkpoint: the
         * target is this run's finished file. (Without --force no other run
         * of this command could have started beside an existing target.) */
        ckp_ckpt_remove(ck);
        if (!a->quiet)
            fprintf(stderr, "chokepoint run: %s was already finished and written; removed the "
                            "checkpoint it had left beside it\n",
                    a->output);
        return ALREADY_DONE;
    }
    if (!a->quiet)
        fprintf(stderr, "chokepoint run: resuming %s from its checkpoint: %lld of %lld paths "
                        "done\n",
                a->output, (long long)ckp_run_result_paths(*from),
                (long long)ckp_plan_paths(plan));
    return 0;
}

/* The target of the command line into cv (left inactive without one).
 * Returns 0 or 2 after a message. */
static int target_init(const run_args *a, const ckp_plan *plan, ckp_conv *cv)
{
    if (!a->have_target_se && !a->have_target_rel)
        return 0;
    return ckp_conv_init(cv, plan, a->have_target_se ? a->target_se : NAN,
                         a->have_target_rel ? a->target_rel : NAN, a->target_on);
}

/* The table after the run: with -o finish the file (which frees `out`) and
 * read the table back from it, so that what is printed is what was written;
 * without, the same figures from the total losses kept in memory. */
static ckp_status table_rows(const run_args *a, ckp_output *out, const ckp_run_result *res,
                             const ckp_plan *plan, const loss_sink *ls, const ckp_conv *cv,
                             ckp_output_file **of, ckp_output_row **rows, ckp_cli_tail **tail,
                             ckp_error *err)
{
    const double *const *loss = (const double *const *)ls->loss;
    if (!out) {
        CKP_TRY(ckp_output_table_rows(plan, loss, (size_t)ls->n, rows, err));
        return a->details ? ckp_cli_tail_compute(plan, loss, (size_t)ls->n, tail, err) : CKP_OK;
    }
    /* A run stopped by its target: the file of the paths run. */
    ckp_status st = cv->active ? ckp_conv_finish_file(out, cv, err) : CKP_OK;
    if (st != CKP_OK) {
        ckp_output_abort(out);
        return st;
    }
    CKP_TRY(ckp_output_finish(out, res, err));
    CKP_TRY(ckp_output_file_open(a->output, of, err));
    CKP_TRY(ckp_output_read_table(*of, rows, err));
    return a->details ? ckp_cli_tail_read(*of, tail, err) : CKP_OK;
}

/* The scenario of the command line (the built-in one without a file). A
 * scenario that cannot be read (missing, unreadable) is bad input like one
 * that does not parse: exit 2. Only running out of memory is a failure of the
 * tool. */
static int load_scenario(const run_args *a, ckp_scenario **sc, ckp_error *err)
{
    ckp_status st = a->file ? ckp_scenario_load_file(a->file, sc, err)
                            : ckp_scenario_load_default(sc, err);
    if (st == CKP_OK)
        return 0;
    int rc = fail(err, st);
    return st == CKP_ERR_NOMEM ? rc : 2;
}

/* The writer's cancel hook: a stop signal has come. */
static int stop_requested(void *ctx)
{
    (void)ctx;
    return ckp_cli_got_signal != 0;
}

/* A run stopped by a signal: say what happened and how to continue. */
static int report_cancel(const run_args *a, int use_ck, const ckp_error *err)
{
    if (use_ck)
        fprintf(stderr,
                "chokepoint run: %s; nothing was written to %s; the checkpoint beside it "
                "keeps them: run the same command with --resume to continue\n",
                err->message, a->output);
    else if (a->output)
        fprintf(stderr, "chokepoint run: %s; nothing was written to %s\n", err->message,
                a->output);
    else
        fprintf(stderr, "chokepoint run: %s\n", err->message);
    return 128 + ckp_cli_got_signal;
}

/* The header line and the policy table on stdout, the notes on stderr. */
static int print_result(const run_args *a, const ckp_scenario *sc, const ckp_plan *plan,
                        int64_t paths, const ckp_conv *cv, const ckp_output_row *rows,
                        const ckp_cli_tail *tail)
{
    printf("Scenario %s: seed %llu, paths %lld..%lld%s\n", ckp_scenario_name(sc),
           (unsigned long long)ckp_plan_seed(plan), (long long)ckp_plan_first_path(plan),
           (long long)(ckp_plan_first_path(plan) + paths - 1),
           ckp_plan_antithetic(plan) ? ", antithetic" : "");
    if (cv->active)
        ckp_conv_print(stdout, cv, ckp_plan_paths(plan));
    ckp_cli_print_table(stdout, ckp_scenario_currency(sc), rows, ckp_plan_npolicies(plan));
    if (tail)
        ckp_cli_print_tail(stdout, ckp_scenario_currency(sc), rows, tail, ckp_plan_npolicies(plan));
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chokepoint run: cannot write to standard output: %s\n",
                strerror(errno));
        return 1;
    }
    if (a->output && !a->quiet)
        fprintf(stderr, "chokepoint run: wrote %s\n", a->output);
    if (ckp_cli_got_signal)
        fprintf(stderr, "chokepoint run: %s came after the last batch, while the results were "
                        "being finished; they are complete\n",
                ckp_cli_signal_name(ckp_cli_got_signal));
    return 0;
}

/* The command, in the order of a run (scenario, plan, checkpoint, writer,
 * steps, table), with one clean-up path for everything it holds: about 120
 * lines, kept in one piece so that the clean-up sees every resource. Under
 * mpirun (job active) it runs this rank's piece into its part file and
 * prints no table (mpi_run.c). */
static int run_command(const run_args *ap, int argc, char **argv, const ckp_mpi_job *job)
{
    run_args a = *ap;
    int rc = 0;
    ckp_error err;
    ckp_error_clear(&err);
    ckp_scenario *sc = NULL;
    ckp_run_result *res = NULL;
    ckp_plan *plan = NULL;
    ckp_output *out = NULL;
    ckp_output_file *of = NULL;
    ckp_output_row *rows = NULL;
    int *pol = NULL;
    char *cmdline = NULL;
    loss_sink ls;
    memset(&ls, 0, sizeof ls);
    progress pg;
    memset(&pg, 0, sizeof pg);
    ckp_sink small = {NULL, NULL};
    const ckp_sink *sink = NULL;
    ckp_ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.fd = -1;
    int use_ck = 0, ck_owned = 0;
    ckp_run_result *from = NULL;
    ckp_conv cv = {0};
    ckp_cli_tail *tail = NULL;
    ckp_cli_signals_install();
    ckp_status st = CKP_OK;
    if ((rc = load_scenario(&a, &sc, &err)) != 0)
        goto done;
    ckp_run_options ro;
    if ((rc = build_options(&a, sc, &ro, &pol)) != 0 ||
        (rc = ckp_mpi_piece(job, &ro.first_path, &ro.paths, ro.antithetic)) != 0)
        goto done;
    ckp_cli_progress_init(&pg, a.progress, a.quiet, stderr, isatty(STDERR_FILENO), 0);
    /* Without a file the table needs only each policy's total loss; per-month
     * figures are only stored in a file. */
    ro.month_stats = a.output != NULL;
    if ((st = ckp_plan_create(sc, &ro, &plan, &err)) != CKP_OK) {
        rc = fail(&err, st);
        goto done;
    }
    pg.npol = ckp_plan_npolicies(plan);
    if ((rc = target_init(&a, plan, &cv)) != 0)
        goto done;
    use_ck = a.output && !a.no_checkpoint;
    if (use_ck && (rc = checkpoint_prepare(&a, plan, &ck, &from)) != 0) {
        rc = rc == ALREADY_DONE ? 0 : rc;
        goto done;
    }
    ck_owned = use_ck && !from; /* a fresh records file: ours to remove on failure */
    if (from) {
        int n = ckp_ckpt_remove_stale(&ck);
        if (n > 0 && !a.quiet)
            fprintf(stderr, "chokepoint run: removed %d temporary file%s of killed runs of %s\n",
                    n, n > 1 ? "s" : "", a.output);
    }
    ckp_cli_opening_begin();
    st = open_sink(&a, argc, argv, plan, &cv, &out, &cmdline, &ls, &small, &sink, &pg, &err);
    if (st == CKP_OK && out)
        ckp_cli_temp_set(0, ckp_output_temp_path(out));
    ckp_cli_opening_end();
    if (st == CKP_OK && use_ck) {
        /* The records so far go to the new writer; then the run's batches go
         * through the checkpoint's records file to the writer. */
        st = from ? ckp_ckpt_replay(&ck, plan, sink, &ckp_cli_got_signal, &err)
                  : ckp_ckpt_start(&ck, &err);
        ck_owned = ck_owned || st == CKP_OK;
        sink = ckp_ckpt_sink(&ck, sink);
    }
    if (st != CKP_OK && st != CKP_ERR_CANCELLED) {
        rc = fail(&err, st);
        goto done;
    }
    if (st == CKP_OK)
        st = drive_run(plan, sink, from, use_ck ? &ck : NULL, (double)a.every,
                       cv.active ? &cv : NULL, &pg, &res, &err);
    ckp_cli_progress_end(&pg);
    if (st == CKP_ERR_CANCELLED) {
        ckp_output_abort(out);
        out = NULL;
        ckp_cli_temp_set(0, NULL);
        ck_owned = 0; /* a checkpoint stays for --resume */
        rc = report_cancel(&a, use_ck, &err);
        goto done;
    }
    if (st == CKP_OK) {
        ckp_output_set_cancel(out, stop_requested, NULL);
        st = table_rows(&a, out, res, plan, &ls, &cv, &of, &rows, &tail, &err);
        out = NULL; /* finished or freed */
        ckp_cli_temp_set(0, NULL);
        if (st == CKP_ERR_CANCELLED) {
            ck_owned = 0; /* every batch is in the checkpoint: --resume finishes */
            rc = report_cancel(&a, use_ck, &err);
            goto done;
        }
    }
    if (st == CKP_OK && ck_owned) {
        ckp_ckpt_remove(&ck); /* the file is published: nothing is left beside it */
        ck_owned = 0;
    }
    if (st != CKP_OK) {
        rc = fail(&err, st);
        goto done;
    }
    rc = job->active ? 0 : print_result(&a, sc, plan, ckp_run_result_paths(res), &cv, rows, tail);

done:
    ckp_output_abort(out);
    ckp_cli_temp_set(0, NULL);
    if (ck_owned)
        ckp_ckpt_remove(&ck); /* a failure: nothing is left beside the target */
    ckp_cli_temp_set(1, NULL);
    ckp_ckpt_free(&ck);
    ckp_run_result_free(from);
    ckp_conv_free(&cv);
    free(tail);
    if (of)
        ckp_output_file_close(of);
    free(rows);
    if (ls.loss)
        for (int k = 0; k < ls.npol; k++)
            free(ls.loss[k]);
    free(ls.loss);
    ckp_run_result_free(res);
    ckp_plan_free(plan);
    ckp_scenario_free(sc);
    free(pol);
    free(cmdline);
    return rc;
}

int ckp_cmd_run(int argc, char **argv)
{
    run_args a;
    memset(&a, 0, sizeof a);
    a.policies = calloc((size_t)argc + 1, sizeof *a.policies);
    if (!a.policies) {
        fprintf(stderr, "chokepoint run: out of memory\n");
        return 1;
    }
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        free(a.policies);
        return rc == 1 ? 0 : 2;
    }
    /* Under mpirun: this rank writes its part (replacing a stale one), rank 0
     * alone shows progress and notes; the merge follows in ckp_mpi_end. */
    ckp_mpi_job job;
    int level = a.have_compress ? (int)a.compress : CKP_OUTPUT_DEFAULT_COMPRESS;
    if ((rc = ckp_mpi_begin(&job, a.output, a.force, level, argc, argv)) != 0) {
        free(a.policies);
        return rc;
    }
    int quiet = a.quiet;
    if (job.active) {
        a.output = job.part;
        a.force = 1;
        a.quiet = a.quiet || job.rank != 0;
    }
    rc = run_command(&a, argc, argv, &job);
    if (job.active && rc == 0)
        ckp_cli_temp_set(0, job.part); /* a signal while the job ends removes the part */
    free(a.policies);
    return ckp_mpi_end(&job, rc, quiet, a.output && !a.no_checkpoint);
}
