/* chokepoint: streaming of the per-path records into the file (writer_impl.h).
 *
 * Records arrive through the sink batch by batch; they are buffered until one
 * chunk's worth of paths (o->chunk) is there and then written column by
 * column, so each write fills whole chunks and memory is bounded by one chunk
 * of records per policy. Compressed chunks go through the codec (chunk.c).
 * The summaries read the columns back through ckp_writer_read_rows, by their
 * stored chunks (chunk_read.c).
 *
 * The shuffle and deflate of a full chunk's columns (most of the writer's
 * time) run on the plan's threads, an OpenMP loop over the columns, each
 * thread with its own codec, each column into a buffer of its packed size;
 * the HDF5 library is not thread-safe, so the H5Dwrite_chunk of the packed
 * columns follow the loop, on this thread, in column order: the same calls
 * in the same order as one thread would make, so where the chunks are
 * stored does not depend on the threads. (An ordered loop that wrote each
 * column as it was packed spent its waits spinning.) At one thread the whole
 * run uses one core. */
#include "writer_impl.h"

#include <math.h>
#include <omp.h>
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

/* Extend the per-path dataset of metric j of policy k to `total` paths. */
static int extend_metric(ckp_output *o, int k, int j, hsize_t total)
{
    const ckp_metric_info *mi = &ckp_metric_table()[j];
    ckp_dim dims[3] = {CKP_D_PATH, CKP_D_PATH, CKP_D_PATH};
    int rank = 1 + ckp_schema_metric_dims(mi->dims, dims + 1);
    hsize_t ext[3];
    ext[0] = total;
    for (int r = 1; r < rank; r++)
        ext[r] = o->dimlen[dims[r]];
    return H5Dset_extent(o->pp[k * CKP_M_COUNT + j], ext) < 0 ? -1 : 0;
}

/* Column col of the n records of buf into x. */
static void gather(const ckp_output *o, const double *buf, const ckp_wcol *col, int64_t n,
                   double *x)
{
    size_t rec = o->lay->record;
    const double *b = buf + (size_t)col->k * o->chunk * rec + o->lay->offset[col->j] + col->c;
    for (int64_t i = 0; i < n; i++)
        x[i] = b[(size_t)i * rec];
}

/* Every column of the n records through H5Dwrite (no codec: uncompressed). */
static int write_plain(ckp_output *o, const double *buf, int64_t at, int64_t n)
{
    hsize_t cnt = (hsize_t)n;
    hid_t ms = H5Screate_simple(1, &cnt, NULL);
    int bad = ms < 0;
    double *x = o->slot[0].col;
    for (size_t i = 0; i < o->ncols && !bad; i++) {
        const ckp_wcol *col = &o->cols[i];
        hid_t ds = o->pp[col->k * CKP_M_COUNT + col->j], fs = H5Dget_space(ds);
        hsize_t st3[3], ct3[3] = {(hsize_t)n, 1, 1};
        slot_start(o, col->rank, col->c, at, st3);
        gather(o, buf, col, n, x);
        bad = fs < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, st3, NULL, ct3, NULL) < 0 ||
              H5Dwrite(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, x) < 0;
        if (fs >= 0)
            H5Sclose(fs);
    }
    if (ms >= 0)
        H5Sclose(ms);
    return bad ? -1 : 0;
}

/* Every column of the n records packed on the threads, each into a buffer
 * of its own size; then stored on this thread in column order. */
static ckp_status write_packed(ckp_output *o, const double *buf, int64_t at, int64_t n,
                               ckp_error *err)
{
    const long ncols = (long)o->ncols;
#pragma omp parallel for schedule(dynamic, 1) num_threads(o->nth) if (o->nth > 1)
    for (long i = 0; i < ncols; i++) {
        ckp_wslot *sl = &o->slot[omp_get_thread_num()];
        gather(o, buf, &o->cols[i], n, sl->col);
        size_t z = ckp_codec_pack(&sl->codec, sl->col, (size_t)n);
        unsigned char *p = z ? malloc(z) : NULL;
        if (p)
            memcpy(p, sl->codec.zout, z);
        o->packed[i] = p;
        o->packed_n[i] = z;
    }
    int bad = 0;
    for (size_t i = 0; i < o->ncols; i++) {
        const ckp_wcol *col = &o->cols[i];
        hsize_t off[3];
        slot_start(o, col->rank, col->c, at, off);
        hid_t ds = o->pp[col->k * CKP_M_COUNT + col->j];
        bad = bad || !o->packed[i] ||
              H5Dwrite_chunk(ds, H5P_DEFAULT, 0, off, o->packed_n[i], o->packed[i]) < 0;
        free(o->packed[i]);
        o->packed[i] = NULL;
    }
    return bad ? paths_error(o, at, n, err) : CKP_OK;
}

/* Write the n records of buf as the paths from `at` on. */
static ckp_status flush_rows(ckp_output *o, const double *buf, int64_t at, int64_t n,
                             ckp_error *err)
{
    hsize_t total = (hsize_t)(at + n);
    for (int64_t i = 0; i < n; i++)
        o->pathcol[i] = o->first_path + at + i;
    for (int k = 0; k < o->npol; k++) {
        CKP_TRY(write_path_coord(o, k, at, n, total, err));
        for (int j = 0; j < CKP_M_COUNT; j++)
            if (extend_metric(o, k, j, total) < 0)
                return paths_error(o, at, n, err);
    }
    if (o->direct)
        return write_packed(o, buf, at, n, err);
    return write_plain(o, buf, at, n) < 0 ? paths_error(o, at, n, err) : CKP_OK;
}

ckp_status ckp_writer_flush(ckp_output *o, ckp_error *err)
{
    int64_t n = o->buffered;
    if (n == 0)
        return CKP_OK;
    CKP_TRY(flush_rows(o, o->buf, o->written, n, err));
    o->written += n;
    o->buffered = 0;
    return CKP_OK;
}

ckp_status ckp_writer_slots(ckp_output *o, ckp_error *err)
{
    o->nth = ckp_plan_threads(o->plan) > 0 ? ckp_plan_threads(o->plan) : 1;
    size_t per = 0;
    for (int j = 0; j < CKP_M_COUNT; j++)
        per += o->lay->length[j];
    o->ncols = (size_t)o->npol * per;
    o->slot = calloc((size_t)o->nth, sizeof *o->slot);
    o->cols = malloc((o->ncols ? o->ncols : 1) * sizeof *o->cols);
    o->packed = calloc(o->ncols ? o->ncols : 1, sizeof *o->packed);
    o->packed_n = calloc(o->ncols ? o->ncols : 1, sizeof *o->packed_n);
    if (!o->slot || !o->cols || !o->packed || !o->packed_n)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    size_t i = 0;
    for (int k = 0; k < o->npol; k++)
        for (int j = 0; j < CKP_M_COUNT; j++) {
            ckp_dim dims[3];
            int rank = 1 + ckp_schema_metric_dims(ckp_metric_table()[j].dims, dims);
            for (size_t c = 0; c < o->lay->length[j]; c++)
                o->cols[i++] = (ckp_wcol){k, j, rank, c};
        }
    for (int t = 0; t < o->nth; t++) {
        ckp_wslot *sl = &o->slot[t];
        CKP_TRY(ckp_codec_init(&sl->codec, o->direct ? o->compress : 0, (size_t)o->chunk, err));
        if (!(sl->col = malloc(o->chunk * sizeof *sl->col)))
            return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    }
    return CKP_OK;
}

void ckp_writer_slots_free(ckp_output *o)
{
    for (int t = 0; o->slot && t < o->nth; t++) {
        ckp_codec_free(&o->slot[t].codec);
        free(o->slot[t].col);
    }
    for (size_t i = 0; o->packed && i < o->ncols; i++)
        free(o->packed[i]);
    free(o->slot);
    free(o->cols);
    free(o->packed);
    free(o->packed_n);
    o->slot = NULL;
    o->cols = NULL;
    o->packed = NULL;
    o->packed_n = NULL;
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
            ckp_status st = ckp_writer_flush(o, err);
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
              ckp_h5_read(ds, H5T_NATIVE_DOUBLE, ms, fs, x) < 0;
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return bad ? -1 : 0;
}

ckp_status ckp_writer_read_rows(ckp_output *o, ckp_wslot *sl, hid_t ds, int rank, size_t c,
                                int64_t first, int64_t count, double *x, ckp_error *err)
{
    hsize_t st3[3];
    slot_start(o, rank, c, first, st3);
    /* The stored chunks, decoded here, when their layout is the writer's;
     * HDF5's H5Dread otherwise. */
    ckp_chunk_pipe p;
    int bad, chunks;
#pragma omp critical
    {
        chunks = first % (int64_t)o->chunk == 0 && ckp_chunk_readable(ds, (size_t)o->chunk, &p) &&
                 p.rank == rank;
        bad = !chunks && read_hyperslab(ds, st3, count, x) < 0;
        if (bad)
            ckp_h5_error(err, "%s: cannot read back a per-path column", o->pub.target);
    }
    if (chunks && ckp_chunk_read(&sl->codec, &p, ds, st3, (size_t)count, x, sl->col) < 0) {
        bad = 1;
#pragma omp critical
        ckp_h5_error(err, "%s: cannot read back a per-path column", o->pub.target);
    }
    return bad ? err->code : CKP_OK;
}

/* One stored chunk of slot c of src (part-relative path `from`, filters p)
 * into the same slot of ds at path `at`, bytes and filter mask as they are,
 * once they are known to decode to a whole chunk (a part is a file being
 * read: h5read.c). -1 an HDF5 failure, -2 the stored chunk does not decode. */
static int copy_chunk(ckp_output *o, const ckp_chunk_pipe *p, hid_t src, hid_t ds, int rank,
                      size_t c, int64_t from, int64_t at)
{
    hsize_t so[3], dof[3];
    slot_start(o, rank, c, from, so);
    slot_start(o, rank, c, at, dof);
    size_t sz = 0;
    uint32_t mask = 0;
    ckp_wslot *sl = &o->slot[0];
    ckp_chunk_codec *cc = &sl->codec;
    if (ckp_chunk_read_raw(cc, src, so, &sz, &mask) < 0)
        return -1;
    int deflated = p->deflate >= 0 && !(mask & (1u << p->deflate));
    int shuffled = p->shuffle >= 0 && !(mask & (1u << p->shuffle));
    if (ckp_codec_decode(cc, cc->raw, sz, deflated, shuffled, sl->col) < 0)
        return -2;
    return H5Dwrite_chunk(ds, H5P_DEFAULT, mask, dof, sz, cc->raw) < 0 ? -1 : 0;
}

ckp_status ckp_writer_copy_chunks(ckp_output *o, const hid_t *src, int64_t from, int64_t n,
                                  const char *part, ckp_error *err)
{
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
            ckp_chunk_pipe p;
            int bad = H5Dset_extent(ds, ext) < 0 || !ckp_chunk_readable(sd, o->chunk, &p) ? -1 : 0;
            for (size_t c = 0; c < o->lay->length[j] && !bad; c++)
                bad = copy_chunk(o, &p, sd, ds, rank, c, from, at);
            if (bad == -2) { /* the part's fault: bad input, as merge.c's bad_part */
                char name[512];
                H5Iget_name(sd, name, sizeof name);
                return CKP_FAIL(err, CKP_ERR_USAGE,
                                "%s: the stored chunk of paths %lld..%lld of '%s' does not "
                                "decode to a whole chunk (the file is damaged)",
                                part, (long long)from, (long long)(from + n - 1), name);
            }
            if (bad)
                return paths_error(o, at, n, err);
        }
    }
    o->written += n;
    return CKP_OK;
}
