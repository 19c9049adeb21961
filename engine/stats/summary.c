/* chokepoint stats: summaries and paired benefits over paths (MODEL.md
 * sections 5 and 6), and the exceedance curve.
 *
 * Everything here is a pure function of an array of per-path values in path
 * order. Sums run sequentially in that order with Neumaier compensation, so a
 * figure is bit-identical however the paths were produced, and accurate even
 * for a million paths of widely different size. Quantiles reproduce numpy's
 * default ('linear') method operation for operation, so that numpy.quantile
 * on the stored per-path values gives the same numbers.
 *
 * Choices where MODEL.md is silent (also in the report and docs):
 * - non-finite values (NaN, +-inf) are refused with CKP_ERR_NUMERIC naming the
 *   first bad path: a mean or a VaR over them would be meaningless;
 * - n = 0 gives NaN figures (count 0); n = 1 gives sd = se = NaN (ddof = 1);
 * - antithetic with odd n is a usage error; the antithetic se is the sd of the
 *   n/2 pair means divided by sqrt(n/2);
 * - the benefit-cost ratio needs annual_cost > 0 and T > 0; cost 0 gives
 *   has_bcr = 0 (the ratio is undefined), a negative or non-finite cost is a
 *   usage error. */
#include "chokepoint/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/stats/sort_impl.h"
#include "engine/stats/tail_impl.h"

const double CKP_QUANTILE_PROBS[CKP_NQUANTILES] = {0.001, 0.01, 0.05, 0.1, 0.25, 0.5,
                                                   0.75,  0.9,  0.95, 0.99, 0.999};

/* Neumaier's variant of Kahan summation: the running compensation also
 * captures the error when the new term is larger than the sum so far. */
typedef struct ksum {
    double s, c;
} ksum;

static void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static double ksum_value(const ksum *k)
{
    return k->s + k->c;
}

double ckp_quantile_sorted(const double *sorted, size_t n, double p)
{
    if (n == 0 || !(p >= 0.0 && p <= 1.0))
        return NAN;
    /* numpy 'linear' (Hyndman and Fan type 7): virtual index (n - 1) p,
     * neighbours floor and floor + 1, and numpy's two-sided lerp, which
     * interpolates from the upper neighbour when the weight is >= 0.5. The
     * project builds with -std=c11, so no FMA contraction alters this. */
    double h = (double)(n - 1) * p;
    if (h >= (double)(n - 1))
        return sorted[n - 1];
    double lo = floor(h);
    size_t i = (size_t)lo;
    double t = h - lo;
    double a = sorted[i], b = sorted[i + 1];
    double d = b - a;
    return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

static ckp_status check_finite(const double *x, size_t n, const char *what, ckp_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return CKP_FAIL(err, CKP_ERR_NUMERIC,
                            "%s: value of path %zu is %s; statistics need finite values", what,
                            i, isnan(x[i]) ? "NaN" : "infinite");
    return CKP_OK;
}

static double mean_of(const double *x, size_t n)
{
    ksum k = {0, 0};
    for (size_t i = 0; i < n; i++)
        ksum_add(&k, x[i]);
    return ksum_value(&k) / (double)n;
}

/* Sample sd (ddof = 1) by the corrected two-pass formula: the sum of squared
 * deviations minus (sum of deviations)^2 / n, which removes the error of the
 * computed mean. NaN for n < 2. */
static double sd_of(const double *x, size_t n, double mean)
{
    if (n < 2)
        return NAN;
    ksum sq = {0, 0}, dev = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double e = x[i] - mean;
        ksum_add(&sq, e * e);
        ksum_add(&dev, e);
    }
    double c = ksum_value(&dev);
    double var = (ksum_value(&sq) - c * c / (double)n) / (double)(n - 1);
    return var > 0.0 ? sqrt(var) : 0.0;
}

/* Standard error of the mean of pair means m_j = (x[2j] + x[2j+1]) / 2, in
 * two passes without storing the pair means. */
static double antithetic_se(const double *x, size_t n)
{
    size_t m = n / 2;
    if (m < 2)
        return NAN;
    ksum k = {0, 0};
    for (size_t j = 0; j < m; j++)
        ksum_add(&k, 0.5 * (x[2 * j] + x[2 * j + 1]));
    double mean = ksum_value(&k) / (double)m;
    ksum sq = {0, 0}, dev = {0, 0};
    for (size_t j = 0; j < m; j++) {
        double e = 0.5 * (x[2 * j] + x[2 * j + 1]) - mean;
        ksum_add(&sq, e * e);
        ksum_add(&dev, e);
    }
    double c = ksum_value(&dev);
    double var = (ksum_value(&sq) - c * c / (double)m) / (double)(m - 1);
    return (var > 0.0 ? sqrt(var) : 0.0) / sqrt((double)m);
}

static double standard_error(const double *x, size_t n, int antithetic, double sd)
{
    if (antithetic)
        return antithetic_se(x, n);
    return n >= 2 ? sd / sqrt((double)n) : NAN;
}

/* VaR = the linear quantile a; CVaR = mean of the values at or above it
 * (MODEL.md section 6), read off the sorted array (n > 0; also the tail/
 * figures of a sorted column, tail_impl.h). */
void ckp_var_cvar_sorted(const double *sorted, size_t n, double a, double *var, double *cvar)
{
    double v = ckp_quantile_sorted(sorted, n, a);
    /* First index with sorted[i] >= v, by bisection. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] >= v)
            hi = mid;
        else
            lo = mid + 1;
    }
    *var = v;
    if (lo == n) { /* cannot happen for an interpolated quantile; be safe */
        *cvar = sorted[n - 1];
        return;
    }
    ksum k = {0, 0};
    for (size_t i = lo; i < n; i++)
        ksum_add(&k, sorted[i]);
    *cvar = ksum_value(&k) / (double)(n - lo);
}

static void fill_nan(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = NAN;
}

/* The figures that need sorted values, from the sorted array. */
static void order_figures(const double *sorted, size_t n, ckp_summary *out)
{
    out->min = sorted[0];
    out->max = sorted[n - 1];
    for (int k = 0; k < CKP_NQUANTILES; k++)
        out->q[k] = ckp_quantile_sorted(sorted, n, CKP_QUANTILE_PROBS[k]);
    ckp_var_cvar_sorted(sorted, n, 0.95, &out->var95, &out->cvar95);
    ckp_var_cvar_sorted(sorted, n, 0.99, &out->var99, &out->cvar99);
}

/* Checks and the path-order figures (mean, sd, se). Sets *empty for n = 0,
 * whose figures are then all filled in. */
static ckp_status summary_path_order(const double *x, size_t n, int antithetic,
                                     ckp_summary *out, int *empty, ckp_error *err)
{
    *empty = 1;
    if (!out || (n > 0 && !x))
        return CKP_FAIL(err, CKP_ERR_USAGE, "summary: NULL values or result");
    if (antithetic && n % 2 != 0)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "summary: antithetic pairs need an even number of paths, got %zu", n);
    ckp_status st = check_finite(x, n, "summary", err);
    if (st != CKP_OK)
        return st;

    out->count = (double)n;
    if (n == 0) {
        out->mean = out->sd = out->se = out->min = out->max = NAN;
        fill_nan(out->q, CKP_NQUANTILES);
        out->var95 = out->cvar95 = out->var99 = out->cvar99 = NAN;
        return CKP_OK;
    }
    *empty = 0;
    out->mean = mean_of(x, n);
    out->sd = sd_of(x, n, out->mean);
    out->se = standard_error(x, n, antithetic, out->sd);
    return CKP_OK;
}

ckp_status ckp_summary_compute(const double *x, size_t n, int antithetic, double *scratch,
                               ckp_summary *out, ckp_error *err)
{
    int empty;
    ckp_status st = summary_path_order(x, n, antithetic, out, &empty, err);
    if (st != CKP_OK || empty)
        return st;

    double *buf = scratch;
    if (!buf) {
        buf = malloc(n * sizeof *buf);
        if (!buf)
            return CKP_FAIL(err, CKP_ERR_NOMEM, "summary: cannot allocate %zu values", n);
    }
    memcpy(buf, x, n * sizeof *buf);
    double *tmp = n >= 64 ? malloc(n * sizeof *tmp) : NULL;
    if (n >= 64 && !tmp) {
        if (!scratch)
            free(buf);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "summary: cannot allocate %zu values", n);
    }
    ckp_sort_doubles(buf, n, tmp);
    free(tmp);
    order_figures(buf, n, out);

    if (!scratch)
        free(buf);
    return CKP_OK;
}

ckp_status ckp_summary_compute_inplace(double *x, size_t n, int antithetic, ckp_summary *out,
                                       ckp_error *err)
{
    int empty;
    ckp_status st = summary_path_order(x, n, antithetic, out, &empty, err);
    if (st != CKP_OK || empty)
        return st;
    if ((st = ckp_sort_doubles_inplace(x, n, err)) != CKP_OK)
        return st;
    order_figures(x, n, out);
    return CKP_OK;
}

void ckp_exceedance(const double *x, size_t n, double *levels, double *prob)
{
    if (n == 0) {
        fill_nan(levels, CKP_EXCEEDANCE_LEVELS);
        fill_nan(prob, CKP_EXCEEDANCE_LEVELS);
        return;
    }
    double max = x[0];
    for (size_t i = 1; i < n; i++)
        max = x[i] > max ? x[i] : max;
    const int L = CKP_EXCEEDANCE_LEVELS - 1;
    for (int k = 0; k < L; k++)
        levels[k] = (double)k * max / (double)L;
    /* MODEL.md 6: levels from 0 to the maximum. L * max / L can round to one
     * ulp below max, which would make P(loss > last level) the share of paths
     * at the maximum instead of 0. */
    levels[L] = max;

    /* counts[c] = number of values exceeding exactly the levels 0..c-1, i.e.
     * c = the number of levels strictly below the value. Levels are
     * non-decreasing when max >= 0, so c is found from an estimate and then
     * settled by comparing with the stored levels; P(x > level k) is the
     * share of values with c > k. O(n) rather than O(101 n). */
    uint64_t counts[CKP_EXCEEDANCE_LEVELS + 1];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++) {
        int c;
        if (!(max > 0.0)) {
            /* max <= 0: levels run from 0 down to max; count directly. */
            c = 0;
            for (int k = 0; k <= L; k++)
                c += x[i] > levels[k];
        } else {
            double est = x[i] / max * (double)L;
            c = est <= 0.0 ? 0 : (est >= (double)L ? L + 1 : (int)est + 1);
            while (c > 0 && !(x[i] > levels[c - 1]))
                c--;
            while (c <= L && x[i] > levels[c])
                c++;
        }
        counts[c]++;
    }
    /* prob[k] = (number of values with c > k) / n, accumulated from the top. */
    uint64_t above = counts[L + 1];
    for (int k = L; k >= 0; k--) {
        prob[k] = (double)above / (double)n;
        above += counts[k];
    }
}

static ckp_status benefit_args(size_t n, int antithetic, int has_cost, double annual_cost,
                               int T, ckp_error *err)
{
    if (antithetic && n % 2 != 0)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "benefit: antithetic pairs need an even number of paths, got %zu", n);
    if (has_cost && (!isfinite(annual_cost) || annual_cost < 0.0))
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "benefit: annual cost must be a finite number >= 0, got %g", annual_cost);
    if (has_cost && T <= 0)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "benefit: horizon must be positive for a benefit-cost ratio, got %d", T);
    return CKP_OK;
}

/* The path-order figures of the n > 0 per-path benefits b: mean, paired se,
 * P(benefit > 0) and the ratio. */
static ckp_status benefit_path_order(const double *b, size_t n, int antithetic, int has_cost,
                                     double annual_cost, int T, ckp_benefit *out,
                                     ckp_error *err)
{
    /* A difference of two finite values can still overflow to inf. */
    ckp_status st = check_finite(b, n, "benefit", err);
    if (st != CKP_OK)
        return st;
    size_t positive = 0;
    for (size_t i = 0; i < n; i++)
        positive += b[i] > 0.0;
    out->mean = mean_of(b, n);
    /* Paired: the se of the mean of per-path differences, which keeps the
     * common-random-numbers correlation between baseline and policy. */
    out->se = standard_error(b, n, antithetic, sd_of(b, n, out->mean));
    out->p_positive = (double)positive / (double)n;
    if (has_cost && annual_cost > 0.0) {
        out->has_bcr = 1;
        out->bcr = out->mean / (annual_cost * (double)T / 12.0);
    }
    return CKP_OK;
}

static void benefit_empty(ckp_benefit *out)
{
    out->mean = out->se = out->p_positive = NAN;
    fill_nan(out->q, CKP_NQUANTILES);
}

ckp_status ckp_benefit_compute(const double *base, const double *policy, size_t n,
                               int antithetic, int has_cost, double annual_cost, int T,
                               double *scratch, ckp_benefit *out, ckp_error *err)
{
    if (!out || (n > 0 && (!base || !policy)))
        return CKP_FAIL(err, CKP_ERR_USAGE, "benefit: NULL values or result");
    ckp_status st = benefit_args(n, antithetic, has_cost, annual_cost, T, err);
    if (st == CKP_OK)
        st = check_finite(base, n, "benefit (baseline)", err);
    if (st == CKP_OK)
        st = check_finite(policy, n, "benefit (policy)", err);
    if (st != CKP_OK)
        return st;

    out->has_bcr = 0;
    out->bcr = NAN;
    if (n == 0) {
        benefit_empty(out);
        return CKP_OK;
    }

    double *b = scratch;
    if (!b) {
        b = malloc(n * sizeof *b);
        if (!b)
            return CKP_FAIL(err, CKP_ERR_NOMEM, "benefit: cannot allocate %zu values", n);
    }
    for (size_t i = 0; i < n; i++)
        b[i] = base[i] - policy[i];
    st = benefit_path_order(b, n, antithetic, has_cost, annual_cost, T, out, err);
    if (st == CKP_OK) {
        double *tmp = n >= 64 ? malloc(n * sizeof *tmp) : NULL;
        if (n >= 64 && !tmp) {
            st = CKP_FAIL(err, CKP_ERR_NOMEM, "benefit: cannot allocate %zu values", n);
        } else {
            ckp_sort_doubles(b, n, tmp);
            for (int k = 0; k < CKP_NQUANTILES; k++)
                out->q[k] = ckp_quantile_sorted(b, n, CKP_QUANTILE_PROBS[k]);
        }
        free(tmp);
    }
    if (!scratch)
        free(b);
    return st;
}

ckp_status ckp_benefit_compute_inplace(double *b, size_t n, int antithetic, int has_cost,
                                       double annual_cost, int T, ckp_benefit *out,
                                       ckp_error *err)
{
    if (!out || (n > 0 && !b))
        return CKP_FAIL(err, CKP_ERR_USAGE, "benefit: NULL values or result");
    ckp_status st = benefit_args(n, antithetic, has_cost, annual_cost, T, err);
    if (st != CKP_OK)
        return st;
    out->has_bcr = 0;
    out->bcr = NAN;
    if (n == 0) {
        benefit_empty(out);
        return CKP_OK;
    }
    if ((st = benefit_path_order(b, n, antithetic, has_cost, annual_cost, T, out, err)) !=
            CKP_OK ||
        (st = ckp_sort_doubles_inplace(b, n, err)) != CKP_OK)
        return st;
    for (int k = 0; k < CKP_NQUANTILES; k++)
        out->q[k] = ckp_quantile_sorted(b, n, CKP_QUANTILE_PROBS[k]);
    return CKP_OK;
}
