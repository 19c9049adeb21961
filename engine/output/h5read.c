/* chokepoint: H5Dread of an untrusted file, with each chunk it will touch
 * checked first (h5_impl.h, ckp_h5_read).
 *
 * libhdf5 1.10.8 trusts a chunk's stored length: when a chunk that no filter
 * is applied to is shorter than the chunk's shape, or its filters (deflate)
 * give back fewer bytes than the shape needs, H5Dread copies a whole chunk out
 * of the shorter block: a heap overrun (found by the fuzzer; ASan reports it
 * in memcpy, a release build reads garbage or crashes). A damaged filter mask
 * bit is enough to get there. So before H5Dread, every allocated chunk the
 * selection touches is looked up in the chunk index, and
 * - with no filter applied, its stored length must be the chunk's size;
 * - with shuffle and deflate (the only filters the writer uses; any other is
 *   refused), its stored length must be within deflate's bound, and its zlib
 *   stream must inflate (libdeflate) to at least the chunk's size.
 * Unallocated chunks are read as the fill value by HDF5: nothing to check. A
 * failed check pushes its reason on HDF5's error stack, so the caller's
 * ckp_h5_error reports it like any HDF5 failure.
 *
 * The check inflates each chunk once more than H5Dread does (libdeflate,
 * several times faster than zlib's inflate). The writer's own reads go
 * through ckp_chunk_read (chunk_read.c, which checks each chunk's decoded
 * length itself); only its H5Dread fallback comes here, since a merged
 * file's chunks are copied from parts. */
#include "h5_impl.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANK 8

static hid_t err_class = -1, err_major = -1, err_minor = -1;
static pthread_once_t err_once = PTHREAD_ONCE_INIT;

static void register_class(void)
{
    err_class = H5Eregister_class("chokepoint", "chokepoint", "1");
    err_major = err_class < 0 ? -1 : H5Ecreate_msg(err_class, H5E_MAJOR, "reading a file");
    err_minor = err_class < 0 ? -1 : H5Ecreate_msg(err_class, H5E_MINOR, "damaged chunk");
}

/* Push `msg` on HDF5's default error stack under chokepoint's own class. */
static herr_t push(const char *msg)
{
    pthread_once(&err_once, register_class);
    if (err_minor >= 0)
        H5Epush2(H5E_DEFAULT, __FILE__, "chokepoint", __LINE__, err_class, err_major, err_minor,
                 "%s", msg);
    return -1;
}

/* "[a, b, c]" of the offset's first rank coordinates. */
static void coords(char *s, size_t n, const hsize_t *off, int rank)
{
    size_t used = (size_t)snprintf(s, n, "[");
    for (int r = 0; r < rank && used < n; r++)
        used += (size_t)snprintf(s + used, n - used, "%s%llu", r ? ", " : "",
                                 (unsigned long long)off[r]);
    if (used < n)
        snprintf(s + used, n - used, "]");
}

typedef struct pipe_info {
    int nf;
    H5Z_filter_t id[32];
} pipe_info;

typedef struct scratch {
    unsigned char *raw, *out;
    size_t rawcap, outcap;
    struct libdeflate_decompressor *zd;
} scratch;

static int grow(unsigned char **b, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    unsigned char *p = realloc(*b, n);
    if (!p)
        return -1;
    *b = p;
    *cap = n;
    return 0;
}

/* One allocated chunk at off: is it safe for H5Dread? */
static herr_t check_chunk(hid_t ds, const pipe_info *pi, const hsize_t *off, int rank,
                          size_t bytes, unsigned mask, hsize_t stored, scratch *s)
{
    char at[200], msg[400];
    coords(at, sizeof at, off, rank);
    int deflate = 0, other = 0;
    for (int i = 0; i < pi->nf; i++) {
        if (mask & (1u << i))
            continue; /* skipped for this chunk when it was written */
        if (pi->id[i] == H5Z_FILTER_DEFLATE)
            deflate++;
        else if (pi->id[i] != H5Z_FILTER_SHUFFLE)
            other = 1;
    }
    if (other || deflate > 1) {
        snprintf(msg, sizeof msg,
                 "the chunk at %s needs a filter other than shuffle and deflate "
                 "(chokepoint writes no other)",
                 at);
        return push(msg);
    }
    if (!deflate) {
        if (stored != bytes) {
            snprintf(msg, sizeof msg,
                     "the chunk at %s stores %llu bytes, its shape needs %zu "
                     "(the file is damaged)",
                     at, (unsigned long long)stored, bytes);
            return push(msg);
        }
        return 0;
    }
    /* zlib's compressBound is n + n/4096 + n/16384 + 13; far above it is damage */
    if (stored < 2 || stored > bytes + bytes / 8 + 1024) {
        snprintf(msg, sizeof msg,
                 "the chunk at %s stores %llu bytes, which deflate cannot make of %zu "
                 "(the file is damaged)",
                 at, (unsigned long long)stored, bytes);
        return push(msg);
    }
    if (!s->zd && !(s->zd = libdeflate_alloc_decompressor()))
        return push("out of memory checking a chunk");
    if (grow(&s->raw, &s->rawcap, (size_t)stored) < 0 || grow(&s->out, &s->outcap, bytes) < 0)
        return push("out of memory checking a chunk");
    uint32_t m2 = 0;
    if (H5Dread_chunk(ds, H5P_DEFAULT, off, &m2, s->raw) < 0)
        return -1;
    size_t got = 0;
    enum libdeflate_result r =
        libdeflate_zlib_decompress(s->zd, s->raw, (size_t)stored, s->out, bytes, &got);
    /* more than a chunk (INSUFFICIENT_SPACE) is not an overrun: HDF5 copies one chunk */
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE || (r == LIBDEFLATE_SUCCESS && got == bytes))
        return 0;
    if (r == LIBDEFLATE_SUCCESS)
        snprintf(msg, sizeof msg,
                 "the chunk at %s inflates to %zu bytes, its shape needs %zu "
                 "(the file is damaged)",
                 at, got, bytes);
    else
        snprintf(msg, sizeof msg, "the chunk at %s does not inflate (the file is damaged)", at);
    return push(msg);
}

/* Every allocated chunk of ds that the selection fs (H5S_ALL: everything) touches. */
static herr_t check_chunks(hid_t ds, hid_t fs)
{
    hid_t dcpl = H5Dget_create_plist(ds);
    if (dcpl < 0)
        return -1;
    herr_t rc = 0;
    if (H5Pget_layout(dcpl) != H5D_CHUNKED) {
        H5Pclose(dcpl);
        return 0; /* contiguous reads stay in bounds; compact sizes: the probe */
    }
    hsize_t cd[MAX_RANK], dims[MAX_RANK], lo[MAX_RANK], hi[MAX_RANK];
    int rank = H5Pget_chunk(dcpl, MAX_RANK, cd);
    pipe_info pi;
    pi.nf = H5Pget_nfilters(dcpl);
    for (int i = 0; i < pi.nf && i < 32; i++) {
        unsigned flags, cdv[8];
        size_t ncd = 8;
        pi.id[i] = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cdv, 0, NULL, NULL);
    }
    H5Pclose(dcpl);
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    size_t tsz = t < 0 ? 0 : H5Tget_size(t);
    int srank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (t >= 0)
        H5Tclose(t);
    if (rank < 1 || rank > MAX_RANK || srank != rank || pi.nf < 0 || pi.nf > 32 || tsz == 0 ||
        H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
        if (sp >= 0)
            H5Sclose(sp);
        return push("a chunked dataset with an unreadable shape, chunk shape or type");
    }
    H5Sclose(sp);
    size_t bytes = tsz;
    for (int r = 0; r < rank; r++) {
        if (cd[r] == 0 || cd[r] > SIZE_MAX / bytes)
            return push("a chunk shape too large to read");
        bytes *= (size_t)cd[r];
        if (dims[r] == 0)
            return 0; /* nothing stored */
    }
    if (fs == H5S_ALL) {
        for (int r = 0; r < rank; r++) {
            lo[r] = 0;
            hi[r] = dims[r] - 1;
        }
    } else {
        hssize_t np = H5Sget_select_npoints(fs);
        if (np < 0)
            return -1;
        if (np == 0)
            return 0;
        if (H5Sget_select_bounds(fs, lo, hi) < 0)
            return -1;
    }
    scratch s = {0};
    hsize_t off[MAX_RANK];
    for (int r = 0; r < rank; r++)
        off[r] = lo[r] / cd[r] * cd[r];
    for (;;) {
        unsigned mask = 0;
        haddr_t addr = HADDR_UNDEF;
        hsize_t stored = 0;
        if (H5Dget_chunk_info_by_coord(ds, off, &mask, &addr, &stored) < 0) {
            rc = -1;
            break;
        }
        if (addr != HADDR_UNDEF &&
            check_chunk(ds, &pi, off, rank, bytes, mask, stored, &s) < 0) {
            rc = -1;
            break;
        }
        int r = rank - 1;
        while (r >= 0 && off[r] + cd[r] > hi[r]) {
            off[r] = lo[r] / cd[r] * cd[r];
            r--;
        }
        if (r < 0)
            break;
        off[r] += cd[r];
    }
    if (s.zd)
        libdeflate_free_decompressor(s.zd);
    free(s.raw);
    free(s.out);
    return rc;
}

herr_t ckp_h5_read(hid_t ds, hid_t memtype, hid_t ms, hid_t fs, void *buf)
{
    if (check_chunks(ds, fs) < 0)
        return -1;
    return H5Dread(ds, memtype, ms, fs, H5P_DEFAULT, buf);
}
