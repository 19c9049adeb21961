/* chokepoint: random numbers (MODEL.md section 4).
 *
 * PCG64: the 128-bit set-sequence LCG with XSL-RR output, bit for bit the same
 * as numpy's PCG64 (same state, increment, output and advance). The state is a
 * small struct passed to every call; there is no global generator. */
#ifndef CHOKEPOINT_RNG_H
#define CHOKEPOINT_RNG_H

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
extern const ckp_u128 CKP_PATH_STRIDE;

/* Standard PCG set-sequence seeding: state = 0, inc = initseq << 1 | 1, step,
 * state += initstate, step. */
void ckp_pcg64_seed(ckp_pcg64 *g, ckp_u128 initstate, ckp_u128 initseq);

/* The run's base generator from a 64-bit seed: SplitMix64 gives w0..w3,
 * initstate = w0:w1, initseq = w2:w3 (high:low). */
void ckp_pcg64_from_seed(ckp_pcg64 *g, uint64_t seed);

/* One SplitMix64 step: advances *x and returns the next output. */
uint64_t ckp_splitmix64(uint64_t *x);

/* Step the LCG, then return the XSL-RR output of the new state. */
uint64_t ckp_pcg64_next(ckp_pcg64 *g);

/* Advance by `delta` steps modulo 2^128 (a negative distance is delta = 2^128 - n).
 * O(log delta) (Brown's algorithm). */
void ckp_pcg64_advance(ckp_pcg64 *g, ckp_u128 delta);

/* Advance by a signed 64-bit distance (negative steps back). */
void ckp_pcg64_advance_signed(ckp_pcg64 *g, int64_t delta);

/* The generator of path p: `base` advanced by p * J (mod 2^128), which equals
 * numpy's `PCG64.jumped(p)` applied to the base. */
void ckp_pcg64_path(ckp_pcg64 *out, const ckp_pcg64 *base, uint64_t p);

/* Unbiased bounded draw in [0, bound), as pcg-c's pcg64_boundedrand_r
 * (rejection below -bound % bound). bound > 0. */
uint64_t ckp_pcg64_bounded(ckp_pcg64 *g, uint64_t bound);

/* Open-interval uniform: ((x >> 12) + 0.5) * 2^-52. Never 0 or 1, and 1 - u is
 * exactly another value of the same grid. */
double ckp_uniform(ckp_pcg64 *g);

/* Fill u[0..n-1] with consecutive uniforms. */
void ckp_uniform_fill(ckp_pcg64 *g, double *u, size_t n);

/* Inverse standard normal CDF, Wichura's AS241 (PPND16), relative error below
 * 1e-15 on (0, 1). Returns -inf / +inf at 0 / 1 and NaN outside [0, 1]. */
double ckp_norm_inv(double p);

/* Standard normal CDF, accurate in both tails (via erfc). */
double ckp_norm_cdf(double x);

/* Inverse CDF of the triangular distribution (min a, mode c, max b) at u in (0,1).
 * a == b returns a. Requires a <= c <= b. */
double ckp_tri_inv(double u, double a, double c, double b);

#ifdef __cplusplus
}
#endif
#endif
