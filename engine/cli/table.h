/* chokepoint: the policy table printed by `run` and `summary` (internal header).
 *
 * One row per policy: the distribution of the total loss (mean, median, p95,
 * p99, CVaR99) and the paired comparison with the baseline (mean benefit with
 * its standard error, P(benefit > 0), benefit-cost ratio). Money is shown in
 * one readable unit for the whole table (thousands, millions or billions of
 * the scenario currency), named in the header. */
#ifndef CKP_CLI_TABLE_H
#define CKP_CLI_TABLE_H

#include <stdio.h>

#include "chokepoint/output.h"

/* s as it may be echoed to a terminal: s itself, or a copy with its control
 * characters escaped (ckp_escape_ctl, engine/core/escape_impl.h) in one of 8
 * per-thread buffers used in turn, so up to 8 may appear in one printf. */
const char *ckp_cli_safe(const char *s);

/* Print the table for `nrows` rows (rows[0] is the baseline) to `out`.
 * `currency` names the money unit (NULL: "currency units"). */
void ckp_cli_print_table(FILE *out, const char *currency, const ckp_output_row *rows, int nrows);

/* The table's money unit: its scale and name ("billions", ...). */
void ckp_cli_money_unit(const ckp_output_row *rows, int nrows, double *scale, const char **name);

/* ---- The --details view: tail figures with standard errors (table_tail.c) ---- */

/* VaR and CVaR at 95 and 99 % (var95 cvar95 var99 cvar99) of a policy's total
 * loss and of its benefit against the baseline, with batch-means standard
 * errors (NaN: not stored, or too few paths). */
typedef struct ckp_cli_tail {
    double loss[4], loss_se[4];
    double benefit[4], benefit_se[4]; /* NaN for the baseline */
} ckp_cli_tail;

/* From the tail/ groups of a results file (NaN where a file has none); *out
 * gets info->npol rows (the caller frees it). */
ckp_status ckp_cli_tail_read(const ckp_output_file *f, ckp_cli_tail **out, ckp_error *err);
/* From total losses in memory (loss_total[k], n values, path order), by the
 * computation the writer stores. */
ckp_status ckp_cli_tail_compute(const ckp_plan *plan, const double *const *loss_total, size_t n,
                                ckp_cli_tail **out, ckp_error *err);
/* Print the view under the policy table, in the table's money unit. */
void ckp_cli_print_tail(FILE *out, const char *currency, const ckp_output_row *rows,
                        const ckp_cli_tail *t, int nrows);

#endif
