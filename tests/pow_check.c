/* chokepoint tests: the in-house power function (engine/sim/kpow.h) against
 * long double powl, in units in the last place of the double nearest powl.
 *
 * usage: pow_check N BOUND_1000 BOUND
 *
 * N pseudo-random bases b in [1e-6, 1] (log-uniform, and uniform near 1,
 * where the shortfall is small) and exponents e = -1/eta with eta in
 * [0.02, 20] (log-uniform), plus the edges (b = 1e-6, b = 1, b just below 1,
 * results near the overflow); prints the largest error and where, for
 * results up to 1000 (where prices below their caps are) and for all, and
 * exits 1 when one is above its bound in ulp (or when a result should be
 * finite and is not), 0 otherwise. The error grows with |e log b| (the
 * relative error of log b is carried into the exponent). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/sim/kpow.h"

static uint64_t state = 0x9e3779b97f4a7c15ULL;

/* A uniform double in [0, 1) (splitmix64). */
static double unif(void)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static double worst = 0.0, worst_b = 0.0, worst_e = 0.0, worst_small = 0.0;
static long bad = 0, count = 0;

static void check(double b, double e)
{
    const long double ref = powl((long double)b, (long double)e);
    const double v = ckp_pow(b, e);
    count++;
    if (ref > (long double)0x1.fffffffffffffp1023 || !isfinite(v)) {
        /* beyond the doubles: +inf expected (y > 709 gives it a little early) */
        if (!(isinf(v) && ref > (long double)0x1p1000))
            bad++;
        return;
    }
    const double near = (double)ref;
    const double ulp = nextafter(near, INFINITY) - near;
    const double err = (double)fabsl((long double)v - ref) / ulp;
    if (err > worst)
        worst = err, worst_b = b, worst_e = e;
    if (ref <= 1000.0L && err > worst_small)
        worst_small = err;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pow_check N BOUND_1000 BOUND\n");
        return 2;
    }
    const long n = atol(argv[1]);
    const double bound_small = atof(argv[2]), bound = atof(argv[3]);
    for (long i = 0; i < n; i++) {
        const double eta = exp(log(0.02) + unif() * (log(20.0) - log(0.02)));
        const double b = i % 2 ? exp(unif() * log(1e-6)) : 1.0 - unif() * 0.01;
        check(b < 1e-6 ? 1e-6 : b, -1.0 / eta);
    }
    const double edges[] = {
        1e-6, 1.0, 0x1.fffffffffffffp-1, 0.5, 0.70710678118654746, 0.70710678118654757};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        for (double eta = 0.02; eta <= 20.0; eta *= 1.37)
            check(edges[i], -1.0 / eta);
    for (double e = -50.0; e < -40.0; e += 0.01) /* around the overflow at 1e-6 */
        check(1e-6, e);
    printf("pow_check: %ld values, largest error %.3f ulp for results up to 1000, %.3f ulp "
           "in all (at b = %a, e = %a); %ld wrong infinities\n",
           count, worst_small, worst, worst_b, worst_e, bad);
    return worst_small <= bound_small && worst <= bound && bad == 0 ? 0 : 1;
}
