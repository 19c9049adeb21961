/* chokepoint stats: batch-means standard errors of VaR and CVaR (tail_impl.h).
 *
 * Each block's figures come from ckp_summary_compute_inplace on a copy of
 * the block, so a block's VaR and CVaR are defined exactly as the stored
 * summaries' (linear quantile; mean of the values at or above it). */
#include "engine/stats/tail_impl.h"

#include <math.h>
#include <string.h>

#include "chokepoint/stats.h"
#include "engine/core/error_impl.h"

const char *const ckp_tail_names[CKP_TAIL_N] = {"var95", "cvar95", "var99", "cvar99"};

/* The levels of the figures, two per level (VaR, CVaR). */
static const double tail_level[2] = {0.95, 0.99};

int ckp_tail_blocks(size_t n, double a)
{
    /* n (1 - a) in exact integer arithmetic for the two levels used. */
    size_t tail = a < 0.97 ? n / 20 : n / 100;
    size_t b = tail / CKP_TAIL_MIN_TAIL;
    if (b > CKP_TAIL_MAX_BLOCKS)
        b = CKP_TAIL_MAX_BLOCKS;
    return b < CKP_TAIL_MIN_BLOCKS ? 0 : (int)b;
}

void ckp_tail_block(size_t n, int antithetic, int nb, int b, size_t *first, size_t *count)
{
    /* Cut in units of pairs for antithetic runs, of paths otherwise. */
    size_t unit = antithetic ? 2 : 1, units = n / unit;
    size_t lo = units * (size_t)b / (size_t)nb, hi = units * (size_t)(b + 1) / (size_t)nb;
    *first = lo * unit;
    *count = (hi - lo) * unit;
}

size_t ckp_tail_scratch(size_t n)
{
    return n / CKP_TAIL_MIN_BLOCKS + 2;
}

/* The VaR and CVaR of level li of a summary. */
static void pick(const ckp_summary *s, int li, double *var, double *cvar)
{
    *var = li == 0 ? s->var95 : s->var99;
    *cvar = li == 0 ? s->cvar95 : s->cvar99;
}

/* Standard deviation (ddof 1) of v[0..m) over sqrt(m), two passes. */
static double batch_se(const double *v, int m)
{
    double mean = 0.0, ss = 0.0;
    for (int i = 0; i < m; i++)
        mean += v[i];
    mean /= m;
    for (int i = 0; i < m; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    return sqrt(ss / (m - 1)) / sqrt((double)m);
}

/* The standard errors of level li from the blocks of x (path order). */
static ckp_status level_se(const double *x, size_t n, int antithetic, int li, double *scratch,
                           ckp_tail *out, ckp_error *err)
{
    int nb = ckp_tail_blocks(n, tail_level[li]);
    out->blocks[2 * li] = out->blocks[2 * li + 1] = nb;
    out->se[2 * li] = out->se[2 * li + 1] = NAN;
    if (nb == 0)
        return CKP_OK;
    double var[CKP_TAIL_MAX_BLOCKS], cvar[CKP_TAIL_MAX_BLOCKS];
    for (int b = 0; b < nb; b++) {
        size_t first, count;
        ckp_tail_block(n, antithetic, nb, b, &first, &count);
        memcpy(scratch, x + first, count * sizeof *scratch);
        ckp_summary s;
        CKP_TRY(ckp_summary_compute_inplace(scratch, count, antithetic, &s, err));
        pick(&s, li, &var[b], &cvar[b]);
    }
    out->se[2 * li] = batch_se(var, nb);
    out->se[2 * li + 1] = batch_se(cvar, nb);
    return CKP_OK;
}

ckp_status ckp_tail_se(const double *x, size_t n, int antithetic, double *scratch, ckp_tail *out,
                       ckp_error *err)
{
    for (int li = 0; li < 2; li++)
        CKP_TRY(level_se(x, n, antithetic, li, scratch, out, err));
    return CKP_OK;
}

void ckp_tail_values_sorted(const double *sorted, size_t n, ckp_tail *out)
{
    for (int li = 0; li < 2; li++) {
        if (n == 0)
            out->value[2 * li] = out->value[2 * li + 1] = NAN;
        else
            ckp_var_cvar_sorted(sorted, n, tail_level[li], &out->value[2 * li],
                                &out->value[2 * li + 1]);
    }
}

ckp_status ckp_tail_compute(double *x, size_t n, int antithetic, double *scratch, ckp_tail *out,
                            ckp_error *err)
{
    CKP_TRY(ckp_tail_se(x, n, antithetic, scratch, out, err));
    ckp_summary s;
    CKP_TRY(ckp_summary_compute_inplace(x, n, antithetic, &s, err));
    for (int li = 0; li < 2; li++)
        pick(&s, li, &out->value[2 * li], &out->value[2 * li + 1]);
    return CKP_OK;
}
