/* Unit test of the per-month fixed-point conversion (run.h: ckp_fix_add_double),
 * which takes a double apart into its bits: adding v to a zero accumulator must
 * give floor(|v| 2^64) with v's sign, as the former conversion (integer part and
 * fraction converted separately, written out below as the reference) gave, for
 * zeros, subnormals, tiny and large magnitudes, exact powers of two, the
 * saturation at 2^62, infinities and NaN. */
#include "chokepoint/run.h"
#include "engine/run/run_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

static i128 reference(double v)
{
    if (!(v == v) || v == 0.0)
        return 0;
    double a = fabs(v);
    u128 mag;
    if (a >= 0x1p62) {
        mag = (u128)1 << 126;
    } else {
        uint64_t ip = (uint64_t)a;
        uint64_t fp = (uint64_t)((a - (double)ip) * 0x1p64);
        mag = ((u128)ip << 64) | fp;
    }
    return v < 0 ? -(i128)mag : (i128)mag;
}

static void compare(const char *how, double v, const ckp_fix *acc, u128 want)
{
    u128 got = ((u128)(uint64_t)acc->hi << 64) | acc->lo;
    checks++;
    if (got != want) {
        failures++;
        fprintf(stderr, "%s: v = %a: got %016llx%016llx want %016llx%016llx\n", how, v,
                (unsigned long long)(got >> 64), (unsigned long long)got,
                (unsigned long long)(want >> 64), (unsigned long long)want);
    }
}

/* The two limbs (the run's staged sums, fix_impl.h: ckp_fix_split), of one
 * value and of a running total: the limbs of everything checked since the
 * last fold, folded every CKP_FIX_PAIR_MAX values (their limit), must equal
 * the 128-bit running total of the same values. */
static uint64_t run_hi, run_lo;
static ckp_fix limb_total, fix_total;
static int in_limbs;

static void check(double v)
{
    ckp_fix acc = {0, 0};
    ckp_fix_add_double(&acc, v);
    u128 want = (u128)reference(v);
    compare("ckp_fix_add_double", v, &acc, want);

    ckp_fix one = {0, 0};
    uint64_t h = 0, l = 0;
    const int took = ckp_fix_split(v, &h, &l);
    if (!took)
        ckp_fix_add_double(&one, v);
    else if (!(fabs(v) < 0x1p38))
        fprintf(stderr, "limbs took %a\n", v), failures++;
    checks++;
    if (took != (fabs(v) < 0x1p38))
        fprintf(stderr, "limbs refused %a\n", v), failures++;
    ckp_fix_pair_fold(h, l, &one);
    compare("limbs", v, &one, want);

    if (took) {
        run_hi += h;
        run_lo += l;
    } else {
        ckp_fix_add_double(&limb_total, v);
    }
    ckp_fix_add_double(&fix_total, v);
    if (++in_limbs == CKP_FIX_PAIR_MAX) {
        ckp_fix_pair_fold(run_hi, run_lo, &limb_total);
        run_hi = run_lo = 0;
        in_limbs = 0;
    }
}

int main(void)
{
    static const double fixed[] = {
        0.0, -0.0, 1.0, -1.0, 0.5, 0x1p-64, 0x1p-65, 0x1.8p-64, 0x1p-1074, 0x1p-1022, 0x1p52,
        0x1p53 + 2, 0x1p61, 0x1.fffffffffffffp61, 0x1p62, -0x1p62, 1e300, INFINITY, -INFINITY, NAN,
        0.1, 1.0 / 3.0, 1460.0, 2048.0 - 0x1p-42,
        /* around the split's cases: the first value with a high limb
         * (2^-13), s = 0 (2^-12), s < 0, the top of the range (2^38) and
         * above, negative subnormals */
        0x1p-13, 0x1.fffffffffffffp-14, -0x1p-13, 0x1p37, 0x1.fffffffffffffp37, 0x1p38,
        -0x1.fffffffffffffp37, -0x1p38, 0x1p-12, 0x1.fffffffffffffp-12, 0x1p-11,
        0x1.0000000000001p-12, 0x1.fffffffffffffp-13, -0x1.fffffffffffffp-12, 0x1p-63,
        0x1.fffffffffffffp-64, 0x1p39, 0x1.fffffffffffffp39, 0x1p40, -0x1.fffffffffffffp39, -0x1p40,
        -0x1p-1074, -0x1p-1022, 0x1.fffffffffffffp-1023};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check(fixed[i]);
    /* Random bit patterns with exponents over the whole range, and random
     * values in the observables' range (fractions, price multiples, days). */
    uint64_t z = 12345;
    for (int i = 0; i < 200000; i++) {
        z += 0x9e3779b97f4a7c15u;
        uint64_t r = z;
        r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9u;
        r = (r ^ (r >> 27)) * 0x94d049bb133111ebu;
        r ^= r >> 31;
        double v;
        memcpy(&v, &r, sizeof v);
        check(v);
        check(ldexp((double)(r >> 11), -53) * ((i % 4) == 0 ? 1.0 : (i % 4) == 1 ? 25.0 : 1e3));
    }
    /* Long sums at the limbs' limit: the largest magnitudes they take. */
    for (int i = 0; i < 3 * CKP_FIX_PAIR_MAX; i++)
        check(i % 2 ? 0x1.fffffffffffffp37 : -0x1.fffffffffffffp37 + (double)(i % 7));
    for (int i = 0; i < 3 * CKP_FIX_PAIR_MAX; i++)
        check(-0x1.fffffffffffffp37);
    for (int i = 0; i < 3 * CKP_FIX_PAIR_MAX; i++)
        check(0x1.fffffffffffffp37 - 0x1p-15 * (double)i);
    ckp_fix_pair_fold(run_hi, run_lo, &limb_total);
    compare("limb running total", 0.0, &limb_total,
            ((u128)(uint64_t)fix_total.hi << 64) | fix_total.lo);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
