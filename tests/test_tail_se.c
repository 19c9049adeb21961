/* chokepoint tests (stat suite): the batch-means standard errors of VaR and
 * CVaR (engine/stats/tail.c) against the spread of the figures over
 * independent samples, and the block rule.
 *
 * Tolerance: over R independent samples, the empirical standard deviation s
 * of a figure has a relative standard error of about 1 / sqrt(2 (R - 1))
 * (0.035 for R = 400, near-normal estimates), and the mean of the R se
 * estimates one of about 1 / sqrt(2 (B - 1) R) (under 0.01). A ratio
 * mean(se) / s within 4 of their combined standard error, 0.15, passes; an
 * se off by a factor sqrt(B) (the sd of the block figures) or by 2 fails. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chokepoint/rng.h"
#include "chokepoint/stats.h"
#include "engine/stats/tail_impl.h"

#define R 400
#define N 20000

/* A loss-like sample: 30 % exact zeros, the rest lognormal (sigma 0.8). */
static void sample(uint64_t seed, double *x, size_t n)
{
    ckp_pcg64 g;
    ckp_pcg64_from_seed(&g, seed);
    for (size_t i = 0; i < n; i++) {
        double u0 = ckp_uniform(&g), u1 = ckp_uniform(&g), u2 = ckp_uniform(&g);
        double z = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
        x[i] = u0 < 0.3 ? 0.0 : 1e9 * exp(0.8 * z);
    }
}

static void check_blocks(void)
{
    CHECK(ckp_tail_blocks(10000, 0.95) == 32, "%d", ckp_tail_blocks(10000, 0.95));
    CHECK(ckp_tail_blocks(10000, 0.99) == 10, "%d", ckp_tail_blocks(10000, 0.99));
    CHECK(ckp_tail_blocks(7999, 0.99) == 0, "%d", ckp_tail_blocks(7999, 0.99));
    CHECK(ckp_tail_blocks(1599, 0.95) == 0, "%d", ckp_tail_blocks(1599, 0.95));
    CHECK(ckp_tail_blocks(1600, 0.95) == 8, "%d", ckp_tail_blocks(1600, 0.95));
    /* Blocks cover the range in order, without gaps; antithetic cuts between pairs. */
    for (int anti = 0; anti <= 1; anti++) {
        size_t n = 10002, next = 0;
        for (int b = 0; b < 32; b++) {
            size_t f, c;
            ckp_tail_block(n, anti, 32, b, &f, &c);
            CHECK(f == next && (!anti || (f % 2 == 0 && c % 2 == 0)), "block %d: %zu+%zu", b, f, c);
            next = f + c;
        }
        CHECK(next == n, "blocks end at %zu", next);
    }
}

/* The figures are the summary's, bit for bit; too few paths give NaN. */
static void check_values(void)
{
    size_t n = 10000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *scratch = malloc(ckp_tail_scratch(n) * sizeof *scratch);
    sample(7, x, n);
    memcpy(y, x, n * sizeof *y);
    ckp_summary s;
    ckp_tail t;
    CHECK(ckp_summary_compute_inplace(y, n, 0, &s, NULL) == CKP_OK, "summary");
    CHECK(ckp_tail_compute(x, n, 0, scratch, &t, NULL) == CKP_OK, "tail");
    const double want[4] = {s.var95, s.cvar95, s.var99, s.cvar99};
    for (int i = 0; i < 4; i++)
        CHECK(t.value[i] == want[i], "%s %.17g != %.17g", ckp_tail_names[i], t.value[i], want[i]);
    CHECK(t.blocks[0] == 32 && t.blocks[2] == 10 && isfinite(t.se[3]), "blocks");
    sample(7, x, 5000);
    CHECK(ckp_tail_compute(x, 5000, 0, scratch, &t, NULL) == CKP_OK, "tail");
    CHECK(t.blocks[2] == 0 && isnan(t.se[2]) && isnan(t.se[3]) && isfinite(t.se[0]),
          "5000 paths: no p99 se");
    x[17] = NAN;
    CHECK(ckp_tail_compute(x, 5000, 0, scratch, &t, NULL) == CKP_ERR_NUMERIC, "NaN refused");
    free(x);
    free(y);
    free(scratch);
}

/* mean(se) / sd(figure) over R independent samples, per figure. */
static void check_spread(void)
{
    double *x = malloc(N * sizeof *x);
    double *scratch = malloc(ckp_tail_scratch(N) * sizeof *scratch);
    static double v[CKP_TAIL_N][R], se[CKP_TAIL_N][R];
    for (int r = 0; r < R; r++) {
        ckp_tail t;
        sample(1000 + (uint64_t)r, x, N);
        CHECK(ckp_tail_compute(x, N, 0, scratch, &t, NULL) == CKP_OK, "tail");
        for (int i = 0; i < CKP_TAIL_N; i++) {
            v[i][r] = t.value[i];
            se[i][r] = t.se[i];
        }
    }
    for (int i = 0; i < CKP_TAIL_N; i++) {
        double m = 0, ms = 0, ss = 0;
        for (int r = 0; r < R; r++) {
            m += v[i][r];
            ms += se[i][r];
        }
        m /= R;
        ms /= R;
        for (int r = 0; r < R; r++)
            ss += (v[i][r] - m) * (v[i][r] - m);
        double sd = sqrt(ss / (R - 1)), ratio = ms / sd;
        printf("%s: mean se %.4g, sd over %d samples %.4g, ratio %.3f\n", ckp_tail_names[i], ms, R,
               sd, ratio);
        CHECK(fabs(ratio - 1.0) < 0.15, "%s: mean se / sd = %.3f", ckp_tail_names[i], ratio);
    }
    free(x);
    free(scratch);
}

int main(void)
{
    check_blocks();
    check_values();
    check_spread();
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
