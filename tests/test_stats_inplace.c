/* Unit tests of the in-place summaries (stats.h: ckp_summary_compute_inplace,
 * ckp_benefit_compute_inplace), which the HDF5 writer uses to keep a single
 * path-length array: every figure must be bit for bit that of the copying
 * functions, and the array must end up exactly as a stable sort leaves it,
 * signed zeros included (in path order), on data with many ties, both zeros,
 * negative values, very different magnitudes and sizes around the cut-over
 * from insertion sort to radix sort. */
#include "chokepoint/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: a fixed, reproducible test stream. */
static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double unif(void)
{
    return (double)(next_u64() >> 11) * 0x1.0p-53;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Stable merge sort by `<` (the order the copying summary produces). */
static void merge_sort(double *a, double *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(a, tmp, h);
    merge_sort(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

enum { D_SPREAD, D_TIES, D_ZEROS, D_LOSS, D_EQUAL, D_NEGZERO, D_COUNT };
static const char *dist_name[D_COUNT] = {"spread", "ties", "zeros", "loss", "equal", "negzero"};

static void fill(double *x, size_t n, int dist)
{
    static const double pool[] = {-3.5, -1.0, -0.0, 0.0, 0.0, 1e-300, 0.25, 2.0, 7.0, 1e9};
    for (size_t i = 0; i < n; i++) {
        switch (dist) {
        case D_SPREAD: /* signs and magnitudes from 1e-6 to 1e6 */
            x[i] = (unif() < 0.3 ? -1.0 : 1.0) * pow(10.0, 12.0 * unif() - 6.0);
            break;
        case D_TIES:
            x[i] = pool[next_u64() % (sizeof pool / sizeof pool[0])];
            break;
        case D_ZEROS: /* only signed zeros */
            x[i] = (next_u64() & 1) ? -0.0 : 0.0;
            break;
        case D_LOSS: /* like a loss column: most paths exactly 0, the rest spread */
            x[i] = unif() < 0.7 ? 0.0 : 1e3 * unif() * unif();
            if (i % 97 == 5)
                x[i] = -0.0;
            break;
        case D_EQUAL:
            x[i] = 42.125;
            break;
        default: /* D_NEGZERO: -0.0 and positives, no +0.0 */
            x[i] = unif() < 0.5 ? -0.0 : unif();
            break;
        }
    }
}

static void compare_summary(const ckp_summary *a, const ckp_summary *b, const char *what)
{
    const double va[] = {a->count, a->mean, a->sd, a->se, a->min, a->max,
                         a->var95, a->cvar95, a->var99, a->cvar99};
    const double vb[] = {b->count, b->mean, b->sd, b->se, b->min, b->max,
                         b->var95, b->cvar95, b->var99, b->cvar99};
    for (size_t i = 0; i < sizeof va / sizeof va[0]; i++)
        CHECK(same_bits(va[i], vb[i]), "%s: field %zu: %.17g vs %.17g", what, i, va[i], vb[i]);
    for (int k = 0; k < CKP_NQUANTILES; k++)
        CHECK(same_bits(a->q[k], b->q[k]), "%s: q[%d]: %.17g vs %.17g", what, k, a->q[k],
              b->q[k]);
}

static void test_summary_equal(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 47, 48, 63, 64, 65, 300, 5000, 100000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y),
               *tmp = malloc((n + 1) * sizeof *tmp);
        for (int d = 0; d < D_COUNT; d++) {
            for (int anti = 0; anti < 2; anti++) {
                if (anti && n % 2)
                    continue;
                char what[96];
                snprintf(what, sizeof what, "summary n=%zu %s anti=%d", n, dist_name[d], anti);
                fill(x, n, d);
                if (n)
                    memcpy(y, x, n * sizeof *x);
                ckp_summary s1, s2;
                ckp_error err;
                CHECK(ckp_summary_compute(x, n, anti, NULL, &s1, &err) == CKP_OK, "%s: %s",
                      what, err.message);
                CHECK(ckp_summary_compute_inplace(y, n, anti, &s2, &err) == CKP_OK, "%s: %s",
                      what, err.message);
                compare_summary(&s1, &s2, what);
                /* The array is left exactly as a stable sort leaves it. */
                merge_sort(x, tmp, n);
                size_t bad = n;
                for (size_t i = 0; i < n && bad == n; i++)
                    if (!same_bits(x[i], y[i]))
                        bad = i;
                CHECK(bad == n, "%s: sorted array differs at %zu: %.17g vs %.17g", what, bad,
                      bad < n ? x[bad] : 0.0, bad < n ? y[bad] : 0.0);
            }
        }
        free(x);
        free(y);
        free(tmp);
    }
}

/* The zero run keeps the signs of path order: check one case by hand. */
static void test_zero_signs(void)
{
    double v[100];
    for (int i = 0; i < 100; i++)
        v[i] = (double)(100 - i);
    v[10] = -0.0;
    v[20] = 0.0;
    v[30] = -0.0;
    v[40] = -1.0;
    ckp_summary s;
    ckp_error err;
    CHECK(ckp_summary_compute_inplace(v, 100, 0, &s, &err) == CKP_OK, "%s", err.message);
    CHECK(v[0] == -1.0 && signbit(v[1]) && !signbit(v[2]) && signbit(v[3]) && v[4] == 1.0,
          "zero run: %g %g %g %g %g", v[0], v[1], v[2], v[3], v[4]);
    CHECK(s.min == -1.0 && s.max == 100.0, "min %g max %g", s.min, s.max);
}

static void test_benefit_equal(void)
{
    static const size_t sizes[] = {0, 1, 2, 64, 65, 1000, 50000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *base = malloc((n + 1) * sizeof *base), *pol = malloc((n + 1) * sizeof *pol),
               *b = malloc((n + 1) * sizeof *b);
        for (int d = 0; d < D_COUNT; d++) {
            for (int anti = 0; anti < 2; anti++) {
                if (anti && n % 2)
                    continue;
                char what[96];
                snprintf(what, sizeof what, "benefit n=%zu %s anti=%d", n, dist_name[d], anti);
                fill(base, n, d);
                fill(pol, n, d);
                for (size_t i = 0; i < n; i++) {
                    if (i % 3 == 0) /* equal losses: benefit exactly 0 */
                        pol[i] = base[i];
                    b[i] = base[i] - pol[i];
                }
                ckp_benefit b1, b2;
                ckp_error err;
                int cost = d % 2;
                CHECK(ckp_benefit_compute(base, pol, n, anti, cost, 1e4, 60, NULL, &b1, &err) ==
                          CKP_OK,
                      "%s: %s", what, err.message);
                CHECK(ckp_benefit_compute_inplace(b, n, anti, cost, 1e4, 60, &b2, &err) ==
                          CKP_OK,
                      "%s: %s", what, err.message);
                CHECK(same_bits(b1.mean, b2.mean) && same_bits(b1.se, b2.se) &&
                          same_bits(b1.p_positive, b2.p_positive) && b1.has_bcr == b2.has_bcr &&
                          same_bits(b1.bcr, b2.bcr),
                      "%s: mean %.17g/%.17g se %.17g/%.17g p %.17g/%.17g", what, b1.mean,
                      b2.mean, b1.se, b2.se, b1.p_positive, b2.p_positive);
                for (int k = 0; k < CKP_NQUANTILES; k++)
                    CHECK(same_bits(b1.q[k], b2.q[k]), "%s: q[%d] %.17g vs %.17g", what, k,
                          b1.q[k], b2.q[k]);
            }
        }
        free(base);
        free(pol);
        free(b);
    }
}

static void test_errors(void)
{
    ckp_summary s;
    ckp_benefit b;
    ckp_error err;
    double v[70];
    for (int i = 0; i < 70; i++)
        v[i] = i;
    v[33] = NAN;
    CHECK(ckp_summary_compute_inplace(v, 70, 0, &s, &err) == CKP_ERR_NUMERIC, "NaN accepted");
    CHECK(strstr(err.message, "path 33") != NULL, "message: %s", err.message);
    v[33] = INFINITY;
    CHECK(ckp_benefit_compute_inplace(v, 70, 0, 0, 0.0, 12, &b, &err) == CKP_ERR_NUMERIC,
          "inf benefit accepted");
    v[33] = 1.0;
    CHECK(ckp_summary_compute_inplace(v, 3, 1, &s, &err) == CKP_ERR_USAGE, "odd antithetic");
    CHECK(ckp_benefit_compute_inplace(v, 3, 1, 0, 0.0, 12, &b, &err) == CKP_ERR_USAGE,
          "odd antithetic benefit");
    CHECK(ckp_benefit_compute_inplace(v, 4, 0, 1, -1.0, 12, &b, &err) == CKP_ERR_USAGE,
          "negative cost");
    CHECK(ckp_benefit_compute_inplace(v, 4, 0, 1, 1.0, 0, &b, &err) == CKP_ERR_USAGE,
          "T = 0 with a cost");
    CHECK(ckp_summary_compute_inplace(NULL, 4, 0, &s, &err) == CKP_ERR_USAGE, "NULL values");
    CHECK(ckp_benefit_compute_inplace(NULL, 4, 0, 0, 0.0, 12, &b, &err) == CKP_ERR_USAGE,
          "NULL benefits");
}

int main(void)
{
    test_summary_equal();
    test_zero_signs();
    test_benefit_equal();
    test_errors();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
