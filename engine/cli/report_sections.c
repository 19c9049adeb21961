/* chokepoint: the table sections of `chokepoint report` (report.h): the
 * scenario at a glance with its supplier x industry exposure heat map, the
 * policy table (the numbers `chokepoint summary` prints, plus cost and the
 * tail reduction) and the run's facts. Every figure shown is also in a
 * data-* attribute with 17 significant digits, so a test can compare the
 * page with the file. */
#include "report.h"

#include <math.h>
#include <string.h>

/* An amount in its own readable unit ("13.0 million"). */
static void money_auto(char *buf, size_t cap, double v)
{
    static const struct {
        double s;
        const char *w;
    } u[] = {{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (fabs(v) >= u[i].s) {
            snprintf(buf, cap, "%.1f %s", v / u[i].s, u[i].w);
            return;
        }
    snprintf(buf, cap, isfinite(v) ? "%.0f" : "n/a", v);
}

static void size_row(FILE *o, const char *key, const char *what, long long n, const rpt_data *d,
                     const char *(*name)(const ckp_scenario *, int))
{
    char b[32];
    rpt_int(b, sizeof b, n);
    fprintf(o,
            "<tr data-key=\"%s\" data-value=\"%lld\"><td class=\"name\">%s</td>"
            "<td class=\"num\">%s</td><td class=\"name\">",
            key, n, what, b);
    for (int i = 0; name && i < n; i++) {
        if (i)
            fputs(", ", o);
        rpt_esc(o, name(d->sc, i));
    }
    fputs("</td></tr>\n", o);
}

/* White to dark orange by v / max. */
static void heat_color(char *buf, size_t cap, double f)
{
    f = isfinite(f) ? fmin(1.0, fmax(0.0, f)) : 0.0;
    const double a[3] = {255, 247, 236}, b[3] = {127, 39, 4};
    snprintf(buf, cap, "#%02x%02x%02x", (int)(a[0] + (b[0] - a[0]) * f),
             (int)(a[1] + (b[1] - a[1]) * f), (int)(a[2] + (b[2] - a[2]) * f));
}

static void exposure_map(FILE *o, const rpt_data *d)
{
    rpt_chart c = {.W = 1000, .ml = 120, .mr = 20, .mt = 10, .mb = 104};
    double cw = (c.W - c.ml - c.mr) / (d->I > 0 ? d->I : 1), ch = 26;
    if (cw > 110) { /* few industries: cells of a readable width, not a page-wide stripe */
        cw = 110;
        c.W = c.ml + c.mr + cw * d->I;
        if (c.W < 480)
            c.W = 480;
    }
    c.H = c.mt + c.mb + ch * d->S;
    double mx = 0.0;
    for (int i = 0; i < d->S * d->I; i++)
        if (isfinite(d->exposure[i]) && d->exposure[i] > mx)
            mx = d->exposure[i];
    rpt_chart_begin(&c, o, "chart-exposure", "heatmap",
                    "Exposure of each industry to each supplier (baseline)");
    char col[16];
    for (int s = 0; s < d->S; s++) {
        double y = c.mt + ch * s;
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c.ml - 6,
                y + ch / 2 + 4);
        rpt_esc(o, ckp_scenario_supplier(d->sc, s));
        fputs("</text>\n", o);
        for (int i = 0; i < d->I; i++) {
            double v = d->exposure[(size_t)s * d->I + i], f = mx > 0 ? v / mx : 0;
            heat_color(col, sizeof col, f);
            fprintf(o, "<g class=\"cell\" data-supplier-index=\"%d\" data-industry-index=\"%d\"", s,
                    i);
            rpt_data_attr(o, "value", v);
            fprintf(o,
                    "><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                    "stroke=\"#fff\"/><text class=\"cell-label\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"middle\" style=\"fill:%s\">%.2f</text></g>\n",
                    c.ml + cw * i, y, cw, ch, col, c.ml + cw * (i + 0.5), y + ch / 2 + 3.5,
                    f > 0.55 ? "#fff" : "#222", v);
        }
    }
    double yb = c.mt + ch * d->S;
    for (int i = 0; i < d->I; i++) {
        double x = c.ml + cw * (i + 0.5);
        fprintf(o,
                "<text class=\"tick\" transform=\"translate(%.1f %.1f) rotate(-35)\" "
                "text-anchor=\"end\">",
                x + 4, yb + 14);
        rpt_esc(o, ckp_scenario_industry(d->sc, i));
        fputs("</text>\n", o);
    }
    fprintf(o,
            "<text class=\"axis-label x-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
            "industry (importing economy)</text>\n",
            c.ml + (c.W - c.ml - c.mr) / 2, c.H - 6);
    fprintf(o,
            "<text class=\"axis-label y-label\" transform=\"translate(14 %.1f) rotate(-90)\" "
            "text-anchor=\"middle\">supplier</text>\n",
            c.mt + ch * d->S / 2);
    rpt_chart_legend(&c);
    fputs("<li class=\"legend-title\">exposure (unitless):</li>\n", o);
    char lab[96];
    for (int k = 0; k <= 4; k++) {
        heat_color(col, sizeof col, k / 4.0);
        snprintf(lab, sizeof lab, "%.2f", mx * k / 4.0);
        rpt_legend_item(o, "cell", col, 1.0, lab);
    }
    rpt_chart_end(&c);
}

void rpt_sec_glance(FILE *o, const rpt_data *d)
{
    const char *desc = ckp_scenario_description(d->sc);
    if (desc) {
        fputs("<p class=\"scenario-description\">", o);
        rpt_esc(o, desc);
        fputs("</p>\n", o);
    }
    fputs("<p class=\"note\">Importing economy: <strong>", o);
    rpt_esc(o, ckp_scenario_importer(d->sc));
    fputs("</strong>; money in ", o);
    rpt_esc(o, rpt_currency(d));
    fputs(".</p>\n<table id=\"sizes\">\n<tr><th class=\"name\">dimension</th><th>size</th>"
          "<th class=\"name\">names</th></tr>\n",
          o);
    size_row(o, "suppliers", "suppliers", d->S, d, ckp_scenario_supplier);
    size_row(o, "regimes", "supplier regimes", d->K, d, ckp_scenario_regime);
    size_row(o, "materials", "materials", d->M, d, ckp_scenario_material);
    size_row(o, "industries", "industries", d->I, d, ckp_scenario_industry);
    size_row(o, "months", "months in the horizon", d->T, d, NULL);
    size_row(o, "policies", "policies (with the baseline)", d->npol, d, NULL);
    size_row(o, "paths", "simulated paths", (long long)d->in->paths, d, NULL);
    fputs("</table>\n", o);
    exposure_map(o, d);
    fputs("<p class=\"note\">Exposure of industry i to supplier s: the sum over materials of the "
          "industry's criticality for the material (share of output that stops per unit "
          "shortfall) times the share of the material's supply routed through s (mined or "
          "refined). Unitless; 1 means a full cut-off of s would, before stockpiles and "
          "rerouting, stop the industry's output.</p>\n",
          o);
}

/* One money cell with its exact value. */
static void money_cell(FILE *o, const rpt_data *d, const char *col, double v)
{
    char b[48];
    rpt_money(b, sizeof b, d, v);
    fprintf(o, "<td class=\"num\" data-col=\"%s\"", col);
    rpt_data_attr(o, "value", v);
    fprintf(o, ">%s</td>", b);
}

static void policy_row(FILE *o, const rpt_data *d, int k)
{
    const rpt_policy *p = &d->pol[k];
    const ckp_output_row *r = &p->row;
    fprintf(o, "<tr%s data-policy=\"", k == 0 ? " class=\"baseline\"" : "");
    rpt_esc(o, p->name);
    fputs("\"><td class=\"name\" data-col=\"policy\">", o);
    rpt_esc(o, p->name);
    fputs("</td>", o);
    money_cell(o, d, "mean", r->loss.mean);
    money_cell(o, d, "p95", r->loss.q[8]);
    money_cell(o, d, "p99", r->loss.q[9]);
    money_cell(o, d, "cvar99", r->loss.cvar99);
    if (k == 0) {
        fputs("<td class=\"name\" colspan=\"6\">(the reference)</td></tr>\n", o);
        return;
    }
    char m[48], s[48], c[64];
    rpt_money(m, sizeof m, d, r->benefit.mean);
    rpt_money(s, sizeof s, d, r->benefit.se);
    fputs("<td class=\"num\" data-col=\"benefit\"", o);
    rpt_data_attr(o, "value", r->benefit.mean);
    rpt_data_attr(o, "se", r->benefit.se);
    fprintf(o, ">%s &plusmn; %s</td><td class=\"num\" data-col=\"p_positive\"", m, s);
    rpt_data_attr(o, "value", r->benefit.p_positive);
    fprintf(o, ">%.3f</td><td class=\"num\" data-col=\"cost\"", r->benefit.p_positive);
    rpt_data_attr(o, "value", p->has_cost ? p->annual_cost : NAN);
    money_auto(c, sizeof c, p->annual_cost);
    if (p->has_cost) {
        fprintf(o, ">%s ", c);
        rpt_esc(o, rpt_currency(d));
    } else
        fputs(">not stated", o);
    fputs("</td><td class=\"num\" data-col=\"bcr\"", o);
    double bcr = r->benefit.has_bcr ? r->benefit.bcr : NAN;
    rpt_data_attr(o, "value", bcr);
    if (isfinite(bcr))
        fprintf(o, ">%.2f</td>", bcr);
    else
        fputs(">&ndash;</td>", o);
    double red = d->pol[0].row.loss.cvar99 - r->loss.cvar99;
    double pct = 100.0 * red / d->pol[0].row.loss.cvar99;
    rpt_money(m, sizeof m, d, red);
    fputs("<td class=\"num\" data-col=\"cvar99_reduction\"", o);
    rpt_data_attr(o, "value", red);
    rpt_data_attr(o, "percent", pct);
    if (isfinite(pct))
        fprintf(o, ">%s (%.1f%%)</td></tr>\n", m, pct);
    else
        fprintf(o, ">%s</td></tr>\n", m);
}

/* One sentence on the policies that stand out: the largest mean benefit, the
 * best benefit-cost ratio, the largest cut of the 1-in-100 tail. */
static void headline(FILE *o, const rpt_data *d)
{
    int kb = -1, kc = -1, kt = -1;
    for (int k = 1; k < d->npol; k++) {
        const ckp_output_row *r = &d->pol[k].row;
        if (isfinite(r->benefit.mean) && (kb < 0 || r->benefit.mean > d->pol[kb].row.benefit.mean))
            kb = k;
        if (r->benefit.has_bcr && isfinite(r->benefit.bcr) &&
            (kc < 0 || r->benefit.bcr > d->pol[kc].row.benefit.bcr))
            kc = k;
        if (isfinite(r->loss.cvar99) && (kt < 0 || r->loss.cvar99 < d->pol[kt].row.loss.cvar99))
            kt = k;
    }
    if (kb < 0)
        return;
    char m[48], s[48];
    rpt_money(m, sizeof m, d, d->pol[kb].row.benefit.mean);
    rpt_money(s, sizeof s, d, d->pol[kb].row.benefit.se);
    fputs("<p id=\"headline\">Largest mean benefit: <strong>", o);
    rpt_esc(o, d->pol[kb].name);
    fprintf(o, "</strong> (%s &plusmn; %s %s", m, s, d->money_one);
    rpt_esc(o, rpt_currency(d));
    fputc(')', o);
    if (kc >= 0) {
        fputs("; best benefit per unit of cost: <strong>", o);
        rpt_esc(o, d->pol[kc].name);
        fprintf(o, "</strong> (B/C %.1f)", d->pol[kc].row.benefit.bcr);
    }
    if (kt >= 0) {
        fputs("; smallest 1-in-100 tail (CVaR99): <strong>", o);
        rpt_esc(o, d->pol[kt].name);
        fputs("</strong>", o);
    }
    fputs(".</p>\n", o);
}

void rpt_sec_policies(FILE *o, const rpt_data *d)
{
    headline(o, d);
    fputs("<p class=\"note\">Total loss of the importing economy's industries over the horizon, "
          "in ",
          o);
    fprintf(o, "<span id=\"money-unit\" data-scale=\"%.17g\">%s of ", d->money_scale,
            d->money_word);
    rpt_esc(o, rpt_currency(d));
    fputs("</span>. Benefit: baseline loss minus the policy's loss on the same path, mean over "
          "paths &plusmn; its paired standard error. P(b&gt;0): share of paths where the policy "
          "does better. B/C: mean benefit over the cost for the horizon. CVaR99: mean of the "
          "worst 1% of paths.</p>\n",
          o);
    fputs("<div class=\"scroll\"><table id=\"policy-table\">\n<tr><th class=\"name\">policy</th>"
          "<th>mean loss</th><th>p95</th><th>p99</th><th>CVaR99</th><th>benefit &plusmn; se</th>"
          "<th>P(b&gt;0)</th><th>cost per year</th><th>B/C</th><th>CVaR99 reduction</th></tr>\n",
          o);
    for (int k = 0; k < d->npol; k++)
        policy_row(o, d, k);
    fputs("</table></div>\n<h3>What each policy changes</h3>\n<ul class=\"desc\">\n", o);
    for (int k = 1; k < d->npol; k++) {
        fputs("<li><strong>", o);
        rpt_esc(o, d->pol[k].name);
        fputs("</strong>: ", o);
        rpt_esc(o, d->pol[k].description ? d->pol[k].description : "(no description)");
        fputs("</li>\n", o);
    }
    if (d->npol < 2)
        fputs("<li>The file holds the baseline only.</li>\n", o);
    fputs("</ul>\n", o);
}

static void fact(FILE *o, const char *key, const char *label, const char *value, int code)
{
    fprintf(o, "<dt>%s</dt><dd data-key=\"%s\">%s", label, key, code ? "<code>" : "");
    rpt_esc(o, value);
    fprintf(o, "%s</dd>\n", code ? "</code>" : "");
}

void rpt_sec_facts(FILE *o, const rpt_data *d)
{
    const ckp_output_info *in = d->in;
    char b[128], n1[32], n2[32];
    fputs("<dl class=\"facts\" id=\"facts\">\n", o);
    fact(o, "scenario", "scenario", d->scenario_name, 0);
    fact(o, "file", "results file", d->file, 1);
    snprintf(b, sizeof b, "%llu", (unsigned long long)in->seed);
    fact(o, "seed", "seed", b, 0);
    rpt_int(n1, sizeof n1, (long long)in->paths);
    snprintf(b, sizeof b, "%lld", (long long)in->paths);
    fprintf(o, "<dt>paths</dt><dd data-key=\"paths\" data-value=\"%s\">%s (global indices ", b, n1);
    rpt_int(n1, sizeof n1, (long long)in->first_path);
    rpt_int(n2, sizeof n2, (long long)(in->first_path + in->paths - 1));
    fprintf(o, "%s to %s)%s</dd>\n", n1, n2, in->antithetic ? ", antithetic pairs" : "");
    snprintf(b, sizeof b, "%d months", in->horizon_months);
    fact(o, "horizon", "horizon", b, 0);
    snprintf(b, sizeof b, "chokepoint %.100s", in->engine_version);
    fact(o, "engine_version", "written by", b, 0);
    fact(o, "created_utc", "written at (UTC)", in->created_utc, 0);
    fact(o, "command_line", "command", in->command_line ? in->command_line : "(not stored)", 1);
    snprintf(b, sizeof b, "%d", in->schema_version);
    fact(o, "schema_version", "file schema version", b, 0);
    snprintf(b, sizeof b, "chokepoint %.100s", ckp_version());
    fact(o, "report_version", "report made by", b, 0);
    fputs(
        "</dl>\n<p class=\"note\">Every figure can be regenerated: the file stores the resolved "
        "scenario, the seed and the generator state; <code>chokepoint replay FILE --path N</code> "
        "re-simulates any path.</p>\n",
        o);
}
