/* chokepoint: internal functions of the rng module for the simulation's
 * stages (not installed, not exported). */
#ifndef CKP_RNG_IMPL_H
#define CKP_RNG_IMPL_H

#include <stddef.h>

#include "chokepoint/rng.h"

/* z[i] = ckp_norm_inv(p[i]) for i < n, bit for bit, two at a time (SSE2): the
 * same operations in the same order in each lane of a vector (the centre
 * and the r <= 5 tail), libm's log and sqrt per tail lane, and the scalar
 * function itself for the lanes outside those (p <= 0, p >= 1, NaN,
 * r > 5). p and z may be the same array. */
void ckp_norm_inv_n(const double *p, double *z, size_t n);

/* A run of n draws of a stream skipped in one multiply-add and any of them
 * drawn later, in any order, with the bits the stream gives in order: k + 1
 * steps from state s reach mul[k] s + add[k] (mod 2^128), the LCG's k+1-step
 * map. Valid for the streams with the increment of the generator it was
 * made for (every path stream of a run: ckp_pcg64_path keeps it). */
typedef struct ckp_rng_skip {
    size_t n;
    ckp_u128 *mul, *add; /* n each */
} ckp_rng_skip;

/* The maps of 1..n steps of g's stream (n >= 1); -1 when out of memory. */
int ckp_rng_skip_init(ckp_rng_skip *sk, const ckp_pcg64 *g, size_t n);
void ckp_rng_skip_free(ckp_rng_skip *sk);
/* Step g over the n draws (g must have the increment sk was made for). */
void ckp_rng_skip_over(const ckp_rng_skip *sk, ckp_pcg64 *g);
/* Draw j (0 <= j < n) of the run that follows state s: the uniform the
 * (j+1)-th ckp_uniform call from s returns. */
double ckp_rng_skip_uniform(const ckp_rng_skip *sk, ckp_u128 s, size_t j);

#endif
