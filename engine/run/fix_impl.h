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

/* A staged sum of values v 2^64 (each truncated toward zero, as
 * ckp_fix_from_double) in two 64-bit limbs, f = hi 2^51 + lo: two integer adds
 * per value, for up to CKP_FIX_PAIR_MAX values, then folded into a ckp_fix.
 * The limbs are unsigned (wrap-around addition, defined); their true sums fit
 * in int64 (below), which the fold relies on.
 *
 * ckp_fix_split gives a value's two parts straight from its bits, with shifts
 * only (no conversion, no branch on the value but the range test):
 * |v| = m 2^(e - 1075) with the 53-bit integer m (the implicit bit set), so
 * X = floor(|v| 2^64) = floor(m 2^s) with s = e - 1011, and
 *   H = floor(X / 2^51) = floor(m 2^(s - 51)) = m >> (51 - s)   (s <= 50),
 *   L = X mod 2^51 = ((m << s) mod 2^64) mod 2^51 for s >= 0,
 *                    (m >> -s) mod 2^51 for s < 0,
 * since floor(floor(y) / 2^51) = floor(y / 2^51). The parts get v's sign:
 * -X = (-H) 2^51 + (-L), and sign * X is ckp_fix_from_double(v) exactly.
 * Zeros (either sign) and subnormals (|v| < 2^-1022) give X = 0: with the
 * implicit bit wrongly set, m < 2^53 and the right shift is 63 (clamped from
 * 1011) or more, so both parts are 0. The range is |v| < 2^38 (e <= 1060,
 * s <= 49): then X < 2^102, |H| < 2^51 and |L| < 2^51, so 2^11 values sum to
 * less than 2^62 in each limb. Larger magnitudes, infinities and NaN return 0
 * (nothing added) for ckp_fix_add_double to take. The AVX2 staging
 * (engine/run/stage_avx2.c) computes the same two parts four lanes at a
 * time, by floating-point operations (H and L are then below 2^51, the range
 * where a double's bits convert to an integer by one addition). */
typedef struct ckp_fix_pair {
    uint64_t hi, lo;
} ckp_fix_pair;

#define CKP_FIX_PAIR_MAX 2048
#define CKP_FIX_PAIR_EMAX 1060 /* the largest biased exponent split (|v| < 2^38) */
#define CKP_FIX_PAIR_SHIFT 51  /* f = hi 2^51 + lo */

static inline int ckp_fix_split(double v, uint64_t *hi, uint64_t *lo)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    const int e = (int)((u >> 52) & 0x7ffu);
    if (e > CKP_FIX_PAIR_EMAX)
        return 0;
    const uint64_t m = (u & 0x000fffffffffffffu) | ((uint64_t)1 << 52);
    const int s = e - 1011; /* -1011 .. 49 */
    const int left = s > 0 ? s : 0;
    const int right = s < 0 ? (-s > 63 ? 63 : -s) : 0;
    const uint64_t x = m >> right; /* floor(m 2^s) when s <= 0 */
    const uint64_t h = x >> (CKP_FIX_PAIR_SHIFT - left);
    const uint64_t l = (x << left) & (((uint64_t)1 << CKP_FIX_PAIR_SHIFT) - 1u);
    const uint64_t neg = (uint64_t)0 - (u >> 63); /* all ones if v < 0 */
    *hi = (h ^ neg) - neg;
    *lo = (l ^ neg) - neg;
    return 1;
}

/* The int64 whose two's complement is u (u's true value fits in int64). */
static inline int64_t ckp_fix_pair_signed(uint64_t u)
{
    return u >> 63 ? -(int64_t)(~u) - 1 : (int64_t)u;
}

/* Add the limbs hi 2^51 + lo to *acc. */
static inline void ckp_fix_pair_fold(uint64_t hi, uint64_t lo, ckp_fix *acc)
{
    const ckp_fix_i128 f =
        (ckp_fix_i128)ckp_fix_pair_signed(hi) * ((ckp_fix_i128)1 << CKP_FIX_PAIR_SHIFT) +
        (ckp_fix_i128)ckp_fix_pair_signed(lo);
    ckp_fix_put(acc, (ckp_fix_i128)((ckp_fix_u128)ckp_fix_get(acc) + (ckp_fix_u128)f));
}

/* The nearest double of the value (one rounding, from the 128-bit integer). */
double ckp_fix_to_double(const ckp_fix *acc);

#endif
