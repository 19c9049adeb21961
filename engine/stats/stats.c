/* chokepoint: summaries over paths (MODEL.md sections 5 and 6).
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
 *   usage error;
 * - the fan-chart quantile for p <= 0 is the upper edge of the first
 *   non-empty bin (the literal rule would return bin 0 even when empty). */
#include "chokepoint/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- sorting ----
 * A stable LSD radix sort of finite doubles by order-preserving 64-bit keys:
 * six passes of 11 bits (the last 9), each skipped when every key shares that
 * digit. It sorts exactly as a stable sort with cmp_double does: -0.0 is given
 * the key of +0.0, so the two zeros compare equal and keep their input order
 * (as glibc's merge-sort qsort kept them), and the values moved are the
 * original bits. Quantiles, min and max are therefore bit for bit those of
 * the comparison sort, at a fraction of its cost on 10^4..10^6 values. */

#define RADIX_BITS 11
#define RADIX_PASSES 6
#define RADIX_SIZE (1u << RADIX_BITS)
#define SIGN_BIT 0x8000000000000000u

static uint64_t double_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static uint64_t sort_key(uint64_t u)
{
    if (u == SIGN_BIT) /* -0.0 sorts with +0.0 */
        u = 0;
    /* Negative: flip all bits (larger magnitude sorts first); positive: set the
     * sign bit so that positives follow negatives. */
    uint64_t neg = (uint64_t)0 - (u >> 63);
    return u ^ (neg | SIGN_BIT);
}

/* Stable insertion sort for short arrays (the same order as the radix sort). */
static void insertion_sort(double *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* Sort the n finite doubles of a ascending; tmp holds n doubles. */
static void sort_doubles(double *a, size_t n, double *tmp)
{
    if (n < 64) {
        insertion_sort(a, n);
        return;
    }
    if (n > UINT32_MAX) { /* counts are 32-bit; never reached in practice */
        qsort(a, n, sizeof *a, cmp_double);
        return;
    }
    uint32_t count[RADIX_PASSES][RADIX_SIZE];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = sort_key(double_bits(a[i]));
        for (int p = 0; p < RADIX_PASSES; p++)
            count[p][(k >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
    }
    double *src = a, *dst = tmp;
    for (int p = 0; p < RADIX_PASSES; p++) {
        uint32_t *c = count[p];
        int shift = p * RADIX_BITS;
        /* One digit value shared by all keys: this pass would not move anything. */
        if (c[(sort_key(double_bits(src[0])) >> shift) & (RADIX_SIZE - 1)] == n)
            continue;
        uint32_t sum = 0;
        for (unsigned d = 0; d < RADIX_SIZE; d++) {
            uint32_t t = c[d];
            c[d] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) {
            double v = src[i];
            dst[c[(sort_key(double_bits(v)) >> shift) & (RADIX_SIZE - 1)]++] = v;
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* ---- sorting in place ----
 * The same order as sort_doubles without its n-double buffer, for callers
 * that hold one path-length array and no more (the HDF5 writer at 10^6
 * paths). The values are turned into their sort keys in place, sorted by an
 * in-place most-significant-digit radix sort (American flag sort, 8-bit
 * digits) and turned back. That sort is not stable, but two keys are equal
 * only when the values are bitwise equal, except -0.0 and +0.0 which share
 * one key: so the result is the stable sort's, bit for bit, once the run of
 * zeros is given the signs it had in path order. Those are recorded before
 * sorting in a bitmap of one bit per zero, and only when both zeros occur. */

static uint64_t load_bits(const double *p)
{
    uint64_t u;
    memcpy(&u, p, sizeof u);
    return u;
}

static void store_bits(double *p, uint64_t u)
{
    memcpy(p, &u, sizeof u);
}

static uint64_t key_to_bits(uint64_t k)
{
    /* Inverse of sort_key (-0.0 comes back as +0.0). */
    return (k & SIGN_BIT) ? k ^ SIGN_BIT : ~k;
}

#define FLAG_SMALL 48 /* buckets below this size: insertion sort on the keys */

static void flag_sort(double *a, size_t n, int shift)
{
    if (n < FLAG_SMALL) {
        for (size_t i = 1; i < n; i++) {
            uint64_t v = load_bits(a + i);
            size_t j = i;
            for (; j > 0 && load_bits(a + j - 1) > v; j--)
                store_bits(a + j, load_bits(a + j - 1));
            store_bits(a + j, v);
        }
        return;
    }
    for (;;) {
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++)
            count[(load_bits(a + i) >> shift) & 255]++;
        /* One digit shared by all keys: nothing to move at this digit. */
        if (count[(load_bits(a) >> shift) & 255] == n) {
            if (shift == 0)
                return;
            shift -= 8;
            continue;
        }
        size_t next[256], end[256], sum = 0;
        for (int d = 0; d < 256; d++) {
            next[d] = sum;
            sum += count[d];
            end[d] = sum;
        }
        /* Cycle every key into its bucket: each move places one key for good. */
        for (int d = 0; d < 256; d++) {
            while (next[d] < end[d]) {
                uint64_t v = load_bits(a + next[d]);
                unsigned dv = (unsigned)(v >> shift) & 255;
                while (dv != (unsigned)d) {
                    uint64_t t = load_bits(a + next[dv]);
                    store_bits(a + next[dv]++, v);
                    v = t;
                    dv = (unsigned)(v >> shift) & 255;
                }
                store_bits(a + next[d]++, v);
            }
        }
        if (shift == 0)
            return;
        for (int d = 0; d < 256; d++)
            if (count[d] > 1)
                flag_sort(a + end[d] - count[d], count[d], shift - 8);
        return;
    }
}

/* Sort the n finite doubles of a ascending in place, exactly as sort_doubles. */
static ckp_status sort_doubles_inplace(double *a, size_t n, ckp_error *err)
{
    if (n < 64) { /* as sort_doubles: the stable insertion sort */
        insertion_sort(a, n);
        return CKP_OK;
    }
    size_t neg0 = 0, pos0 = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u = load_bits(a + i);
        neg0 += u == SIGN_BIT;
        pos0 += u == 0;
    }
    unsigned char *sign = NULL;
    if (neg0 && pos0) {
        sign = calloc((neg0 + pos0 + 7) / 8, 1);
        if (!sign)
            return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                                 "summary: cannot allocate the signs of %zu zeros",
                                 neg0 + pos0);
        size_t z = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t u = load_bits(a + i);
            if (u == SIGN_BIT || u == 0) {
                if (u)
                    sign[z / 8] |= (unsigned char)(1u << (z % 8));
                z++;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        store_bits(a + i, sort_key(load_bits(a + i)));
    flag_sort(a, n, 56);
    for (size_t i = 0; i < n; i++)
        store_bits(a + i, key_to_bits(load_bits(a + i)));
    if (neg0) {
        /* The zeros are contiguous and all +0.0 now; give them their signs. */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (a[mid] >= 0.0)
                hi = mid;
            else
                lo = mid + 1;
        }
        for (size_t z = 0; z < neg0 + pos0; z++)
            a[lo + z] = (!sign || (sign[z / 8] >> (z % 8) & 1u)) ? -0.0 : 0.0;
    }
    free(sign);
    return CKP_OK;
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
            return ckp_error_set(err, CKP_ERR_NUMERIC, NULL, 0, 0, NULL,
                                 "%s: value of path %zu is %s; statistics need finite values",
                                 what, i, isnan(x[i]) ? "NaN" : "infinite");
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
 * (MODEL.md section 6), read off the sorted array. */
static void var_cvar(const double *sorted, size_t n, double a, double *var, double *cvar)
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
    var_cvar(sorted, n, 0.95, &out->var95, &out->cvar95);
    var_cvar(sorted, n, 0.99, &out->var99, &out->cvar99);
}

/* Checks and the path-order figures (mean, sd, se). Sets *empty for n = 0,
 * whose figures are then all filled in. */
static ckp_status summary_path_order(const double *x, size_t n, int antithetic,
                                     ckp_summary *out, int *empty, ckp_error *err)
{
    *empty = 1;
    if (!out || (n > 0 && !x))
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "summary: NULL values or result");
    if (antithetic && n % 2 != 0)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "summary: antithetic pairs need an even number of paths, got %zu",
                             n);
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
            return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                                 "summary: cannot allocate %zu values", n);
    }
    memcpy(buf, x, n * sizeof *buf);
    double *tmp = n >= 64 ? malloc(n * sizeof *tmp) : NULL;
    if (n >= 64 && !tmp) {
        if (!scratch)
            free(buf);
        return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                             "summary: cannot allocate %zu values", n);
    }
    sort_doubles(buf, n, tmp);
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
    if ((st = sort_doubles_inplace(x, n, err)) != CKP_OK)
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
    for (int k = 0; k <= L; k++)
        levels[k] = (double)k * max / (double)L;

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
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "benefit: antithetic pairs need an even number of paths, got %zu",
                             n);
    if (has_cost && (!isfinite(annual_cost) || annual_cost < 0.0))
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "benefit: annual cost must be a finite number >= 0, got %g",
                             annual_cost);
    if (has_cost && T <= 0)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "benefit: horizon must be positive for a benefit-cost ratio, got %d",
                             T);
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
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "benefit: NULL values or result");
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
            return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                                 "benefit: cannot allocate %zu values", n);
    }
    for (size_t i = 0; i < n; i++)
        b[i] = base[i] - policy[i];
    st = benefit_path_order(b, n, antithetic, has_cost, annual_cost, T, out, err);
    if (st == CKP_OK) {
        double *tmp = n >= 64 ? malloc(n * sizeof *tmp) : NULL;
        if (n >= 64 && !tmp) {
            st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                               "benefit: cannot allocate %zu values", n);
        } else {
            sort_doubles(b, n, tmp);
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
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "benefit: NULL values or result");
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
        (st = sort_doubles_inplace(b, n, err)) != CKP_OK)
        return st;
    for (int k = 0; k < CKP_NQUANTILES; k++)
        out->q[k] = ckp_quantile_sorted(b, n, CKP_QUANTILE_PROBS[k]);
    return CKP_OK;
}

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
    uint64_t u = double_bits(v);
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
