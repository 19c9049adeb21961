/* chokepoint: the policy table's figures (table_impl.h) and the table of a
 * run held in memory (ckp_output_table_rows, output.h): one row per policy,
 * the summary of its total loss and its paired comparison with the baseline. */
#include "table_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/output.h"
#include "engine/core/error_impl.h"

ckp_status ckp_table_summary(const ckp_plan *plan, double *x, size_t n, ckp_summary *out,
                             ckp_error *err)
{
    return ckp_summary_compute_inplace(x, n, ckp_plan_antithetic(plan), out, err);
}

ckp_status ckp_table_stockout(double *x, size_t n, double never, double *share, ckp_summary *out,
                              ckp_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] != never)
            x[m++] = x[i];
    *share = n > 0 ? (double)m / (double)n : NAN;
    return ckp_summary_compute_inplace(x, m, 0, out, err);
}

ckp_status ckp_table_benefit(const ckp_plan *plan, int k, double *b, size_t n, ckp_benefit *out,
                             ckp_error *err)
{
    double cost = 0.0;
    int has_cost = ckp_plan_policy_cost(plan, k, &cost);
    return ckp_benefit_compute_inplace(b, n, ckp_plan_antithetic(plan), has_cost, cost,
                                       ckp_plan_layout(plan)->T, out, err);
}

ckp_status ckp_output_table_rows(const ckp_plan *plan, const double *const *loss_total, size_t n,
                                 ckp_output_row **rows, ckp_error *err)
{
    *rows = NULL;
    int npol = ckp_plan_npolicies(plan);
    ckp_output_row *r = calloc((size_t)npol, sizeof *r);
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!r || !x) {
        free(r);
        free(x);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "table: out of memory");
    }
    ckp_status st = CKP_OK;
    for (int k = 0; k < npol && st == CKP_OK; k++) {
        ckp_output_row *w = &r[k];
        snprintf(w->name, sizeof w->name, "%s", ckp_plan_policy_name(plan, k));
        w->is_baseline = k == 0;
        if (n > 0)
            memcpy(x, loss_total[k], n * sizeof *x);
        st = ckp_table_summary(plan, x, n, &w->loss, err);
        if (st != CKP_OK || k == 0)
            continue;
        for (size_t i = 0; i < n; i++)
            x[i] = loss_total[0][i] - loss_total[k][i];
        st = ckp_table_benefit(plan, k, x, n, &w->benefit, err);
    }
    free(x);
    if (st != CKP_OK) {
        free(r);
        return st;
    }
    *rows = r;
    return CKP_OK;
}
