/* chokepoint: `chokepoint export FILE sensitivity|regret|robustness`, the
 * tables of the group sensitivity/ that `chokepoint sensitivity -o` writes
 * (docs/output-format.md, "Sensitivity"), through the row writer of
 * export_out.c:
 *   sensitivity  one row per key and swing, largest swing first: the tornado;
 *   regret       one row per key, swing and policy: benefit, shortfall, rank;
 *   robustness   one row per policy: worst and best mean benefit, regret. */
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "engine/core/error_impl.h"
#include "export_sens.h"

enum { A_LOW, A_HIGH, A_ORDER, A_LMEAN, A_LSE, A_LSW, A_LSWSE, A_BEST, A_BBASE, A_BMEAN, A_BSE,
       A_SHORT, A_RANK, A_BRANK, A_WORST, A_WAT, A_BCASE, A_BAT, A_MAXS, A_RCH, A_N };
static const char *const arr_name[A_N] = {
    "low",        "high",          "order",      "loss_mean",    "loss_se",
    "loss_swing", "loss_swing_se", "best",       "base_benefit", "benefit_mean",
    "benefit_se", "shortfall",     "rank",       "base_rank",    "benefit_worst",
    "benefit_worst_at", "benefit_best", "benefit_best_at", "max_shortfall", "rank_changes"};

typedef struct tabs {
    char **key, **pol;
    size_t K, Q;
    ckp_output_array a[A_N];
} tabs;

static double num(const tabs *t, int which, size_t i)
{
    const ckp_output_array *a = &t->a[which];
    return a->f64 ? a->f64[i] : (double)a->i64[i];
}

static void tabs_free(tabs *t)
{
    ckp_output_labels_free(t->key, t->K);
    ckp_output_labels_free(t->pol, t->Q);
    for (int i = 0; i < A_N; i++)
        ckp_output_array_free(&t->a[i]);
}

/* Every dataset of the group, checked against the shapes K, K*2, K*2*Q, Q. */
static int load(const char *file, ckp_output_file *f, ckp_output_slices *s, tabs *t,
                ckp_error *err)
{
    memset(t, 0, sizeof *t);
    if (ckp_output_slices_labels(s, "sensitivity/key", &t->key, &t->K, err) != CKP_OK) {
        CKP_FAIL(err, CKP_ERR_CONFIG,
                 "%s: no sensitivity/ group (files of `chokepoint sensitivity -o` have one)",
                 file);
        return -1;
    }
    if (ckp_output_slices_labels(s, "sensitivity/policy", &t->pol, &t->Q, err) != CKP_OK)
        return -1;
    size_t K = t->K, Q = t->Q;
    const size_t want[A_N] = {K, K, K, K * 2, K * 2, K, K, K * 2, Q, K * 2 * Q,
                              K * 2 * Q, K * 2 * Q, K * 2 * Q, Q, Q, Q, Q, Q, Q, Q};
    for (int i = 0; i < A_N; i++) {
        char name[64];
        snprintf(name, sizeof name, "sensitivity/%s", arr_name[i]);
        if (ckp_output_read_array(f, name, &t->a[i], err) != CKP_OK)
            return -1;
        if (t->a[i].count != want[i]) {
            CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' holds %zu values, expected %zu", file,
                     name, t->a[i].count, want[i]);
            return -1;
        }
    }
    for (size_t k = 0; k < K; k++) {
        double o = num(t, A_ORDER, k);
        if (!(o >= 0 && o < (double)K)) {
            CKP_FAIL(err, CKP_ERR_IO, "%s: sensitivity/order holds %g, not a key index", file, o);
            return -1;
        }
    }
    return 0;
}

static int header(emitter *e, char **cols, size_t n, ckp_error *err)
{
    e->cols = cols;
    e->ncol = n;
    if (ckp_cli_em_begin(e) != 0) {
        CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static const char *pol_at(const tabs *t, double i)
{
    return i >= 0 && i < (double)t->Q ? t->pol[(size_t)i] : "";
}

static void tornado(const tabs *t, emitter *e)
{
    for (size_t r = 0; r < t->K; r++) {
        size_t k = (size_t)num(t, A_ORDER, r);
        for (size_t w = 0; w < 2; w++) {
            ckp_cli_em_row(e);
            ckp_cli_em_text(e, t->key[k]);
            ckp_cli_em_int(e, (long long)r + 1);
            ckp_cli_em_text(e, w ? "high" : "low");
            ckp_cli_em_num(e, num(t, w ? A_HIGH : A_LOW, k));
            ckp_cli_em_num(e, num(t, A_LMEAN, k * 2 + w));
            ckp_cli_em_num(e, num(t, A_LSE, k * 2 + w));
            ckp_cli_em_num(e, num(t, A_LSW, k));
            ckp_cli_em_num(e, num(t, A_LSWSE, k));
            ckp_cli_em_text(e, pol_at(t, num(t, A_BEST, k * 2 + w)));
            ckp_cli_em_row_end(e);
        }
    }
}

static void regret(const tabs *t, emitter *e)
{
    for (size_t r = 0; r < t->K; r++) {
        size_t k = (size_t)num(t, A_ORDER, r);
        for (size_t w = 0; w < 2; w++)
            for (size_t q = 0; q < t->Q; q++) {
                size_t at = (k * 2 + w) * t->Q + q;
                ckp_cli_em_row(e);
                ckp_cli_em_text(e, t->key[k]);
                ckp_cli_em_text(e, w ? "high" : "low");
                ckp_cli_em_num(e, num(t, w ? A_HIGH : A_LOW, k));
                ckp_cli_em_text(e, t->pol[q]);
                ckp_cli_em_num(e, num(t, A_BMEAN, at));
                ckp_cli_em_num(e, num(t, A_BSE, at));
                ckp_cli_em_num(e, num(t, A_SHORT, at));
                ckp_cli_em_int(e, (long long)num(t, A_RANK, at));
                ckp_cli_em_int(e, (long long)num(t, A_BRANK, q));
                ckp_cli_em_row_end(e);
            }
    }
}

/* A swing index k*2+s as its key and side. */
static void swing_cells(const tabs *t, emitter *e, double i)
{
    size_t k = i >= 0 && i < (double)t->K * 2 ? (size_t)i / 2 : 0;
    ckp_cli_em_text(e, t->K ? t->key[k] : "");
    ckp_cli_em_text(e, (size_t)i % 2 ? "high" : "low");
}

static void robustness(const tabs *t, emitter *e)
{
    for (size_t q = 0; q < t->Q; q++) {
        ckp_cli_em_row(e);
        ckp_cli_em_text(e, t->pol[q]);
        ckp_cli_em_num(e, num(t, A_BBASE, q));
        ckp_cli_em_num(e, num(t, A_WORST, q));
        swing_cells(t, e, num(t, A_WAT, q));
        ckp_cli_em_num(e, num(t, A_BCASE, q));
        swing_cells(t, e, num(t, A_BAT, q));
        ckp_cli_em_num(e, num(t, A_MAXS, q));
        ckp_cli_em_int(e, (long long)num(t, A_BRANK, q));
        ckp_cli_em_int(e, (long long)num(t, A_RCH, q));
        ckp_cli_em_row_end(e);
    }
}

int ckp_cli_is_sens_what(const char *what)
{
    return !strcmp(what, "sensitivity") || !strcmp(what, "regret") ||
           !strcmp(what, "robustness");
}

int ckp_cli_export_sens(const char *file, ckp_output_file *f, ckp_output_slices *s,
                        const char *what, emitter *e, ckp_error *err)
{
    static char *c_sens[] = {"key",     "order",        "swing",         "value", "loss_mean",
                             "loss_se", "loss_swing",   "loss_swing_se", "best"};
    static char *c_regret[] = {"key",        "swing",     "value", "policy",   "benefit_mean",
                               "benefit_se", "shortfall", "rank",  "base_rank"};
    static char *c_rob[] = {"policy",     "base_benefit", "benefit_worst",  "worst_key",
                            "worst_swing", "benefit_best", "best_key",      "best_swing",
                            "max_shortfall", "base_rank",  "rank_changes"};
    tabs t;
    int rc = load(file, f, s, &t, err);
    if (!rc && !strcmp(what, "sensitivity") && !(rc = header(e, c_sens, 9, err)))
        tornado(&t, e);
    else if (!rc && !strcmp(what, "regret") && !(rc = header(e, c_regret, 9, err)))
        regret(&t, e);
    else if (!rc && !strcmp(what, "robustness") && !(rc = header(e, c_rob, 11, err)))
        robustness(&t, e);
    if (!rc)
        ckp_cli_em_end(e);
    tabs_free(&t);
    return rc;
}
