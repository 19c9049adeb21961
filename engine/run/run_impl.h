/* chokepoint: a run's result and the memory sink (internal header of the run
 * module; not installed). The writer and the tests read the fields directly;
 * everyone else uses the accessors in chokepoint/run.h. */
#ifndef CKP_RUN_IMPL_H
#define CKP_RUN_IMPL_H

#include "chokepoint/run.h"
#include "engine/run/fix_impl.h"

struct ckp_run_result {
    int npol;
    int *policy;             /* npol scenario indices */
    ckp_layout lay;
    uint64_t seed;
    ckp_pcg64 base;          /* base generator of the seed */
    int antithetic;
    int64_t first_path, paths;
    int month_stats;
    /* Per policy k, month t, observable o (o < lay.obs_per_month):
     * index ((k * T) + t) * obs_per_month + o. */
    ckp_fix *month_sum;      /* exact sums over paths */
    double *month_mean;      /* month_sum / paths */
    uint64_t *hist;          /* CKP_HIST_BINS counts at index (above) * CKP_HIST_BINS + bin */
    double *hist_upper;      /* per policy and observable: CKP_HIST_BINS upper edges,
                                index (k * obs_per_month + o) * CKP_HIST_BINS + bin */
};

/* A result shaped for `plan` covering no paths yet (first_path = the plan's),
 * with zeroed sums and counts when the plan has month statistics. */
ckp_status ckp_run_result_create(const ckp_plan *plan, ckp_run_result **out, ckp_error *err);
/* A deep copy. */
ckp_status ckp_run_result_copy(const ckp_run_result *r, ckp_run_result **out, ckp_error *err);
/* month_mean from month_sum and paths. */
void ckp_run_result_means(ckp_run_result *r);

/* The exact state of a result as bytes, for a checkpoint: the shape
 * (policies, months, observables, bins), seed, antithetic flag, range and
 * month-statistics flag, then the fixed-point sums (hi, lo) and the 64-bit
 * histogram counts, every integer little-endian whatever the host. *out
 * (malloc'ed, *n bytes) is owned by the caller. Histogram edges and means
 * are not stored: they follow from the plan and the sums. */
ckp_status ckp_run_result_to_bytes(const ckp_run_result *r, unsigned char **out, size_t *n,
                                   ckp_error *err);
/* The result stored by ckp_run_result_to_bytes, checked against `plan`
 * (shape, seed, antithetic flag, first path, policies, a range inside the
 * plan's): CKP_ERR_IO naming what does not match or a truncated buffer.
 * *out is owned by the caller. */
ckp_status ckp_run_result_from_bytes(const ckp_plan *plan, const unsigned char *b, size_t n,
                                     ckp_run_result **out, ckp_error *err);

struct ckp_memsink {
    ckp_sink sink;           /* pass &ms->sink to a run */
    int npol;
    size_t record;
    int64_t first_path, paths;
    double **records;        /* npol arrays of paths * record doubles */
    size_t cap;
};

#endif
