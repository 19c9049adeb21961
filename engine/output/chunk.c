/* chokepoint: the chunk codec of the per-path datasets (chunk_impl.h):
 * shuffle + deflate of one chunk and H5Dwrite_chunk, and the inverse for
 * the summaries' read-back (ckp_codec_decode).
 *
 * The shuffle regroups the bytes of the doubles by significance (byte b of
 * element i goes to b * chunk + i), as HDF5's shuffle filter does, and like
 * the filter it is skipped for a one-element chunk. The deflate step is
 * libdeflate's zlib-format compressor: its output is a zlib stream (RFC
 * 1950) like the one HDF5's deflate filter writes with zlib's compress2, so
 * every HDF5 reader inflates it as usual, but it is several times faster at
 * the same level. The bytes differ from zlib's; the values do not. */
#include "chunk_impl.h"

#include <libdeflate.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"

ckp_status ckp_codec_init(ckp_chunk_codec *c, int level, size_t chunk, ckp_error *err)
{
    size_t bytes = chunk * sizeof(double);
    c->chunk = chunk;
    c->zin = malloc(bytes);
    if (!c->zin)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    if (level > 0) {
        if (!(c->zc = libdeflate_alloc_compressor(level)))
            return CKP_FAIL(err, CKP_ERR_NOMEM, "cannot start the deflate compressor");
        c->zcap = libdeflate_zlib_compress_bound(c->zc, bytes);
        if (!(c->zout = malloc(c->zcap)))
            return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    }
    if (!(c->zd = libdeflate_alloc_decompressor()))
        return CKP_FAIL(err, CKP_ERR_NOMEM, "cannot start the inflate decompressor");
    return CKP_OK;
}

/* Byte b of element i of src to b * m + i of dst (m elements). */
static void shuffle(unsigned char *dst, const unsigned char *src, size_t m)
{
    for (size_t b = 0; b < sizeof(double); b++) {
        unsigned char *d = dst + b * m;
        for (size_t i = 0; i < m; i++)
            d[i] = src[i * sizeof(double) + b];
    }
}

/* The inverse of shuffle. */
static void unshuffle(unsigned char *dst, const unsigned char *src, size_t m)
{
    for (size_t b = 0; b < sizeof(double); b++) {
        const unsigned char *s = src + b * m;
        for (size_t i = 0; i < m; i++)
            dst[i * sizeof(double) + b] = s[i];
    }
}

size_t ckp_codec_pack(ckp_chunk_codec *c, double *col, size_t n)
{
    size_t m = c->chunk;
    if (!c->zc)
        return 0;
    for (size_t i = n; i < m; i++)
        col[i] = NAN;
    const unsigned char *src = (const unsigned char *)col;
    if (m > 1) {
        shuffle(c->zin, src, m);
        src = c->zin;
    }
    return libdeflate_zlib_compress(c->zc, src, m * sizeof(double), c->zout, c->zcap);
}

int ckp_codec_put(ckp_chunk_codec *c, hid_t ds, const hsize_t *offset, double *col, size_t n)
{
    size_t out = ckp_codec_pack(c, col, n);
    if (out == 0)
        return -1;
    return H5Dwrite_chunk(ds, H5P_DEFAULT, 0, offset, out, c->zout) < 0 ? -1 : 0;
}

int ckp_codec_decode(ckp_chunk_codec *c, const void *in, size_t nin, int deflated, int shuffled,
                     double *out)
{
    size_t m = c->chunk, bytes = m * sizeof(double);
    unsigned char *dst = shuffled && m > 1 ? c->zin : (unsigned char *)out;
    if (deflated) {
        size_t got = 0;
        if (libdeflate_zlib_decompress(c->zd, in, nin, dst, bytes, &got) != LIBDEFLATE_SUCCESS ||
            got != bytes)
            return -1;
    } else {
        if (nin != bytes)
            return -1;
        memcpy(dst, in, bytes);
    }
    if (dst != (unsigned char *)out)
        unshuffle((unsigned char *)out, dst, m);
    return 0;
}

void ckp_codec_free(ckp_chunk_codec *c)
{
    if (c->zc)
        libdeflate_free_compressor(c->zc);
    if (c->zd)
        libdeflate_free_decompressor(c->zd);
    c->zc = NULL;
    c->zd = NULL;
    free(c->zin);
    free(c->zout);
    free(c->raw);
    c->zin = c->zout = c->raw = NULL;
    c->rawcap = 0;
}
