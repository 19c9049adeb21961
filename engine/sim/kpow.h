/* chokepoint: the in-house power function of the price step (internal header
 * of the sim module; not installed).
 *
 * ckp_pow(b, e) = exp(e log b) for 1e-6 <= b <= 1 (the scarcity factor
 * max(1 - x, 1e-6)^(-1/eta) of MODEL.md step 7). It replaces libm's pow in
 * every kernel because a vector kernel cannot reproduce libm's bits: this one
 * is written with +, -, *, / and bit moves only, in an order that the AVX2
 * form (vpow in kernel_avx2.c) repeats operation for operation, so both give
 * the same bits (tests/kernel_check.c). Its error against powl is measured by
 * tests/pow_check.c and stated in docs/model.md.
 *
 * log b: b = 2^k m with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s) with
 * s = (m - 1) / (m + 1), |s| < 0.172, summed to s^23. exp y: y = n log 2 + r
 * with n = round(y / log 2) and log 2 split in two (the high part has 21
 * bits, so n times it is exact), e^r by its Taylor series to r^13, times 2^n.
 * y > 709 gives +inf and y < -708 gives 0. */
#ifndef CKP_KPOW_H
#define CKP_KPOW_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define KPOW_LN2 0x1.62e42fefa39efp-1
#define KPOW_LN2_HI 0x1.62e4200000000p-1
#define KPOW_LN2_LO 0x1.fdf473de6af28p-22
#define KPOW_INV_LN2 0x1.71547652b82fep+0
#define KPOW_SQRT2 0x1.6a09e667f3bcdp+0
#define KPOW_SHIFT 0x1.8p52 /* adding it rounds to an integer, to nearest even */
#define KPOW_TWO52 0x1.0p52

static inline double kpow_bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t kpow_double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* log m for m in [sqrt(1/2), sqrt(2)). */
static inline double kpow_log_m(double m)
{
    const double s = (m - 1.0) / (m + 1.0);
    const double z = s * s;
    double p = 1.0 / 23.0;
    p = p * z + 1.0 / 21.0;
    p = p * z + 1.0 / 19.0;
    p = p * z + 1.0 / 17.0;
    p = p * z + 1.0 / 15.0;
    p = p * z + 1.0 / 13.0;
    p = p * z + 1.0 / 11.0;
    p = p * z + 1.0 / 9.0;
    p = p * z + 1.0 / 7.0;
    p = p * z + 1.0 / 5.0;
    p = p * z + 1.0 / 3.0;
    return 2.0 * s + 2.0 * s * (z * p);
}

/* e^r for |r| <= log(2) / 2 (a little more after rounding). */
static inline double kpow_exp_r(double r)
{
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    return p * r + 1.0;
}

/* b^e for 1e-6 <= b <= 1 and finite e. */
static inline double ckp_pow(double b, double e)
{
    const uint64_t bb = kpow_double_bits(b);
    double k = kpow_bits_double((bb >> 52) | 0x4330000000000000ULL) - KPOW_TWO52 - 1023.0;
    double m = kpow_bits_double((bb & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    if (m > KPOW_SQRT2) {
        m = m * 0.5;
        k = k + 1.0;
    }
    const double y = e * (k * KPOW_LN2 + kpow_log_m(m));
    const double t = y * KPOW_INV_LN2 + KPOW_SHIFT;
    const double n = t - KPOW_SHIFT;
    const double r = (y - n * KPOW_LN2_HI) - n * KPOW_LN2_LO;
    const double two_n = kpow_bits_double((kpow_double_bits(t) + 1023) << 52);
    double v = kpow_exp_r(r) * two_n;
    if (y > 709.0)
        v = (double)INFINITY;
    if (y < -708.0)
        v = 0.0;
    return v;
}

#endif
