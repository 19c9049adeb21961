/* chokepoint: exact fixed-point accumulators (internal header of the run
 * module; not installed).
 *
 * value = (hi * 2^64 + lo) * 2^-CKP_FIX_FRAC_BITS, two's complement. Adding
 * is integer addition, associative, so sums over paths do not depend on the
 * order of threads, batches or ranges. */
#ifndef CKP_FIX_IMPL_H
#define CKP_FIX_IMPL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define CKP_FIX_FRAC_BITS 64
typedef struct ckp_fix {
    int64_t hi;
    uint64_t lo;
} ckp_fix;

__extension__ typedef __int128 ckp_fix_i128;
__extension__ typedef unsigned __int128 ckp_fix_u128;

static inline ckp_fix_i128 ckp_fix_get(const ckp_fix *a)
{
    ckp_fix_u128 u = ((ckp_fix_u128)(uint64_t)a->hi << 64) | a->lo;
    return (ckp_fix_i128)u;
}

static inline void ckp_fix_put(ckp_fix *a, ckp_fix_i128 v)
{
    ckp_fix_u128 u = (ckp_fix_u128)v;
    a->hi = (int64_t)(uint64_t)(u >> 64);
    a->lo = (uint64_t)u;
}

/* v * 2^64 as a 128-bit integer, truncated toward zero (exact whenever v has no
 * bits below 2^-64). NaN counts as 0 and magnitudes of 2^62 or more saturate:
 * the observables summed here are bounded (fractions, price multiples up to a
 * cap, days of stock), so neither happens on valid input, and both keep the
 * conversion defined.
 * Straight from the bits: |v| = m 2^(e - 1075) with the 53-bit integer m, so
 * |v| 2^64 = m 2^(e - 1011), a shift of m, truncated toward zero when the
 * shift is to the right: floor(|v| 2^64) exactly. Written without branches on
 * the value (a right shift of 53 or more, capped at 63, gives 0; the sign is a
 * conditional negation by mask), so that mixed zeros, tiny and ordinary values
 * cost no mispredictions; only NaN and the saturation branch, and they never
 * happen on valid input. */
static inline ckp_fix_i128 ckp_fix_from_double(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    const unsigned ebits = (unsigned)(u >> 52) & 0x7ffu;
    uint64_t m = u & 0x000fffffffffffffu;
    if (ebits >= 1023u + 62u) { /* |v| >= 2^62, inf and NaN included */
        if (ebits == 0x7ffu && m != 0)
            return 0;
        ckp_fix_u128 big = (ckp_fix_u128)1 << 126;
        return (u >> 63) ? -(ckp_fix_i128)big : (ckp_fix_i128)big;
    }
    /* Zero or subnormal: m 2^-1074, the exponent of ebits 1 without the
     * implicit bit. */
    m |= (uint64_t)(ebits != 0) << 52;
    const int shift = (ebits != 0 ? (int)ebits : 1) - 1011; /* -1010 .. 73 */
    const int right = shift < 0 ? (-shift > 63 ? 63 : -shift) : 0;
    const int left = shift > 0 ? shift : 0;
    const ckp_fix_u128 mag = (ckp_fix_u128)(m >> right) << left;
    const ckp_fix_u128 neg = (ckp_fix_u128)0 - (ckp_fix_u128)(u >> 63); /* all ones if v < 0 */
    return (ckp_fix_i128)((mag ^ neg) - neg);
}

/* Wrap-around addition in unsigned arithmetic: defined, and associative. */
static inline void ckp_fix_add_double(ckp_fix *acc, double v)
{
    ckp_fix_u128 s = (ckp_fix_u128)ckp_fix_get(acc) + (ckp_fix_u128)ckp_fix_from_double(v);
    ckp_fix_put(acc, (ckp_fix_i128)s);
}

static inline void ckp_fix_add(ckp_fix *acc, const ckp_fix *b)
{
    ckp_fix_u128 s = (ckp_fix_u128)ckp_fix_get(acc) + (ckp_fix_u128)ckp_fix_get(b);
    ckp_fix_put(acc, (ckp_fix_i128)s);
}

/* A sum of values v 2^64 (each truncated toward zero, as ckp_fix_from_double)
 * in three limbs, f = a 2^53 + b 2^26 + c, each an int64 sum: cheaper per
 * value than the 128-bit form, for up to CKP_FIX_LIMBS_MAX values, then
 * folded into a ckp_fix. */
typedef struct ckp_fix_limbs {
    int64_t a, b, c;
} ckp_fix_limbs;

#define CKP_FIX_LIMBS_MAX 4096

/* Add v; 0 (nothing added) when v is outside the limbs' range (|v| >= 2^40,
 * NaN), for ckp_fix_add_double to take. By truncating splits, all exact:
 * A = trunc(v 2^11) (|A| < 2^51), r1 = v - A 2^-11 (|r1| < 2^-11),
 * B = trunc(r1 2^38), r2 = r1 - B 2^-38 (|r2| < 2^-38), C = trunc(r2 2^64).
 * A, B, C and r2 have v's sign (or are 0), so v 2^64 truncated toward zero
 * is A 2^53 + B 2^26 + C, which is ckp_fix_from_double(v). |A| < 2^51, so the
 * limbs hold 2^12 values before they could overflow. No branch but the range
 * test, no 128-bit shift. */
static inline int ckp_fix_limbs_add(ckp_fix_limbs *l, double v)
{
    if (!(fabs(v) < 0x1p40))
        return 0;
    const int64_t A = (int64_t)(v * 0x1p11);
    const double r1 = v - (double)A * 0x1p-11;
    const int64_t B = (int64_t)(r1 * 0x1p38);
    const double r2 = r1 - (double)B * 0x1p-38;
    l->a += A;
    l->b += B;
    l->c += (int64_t)(r2 * 0x1p64);
    return 1;
}

/* Add the limbs to *acc and clear them. */
static inline void ckp_fix_limbs_fold(ckp_fix_limbs *l, ckp_fix *acc)
{
    const ckp_fix_u128 f =
        (ckp_fix_u128)((ckp_fix_i128)l->a * ((ckp_fix_i128)1 << 53) +
                       (ckp_fix_i128)l->b * ((ckp_fix_i128)1 << 26) + (ckp_fix_i128)l->c);
    ckp_fix_put(acc, (ckp_fix_i128)((ckp_fix_u128)ckp_fix_get(acc) + f));
    l->a = l->b = l->c = 0;
}

/* The nearest double of the value (one rounding, from the 128-bit integer). */
double ckp_fix_to_double(const ckp_fix *acc);

#endif
