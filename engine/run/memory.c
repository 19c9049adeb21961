/* chokepoint: the memory a run will need, estimated from the scenario's sizes,
 * the months, threads and policies before the plan allocates anything large,
 * and the refusal when it exceeds what is available (the memory the kernel
 * reports available, the room under an address-space limit, or the caller's
 * own limit), naming the estimate's parts and the options that lower it. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/core/error_impl.h"
#include "engine/linalg/linalg.h"
#include "engine/run/plan_impl.h"
#include "engine/run/run_impl.h"
#include "engine/run/stage_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/sim/sim_impl.h"

/* The parts of the estimate, in bytes (doubles: sizes can pass SIZE_MAX). */
typedef struct estimate {
    double scratch; /* per thread: simulation scratch and uniforms */
    double month;   /* per thread: month statistics' sums, bins and counts */
    double records; /* the batch's records of every policy */
    double accum;   /* the accumulators of the run (and one copy) */
    double preps;   /* (I - A*)^-1 and its columns, per distinct A* */
    double blas;    /* address space only: OpenBLAS's workspaces */
    double stacks;  /* address space only: the threads' stacks */
} estimate;

static double distinct_astar(const ckp_plan *p)
{
    const ckp_model *base = &p->sc->models[p->policy[0]];
    const size_t bytes = sizeof(double) * (size_t)base->I * (size_t)base->I;
    double n = 1;
    for (int k = 1; k < p->npol; k++)
        if (memcmp(p->sc->models[p->policy[k]].Astar, base->Astar, bytes) != 0)
            n++;
    return n;
}

static void estimate_plan(const ckp_plan *p, estimate *e)
{
    const ckp_scenario *sc = p->sc;
    const double th = p->threads, I = sc->I, cells = (double)p->cells;
    memset(e, 0, sizeof *e);
    /* the work, the uniforms, their severity states (step.c) and the skip table */
    e->scratch = (double)ckp_work_bytes(sc) + 8.0 * (double)p->lay.uniforms + 16.0 * sc->T +
                 32.0 * sc->S * sc->M;
    /* the bins of the paths staged (stage_impl.h) */
    const double most = (double)CKP_STAGE_BYTES;
    double bins = cells * CKP_STAGE_MAX_PATHS < most ? cells * CKP_STAGE_MAX_PATHS : most;
    if (bins < cells)
        bins = cells;
    if (p->month_stats)
        e->month =
            8.0 * sc->T * p->lay.obs_per_month + bins + 8.0 * cells + 8.0 * (double)p->hcells;
    if (p->kernel && p->kernel->block) {
        /* a block kernel's other lanes: scratch, uniforms, every policy's observables */
        e->scratch += (CKP_LANES - 1) * (double)ckp_work_bytes(sc) +
                      8.0 * CKP_LANES * (double)p->lay.uniforms + 16.0 * CKP_LANES * sc->T;
        if (p->month_stats)
            e->month += 8.0 * CKP_LANES * p->npol * sc->T * (double)p->lay.obs_per_month;
    }
    e->records = 8.0 * p->npol * (double)p->batch * (double)p->lay.record;
    if (p->month_stats)
        e->accum = 2 * (16.0 * cells + 8.0 * (double)p->hcells);
    e->preps = 16.0 * I * I * distinct_astar(p);
    /* one workspace for the LU; with dgemm in the paths, one per thread */
    e->blas = (double)CKP_BLAS_WORKSPACE * (sc->I >= CKP_GEMM_MIN_INDUSTRIES ? th : 1);
    struct rlimit rl;
    double stack = 8.0 * 1024 * 1024;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        stack = (double)rl.rlim_cur;
    e->stacks = th > 1 ? (th - 1) * stack : 0;
    e->scratch *= th;
    e->month *= th;
}

/* The kernel's MemAvailable in bytes, or -1. */
static double mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1;
    char line[256];
    double kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1)
            break;
    fclose(f);
    return kib >= 0 ? kib * 1024 : -1;
}

/* Room left under RLIMIT_AS in bytes, or -1 when there is no limit. */
static double address_room(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return -1;
    double used = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        unsigned long pages = 0;
        if (fscanf(f, "%lu", &pages) == 1)
            used = (double)pages * (double)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    double room = (double)rl.rlim_cur - used;
    return room > 0 ? room : 0;
}

static double mib(double bytes)
{
    return bytes / (1024.0 * 1024.0);
}

static ckp_status refuse(const ckp_plan *p, const estimate *e, double need, double limit,
                         const char *what, ckp_error *err)
{
    return CKP_FAIL(err, CKP_ERR_NOMEM,
                    "out of memory: the run needs about %.1f MiB (%d thread%s x %.1f MiB of "
                    "scratch and %.1f MiB of month statistics, %.1f MiB of batch records for "
                    "%d polic%s, %.1f MiB of accumulators, %.1f MiB of prepared matrices%s), "
                    "more than the %.1f MiB %s; fewer threads (-j), fewer policies (-p), a "
                    "smaller batch (--batch) or no month statistics (no -o) need less",
                    mib(need), p->threads, p->threads == 1 ? "" : "s", mib(e->scratch / p->threads),
                    mib(e->month / p->threads), mib(e->records), p->npol,
                    p->npol == 1 ? "y" : "ies", mib(e->accum), mib(e->preps),
                    what[0] == 'l' ? "" : ", with BLAS workspaces and thread stacks", mib(limit),
                    what);
}

ckp_status ckp_plan_memory_check(const ckp_plan *p, int64_t max_memory, ckp_error *err)
{
    if (max_memory < 0)
        return CKP_OK;
    estimate e;
    estimate_plan(p, &e);
    const double resident = e.scratch + e.month + e.records + e.accum + e.preps;
    const double limit = max_memory > 0 ? (double)max_memory : mem_available();
    if (limit >= 0 && resident > limit)
        return refuse(p, &e, resident, limit,
                      max_memory > 0 ? "limit of --max-memory" : "available (MemAvailable)", err);
    const double room = address_room();
    if (room >= 0 && resident + e.blas + e.stacks > room)
        return refuse(p, &e, resident + e.blas + e.stacks, room,
                      "of address space left under ulimit -v", err);
    return CKP_OK;
}
