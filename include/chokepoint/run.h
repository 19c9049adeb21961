/* chokepoint: running many paths (orchestration).
 *
 * A run covers the path range [first_path, first_path + paths) of one seed and
 * one scenario, in batches; threads (OpenMP) split each batch by path. Every
 * figure is a function of (scenario, seed, path range) alone: per-path records
 * come out in path order, per-month sums are kept in exact fixed point and
 * histograms as integer counts, so neither thread count, batch size nor a split
 * of the range into several runs changes a single bit.
 *
 * Per-path records reach the caller through a sink, batch by batch, so memory
 * does not grow with the number of paths. */
#ifndef CHOKEPOINT_RUN_H
#define CHOKEPOINT_RUN_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#include "chokepoint/error.h"
#include "chokepoint/rng.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"
#include "chokepoint/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ckp_run_options {
    uint64_t seed;         /* default: the scenario's seed */
    int64_t first_path;    /* default 0 */
    int64_t paths;         /* default: the scenario's paths */
    int threads;           /* 0: OpenMP's default */
    int64_t batch;         /* paths per batch; 0: automatic */
    int antithetic;        /* pair path 2j+1 with 1 - u of path 2j; first_path and paths even */
    int npolicies;         /* number of entries in `policies`; 0: every policy */
    const int *policies;   /* indices into sc->models; 0 (baseline) is added if missing */
    int month_stats;       /* accumulate per-month sums and histograms (default 1) */
    /* Called from the calling thread after each batch (may be NULL). */
    void (*progress)(void *ctx, int64_t done, int64_t total);
    void *progress_ctx;
} ckp_run_options;

/* Defaults from the scenario: seed, paths, antithetic from sc; all policies. */
CKP_API void ckp_run_options_default(ckp_run_options *o, const ckp_scenario *sc);

/* Receives each finished batch, in path order, on the calling thread.
 * records[k] holds n * lay->record doubles for the k-th run policy
 * (path-major). Returning non-OK stops the run with that error. */
typedef struct ckp_sink {
    void *ctx;
    ckp_status (*write_batch)(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                              int npol, const double *const *records, ckp_error *err);
} ckp_sink;

/* An exact fixed-point accumulator: value = (hi * 2^64 + lo) * 2^-CKP_FIX_FRAC_BITS,
 * two's complement. Adding is associative, so sums do not depend on order. */
#define CKP_FIX_FRAC_BITS 64
typedef struct ckp_fix {
    int64_t hi;
    uint64_t lo;
} ckp_fix;

/* What a run produced besides the per-path records. Owned by the caller
 * (ckp_run_result_free). Policies are in run order: policy[0] == 0 (baseline). */
typedef struct ckp_run_result {
    int npol;
    int *policy;             /* npol indices into sc->models */
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
} ckp_run_result;

/* Run the paths. `sink` may be NULL (records are then discarded). On success
 * *out owns a new result.
 *
 * Batches: `batch` paths each (automatic: 1024, fewer when one batch's records
 * of all policies would pass 64 MiB; rounded up to even for antithetic runs).
 * Threads: `threads` OpenMP threads split each batch; when the BLAS is
 * OpenBLAS it is asked for one thread for the duration of the run (its own
 * threads would oversubscribe the cores from inside ours) and restored after.
 * Memory: per thread a ckp_work, one path's uniforms and, with month_stats, a
 * private copy of the sums and 32-bit histogram counts (npol * T *
 * obs_per_month * (16 + 4 * CKP_HIST_BINS) bytes, folded into the result's
 * 64-bit counts before any could wrap) plus up to 2 MiB of staged bin indices
 * (one byte per cell, up to 256 paths); the result holds the 64-bit counts
 * (npol * T * obs_per_month * 8 * CKP_HIST_BINS bytes). None of it grows with
 * the number of paths.
 * Errors: CKP_ERR_USAGE for bad options (paths <= 0, a range that overflows,
 * an odd antithetic range, a bad policy index), CKP_ERR_NUMERIC when a path's
 * total loss is not finite (the lowest such path is named), a prep's error,
 * or the sink's error. */
CKP_API ckp_status ckp_run(const ckp_scenario *sc, const ckp_run_options *opt, const ckp_sink *sink,
                   ckp_run_result **out, ckp_error *err);

/* Merge the result of an adjacent range into `into` (same scenario, seed and
 * policies; b->first_path == into->first_path + into->paths). Exact. */
CKP_API ckp_status ckp_run_result_merge(ckp_run_result *into, const ckp_run_result *b, ckp_error *err);

CKP_API void ckp_run_result_free(ckp_run_result *r);

/* Fixed-point helpers. */
CKP_API void ckp_fix_add_double(ckp_fix *acc, double v);
CKP_API void ckp_fix_add(ckp_fix *acc, const ckp_fix *b);
CKP_API double ckp_fix_to_double(const ckp_fix *acc);

/* A sink that keeps every record in memory (for tests and small runs). */
typedef struct ckp_memsink {
    ckp_sink sink;           /* pass &ms->sink to ckp_run */
    int npol;
    size_t record;
    int64_t first_path, paths;
    double **records;        /* npol arrays of paths * record doubles */
    size_t cap;
} ckp_memsink;
CKP_API ckp_memsink *ckp_memsink_create(void);
CKP_API void ckp_memsink_free(ckp_memsink *ms);
/* Column j of policy k (paths values), copied into out. */
CKP_API void ckp_memsink_column(const ckp_memsink *ms, int k, size_t j, double *out);

#ifdef __cplusplus
}
#endif
#endif
