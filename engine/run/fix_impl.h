/* chokepoint: exact fixed-point accumulators (internal header of the run
 * module; not installed).
 *
 * value = (hi * 2^64 + lo) * 2^-CKP_FIX_FRAC_BITS, two's complement. Adding
 * is integer addition, associative, so sums over paths do not depend on the
 * order of threads, batches or ranges. */
#ifndef CKP_FIX_IMPL_H
#define CKP_FIX_IMPL_H

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
 * shift is to the right: floor(|v| 2^64) exactly. */
static inline ckp_fix_i128 ckp_fix_from_double(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    unsigned ebits = (unsigned)(u >> 52) & 0x7ffu;
    uint64_t m = u & 0x000fffffffffffffu;
    if (ebits == 0x7ffu && m != 0) /* NaN */
        return 0;
    ckp_fix_u128 mag;
    if (ebits >= 1023u + 62u) { /* |v| >= 2^62, inf included */
        mag = (ckp_fix_u128)1 << 126;
    } else {
        int shift;
        if (ebits == 0) { /* zero or subnormal: m 2^-1074 */
            shift = 1 - 1011;
        } else {
            m |= (uint64_t)1 << 52;
            shift = (int)ebits - 1011;
        }
        if (shift >= 0)
            mag = (ckp_fix_u128)m << shift; /* shift <= 73: below 2^126 */
        else
            mag = -shift >= 53 ? 0 : (ckp_fix_u128)(m >> -shift);
    }
    return (u >> 63) ? -(ckp_fix_i128)mag : (ckp_fix_i128)mag;
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

/* The nearest double of the value (one rounding, from the 128-bit integer). */
double ckp_fix_to_double(const ckp_fix *acc);

#endif
