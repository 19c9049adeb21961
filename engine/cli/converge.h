/* chokepoint: the convergence stop of `run --target-se / --target-rel-se`
 * (internal header of the command-line tool; converge.c).
 *
 * A target is checked only at fixed counts of paths from the start of the
 * range, 1024 x 2^k and the limit itself, so the count a run stops at is a
 * function of the scenario, seed, path range and target alone. At a check
 * the standard errors are those the results file stores (ckp_summary_compute
 * and ckp_benefit_compute on the total losses of the paths so far, in path
 * order), computed from a copy of every policy's total losses that a sink
 * keeps as the batches pass on to the writer. */
#ifndef CKP_CLI_CONVERGE_H
#define CKP_CLI_CONVERGE_H

#include <stdint.h>
#include <stdio.h>

#include "chokepoint/chokepoint.h"

/* The first check count. */
#define CKP_CONV_FIRST 1024

typedef enum ckp_conv_on { CKP_CONV_LOSS = 1, CKP_CONV_BENEFIT = 2, CKP_CONV_BOTH = 3 } ckp_conv_on;

typedef struct ckp_conv {
    int active;        /* a target was given */
    double se, rel_se; /* the target given (the other NaN) */
    ckp_conv_on on;
    const ckp_plan *plan;
    int npol;
    int64_t n, cap; /* total losses kept per policy, in path order */
    double **loss;
    double *scratch; /* cap doubles */
    const ckp_sink *next;
    ckp_sink sink;
    /* The last check: paths, whether every figure was below the target, and
     * the largest figure (absolute or relative, as the target). */
    int64_t checked;
    int met;
    double worst;
} ckp_conv;

/* "loss", "benefit" or "both" into *on; -1 for anything else. */
int ckp_conv_parse_on(const char *s, ckp_conv_on *on);
const char *ckp_conv_on_name(ckp_conv_on on);

/* Start keeping the total losses of `plan`'s policies; c->sink then passes
 * every batch on to `next` (which may be NULL). */
ckp_status ckp_conv_start(ckp_conv *c, const ckp_plan *plan, const ckp_sink *next, ckp_error *err);
void ckp_conv_free(ckp_conv *c);

/* Whether `done` paths of `total` is a check count, and the next check count
 * after `done` (total at the end). */
int ckp_conv_is_check(int64_t done, int64_t total);
int64_t ckp_conv_next_check(int64_t done, int64_t total);

/* Check the target on the first n paths kept (n <= c->n); sets checked, met
 * and worst. */
ckp_status ckp_conv_check(ckp_conv *c, int64_t n, ckp_error *err);

/* The attributes of the results file. */
void ckp_conv_target(const ckp_conv *c, ckp_output_target *t);

/* One line under the run's header: the target, the count reached, met or not. */
void ckp_conv_print(FILE *out, const ckp_conv *c, int64_t limit);

/* ---- For `run` (cmd_run.c) ---- */

/* The value of --target-se / --target-rel-se: a positive finite number,
 * strictly parsed. Returns 0, or -1 after a message. */
int ckp_conv_parse_value(const char *name, const char *v, double *out);
/* Make c active for `plan` with the target (se or rel_se, the other NaN).
 * Returns 0, or 2 after a message (a benefit target with no policy). */
int ckp_conv_init(ckp_conv *c, const ckp_plan *plan, double se, double rel_se, ckp_conv_on on);
/* After a step: at a check count, check; *stop when met. c may be NULL. */
ckp_status ckp_conv_after_step(ckp_conv *c, const ckp_run_state *rs, int64_t first, int64_t total,
                               int *stop, ckp_error *err);
/* Before the first step of a resumed run: every check count up to the paths
 * done, as a run from the start would have; met at the count done: *stop;
 * met earlier: the checkpoint went past this target's count (made with
 * another target or none), refused with CKP_ERR_USAGE. c may be NULL. */
ckp_status ckp_conv_resume(ckp_conv *c, const ckp_run_state *rs, int64_t first, int64_t total,
                           int *stop, ckp_error *err);
/* A finished run with -o: shorten the writer to the paths run and store the
 * target's attributes. */
ckp_status ckp_conv_finish_file(ckp_output *out, const ckp_conv *c, ckp_error *err);

#endif
