/* chokepoint stats: table binners (hist_impl.h), the bins of the per-month
 * histograms by one table lookup and one comparison, without a branch.
 *
 * A table binner cuts the positive doubles into buckets by their bits (the
 * exponent and the top few mantissa bits; for positive doubles the bits are
 * ordered as the values). Each bucket is narrower than a bin, so it meets at
 * most two bins: the table holds the bin lo of the bucket's lowest value, found
 * at build time with the exact binner (hist.c) itself, and a value's bin is
 * lo + (v > upper[lo]) with the binner's own upper edges. That is the exact
 * binner's bin because bins are non-decreasing in the value; the build checks
 * it for every bucket (the last value in bin lo, found by bisection, must be
 * upper[lo]). Buckets where it fails (three or more bins, the price bin 1
 * that also takes v == upper[0], degenerate parameters) are marked and binned
 * by the exact binner. The tables are a few hundred bytes per binner, so that
 * all of a run's stay in the first-level cache. */
#include "engine/stats/hist_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAG_MASK 0x7fffffffffffffffu
#define MAX_ENTRIES ((int64_t)1 << 16)

static double from_bits(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static uint64_t to_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* The bits of the positive doubles of bucket i: [*a, *z]. Bucket 0 reaches
 * down to the smallest subnormal and the last bucket up to the NaNs, as the
 * lookup clamps to them. */
static void bucket_range(const ckp_hist_lut *l, int64_t i, uint64_t *a, uint64_t *z)
{
    *a = i == 0 ? 1u : (uint64_t)(l->base + i) << l->shift;
    *z = i == l->n - 1 ? MAG_MASK : ((uint64_t)(l->base + i + 1) << l->shift) - 1u;
}

/* Fill entry i; returns 1 when the bucket is binned exactly. */
static int fill_entry(ckp_hist_lut *l, int64_t i)
{
    uint64_t a, z;
    bucket_range(l, i, &a, &z);
    const int ba = ckp_hist_binner_bin(l->b, from_bits(a));
    const int bz = ckp_hist_binner_bin(l->b, from_bits(z));
    const double *up = l->b->upper;
    l->lo[i] = (uint8_t)ba;
    if (bz == ba) {
        /* One bin: v > upper[ba] must never hold in the bucket. */
        if (ba < CKP_HIST_BINS - 1 && from_bits(z) > up[ba])
            l->lo[i] = CKP_HIST_LUT_EXACT;
        return l->lo[i] == CKP_HIST_LUT_EXACT;
    }
    if (bz == ba + 1) {
        /* The last bits of bin ba: a stays in ba, z in ba + 1. */
        while (z - a > 1) {
            uint64_t mid = a + (z - a) / 2;
            if (ckp_hist_binner_bin(l->b, from_bits(mid)) == ba)
                a = mid;
            else
                z = mid;
        }
        if (from_bits(a) == up[ba])
            return 0;
    }
    l->lo[i] = CKP_HIST_LUT_EXACT;
    return 1;
}

/* Build with `mbits` mantissa bits per bucket; returns the number of buckets
 * binned exactly, or -1 when out of memory. */
static int64_t build(ckp_hist_lut *l, int mbits)
{
    const double *up = l->b->upper;
    double low = 0.0, top = 0.0;
    for (int k = 0; k < CKP_HIST_BINS; k++)
        if (up[k] > 0.0 && isfinite(up[k])) {
            if (low == 0.0)
                low = up[k];
            top = up[k];
        }
    free(l->lo);
    l->lo = NULL;
    if (low > 0.0) {
        /* Exponents from low's to one above top's: the last bucket lies above
         * every edge. */
        const int64_t e0 = (int64_t)(to_bits(low) >> 52), e1 = (int64_t)(to_bits(top) >> 52) + 1;
        while (mbits > 0 && ((e1 - e0 + 1) << mbits) > MAX_ENTRIES)
            mbits--;
        l->shift = 52 - mbits;
        l->base = e0 << mbits;
        l->n = (e1 - e0 + 1) << mbits;
    } else {
        /* No positive edge: every positive value is in one bin. */
        l->shift = 52;
        l->base = 0;
        l->n = 1;
    }
    l->lo = malloc((size_t)l->n);
    if (!l->lo)
        return -1;
    int64_t exact = 0;
    for (int64_t i = 0; i < l->n; i++)
        exact += fill_entry(l, i);
    return exact;
}

int ckp_hist_lut_init(ckp_hist_lut *l, const ckp_hist_binner *b)
{
    memset(l, 0, sizeof *l);
    l->b = b;
    l->upper = b->upper;
    /* Six bits make buckets narrower than every bin of ordinary parameters;
     * finer ones are tried where some bucket is still binned exactly (a few
     * always are: those that hold the price edge 0.1, or every edge of a
     * degenerate binner). */
    for (int mbits = 6;; mbits++) {
        int64_t exact = build(l, mbits);
        if (exact < 0) {
            ckp_hist_lut_free(l);
            return -1;
        }
        if (exact <= 1 || mbits == 9 || l->n >= MAX_ENTRIES)
            return 0;
    }
}

void ckp_hist_lut_free(ckp_hist_lut *l)
{
    if (!l)
        return;
    free(l->lo);
    l->lo = NULL;
}

int ckp_hist_lut_bin_exact(const ckp_hist_lut *l, double v)
{
    return ckp_hist_binner_bin(l->b, v);
}
