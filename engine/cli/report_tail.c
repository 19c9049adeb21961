/* chokepoint: the tail section of `chokepoint report` (report.h): how well
 * the run pins down VaR and CVaR at 95 and 99 % of each policy's total loss
 * and of its benefit, with the batch-means standard errors the writer
 * stores in policies/<name>/tail/ (docs/analysis.md, "Tail uncertainty").
 * Files written before tail/ existed have none, and the section is left
 * out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "report.h"

static const char *const tail_label[RPT_NTAIL] = {"VaR95", "CVaR95", "VaR99", "CVaR99"};

/* policies/<name>/tail/<what> into row[0..3]; *missing set when the file has
 * no such dataset. */
static ckp_status read_tail(rpt_data *d, int k, const char *what, double *row, int *missing,
                            ckp_error *err)
{
    char name[512];
    snprintf(name, sizeof name, "policies/%s/tail/%s", d->pol[k].name, what);
    ckp_output_array a;
    memset(&a, 0, sizeof a);
    ckp_error probe;
    ckp_error_clear(&probe);
    ckp_status st = ckp_output_read_array(d->f, name, &a, &probe);
    if (st == CKP_ERR_USAGE) { /* no such dataset */
        *missing = 1;
        for (int i = 0; i < RPT_NTAIL; i++)
            row[i] = NAN;
        return CKP_OK;
    }
    if (st != CKP_OK) {
        *err = probe;
        return st;
    }
    int ok = a.count == RPT_NTAIL && a.f64;
    if (ok)
        memcpy(row, a.f64, sizeof(double) * RPT_NTAIL);
    ckp_output_array_free(&a);
    if (!ok)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset %s does not hold %d numbers", d->file, name,
                        RPT_NTAIL);
    *missing = 0;
    return CKP_OK;
}

ckp_status rpt_tail_load(rpt_data *d, ckp_error *err)
{
    rpt_tail *t = &d->tail;
    size_t n = (size_t)(d->npol > 0 ? d->npol : 1);
    t->loss = calloc(n, sizeof *t->loss);
    t->loss_se = calloc(n, sizeof *t->loss_se);
    t->ben = calloc(n, sizeof *t->ben);
    t->ben_se = calloc(n, sizeof *t->ben_se);
    if (!t->loss || !t->loss_se || !t->ben || !t->ben_se)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    int missing = 0, m2 = 0;
    CKP_TRY(read_tail(d, 0, "loss_total", t->loss[0], &missing, err));
    if (missing)
        return CKP_OK; /* a file without tail/ groups */
    for (int k = 0; k < d->npol; k++) {
        CKP_TRY(read_tail(d, k, "loss_total", t->loss[k], &m2, err));
        CKP_TRY(read_tail(d, k, "loss_total_se", t->loss_se[k], &m2, err));
        if (m2)
            return CKP_FAIL(err, CKP_ERR_IO, "%s: policy %s has no complete tail/ group", d->file,
                            d->pol[k].name);
        /* the baseline has no benefit: NaN */
        CKP_TRY(read_tail(d, k, "benefit", t->ben[k], &m2, err));
        CKP_TRY(read_tail(d, k, "benefit_se", t->ben_se[k], &m2, err));
    }
    t->present = 1;
    return CKP_OK;
}

void rpt_tail_free(rpt_tail *t)
{
    free(t->loss);
    free(t->loss_se);
    free(t->ben);
    free(t->ben_se);
    memset(t, 0, sizeof *t);
}

/* "12.34 ± 0.56" (the se "n/a" when the run has too few paths for it). */
static void cell(FILE *o, const rpt_data *d, const char *col, double v, double se)
{
    char a[48], b[48];
    rpt_money(a, sizeof a, d, v);
    rpt_money(b, sizeof b, d, se);
    fprintf(o, "<td class=\"num\" data-col=\"%s\"", col);
    rpt_data_attr(o, "value", v);
    rpt_data_attr(o, "se", se);
    fprintf(o, ">%s &plusmn; %s</td>", a, isfinite(se) ? b : "n/a");
}

static void table(FILE *o, const rpt_data *d, const char *id, const char *what, int benefit)
{
    const rpt_tail *t = &d->tail;
    fprintf(o, "<div class=\"scroll\"><table id=\"%s\">\n<tr><th class=\"name\">policy (%s)</th>",
            id, what);
    for (int i = 0; i < RPT_NTAIL; i++)
        fprintf(o, "<th>%s &plusmn; se</th>", tail_label[i]);
    fputs("</tr>\n", o);
    for (int k = benefit ? 1 : 0; k < d->npol; k++) {
        fputs("<tr data-policy=\"", o);
        rpt_esc(o, d->pol[k].name);
        fputs("\"><td class=\"name\">", o);
        rpt_esc(o, d->pol[k].name);
        fputs("</td>", o);
        for (int i = 0; i < RPT_NTAIL; i++)
            cell(o, d, tail_label[i], benefit ? t->ben[k][i] : t->loss[k][i],
                 benefit ? t->ben_se[k][i] : t->loss_se[k][i]);
        fputs("</tr>\n", o);
    }
    fputs("</table></div>\n", o);
}

void rpt_sec_tail(FILE *o, const rpt_data *d)
{
    fprintf(o,
            "<p>Value at risk (VaR: the loss exceeded on 5 %% or 1 %% of paths) and conditional "
            "value at risk (CVaR: the mean loss on those paths) of the total loss, and the same "
            "figures of the upper tail of each policy's benefit (the saving exceeded on 5 %% or "
            "1 %% of paths, and the mean saving there), in %s of %s. Each &plusmn; is a Monte "
            "Carlo "
            "standard error from batch means over fixed blocks of paths: it says how much the "
            "figure would move with another seed, not whether the scenario is right. "
            "&ldquo;n/a&rdquo;: too few paths in the tail for eight blocks.</p>\n",
            d->money_word, rpt_currency(d));
    table(o, d, "tail-loss-table", "total loss", 0);
    if (d->npol > 1)
        table(o, d, "tail-benefit-table", "benefit", 1);
}
