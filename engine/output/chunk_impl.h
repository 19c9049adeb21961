/* chokepoint: the chunk codec of the per-path datasets (internal header of
 * the output module).
 *
 * With compression the writer applies HDF5's shuffle and deflate filters
 * itself, with one zlib stream reset per chunk, and stores each chunk with
 * H5Dwrite_chunk. HDF5's own deflate filter calls compress2 for every chunk,
 * which allocates (and the kernel zeroes) ~270 KiB of zlib state each time;
 * that alone cost more than the deflating. The bytes stored are those the
 * filters would have produced, so any HDF5 reader inflates them as usual. */
#ifndef CKP_CHUNK_IMPL_H
#define CKP_CHUNK_IMPL_H

#include <stddef.h>

#include <hdf5.h>
#include <zlib.h>

#include "chokepoint/error.h"

typedef struct ckp_chunk_codec {
    z_stream z;
    int live;                  /* z is initialised */
    size_t chunk;              /* doubles per chunk */
    unsigned char *zin, *zout; /* shuffled chunk; deflated chunk */
    size_t zcap;
} ckp_chunk_codec;

/* Start a codec (c zeroed by the caller) for chunks of `chunk` doubles at
 * deflate level `level` (1..9). On failure c holds what ckp_codec_free
 * releases. */
ckp_status ckp_codec_init(ckp_chunk_codec *c, int level, size_t chunk, ckp_error *err);

/* Store col[0..n) (n <= chunk) as the whole chunk at `offset` of the
 * one-column-per-chunk dataset ds. col must hold `chunk` doubles: the part
 * past n is set to the fill value (NaN), as HDF5 pads a partial edge chunk.
 * Returns < 0 on failure (a zlib error, or HDF5's error stack). */
int ckp_codec_put(ckp_chunk_codec *c, hid_t ds, const hsize_t *offset, double *col, size_t n);

/* Release c. Accepts a codec that was zeroed and never started. */
void ckp_codec_free(ckp_chunk_codec *c);

#endif
