/* chokepoint: the worst-path section of `chokepoint report` (report.h): the
 * baseline path with the largest total loss (as `replay --path worst` picks
 * it), re-simulated from the stored scenario and seed, shown month by month:
 * the loss of each month, the shortfall of each material and the suppliers
 * outside their first (normal) regime. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A unit for amounts up to big: scale and word. */
static void unit_for(double big, double *scale, const char **word)
{
    static const struct {
        double s;
        const char *w;
    } u[] = {{1e12, "trillions"}, {1e9, "billions"}, {1e6, "millions"}, {1e3, "thousands"}};
    *scale = 1.0;
    *word = "units";
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (big >= u[i].s) {
            *scale = u[i].s;
            *word = u[i].w;
            return;
        }
}

static double month_loss(const rpt_data *d, int t)
{
    double s = 0.0;
    for (int i = 0; i < d->I; i++)
        s += d->tr.loss[(size_t)t * d->I + i];
    return s;
}

/* The highest regime index of any supplier in month t. */
static int worst_regime(const rpt_data *d, int t)
{
    int k = 0;
    for (int s = 0; s < d->S; s++)
        if (d->tr.regime[(size_t)t * d->S + s] > k)
            k = d->tr.regime[(size_t)t * d->S + s];
    return k;
}

static double regime_opacity(const rpt_data *d, int k)
{
    return d->K > 1 ? 0.32 * k / (d->K - 1) : 0.0;
}

static void loss_chart(FILE *o, const rpt_data *d, double scale, const char *word)
{
    double hi = 0.0, lo = 0.0;
    for (int t = 0; t < d->T; t++)
        if (isfinite(month_loss(d, t)))
            hi = fmax(hi, month_loss(d, t));
    rpt_nice_range(&lo, &hi);
    char yl[160];
    snprintf(yl, sizeof yl, "loss in the month (%s of %s)", word, rpt_currency(d));
    rpt_chart c = {.W = 1000, .H = 300, .ml = 70, .mr = 20, .mt = 10, .mb = 44};
    c.x = (rpt_axis){
        0.5, d->T + 0.5, 0, RPT_TICK_NUM, 1, "month of the horizon", d->T >= 24 ? 12 : 0};
    c.y = (rpt_axis){lo, hi, 0, RPT_TICK_NUM, scale, yl, 0};
    rpt_chart_begin(&c, o, "chart-worst-loss", "worst-loss",
                    "Worst baseline path: loss of the industries month by month");
    /* months shaded by the most severe regime of any supplier (regimes in file order) */
    for (int t = 0; t < d->T; t++) {
        int k = worst_regime(d, t);
        if (k > 0)
            fprintf(o,
                    "<rect class=\"regime\" data-month=\"%d\" data-regime-index=\"%d\" "
                    "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#5a5a5a\" "
                    "fill-opacity=\"%.2f\"/>\n",
                    t + 1, k, rpt_px(&c, t + 0.5), c.mt, rpt_px(&c, t + 1.5) - rpt_px(&c, t + 0.5),
                    c.H - c.mt - c.mb, regime_opacity(d, k));
    }
    rpt_chart_axes(&c);
    double w = (rpt_px(&c, 1.5) - rpt_px(&c, 0.5)) * 0.8;
    for (int t = 0; t < d->T; t++) {
        double v = month_loss(d, t), y = rpt_py(&c, v), y0 = rpt_py(&c, 0);
        fprintf(o, "<rect class=\"bar\" data-month=\"%d\"", t + 1);
        rpt_data_attr(o, "value", v);
        fprintf(o, " x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#D55E00\"/>\n",
                rpt_px(&c, t + 1) - w / 2, fmin(y, y0), w, fabs(y0 - y));
    }
    rpt_chart_legend(&c);
    rpt_legend_item(o, "bar", "#D55E00", 1, "loss of all industries in the month");
    char lab[600];
    for (int k = 1; k < d->K; k++) {
        snprintf(lab, sizeof lab, "worst supplier regime: %s", ckp_scenario_regime(d->sc, k));
        rpt_legend_item(o, "cell", "#5a5a5a", regime_opacity(d, k), lab);
    }
    rpt_chart_end(&c);
}

static void shortfall_chart(FILE *o, const rpt_data *d)
{
    const size_t T = (size_t)d->T, M = (size_t)d->M;
    double hi = 0.01, lo = 0.0;
    for (size_t i = 0; i < T * M; i++)
        if (isfinite(d->tr.shortfall[i]))
            hi = fmax(hi, d->tr.shortfall[i]);
    rpt_nice_range(&lo, &hi);
    rpt_chart c = {.W = 1000, .H = 300, .ml = 70, .mr = 20, .mt = 10, .mb = 44};
    c.x = (rpt_axis){1, (double)T, 0, RPT_TICK_NUM, 1, "month of the horizon", T >= 24 ? 12 : 0};
    c.y = (rpt_axis){lo, hi, 0, RPT_TICK_PCT, 1, "shortfall (% of demand)", 0};
    rpt_chart_begin(&c, o, "chart-worst-shortfall", "worst-shortfall",
                    "Worst baseline path: shortfall of each material month by month");
    rpt_chart_axes(&c);
    double *x = malloc(T * sizeof *x), *y = malloc(T * sizeof *y);
    for (size_t m = 0; x && y && m < M; m++) {
        for (size_t t = 0; t < T; t++) {
            x[t] = (double)(t + 1);
            y[t] = d->tr.shortfall[t * M + m];
        }
        char st[128];
        snprintf(st, sizeof st, "stroke=\"%s\" stroke-width=\"2\"", rpt_color((int)m + 1));
        fprintf(o, "<g class=\"series\" data-material-index=\"%zu\"", m);
        fputs(" data-values=\"", o);
        for (size_t t = 0; t < T; t++)
            fprintf(o, "%s%.17g", t ? " " : "", y[t]);
        fputs("\">", o);
        rpt_polyline(&c, x, y, T, st);
        fputs("</g>\n", o);
    }
    free(x);
    free(y);
    rpt_chart_legend(&c);
    for (int m = 0; m < d->M; m++)
        rpt_legend_item(o, "line", rpt_color(m + 1), 1, ckp_scenario_material(d->sc, m));
    rpt_chart_end(&c);
}

/* The month table: disrupted suppliers, shortfall per material, loss. */
static void worst_table(FILE *o, const rpt_data *d, double scale, const char *word)
{
    fputs("<div class=\"scroll\"><table id=\"worst-table\">\n<tr><th>month</th>"
          "<th class=\"name\">suppliers not in regime ",
          o);
    rpt_esc(o, ckp_scenario_regime(d->sc, 0));
    fputs("</th>", o);
    for (int m = 0; m < d->M; m++) {
        fputs("<th>shortfall ", o);
        rpt_esc(o, ckp_scenario_material(d->sc, m));
        fputs("</th>", o);
    }
    fprintf(o, "<th>loss (%s of ", word);
    rpt_esc(o, rpt_currency(d));
    fputs(")</th></tr>\n", o);
    for (int t = 0; t < d->T; t++) {
        fprintf(o, "<tr data-month=\"%d\"><td class=\"num\">%d</td><td class=\"name\">", t + 1,
                t + 1);
        int any = 0;
        for (int s = 0; s < d->S; s++) {
            int k = d->tr.regime[(size_t)t * d->S + s];
            if (k == 0)
                continue;
            fputs(any++ ? ", " : "", o);
            rpt_esc(o, ckp_scenario_supplier(d->sc, s));
            fputs(": ", o);
            rpt_esc(o, ckp_scenario_regime(d->sc, k));
        }
        fputs(any ? "</td>" : "&ndash;</td>", o);
        for (int m = 0; m < d->M; m++) {
            double v = d->tr.shortfall[(size_t)t * d->M + m];
            fprintf(o, "<td class=\"num\" data-material-index=\"%d\"", m);
            rpt_data_attr(o, "value", v);
            fprintf(o, ">%.1f%%</td>", 100.0 * v);
        }
        double l = month_loss(d, t);
        fputs("<td class=\"num\" data-col=\"loss\"", o);
        rpt_data_attr(o, "value", l);
        fprintf(o, ">%.2f</td></tr>\n", l / scale);
    }
    fputs("</table></div>\n", o);
}

void rpt_sec_worst(FILE *o, const rpt_data *d)
{
    char n[32], tot[48], mean[48];
    rpt_int(n, sizeof n, (long long)d->in->paths);
    rpt_money(tot, sizeof tot, d, d->worst_loss);
    rpt_money(mean, sizeof mean, d, d->pol[0].row.loss.mean);
    fprintf(o, "<p id=\"worst-summary\" data-path=\"%lld\"", (long long)d->worst_path);
    rpt_data_attr(o, "loss", d->worst_loss);
    fprintf(o, ">Path %lld, the largest total loss of the %s baseline paths: <strong>%s %s",
            (long long)d->worst_path, n, tot, d->money_one);
    rpt_esc(o, rpt_currency(d));
    fprintf(o, "</strong>, against a baseline mean of %s %s", mean, d->money_one);
    rpt_esc(o, rpt_currency(d));
    fputs(". Re-simulated from the stored scenario and seed; <code>chokepoint replay FILE "
          "--path worst</code> prints every variable.</p>\n",
          o);
    double big = 0.0, scale;
    const char *word;
    for (int t = 0; t < d->T; t++)
        if (isfinite(month_loss(d, t)))
            big = fmax(big, month_loss(d, t));
    unit_for(big, &scale, &word);
    loss_chart(o, d, scale, word);
    shortfall_chart(o, d);
    worst_table(o, d, scale, word);
}
