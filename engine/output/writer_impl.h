/* chokepoint: the HDF5 writer's state, shared by its files (internal header
 * of the output module):
 *   writer.c    open, finish and abort (the writer's life);
 *   skeleton.c  root attributes, coordinates, groups, dataset creation;
 *   stream.c    the sink: buffering of records and chunk writes, read-back;
 *   summaries.c summary/, quantiles/, exceedance/, month/, comparison/;
 * with chunk.c (the codec), publish.c (safe publishing), schema.c (names)
 * and h5util.c (HDF5 helpers) below them. */
#ifndef CKP_WRITER_IMPL_H
#define CKP_WRITER_IMPL_H

#include <stdint.h>

#include <hdf5.h>

#include "chokepoint/output.h"
#include "chunk_impl.h"
#include "engine/stats/tail_impl.h"
#include "h5_impl.h"
#include "publish_impl.h"
#include "schema_impl.h"

/* Paths per chunk of a per-path dataset. A chunk of one column is then 32 KiB,
 * a good size for both deflate and column reads, and the write buffer holds
 * CKP_CHUNK_PATHS records per policy. */
#define CKP_CHUNK_PATHS 4096

/* A group being written and the coordinate scales created in it so far
 * (every group carries the coordinates its datasets use, so that opening any
 * one group with xarray gives labelled coordinates). */
typedef struct ckp_grp {
    hid_t id;
    hid_t scale[CKP_D_COUNT];
} ckp_grp;

/* What one thread of the writer's parallel loops owns (stream.c, summaries.c):
 * a codec (compressor at the file's level, decompressor, the raw bytes of a
 * chunk read back) and one chunk of a column. */
typedef struct ckp_wslot {
    ckp_chunk_codec codec;
    double *col; /* chunk doubles */
} ckp_wslot;

/* One column of the per-path datasets: slot c of metric j of run policy k,
 * in a dataset of the given rank (stream.c: the order chunks are stored in). */
typedef struct ckp_wcol {
    int k, j, rank;
    size_t c;
} ckp_wcol;

struct ckp_output {
    const ckp_plan *plan;
    /* Read from the plan at open, for brevity. */
    const ckp_scenario *sc;
    const ckp_layout *lay;
    int npol;
    int64_t first_path, paths;

    ckp_h5_quiet quiet;
    ckp_publish pub;
    int compress;
    hid_t file, str;
    hid_t dxpl;              /* small conversion buffer for coordinate and summary writes */
    int next_dimid;
    hsize_t dimlen[CKP_D_COUNT];
    hsize_t chunk;           /* paths per chunk: CKP_CHUNK_PATHS, or fewer for a small run */
    ckp_grp *pg;             /* npol policy groups (path scale created at open) */
    hid_t *pp;               /* npol * CKP_M_COUNT per-path datasets */
    double *buf;             /* npol * chunk * record, path-major */
    int64_t *pathcol;        /* chunk path indices */
    int direct;              /* compressed chunks go through the codecs */
    int nth;                 /* threads of the parallel loops: the plan's */
    ckp_wslot *slot;         /* nth; slot[0] is also the serial code's */
    ckp_wcol *cols;          /* ncols: every column of every policy, stored order */
    size_t ncols;
    unsigned char **packed;    /* ncols: a full chunk's packed columns until stored */
    size_t *packed_n;          /* ncols: their sizes */
    int64_t buffered, written; /* written: stored in the file */
    int failed;
    ckp_sink sink;
    ckp_output_progress_fn progress; /* of finish; may be NULL */
    void *progress_ctx;
    int (*cancel)(void *ctx); /* ckp_output_set_cancel */
    void *cancel_ctx;
};

/* The path-length arrays of finish and what a policy's summaries hand to
 * its comparison/ and tail/ (summaries.c, tail_se.c). Each per-path column
 * is read once, into x, where every figure of it is computed and it is
 * sorted once; loss_total also gives the benefit and both tails. */
typedef struct ckp_finish {
    double **x;             /* nth: one column per thread, in path order, then sorted */
    double *base;           /* the baseline's loss_total in path order (from policy 0 on) */
    double *ben;            /* policy k's benefit base - loss_total in path order (k > 0) */
    double *scratch;        /* ckp_tail_scratch(paths) doubles: one block of the tail se */
    ckp_tail loss, benefit; /* tail/ of policy k */
} ckp_finish;

/* finish's progress: policy k has `cells` of its record + 1 units done
 * (writer.c). */
void ckp_writer_progress(const ckp_output *o, int k, size_t cells);

/* ---- skeleton.c ---- */
void ckp_grp_init(ckp_grp *g);
void ckp_grp_close(ckp_grp *g);
/* Create group `name` in parent (link and attribute creation order tracked). */
ckp_status ckp_writer_group(ckp_output *o, hid_t parent, const char *name, ckp_grp *g,
                            ckp_error *err);
/* Create coordinate d in g from `data` (o->dimlen[d] values; NULL: none
 * written), with the schema's units and long name. `chunked`: extendible
 * along its one axis, in chunks of o->chunk. */
ckp_status ckp_writer_scale(ckp_output *o, ckp_grp *g, ckp_dim d, hid_t memtype, hid_t filetype,
                            const void *data, int chunked, ckp_error *err);
/* Create and write dataset `name` in g with dimensions dims[0..rank), each
 * coordinate created in g first if not there yet; units ("currency": the
 * scenario's) and long_name as attributes. `chunked` datasets (along path)
 * get o->chunk chunks and the compression option. */
ckp_status ckp_writer_put(ckp_output *o, ckp_grp *g, const char *name, hid_t memtype,
                          hid_t filetype, int rank, const ckp_dim *dims, const void *data,
                          int chunked, const char *units, const char *long_name, ckp_error *err);
/* ckp_writer_put of a fixed dataset of the schema, float64. */
ckp_status ckp_writer_put_ds(ckp_output *o, ckp_grp *g, ckp_ds id, const double *data,
                             ckp_error *err);
/* Root attributes (complete = 0) and root coordinates. */
ckp_status ckp_writer_root(ckp_output *o, const char *command_line, ckp_error *err);
/* Group of run policy k in `pols`, its attributes and empty per-path datasets. */
ckp_status ckp_writer_policy(ckp_output *o, hid_t pols, int k, ckp_error *err);

/* ---- stream.c ---- */
ckp_status ckp_writer_batch(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                            int npol, const double *const *records, ckp_error *err);
/* The final flush: write the buffered records (o->buffered paths). */
ckp_status ckp_writer_flush(ckp_output *o, ckp_error *err);
/* The per-thread slots and the column list (after the skeleton, so that the
 * codecs know whether the chunks are compressed). */
ckp_status ckp_writer_slots(ckp_output *o, ckp_error *err);
void ckp_writer_slots_free(ckp_output *o);
/* Merge (merge.c): the n paths from part-relative path `from` of the
 * per-path datasets src (npol * CKP_M_COUNT, the writer's order, chunked and
 * filtered as the writer's own) stored as the next paths, chunk by chunk as
 * they are stored (H5Dread_chunk -> H5Dwrite_chunk), each checked to decode
 * to a whole chunk first (CKP_ERR_USAGE, bad input, naming file `part` if not). Only with nothing
 * buffered, at a chunk boundary, for one whole chunk or the file's last
 * paths; `from` a multiple of the chunk. */
ckp_status ckp_writer_copy_chunks(ckp_output *o, const hid_t *src, int64_t from, int64_t n,
                                  const char *part, ckp_error *err);
/* Paths [first, first + count) of slot c of the per-path dataset ds of the
 * given rank into x, through the thread's slot sl. Callable from the
 * threads of a parallel loop: its HDF5 calls are in
 * the unnamed OpenMP critical section (an error's stack becomes *err there;
 * a named one would be an exported symbol), the decoding is not.
 * err must not be NULL. */
ckp_status ckp_writer_read_rows(ckp_output *o, ckp_wslot *sl, hid_t ds, int rank, size_t c,
                                int64_t first, int64_t count, double *x, ckp_error *err);

/* ---- tail_se.c ---- */
/* tail/ of run policy k: VaR and CVaR of loss_total (and of the benefit for
 * k > 0) with their batch-means standard errors, from f->loss (f->benefit)
 * as the summaries left them. */
ckp_status ckp_writer_tail(ckp_output *o, int k, const ckp_finish *f, ckp_error *err);
/* CKP_ERR_CANCELLED when the writer's cancel hook asks to stop (writer.c). */
ckp_status ckp_writer_check_cancel(const ckp_output *o, ckp_error *err);

/* ---- summaries.c ---- */
/* Everything of run policy k that finish writes, through f's arrays
 * (policy 0 first: it fills f->base). */
ckp_status ckp_writer_policy_results(ckp_output *o, int k, const ckp_run_result *r, ckp_finish *f,
                                     ckp_error *err);

#endif
