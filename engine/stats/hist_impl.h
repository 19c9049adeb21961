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

#endif
