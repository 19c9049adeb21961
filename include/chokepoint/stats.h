/* chokepoint: summaries over paths (MODEL.md sections 5 and 6).
 *
 * Pure functions over arrays of per-path values, in path order, so a figure
 * depends only on the values and never on how the paths were computed. */
#ifndef CHOKEPOINT_STATS_H
#define CHOKEPOINT_STATS_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#include "chokepoint/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CKP_NQUANTILES 11
/* 0.001 0.01 0.05 0.1 0.25 0.5 0.75 0.9 0.95 0.99 0.999 */
CKP_API extern const double CKP_QUANTILE_PROBS[CKP_NQUANTILES];

#define CKP_EXCEEDANCE_LEVELS 101

/* Histogram bins of the per-month observables: every kind has 102 bins.
 * x, q: bin 0 = exactly 0, bin k = ((k-1)/100, k/100] for k = 1..100, bin 101 unused.
 * pi:   bin 0 = below 0.1, bins 1..100 log-spaced over [0.1, cap] (bin 1 closed
 *       on both sides), bin 101 = above cap.
 * L:    bin 0 = exactly 0 days, bin k = ((k-1) h, k h] with h = Lmax / 100,
 *       Lmax = max(stock0, target) in days; bin 101 = above Lmax. */
#define CKP_HIST_BINS 102

typedef struct ckp_summary {
    double count, mean, sd, se, min, max;
    double q[CKP_NQUANTILES];
    double var95, cvar95, var99, cvar99;
} ckp_summary;

/* numpy.quantile(x, p) with the default 'linear' method, on sorted data. */
CKP_API double ckp_quantile_sorted(const double *sorted, size_t n, double p);

/* Summary of n values x (path order). sd has ddof = 1; se = sd / sqrt(n), or
 * with `antithetic` (n even) the standard error of the mean of pair means.
 * VaR_a = quantile a (linear); CVaR_a = mean of the values >= VaR_a.
 * `scratch` holds n doubles (NULL: allocated internally). n = 0 gives NaNs;
 * n = 1 gives sd = se = NaN. Errors: a NaN or infinite value is
 * CKP_ERR_NUMERIC (the message names the path); antithetic with odd n is
 * CKP_ERR_USAGE. Sums are compensated and in path order (deterministic). */
CKP_API ckp_status ckp_summary_compute(const double *x, size_t n, int antithetic, double *scratch,
                               ckp_summary *out, ckp_error *err);

/* The same summary, bit for bit, using x itself as the sort buffer: on
 * return x holds the values sorted (path order is lost). For callers that can
 * afford one array of n values and no more; allocates nothing but, when both
 * -0.0 and +0.0 occur, one bit per zero. */
CKP_API ckp_status ckp_summary_compute_inplace(double *x, size_t n, int antithetic, ckp_summary *out,
                                       ckp_error *err);

/* Exceedance curve: levels[k] = k * max / 100, prob[k] = P(x > levels[k]),
 * k = 0..100. */
CKP_API void ckp_exceedance(const double *x, size_t n, double *levels, double *prob);

/* Paired comparison of a policy against the baseline on the same paths:
 * benefit_p = base_p - policy_p. */
typedef struct ckp_benefit {
    double mean, se, p_positive;
    double q[CKP_NQUANTILES];
    int has_bcr;
    double bcr; /* mean benefit / (annual_cost * T / 12) */
} ckp_benefit;

/* The se is paired (sd of the per-path benefits / sqrt(n), or of the pair
 * means when antithetic). has_bcr is set when has_cost and annual_cost > 0;
 * a negative or non-finite cost, or T <= 0 with a cost, is CKP_ERR_USAGE;
 * non-finite values are CKP_ERR_NUMERIC. `scratch` holds n doubles or NULL. */
CKP_API ckp_status ckp_benefit_compute(const double *base, const double *policy, size_t n,
                               int antithetic, int has_cost, double annual_cost, int T,
                               double *scratch, ckp_benefit *out, ckp_error *err);

/* The same comparison, bit for bit, from the per-path benefits
 * b[i] = base[i] - policy[i] (path order) computed by the caller; the base
 * and policy values are not seen, so their finiteness is the caller's check.
 * b is left sorted. Allocates as ckp_summary_compute_inplace. */
CKP_API ckp_status ckp_benefit_compute_inplace(double *b, size_t n, int antithetic, int has_cost,
                                       double annual_cost, int T, ckp_benefit *out,
                                       ckp_error *err);

/* Fan-chart value for probability p from one month's histogram: the upper edge
 * of the first bin at which the cumulative count reaches p * total. `edges`
 * holds the CKP_HIST_BINS upper edges of the bins. For p <= 0 this is the
 * first non-empty bin; an empty histogram gives NaN. */
CKP_API double ckp_hist_quantile(const uint64_t *counts, const double *upper_edges, double p);

/* Upper edges of the bins for the three kinds (see CKP_HIST_BINS). The top
 * interior edge is exactly 1, cap or Lmax; the out-of-range bin 101 has edge
 * +inf (and for pi, bin 0's edge is 0.1). Bin lookups compare against exactly
 * these doubles, so a value equal to an edge lands in the bin it closes;
 * NaN goes to bin 101. */
CKP_API void ckp_hist_edges_unit(double *upper);            /* x and q */
CKP_API void ckp_hist_edges_price(double cap, double *upper);
CKP_API void ckp_hist_edges_stock(double lmax_days, double *upper);
/* Bin index of a value for each kind. */
CKP_API int ckp_hist_bin_unit(double v);
CKP_API int ckp_hist_bin_price(double v, double cap);
CKP_API int ckp_hist_bin_stock(double v, double lmax_days);

#ifdef __cplusplus
}
#endif
#endif
