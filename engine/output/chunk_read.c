/* chokepoint: reading a per-path column back by its stored chunks
 * (chunk_impl.h): H5Dread_chunk of each chunk and the codec's inverse of
 * the shuffle and deflate filters, instead of H5Dread of a hyperslab, whose
 * selection machinery and zlib inflate were most of the summaries' time.
 *
 * Only the layouts the writer makes are read this way: chunks of `chunk`
 * paths by one column, filters none, shuffle, deflate or shuffle then
 * deflate, little-endian doubles on a little-endian machine. A filter that
 * HDF5 skipped for a chunk (its bit in the chunk's filter mask) is skipped
 * here too. Anything else is left to H5Dread by the caller.
 *
 * The threads of the summaries read columns at once: each H5Dread_chunk is
 * in the (unnamed) OpenMP critical section (HDF5 is not thread-safe), the decoding
 * runs outside it. */
#include "chunk_impl.h"

#include <stdlib.h>
#include <string.h>

/* The chunk shape and filters of ds: 1 when ckp_chunk_read can read it. */
int ckp_chunk_readable(hid_t ds, size_t chunk, ckp_chunk_pipe *p)
{
    memset(p, 0, sizeof *p);
    p->shuffle = p->deflate = -1;
    hid_t dcpl = H5Dget_create_plist(ds), t = H5Dget_type(ds), sp = H5Dget_space(ds);
    int ok = dcpl >= 0 && t >= 0 && sp >= 0 && H5Tequal(t, H5T_IEEE_F64LE) > 0 &&
             H5Tequal(H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) > 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
    int rank = ok ? H5Sget_simple_extent_ndims(sp) : 0;
    hsize_t dims[3];
    ok = ok && rank >= 1 && rank <= 3 && H5Pget_chunk(dcpl, rank, dims) == rank && dims[0] == chunk;
    for (int r = 1; ok && r < rank; r++)
        ok = dims[r] == 1;
    int nf = ok ? H5Pget_nfilters(dcpl) : -1;
    ok = ok && nf >= 0 && nf <= 2;
    for (int i = 0; ok && i < nf; i++) {
        unsigned flags, cd[4];
        size_t ncd = 4;
        H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        if (f == H5Z_FILTER_SHUFFLE && i == 0)
            p->shuffle = i;
        else if (f == H5Z_FILTER_DEFLATE && p->deflate < 0)
            p->deflate = i;
        else
            ok = 0;
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    p->rank = rank;
    return ok;
}

int ckp_chunk_read_raw(ckp_chunk_codec *c, hid_t ds, const hsize_t *off, size_t *n, uint32_t *mask)
{
    hsize_t sz = 0;
    if (H5Dget_chunk_storage_size(ds, off, &sz) < 0 || sz == 0)
        return -1;
    if (sz > c->rawcap) {
        unsigned char *b = realloc(c->raw, (size_t)sz);
        if (!b)
            return -1;
        c->raw = b;
        c->rawcap = (size_t)sz;
    }
    *n = (size_t)sz;
    return H5Dread_chunk(ds, H5P_DEFAULT, off, mask, c->raw) < 0 ? -1 : 0;
}

int ckp_chunk_read(ckp_chunk_codec *c, const ckp_chunk_pipe *p, hid_t ds, const hsize_t *start,
                   size_t count, double *x, double *edge)
{
    size_t m = c->chunk;
    if (m == 0 || start[0] % m != 0)
        return -1;
    hsize_t off[3] = {start[0], p->rank > 1 ? start[1] : 0, p->rank > 2 ? start[2] : 0};
    for (size_t i0 = 0; i0 < count; i0 += m, off[0] += m) {
        size_t n = 0;
        uint32_t mask = 0;
        int bad;
#pragma omp critical
        bad = ckp_chunk_read_raw(c, ds, off, &n, &mask) < 0;
        if (bad)
            return -1;
        int deflated = p->deflate >= 0 && !(mask & (1u << p->deflate));
        int shuffled = p->shuffle >= 0 && !(mask & (1u << p->shuffle));
        int whole = count - i0 >= m;
        if (ckp_codec_decode(c, c->raw, n, deflated, shuffled, whole ? x + i0 : edge) < 0)
            return -1;
        if (!whole && x + i0 != edge)
            memcpy(x + i0, edge, (count - i0) * sizeof *x);
    }
    return 0;
}
