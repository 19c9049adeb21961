/* chokepoint: staging of the per-month statistics (internal header of the run
 * module; not installed).
 *
 * A thread bins and sums every observable of a path as soon as the kernel has
 * produced it (stage.c, with an AVX2 twin in stage_avx2.c chosen at run time)
 * and stages only the bin indices, one byte per cell; a flush counts the
 * staged paths into the thread's histograms cell by cell and folds the staged
 * sums into 128-bit ones. Everything is integer: the results do not depend on
 * the order of paths, threads or batches, nor on which code path ran. */
#ifndef CKP_STAGE_IMPL_H
#define CKP_STAGE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/run/fix_impl.h"
#include "engine/run/plan_impl.h"

/* A thread stages up to CKP_STAGE_MAX_PATHS paths, in at most CKP_STAGE_BYTES
 * of bin indices unless one path needs more, between two flushes: the flush
 * reads every histogram row a group touches once, so the larger the group
 * the fewer times the rows cross the caches (512 paths: a third less flush
 * time than 256 on the default scenario). */
#define CKP_STAGE_BYTES ((size_t)4 << 20)
#define CKP_STAGE_MAX_PATHS 512

/* What the staging of a plan reads, shared by all threads (read-only): for
 * the vector code, the table binners of all policies and observables as
 * 64-bit entries (stage.c: entry) and per-lane parameters. A lane is one
 * observable o of one policy k; policy k's parameters are at k * span + i
 * for i < span = opm + 3, those of observable i mod opm, so that the four
 * cells from any observable on (after the last come the next month's first)
 * read theirs with one load. */
typedef struct ckp_stage_tab {
    const ckp_plan *plan;
    int vector; /* 1: the AVX2 code (stage_avx2.c) */
    size_t opm, cells, span;
    uint64_t *ent;          /* every table binner's entries, concatenated */
    uint64_t *lowb, *highb; /* per lane: the bits of the first and last value bucketed */
    uint64_t *shift;        /* per lane: its table binner's shift */
    uint64_t *lmask;        /* per lane: 2^shift - 1 */
    int64_t *offb;          /* per lane: offset of its entries in ent, minus its base */
} ckp_stage_tab;

/* One thread's accumulators. */
typedef struct ckp_stage {
    uint8_t *bins;     /* nstage_max paths * cells bin indices */
    ckp_fix *sum;      /* cells: the sums folded so far */
    uint64_t *hi, *lo; /* cells: the limbs of the paths staged (ckp_fix_pair) */
    /* cells * CKP_HIST_BINS counts. 32-bit: they are folded into the 64-bit
     * totals after every batch, which counts at most one per path and cell. */
    uint32_t *hist;
} ckp_stage;

/* The tables of `p` (with month statistics); CKP_STAGE=scalar in the
 * environment selects the portable code even where AVX2 is available. */
ckp_status ckp_stage_tab_create(const ckp_plan *p, ckp_stage_tab **out, ckp_error *err);
void ckp_stage_tab_free(ckp_stage_tab *t);

/* Allocate / free a thread's accumulators for nstage_max staged paths. */
ckp_status ckp_stage_alloc(ckp_stage *st, const ckp_stage_tab *t, int nstage_max, ckp_error *err);
void ckp_stage_free(ckp_stage *st);

/* Bin policy k's observables of one path (obs: T * opm doubles) into staged
 * path slot `slot`, and add them to the limbs. */
void ckp_stage_policy(const ckp_stage_tab *t, ckp_stage *st, int slot, int k, const double *obs);

/* Count the nstage staged paths into st->hist, fold the limbs into st->sum. */
void ckp_stage_flush(const ckp_stage_tab *t, ckp_stage *st, int nstage);

/* The AVX2 twin of the loop of ckp_stage_policy (stage_avx2.c). */
void ckp_stage_policy_avx2(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, int k,
                           const double *obs);
int ckp_stage_avx2_available(void);

#endif
