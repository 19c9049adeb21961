/* chokepoint bench: one case, timed in a forked child.
 *
 * A run goes through the plan as `chokepoint run` does: ckp_plan_create, then
 * ckp_run_plan into a sink that reads one value of every record (and, with a
 * file, forwards the records to the HDF5 writer and writes the summaries:
 * the whole of `chokepoint run -o`). The plan's fixed cost (policy
 * preparation, histogram edges) is measured by a run of 2 paths per thread
 * and taken out of the rates, because a production run amortises it. Process
 * CPU time is kept beside wall time: on a shared machine, for one thread, it
 * is what the run would take alone. The child's getrusage gives the case's
 * peak RSS. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chokepoint/output.h"
#include "chokepoint/plan.h"
#include "chokepoint/run.h"
#include "engine/bench/bench_impl.h"
#include "engine/core/error_impl.h"
#include "engine/scenario/scenario_impl.h"

/* pid_t and wait4 need more than POSIX.1-2008 on glibc. */
extern pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru);

/* Counts what the sink saw, and folds one value of every record in, so the
 * records are really read. */
typedef struct count_sink {
    int64_t paths;
    double sum;
    const ckp_sink *next; /* forwarded to (the HDF5 writer), or NULL */
    long long file_bytes; /* the results file's size, before it is removed */
} count_sink;

static ckp_status count_write(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                              int npol, const double *const *records, ckp_error *err)
{
    count_sink *cs = ctx;
    for (int k = 0; k < npol; k++)
        for (int64_t p = 0; p < n; p++)
            cs->sum += records[k][(size_t)p * lay->record + CKP_M_LOSS_TOTAL];
    cs->paths += n;
    if (cs->next)
        return cs->next->write_batch(cs->next->ctx, lay, first_path, n, npol, records, err);
    return CKP_OK;
}

/* One run of `paths` paths: wall and CPU seconds, the records' checksum,
 * the size of the results file (0 without one). */
typedef struct run_out {
    double secs, cpu, checksum;
    long long file_bytes;
} run_out;

static ckp_status run_plan(ckp_plan *plan, const ckp_bench_case *c, count_sink *cs, ckp_error *err)
{
    ckp_sink sink = {cs, count_write};
    ckp_run_result *res = NULL;
    ckp_output *out = NULL;
    char h5[1024];
    if (c->h5_dir) {
        ckp_output_options oo;
        ckp_output_options_default(&oo);
        oo.force = 1;
        snprintf(h5, sizeof h5, "%s/ckp_bench_%ld.h5", c->h5_dir, (long)getpid());
        CKP_TRY(ckp_output_open(h5, plan, &oo, &out, err));
        cs->next = ckp_output_sink(out);
    }
    ckp_status st = ckp_run_plan(plan, &sink, &res, err);
    if (out) {
        if (st == CKP_OK)
            st = ckp_output_finish(out, res, err);
        else
            ckp_output_abort(out);
        struct stat sb;
        if (st == CKP_OK && stat(h5, &sb) == 0)
            cs->file_bytes = (long long)sb.st_size;
        unlink(h5);
    }
    ckp_run_result_free(res);
    return st;
}

static int run_once(const ckp_bench_case *c, const ckp_scenario *sc, int64_t paths, run_out *ro,
                    ckp_error *err)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = paths;
    o.first_path = 0;
    o.threads = c->threads;
    o.antithetic = sc->antithetic && paths % 2 == 0;
    o.month_stats = c->month_stats;
    count_sink cs = {0, 0, NULL, 0};
    ckp_plan *plan = NULL;
    double t0 = ckp_bench_now(), c0 = ckp_bench_cpu_now();
    ckp_status st = ckp_plan_create(sc, &o, &plan, err);
    if (st == CKP_OK)
        st = run_plan(plan, c, &cs, err);
    ckp_plan_free(plan);
    ro->secs = ckp_bench_now() - t0;
    ro->cpu = ckp_bench_cpu_now() - c0;
    if (st != CKP_OK)
        return -1;
    ro->checksum = cs.sum;
    ro->file_bytes = cs.file_bytes;
    if (cs.paths != paths) {
        ckp_error_set(err, CKP_ERR_INTERNAL, NULL, 0, 0, NULL, "sink saw %lld of %lld paths",
                      (long long)cs.paths, (long long)paths);
        return -1;
    }
    return 0;
}

/* Best of c->repeat runs of `paths` paths into best[0] (wall) and best[1]
 * (CPU); a run longer than 20 s is not repeated. */
static int best_of(const ckp_bench_case *c, const ckp_scenario *sc, int64_t paths, double best[2],
                   run_out *ro, ckp_error *err)
{
    best[0] = best[1] = INFINITY;
    for (int rep = 0; rep < c->repeat || rep == 0; rep++) {
        if (run_once(c, sc, paths, ro, err) != 0)
            return -1;
        best[0] = ro->secs < best[0] ? ro->secs : best[0];
        best[1] = ro->cpu < best[1] ? ro->cpu : best[1];
        if (ro->secs > 20)
            break;
    }
    return 0;
}

int ckp_bench_steady_time(const ckp_bench_case *c, const ckp_scenario *sc, double *checksum,
                          double wall[3], double cpu[3], long long *file_bytes, ckp_error *err)
{
    int64_t small = 2 * (int64_t)(c->threads > 0 ? c->threads : 1);
    double *tm[2] = {wall, cpu}, full[2], few[2];
    run_out ro;
    if (best_of(c, sc, c->paths, full, &ro, err) != 0)
        return -1;
    *checksum = ro.checksum;
    if (file_bytes)
        *file_bytes = ro.file_bytes;
    for (int k = 0; k < 2; k++) {
        tm[k][0] = tm[k][1] = full[k];
        tm[k][2] = 0;
    }
    if (c->paths < 8 * small)
        return 0;
    if (best_of(c, sc, small, few, &ro, err) != 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        /* the small run's own paths cost (small / paths) of the steady time */
        double per_path = (tm[k][1] - few[k]) / (double)(c->paths - small);
        if (per_path > 0) {
            tm[k][2] = few[k] - per_path * (double)small;
            if (tm[k][2] < 0)
                tm[k][2] = 0;
            tm[k][0] = tm[k][1] - tm[k][2];
        }
    }
    return 0;
}

/* The plan's kernel, from a plan of 2 paths (CKP_KERNEL is read there). */
static int kernel_name(const ckp_bench_case *c, ckp_bench_result *r, ckp_error *err)
{
    ckp_run_options o;
    ckp_run_options_default(&o, c->sc);
    o.paths = 2;
    o.first_path = 0;
    o.threads = c->threads;
    o.antithetic = 0;
    o.month_stats = 0;
    ckp_plan *plan = NULL;
    if (ckp_plan_create(c->sc, &o, &plan, err) != CKP_OK)
        return -1;
    snprintf(r->kernel, sizeof r->kernel, "%s", ckp_plan_kernel(plan));
    ckp_plan_free(plan);
    return 0;
}

void ckp_bench_run_case(const ckp_bench_case *c, ckp_bench_result *r)
{
    const ckp_scenario *sc = c->sc;
    const ckp_model *m = &sc->models[0];
    ckp_error err;
    ckp_error_clear(&err);
    snprintf(r->name, sizeof r->name, "%s", c->name);
    snprintf(r->scenario, sizeof r->scenario, "%s", ckp_scenario_name(sc));
    r->threads = c->threads;
    r->cores = ckp_bench_machine(r->cpu, sizeof r->cpu);
    r->month_stats = c->month_stats;
    r->h5 = c->h5_dir != NULL;
    r->S = m->S;
    r->M = m->M;
    r->I = m->I;
    r->T = m->T;
    r->K = m->K;
    r->npol = sc->npolicies;
    r->paths = c->paths;
    double wall[3], cpu[3];
    if (kernel_name(c, r, &err) != 0 ||
        ckp_bench_steady_time(c, sc, &r->checksum, wall, cpu, &r->file_bytes, &err) != 0) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
        return;
    }
    r->seconds = wall[0];
    r->total_seconds = wall[1];
    r->setup_seconds = wall[2];
    r->cpu_seconds = cpu[0];
    r->cpu_setup_seconds = cpu[2];
    if (c->floor && ckp_bench_floor(sc, c->paths, c->threads, c->repeat, &r->floor_seconds,
                                    &r->floor_cpu_seconds, &r->floor_checksum) != 0) {
        snprintf(r->error, sizeof r->error, "floor: out of memory or bad correlation");
        return;
    }
    if (c->extra)
        c->extra(c, r, c->extra_ctx);
    r->ok = 1;
}

/* The child's side: run the case, write the result into the pipe. */
static void child(const ckp_bench_case *c, int fd)
{
    /* the stop signals the caller may catch end the child (ignored ones stay ignored) */
    static const int stops[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        struct sigaction old;
        if (sigaction(stops[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            signal(stops[i], SIG_DFL);
    }
    ckp_bench_result cr;
    memset(&cr, 0, sizeof cr);
    ckp_bench_run_case(c, &cr);
    ssize_t nw = write(fd, &cr, sizeof cr);
    exit(nw == (ssize_t)sizeof cr ? 0 : 1); /* exit, not _exit: LeakSanitizer runs */
}

void ckp_bench_fork_case(const ckp_bench_case *c, ckp_bench_result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", c->name);
    r->threads = c->threads;
    int fd[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd) != 0) {
        snprintf(r->error, sizeof r->error, "pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->error, sizeof r->error, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return;
    }
    if (pid == 0) {
        close(fd[0]);
        child(c, fd[1]);
    }
    close(fd[1]);
    ckp_bench_result got_r;
    size_t got = 0;
    while (got < sizeof got_r) {
        ssize_t n = read(fd[0], (char *)&got_r + got, sizeof got_r - got);
        if (n < 0 && errno == EINTR && c->stop && *c->stop) {
            kill(pid, SIGKILL); /* the caller was asked to stop: the case ends here */
            break;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    if (got != sizeof got_r) {
        snprintf(r->error, sizeof r->error, "child died (status %d)", status);
        return;
    }
    *r = got_r;
    r->peak_rss_kb = ru.ru_maxrss;
    if (r->ok && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        /* e.g. LeakSanitizer's verdict in a sanitizer build */
        r->ok = 0;
        snprintf(r->error, sizeof r->error, "child exited with status %d", status);
    }
}
