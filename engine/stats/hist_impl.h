/* chokepoint stats: fast histogram binners (internal; not installed).
 *
 * The run bins every observable of every month of every path; these binners
 * give exactly the bins of ckp_hist_bin_unit / _price / _stock (stats.h) at
 * the cost of a multiply and a comparison or two. Used by engine/run and the
 * tests; not part of the library's exported API. */
#ifndef CKP_STATS_HIST_IMPL_H
#define CKP_STATS_HIST_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chokepoint/stats.h"

/* A binner for one observable: its kind, the exact upper edges of its bins
 * (ckp_hist_edges_*) and a precomputed scale, so that binning a value costs a
 * multiply (a short logarithm for pi) and a comparison or two against those
 * edges. The bins are exactly those of ckp_hist_bin_unit / _price / _stock
 * with the same parameter; only the cost differs. */
typedef struct ckp_hist_binner {
    int kind;   /* 0 unit (x, q), 1 price, 2 stock */
    int flat;   /* price with cap <= 0.1: every value in [0.1, top] is bin 1 */
    double top; /* largest value inside bins 0..100 */
    double offset, scale; /* bin estimate: (v or log v) * scale - offset */
    double upper[CKP_HIST_BINS];
} ckp_hist_binner;

/* Fill *b for x and q, for pi with price cap `cap`, for L with Lmax days. */
void ckp_hist_binner_unit(ckp_hist_binner *b);
void ckp_hist_binner_price(ckp_hist_binner *b, double cap);
void ckp_hist_binner_stock(ckp_hist_binner *b, double lmax_days);

/* The bin of v by *b. */
int ckp_hist_binner_bin(const ckp_hist_binner *b, double v);

/* out[i] = the bin of v[i] by binner *b[i] (one binner per value, shared
 * binners keep the edge tables few and in cache), i < n. */
void ckp_hist_binner_bins(const ckp_hist_binner *const *b, const double *v, size_t n,
                          uint8_t *out);

/* A table binner (hist_lut.c): the bins of an exact binner *b by one lookup
 * and one comparison against b's upper edges. Built from b (which must
 * outlive it); the bins are those of ckp_hist_binner_bin(b, v) for every
 * double v. */
#define CKP_HIST_LUT_EXACT 255 /* lo of a bucket binned by the exact binner */
typedef struct ckp_hist_lut {
    const ckp_hist_binner *b;
    const double *upper; /* b->upper */
    int shift;           /* bucket of v: (bits(|v|) >> shift) - base, clamped to [0, n) */
    int64_t base, n;
    uint8_t *lo; /* n: the bin of the bucket's lowest value */
} ckp_hist_lut;

/* 0, or -1 when out of memory (then *l needs no free). */
int ckp_hist_lut_init(ckp_hist_lut *l, const ckp_hist_binner *b);
void ckp_hist_lut_free(ckp_hist_lut *l);
int ckp_hist_lut_bin_exact(const ckp_hist_lut *l, double v);

static inline int ckp_hist_lut_bin(const ckp_hist_lut *l, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    int64_t i = (int64_t)((u & 0x7fffffffffffffffu) >> l->shift) - l->base;
    i = i < 0 ? 0 : i;
    i = i >= l->n ? l->n - 1 : i;
    const int lo = l->lo[i];
    if (lo == CKP_HIST_LUT_EXACT)
        return ckp_hist_lut_bin_exact(l, v);
    /* 0 for v <= 0: +-0 and the negative numbers (not the NaNs), by the bits. */
    const uint64_t mag = u & 0x7fffffffffffffffu;
    const int nonpos = (mag == 0) | ((u >> 63) & (mag <= 0x7ff0000000000000u));
    const int k = lo + (v > l->upper[lo]);
    return k & -(nonpos ^ 1);
}

#endif
