/* chokepoint: the chart sections of `chokepoint report` (report.h): the
 * baseline's fan charts of shortfall and price by material, the exceedance
 * curves of total loss for every policy, the losses by industry per policy,
 * and the baseline's worst path month by month. Each series carries its
 * values in a data-values attribute (17 significant digits), so a test can
 * check that what is drawn is what the file holds. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ` data-NAME="v0 v1 ..."` of n values with stride. */
static void values_attr(FILE *o, const char *name, const double *v, size_t n, size_t stride)
{
    fprintf(o, " data-%s=\"", name);
    for (size_t i = 0; i < n; i++)
        fprintf(o, "%s%.17g", i ? " " : "", v[i * stride]);
    fputc('"', o);
}

/* The index of quantile probability p in the file's quantile coordinate, or -1. */
static int qidx(const rpt_data *d, double p)
{
    for (int i = 0; i < CKP_NQUANTILES; i++)
        if (fabs(d->quant[i] - p) < 1e-12)
            return i;
    return -1;
}

/* Filled band between two series of n values (stride apart). */
static void band(const rpt_chart *c, const double *x, const double *lo, const double *hi, size_t n,
                 size_t stride, const char *fill, double op, const char *name)
{
    fprintf(c->o,
            "<polygon class=\"band\" data-series=\"%s\" fill=\"%s\" fill-opacity=\"%.2f\" "
            "points=\"",
            name, fill, op);
    for (size_t i = 0; i < n; i++)
        fprintf(c->o, "%s%.1f,%.1f", i ? " " : "", rpt_px(c, x[i]), rpt_py(c, hi[i * stride]));
    for (size_t i = n; i-- > 0;)
        fprintf(c->o, " %.1f,%.1f", rpt_px(c, x[i]), rpt_py(c, lo[i * stride]));
    fputc('"', c->o);
    values_attr(c->o, "lower", lo, n, stride);
    values_attr(c->o, "upper", hi, n, stride);
    fputs("/>\n", c->o);
}

/* Series of n values at stride as a polyline with its values. */
static void series(const rpt_chart *c, const double *x, const double *v, size_t n, size_t stride,
                   const char *name, const char *style)
{
    double *y = malloc((n ? n : 1) * sizeof *y);
    if (!y)
        return;
    for (size_t i = 0; i < n; i++)
        y[i] = v[i * stride];
    char attrs[512];
    int len = snprintf(attrs, sizeof attrs, "class=\"series\" data-series=\"%s\" %s", name, style);
    (void)len;
    fprintf(c->o, "<g");
    values_attr(c->o, "values", y, n, 1);
    fputs(">", c->o);
    rpt_polyline(c, x, y, n, attrs);
    fputs("</g>\n", c->o);
    free(y);
}

static void fan_chart(FILE *o, const rpt_data *d, const rpt_fan *fan, int m, int price)
{
    const size_t T = (size_t)d->T, M = (size_t)d->M, Q = CKP_NQUANTILES;
    int i05 = qidx(d, 0.05), i25 = qidx(d, 0.25), i50 = qidx(d, 0.5), i75 = qidx(d, 0.75),
        i95 = qidx(d, 0.95);
    if (i05 < 0 || i25 < 0 || i50 < 0 || i75 < 0 || i95 < 0)
        return;
    const double *b = fan->band.f64 + (size_t)m * Q, *mean = fan->mean.f64 + m;
    double lo = price ? INFINITY : 0.0, hi = price ? 1.0 : 0.01;
    for (size_t t = 0; t < T; t++) {
        const double v[] = {b[t * M * Q + i05], b[t * M * Q + i95], mean[t * M]};
        for (int j = 0; j < 3; j++)
            if (isfinite(v[j])) {
                lo = fmin(lo, v[j]);
                hi = fmax(hi, v[j]);
            }
    }
    if (price)
        lo = fmin(lo, 1.0);
    rpt_nice_range(&lo, &hi);
    rpt_chart c = {.W = 480, .H = 290, .ml = 62, .mr = 14, .mt = 10, .mb = 44};
    c.x = (rpt_axis){1, (double)T, 0, RPT_TICK_NUM, 1, "month of the horizon", T >= 24 ? 12 : 0};
    c.y = price ? (rpt_axis){lo, hi, 0, RPT_TICK_NUM, 1, "price (× pre-crisis price)", 0}
                : (rpt_axis){lo, hi, 0, RPT_TICK_PCT, 1, "shortfall (% of demand)", 0};
    char id[64], title[512];
    snprintf(id, sizeof id, "chart-fan-%s-%d", price ? "price" : "shortfall", m);
    snprintf(title, sizeof title, "%s: %s by month, baseline", ckp_scenario_material(d->sc, m),
             price ? "price" : "shortfall");
    rpt_chart_begin(&c, o, id, price ? "fan-price" : "fan-shortfall", title);
    rpt_chart_axes(&c);
    double *x = malloc(T * sizeof *x);
    if (!x)
        return;
    for (size_t t = 0; t < T; t++)
        x[t] = (double)(t + 1);
    const size_t st = M * Q;
    band(&c, x, b + i05, b + i95, T, st, "#0072B2", 0.18, "q05-q95");
    band(&c, x, b + i25, b + i75, T, st, "#0072B2", 0.35, "q25-q75");
    if (price)
        fprintf(o,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" "
                "stroke-dasharray=\"2 3\"/>\n",
                rpt_px(&c, 1), rpt_px(&c, (double)T), rpt_py(&c, 1.0), rpt_py(&c, 1.0));
    series(&c, x, b + i50, T, st, "median", "stroke=\"#0072B2\" stroke-width=\"2\"");
    series(&c, x, mean, T, M, "mean",
           "stroke=\"#D55E00\" stroke-width=\"2\" "
           "stroke-dasharray=\"5 3\"");
    free(x);
    rpt_chart_legend(&c);
    rpt_legend_item(o, "band", "#0072B2", 0.18, "5–95% of paths");
    rpt_legend_item(o, "band", "#0072B2", 0.45, "25–75%");
    rpt_legend_item(o, "line", "#0072B2", 1, "median");
    rpt_legend_item(o, "dash", "#D55E00", 1, "mean");
    rpt_chart_end(&c);
}

void rpt_sec_fans(FILE *o, const rpt_data *d)
{
    const rpt_fan *fans[2] = {&d->fan_short, &d->fan_price};
    static const char *const head[2] = {
        "Shortfall: share of demand that cannot be met in the month",
        "Price: multiple of the pre-crisis price"};
    for (int k = 0; k < 2; k++) {
        fprintf(o, "<h3>%s</h3>\n", head[k]);
        if (!fans[k]->present) {
            fputs("<p class=\"note missing\">Not in this file: the run kept no per-month "
                  "statistics.</p>\n",
                  o);
            continue;
        }
        fputs("<div class=\"grid\">\n", o);
        for (int m = 0; m < d->M; m++)
            fan_chart(o, d, fans[k], m, k);
        fputs("</div>\n", o);
    }
    fputs("<p class=\"note\">Bands from the per-month histograms of all paths of the baseline "
          "(the upper edge of the bin holding the quantile); the mean is exact.</p>\n",
          o);
}

static void exceed_chart(FILE *o, const rpt_data *d)
{
    double hi = 0.0, pmin = 1.0;
    for (int k = 0; k < d->npol; k++) {
        const rpt_policy *p = &d->pol[k];
        for (size_t i = 0; i < p->exc_level.count; i++) {
            double l = p->exc_level.f64[i], pr = p->exc_prob.f64[i];
            if (isfinite(l) && pr > 0 && l > hi)
                hi = l;
            if (pr > 0 && pr < pmin)
                pmin = pr;
        }
    }
    double lo = 0.0, floor_p = pow(10.0, floor(log10(pmin > 0 ? pmin : 1e-3)));
    if (!(floor_p > 0) || floor_p > 0.1)
        floor_p = 0.1;
    rpt_nice_range(&lo, &hi);
    char xl[160];
    snprintf(xl, sizeof xl, "total loss over the horizon (%s of %s)", d->money_word,
             rpt_currency(d));
    rpt_chart c = {.W = 1000, .H = 420, .ml = 70, .mr = 20, .mt = 12, .mb = 46};
    c.x = (rpt_axis){lo, hi, 0, RPT_TICK_NUM, d->money_scale, xl, 0};
    c.y = (rpt_axis){floor_p, 1.0, 1, RPT_TICK_PCT, 1, "probability the loss is exceeded", 0};
    rpt_chart_begin(&c, o, "chart-exceedance", "exceedance",
                    "Exceedance curves: probability that the total loss exceeds a level");
    rpt_chart_axes(&c);
    for (int k = d->npol - 1; k >= 0; k--) {
        const rpt_policy *p = &d->pol[k];
        fputs("<g class=\"series\" data-policy=\"", o);
        rpt_esc(o, p->name);
        fputc('"', o);
        values_attr(o, "levels", p->exc_level.f64, p->exc_level.count, 1);
        values_attr(o, "probs", p->exc_prob.f64, p->exc_prob.count, 1);
        char st[160];
        snprintf(st, sizeof st, "stroke=\"%s\" stroke-width=\"%s\"%s", rpt_color(k),
                 k == 0 ? "2.6" : "2", k == 0 ? " stroke-dasharray=\"6 3\"" : "");
        fputs(">", o);
        rpt_polyline(&c, p->exc_level.f64, p->exc_prob.f64, p->exc_level.count, st);
        fputs("</g>\n", o);
    }
    rpt_chart_legend(&c);
    for (int k = 0; k < d->npol; k++)
        rpt_legend_item(o, k == 0 ? "dash" : "line", rpt_color(k), 1, d->pol[k].name);
    rpt_chart_end(&c);
}

void rpt_sec_exceedance(FILE *o, const rpt_data *d)
{
    exceed_chart(o, d);
    fputs("<p class=\"note\">Read across: at 1% (a 1-in-100 outcome) each curve gives the loss "
          "exceeded once in a hundred runs of the horizon; a curve further left is a safer "
          "policy. Probabilities on a log scale, from all paths of each policy.</p>\n",
          o);
}

static void industry_chart(FILE *o, const rpt_data *d)
{
    const int P = d->npol, I = d->I;
    double bh = P > 6 ? 5.0 : 7.0, gh = bh * P + 10, hi = 0.0, lo = 0.0;
    for (int k = 0; k < P; k++)
        for (int i = 0; i < I; i++)
            if (isfinite(d->pol[k].ind_mean[i])) {
                hi = fmax(hi, d->pol[k].ind_mean[i]);
                lo = fmin(lo, d->pol[k].ind_mean[i]);
            }
    rpt_nice_range(&lo, &hi);
    char xl[160];
    snprintf(xl, sizeof xl, "mean loss over the horizon (%s of %s)", d->money_word,
             rpt_currency(d));
    rpt_chart c = {.W = 1000, .ml = 170, .mr = 20, .mt = 8, .mb = 46};
    c.H = c.mt + c.mb + gh * I;
    c.x = (rpt_axis){lo, hi, 0, RPT_TICK_NUM, d->money_scale, xl, 0};
    /* an empty y range: x grid and ticks only, the y axis lists the industries */
    c.y = (rpt_axis){0, 0, 0, RPT_TICK_NUM, 1, "industry", 0};
    rpt_chart_begin(&c, o, "chart-industries", "industry-bars",
                    "Mean loss by industry under each policy");
    rpt_chart_axes(&c);
    for (int i = 0; i < I; i++) {
        double y0 = c.mt + gh * i + 5;
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c.ml - 6,
                y0 + bh * P / 2 + 4);
        rpt_esc(o, ckp_scenario_industry(d->sc, i));
        fputs("</text>\n", o);
        for (int k = 0; k < P; k++) {
            double v = d->pol[k].ind_mean[i], x0 = rpt_px(&c, 0), x1 = rpt_px(&c, v);
            fputs("<rect class=\"bar\" data-policy=\"", o);
            rpt_esc(o, d->pol[k].name);
            fprintf(o, "\" data-industry-index=\"%d\"", i);
            rpt_data_attr(o, "value", v);
            fprintf(o, " x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                    fmin(x0, x1), y0 + bh * k, fabs(x1 - x0), bh - 1, rpt_color(k));
        }
    }
    rpt_chart_legend(&c);
    for (int k = 0; k < P; k++)
        rpt_legend_item(o, "bar", rpt_color(k), 1, d->pol[k].name);
    rpt_chart_end(&c);
}

void rpt_sec_industries(FILE *o, const rpt_data *d)
{
    industry_chart(o, d);
    fprintf(o,
            "<div class=\"scroll\"><table id=\"industry-table\">\n<tr><th class=\"name\">"
            "industry (mean loss, %s)</th>",
            d->money_word);
    for (int k = 0; k < d->npol; k++) {
        fputs("<th>", o);
        rpt_esc(o, d->pol[k].name);
        fputs("</th>", o);
    }
    fputs("</tr>\n", o);
    char b[48];
    for (int i = 0; i < d->I; i++) {
        fprintf(o, "<tr data-industry-index=\"%d\"><td class=\"name\">", i);
        rpt_esc(o, ckp_scenario_industry(d->sc, i));
        fputs("</td>", o);
        for (int k = 0; k < d->npol; k++) {
            rpt_money(b, sizeof b, d, d->pol[k].ind_mean[i]);
            fputs("<td class=\"num\" data-policy=\"", o);
            rpt_esc(o, d->pol[k].name);
            fputc('"', o);
            rpt_data_attr(o, "value", d->pol[k].ind_mean[i]);
            fprintf(o, ">%s</td>", b);
        }
        fputs("</tr>\n", o);
    }
    fputs("</table></div>\n", o);
}
