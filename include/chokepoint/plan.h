/* chokepoint: the run plan.
 *
 * A plan is everything about a run that is decided once, before any path is
 * simulated: the scenario, the run's policies in run order (baseline first),
 * the base generator of the seed, the path range and antithetic pairing, the
 * record and observable layout, the batch size, each policy's preparation
 * (checked and factorised matrices) and the histogram edges of every per-month
 * observable. The run (run.h), the HDF5 writer (output.h) and the command-line
 * tool all read the same plan, so they cannot disagree about any of it; the
 * merge of range files and MPI ranks will too.
 *
 * Nothing in a plan depends on the thread count: figures are a function of
 * (scenario, seed, path range) alone. */
#ifndef CHOKEPOINT_PLAN_H
#define CHOKEPOINT_PLAN_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#include "chokepoint/error.h"
#include "chokepoint/rng.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the caller chooses about a run (filled with defaults by
 * ckp_run_options_default, then changed field by field). */
typedef struct ckp_run_options {
    uint64_t seed;         /* default: the scenario's seed */
    int64_t first_path;    /* default 0 */
    int64_t paths;         /* default: the scenario's paths */
    int threads;           /* 0: OpenMP's default */
    int64_t batch;         /* paths per batch; 0: automatic */
    int antithetic;        /* pair path 2j+1 with 1 - u of path 2j; first_path and paths even */
    int npolicies;         /* number of entries in `policies`; 0: every policy */
    const int *policies;   /* indices into the scenario's policies; 0 (baseline) is added */
    int month_stats;       /* accumulate per-month sums and histograms (default 1) */
    /* Called on the calling thread after each batch (may be NULL) with the
     * paths done so far and the paths of the range. Returning non-zero
     * cancels the run: ckp_run returns CKP_ERR_CANCELLED after that batch. */
    int (*progress)(void *ctx, int64_t done, int64_t total);
    void *progress_ctx;
    /* Refuse a run estimated to need more bytes than this (CKP_ERR_NOMEM);
     * 0: what the system has available (MemAvailable, and the room under an
     * address-space limit); < 0: no check. Default 0. */
    int64_t max_memory;
} ckp_run_options;

/* Defaults from the scenario: seed, paths, antithetic from sc; all policies. */
CKP_API void ckp_run_options_default(ckp_run_options *o, const ckp_scenario *sc);

typedef struct ckp_plan ckp_plan;

/* Check the options against the scenario and work out the plan, including
 * every run policy's preparation (which refuses a correlation that is not
 * positive definite or an A* whose spectral radius is not below 1).
 * `opt` may be NULL (defaults). `sc` must outlive the plan; nothing in `opt`
 * is referenced after the call except progress_ctx. *out is owned by the
 * caller (ckp_plan_free).
 * Batches: `batch` paths each (automatic: 1024, fewer when one batch's records
 * of all policies would pass 64 MiB), at most the range, rounded up to even
 * for antithetic runs.
 * Errors: CKP_ERR_USAGE for bad options (paths <= 0, a range that overflows,
 * an odd antithetic range, a bad policy index, negative batch or threads),
 * CKP_ERR_NOMEM for sizes that cannot be allocated, a preparation's error. */
CKP_API ckp_status ckp_plan_create(const ckp_scenario *sc, const ckp_run_options *opt,
                                   ckp_plan **out, ckp_error *err);
/* Accepts NULL. */
CKP_API void ckp_plan_free(ckp_plan *p);

CKP_API const ckp_scenario *ckp_plan_scenario(const ckp_plan *p);
/* The run's policies: k = 0 .. npolicies-1 in run order; k = 0 is the baseline. */
CKP_API int ckp_plan_npolicies(const ckp_plan *p);
/* The scenario's index of run policy k. */
CKP_API int ckp_plan_policy(const ckp_plan *p, int k);
CKP_API const char *ckp_plan_policy_name(const ckp_plan *p, int k);
/* Whether run policy k states an annual cost, and the cost (currency/year). */
CKP_API int ckp_plan_policy_cost(const ckp_plan *p, int k, double *annual_cost);
CKP_API const ckp_layout *ckp_plan_layout(const ckp_plan *p);
CKP_API uint64_t ckp_plan_seed(const ckp_plan *p);
CKP_API const ckp_pcg64 *ckp_plan_base(const ckp_plan *p);
CKP_API int64_t ckp_plan_first_path(const ckp_plan *p);
CKP_API int64_t ckp_plan_paths(const ckp_plan *p);
CKP_API int ckp_plan_antithetic(const ckp_plan *p);
CKP_API int ckp_plan_month_stats(const ckp_plan *p);
CKP_API int64_t ckp_plan_batch(const ckp_plan *p);
/* Threads the run will use (OpenMP's default resolved). */
CKP_API int ckp_plan_threads(const ckp_plan *p);
/* The name of the path kernel the run will use: the best one this machine
 * has, or the one the environment variable CKP_KERNEL names (an unknown or
 * unavailable name makes ckp_plan_create fail with CKP_ERR_USAGE). Every
 * kernel gives the same bits. */
CKP_API const char *ckp_plan_kernel(const ckp_plan *p);
/* Upper edges of the CKP_HIST_BINS bins of observable o (o < obs_per_month)
 * of run policy k. */
CKP_API const double *ckp_plan_hist_upper(const ckp_plan *p, int k, size_t o);

/* Replay one path of run policy k: its metrics record (layout->record
 * doubles), and the full trace when `trace` is not NULL (see sim.h). The
 * path need not be in the plan's range; antithetic pairing follows the plan.
 * Allocates its own scratch. */
CKP_API ckp_status ckp_plan_replay(const ckp_plan *p, int k, int64_t path, double *record,
                                   ckp_trace *trace, ckp_error *err);

#ifdef __cplusplus
}
#endif
#endif
