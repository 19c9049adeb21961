/* chokepoint: `chokepoint bench [FILE]` -- measure the engine's throughput on a
 * scenario on this machine, as `zstd -b` or `openssl speed` do: for each
 * thread count, the run without month statistics (as `run` without -o), with
 * them, and with the HDF5 file written too (as `run -o`, into a temporary
 * directory removed after), beside the floor (only the random numbers the
 * model needs), with the kernel the plan chose and each case's peak RSS.
 * A table and one JSON line per case (--json: the JSON lines only). The
 * measuring itself is engine/bench/, shared with bench/ckp_bench. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "engine/bench/bench_impl.h"

#define MAX_THREADS 16

/* A stop signal (SIGINT, SIGTERM, SIGHUP) ends the case running, removes the
 * temporary directory and exits 128 + the signal number. */
static volatile sig_atomic_t got_signal;

static void on_signal(int signo)
{
    got_signal = signo;
}

/* Without SA_RESTART, so the wait for a case's result is interrupted;
 * signals ignored at start stay ignored. */
static void catch_stops(void)
{
    static const int stops[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        struct sigaction sa, old;
        if (sigaction(stops[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(stops[i], &sa, NULL);
    }
}

/* Remove what a killed case left in dir (its results file or the temporary
 * file beside it), then dir. */
static int remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4352];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    return rmdir(dir);
}

typedef struct bench_args {
    const char *file;
    int threads[MAX_THREADS], nthreads;
    int64_t paths;
    int repeat, quick, json;
} bench_args;

static void usage(FILE *out)
{
    char kernels[256], cpu[8];
    ckp_bench_kernels(kernels, sizeof kernels);
    int cores = ckp_bench_machine(cpu, sizeof cpu);
    fprintf(out,
            "Usage: chokepoint bench [options] [FILE]\n"
            "\n"
            "Measure throughput on a scenario on this machine (without FILE, the built-in\n"
            "default scenario): paths/s and path-months/s per thread count, without month\n"
            "statistics (as `run`), with them, and with the results file written (as\n"
            "`run -o`, into a temporary directory removed after); the floor (drawing only\n"
            "the random numbers the model needs); the kernel; peak RSS of each case.\n"
            "A table, then one JSON line per case.\n"
            "\n"
            "Options:\n"
            "  --threads LIST  comma-separated thread counts (default: 1 and all %d cores)\n"
            "  --paths N       paths per case (default 10000)\n"
            "  --repeat N      best of N runs (default 3; a run over 20 s is not repeated)\n"
            "  --quick         a tenth of the paths, one run\n"
            "  --json          print only the JSON lines\n"
            "  -h, --help      show this help\n"
            "\n"
            "Kernels on this machine: %s (the first is the default; the\n"
            "environment variable CKP_KERNEL selects another).\n"
            "Exit status: 0 success, 2 bad scenario or bad usage, 1 other failure.\n",
            cores, kernels);
}

static int bad_usage(const char *fmt, const char *what)
{
    fprintf(stderr, "chokepoint bench: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return 2;
}

static int parse_threads(bench_args *a, const char *v)
{
    a->nthreads = 0;
    const char *p = v;
    while (*p) {
        char *end;
        errno = 0;
        long t = strtol(p, &end, 10);
        if (end == p || t < 1 || t > 1024 || errno || (*end && *end != ',') ||
            a->nthreads == MAX_THREADS)
            return -1;
        a->threads[a->nthreads++] = (int)t;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return -1;
    }
    return a->nthreads ? 0 : -1;
}

/* 0 to run, 1 for --help (done), 2 bad usage (message printed). */
static int parse(int argc, char **argv, bench_args *a)
{
    uint64_t v;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(s, "--quick")) {
            a->quick = 1;
        } else if (!strcmp(s, "--json")) {
            a->json = 1;
        } else if (!strcmp(s, "--threads") || !strcmp(s, "--paths") || !strcmp(s, "--repeat")) {
            if (!has_value)
                return bad_usage("option %s needs a value", s);
            const char *val = argv[++i];
            if (!strcmp(s, "--threads")) {
                if (parse_threads(a, val) != 0)
                    return bad_usage("option --threads expects thread counts from 1 to 1024 "
                                     "separated by commas, got '%s'",
                                     val);
            } else if (!strcmp(s, "--paths")) {
                if (ckp_cli_number("bench", s, val, 2, (uint64_t)1 << 40, &v) != 0)
                    return 2;
                a->paths = (int64_t)v;
            } else {
                if (ckp_cli_number("bench", s, val, 1, 1000, &v) != 0)
                    return 2;
                a->repeat = (int)v;
            }
        } else if (s[0] == '-' && s[1]) {
            return bad_usage("unknown option %s", s);
        } else if (a->file) {
            return bad_usage("more than one scenario file (second: %s)", s);
        } else {
            a->file = s;
        }
    }
    return 0;
}

/* The table's opening lines: what is measured, where. */
static void print_intro(const bench_args *a, const ckp_scenario *sc, const char *kernel)
{
    char cpu[96], kernels[256];
    int cores = ckp_bench_machine(cpu, sizeof cpu);
    ckp_bench_kernels(kernels, sizeof kernels);
    printf("chokepoint %s bench: scenario %s (%s): %d suppliers, %d materials, %d industries, "
           "%d months, %d policies\n",
           ckp_version(), ckp_scenario_name(sc), ckp_scenario_source_name(sc),
           ckp_scenario_nsuppliers(sc), ckp_scenario_nmaterials(sc), ckp_scenario_nindustries(sc),
           ckp_scenario_horizon(sc), ckp_scenario_npolicies(sc));
    printf("machine: %s, %d cores; kernel %s (on this machine: %s; CKP_KERNEL selects)\n",
           cpu[0] ? cpu : "unknown CPU", cores, kernel, kernels);
    printf("%lld paths per case, best of %d; rates per wall second without the plan's fixed "
           "cost; x floor: time over the floor's\n\n",
           (long long)a->paths, a->repeat);
    ckp_bench_print_header(stdout);
}

/* The plan's kernel for sc (CKP_KERNEL read here): 0, or the exit status
 * after the message. */
static int plan_kernel(const ckp_scenario *sc, char *name, size_t n)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = 2;
    o.first_path = 0;
    o.antithetic = 0;
    ckp_plan *plan = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    ckp_status st = ckp_plan_create(sc, &o, &plan, &err);
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint bench: %s\n", err.message);
        return ckp_status_exit_code(st);
    }
    snprintf(name, n, "%s", ckp_plan_kernel(plan));
    ckp_plan_free(plan);
    return 0;
}

/* Every variant at `threads` threads: without month statistics (and the
 * floor), with them, with them and the file. Returns the failures. */
static int run_threads(const bench_args *a, const ckp_scenario *sc, int threads, const char *dir,
                       ckp_bench_result r[3])
{
    static const char *const names[3] = {"no-stats", "stats", "stats+file"};
    int failures = 0;
    for (int v = 0; v < 3 && !got_signal; v++) {
        ckp_bench_case c = {
            names[v], sc,   threads, a->paths,   a->repeat, v > 0, v == 2 ? dir : NULL,
            v == 0,   NULL, NULL,    &got_signal};
        ckp_bench_fork_case(&c, &r[v]);
        if (v > 0 && r[0].ok) { /* the same floor for the same paths and threads */
            r[v].floor_seconds = r[0].floor_seconds;
            r[v].floor_cpu_seconds = r[0].floor_cpu_seconds;
            r[v].floor_checksum = r[0].floor_checksum;
        }
        failures += !r[v].ok;
        if (got_signal)
            break;
        if (a->json)
            ckp_bench_print_json(stdout, &r[v], "bench");
        else
            ckp_bench_print_row(stdout, &r[v]);
        fflush(stdout);
    }
    return failures;
}

/* The cases, and the JSON lines after the table: 0, or 1 when a case failed. */
static int measure(const bench_args *a, const ckp_scenario *sc, const char *dir)
{
    ckp_bench_result *res = malloc(sizeof *res * 3 * (size_t)a->nthreads);
    if (!res) {
        fprintf(stderr, "chokepoint bench: out of memory\n");
        return 1;
    }
    int failures = 0;
    memset(res, 0, sizeof *res * 3 * (size_t)a->nthreads);
    for (int t = 0; t < a->nthreads && !got_signal; t++)
        failures += run_threads(a, sc, a->threads[t], dir, res + 3 * t);
    if (got_signal) {
        free(res);
        return 1;
    }
    if (!a->json) {
        printf("\n");
        for (int k = 0; k < 3 * a->nthreads; k++)
            ckp_bench_print_json(stdout, &res[k], "bench");
    }
    for (int k = 0; k < 3 * a->nthreads; k++)
        if (!res[k].ok)
            fprintf(stderr, "chokepoint bench: %s, %d threads: %s\n", res[k].name, res[k].threads,
                    res[k].error);
    free(res);
    return failures ? 1 : 0;
}

int ckp_cmd_bench(int argc, char **argv)
{
    bench_args a;
    memset(&a, 0, sizeof a);
    a.paths = 10000;
    a.repeat = 3;
    char cpu[8];
    int cores = ckp_bench_machine(cpu, sizeof cpu);
    a.threads[a.nthreads++] = 1;
    if (cores > 1)
        a.threads[a.nthreads++] = cores < 1024 ? cores : 1024;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.quick) {
        a.paths = a.paths / 10 > 8 ? a.paths / 10 : 8;
        a.repeat = 1;
    }
    ckp_scenario *sc = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    ckp_status st =
        a.file ? ckp_scenario_load_file(a.file, &sc, &err) : ckp_scenario_load_default(&sc, &err);
    if (st != CKP_OK) {
        /* an unreadable scenario file is bad input, as in `run` */
        fprintf(stderr, "chokepoint bench: %s\n", err.message);
        return st == CKP_ERR_NOMEM ? ckp_status_exit_code(st) : 2;
    }
    char kernel[32], dir[4096];
    rc = plan_kernel(sc, kernel, sizeof kernel);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/chokepoint-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!rc && !mkdtemp(dir)) {
        fprintf(stderr, "chokepoint bench: cannot create a temporary directory %s: %s\n", dir,
                strerror(errno));
        rc = 1;
    }
    if (!rc) {
        if (!a.json)
            print_intro(&a, sc, kernel);
        catch_stops();
        rc = measure(&a, sc, dir);
        if (got_signal) {
            fprintf(stderr, "chokepoint bench: stopped by %s\n",
                    got_signal == SIGINT    ? "SIGINT"
                    : got_signal == SIGTERM ? "SIGTERM"
                                            : "SIGHUP");
            rc = 128 + got_signal;
        }
        if (remove_dir(dir) != 0) {
            fprintf(stderr, "chokepoint bench: cannot remove %s: %s\n", dir, strerror(errno));
            rc = 1;
        }
    }
    ckp_scenario_free(sc);
    return rc;
}
