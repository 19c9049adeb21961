/* Unit tests of the stats module: hand-checkable summaries, quantiles,
 * VaR/CVaR, antithetic and paired standard errors, exceedance curves,
 * histogram bins and the fan-chart quantile, plus the edge cases (n = 0,
 * n = 1, all equal, NaN refused). */
#include "chokepoint/stats.h"
#include "engine/stats/hist_impl.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol * (1.0 + fabs(b));
}

static void test_quantile(void)
{
    const double x[5] = {1, 2, 3, 4, 5};
    CHECK(ckp_quantile_sorted(x, 5, 0.5) == 3.0, "median");
    CHECK(ckp_quantile_sorted(x, 5, 0.0) == 1.0, "p = 0");
    CHECK(ckp_quantile_sorted(x, 5, 1.0) == 5.0, "p = 1");
    /* (n-1) p = 0.4: 1 + 0.4 (2 - 1). */
    CHECK(near(ckp_quantile_sorted(x, 5, 0.1), 1.4, 1e-15), "p = 0.1: %.17g",
          ckp_quantile_sorted(x, 5, 0.1));
    /* (n-1) p = 3.996: weight >= 0.5 so numpy interpolates from above: 5 - 0.004. */
    CHECK(near(ckp_quantile_sorted(x, 5, 0.999), 4.996, 1e-15), "p = 0.999");
    CHECK(ckp_quantile_sorted(x, 5, 0.25) == 2.0, "p = 0.25 on a knot");
    CHECK(ckp_quantile_sorted(x, 1, 0.7) == 1.0, "n = 1");
    CHECK(isnan(ckp_quantile_sorted(x, 0, 0.5)), "n = 0");
    CHECK(isnan(ckp_quantile_sorted(x, 5, -0.1)) && isnan(ckp_quantile_sorted(x, 5, 1.5)) &&
              isnan(ckp_quantile_sorted(x, 5, NAN)),
          "p outside [0, 1]");
    /* Equal neighbours give exactly their value. */
    const double e[4] = {0.1, 0.1, 0.1, 0.1};
    CHECK(ckp_quantile_sorted(e, 4, 0.37) == 0.1, "equal values");
}

static void test_summary_basic(void)
{
    ckp_error err;
    ckp_summary s;
    const double x[4] = {4, 1, 3, 2}; /* path order is not sorted order */
    double scratch[4];
    CHECK(ckp_summary_compute(x, 4, 0, scratch, &s, &err) == CKP_OK, "%s", err.message);
    CHECK(s.count == 4 && s.mean == 2.5 && s.min == 1 && s.max == 4, "count/mean/min/max");
    /* sd = sqrt(((1.5^2 + 0.5^2) * 2) / 3) = sqrt(5/3). */
    CHECK(near(s.sd, sqrt(5.0 / 3.0), 1e-15), "sd %.17g", s.sd);
    CHECK(near(s.se, sqrt(5.0 / 3.0) / 2.0, 1e-15), "se %.17g", s.se);
    CHECK(near(s.q[4], 1.75, 1e-15) && s.q[5] == 2.5 && near(s.q[6], 3.25, 1e-15),
          "quartiles %g %g %g", s.q[4], s.q[5], s.q[6]);
    /* VaR95 = quantile 0.95: h = 2.85, 4 - 0.15 = 3.85; CVaR = mean{4} = 4. */
    CHECK(near(s.var95, 3.85, 1e-15) && s.cvar95 == 4.0, "VaR95 %g CVaR95 %g", s.var95,
          s.cvar95);
    CHECK(near(s.var99, 3.97, 1e-15) && s.cvar99 == 4.0, "VaR99 %g CVaR99 %g", s.var99,
          s.cvar99);
    CHECK(x[0] == 4 && x[3] == 2, "input modified");

    /* 0..99: VaR95 = 94.05, CVaR95 = mean(95..99) = 97; VaR99 = 98.01, CVaR99 = 99. */
    double y[100];
    for (int i = 0; i < 100; i++)
        y[i] = (double)((i * 37) % 100); /* a permutation of 0..99 */
    CHECK(ckp_summary_compute(y, 100, 0, NULL, &s, &err) == CKP_OK, "%s", err.message);
    CHECK(s.mean == 49.5 && s.min == 0 && s.max == 99, "0..99 basics");
    CHECK(near(s.var95, 94.05, 1e-15) && s.cvar95 == 97.0, "0..99 VaR95 %.17g CVaR95 %.17g",
          s.var95, s.cvar95);
    CHECK(near(s.var99, 98.01, 1e-15) && s.cvar99 == 99.0, "0..99 VaR99 %.17g CVaR99 %.17g",
          s.var99, s.cvar99);
    /* sd of 0..99 = sqrt(n (n + 1) / 12) with n = 100 -> sqrt(841.666...). */
    CHECK(near(s.sd, sqrt(100.0 * 101.0 / 12.0), 1e-15), "0..99 sd %.17g", s.sd);
    CHECK(near(s.q[0], 0.099, 1e-13) && near(s.q[10], 98.901, 1e-15), "0..99 tails %.17g %.17g",
          s.q[0], s.q[10]);

    /* CVaR with ties at the VaR includes every tied value ("at or above"). */
    const double t[5] = {1, 2, 2, 2, 2};
    CHECK(ckp_summary_compute(t, 5, 0, NULL, &s, &err) == CKP_OK, "%s", err.message);
    CHECK(s.var95 == 2.0 && s.cvar95 == 2.0, "ties: VaR %g CVaR %g", s.var95, s.cvar95);
}

static void test_summary_edges(void)
{
    ckp_error err;
    ckp_summary s;

    /* n = 0: NaNs, count 0, not an error. */
    CHECK(ckp_summary_compute(NULL, 0, 0, NULL, &s, &err) == CKP_OK, "n = 0 status");
    CHECK(s.count == 0 && isnan(s.mean) && isnan(s.sd) && isnan(s.q[5]) && isnan(s.cvar99),
          "n = 0 values");

    /* n = 1: sd and se undefined (ddof = 1); location figures are the value. */
    const double one = 7.5;
    CHECK(ckp_summary_compute(&one, 1, 0, NULL, &s, &err) == CKP_OK, "n = 1 status");
    CHECK(s.mean == 7.5 && isnan(s.sd) && isnan(s.se) && s.min == 7.5 && s.max == 7.5,
          "n = 1 values");
    int allq = 1;
    for (int k = 0; k < CKP_NQUANTILES; k++)
        allq &= s.q[k] == 7.5;
    CHECK(allq && s.var95 == 7.5 && s.cvar99 == 7.5, "n = 1 quantiles");

    /* All equal: sd exactly 0, every quantile the value. */
    double eq[1000];
    for (int i = 0; i < 1000; i++)
        eq[i] = 0.1;
    CHECK(ckp_summary_compute(eq, 1000, 0, NULL, &s, &err) == CKP_OK, "equal status");
    CHECK(s.mean == 0.1, "equal mean %.17g", s.mean);
    CHECK(s.sd == 0.0 && s.se == 0.0, "equal sd %.17g", s.sd);
    allq = 1;
    for (int k = 0; k < CKP_NQUANTILES; k++)
        allq &= s.q[k] == 0.1;
    CHECK(allq && s.var99 == 0.1 && s.cvar95 == 0.1, "equal quantiles");

    /* NaN and infinities are refused with a message naming the path. */
    double bad[4] = {1, 2, NAN, 4};
    ckp_error_clear(&err);
    CHECK(ckp_summary_compute(bad, 4, 0, NULL, &s, &err) == CKP_ERR_NUMERIC, "NaN accepted");
    CHECK(err.code == CKP_ERR_NUMERIC && strstr(err.message, "path 2") &&
              strstr(err.message, "NaN"),
          "NaN message: %s", err.message);
    bad[2] = -INFINITY;
    CHECK(ckp_summary_compute(bad, 4, 0, NULL, &s, NULL) == CKP_ERR_NUMERIC, "inf accepted");

    /* Antithetic with an odd count is a usage error. */
    const double three[3] = {1, 2, 3};
    CHECK(ckp_summary_compute(three, 3, 1, NULL, &s, &err) == CKP_ERR_USAGE, "odd antithetic");

    /* Compensated sums: [1e16, 1, -1e16, 1] has mean exactly 0.5 (a plain
     * left-to-right sum gives 0.25 or 0). */
    const double c[4] = {1e16, 1.0, -1e16, 1.0};
    CHECK(ckp_summary_compute(c, 4, 0, NULL, &s, &err) == CKP_OK, "cancel status");
    CHECK(s.mean == 0.5, "compensated mean %.17g", s.mean);

    /* scratch NULL and provided give identical bits. */
    double y[257], scr[257];
    for (int i = 0; i < 257; i++)
        y[i] = sin(i * 1.7) * exp(i % 13);
    ckp_summary s1, s2;
    ckp_summary_compute(y, 257, 0, NULL, &s1, &err);
    ckp_summary_compute(y, 257, 0, scr, &s2, &err);
    CHECK(memcmp(&s1, &s2, sizeof s1) == 0, "scratch changes the result");

    /* Large offset: the two-pass sd is not swamped by the mean. */
    double off[3] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    ckp_summary_compute(off, 3, 0, NULL, &s, &err);
    CHECK(s.sd == 1.0, "offset sd %.17g", s.sd);
}

static void test_antithetic(void)
{
    ckp_error err;
    ckp_summary s;
    /* Pair means 2, 4, 4, 5: mean 3.75, var = 4.75 / 3, se = sqrt(var) / 2. */
    const double x[8] = {1, 3, 2, 6, 4, 4, 10, 0};
    CHECK(ckp_summary_compute(x, 8, 1, NULL, &s, &err) == CKP_OK, "%s", err.message);
    CHECK(s.mean == 3.75, "mean");
    CHECK(near(s.se, sqrt(4.75 / 3.0) / 2.0, 1e-15), "antithetic se %.17g", s.se);
    /* sd stays the per-path sd. */
    CHECK(ckp_summary_compute(x, 8, 0, NULL, &s, &err) == CKP_OK, "plain");
    double m = 3.75, ss = 0;
    for (int i = 0; i < 8; i++)
        ss += (x[i] - m) * (x[i] - m);
    CHECK(near(s.sd, sqrt(ss / 7.0), 1e-15), "sd %.17g", s.sd);
    /* One pair: the se of a single pair mean is undefined. */
    CHECK(ckp_summary_compute(x, 2, 1, NULL, &s, &err) == CKP_OK && isnan(s.se), "one pair");
}

static void brute_exceed(const double *x, size_t n, const double *levels, double *prob)
{
    for (int k = 0; k < CKP_EXCEEDANCE_LEVELS; k++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            c += x[i] > levels[k];
        prob[k] = (double)c / (double)n;
    }
}

static void test_exceedance(void)
{
    double levels[CKP_EXCEEDANCE_LEVELS], prob[CKP_EXCEEDANCE_LEVELS], want[CKP_EXCEEDANCE_LEVELS];
    const double x[4] = {0, 10, 0, 5};
    ckp_exceedance(x, 4, levels, prob);
    CHECK(levels[0] == 0 && levels[100] == 10 && near(levels[50], 5.0, 1e-15), "levels");
    CHECK(prob[0] == 0.5 && prob[49] == 0.5 && prob[50] == 0.25 && prob[99] == 0.25 &&
              prob[100] == 0.0,
          "probs %g %g %g %g %g", prob[0], prob[49], prob[50], prob[99], prob[100]);

    /* Against the definition on awkward data: values on the levels, negatives,
     * duplicates. */
    double y[1000];
    const double mx = 7.3;
    for (int i = 0; i < 1000; i++) {
        int k = (i * 7919) % 101;
        if (i % 3 == 0)
            y[i] = (double)k * mx / 100.0; /* exactly on a level */
        else if (i % 3 == 1)
            y[i] = nextafter((double)k * mx / 100.0, 0.0);
        else
            y[i] = mx * sin(i) * 0.9;
    }
    y[17] = mx;
    ckp_exceedance(y, 1000, levels, prob);
    brute_exceed(y, 1000, levels, want);
    CHECK(memcmp(prob, want, sizeof prob) == 0, "exceedance differs from the definition");
    CHECK(levels[100] == mx, "top level is the max");
    int mono = 1;
    for (int k = 1; k < CKP_EXCEEDANCE_LEVELS; k++)
        mono &= prob[k] <= prob[k - 1];
    CHECK(mono, "exceedance not decreasing");

    /* All zero losses: every level 0, no exceedance. All negative: levels go
     * down to the max. */
    const double z[3] = {0, 0, 0};
    ckp_exceedance(z, 3, levels, prob);
    CHECK(levels[100] == 0 && prob[0] == 0 && prob[100] == 0, "all zero");
    const double neg[3] = {-1, -2, -4};
    ckp_exceedance(neg, 3, levels, prob);
    brute_exceed(neg, 3, levels, want);
    CHECK(memcmp(prob, want, sizeof prob) == 0 && levels[100] == -1, "negative values");
    ckp_exceedance(NULL, 0, levels, prob);
    CHECK(isnan(levels[0]) && isnan(prob[0]), "n = 0");
}

static void test_benefit(void)
{
    ckp_error err;
    ckp_benefit b;
    const double base[4] = {10, 10, 10, 10}, pol[4] = {4, 12, 10, 6};
    /* benefit = 6, -2, 0, 4: mean 2, P(> 0) = 0.5, sd = sqrt(40 / 3), se = sd / 2. */
    CHECK(ckp_benefit_compute(base, pol, 4, 0, 1, 1.0, 24, NULL, &b, &err) == CKP_OK, "%s",
          err.message);
    CHECK(b.mean == 2.0 && b.p_positive == 0.5, "mean %g p %g", b.mean, b.p_positive);
    CHECK(near(b.se, sqrt(40.0 / 3.0) / 2.0, 1e-15), "paired se %.17g", b.se);
    /* BCR = 2 / (1 * 24 / 12) = 1. */
    CHECK(b.has_bcr && b.bcr == 1.0, "bcr %g", b.bcr);
    CHECK(b.q[5] == 2.0 && near(b.q[0], -1.994, 1e-15), "benefit quantiles %.17g %.17g", b.q[5],
          b.q[0]);

    /* No cost, zero cost: no ratio. Negative cost, bad horizon: usage errors. */
    CHECK(ckp_benefit_compute(base, pol, 4, 0, 0, 0.0, 24, NULL, &b, &err) == CKP_OK &&
              !b.has_bcr && isnan(b.bcr),
          "no cost");
    CHECK(ckp_benefit_compute(base, pol, 4, 0, 1, 0.0, 24, NULL, &b, &err) == CKP_OK && !b.has_bcr,
          "zero cost");
    CHECK(ckp_benefit_compute(base, pol, 4, 0, 1, -5.0, 24, NULL, &b, &err) == CKP_ERR_USAGE,
          "negative cost accepted");
    CHECK(ckp_benefit_compute(base, pol, 4, 0, 1, 5.0, 0, NULL, &b, &err) == CKP_ERR_USAGE,
          "T = 0 accepted");
    CHECK(ckp_benefit_compute(base, pol, 3, 1, 0, 0.0, 24, NULL, &b, &err) == CKP_ERR_USAGE,
          "odd antithetic accepted");
    const double polnan[4] = {4, NAN, 10, 6};
    CHECK(ckp_benefit_compute(base, polnan, 4, 0, 0, 0.0, 24, NULL, &b, &err) ==
                  CKP_ERR_NUMERIC &&
              strstr(err.message, "path 1"),
          "NaN policy: %s", err.message);
    const double huge_b[2] = {DBL_MAX, DBL_MAX}, huge_p[2] = {-DBL_MAX, 0};
    CHECK(ckp_benefit_compute(huge_b, huge_p, 2, 0, 0, 0.0, 24, NULL, &b, &err) ==
              CKP_ERR_NUMERIC,
          "overflowing difference accepted");
    CHECK(ckp_benefit_compute(NULL, NULL, 0, 0, 1, 1.0, 12, NULL, &b, &err) == CKP_OK &&
              isnan(b.mean) && !b.has_bcr,
          "n = 0");

    /* Common random numbers: when the policy tracks the baseline, the paired
     * se is far below the unpaired one. */
    double bb[200], pp[200], scratch[200];
    for (int i = 0; i < 200; i++) {
        bb[i] = 100.0 + 50.0 * sin(i * 0.37);
        pp[i] = 0.9 * bb[i];
    }
    CHECK(ckp_benefit_compute(bb, pp, 200, 0, 0, 0.0, 12, scratch, &b, &err) == CKP_OK, "crn");
    ckp_summary sb;
    ckp_summary_compute(bb, 200, 0, NULL, &sb, &err);
    CHECK(b.se < 0.2 * sb.se, "paired se %g vs baseline se %g", b.se, sb.se);
    CHECK(near(b.se, 0.1 * sb.se, 1e-12), "benefit = 0.1 base: se %g vs %g", b.se, 0.1 * sb.se);
}

static void test_hist_unit(void)
{
    double e[CKP_HIST_BINS];
    ckp_hist_edges_unit(e);
    CHECK(e[0] == 0.0 && e[100] == 1.0 && e[1] == 0.01, "unit edges");
    CHECK(ckp_hist_bin_unit(0.0) == 0 && ckp_hist_bin_unit(-0.0) == 0, "exact zero");
    CHECK(ckp_hist_bin_unit(1e-300) == 1, "tiny positive");
    CHECK(ckp_hist_bin_unit(1.0) == 100 && ckp_hist_bin_unit(nextafter(1.0, 2.0)) == 101,
          "top");
    CHECK(ckp_hist_bin_unit(0.07) == 7, "0.07 is on edge 7 (v * 100 rounds above 7)");
    CHECK(ckp_hist_bin_unit(NAN) == 101, "NaN goes to the out-of-range bin");
    int bad = 0;
    for (int k = 1; k <= 100; k++) {
        /* Right-closed: the edge itself is in bin k, the next double in k + 1. */
        if (ckp_hist_bin_unit(e[k]) != k)
            bad++;
        if (k < 100 && ckp_hist_bin_unit(nextafter(e[k], 2.0)) != k + 1)
            bad++;
        if (ckp_hist_bin_unit(nextafter(e[k - 1], 2.0)) != k)
            bad++;
        if (e[k] <= e[k - 1])
            bad++;
    }
    CHECK(bad == 0, "%d unit edge misplacements", bad);
}

static void test_hist_price(void)
{
    double e[CKP_HIST_BINS];
    const double cap = 10.0;
    ckp_hist_edges_price(cap, e);
    CHECK(e[0] == 0.1 && e[100] == cap && isinf(e[101]), "price edges ends");
    /* Log-spaced over [0.1, 10]: the middle edge is 1 and each ratio 10^(2/100). */
    CHECK(near(e[50], 1.0, 1e-14), "e[50] = %.17g", e[50]);
    CHECK(near(e[1] / e[0], pow(10.0, 0.02), 1e-14), "ratio");
    CHECK(ckp_hist_bin_price(0.0999, cap) == 0 && ckp_hist_bin_price(0.0, cap) == 0, "below");
    CHECK(ckp_hist_bin_price(0.1, cap) == 1, "0.1 is in bin 1 (closed on both sides)");
    CHECK(ckp_hist_bin_price(cap, cap) == 100, "cap in bin 100");
    CHECK(ckp_hist_bin_price(nextafter(cap, 20.0), cap) == 101, "above cap");
    CHECK(ckp_hist_bin_price(1.0, cap) == 50 || ckp_hist_bin_price(1.0, cap) == 51, "1.0");
    int bad = 0;
    for (int k = 1; k <= 100; k++) {
        if (ckp_hist_bin_price(e[k], cap) != k)
            bad++;
        if (k < 100 && ckp_hist_bin_price(nextafter(e[k], 20.0), cap) != k + 1)
            bad++;
        if (e[k] <= e[k - 1])
            bad++;
    }
    CHECK(bad == 0, "%d price edge misplacements", bad);
    /* An awkward cap. */
    ckp_hist_edges_price(3.7, e);
    bad = 0;
    for (int k = 1; k <= 100; k++)
        bad += ckp_hist_bin_price(e[k], 3.7) != k;
    CHECK(bad == 0 && e[100] == 3.7, "cap 3.7: %d misplacements", bad);
}

static void test_hist_stock(void)
{
    double e[CKP_HIST_BINS];
    const double lmax = 91.3125; /* 3 months of 30.4375 days */
    ckp_hist_edges_stock(lmax, e);
    CHECK(e[0] == 0 && e[100] == lmax && isinf(e[101]), "stock edges ends");
    CHECK(ckp_hist_bin_stock(0.0, lmax) == 0, "empty stockpile");
    CHECK(ckp_hist_bin_stock(lmax, lmax) == 100, "full stockpile");
    CHECK(ckp_hist_bin_stock(nextafter(lmax, 1e9), lmax) == 101, "above Lmax");
    int bad = 0;
    for (int k = 1; k <= 100; k++) {
        if (ckp_hist_bin_stock(e[k], lmax) != k)
            bad++;
        if (k < 100 && ckp_hist_bin_stock(nextafter(e[k], 1e9), lmax) != k + 1)
            bad++;
        if (!near(e[k], k * lmax / 100.0, 1e-15))
            bad++;
    }
    CHECK(bad == 0, "%d stock edge misplacements", bad);
    /* No stockpile at all: 0 days is bin 0, anything else out of range. */
    ckp_hist_edges_stock(0.0, e);
    CHECK(ckp_hist_bin_stock(0.0, 0.0) == 0 && ckp_hist_bin_stock(1.0, 0.0) == 101,
          "zero Lmax");
}

static void test_hist_quantile(void)
{
    double e[CKP_HIST_BINS];
    ckp_hist_edges_unit(e);
    uint64_t c[CKP_HIST_BINS] = {0};
    c[0] = 50;
    c[10] = 30;
    c[100] = 20;
    CHECK(ckp_hist_quantile(c, e, 0.5) == 0.0, "p = 0.5 reached in bin 0");
    CHECK(ckp_hist_quantile(c, e, 0.51) == 0.1, "p = 0.51");
    CHECK(ckp_hist_quantile(c, e, 0.8) == 0.1, "p = 0.8 exactly at the cumulative count");
    CHECK(ckp_hist_quantile(c, e, 0.81) == 1.0, "p = 0.81");
    CHECK(ckp_hist_quantile(c, e, 1.0) == 1.0, "p = 1");
    CHECK(ckp_hist_quantile(c, e, 0.0) == 0.0, "p = 0");
    c[0] = 0;
    CHECK(ckp_hist_quantile(c, e, 0.0) == 0.1, "p = 0 with bin 0 empty: first non-empty");
    memset(c, 0, sizeof c);
    CHECK(isnan(ckp_hist_quantile(c, e, 0.5)), "empty histogram");
}

/* ---- fast binners and the radix sort (added with the output speed work) ---- */

/* The bin by the definition in stats.h, by a linear scan of the stored upper
 * edges e (kind 0 unit, 1 price, 2 stock). */
static int bin_by_scan(int kind, const double *e, double v)
{
    if (isnan(v) || v > e[100])
        return 101;
    if (kind == 1 ? v < e[0] : v <= 0.0)
        return 0;
    for (int k = 1; k <= 100; k++)
        if (v <= e[k])
            return k;
    return 101;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 11;
}

static double unif(uint64_t *s)
{
    return (double)lcg(s) * 0x1p-53;
}

static void test_binner_fast(void)
{
    /* Parameters: ordinary, awkward and degenerate (cap at or below 0.1, an
     * empty or tiny stockpile, huge ranges). */
    const double caps[] = {10.0, 3.7, 5.0, 0.1, 0.05, 0.1000000000000001, 1.234567, 1e6, 2.0};
    const double lmaxs[] = {91.3125, 0.0, 1e-300, 30.4375, 1e9, 7.0, 1.0};
    const int ncaps = (int)(sizeof caps / sizeof caps[0]);
    const int nl = (int)(sizeof lmaxs / sizeof lmaxs[0]);
    uint64_t seed = 12345;
    int bad = 0, cases = 0;
    for (int kind = 0; kind < 3; kind++) {
        int np = kind == 0 ? 1 : kind == 1 ? ncaps : nl;
        for (int pi = 0; pi < np; pi++) {
            double param = kind == 1 ? caps[pi] : kind == 2 ? lmaxs[pi] : 0.0;
            ckp_hist_binner b;
            double e[CKP_HIST_BINS];
            if (kind == 0) {
                ckp_hist_binner_unit(&b);
                ckp_hist_edges_unit(e);
            } else if (kind == 1) {
                ckp_hist_binner_price(&b, param);
                ckp_hist_edges_price(param, e);
            } else {
                ckp_hist_binner_stock(&b, param);
                ckp_hist_edges_stock(param, e);
            }
            int mono = 1;
            for (int k = 1; k <= 100; k++)
                mono &= e[k] >= e[k - 1];
            CHECK(mono, "kind %d param %g: edges not monotone", kind, param);
            CHECK(memcmp(e, b.upper, sizeof e) == 0, "kind %d param %g: binner edges differ",
                  kind, param);
            double vals[2000];
            int nv = 0;
            /* Every edge, its neighbours, and specials. */
            for (int k = 0; k <= 100; k++) {
                vals[nv++] = e[k];
                vals[nv++] = nextafter(e[k], -INFINITY);
                vals[nv++] = nextafter(e[k], INFINITY);
            }
            const double sp[] = {0.0, -0.0, -1.0, NAN, INFINITY, -INFINITY, 1e-310, 0.1,
                                 DBL_MAX, DBL_MIN, 1.0, 100.0};
            for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
                vals[nv++] = sp[i];
            /* Random values over and around the range, log-uniform too. */
            double top = e[100] > 0.0 ? e[100] : 1.0;
            while (nv < 2000) {
                double u = unif(&seed);
                double v = (nv % 2) ? u * 1.2 * top - 0.1 * top
                                    : top * pow(10.0, -8.0 * u) * (1.0 + 0.2 * unif(&seed));
                vals[nv++] = v;
            }
            uint8_t fast[2000];
            const ckp_hist_binner *which[2000];
            for (int i = 0; i < nv; i++)
                which[i] = &b;
            ckp_hist_binner_bins(which, vals, (size_t)nv, fast);
            /* The table binner: besides the values above, both ends of every
             * bucket and their neighbours. */
            ckp_hist_lut lut;
            CHECK(ckp_hist_lut_init(&lut, &b) == 0, "table binner: out of memory");
            int lut_bad = 0;
            for (int64_t i = 0; i < lut.n; i++) {
                uint64_t a = (uint64_t)(lut.base + i) << lut.shift;
                const uint64_t ends[4] = {a, a - 1, a + 1,
                                          ((uint64_t)(lut.base + i + 1) << lut.shift) - 1};
                for (int q = 0; q < 4; q++) {
                    double v;
                    memcpy(&v, &ends[q], sizeof v);
                    for (int sgn = 0; sgn < 2; sgn++, v = -v)
                        if (ckp_hist_lut_bin(&lut, v) != bin_by_scan(kind, e, v))
                            lut_bad++;
                }
            }
            for (int i = 0; i < nv; i++)
                lut_bad += ckp_hist_lut_bin(&lut, vals[i]) != bin_by_scan(kind, e, vals[i]);
            CHECK(lut_bad == 0, "kind %d param %g: %d table bins differ from the definition", kind,
                  param, lut_bad);
            ckp_hist_lut_free(&lut);
            for (int i = 0; i < nv; i++) {
                double v = vals[i];
                int ref = bin_by_scan(kind, e, v);
                int slow = kind == 0   ? ckp_hist_bin_unit(v)
                           : kind == 1 ? ckp_hist_bin_price(v, param)
                                       : ckp_hist_bin_stock(v, param);
                int one = ckp_hist_binner_bin(&b, v);
                cases++;
                if (ref != slow || ref != one || ref != fast[i]) {
                    if (bad++ < 10)
                        fprintf(stderr, "kind %d param %.17g v %.17g: scan %d slow %d fast %d %d\n",
                                kind, param, v, ref, slow, one, fast[i]);
                }
            }
        }
    }
    CHECK(bad == 0, "%d of %d fast bins differ from the definition", bad, cases);
}

/* Reference: a stable insertion sort with the comparison "a > b". */
static void sort_ref(double *a, size_t n)
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

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The summary's sort (radix for n >= 64) must give bit for bit the figures of
 * a stable comparison sort: mixed signs, both zeros, ties, subnormals, wide
 * magnitudes, and sizes around the radix threshold. */
static void test_sort_exact(void)
{
    const size_t sizes[] = {1, 2, 63, 64, 65, 1000, 5001};
    uint64_t seed = 777;
    int bad = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        for (int variant = 0; variant < 5; variant++) {
            double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
            for (size_t i = 0; i < n; i++) {
                double u = unif(&seed);
                switch (variant) {
                case 0: x[i] = (u - 0.5) * 1e3; break;
                case 1: x[i] = (lcg(&seed) % 3 == 0) ? ((lcg(&seed) & 1) ? 0.0 : -0.0)
                                                      : (double)(lcg(&seed) % 7) - 3.0;
                    break;
                case 2: x[i] = (u < 0.5 ? -1.0 : 1.0) * pow(10.0, 600.0 * unif(&seed) - 310.0);
                    break;
                case 3: x[i] = 4.9e-324 * (double)(lcg(&seed) % 50) - 1e-322; break;
                default: /* only zeros of both signs and a few positives: min is a zero */
                    x[i] = u < 0.9 ? ((lcg(&seed) & 1) ? 0.0 : -0.0) : u;
                    break;
                }
            }
            memcpy(y, x, n * sizeof *y);
            sort_ref(y, n);
            ckp_summary s;
            ckp_error err;
            if (ckp_summary_compute(x, n, 0, NULL, &s, &err) != CKP_OK) {
                bad++;
                free(x);
                free(y);
                continue;
            }
            int ok = same_bits(s.min, y[0]) && same_bits(s.max, y[n - 1]);
            for (int k = 0; k < CKP_NQUANTILES; k++)
                ok &= same_bits(s.q[k], ckp_quantile_sorted(y, n, CKP_QUANTILE_PROBS[k]));
            if (!ok && bad++ < 5)
                fprintf(stderr, "n %zu variant %d: summary differs from the stable sort\n", n,
                        variant);
            /* The benefit's quantiles go through the same sort. */
            double *z = calloc(n, sizeof *z);
            ckp_benefit bf;
            if (ckp_benefit_compute(x, z, n, 0, 0, 0.0, 12, NULL, &bf, &err) == CKP_OK) {
                for (int k = 0; k < CKP_NQUANTILES; k++)
                    if (!same_bits(bf.q[k], ckp_quantile_sorted(y, n, CKP_QUANTILE_PROBS[k])))
                        ok = 0;
            } else {
                ok = 0;
            }
            if (!ok)
                bad++;
            free(z);
            free(x);
            free(y);
        }
    }
    CHECK(bad == 0, "%d sorted summaries differ from the stable comparison sort", bad);
}

int main(void)
{
    test_quantile();
    test_summary_basic();
    test_summary_edges();
    test_antithetic();
    test_exceedance();
    test_benefit();
    test_hist_unit();
    test_hist_price();
    test_hist_stock();
    test_hist_quantile();
    test_binner_fast();
    test_sort_exact();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
