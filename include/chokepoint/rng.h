/* chokepoint: random numbers (MODEL.md section 4).
 *
 * PCG64: the 128-bit set-sequence LCG with XSL-RR output, bit for bit the same
 * as numpy's PCG64 (same state, increment, output and advance). The state is a
 * small struct passed to every call; there is no global generator. */
#ifndef CHOKEPOINT_RNG_H
#define CHOKEPOINT_RNG_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A 128-bit unsigned value as two 64-bit halves. */
typedef struct ckp_u128 {
    uint64_t hi;
    uint64_t lo;
} ckp_u128;

/* Generator state: the LCG state and its (odd) increment. */
typedef struct ckp_pcg64 {
    ckp_u128 state;
    ckp_u128 inc;
} ckp_pcg64;

/* The path stride J of MODEL.md section 4: 0x9E3779B97F4A7C15F39CC0605CEDC835. */
CKP_API extern const ckp_u128 CKP_PATH_STRIDE;

/* Standard PCG set-sequence seeding: state = 0, inc = initseq << 1 | 1, step,
 * state += initstate, step. */
CKP_API void ckp_pcg64_seed(ckp_pcg64 *g, ckp_u128 initstate, ckp_u128 initseq);

/* The run's base generator from a 64-bit seed: SplitMix64 gives w0..w3,
 * initstate = w0:w1, initseq = w2:w3 (high:low). */
CKP_API void ckp_pcg64_from_seed(ckp_pcg64 *g, uint64_t seed);

/* One SplitMix64 step: advances *x and returns the next output. */
CKP_API uint64_t ckp_splitmix64(uint64_t *x);

/* Step the LCG, then return the XSL-RR output of the new state. */
CKP_API uint64_t ckp_pcg64_next(ckp_pcg64 *g);

/* The PCG64 multiplier 0x2360ED051FC65DA44385DF649FCCF645 as two halves. */
#define CKP_PCG64_MULT_HI UINT64_C(0x2360ED051FC65DA4)
#define CKP_PCG64_MULT_LO UINT64_C(0x4385DF649FCCF645)

/* Inline versions of ckp_pcg64_next and ckp_uniform for the simulation's hot
 * loop; they compute exactly the same values as the out-of-line functions. */
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 ckp_native_u128_;

static inline uint64_t ckp_pcg64_next_inline(ckp_pcg64 *g)
{
    const ckp_native_u128_ mult = ((ckp_native_u128_)CKP_PCG64_MULT_HI << 64) | CKP_PCG64_MULT_LO;
    ckp_native_u128_ s = ((ckp_native_u128_)g->state.hi << 64) | g->state.lo;
    ckp_native_u128_ inc = ((ckp_native_u128_)g->inc.hi << 64) | g->inc.lo;
    s = s * mult + inc;
    g->state.hi = (uint64_t)(s >> 64);
    g->state.lo = (uint64_t)s;
    /* XSL-RR: xor the halves, rotate right by the top 6 bits of the state. */
    uint64_t x = g->state.hi ^ g->state.lo;
    unsigned rot = (unsigned)(g->state.hi >> 58);
    return (x >> rot) | (x << ((64u - rot) & 63u));
}
#else
/* Portable 64 x 64 -> 128 multiply for compilers without __int128. */
static inline void ckp_mul64_(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

static inline uint64_t ckp_pcg64_next_inline(ckp_pcg64 *g)
{
    uint64_t hi, lo;
    ckp_mul64_(g->state.lo, CKP_PCG64_MULT_LO, &hi, &lo);
    hi += g->state.hi * CKP_PCG64_MULT_LO + g->state.lo * CKP_PCG64_MULT_HI;
    uint64_t nlo = lo + g->inc.lo;
    hi += g->inc.hi + (nlo < lo);
    g->state.hi = hi;
    g->state.lo = nlo;
    uint64_t x = hi ^ nlo;
    unsigned rot = (unsigned)(hi >> 58);
    return (x >> rot) | (x << ((64u - rot) & 63u));
}
#endif

static inline double ckp_uniform_inline(ckp_pcg64 *g)
{
    /* 52 random bits centred in their cell of width 2^-52: open interval and
     * symmetric under u -> 1 - u. */
    return ((double)(ckp_pcg64_next_inline(g) >> 12) + 0.5) * 0x1p-52;
}

/* Advance by `delta` steps modulo 2^128 (a negative distance is delta = 2^128 - n).
 * O(log delta) (Brown's algorithm). */
CKP_API void ckp_pcg64_advance(ckp_pcg64 *g, ckp_u128 delta);

/* Advance by a signed 64-bit distance (negative steps back). */
CKP_API void ckp_pcg64_advance_signed(ckp_pcg64 *g, int64_t delta);

/* The generator of path p: `base` advanced by p * J (mod 2^128), which equals
 * numpy's `PCG64.jumped(p)` applied to the base. */
CKP_API void ckp_pcg64_path(ckp_pcg64 *out, const ckp_pcg64 *base, uint64_t p);

/* Unbiased bounded draw in [0, bound), as pcg-c's pcg64_boundedrand_r
 * (rejection below -bound % bound). bound > 0. */
CKP_API uint64_t ckp_pcg64_bounded(ckp_pcg64 *g, uint64_t bound);

/* Open-interval uniform: ((x >> 12) + 0.5) * 2^-52. Never 0 or 1, and 1 - u is
 * exactly another value of the same grid. */
CKP_API double ckp_uniform(ckp_pcg64 *g);

/* Fill u[0..n-1] with consecutive uniforms. */
CKP_API void ckp_uniform_fill(ckp_pcg64 *g, double *u, size_t n);

/* Inverse standard normal CDF, Wichura's AS241 (PPND16), relative error below
 * 1e-15 on (0, 1). Returns -inf / +inf at 0 / 1 and NaN outside [0, 1]. */
CKP_API double ckp_norm_inv(double p);

/* Standard normal CDF, accurate in both tails (via erfc). */
CKP_API double ckp_norm_cdf(double x);

/* Inverse CDF of the triangular distribution (min a, mode c, max b) at u in (0,1).
 * a == b returns a. Requires a <= c <= b. */
CKP_API double ckp_tri_inv(double u, double a, double c, double b);

#ifdef __cplusplus
}
#endif
#endif
