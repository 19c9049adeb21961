/* chokepoint: the tables of `chokepoint sensitivity` (see sens.h): the order
 * of the keys by the size of their swing, the regret table (for each swing
 * the policy of largest mean benefit and every policy's shortfall from it),
 * the robustness of each policy (worst and best mean benefit over the swings,
 * the largest shortfall, whether its rank changes), and the printing of the
 * four tables. Ties go to the lower index everywhere, so every figure is a
 * function of the means alone. */
#include "sens.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ckp_sens_alloc(sens *s, int K, int Q)
{
    size_t k = (size_t)K, q = (size_t)Q ? (size_t)Q : 1, n2 = k * 2, n3 = k * 2 * q;
    s->K = K;
    s->Q = Q;
    s->keys = calloc(k, sizeof *s->keys);
    s->lowtxt = calloc(k, sizeof *s->lowtxt);
    s->hightxt = calloc(k, sizeof *s->hightxt);
    s->policies = calloc(q, sizeof *s->policies);
    s->low = calloc(k, sizeof(double));
    s->high = calloc(k, sizeof(double));
    s->order = calloc(k, sizeof(int64_t));
    s->base_benefit = calloc(q, sizeof(double));
    s->loss_mean = calloc(n2, sizeof(double));
    s->loss_se = calloc(n2, sizeof(double));
    s->loss_swing = calloc(k, sizeof(double));
    s->loss_swing_se = calloc(k, sizeof(double));
    s->benefit_mean = calloc(n3, sizeof(double));
    s->benefit_se = calloc(n3, sizeof(double));
    s->best = calloc(n2, sizeof(int64_t));
    s->shortfall = calloc(n3, sizeof(double));
    s->rank = calloc(n3, sizeof(int64_t));
    s->base_rank = calloc(q, sizeof(int64_t));
    s->worst = calloc(q, sizeof(double));
    s->best_case = calloc(q, sizeof(double));
    s->max_shortfall = calloc(q, sizeof(double));
    s->worst_at = calloc(q, sizeof(int64_t));
    s->best_at = calloc(q, sizeof(int64_t));
    s->rank_changes = calloc(q, sizeof(int64_t));
    return s->keys && s->lowtxt && s->hightxt && s->policies && s->low && s->high && s->order &&
                   s->base_benefit && s->loss_mean && s->loss_se && s->loss_swing &&
                   s->loss_swing_se && s->benefit_mean && s->benefit_se && s->best &&
                   s->shortfall && s->rank && s->base_rank && s->worst && s->best_case &&
                   s->max_shortfall && s->worst_at && s->best_at && s->rank_changes
               ? 0
               : -1;
}

void ckp_sens_free(sens *s)
{
    void *p[] = {s->keys,          s->lowtxt,        s->hightxt,      s->policies,    s->low,
                 s->high,          s->order,         s->base_benefit, s->loss_mean,   s->loss_se,
                 s->loss_swing,    s->loss_swing_se, s->benefit_mean, s->benefit_se,  s->best,
                 s->shortfall,     s->rank,          s->base_rank,    s->worst,       s->best_case,
                 s->max_shortfall, s->worst_at,      s->best_at,      s->rank_changes};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        free(p[i]);
    memset(s, 0, sizeof *s);
}

/* Rank of policy q among b[0..Q): 1 + the policies ahead of it. */
static int64_t rank_of(const double *b, int Q, int q)
{
    int64_t r = 1;
    for (int j = 0; j < Q; j++)
        r += b[j] > b[q] || (b[j] == b[q] && j < q);
    return r;
}

/* The regret of one swing (row i = k*2+s). */
static void swing_regret(sens *s, size_t i)
{
    const double *b = s->benefit_mean + i * (size_t)s->Q;
    int best = -1;
    for (int q = 0; q < s->Q; q++)
        if (best < 0 || b[q] > b[best])
            best = q;
    s->best[i] = best;
    for (int q = 0; q < s->Q; q++) {
        size_t at = i * (size_t)s->Q + (size_t)q;
        s->shortfall[at] = b[best] - b[q];
        s->rank[at] = rank_of(b, s->Q, q);
        if (s->rank[at] != s->base_rank[q]) {
            s->rank_changes[q] = 1;
            s->ranking_changes = 1;
        }
    }
}

void ckp_sens_derive(sens *s)
{
    int K = s->K, Q = s->Q;
    for (int k = 0; k < K; k++)
        s->order[k] = k;
    /* insertion sort: stable, so equal swings keep the order given */
    for (int k = 1; k < K; k++) {
        int64_t v = s->order[k];
        int j = k;
        while (j > 0 && fabs(s->loss_swing[s->order[j - 1]]) < fabs(s->loss_swing[v])) {
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = v;
    }
    s->ranking_changes = 0;
    for (int q = 0; q < Q; q++) {
        s->base_rank[q] = rank_of(s->base_benefit, Q, q);
        s->rank_changes[q] = 0;
    }
    for (size_t i = 0; i < (size_t)K * 2; i++)
        swing_regret(s, i);
    for (int q = 0; q < Q; q++) {
        s->worst_at[q] = s->best_at[q] = 0;
        s->max_shortfall[q] = 0;
        for (size_t i = 0; i < (size_t)K * 2; i++) {
            size_t at = i * (size_t)Q + (size_t)q;
            if (s->benefit_mean[at] < s->benefit_mean[(size_t)s->worst_at[q] * Q + q])
                s->worst_at[q] = (int64_t)i;
            if (s->benefit_mean[at] > s->benefit_mean[(size_t)s->best_at[q] * Q + q])
                s->best_at[q] = (int64_t)i;
            if (s->shortfall[at] > s->max_shortfall[q])
                s->max_shortfall[q] = s->shortfall[at];
        }
        s->worst[q] = s->benefit_mean[(size_t)s->worst_at[q] * Q + q];
        s->best_case[q] = s->benefit_mean[(size_t)s->best_at[q] * Q + q];
    }
}

void ckp_sens_view(const sens *s, ckp_sens_table *t)
{
    memset(t, 0, sizeof *t);
    t->nkeys = s->K;
    t->npol = s->Q;
    t->keys = (const char *const *)s->keys;
    t->policies = s->policies;
    t->low = s->low;
    t->high = s->high;
    t->order = s->order;
    t->base_loss_mean = s->base_loss_mean;
    t->base_loss_se = s->base_loss_se;
    t->base_benefit = s->base_benefit;
    t->loss_mean = s->loss_mean;
    t->loss_se = s->loss_se;
    t->loss_swing = s->loss_swing;
    t->loss_swing_se = s->loss_swing_se;
    t->benefit_mean = s->benefit_mean;
    t->benefit_se = s->benefit_se;
    t->best = s->best;
    t->shortfall = s->shortfall;
    t->rank = s->rank;
    t->base_rank = s->base_rank;
    t->worst = s->worst;
    t->best_case = s->best_case;
    t->worst_at = s->worst_at;
    t->best_at = s->best_at;
    t->max_shortfall = s->max_shortfall;
    t->rank_changes = s->rank_changes;
    t->ranking_changes = s->ranking_changes;
}

/* ---- printing ------------------------------------------------------------------ */

/* Money in one unit for all tables: the largest of thousand .. trillion that
 * keeps the unswung baseline loss at or above 1. */
static void money_unit(double big, double *scale, const char **name)
{
    static const struct {
        double scale;
        const char *name;
    } units[] = {{1e12, "trillions"}, {1e9, "billions"}, {1e6, "millions"}, {1e3, "thousands"}};
    *scale = 1.0;
    *name = "units";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (fabs(big) >= units[i].scale) {
            *scale = units[i].scale;
            *name = units[i].name;
            return;
        }
}

static const char *money(char *buf, size_t cap, double v, double scale)
{
    snprintf(buf, cap, isfinite(v) ? "%.2f" : "n/a", v / scale);
    return buf;
}

static const char *pm(char *buf, size_t cap, double v, double se, double scale)
{
    char a[40], b[40];
    snprintf(buf, cap, "%s +/- %s", money(a, sizeof a, v, scale), money(b, sizeof b, se, scale));
    return buf;
}

static int key_width(const sens *s)
{
    int w = 7;
    for (int k = 0; k < s->K; k++)
        if ((int)strlen(s->keys[k]) > w)
            w = (int)strlen(s->keys[k]);
    return w;
}

static int pol_width(const sens *s, int min)
{
    int w = min;
    for (int q = 0; q < s->Q; q++)
        if ((int)strlen(s->policies[q]) > w)
            w = (int)strlen(s->policies[q]);
    return w;
}

static void print_tornado(FILE *out, const sens *s, int kw, double sc)
{
    fprintf(out, "\nTornado: baseline mean total loss at each swing, largest swing first\n");
    fprintf(out, "%-*s %10s %10s %10s %10s %24s\n", kw, "key", "low", "high", "loss@low",
            "loss@high", "swing +/- paired se");
    for (int i = 0; i < s->K; i++) {
        int k = (int)s->order[i];
        char a[40], b[40], c[96];
        fprintf(out, "%-*s %10s %10s %10s %10s %24s\n", kw, s->keys[k], s->lowtxt[k], s->hightxt[k],
                money(a, sizeof a, s->loss_mean[k * 2], sc),
                money(b, sizeof b, s->loss_mean[k * 2 + 1], sc),
                pm(c, sizeof c, s->loss_swing[k], s->loss_swing_se[k], sc));
    }
}

/* One table with a row per swing and a column per policy: the mean benefit
 * +/- paired se (regret = 0), or the shortfall with the best policy named. */
static void print_per_swing(FILE *out, const sens *s, int kw, double sc, int regret)
{
    int pw = pol_width(s, regret ? 10 : 20);
    fprintf(out, "%-*s %5s %10s", kw, "key", "swing", "value");
    if (regret)
        fprintf(out, " %-*s", pol_width(s, 4), "best");
    for (int q = 0; q < s->Q; q++)
        fprintf(out, " %*s", pw, s->policies[q]);
    fprintf(out, "\n");
    if (!regret) {
        fprintf(out, "%-*s %5s %10s", kw, "(unswung)", "", "");
        for (int q = 0; q < s->Q; q++) {
            char a[40];
            fprintf(out, " %*s", pw, money(a, sizeof a, s->base_benefit[q], sc));
        }
        fprintf(out, "\n");
    }
    for (int i = 0; i < s->K; i++) {
        int k = (int)s->order[i];
        for (int w = 0; w < 2; w++) {
            size_t row = (size_t)k * 2 + (size_t)w;
            fprintf(out, "%-*s %5s %10s", kw, w ? "" : s->keys[k], w ? "high" : "low",
                    w ? s->hightxt[k] : s->lowtxt[k]);
            if (regret)
                fprintf(out, " %-*s", pol_width(s, 4), s->policies[s->best[row]]);
            for (int q = 0; q < s->Q; q++) {
                size_t at = row * (size_t)s->Q + (size_t)q;
                char c[96];
                if (regret)
                    money(c, sizeof c, s->shortfall[at], sc);
                else
                    pm(c, sizeof c, s->benefit_mean[at], s->benefit_se[at], sc);
                fprintf(out, " %*s", pw, c);
            }
            fprintf(out, "\n");
        }
    }
}

static void swing_name(const sens *s, int64_t i, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s=%s", s->keys[i / 2], i % 2 ? s->hightxt[i / 2] : s->lowtxt[i / 2]);
}

static void print_robustness(FILE *out, const sens *s, double sc)
{
    int pw = pol_width(s, 6);
    fprintf(out, "\nRobustness of each policy over the swings (mean benefit)\n");
    fprintf(out, "%-*s %10s %10s %10s %13s %5s %5s  %s\n", pw, "policy", "unswung", "worst", "best",
            "max shortfall", "rank", "moves", "worst at / best at");
    for (int q = 0; q < s->Q; q++) {
        char a[40], b[40], c[40], d[40], wa[600], ba[600];
        swing_name(s, s->worst_at[q], wa, sizeof wa);
        swing_name(s, s->best_at[q], ba, sizeof ba);
        fprintf(out, "%-*s %10s %10s %10s %13s %5lld %5s  %s / %s\n", pw, s->policies[q],
                money(a, sizeof a, s->base_benefit[q], sc), money(b, sizeof b, s->worst[q], sc),
                money(c, sizeof c, s->best_case[q], sc),
                money(d, sizeof d, s->max_shortfall[q], sc), (long long)s->base_rank[q],
                s->rank_changes[q] ? "yes" : "no", wa, ba);
    }
    fprintf(out, "The ranking of the policies %s.\n",
            s->ranking_changes ? "changes at some swing" : "is the same at every swing");
}

void ckp_sens_print(FILE *out, const sens *s, const char *currency)
{
    double sc;
    const char *unit;
    money_unit(s->base_loss_mean, &sc, &unit);
    int kw = key_width(s);
    char a[96];
    fprintf(out, "Money in %s of %s. Unswung baseline mean total loss: %s\n", unit,
            currency && currency[0] ? currency : "currency units",
            pm(a, sizeof a, s->base_loss_mean, s->base_loss_se, sc));
    print_tornado(out, s, kw, sc);
    if (s->Q == 0) {
        fprintf(out, "\nNo policies: no benefit, regret or robustness tables.\n");
        return;
    }
    fprintf(out, "\nMean benefit of each policy at each swing (+/- paired se)\n");
    print_per_swing(out, s, kw, sc, 0);
    fprintf(out, "\nRegret: shortfall of each policy from the best policy at each swing\n");
    print_per_swing(out, s, kw, sc, 1);
    print_robustness(out, s, sc);
}
