/* chokepoint: the figures of the policy table (internal header of the output
 * module). The writer stores them through these functions and
 * ckp_output_table_rows computes the table without a file through them too,
 * so a table printed from a file and one computed in memory cannot disagree.
 * Antithetic pairing, costs and the horizon come from the plan. */
#ifndef CKP_TABLE_IMPL_H
#define CKP_TABLE_IMPL_H

#include <stddef.h>

#include "chokepoint/plan.h"
#include "chokepoint/stats.h"

/* The summary of one per-path column x (n values in path order), as stored
 * in summary/ and quantiles/ and shown in the table for loss_total. x is left
 * sorted. */
ckp_status ckp_table_summary(const ckp_plan *plan, double *x, size_t n, ckp_summary *out,
                             ckp_error *err);

/* The summary of a stockout_month column x (n values in path order) over the
 * paths that ran dry, those whose value is not `never` (schema 2): they are
 * moved to the front of x (their order kept) and summarised there as
 * independent draws (antithetic pairs are broken by the selection); *share
 * gets their number over n. No path ran dry: a summary of NaNs, count 0. */
ckp_status ckp_table_stockout(double *x, size_t n, double never, double *share, ckp_summary *out,
                              ckp_error *err);

/* The comparison of run policy k (k > 0) with the baseline from the per-path
 * benefits b[i] = baseline loss_total - policy loss_total (path order; both
 * columns already summarised, hence finite). b is left sorted. */
ckp_status ckp_table_benefit(const ckp_plan *plan, int k, double *b, size_t n, ckp_benefit *out,
                             ckp_error *err);

#endif
