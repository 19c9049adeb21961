/* chokepoint: the sensitivity section of `chokepoint report` (report.h), for
 * files of `chokepoint sensitivity -o`: the tornado of the baseline's mean
 * total loss over each key's two swings (largest first, as the group's
 * `order` gives them), the table behind it with the paired standard error
 * of each swing, and the regret table (the best policy at each swing and each
 * policy's shortfall from it). Other files have no sensitivity/ group and the
 * section is left out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "report.h"

static ckp_status read_count(rpt_data *d, const char *name, size_t want, ckp_output_array *a,
                             ckp_error *err)
{
    char path[96];
    snprintf(path, sizeof path, "sensitivity/%s", name);
    CKP_TRY(ckp_output_read_array(d->f, path, a, err));
    if (a->count != want)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset %s holds %zu values, expected %zu", d->file,
                        path, a->count, want);
    return CKP_OK;
}

static ckp_status read_labels(rpt_data *d, ckp_error *err)
{
    ckp_output_slices *s = NULL;
    CKP_TRY(ckp_output_slices_open(d->file, &s, err));
    ckp_error probe;
    ckp_error_clear(&probe);
    rpt_sens *z = &d->sens;
    ckp_status st = CKP_OK;
    /* a file of `run -o` has no group: the section is left out */
    if (ckp_output_slices_labels(s, "sensitivity/key", &z->key, &z->K, &probe) == CKP_OK) {
        z->present = 1;
        st = ckp_output_slices_labels(s, "sensitivity/policy", &z->pol, &z->Q, err);
    }
    ckp_output_slices_close(s);
    return st;
}

ckp_status rpt_sens_load(rpt_data *d, ckp_error *err)
{
    rpt_sens *z = &d->sens;
    CKP_TRY(read_labels(d, err));
    if (!z->present)
        return CKP_OK;
    size_t K = z->K, Q = z->Q;
    if (K == 0 || Q + 1 != (size_t)d->npol)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: the sensitivity/ group does not match the file",
                        d->file);
    CKP_TRY(read_count(d, "low", K, &z->low, err));
    CKP_TRY(read_count(d, "high", K, &z->high, err));
    CKP_TRY(read_count(d, "order", K, &z->order, err));
    CKP_TRY(read_count(d, "loss_mean", K * 2, &z->loss_mean, err));
    CKP_TRY(read_count(d, "loss_swing_se", K, &z->loss_swing_se, err));
    CKP_TRY(read_count(d, "base_loss_mean", 1, &z->base_loss_mean, err));
    CKP_TRY(read_count(d, "benefit_mean", K * 2 * Q, &z->benefit_mean, err));
    CKP_TRY(read_count(d, "best", K * 2, &z->best, err));
    CKP_TRY(read_count(d, "shortfall", K * 2 * Q, &z->shortfall, err));
    CKP_TRY(read_count(d, "base_rank", Q, &z->base_rank, err));
    int bad = !z->order.i64 || !z->base_rank.i64 || !z->best.i64 || !z->low.f64 || !z->high.f64 ||
              !z->loss_mean.f64 || !z->loss_swing_se.f64 || !z->base_loss_mean.f64 ||
              !z->benefit_mean.f64 || !z->shortfall.f64;
    for (size_t k = 0; !bad && k < K; k++)
        bad = z->order.i64[k] < 0 || (size_t)z->order.i64[k] >= K;
    for (size_t j = 0; !bad && j < K * 2; j++)
        bad = z->best.i64[j] < -1 || z->best.i64[j] >= (int64_t)Q;
    if (bad)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: the sensitivity/ group holds values of the wrong "
                        "type or out of range",
                        d->file);
    /* the unswung scenario's best policy is the one of rank 1 */
    int64_t best0 = -1;
    for (size_t q = 0; q < Q; q++)
        if (z->base_rank.i64[q] == 1)
            best0 = (int64_t)q;
    for (size_t j = 0; j < K * 2; j++)
        if (z->best.i64[j] != best0)
            z->best_changes = 1;
    return CKP_OK;
}

void rpt_sens_free(rpt_sens *s)
{
    ckp_output_labels_free(s->key, s->K);
    ckp_output_labels_free(s->pol, s->Q);
    ckp_output_array *a[] = {&s->low,           &s->high,           &s->order,        &s->loss_mean,
                             &s->loss_swing_se, &s->base_loss_mean, &s->benefit_mean, &s->best,
                             &s->shortfall,     &s->base_rank};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        ckp_output_array_free(a[i]);
    memset(s, 0, sizeof *s);
}

/* One bar of the tornado: from the unswung mean to the mean at swing s. */
static void half_bar(FILE *o, const rpt_chart *c, double y, double h, double base, double v,
                     const char *color, int key, const char *swing)
{
    double x0 = rpt_px(c, base), x1 = rpt_px(c, v);
    fprintf(o, "<rect class=\"bar\" data-key-index=\"%d\" data-swing=\"%s\"", key, swing);
    rpt_data_attr(o, "value", v);
    fprintf(o, " x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
            fmin(x0, x1), y, fmax(fabs(x1 - x0), 0.5), h, color);
}

static void tornado_chart(FILE *o, const rpt_data *d)
{
    const rpt_sens *z = &d->sens;
    double base = z->base_loss_mean.f64[0], lo = base, hi = base;
    for (size_t j = 0; j < z->K * 2; j++)
        if (isfinite(z->loss_mean.f64[j])) {
            lo = fmin(lo, z->loss_mean.f64[j]);
            hi = fmax(hi, z->loss_mean.f64[j]);
        }
    if (!(hi > lo))
        hi = lo + fmax(fabs(lo) * 0.01, 1.0);
    rpt_nice_range(&lo, &hi);
    char xl[160];
    snprintf(xl, sizeof xl, "baseline mean total loss (%s of %s)", d->money_word, rpt_currency(d));
    const double gh = 26;
    rpt_chart c = {.W = 1000, .ml = 420, .mr = 20, .mt = 8, .mb = 46};
    c.H = c.mt + c.mb + gh * (double)z->K;
    c.x = (rpt_axis){lo, hi, 0, RPT_TICK_NUM, d->money_scale, xl, 0};
    c.y = (rpt_axis){0, 0, 0, RPT_TICK_NUM, 1, "", 0};
    rpt_chart_begin(&c, o, "chart-tornado", "tornado",
                    "Tornado: the baseline's mean total loss at each key's low and high value");
    rpt_chart_axes(&c);
    for (size_t r = 0; r < z->K; r++) {
        int k = (int)z->order.i64[r];
        double y0 = c.mt + gh * (double)r + 4;
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c.ml - 6,
                y0 + gh / 2);
        rpt_esc(o, z->key[k]);
        fprintf(o, " (%.4g .. %.4g)</text>\n", z->low.f64[k], z->high.f64[k]);
        half_bar(o, &c, y0, gh - 8, base, z->loss_mean.f64[2 * k], rpt_color(1), k, "low");
        half_bar(o, &c, y0, gh - 8, base, z->loss_mean.f64[2 * k + 1], rpt_color(2), k, "high");
    }
    double xb = rpt_px(&c, base);
    fprintf(o,
            "<line class=\"base-line\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#000\" stroke-width=\"1.5\"",
            xb, xb, c.mt, c.H - c.mb);
    rpt_data_attr(o, "value", base);
    fputs("/>\n", o);
    rpt_chart_legend(&c);
    rpt_legend_item(o, "bar", rpt_color(1), 1, "key at its low value");
    rpt_legend_item(o, "bar", rpt_color(2), 1, "key at its high value");
    rpt_legend_item(o, "line", "#000", 1, "unswung scenario");
    rpt_chart_end(&c);
}

static void swing_table(FILE *o, const rpt_data *d)
{
    const rpt_sens *z = &d->sens;
    fprintf(o, "<div class=\"scroll\"><table id=\"sensitivity-table\">\n<tr><th class=\"name\">key"
               "</th><th>low</th><th>high</th><th>loss at low</th><th>loss at high</th>"
               "<th>swing &plusmn; paired se</th><th>best policy at low / high</th></tr>\n");
    char a[48], b[48], s[48], e[48];
    for (size_t r = 0; r < z->K; r++) {
        size_t k = (size_t)z->order.i64[r];
        double l0 = z->loss_mean.f64[2 * k], l1 = z->loss_mean.f64[2 * k + 1];
        rpt_money(a, sizeof a, d, l0);
        rpt_money(b, sizeof b, d, l1);
        rpt_money(s, sizeof s, d, l1 - l0);
        rpt_money(e, sizeof e, d, z->loss_swing_se.f64[k]);
        fprintf(o, "<tr data-key-index=\"%zu\"><td class=\"name\">", k);
        rpt_esc(o, z->key[k]);
        fprintf(o, "</td><td class=\"num\">%.6g</td><td class=\"num\">%.6g</td>", z->low.f64[k],
                z->high.f64[k]);
        fputs("<td class=\"num\"", o);
        rpt_data_attr(o, "value", l0);
        fprintf(o, ">%s</td><td class=\"num\"", a);
        rpt_data_attr(o, "value", l1);
        fprintf(o, ">%s</td><td class=\"num\">%s &plusmn; %s</td><td>", b, s, e);
        for (int sw = 0; sw < 2; sw++) {
            int64_t best = z->best.i64[2 * k + (size_t)sw];
            fputs(sw ? " / " : "", o);
            rpt_esc(o, best >= 0 ? z->pol[best] : "-");
        }
        fputs("</td></tr>\n", o);
    }
    fprintf(o,
            "</table></div>\n<p class=\"note\">Money in %s of %s. Each swing is the scenario "
            "with one key changed, run on the same paths as the unswung scenario (common "
            "random numbers); the paired se is that of the difference between the two "
            "swings.</p>\n",
            d->money_word, rpt_currency(d));
}

static void regret_table(FILE *o, const rpt_data *d)
{
    const rpt_sens *z = &d->sens;
    fprintf(o, "<p id=\"sensitivity-verdict\" data-best-changes=\"%d\">%s</p>\n", z->best_changes,
            z->best_changes ? "<strong>The best policy changes</strong> with some of these "
                              "assumptions: see the regret table."
                            : "The best policy is the same at every swing as in the "
                              "unswung scenario.");
    fputs("<div class=\"scroll\"><table id=\"regret-table\">\n<tr><th class=\"name\">key, "
          "swing</th><th>best policy</th>",
          o);
    for (size_t q = 0; q < z->Q; q++) {
        fputs("<th>", o);
        rpt_esc(o, z->pol[q]);
        fputs("</th>", o);
    }
    fputs("</tr>\n", o);
    char b[48];
    for (size_t r = 0; r < z->K; r++) {
        size_t k = (size_t)z->order.i64[r];
        for (size_t sw = 0; sw < 2; sw++) {
            size_t j = 2 * k + sw;
            int64_t best = z->best.i64[j];
            fprintf(o, "<tr data-key-index=\"%zu\" data-swing=\"%s\"><td class=\"name\">", k,
                    sw ? "high" : "low");
            rpt_esc(o, z->key[k]);
            fprintf(o, " = %.6g</td><td>", sw ? z->high.f64[k] : z->low.f64[k]);
            rpt_esc(o, best >= 0 ? z->pol[best] : "-");
            fputs("</td>", o);
            for (size_t q = 0; q < z->Q; q++) {
                double v = z->shortfall.f64[j * z->Q + q];
                rpt_money(b, sizeof b, d, v);
                fputs("<td class=\"num\"", o);
                rpt_data_attr(o, "value", v);
                fprintf(o, ">%s</td>", v == 0 ? "best" : b);
            }
            fputs("</tr>\n", o);
        }
    }
    fprintf(o,
            "</table></div>\n<p class=\"note\">Regret: the best policy's mean benefit at the "
            "swing minus the policy's, in %s of %s (\"best\": none). A small regret can be "
            "noise: compare it with the benefits' paired standard errors.</p>\n",
            d->money_word, rpt_currency(d));
}

void rpt_sec_sensitivity(FILE *o, const rpt_data *d)
{
    tornado_chart(o, d);
    swing_table(o, d);
    regret_table(o, d);
}
