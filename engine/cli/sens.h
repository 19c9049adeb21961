/* chokepoint: the tables of `chokepoint sensitivity` (internal header of the
 * CLI): what the runs of the swings fill in (cmd_sensitivity.c), and the
 * regret and robustness derived from it and printed (sens_table.c). */
#ifndef CKP_CLI_SENS_H
#define CKP_CLI_SENS_H

#include <stdint.h>
#include <stdio.h>

#include "chokepoint/chokepoint.h"

typedef struct sens {
    int K, Q;                       /* keys; policies without the baseline */
    char **keys;                    /* K key paths */
    const char **lowtxt, **hightxt; /* K values as given */
    const char **policies;          /* Q names (owned by the plan) */
    double *low, *high;             /* K */
    int64_t *order;                 /* K */
    double base_loss_mean, base_loss_se;
    double *base_benefit;                       /* Q */
    double *loss_mean, *loss_se;                /* K*2 */
    double *loss_swing, *loss_swing_se;         /* K */
    double *benefit_mean, *benefit_se;          /* K*2*Q */
    int64_t *best;                              /* K*2 */
    double *shortfall;                          /* K*2*Q */
    int64_t *rank;                              /* K*2*Q */
    int64_t *base_rank;                         /* Q */
    double *worst, *best_case, *max_shortfall;  /* Q */
    int64_t *worst_at, *best_at, *rank_changes; /* Q */
    int ranking_changes;
} sens;

/* Allocate the arrays for K keys and Q policies: 0, or -1 out of memory. */
int ckp_sens_alloc(sens *s, int K, int Q);
void ckp_sens_free(sens *s);
/* The order of the keys, the regret and the robustness from the means. */
void ckp_sens_derive(sens *s);
/* The view for the output module. */
void ckp_sens_view(const sens *s, ckp_sens_table *t);
/* The tornado, benefit, regret and robustness tables. */
void ckp_sens_print(FILE *out, const sens *s, const char *currency);

#endif
