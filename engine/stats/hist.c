/* chokepoint stats: the histograms of the per-month observables.
 *
 * Bin edges of the three kinds (x and q, price pi, stockpile L; see
 * CKP_HIST_BINS in stats.h), the bin of a value by the edges themselves, the
 * fast binners that the run uses to fill the monthly histograms with the same
 * bins at a fraction of the cost (hist_impl.h), and the fan-chart quantile
 * read off a histogram. For p <= 0 that quantile is the upper edge of the
 * first non-empty bin (the literal rule would return bin 0 even when empty). */
#include "engine/stats/hist_impl.h"

#include <math.h>
#include <string.h>

#include "chokepoint/stats.h"

double ckp_hist_quantile(const uint64_t *counts, const double *upper_edges, double p)
{
    uint64_t total = 0;
    for (int k = 0; k < CKP_HIST_BINS; k++)
        total += counts[k];
    if (total == 0 || isnan(p))
        return NAN;
    double target = p * (double)total;
    uint64_t cum = 0;
    for (int k = 0; k < CKP_HIST_BINS; k++) {
        cum += counts[k];
        if (cum > 0 && (double)cum >= target)
            return upper_edges[k];
    }
    /* p > 1: never reached; the top of the occupied range is the honest answer. */
    for (int k = CKP_HIST_BINS - 1; k >= 0; k--)
        if (counts[k])
            return upper_edges[k];
    return NAN;
}

/* ---- histogram bins ----
 * Edges are produced by one function per kind and bin lookup compares against
 * exactly those doubles, so a value on an edge always lands in the bin whose
 * upper edge it equals (right-closed), independent of how k/100 rounds. */

#define NB 100 /* equal or log-spaced interior bins */

static double unit_edge(int k)
{
    return (double)k / (double)NB;
}

void ckp_hist_edges_unit(double *upper)
{
    upper[0] = 0.0;
    for (int k = 1; k <= NB; k++)
        upper[k] = unit_edge(k);
    /* Bin 101 only ever holds values above 1, which clipped x and q never
     * take; its edge is +inf to say so. */
    upper[NB + 1] = INFINITY;
}

/* Settle an estimated bin k in [1, NB] so that edge(k-1) < v <= edge(k). */
#define SETTLE(k, v, edge_expr_km1, edge_expr_k)                                          \
    do {                                                                                \
        if ((k) < 1)                                                                    \
            (k) = 1;                                                                    \
        if ((k) > NB)                                                                   \
            (k) = NB;                                                                   \
        while ((k) > 1 && (v) <= (edge_expr_km1))                                       \
            (k)--;                                                                      \
        while ((k) < NB && (v) > (edge_expr_k))                                         \
            (k)++;                                                                      \
    } while (0)

int ckp_hist_bin_unit(double v)
{
    if (isnan(v))
        return NB + 1;
    if (v <= 0.0)
        return 0;
    if (v > 1.0)
        return NB + 1;
    int k = (int)ceil(v * NB);
    SETTLE(k, v, unit_edge(k - 1), unit_edge(k));
    return k;
}

static double price_lcap(double cap)
{
    return cap > 0.1 ? log(cap / 0.1) : 0.0;
}

static double price_edge(int k, double cap, double lcap)
{
    if (k >= NB)
        return cap > 0.1 ? cap : 0.1;
    return 0.1 * exp((double)k / (double)NB * lcap);
}

void ckp_hist_edges_price(double cap, double *upper)
{
    double lcap = price_lcap(cap);
    upper[0] = 0.1;
    for (int k = 1; k <= NB; k++)
        upper[k] = price_edge(k, cap, lcap);
    upper[NB + 1] = INFINITY;
}

int ckp_hist_bin_price(double v, double cap)
{
    double lcap = price_lcap(cap);
    double top = price_edge(NB, cap, lcap);
    if (isnan(v) || v > top)
        return NB + 1;
    if (v < 0.1)
        return 0;
    if (lcap <= 0.0)
        return 1;
    int k = (int)ceil(log(v / 0.1) / lcap * NB);
    SETTLE(k, v, price_edge(k - 1, cap, lcap), price_edge(k, cap, lcap));
    return k;
}

static double stock_h(double lmax)
{
    return lmax > 0.0 ? lmax / NB : 0.0;
}

static double stock_edge(int k, double lmax, double h)
{
    /* k h with the top edge pinned to Lmax itself, so that a stockpile exactly
     * at max(stock0, target) is inside the range whatever 100 * h rounds to. */
    return k >= NB ? (lmax > 0.0 ? lmax : 0.0) : (double)k * h;
}

void ckp_hist_edges_stock(double lmax_days, double *upper)
{
    double h = stock_h(lmax_days);
    upper[0] = 0.0;
    for (int k = 1; k <= NB; k++)
        upper[k] = stock_edge(k, lmax_days, h);
    upper[NB + 1] = INFINITY;
}

int ckp_hist_bin_stock(double v, double lmax_days)
{
    double h = stock_h(lmax_days);
    double top = stock_edge(NB, lmax_days, h);
    if (isnan(v))
        return NB + 1;
    if (v <= 0.0)
        return 0;
    if (v > top)
        return NB + 1;
    int k = (int)ceil(v / h);
    SETTLE(k, v, stock_edge(k - 1, lmax_days, h), stock_edge(k, lmax_days, h));
    return k;
}

/* ---- fast binners ----
 * The bin is first estimated from a precomputed scale (for pi from a short
 * logarithm), then settled against the exact upper edges that the edge
 * functions above produce. Since the edges are non-decreasing, settling gives
 * the one bin the edge definition gives, whatever the estimate; the estimate
 * only decides how few comparisons that takes (usually none or one). */

static void binner_clear(ckp_hist_binner *b, int kind)
{
    memset(b, 0, sizeof *b);
    b->kind = kind;
}

void ckp_hist_binner_unit(ckp_hist_binner *b)
{
    binner_clear(b, 0);
    ckp_hist_edges_unit(b->upper);
    b->top = 1.0;
    b->scale = NB;
}

void ckp_hist_binner_price(ckp_hist_binner *b, double cap)
{
    binner_clear(b, 1);
    ckp_hist_edges_price(cap, b->upper);
    double lcap = price_lcap(cap);
    b->top = price_edge(NB, cap, lcap);
    b->flat = !(lcap > 0.0);
    if (!b->flat) {
        /* bin ~ log(v / 0.1) / lcap * NB = log(v) * scale - offset. */
        b->scale = NB / lcap;
        b->offset = log(0.1) * b->scale;
    }
}

void ckp_hist_binner_stock(ckp_hist_binner *b, double lmax_days)
{
    binner_clear(b, 2);
    ckp_hist_edges_stock(lmax_days, b->upper);
    double h = stock_h(lmax_days);
    b->top = stock_edge(NB, lmax_days, h);
    b->scale = h > 0.0 ? 1.0 / h : 0.0;
}

/* Natural logarithm of a positive normal double to about 1e-9 relative,
 * enough for a bin estimate: v = 2^e m with m in [sqrt(1/2), sqrt(2)), and
 * log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, by its series. */
static double approx_log(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    int e = (int)((u >> 52) & 0x7ff) - 1023;
    uint64_t mb = (u & 0x000fffffffffffffu) | 0x3ff0000000000000u;
    double m;
    memcpy(&m, &mb, sizeof m);
    if (m > 1.4142135623730951) {
        m *= 0.5;
        e++;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double series = 1.0 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9))));
    return (double)e * 0.6931471805599453 + 2.0 * s * series;
}

/* Settle an estimate into the bin k in [1, NB] with upper[k-1] < v <= upper[k]
 * (bin 1 also takes v == upper[0], as the slow functions do). The estimate is
 * almost always right or one bin off: one branch-free step each way settles
 * that, and the loops (which then almost never run) cover any other case. */
static inline int settle(const double *upper, double v, double est)
{
    int k = 1;
    if (est >= (double)NB) {
        k = NB;
    } else if (est > 1.0) {
        k = (int)est; /* est > 0: truncation is floor; then ceil */
        k += (double)k < est;
    }
    k -= (k > 1) & (v <= upper[k - 1]);
    k += (k < NB) & (v > upper[k]);
    while (k > 1 && v <= upper[k - 1])
        k--;
    while (k < NB && v > upper[k])
        k++;
    return k;
}

static inline int binner_bin(const ckp_hist_binner *b, double v)
{
    switch (b->kind) {
    case 1:
        if (v >= 0.1 && v <= b->top)
            return b->flat ? 1 : settle(b->upper, v, approx_log(v) * b->scale - b->offset);
        return v < 0.1 ? 0 : NB + 1; /* NaN: NB + 1 */
    default: /* unit (top 1) and stock (top Lmax): bin 0 holds v <= 0 */
        if (v > 0.0 && v <= b->top)
            return settle(b->upper, v, v * b->scale);
        return v <= 0.0 ? 0 : NB + 1;
    }
}

int ckp_hist_binner_bin(const ckp_hist_binner *b, double v)
{
    return binner_bin(b, v);
}

void ckp_hist_binner_bins(const ckp_hist_binner *const *b, const double *v, size_t n,
                          uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        /* Zero is bin 0 of every kind (it is <= 0, or below 0.1 for pi) and
         * by far the most common value of x, q and L. */
        out[i] = v[i] == 0.0 ? 0 : (uint8_t)binner_bin(b[i], v[i]);
}
