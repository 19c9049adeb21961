/* chokepoint: the convergence stop of `run` (converge.h). */
#include "converge.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"

static const char *const on_names[] = {
    [CKP_CONV_LOSS] = "loss", [CKP_CONV_BENEFIT] = "benefit", [CKP_CONV_BOTH] = "both"};

int ckp_conv_parse_on(const char *s, ckp_conv_on *on)
{
    for (int i = CKP_CONV_LOSS; i <= CKP_CONV_BOTH; i++)
        if (!strcmp(s, on_names[i])) {
            *on = (ckp_conv_on)i;
            return 0;
        }
    return -1;
}

const char *ckp_conv_on_name(ckp_conv_on on)
{
    return on_names[on];
}

/* Keep the batch's total losses, then pass the batch on. */
static ckp_status conv_write(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                             int npol, const double *const *records, ckp_error *err)
{
    ckp_conv *c = ctx;
    if (c->n + n > c->cap) {
        int64_t cap = c->cap ? c->cap : 4096;
        while (cap < c->n + n)
            cap *= 2;
        for (int k = 0; k <= npol; k++) {
            double **a = k < npol ? &c->loss[k] : &c->scratch;
            double *p = realloc(*a, (size_t)cap * sizeof *p);
            if (!p)
                return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory keeping %lld total losses",
                                (long long)cap);
            *a = p;
        }
        c->cap = cap;
    }
    size_t off = lay->offset[CKP_M_LOSS_TOTAL];
    for (int k = 0; k < npol; k++)
        for (int64_t i = 0; i < n; i++)
            c->loss[k][c->n + i] = records[k][(size_t)i * lay->record + off];
    c->n += n;
    if (c->next && c->next->write_batch)
        return c->next->write_batch(c->next->ctx, lay, first_path, n, npol, records, err);
    return CKP_OK;
}

ckp_status ckp_conv_start(ckp_conv *c, const ckp_plan *plan, const ckp_sink *next, ckp_error *err)
{
    c->plan = plan;
    c->npol = ckp_plan_npolicies(plan);
    c->loss = calloc((size_t)c->npol, sizeof *c->loss);
    if (!c->loss)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    c->next = next;
    c->sink.ctx = c;
    c->sink.write_batch = conv_write;
    return CKP_OK;
}

void ckp_conv_free(ckp_conv *c)
{
    if (c->loss)
        for (int k = 0; k < c->npol; k++)
            free(c->loss[k]);
    free(c->loss);
    free(c->scratch);
    c->loss = NULL;
    c->scratch = NULL;
}

int ckp_conv_is_check(int64_t done, int64_t total)
{
    if (done == total)
        return 1;
    if (done < CKP_CONV_FIRST || done % CKP_CONV_FIRST != 0)
        return 0;
    int64_t m = done / CKP_CONV_FIRST;
    return (m & (m - 1)) == 0;
}

int64_t ckp_conv_next_check(int64_t done, int64_t total)
{
    int64_t c = CKP_CONV_FIRST;
    while (c <= done && c <= total / 2)
        c *= 2;
    return c > done && c < total ? c : total;
}

/* The figure a standard error is judged by: itself, or relative to |mean|. */
static double figure(const ckp_conv *c, double se, double mean)
{
    return isnan(c->rel_se) ? se : se / fabs(mean);
}

/* A figure below the target; NaN (one path, a zero mean) never is. */
static void judge(ckp_conv *c, double v)
{
    double target = isnan(c->rel_se) ? c->se : c->rel_se;
    if (!(v < target))
        c->met = 0;
    if (isnan(v) || v > c->worst) /* a NaN stays: not measurable */
        c->worst = v;
}

ckp_status ckp_conv_check(ckp_conv *c, int64_t paths, ckp_error *err)
{
    const ckp_plan *p = c->plan;
    size_t n = (size_t)(paths < c->n ? paths : c->n);
    int anti = ckp_plan_antithetic(p);
    c->checked = (int64_t)n;
    c->met = 1;
    c->worst = -INFINITY;
    if (c->on & CKP_CONV_LOSS) {
        ckp_summary s;
        CKP_TRY(ckp_summary_compute(c->loss[0], n, anti, c->scratch, &s, err));
        judge(c, figure(c, s.se, s.mean));
    }
    for (int k = 1; k < c->npol && (c->on & CKP_CONV_BENEFIT); k++) {
        double cost = 0.0;
        int has_cost = ckp_plan_policy_cost(p, k, &cost);
        ckp_benefit b;
        CKP_TRY(ckp_benefit_compute(c->loss[0], c->loss[k], n, anti, has_cost, cost,
                                    ckp_plan_layout(p)->T, c->scratch, &b, err));
        judge(c, figure(c, b.se, b.mean));
    }
    return CKP_OK;
}

void ckp_conv_target(const ckp_conv *c, ckp_output_target *t)
{
    t->se = c->se;
    t->rel_se = c->rel_se;
    t->on = ckp_conv_on_name(c->on);
    t->max_paths = ckp_plan_paths(c->plan);
    t->met = c->met;
    t->worst = c->worst;
}

void ckp_conv_print(FILE *out, const ckp_conv *c, int64_t limit)
{
    const char *on = c->on == CKP_CONV_BOTH   ? "the baseline's mean loss and every benefit"
                     : c->on == CKP_CONV_LOSS ? "the baseline's mean loss"
                                              : "every policy's mean benefit";
    char target[64];
    if (isnan(c->rel_se))
        snprintf(target, sizeof target, "se < %g", c->se);
    else
        snprintf(target, sizeof target, "se < %g of the mean", c->rel_se);
    fprintf(out, "Target %s on %s: %s at %lld paths (limit %lld), largest %.4g\n", target, on,
            c->met ? "met" : "NOT met", (long long)c->checked, (long long)limit, c->worst);
}

/* ---- The command's side: options, the steps, the file --------------------------- */

int ckp_conv_parse_value(const char *name, const char *v, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = v && *v ? strtod(v, &end) : NAN;
    if (!end || *end || errno || !isfinite(x) || x <= 0.0) {
        fprintf(stderr, "chokepoint run: option %s expects a positive number, got '%s'\n", name,
                v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

int ckp_conv_init(ckp_conv *c, const ckp_plan *plan, double se, double rel_se, ckp_conv_on on)
{
    if (on == CKP_CONV_BENEFIT && ckp_plan_npolicies(plan) < 2) {
        fprintf(stderr, "chokepoint run: --target-on benefit needs a policy besides the "
                        "baseline\n");
        return 2;
    }
    c->active = 1;
    c->se = se;
    c->rel_se = rel_se;
    c->on = on;
    return 0;
}

ckp_status ckp_conv_after_step(ckp_conv *c, const ckp_run_state *rs, int64_t first, int64_t total,
                               int *stop, ckp_error *err)
{
    int64_t done = ckp_run_next_path(rs) - first;
    if (!c || done == 0 || !ckp_conv_is_check(done, total))
        return CKP_OK;
    CKP_TRY(ckp_conv_check(c, done, err));
    *stop = c->met;
    return CKP_OK;
}

ckp_status ckp_conv_resume(ckp_conv *c, const ckp_run_state *rs, int64_t first, int64_t total,
                           int *stop, ckp_error *err)
{
    int64_t done = ckp_run_next_path(rs) - first;
    if (!c || done == 0)
        return CKP_OK;
    for (int64_t n = ckp_conv_next_check(0, total); n <= done; n = ckp_conv_next_check(n, total)) {
        CKP_TRY(ckp_conv_check(c, n, err));
        if (c->met && n < done)
            return CKP_FAIL(err, CKP_ERR_USAGE,
                            "the checkpoint holds %lld paths, but this target is met at %lld: "
                            "it was made by a run with another target or none; run without "
                            "--resume to start afresh",
                            (long long)done, (long long)n);
        if (c->met || n == total) {
            *stop = c->met;
            break;
        }
    }
    return CKP_OK;
}

ckp_status ckp_conv_finish_file(ckp_output *out, const ckp_conv *c, ckp_error *err)
{
    ckp_output_target t;
    CKP_TRY(ckp_output_shorten(out, c->checked, err));
    ckp_conv_target(c, &t);
    return ckp_output_set_target(out, &t, err);
}
