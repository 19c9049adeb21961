/* chokepoint: running many paths (orchestration).
 *
 * A run covers the plan's path range [first_path, first_path + paths) of one
 * seed and one scenario, in batches; threads (OpenMP) split each batch by
 * path. Every figure is a function of (scenario, seed, path range) alone:
 * per-path records come out in path order, per-month sums are kept in exact
 * fixed point and histograms as integer counts, so neither thread count,
 * batch size nor a split of the range into several runs changes a single bit.
 *
 * The run is steppable: ckp_run_begin, then ckp_run_step once per batch, then
 * ckp_run_end. After every step the accumulators are complete for the paths
 * done so far: ckp_run_snapshot copies them out as a result of that range,
 * which merges exactly with the result of the adjacent range and from which
 * ckp_run_resume continues. ckp_run and ckp_run_plan are loops over the steps.
 *
 * Per-path records reach the caller through a sink, batch by batch, so memory
 * does not grow with the number of paths. */
#ifndef CHOKEPOINT_RUN_H
#define CHOKEPOINT_RUN_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#include "chokepoint/error.h"
#include "chokepoint/plan.h"
#include "chokepoint/rng.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives each finished batch, in path order, on the calling thread.
 * records[k] holds n * lay->record doubles for the k-th run policy
 * (path-major). Returning non-OK stops the run with that error. */
typedef struct ckp_sink {
    void *ctx;
    ckp_status (*write_batch)(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                              int npol, const double *const *records, ckp_error *err);
} ckp_sink;

/* What a run produced besides the per-path records: per policy, month and
 * observable the exact sums over paths, their means and the histogram counts.
 * Owned by the caller (ckp_run_result_free). Policies are in run order. */
typedef struct ckp_run_result ckp_run_result;

CKP_API int ckp_run_result_npolicies(const ckp_run_result *r);
/* The scenario's index of run policy k. */
CKP_API int ckp_run_result_policy(const ckp_run_result *r, int k);
CKP_API int64_t ckp_run_result_first_path(const ckp_run_result *r);
CKP_API int64_t ckp_run_result_paths(const ckp_run_result *r);
CKP_API uint64_t ckp_run_result_seed(const ckp_run_result *r);
CKP_API int ckp_run_result_antithetic(const ckp_run_result *r);
CKP_API int ckp_run_result_month_stats(const ckp_run_result *r);
CKP_API const ckp_layout *ckp_run_result_layout(const ckp_run_result *r);
/* Per-month means of run policy k: T * obs_per_month doubles, month-major
 * (index t * obs_per_month + o). NULL without month statistics. */
CKP_API const double *ckp_run_result_month_mean(const ckp_run_result *r, int k);
/* Histogram counts of run policy k: T * obs_per_month * CKP_HIST_BINS counts
 * at ((t * obs_per_month) + o) * CKP_HIST_BINS + bin. NULL without month
 * statistics. */
CKP_API const uint64_t *ckp_run_result_hist(const ckp_run_result *r, int k);
/* The CKP_HIST_BINS upper edges of observable o of run policy k. */
CKP_API const double *ckp_run_result_hist_upper(const ckp_run_result *r, int k, size_t o);

/* Merge the result of an adjacent range into `into` (same scenario, seed and
 * policies; b's range starts where into's ends). Exact. */
CKP_API ckp_status ckp_run_result_merge(ckp_run_result *into, const ckp_run_result *b,
                                        ckp_error *err);
/* Accepts NULL. */
CKP_API void ckp_run_result_free(ckp_run_result *r);

/* The exact state of a result as bytes, for a checkpoint: the shape
 * (policies, months, observables, bins), seed, antithetic flag, range and
 * month-statistics flag, then the fixed-point sums (hi, lo) and the 64-bit
 * histogram counts, every integer little-endian whatever the host. *out
 * (malloc'ed, *n bytes) is owned by the caller. Histogram edges and means
 * are not stored: they follow from the plan and the sums. */
CKP_API ckp_status ckp_run_result_to_bytes(const ckp_run_result *r, unsigned char **out,
                                           size_t *n, ckp_error *err);
/* The result stored by ckp_run_result_to_bytes, checked against `plan`
 * (shape, seed, antithetic flag, first path, policies, a range inside the
 * plan's): CKP_ERR_IO naming what does not match or a truncated buffer.
 * *out is owned by the caller. */
CKP_API ckp_status ckp_run_result_from_bytes(const ckp_plan *plan, const unsigned char *b, size_t n,
                                             ckp_run_result **out, ckp_error *err);


/* ---- The steppable run ------------------------------------------------------ */

typedef struct ckp_run_state ckp_run_state;

/* Start a run of `plan` (which must outlive the state). `sink` may be NULL
 * (records are then discarded). Allocates the per-thread scratch. *out is
 * owned by the caller: pass it to ckp_run_end or ckp_run_abort. */
CKP_API ckp_status ckp_run_begin(const ckp_plan *plan, const ckp_sink *sink,
                                 ckp_run_state **out, ckp_error *err);
/* As ckp_run_begin, but continue after `done`, a snapshot of an earlier run
 * of the same plan (same scenario, seed, policies, options and first path):
 * the next step starts at done's end. */
CKP_API ckp_status ckp_run_resume(const ckp_plan *plan, const ckp_sink *sink,
                                  const ckp_run_result *done, ckp_run_state **out,
                                  ckp_error *err);
/* Simulate the next batch, fold its sums and counts into the accumulators and
 * hand its records to the sink. Nothing to do once the range is done.
 * Errors: CKP_ERR_NUMERIC when a path's total loss is not finite (the lowest
 * such path is named), or the sink's error; the state is then unusable
 * except for ckp_run_abort. */
CKP_API ckp_status ckp_run_step(ckp_run_state *rs, ckp_error *err);
/* As ckp_run_step, but the batch ends at path `stop` at the latest (a
 * shorter batch when `stop` comes first; nothing when next_path >= stop), so
 * that a caller can look at the accumulators or the records at chosen path
 * counts whatever the batch size. An antithetic run refuses an odd stop
 * (CKP_ERR_USAGE). Simulated figures do not depend on where batches end. */
CKP_API ckp_status ckp_run_step_to(ckp_run_state *rs, int64_t stop, ckp_error *err);
/* 1 when every path of the range is done. */
CKP_API int ckp_run_done(const ckp_run_state *rs);
/* The first path not yet done (the plan's end once done). */
CKP_API int64_t ckp_run_next_path(const ckp_run_state *rs);
/* The accumulators after the last complete batch, as a new result of the
 * range [first_path, next_path) (owned by the caller). */
CKP_API ckp_status ckp_run_snapshot(const ckp_run_state *rs, ckp_run_result **out,
                                    ckp_error *err);
/* Finish: the result of the paths done (the whole range when done). Always
 * frees `rs`. */
CKP_API ckp_status ckp_run_end(ckp_run_state *rs, ckp_run_result **out, ckp_error *err);
/* Give up; frees `rs`. Accepts NULL. */
CKP_API void ckp_run_abort(ckp_run_state *rs);

/* ---- One call ---------------------------------------------------------------- */

/* Run every batch of `plan`: begin, step until done (calling the plan's
 * progress callback after each batch; a non-zero return cancels with
 * CKP_ERR_CANCELLED), end. On success *out owns a new result.
 * Threads: the plan's threads split each batch; when the BLAS is OpenBLAS it
 * is asked for one thread for the duration of each step (its own threads
 * would oversubscribe the cores from inside ours) and restored after.
 * Memory: per thread a ckp_work, one path's uniforms and, with month
 * statistics, a private copy of the sums, their staged limbs and 32-bit
 * histogram counts (npol * T * obs_per_month * (32 + 4 * CKP_HIST_BINS) bytes,
 * folded into the state's 64-bit counts after every batch) plus up to 4 MiB
 * of staged bin indices (one byte per cell, up to 512 paths); the state
 * holds the sums and 64-bit counts (npol * T * obs_per_month * (16 + 8 *
 * CKP_HIST_BINS) bytes). None of it grows with the number of paths. */
CKP_API ckp_status ckp_run_plan(const ckp_plan *plan, const ckp_sink *sink,
                                ckp_run_result **out, ckp_error *err);

/* ckp_plan_create(sc, opt) then ckp_run_plan: the errors of both. */
CKP_API ckp_status ckp_run(const ckp_scenario *sc, const ckp_run_options *opt,
                           const ckp_sink *sink, ckp_run_result **out, ckp_error *err);

/* ---- A sink that keeps every record in memory (tests and small runs) ---------- */
typedef struct ckp_memsink ckp_memsink;
/* NULL when out of memory. */
CKP_API ckp_memsink *ckp_memsink_create(void);
CKP_API void ckp_memsink_free(ckp_memsink *ms);
/* The sink to pass to a run; owned by the memory sink. */
CKP_API const ckp_sink *ckp_memsink_sink(ckp_memsink *ms);
CKP_API int64_t ckp_memsink_paths(const ckp_memsink *ms);
/* Policies and doubles per record of the stored batches (0 before any). */
CKP_API int ckp_memsink_npolicies(const ckp_memsink *ms);
CKP_API size_t ckp_memsink_record(const ckp_memsink *ms);
/* Policy k's records: paths * record doubles, path-major. */
CKP_API const double *ckp_memsink_records(const ckp_memsink *ms, int k);
/* Column j of policy k (paths values), copied into out. */
CKP_API void ckp_memsink_column(const ckp_memsink *ms, int k, size_t j, double *out);

#ifdef __cplusplus
}
#endif
#endif
