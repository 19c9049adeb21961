/* chokepoint: the `--details` view of `run` and `summary` (table.h): the
 * tail of each policy's total loss and of its benefit, VaR and CVaR at 95 and
 * 99 %, each with its batch-means standard error (docs/analysis.md), so that
 * a reader sees how well the run pins down the tail and not only the mean. */
#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/stats/tail_impl.h"

static void tail_nan(ckp_cli_tail *t)
{
    for (int i = 0; i < 4; i++)
        t->loss[i] = t->loss_se[i] = t->benefit[i] = t->benefit_se[i] = NAN;
}

/* policies/<policy>/tail/<name> (4 values) into v; left NaN when the file has
 * no such dataset (written before tail/ existed). */
static ckp_status read4(const ckp_output_file *f, const char *policy, const char *name, double *v,
                        ckp_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "policies/%s/tail/%s", policy, name);
    ckp_output_array a;
    memset(&a, 0, sizeof a);
    ckp_error e2;
    ckp_error_clear(&e2);
    ckp_status st = ckp_output_read_array(f, path, &a, &e2);
    if (st == CKP_ERR_USAGE)
        return CKP_OK; /* no such dataset */
    if (st != CKP_OK) {
        *err = e2;
        return st;
    }
    if (a.type != CKP_OUTPUT_DOUBLE || a.count != 4) {
        ckp_output_array_free(&a);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: expected 4 values", path);
    }
    memcpy(v, a.f64, 4 * sizeof *v);
    ckp_output_array_free(&a);
    return CKP_OK;
}

ckp_status ckp_cli_tail_read(const ckp_output_file *f, ckp_cli_tail **out, ckp_error *err)
{
    const ckp_output_info *in = ckp_output_file_info(f);
    ckp_cli_tail *t = calloc((size_t)in->npol, sizeof *t);
    if (!t)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_status st = CKP_OK;
    for (int k = 0; k < in->npol && st == CKP_OK; k++) {
        const char *p = in->policy_names[k];
        tail_nan(&t[k]);
        if ((st = read4(f, p, "loss_total", t[k].loss, err)) == CKP_OK &&
            (st = read4(f, p, "loss_total_se", t[k].loss_se, err)) == CKP_OK && k > 0 &&
            (st = read4(f, p, "benefit", t[k].benefit, err)) == CKP_OK)
            st = read4(f, p, "benefit_se", t[k].benefit_se, err);
    }
    if (st != CKP_OK) {
        free(t);
        return st;
    }
    *out = t;
    return CKP_OK;
}

ckp_status ckp_cli_tail_compute(const ckp_plan *plan, const double *const *loss_total, size_t n,
                                ckp_cli_tail **out, ckp_error *err)
{
    int npol = ckp_plan_npolicies(plan), anti = ckp_plan_antithetic(plan);
    ckp_cli_tail *t = calloc((size_t)npol, sizeof *t);
    double *x = malloc((n ? n : 1) * sizeof *x);
    double *scratch = malloc(ckp_tail_scratch(n) * sizeof *scratch);
    ckp_status st = t && x && scratch ? CKP_OK : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    for (int k = 0; k < npol && st == CKP_OK; k++) {
        ckp_tail r;
        tail_nan(&t[k]);
        memcpy(x, loss_total[k], n * sizeof *x);
        if ((st = ckp_tail_compute(x, n, anti, scratch, &r, err)) != CKP_OK)
            break;
        memcpy(t[k].loss, r.value, sizeof r.value);
        memcpy(t[k].loss_se, r.se, sizeof r.se);
        if (k == 0)
            continue;
        /* The same subtraction as the stored comparison/benefit. */
        for (size_t i = 0; i < n; i++)
            x[i] = loss_total[0][i] - loss_total[k][i];
        if ((st = ckp_tail_compute(x, n, anti, scratch, &r, err)) != CKP_OK)
            break;
        memcpy(t[k].benefit, r.value, sizeof r.value);
        memcpy(t[k].benefit_se, r.se, sizeof r.se);
    }
    free(x);
    free(scratch);
    if (st != CKP_OK) {
        free(t);
        return st;
    }
    *out = t;
    return CKP_OK;
}

/* "value +/- se" in the unit, n/a for what is not there. */
static void cell(char *buf, size_t cap, double v, double se, double scale)
{
    if (!isfinite(v))
        snprintf(buf, cap, "n/a");
    else if (!isfinite(se))
        snprintf(buf, cap, "%.2f +/- n/a", v / scale);
    else
        snprintf(buf, cap, "%.2f +/- %.2f", v / scale, se / scale);
}

static void print_block(FILE *out, const ckp_output_row *rows, const ckp_cli_tail *t, int nrows,
                        int benefit, int namew, double scale)
{
    fprintf(out, "%-*s %18s %18s %18s %18s\n", namew, benefit ? "benefit" : "loss", "VaR95",
            "CVaR95", "VaR99", "CVaR99");
    for (int k = benefit ? 1 : 0; k < nrows; k++) {
        const double *v = benefit ? t[k].benefit : t[k].loss;
        const double *se = benefit ? t[k].benefit_se : t[k].loss_se;
        /* A file without tail/ still has the loss figures in its summary. */
        const ckp_summary *s = &rows[k].loss;
        const double sv[4] = {s->var95, s->cvar95, s->var99, s->cvar99};
        char c[4][48];
        for (int i = 0; i < 4; i++)
            cell(c[i], sizeof c[i], isfinite(v[i]) || benefit ? v[i] : sv[i], se[i], scale);
        fprintf(out, "%-*s %18s %18s %18s %18s\n", namew, ckp_cli_safe(rows[k].name), c[0], c[1],
                c[2], c[3]);
    }
}

void ckp_cli_print_tail(FILE *out, const char *currency, const ckp_output_row *rows,
                        const ckp_cli_tail *t, int nrows)
{
    double scale;
    const char *unit;
    ckp_cli_money_unit(rows, nrows, &scale, &unit);
    int namew = 7;
    for (int k = 0; k < nrows; k++) {
        int l = (int)strlen(ckp_cli_safe(rows[k].name));
        if (l > namew)
            namew = l;
    }
    fprintf(out,
            "\nTail of the total loss and of the benefit (upper tail), %s of %s, "
            "+/- batch-means standard error\n",
            unit, currency && currency[0] ? currency : "currency units");
    print_block(out, rows, t, nrows, 0, namew, scale);
    if (nrows > 1)
        print_block(out, rows, t, nrows, 1, namew, scale);
}
