/* chokepoint: the policy table printed by `run` and `summary` (internal header).
 *
 * One row per policy: the distribution of the total loss (mean, median, p95,
 * p99, CVaR99) and the paired comparison with the baseline (mean benefit with
 * its standard error, P(benefit > 0), benefit-cost ratio). Money is shown in
 * one readable unit for the whole table (thousands, millions or billions of
 * the scenario currency), named in the header. */
#ifndef CKP_CLI_TABLE_H
#define CKP_CLI_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include "chokepoint/error.h"
#include "chokepoint/output.h"

/* Print the table for `nrows` rows (rows[0] is the baseline) to `out`.
 * `currency` names the money unit (NULL: "currency units"). */
void ckp_cli_print_table(FILE *out, const char *currency, const ckp_output_row *rows, int nrows);

/* Fill rows from per-policy loss_total columns in path order: loss[k] holds the
 * n values of policy k (loss[0] the baseline). names[k] is the policy name;
 * has_cost / annual_cost per policy give the benefit-cost ratio; T is the
 * horizon in months. rows must hold npol entries. */
ckp_status ckp_cli_table_rows(int npol, const char *const *names, const double *const *loss,
                              size_t n, int antithetic, const int *has_cost,
                              const double *annual_cost, int T, ckp_output_row *rows,
                              ckp_error *err);

#endif
