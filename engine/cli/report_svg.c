/* chokepoint: the chart frame of `chokepoint report` (report.h): a chart is a
 * <figure> holding its title, an inline SVG (plot area, grid, ticks at round
 * numbers, axis labels with units) and an HTML legend. Series colours are
 * the Okabe-Ito palette, which stays distinct for colour-blind readers and
 * in grey print. */
#include "report.h"

#include <math.h>
#include <string.h>

const char *rpt_color(int k)
{
    static const char *const pal[] = {"#000000", "#0072B2", "#D55E00", "#009E73",
                                      "#CC79A7", "#E69F00", "#56B4E9", "#8C564B"};
    return pal[(k < 0 ? 0 : k) % (int)(sizeof pal / sizeof pal[0])];
}

/* A round step (1, 2, 2.5 or 5 times a power of ten) near range / n. */
static double nice_step(double range, int n)
{
    double raw = range / n;
    if (!(raw > 0) || !isfinite(raw))
        return 1.0;
    double p = pow(10.0, floor(log10(raw)));
    double f = raw / p;
    double m = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return m * p;
}

void rpt_nice_range(double *lo, double *hi)
{
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0.0;
        *hi = 1.0;
    }
    if (*hi < *lo) {
        double t = *lo;
        *lo = *hi;
        *hi = t;
    }
    if (*hi - *lo <= fabs(*hi) * 1e-12 || *hi == *lo) {
        double w = *hi != 0.0 ? fabs(*hi) * 0.1 : 1.0;
        *hi += w;
        if (*lo != 0.0)
            *lo -= w;
    }
    double s = nice_step(*hi - *lo, 5);
    *lo = floor(*lo / s) * s;
    *hi = ceil(*hi / s) * s;
}

/* Where v lies on the axis, 0 at lo and 1 at hi; held within [-1, 2] so a wild value
 * of a damaged file cannot write absurd coordinates. */
static double frac(const rpt_axis *a, double v)
{
    double f = 0.0;
    if (a->log) {
        double l0 = log10(a->lo), l1 = log10(a->hi);
        f = l1 > l0 && v > 0 ? (log10(v) - l0) / (l1 - l0) : 0.0;
    } else if (a->hi > a->lo)
        f = (v - a->lo) / (a->hi - a->lo);
    return isfinite(f) ? fmin(2.0, fmax(-1.0, f)) : 0.0;
}

double rpt_px(const rpt_chart *c, double x)
{
    return c->ml + frac(&c->x, x) * (c->W - c->ml - c->mr);
}

double rpt_py(const rpt_chart *c, double y)
{
    return c->H - c->mb - frac(&c->y, y) * (c->H - c->mt - c->mb);
}

void rpt_chart_begin(rpt_chart *c, FILE *o, const char *id, const char *kind, const char *title)
{
    c->o = o;
    fprintf(o, "<figure class=\"chart%s\" id=\"%s\" data-chart=\"%s\">\n",
            c->W > 700 ? " wide" : "", id, kind);
    fputs("<figcaption class=\"chart-title\">", o);
    rpt_esc(o, title);
    fprintf(o,
            "</figcaption>\n<svg viewBox=\"0 0 %.0f %.0f\" "
            "role=\"img\" aria-label=\"",
            c->W, c->H);
    rpt_esc(o, title);
    fputs("\">\n", o);
}

/* A tick label: v / scale or v as a percentage, with as many decimals as the step needs. */
static void tick_text(char *buf, size_t cap, const rpt_axis *a, double v, double step)
{
    double s = a->fmt == RPT_TICK_PCT ? 100.0 : 1.0 / (a->scale > 0 ? a->scale : 1.0);
    double x = v * s, st = step * s;
    int dec = 0;
    if (a->log)
        st = x; /* decades: as many decimals as the value needs */
    while (dec < 6 && st > 0 && fabs(st - round(st * pow(10, dec)) / pow(10, dec)) > st * 1e-6)
        dec++;
    if (fabs(x) < 1e-12 * (fabs(st) + 1e-300))
        x = 0.0;
    snprintf(buf, cap, "%.*f%s", dec, x, a->fmt == RPT_TICK_PCT ? "%" : "");
}

/* The ticks of an axis into t (at most cap); their count. *step gets the step. */
static int ticks(const rpt_axis *a, double *t, int cap, double *step)
{
    int n = 0;
    if (a->log) {
        *step = 0;
        for (double e = ceil(log10(a->lo) - 1e-9); e <= log10(a->hi) + 1e-9 && n < cap; e++)
            t[n++] = pow(10.0, e);
        return n;
    }
    double s =
        a->step > 0 && (a->hi - a->lo) / a->step < 60 ? a->step : nice_step(a->hi - a->lo, 5);
    *step = s;
    for (double v = ceil(a->lo / s - 1e-9) * s; v <= a->hi + s * 1e-9 && n < cap; v += s)
        t[n++] = v;
    return n;
}

void rpt_chart_axes(rpt_chart *c)
{
    FILE *o = c->o;
    double x0 = c->ml, x1 = c->W - c->mr, y0 = c->H - c->mb, y1 = c->mt;
    double t[64], step;
    char buf[64];
    fputs("<g class=\"axis y-axis\">", o);
    /* an empty y range: a chart of categories (their labels are the chart's own) */
    int n = c->y.hi > c->y.lo ? ticks(&c->y, t, 64, &step) : 0;
    for (int i = 0; i < n; i++) {
        double y = rpt_py(c, t[i]);
        tick_text(buf, sizeof buf, &c->y, t[i], step);
        fprintf(o,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                x0, x1, y, y, x0 - 5, y + 4, buf);
    }
    fputs("</g>\n<g class=\"axis x-axis\">", o);
    n = ticks(&c->x, t, 64, &step);
    for (int i = 0; i < n; i++) {
        double x = rpt_px(c, t[i]);
        tick_text(buf, sizeof buf, &c->x, t[i], step);
        fprintf(o,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                x, x, y0, y0 + 4, x, y0 + 16, buf);
    }
    fprintf(o,
            "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#888\"/>\n",
            x0, y1, x1 - x0, y0 - y1);
    fprintf(o, "<text class=\"axis-label x-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            (x0 + x1) / 2, c->H - 6);
    rpt_esc(o, c->x.label);
    fprintf(o,
            "</text>\n<text class=\"axis-label y-label\" transform=\"translate(14 %.1f) "
            "rotate(-90)\" text-anchor=\"middle\">",
            (y0 + y1) / 2);
    rpt_esc(o, c->y.label);
    fputs("</text>\n", o);
}

void rpt_chart_legend(rpt_chart *c)
{
    fputs("</svg>\n<ul class=\"legend\">\n", c->o);
}

void rpt_legend_item(FILE *o, const char *kind, const char *color, double opacity,
                     const char *label)
{
    fputs("<li><svg viewBox=\"0 0 26 12\" aria-hidden=\"true\">", o);
    if (strcmp(kind, "line") == 0 || strcmp(kind, "dash") == 0)
        fprintf(o,
                "<line x1=\"1\" x2=\"25\" y1=\"6\" y2=\"6\" stroke=\"%s\" stroke-width=\"2.5\"%s/>",
                color, kind[0] == 'd' ? " stroke-dasharray=\"5 3\"" : "");
    else
        fprintf(o,
                "<rect x=\"1\" y=\"1\" width=\"24\" height=\"10\" fill=\"%s\" "
                "fill-opacity=\"%.2f\"%s/>",
                color, opacity, kind[0] == 'c' ? " stroke=\"#999\"" : "");
    fputs("</svg><span>", o);
    rpt_esc(o, label);
    fputs("</span></li>\n", o);
}

void rpt_chart_end(rpt_chart *c)
{
    fputs("</ul>\n</figure>\n", c->o);
}

void rpt_polyline(const rpt_chart *c, const double *x, const double *y, size_t n, const char *attrs)
{
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || (c->y.log && !(y[i] > 0))) {
            if (open)
                fprintf(c->o, "\" %s/>\n", attrs);
            open = 0;
            continue;
        }
        if (!open)
            fputs("<polyline fill=\"none\" points=\"", c->o);
        fprintf(c->o, "%s%.1f,%.1f", open ? " " : "", rpt_px(c, x[i]), rpt_py(c, y[i]));
        open = 1;
    }
    if (open)
        fprintf(c->o, "\" %s/>\n", attrs);
}
