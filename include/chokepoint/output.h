/* chokepoint: results in HDF5 (docs/output-format.md describes the layout).
 *
 * A writer streams a run's per-path records into a temporary file beside the
 * target, batch by batch, computes the summaries at the end by reading each
 * per-path column back (so memory never grows with the number of paths), and
 * renames the temporary file onto the target only when everything is written.
 * A reader opens a finished file for `summary`, `replay` and the tests, and
 * reads any stored array by its path in the file.
 *
 * Process state: HDF5 prints its error stack to stderr by default. From
 * ckp_output_open / ckp_output_file_open to the matching finish, abort or
 * close, that automatic printing is switched off (errors reach the caller as
 * ckp_error messages) and the caller's setting is restored afterwards; open
 * writers and readers nest only in last-opened, first-closed order. HDF5's
 * clean-up at process exit is declined (H5dont_atexit: every handle is closed
 * by the library itself), which takes effect only when chokepoint is the
 * first HDF5 user of the process.
 *
 * Only engine/output/ includes hdf5.h. */
#ifndef CHOKEPOINT_OUTPUT_H
#define CHOKEPOINT_OUTPUT_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#include "chokepoint/error.h"
#include "chokepoint/plan.h"
#include "chokepoint/rng.h"
#include "chokepoint/run.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"
#include "chokepoint/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the file layout written by this engine. */
#define CKP_OUTPUT_SCHEMA_VERSION 2

/* ---- Writing ---------------------------------------------------------------- */

typedef struct ckp_output ckp_output;

/* Progress of ckp_output_finish: `done` of `total` units of work (one per
 * per-path column summarised, one per policy's per-month statistics and
 * comparison), called from the calling thread at least once per policy and
 * once with done == total at the end. */
typedef void (*ckp_output_progress_fn)(void *ctx, int64_t done, int64_t total);

typedef struct ckp_output_options {
    int force;                /* replace an existing target (default 0: refuse, CKP_ERR_EXISTS) */
    int compress;             /* deflate level of the per-path datasets, 0 = none, 1..9 */
    const char *command_line; /* stored as an attribute; may be NULL */
    ckp_output_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} ckp_output_options;

/* Defaults: force 0, compress CKP_OUTPUT_DEFAULT_COMPRESS, command_line NULL,
 * progress NULL.
 * Deflate level 1 (with shuffle) about halves the file for about a seventh
 * more CPU time; higher levels save under 2 % more and cost more time, level
 * 9 more than twice as much (docs/output-format.md has the measurements). */
#define CKP_OUTPUT_DEFAULT_COMPRESS 1
CKP_API void ckp_output_options_default(ckp_output_options *o);

/* Create the temporary file beside `path` and write the root attributes and
 * coordinates. Everything about the run is taken from `plan`: the policies
 * in run order, the layout, the seed and base generator, the path range and
 * the antithetic flag, the histogram edges. `plan` (and its scenario) must
 * outlive the writer. Fails with CKP_ERR_EXISTS if `path` exists and
 * oo->force is 0; `oo` may be NULL (defaults). On success *out owns a new
 * writer that must be passed to exactly one of ckp_output_finish or
 * ckp_output_abort. */
CKP_API ckp_status ckp_output_open(const char *path, const ckp_plan *plan,
                                   const ckp_output_options *oo, ckp_output **out,
                                   ckp_error *err);

/* The sink to pass to ckp_run: it streams the per-path records into the file.
 * Owned by the writer. */
CKP_API const ckp_sink *ckp_output_sink(ckp_output *o);

/* The name of the temporary file the writer is filling (".NAME.tmp-XXXXXX"
 * beside the target), owned by the writer and valid until finish or abort.
 * A program that must remove it from a signal handler (where the writer
 * cannot be called) copies it beforehand. */
CKP_API const char *ckp_output_temp_path(const ckp_output *o);

/* Write the summaries, per-month statistics and comparisons, set complete = 1,
 * close, fsync and rename the temporary file onto the target. `r` must be
 * the result of a run of the writer's plan that sent every path of its range
 * through the sink (CKP_ERR_INTERNAL otherwise). Always frees `o`; on failure
 * the temporary file is removed and the target is untouched. */
CKP_API ckp_status ckp_output_finish(ckp_output *o, const ckp_run_result *r, ckp_error *err);

/* ---- A run stopped early (engine/output/target.c) ------------------------------ */

/* Make the writer the writer of the first `paths` paths of its range, before
 * finish: the finished file then holds what a writer opened for a run of
 * that many paths writes (the same datasets, values and attributes; only the
 * chunk size of the per-path datasets stays the one chosen at open, which
 * differs when the writer was opened for more than 4096 paths and `paths` is
 * fewer). No more paths than received may follow. Refuses a count below the
 * paths already received or above the range (CKP_ERR_USAGE). */
CKP_API ckp_status ckp_output_shorten(ckp_output *o, int64_t paths, ckp_error *err);

/* The stopping rule of a run stopped by a target (docs/output-format.md):
 * stored as root attributes target_se, target_rel_se (NaN for the one not
 * given), target_on ("loss", "benefit" or "both"), target_max_paths (the
 * limit), target_met (0 or 1) and target_worst (the largest standard error,
 * absolute or relative as the target, at the count reached). */
typedef struct ckp_output_target {
    double se, rel_se;
    const char *on;
    int64_t max_paths;
    int met;
    double worst;
} ckp_output_target;
CKP_API ckp_status ckp_output_set_target(ckp_output *o, const ckp_output_target *t, ckp_error *err);

/* A function ckp_output_finish calls between the columns it summarises (a
 * sort of 10^6 paths takes a fraction of a second); when it returns non-zero
 * finish stops with CKP_ERR_CANCELLED, leaving nothing at the target. */
CKP_API void ckp_output_set_cancel(ckp_output *o, int (*cancel)(void *ctx), void *ctx);

/* Give up: close and remove the temporary file, free `o`. Accepts NULL. */
CKP_API void ckp_output_abort(ckp_output *o);

/* ---- A sensitivity run's tables (engine/output/sensitivity.c) ----------------
 *
 * What `chokepoint sensitivity` found, for the group `sensitivity/` of the base
 * scenario's results file (docs/output-format.md, "Sensitivity"). K keys, each
 * swung to a low and a high value (swing s = 0 low, 1 high); Q policies (the
 * run's policies without the baseline, in run order). Arrays are row-major. */
typedef struct ckp_sens_table {
    int nkeys, npol;                     /* K, Q */
    const char *const *keys;             /* K key paths */
    const char *const *policies;         /* Q names */
    const double *low, *high;            /* K values of the swings */
    const int64_t *order;                /* K key indices, largest |loss_swing| first */
    double base_loss_mean, base_loss_se; /* the unswung scenario's baseline */
    const double *base_benefit;          /* Q mean benefits of the unswung scenario */
    const double *loss_mean;             /* K*2 baseline mean total loss at each swing */
    const double *loss_se;               /* K*2 its standard error */
    const double *loss_swing;            /* K loss_mean[high] - loss_mean[low] */
    const double *loss_swing_se;         /* K paired standard error of that difference */
    const double *benefit_mean;          /* K*2*Q mean benefit at each swing */
    const double *benefit_se;            /* K*2*Q paired standard error */
    /* regret and robustness, derived from the above */
    const int64_t *best;               /* K*2 index of the best policy (-1 without policies) */
    const double *shortfall;           /* K*2*Q best mean benefit minus the policy's */
    const int64_t *rank;               /* K*2*Q rank by mean benefit, 1 = best */
    const int64_t *base_rank;          /* Q rank in the unswung scenario */
    const double *worst, *best_case;   /* Q lowest / highest mean benefit over the swings */
    const int64_t *worst_at, *best_at; /* Q swing index k*2+s of worst / best_case */
    const double *max_shortfall;       /* Q largest shortfall over the swings */
    const int64_t *rank_changes; /* Q 1 when the policy's rank differs from base_rank somewhere */
    int ranking_changes;         /* 1 when any rank differs from base_rank somewhere */
} ckp_sens_table;

/* Write `t` as the group `sensitivity/` of the file being written; call it
 * before ckp_output_finish. On failure the writer is still to be aborted. */
CKP_API ckp_status ckp_output_put_sensitivity(ckp_output *o, const ckp_sens_table *t,
                                              ckp_error *err);

/* ---- Reading ---------------------------------------------------------------- */

typedef struct ckp_output_file ckp_output_file;

/* What the root attributes say. Owned by the ckp_output_file. */
typedef struct ckp_output_info {
    int schema_version;
    const char *engine_version;
    const char *created_utc;
    const char *command_line;
    const char *currency;     /* the scenario's unit of money */
    uint64_t seed;
    ckp_pcg64 base;           /* base generator of the seed (state, increment) */
    int64_t first_path, paths;
    int horizon_months;
    int antithetic;
    int complete;
    int npol;
    const char *const *policy_names; /* npol names, baseline first (run order) */
} ckp_output_info;

/* Open a chokepoint results file read-only. Refuses a file that is not one, a
 * newer schema, or a file whose `complete` flag is 0. *out is owned by the
 * caller (ckp_output_file_close). */
CKP_API ckp_status ckp_output_file_open(const char *path, ckp_output_file **out, ckp_error *err);
CKP_API void ckp_output_file_close(ckp_output_file *f);

CKP_API const ckp_output_info *ckp_output_file_info(const ckp_output_file *f);

/* A text root attribute ("scenario_resolved", "scenario_source", ...), malloc'ed
 * into *out (the caller frees it). */
CKP_API ckp_status ckp_output_read_text(const ckp_output_file *f, const char *name, char **out,
                                ckp_error *err);

/* The stored metrics record (lay->record doubles, ckp_metric_table order) of
 * global path index `path` for policy `policy` (index into info->policy_names).
 * `lay` must match the file's dimensions. */
CKP_API ckp_status ckp_output_read_record(const ckp_output_file *f, int policy, int64_t path,
                                  const ckp_layout *lay, double *record, ckp_error *err);

/* The path with the largest total loss (loss_total) of policy `policy`: its
 * global index in *path and the loss in *value (may be NULL). Ties go to the
 * lowest index. Reads the column in slices, so memory does not grow with the
 * number of paths. */
CKP_API ckp_status ckp_output_find_worst(const ckp_output_file *f, int policy, int64_t *path,
                                 double *value, ckp_error *err);

/* One row of the policy table: the summary of the policy's total loss
 * (loss_total) and its paired comparison with the baseline. */
typedef struct ckp_output_row {
    char name[128];
    ckp_summary loss;        /* summary of loss_total */
    int is_baseline;
    ckp_benefit benefit;     /* against the baseline (zeros for the baseline) */
} ckp_output_row;

/* The policy table, read from the stored summaries: *rows (malloc'ed, the
 * caller frees it) gets info->npol rows. */
CKP_API ckp_status ckp_output_read_table(const ckp_output_file *f, ckp_output_row **rows,
                                 ckp_error *err);

/* The policy table of a run held in memory: loss_total[k] holds the n total
 * losses, in path order, of run policy k of `plan` (k = 0 the baseline).
 * Names, costs, the antithetic flag and the horizon come from the plan. The
 * figures are computed by the same code as the ones the writer stores, so
 * this table equals ckp_output_read_table of the run's file bit for bit.
 * *rows (malloc'ed, the caller frees it) gets ckp_plan_npolicies(plan) rows.
 * Allocates one array of n doubles. */
CKP_API ckp_status ckp_output_table_rows(const ckp_plan *plan, const double *const *loss_total,
                                         size_t n, ckp_output_row **rows, ckp_error *err);

/* ---- Any stored array ---------------------------------------------------------- */

#define CKP_OUTPUT_MAX_RANK 8

typedef enum ckp_output_type {
    CKP_OUTPUT_DOUBLE = 1, /* floating-point datasets, read as double */
    CKP_OUTPUT_INT64 = 2   /* integer datasets (counts, indices, months), read as int64 */
} ckp_output_type;

/* A numeric dataset read whole, in C (row-major) order. */
typedef struct ckp_output_array {
    ckp_output_type type;
    int rank;                         /* 0 for a scalar */
    size_t dims[CKP_OUTPUT_MAX_RANK]; /* dims[0 .. rank) */
    size_t count;                     /* product of the dims (1 for a scalar) */
    double *f64;                      /* count values when type is CKP_OUTPUT_DOUBLE, else NULL */
    int64_t *i64;                     /* count values when type is CKP_OUTPUT_INT64, else NULL */
} ckp_output_array;

/* Read the dataset at `name`, its path inside the file (e.g.
 * "policies/baseline/summary/loss_total", "month", "policies/detente/
 * comparison/benefit"; docs/output-format.md lists them), into *out, which
 * the caller releases with ckp_output_array_free. Refuses, naming the file
 * and the dataset, a name that is no dataset (CKP_ERR_USAGE), a dataset that
 * is not numbers (strings: CKP_ERR_USAGE), of rank above
 * CKP_OUTPUT_MAX_RANK, or with unsigned values above INT64_MAX (CKP_ERR_IO),
 * and one of over 2^20 values that stores fewer bytes than a 129th of its
 * count (more than deflate could have packed: a crafted shape; CKP_ERR_IO).
 * Memory: the whole dataset (count * 8 bytes). */
CKP_API ckp_status ckp_output_read_array(const ckp_output_file *f, const char *name,
                                         ckp_output_array *out, ckp_error *err);
/* Free the values of a; a is left empty. Accepts NULL and an empty array. */
CKP_API void ckp_output_array_free(ckp_output_array *a);

/* ---- Reading in slices (engine/output/read_extra.c) ----------------------------- */

/* A read-only handle for reading datasets of a results file a slice of rows at
 * a time, so that a per-path dataset of any length is read in constant memory
 * (`chokepoint export`). Open it on a file that ckp_output_file_open accepts
 * (it refuses a file whose `complete` flag is not 1). It may be open at the
 * same time as a ckp_output_file of the same path; close the two in the
 * reverse order of opening. Its HDF5 metadata cache is held at a fixed
 * 256 KiB when it is the file's first open handle (HDF5 shares one cache
 * between the handles of a file), so open it first for a long read. *out is
 * owned by the caller (ckp_output_slices_close, which accepts NULL). */
typedef struct ckp_output_slices ckp_output_slices;
CKP_API ckp_status ckp_output_slices_open(const char *path, ckp_output_slices **out,
                                          ckp_error *err);
CKP_API void ckp_output_slices_close(ckp_output_slices *s);

/* The type, rank, dims and count of the numeric dataset `name` (a path in the
 * file, as for ckp_output_read_array) into *shape, with no values (f64 and
 * i64 NULL). A name that is no dataset, or strings: CKP_ERR_USAGE. */
CKP_API ckp_status ckp_output_slices_shape(const ckp_output_slices *s, const char *name,
                                           ckp_output_array *shape, ckp_error *err);

/* Rows [start, start + n) along the first dimension of the numeric dataset
 * `name`, as doubles in C order, into buf, which holds n * (count / dims[0])
 * doubles. Rows outside the dataset, or a scalar: CKP_ERR_USAGE. Memory: none
 * beyond buf (the chunk cache is off; a slice aligned to 4096 rows reads each
 * chunk of the per-path datasets once). */
CKP_API ckp_status ckp_output_slices_read(const ckp_output_slices *s, const char *name,
                                          size_t start, size_t n, double *buf, ckp_error *err);

/* The labels of the one-dimensional string dataset `name` (a coordinate:
 * "industry", "material", "supplier", "regime", "policies/baseline/summary/
 * stat", ...): *labels (n strings, owned by the caller: ckp_output_labels_free)
 * and their number *n. */
CKP_API ckp_status ckp_output_slices_labels(const ckp_output_slices *s, const char *name,
                                            char ***labels, size_t *n, ckp_error *err);
/* Free n labels and their array. Accepts NULL. */
CKP_API void ckp_output_labels_free(char **labels, size_t n);

/* ---- Merging range files (engine/output/merge.c) ----------------------------- */

/* What a merge does besides joining (ckp_output_merge; NULL: the defaults,
 * all zero). */
typedef struct ckp_merge_options {
    int record_parts; /* write the root attribute merged_parts naming the parts */
    /* Called after each block of records (may be NULL) with the paths
     * streamed so far and the paths of the whole range; returning non-zero
     * stops the merge with CKP_ERR_CANCELLED, nothing written at the target. */
    int (*progress)(void *ctx, int64_t done, int64_t total);
    void *progress_ctx;
} ckp_merge_options;

/* Join the results files of adjacent path ranges of one run into one file at
 * `target`, equal to the file of a single run of the whole range (all but the
 * attributes created_utc, command_line and merged_parts). The parts (nparts
 * >= 1, in any order) must be finished files of the same engine and schema
 * version, stored resolved scenario, seed, policies, antithetic flag and
 * month-statistics option, each with its exact accumulators
 * (exact/accumulators), whose ranges join with no gap, overlap or duplicate.
 * The exact accumulators are merged (ckp_run_result_merge), the per-path
 * records streamed through a writer of the whole range a chunk of paths at a
 * time, and every statistic is computed by the writer as for a single run. A
 * refused part is CKP_ERR_USAGE with a message naming the files; the writer's
 * safe-write rules hold (oo: force, compress, command_line; NULL for the
 * defaults): nothing is written at target unless everything succeeds.
 * Memory: one chunk of records per policy and two run results, whatever the
 * number of paths. */
CKP_API ckp_status ckp_output_merge(const char *const *parts, int nparts, const char *target,
                                    const ckp_output_options *oo, const ckp_merge_options *mo,
                                    ckp_error *err);

#ifdef __cplusplus
}
#endif
#endif
