/* chokepoint: the policy table's figures (table_impl.h): the summary of a
 * per-path column and the paired comparison of a policy with the baseline. */
#include "table_impl.h"


ckp_status ckp_table_summary(const ckp_plan *plan, double *x, size_t n, ckp_summary *out,
                             ckp_error *err)
{
    return ckp_summary_compute_inplace(x, n, ckp_plan_antithetic(plan), out, err);
}

ckp_status ckp_table_benefit(const ckp_plan *plan, int k, double *b, size_t n, ckp_benefit *out,
                             ckp_error *err)
{
    double cost = 0.0;
    int has_cost = ckp_plan_policy_cost(plan, k, &cost);
    return ckp_benefit_compute_inplace(b, n, ckp_plan_antithetic(plan), has_cost, cost,
                                       ckp_plan_layout(plan)->T, out, err);
}
