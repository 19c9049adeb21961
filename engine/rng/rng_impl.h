/* chokepoint: internal functions of the rng module for the simulation's
 * stages (not installed, not exported). */
#ifndef CKP_RNG_IMPL_H
#define CKP_RNG_IMPL_H

#include <stddef.h>

/* z[i] = ckp_norm_inv(p[i]) for i < n, bit for bit, two at a time (SSE2): the
 * same operations in the same order in each lane of a vector (the centre
 * and the r <= 5 tail), libm's log and sqrt per tail lane, and the scalar
 * function itself for the lanes outside those (p <= 0, p >= 1, NaN,
 * r > 5). p and z may be the same array. */
void ckp_norm_inv_n(const double *p, double *z, size_t n);

#endif
