/* chokepoint: streaming of the per-path records into the file (writer_impl.h).
 *
 * Records arrive through the sink batch by batch; they are buffered until one
 * chunk's worth of paths (o->chunk) is there and then written column by
 * column, so each write fills whole chunks and memory is bounded by two chunks
 * of records per policy. Compressed chunks go through the codec (chunk.c).
 * The summaries read the columns back through ckp_writer_read_rows, by their
 * stored chunks (chunk_read.c).
 *
 * A full chunk is written by a flush thread while the run simulates the next
 * batch (the shuffle and deflate are most of the writer's time): the buffer
 * is swapped for a second one and the thread takes the first. It is the only
 * thread that calls HDF5 while it runs (the HDF5 library is not thread-safe):
 * every other entry of the writer that could touch HDF5 (the next full chunk,
 * the final flush, abort) first waits for it. The thread makes the same calls
 * in the same order as a flush on the caller's thread, so the file's bytes do
 * not change. */
#include "writer_impl.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"

/* Start of slot c of a per-path dataset of the given rank at path `first`:
 * (path), (path, e) or (path, supplier, regime). */
static void slot_start(const ckp_output *o, int rank, size_t c, int64_t first, hsize_t *start)
{
    start[0] = (hsize_t)first;
    start[1] = start[2] = 0;
    if (rank == 2)
        start[1] = c;
    else if (rank == 3) {
        start[1] = c / o->dimlen[CKP_D_REGIME];
        start[2] = c % o->dimlen[CKP_D_REGIME];
    }
}

/* A failed write of the n buffered paths: the error stack becomes the
 * message. Call it before any further HDF5 call (a successful call, a close
 * included, clears the stack). */
static ckp_status paths_error(const ckp_output *o, int64_t at, int64_t n, ckp_error *err)
{
    return ckp_h5_error(err, "%s: cannot write the paths %lld..%lld", o->pub.target,
                        (long long)(o->first_path + at), (long long)(o->first_path + at + n - 1));
}

/* Append the n paths from `at` on to the path coordinate of policy k. */
static ckp_status write_path_coord(ckp_output *o, int k, int64_t at, int64_t n, hsize_t total,
                                   ckp_error *err)
{
    hid_t ps = o->pg[k].scale[CKP_D_PATH];
    hsize_t start = (hsize_t)at, cnt = (hsize_t)n;
    hid_t fs = -1, ms = -1;
    int bad = H5Dset_extent(ps, &total) < 0 || (fs = H5Dget_space(ps)) < 0 ||
              (ms = H5Screate_simple(1, &cnt, NULL)) < 0 ||
              H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
              H5Dwrite(ps, H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, o->pathcol) < 0;
    ckp_status st = bad ? paths_error(o, at, n, err) : CKP_OK;
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return st;
}

/* Write the n paths (from `at` on) of metric j of policy k from the records
 * buf, one column at a time; ms is a memory space of n doubles. */
static ckp_status write_metric(ckp_output *o, const double *buf, int k, int j, int64_t at,
                               int64_t n, hsize_t total, hid_t ms, ckp_error *err)
{
    const ckp_metric_info *mi = &ckp_metric_table()[j];
    const double *b = buf + (size_t)k * o->chunk * o->lay->record;
    size_t rec = o->lay->record;
    hid_t ds = o->pp[k * CKP_M_COUNT + j];
    ckp_dim dims[3] = {CKP_D_PATH, CKP_D_PATH, CKP_D_PATH};
    int rank = 1 + ckp_schema_metric_dims(mi->dims, dims + 1);
    hsize_t ext[3];
    ext[0] = total;
    for (int r = 1; r < rank; r++)
        ext[r] = o->dimlen[dims[r]];
    hid_t fs = -1;
    int bad = H5Dset_extent(ds, ext) < 0 || (fs = H5Dget_space(ds)) < 0;
    size_t off = o->lay->offset[j], len = o->lay->length[j];
    for (size_t c = 0; c < len && !bad; c++) {
        for (int64_t i = 0; i < n; i++)
            o->col[i] = b[(size_t)i * rec + off + c];
        hsize_t st3[3], ct3[3] = {(hsize_t)n, 1, 1};
        slot_start(o, rank, c, at, st3);
        if (o->direct)
            bad = ckp_codec_put(&o->codec, ds, st3, o->col, (size_t)n) < 0;
        else
            bad = H5Sselect_hyperslab(fs, H5S_SELECT_SET, st3, NULL, ct3, NULL) < 0 ||
                  H5Dwrite(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, o->col) < 0;
    }
    ckp_status st = bad ? paths_error(o, at, n, err) : CKP_OK;
    if (fs >= 0)
        H5Sclose(fs);
    return st;
}

/* Write the n records of buf as the paths from `at` on. */
static ckp_status flush_rows(ckp_output *o, const double *buf, int64_t at, int64_t n,
                             ckp_error *err)
{
    hsize_t total = (hsize_t)(at + n), cnt = (hsize_t)n;
    for (int64_t i = 0; i < n; i++)
        o->pathcol[i] = o->first_path + at + i;
    for (int k = 0; k < o->npol; k++) {
        CKP_TRY(write_path_coord(o, k, at, n, total, err));
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        ckp_status st = ms < 0 ? paths_error(o, at, n, err) : CKP_OK;
        for (int j = 0; j < CKP_M_COUNT && st == CKP_OK; j++)
            st = write_metric(o, buf, k, j, at, n, total, ms, err);
        if (ms >= 0)
            H5Sclose(ms);
        if (st != CKP_OK)
            return st;
    }
    return CKP_OK;
}

static void *flush_thread(void *arg)
{
    ckp_output *o = arg;
    o->fly_st = flush_rows(o, o->fly_buf, o->fly_at, o->fly_n, &o->fly_err);
    return NULL;
}

ckp_status ckp_writer_wait(ckp_output *o, ckp_error *err)
{
    if (!o->flying)
        return CKP_OK;
    pthread_join(o->fly_thread, NULL);
    o->flying = 0;
    if (o->fly_st != CKP_OK && err)
        *err = o->fly_err;
    return o->fly_st;
}

/* Hand the full buffer to a flush thread (or, when no thread can be started,
 * write it here) and continue in the second buffer. */
static ckp_status flush_async(ckp_output *o, ckp_error *err)
{
    CKP_TRY(ckp_writer_wait(o, err));
    const int64_t at = o->written, n = o->buffered;
    if (!o->fly_buf)
        o->fly_buf = malloc((size_t)o->npol * o->chunk * o->lay->record * sizeof *o->fly_buf);
    if (!o->fly_buf)
        return ckp_writer_flush(o, err); /* no second buffer: write it here */
    double *full = o->buf;
    o->buf = o->fly_buf;
    o->fly_buf = full;
    o->fly_at = at;
    o->fly_n = n;
    o->fly_st = CKP_OK;
    o->written += n;
    o->buffered = 0;
    /* The thread starts with every signal blocked, so that the signals the
     * program handles keep reaching the threads they reached before. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&o->fly_thread, NULL, flush_thread, o);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return flush_rows(o, full, at, n, err);
    o->flying = 1;
    return CKP_OK;
}

ckp_status ckp_writer_flush(ckp_output *o, ckp_error *err)
{
    CKP_TRY(ckp_writer_wait(o, err));
    free(o->fly_buf);
    o->fly_buf = NULL;
    int64_t n = o->buffered;
    if (n == 0)
        return CKP_OK;
    CKP_TRY(flush_rows(o, o->buf, o->written, n, err));
    o->written += n;
    o->buffered = 0;
    return CKP_OK;
}

ckp_status ckp_writer_batch(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                            int npol, const double *const *records, ckp_error *err)
{
    ckp_output *o = ctx;
    if (o->failed)
        return CKP_FAIL(err, CKP_ERR_INTERNAL, "output: write after an earlier failure");
    if (npol != o->npol || lay->record != o->lay->record ||
        first_path != o->first_path + o->written + o->buffered || n < 0 ||
        o->written + o->buffered + n > o->paths) {
        o->failed = 1;
        return CKP_FAIL(err, CKP_ERR_INTERNAL,
                        "output: unexpected batch (paths %lld+%lld, %d policies)",
                        (long long)first_path, (long long)n, npol);
    }
    size_t rec = o->lay->record;
    int64_t done = 0;
    while (done < n) {
        int64_t room = (int64_t)o->chunk - o->buffered;
        int64_t take = n - done < room ? n - done : room;
        for (int k = 0; k < o->npol; k++)
            memcpy(o->buf + ((size_t)k * o->chunk + (size_t)o->buffered) * rec,
                   records[k] + (size_t)done * rec, (size_t)take * rec * sizeof(double));
        o->buffered += take;
        done += take;
        if (o->buffered == (int64_t)o->chunk) {
            ckp_status st = flush_async(o, err);
            if (st != CKP_OK) {
                o->failed = 1;
                return st;
            }
        }
    }
    return CKP_OK;
}

const ckp_sink *ckp_output_sink(ckp_output *o)
{
    return &o->sink;
}

/* The rows through HDF5's selection machinery and filters (any layout). */
static int read_hyperslab(hid_t ds, const hsize_t *st3, int64_t count, double *x)
{
    hsize_t ct3[3] = {(hsize_t)count, 1, 1}, n = (hsize_t)count;
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &n, NULL);
    int bad = fs < 0 || ms < 0 ||
              H5Sselect_hyperslab(fs, H5S_SELECT_SET, st3, NULL, ct3, NULL) < 0 ||
              H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, x) < 0;
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return bad ? -1 : 0;
}

ckp_status ckp_writer_read_rows(ckp_output *o, hid_t ds, int rank, size_t c, int64_t first,
                                int64_t count, double *x, ckp_error *err)
{
    hsize_t st3[3];
    slot_start(o, rank, c, first, st3);
    /* The stored chunks, decoded here (chunk_read.c), when their layout is the
     * writer's; HDF5's H5Dread otherwise. */
    ckp_chunk_pipe p;
    int bad;
    if (first % (int64_t)o->chunk == 0 && ckp_chunk_readable(ds, (size_t)o->chunk, &p) &&
        p.rank == rank) {
        if (!o->codec.zd)
            CKP_TRY(ckp_codec_init(&o->codec, 0, (size_t)o->chunk, err));
        bad = ckp_chunk_read(&o->codec, &p, ds, st3, (size_t)count, x, o->col) < 0;
    } else {
        bad = read_hyperslab(ds, st3, count, x) < 0;
    }
    return bad ? ckp_h5_error(err, "%s: cannot read back a per-path column", o->pub.target)
               : CKP_OK;
}

/* One stored chunk of slot c of src (part-relative path `from`) into the
 * same slot of ds at path `at`, bytes and filter mask as they are. */
static int copy_chunk(ckp_output *o, hid_t src, hid_t ds, int rank, size_t c, int64_t from,
                      int64_t at)
{
    hsize_t so[3], dof[3];
    slot_start(o, rank, c, from, so);
    slot_start(o, rank, c, at, dof);
    size_t sz = 0;
    uint32_t mask = 0;
    if (ckp_chunk_read_raw(&o->codec, src, so, &sz, &mask) < 0)
        return -1;
    return H5Dwrite_chunk(ds, H5P_DEFAULT, mask, dof, sz, o->codec.raw) < 0 ? -1 : 0;
}

ckp_status ckp_writer_copy_chunks(ckp_output *o, const hid_t *src, int64_t from, int64_t n,
                                  ckp_error *err)
{
    CKP_TRY(ckp_writer_wait(o, err));
    if (o->buffered != 0 || o->written % (int64_t)o->chunk != 0 || n <= 0 ||
        (n != (int64_t)o->chunk && o->written + n != o->paths) || o->written + n > o->paths)
        return CKP_FAIL(err, CKP_ERR_INTERNAL, "output: chunk copy at an unaligned position");
    const int64_t at = o->written;
    hsize_t total = (hsize_t)(at + n);
    for (int64_t i = 0; i < n; i++)
        o->pathcol[i] = o->first_path + at + i;
    for (int k = 0; k < o->npol; k++) {
        CKP_TRY(write_path_coord(o, k, at, n, total, err));
        for (int j = 0; j < CKP_M_COUNT; j++) {
            const ckp_metric_info *mi = &ckp_metric_table()[j];
            hid_t ds = o->pp[k * CKP_M_COUNT + j], sd = src[k * CKP_M_COUNT + j];
            ckp_dim dims[3] = {CKP_D_PATH, CKP_D_PATH, CKP_D_PATH};
            int rank = 1 + ckp_schema_metric_dims(mi->dims, dims + 1);
            hsize_t ext[3] = {total, 1, 1};
            for (int r = 1; r < rank; r++)
                ext[r] = o->dimlen[dims[r]];
            int bad = H5Dset_extent(ds, ext) < 0;
            for (size_t c = 0; c < o->lay->length[j] && !bad; c++)
                bad = copy_chunk(o, sd, ds, rank, c, from, at) < 0;
            if (bad)
                return paths_error(o, at, n, err);
        }
    }
    o->written += n;
    return CKP_OK;
}
