/* chokepoint: the plan's insides (internal header of the run module; not
 * installed). The run, the writer and the tests read these fields directly;
 * everyone else goes through the accessors in chokepoint/plan.h. */
#ifndef CKP_PLAN_IMPL_H
#define CKP_PLAN_IMPL_H

#include "chokepoint/plan.h"
#include "chokepoint/stats.h"
#include "engine/sim/kernel.h"
#include "engine/stats/hist_impl.h"

/* What a histogram needs to bin one observable of one policy. */
typedef struct ckp_obs_kind {
    int kind;     /* 0 unit (x, q), 1 price, 2 stock */
    double param; /* cap for price, Lmax in days for stock */
} ckp_obs_kind;

struct ckp_plan {
    const ckp_scenario *sc;
    int npol;
    int *policy;               /* npol scenario indices, policy[0] == 0 */
    const ckp_model **model;   /* npol models of the scenario */
    ckp_prep **prep;           /* npol preparations */
    ckp_layout lay;
    uint64_t seed;
    ckp_pcg64 base;
    int64_t first_path, paths;
    int antithetic;
    int month_stats;
    int64_t batch;
    int threads;
    const ckp_kernel *kernel;  /* the path kernel (CKP_KERNEL or the best one) */
    int (*progress)(void *ctx, int64_t done, int64_t total);
    void *progress_ctx;

    /* Per-month statistics: cells = npol * T * obs_per_month sums, each with
     * CKP_HIST_BINS counts (hcells). */
    size_t cells, hcells;
    ckp_obs_kind *kinds;               /* npol * obs_per_month */
    ckp_hist_binner *binner_pool;      /* one per distinct (kind, parameter) */
    const ckp_hist_binner **binners;   /* npol * obs_per_month, into the pool */
    size_t nbinners;                   /* binners of the pool in use */
    ckp_hist_lut *luts;                /* nbinners table binners, one per pool binner */
    const ckp_hist_lut **lut_of;       /* npol * obs_per_month, into luts */
    double *hist_upper;                /* npol * obs_per_month * CKP_HIST_BINS */
};

/* Refuse (CKP_ERR_NOMEM, naming the estimate and the options that lower it)
 * a plan whose run would need more memory than max_memory bytes, or when 0,
 * than the system has available (MemAvailable) or is left under an
 * address-space limit; max_memory < 0 skips the check (memory.c). Needs the
 * plan's policies, sizes and batch, not its preparations. */
ckp_status ckp_plan_memory_check(const ckp_plan *p, int64_t max_memory, ckp_error *err);

#endif
