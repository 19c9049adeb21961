/* chokepoint: the chunk codec of the per-path datasets (internal header of
 * the output module).
 *
 * With compression the writer applies HDF5's shuffle and deflate filters
 * itself (libdeflate's zlib format) and stores each chunk with
 * H5Dwrite_chunk. HDF5's own deflate filter calls zlib's compress2 for every
 * chunk, which allocates (and the kernel zeroes) ~270 KiB of zlib state each
 * time; that alone cost more than the deflating. The stored chunks are what
 * the filters decode, so any HDF5 reader reads them as usual. The summaries
 * read the chunks back raw and decode them here (ckp_codec_decode), which
 * is the inverse of both this writer and HDF5's own filters. */
#ifndef CKP_CHUNK_IMPL_H
#define CKP_CHUNK_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "chokepoint/error.h"

struct libdeflate_compressor;
struct libdeflate_decompressor;

typedef struct ckp_chunk_codec {
    struct libdeflate_compressor *zc; /* NULL at level 0 (decode only) */
    struct libdeflate_decompressor *zd;
    size_t chunk;              /* doubles per chunk */
    unsigned char *zin, *zout; /* shuffled chunk; deflated chunk */
    size_t zcap;
    unsigned char *raw; /* a stored chunk read back (chunk_read.c) */
    size_t rawcap;
} ckp_chunk_codec;

/* Start a codec (c zeroed by the caller) for chunks of `chunk` doubles at
 * deflate level `level` (1..9; 0: a codec that only decodes). On failure c
 * holds what ckp_codec_free releases. */
ckp_status ckp_codec_init(ckp_chunk_codec *c, int level, size_t chunk, ckp_error *err);

/* Shuffle and deflate col[0..n) (n <= chunk) into c->zout, touching no
 * HDF5 state (so that threads can pack chunks at once, each with its own
 * codec). col must hold `chunk` doubles: the part past n is set to the fill
 * value (NaN). Returns the stored size; 0 on failure, or at once for a codec
 * made with level 0 (nothing to deflate). */
size_t ckp_codec_pack(ckp_chunk_codec *c, double *col, size_t n);

/* ckp_codec_pack, then store c->zout (n <= chunk) as the whole chunk at `offset` of the
 * one-column-per-chunk dataset ds. col must hold `chunk` doubles: the part
 * past n is set to the fill value (NaN), as HDF5 pads a partial edge chunk.
 * Returns < 0 on failure (a deflate error, or HDF5's error stack). */
int ckp_codec_put(ckp_chunk_codec *c, hid_t ds, const hsize_t *offset, double *col, size_t n);

/* Decode the nin stored bytes `in` of one chunk into out[0..chunk): inflate
 * (zlib format) when `deflated`, then undo the shuffle when `shuffled` (a
 * one-element chunk is never shuffled). The values are little-endian
 * IEEE doubles, as stored. Returns < 0 when the bytes do not decode to
 * exactly one chunk. */
int ckp_codec_decode(ckp_chunk_codec *c, const void *in, size_t nin, int deflated, int shuffled,
                     double *out);

/* ---- chunk_read.c ---- */
/* How a dataset's chunks are stored: its rank and the index of the shuffle
 * and deflate filters in its pipeline (-1: not there). */
typedef struct ckp_chunk_pipe {
    int rank, shuffle, deflate;
} ckp_chunk_pipe;

/* 1 when the chunks of ds can be read by ckp_chunk_read: float64
 * little-endian (and so is the machine), chunks of `chunk` paths by one
 * column, filters none, shuffle, deflate or shuffle then deflate; *p says
 * which. 0 otherwise (read it with H5Dread). */
int ckp_chunk_readable(hid_t ds, size_t chunk, ckp_chunk_pipe *p);

/* The stored bytes of the chunk of ds at off into c->raw (grown as needed):
 * their count in *n and the chunk's filter mask in *mask. Returns < 0 on an
 * HDF5 error, a chunk not stored, or no memory. */
int ckp_chunk_read_raw(ckp_chunk_codec *c, hid_t ds, const hsize_t *off, size_t *n, uint32_t *mask);

/* Paths [start[0], start[0] + count) of the column at start[1..rank) of ds
 * into x, chunk by chunk with H5Dread_chunk and ckp_codec_decode (c started
 * for chunks of the dataset's size; any level; one codec per thread: the
 * H5Dread_chunk calls are in the unnamed OpenMP critical section, the decoding is
 * not). start[0] must be a multiple
 * of the chunk; edge holds one chunk of doubles (for a partial last chunk).
 * Returns < 0 on failure (an HDF5 error, a chunk not stored, bytes that do
 * not decode to a chunk). */
int ckp_chunk_read(ckp_chunk_codec *c, const ckp_chunk_pipe *p, hid_t ds, const hsize_t *start,
                   size_t count, double *x, double *edge);

/* Release c. Accepts a codec that was zeroed and never started. */
void ckp_codec_free(ckp_chunk_codec *c);

#endif
