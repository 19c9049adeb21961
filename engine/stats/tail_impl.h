/* chokepoint stats: standard errors of VaR and CVaR by batch means over
 * fixed blocks of paths (internal header; tail.c; docs/analysis.md).
 *
 * The n values (path order) are cut into B contiguous blocks of paths by
 * index alone; each block's VaR_a and CVaR_a are computed as the summary
 * computes them, and the standard error of the whole sample's figure is the
 * standard deviation of the B block figures over sqrt(B). B depends only on
 * n and the level a: as many blocks as leave about CKP_TAIL_MIN_TAIL paths
 * beyond the VaR in each, at most CKP_TAIL_MAX_BLOCKS; with fewer than
 * CKP_TAIL_MIN_BLOCKS the standard error is NaN (too few paths in the tail).
 * Nothing depends on threads or batches: only the values and their order. */
#ifndef CKP_STATS_TAIL_IMPL_H
#define CKP_STATS_TAIL_IMPL_H

#include <stddef.h>

#include "chokepoint/error.h"

/* The four tail figures, in this order: VaR95, CVaR95, VaR99, CVaR99. */
#define CKP_TAIL_N 4
#define CKP_TAIL_MAX_BLOCKS 32
#define CKP_TAIL_MIN_BLOCKS 8
#define CKP_TAIL_MIN_TAIL 10

extern const char *const ckp_tail_names[CKP_TAIL_N];

typedef struct ckp_tail {
    double value[CKP_TAIL_N]; /* the figures of all n values (as ckp_summary's) */
    double se[CKP_TAIL_N];    /* batch-means standard errors, NaN with too few blocks */
    int blocks[CKP_TAIL_N];   /* B used (0 when the se is NaN) */
} ckp_tail;

/* Blocks for n values at level a (0.95 or 0.99): floor(n (1 - a) / 10),
 * capped at CKP_TAIL_MAX_BLOCKS; 0 when below CKP_TAIL_MIN_BLOCKS. */
int ckp_tail_blocks(size_t n, double a);

/* Block b of nb over n values: [*first, *first + *count). Antithetic runs
 * cut between pairs. */
void ckp_tail_block(size_t n, int antithetic, int nb, int b, size_t *first, size_t *count);

/* The tail figures and their standard errors of x[0..n) (path order; x is
 * left sorted). `scratch` holds ckp_tail_scratch(n) doubles. Errors as
 * ckp_summary_compute_inplace (non-finite values, antithetic with odd n). */
size_t ckp_tail_scratch(size_t n);
ckp_status ckp_tail_compute(double *x, size_t n, int antithetic, double *scratch, ckp_tail *out,
                            ckp_error *err);

/* The two halves of ckp_tail_compute, for a caller that sorts x anyway: the
 * standard errors and block counts from x in path order (x is not changed),
 * and the figures from x once sorted (ckp_sort_doubles or
 * ckp_sort_doubles_inplace, as the summaries sort; NaN for n = 0). Together
 * they give ckp_tail_compute's result bit for bit. */
ckp_status ckp_tail_se(const double *x, size_t n, int antithetic, double *scratch, ckp_tail *out,
                       ckp_error *err);
void ckp_tail_values_sorted(const double *sorted, size_t n, ckp_tail *out);

/* VaR_a (the linear quantile) and CVaR_a (mean of the values at or above it)
 * of sorted[0..n), n > 0, as ckp_summary stores them (summary.c). */
void ckp_var_cvar_sorted(const double *sorted, size_t n, double a, double *var, double *cvar);

#endif
