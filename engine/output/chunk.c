/* chokepoint: shuffle + deflate of one chunk and H5Dwrite_chunk (chunk_impl.h).
 *
 * The shuffle regroups the bytes of the doubles by significance (byte b of
 * element i goes to b * chunk + i), as HDF5's shuffle filter does, and like
 * the filter it is skipped for a one-element chunk. The deflate stream has
 * compress2's parameters (zlib format, 32 KiB window, memLevel 8), so the
 * stored bytes equal what HDF5's deflate filter writes. */
#include "chunk_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"

ckp_status ckp_codec_init(ckp_chunk_codec *c, int level, size_t chunk, ckp_error *err)
{
    size_t bytes = chunk * sizeof(double);
    c->chunk = chunk;
    c->zcap = deflateBound(NULL, (uLong)bytes);
    c->zin = malloc(bytes);
    c->zout = malloc(c->zcap);
    if (!c->zin || !c->zout)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    memset(&c->z, 0, sizeof c->z);
    if (deflateInit(&c->z, level) != Z_OK)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "cannot start the deflate stream");
    c->live = 1;
    return CKP_OK;
}

int ckp_codec_put(ckp_chunk_codec *c, hid_t ds, const hsize_t *offset, double *col, size_t n)
{
    size_t m = c->chunk;
    for (size_t i = n; i < m; i++)
        col[i] = NAN;
    const unsigned char *src = (const unsigned char *)col;
    if (m > 1) {
        for (size_t b = 0; b < sizeof(double); b++) {
            unsigned char *dst = c->zin + b * m;
            for (size_t i = 0; i < m; i++)
                dst[i] = src[i * sizeof(double) + b];
        }
        src = c->zin;
    }
    if (deflateReset(&c->z) != Z_OK)
        return -1;
    c->z.next_in = (Bytef *)(uintptr_t)src;
    c->z.avail_in = (uInt)(m * sizeof(double));
    c->z.next_out = c->zout;
    c->z.avail_out = (uInt)c->zcap;
    if (deflate(&c->z, Z_FINISH) != Z_STREAM_END)
        return -1;
    return H5Dwrite_chunk(ds, H5P_DEFAULT, 0, offset, (size_t)c->z.total_out, c->zout) < 0 ? -1
                                                                                           : 0;
}

void ckp_codec_free(ckp_chunk_codec *c)
{
    if (c->live)
        deflateEnd(&c->z);
    c->live = 0;
    free(c->zin);
    free(c->zout);
    c->zin = c->zout = NULL;
}
