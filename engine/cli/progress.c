/* chokepoint: the progress report of `chokepoint run` (progress.h).
 *
 * A live line on a terminal (at most five updates a second); whole lines
 * elsewhere, so that a batch job's log shows the run advancing: one every
 * 10 s or 10 % of the phase, and one at its end once any was written. With
 * `auto` nothing is shown before a phase has taken a second, so quick runs
 * stay silent; `always` shows the first line at once. */
#include "progress.h"

#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ckp_cli_progress_parse(const char *s, progress_mode *m)
{
    static const char *const names[] = {"auto", "always", "never"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *m = (progress_mode)i;
            return 0;
        }
    return -1;
}

void ckp_cli_progress_init(progress *pg, progress_mode m, int quiet, FILE *out, int tty, int npol)
{
    memset(pg, 0, sizeof *pg);
    pg->out = out;
    pg->on = !quiet && m != PROGRESS_NEVER;
    pg->live = tty;
    pg->grace = m == PROGRESS_AUTO;
    pg->npol = npol;
    pg->start = now_seconds();
}

/* "1:05" or "2:03:45" for s seconds; "?" before there is a rate. */
static void clock_text(char *buf, size_t cap, double s, int known)
{
    long v = (long)(s + 0.5);
    if (!known)
        snprintf(buf, cap, "?");
    else if (v >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", v / 60, v % 60);
}

/* Whether to write now: the grace second, the live line's rate limit, the
 * whole lines' 10 s / 10 % rule, and always at the end once shown. */
static int due(progress *pg, double t, double frac, int end)
{
    if (!pg->on || (pg->grace && t - pg->start < 1.0 && !(end && pg->lines)))
        return 0;
    if (pg->live)
        return end || t - pg->last >= 0.2;
    if (end)
        return pg->lines > 0 || !pg->grace;
    return pg->lines == 0 || t - pg->last >= 10.0 || frac - pg->last_frac >= 0.1;
}

static void emit(progress *pg, const char *text, double t, double frac)
{
    if (pg->live) {
        fprintf(pg->out, "\r%-70s", text);
        pg->shown = 1;
    } else {
        fprintf(pg->out, "chokepoint run: %s\n", text);
        pg->lines++;
    }
    fflush(pg->out);
    pg->last = t;
    pg->last_frac = frac;
}

void ckp_cli_progress_paths(progress *pg, int64_t done, int64_t total)
{
    double t = now_seconds(), el = t - pg->start;
    double frac = total > 0 ? (double)done / (double)total : 1.0;
    if (!due(pg, t, frac, done >= total))
        return;
    double rate = el > 0 ? (double)done / el : 0.0;
    char left[32], text[160];
    clock_text(left, sizeof left, rate > 0 ? (double)(total - done) / rate : 0.0, rate > 0);
    snprintf(text, sizeof text, "%lld/%lld paths (%.0f%%), %.0f paths/s, %s left", (long long)done,
             (long long)total, 100.0 * frac, rate, left);
    emit(pg, text, t, frac);
}

void ckp_cli_progress_finish(void *ctx, int64_t done, int64_t total)
{
    progress *pg = ctx;
    double t = now_seconds();
    if (pg->phase == 0) {
        /* a new phase: its own clock, its own 10 % steps */
        pg->phase = 1;
        pg->start = pg->last = t;
        pg->lines = 0;
        pg->last_frac = 0.0;
    }
    double frac = total > 0 ? (double)done / (double)total : 1.0;
    if (!due(pg, t, frac, done >= total))
        return;
    double el = t - pg->start;
    int k = (int)(frac * pg->npol) + 1;
    char left[32], text[160];
    clock_text(left, sizeof left, frac > 0 ? el * (1.0 - frac) / frac : 0.0, frac > 0);
    if (done >= total)
        snprintf(text, sizeof text, "summaries of %d policies written (%.0f s)", pg->npol, el);
    else
        snprintf(text, sizeof text, "computing the summaries: %.0f%% (policy %d of %d), %s left",
                 100.0 * frac, k > pg->npol ? pg->npol : k, pg->npol, left);
    emit(pg, text, t, frac);
}

void ckp_cli_progress_end(progress *pg)
{
    if (pg->shown) {
        fprintf(pg->out, "\r%-70s\r", "");
        fflush(pg->out);
        pg->shown = 0;
    }
}
