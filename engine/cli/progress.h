/* chokepoint: the progress report of `chokepoint run` on stderr (internal
 * header of the CLI; progress.c).
 *
 * Two phases are reported: the paths (done, rate, time left) and, with -o,
 * the summaries the writer computes at the end (its share done, time left).
 * On a terminal one live line is rewritten in place; anywhere else (a file,
 * a pipe, a batch system's log) whole lines are written, one every 10
 * seconds or every 10 % of the phase, whichever comes first. */
#ifndef CKP_CLI_PROGRESS_H
#define CKP_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef enum { PROGRESS_AUTO, PROGRESS_ALWAYS, PROGRESS_NEVER } progress_mode;

typedef struct progress {
    FILE *out;
    int live;  /* 1: a terminal, the line rewritten in place; 0: whole lines */
    int grace; /* 1 (auto): nothing before a phase has taken a second */
    int on;    /* 0: nothing at all (never, -q) */
    int phase; /* 0 paths, 1 summaries */
    int npol;  /* policies, for the summaries' "policy k of n" */
    int shown; /* a live line is on the screen */
    int lines; /* whole lines written in this phase */
    double start, last, last_frac;
} progress;

/* "auto", "always" or "never" into *m; -1 for anything else. */
int ckp_cli_progress_parse(const char *s, progress_mode *m);
/* Set up pg for mode m (quiet: off whatever m says) writing to `out`, which
 * is a terminal when `tty`. */
void ckp_cli_progress_init(progress *pg, progress_mode m, int quiet, FILE *out, int tty, int npol);
/* The paths phase: done of total. */
void ckp_cli_progress_paths(progress *pg, int64_t done, int64_t total);
/* The summaries phase, as ckp_output_options.progress (ctx: a progress). */
void ckp_cli_progress_finish(void *ctx, int64_t done, int64_t total);
/* Clear a live line (before anything else is written to stderr). */
void ckp_cli_progress_end(progress *pg);

#endif
