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

/* Print the table for `nrows` rows (rows[0] is the baseline) to `out`.
 * `currency` names the money unit (NULL: "currency units"). */
void ckp_cli_print_table(FILE *out, const char *currency, const ckp_output_row *rows, int nrows);

#endif
