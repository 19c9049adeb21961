/* chokepoint: the text side of `chokepoint report` (report.h): escaping of
 * every string taken from the results file, number formats, and the page
 * frame with its inline CSS (screen and print) and a Content-Security-Policy
 * that forbids fetching anything: the page is one self-contained file. */
#include "report.h"

#include <math.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at p (1..4), or 0 if it is none. */
static int utf8_len(const unsigned char *p)
{
    int n;
    unsigned int cp;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
        cp = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        cp = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        cp = p[0] & 0x07u;
    } else
        return 0;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    /* overlong forms, surrogates and values past U+10FFFF */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void rpt_esc(FILE *o, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char ch = *p;
        switch (ch) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        default:
            if (ch == '\n' || ch == '\t')
                fputc(ch, o);
            else if (ch < 0x20)
                fprintf(o, "&#x%X;", 0x2400u + ch); /* control pictures: ESC shows as a sign */
            else if (ch == 0x7F)
                fputs("&#x2421;", o);
            else {
                int n = utf8_len(p);
                if (n == 0) {
                    fputs("&#xFFFD;", o);
                    n = 1;
                } else
                    fwrite(p, 1, (size_t)n, o);
                p += n;
                continue;
            }
        }
        p++;
    }
}

void rpt_data_attr(FILE *o, const char *name, double v)
{
    if (isnan(v))
        fprintf(o, " data-%s=\"nan\"", name);
    else if (isinf(v))
        fprintf(o, " data-%s=\"%s\"", name, v > 0 ? "inf" : "-inf");
    else
        fprintf(o, " data-%s=\"%.17g\"", name, v);
}

void rpt_money(char *buf, size_t cap, const rpt_data *d, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "n/a");
    else
        snprintf(buf, cap, "%.2f", v / d->money_scale);
}

void rpt_int(char *buf, size_t cap, long long v)
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    size_t j = 0;
    if (v < 0 && j + 1 < cap)
        buf[j++] = '-';
    for (int i = 0; i < n && j + 1 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0 && j + 1 < cap)
            buf[j++] = ',';
        if (j + 1 < cap)
            buf[j++] = raw[i];
    }
    buf[j] = '\0';
}

const char *rpt_currency(const rpt_data *d)
{
    return d->in->currency && d->in->currency[0] ? d->in->currency : "currency units";
}

static const char css[] =
    ":root{--ink:#1a1a1a;--muted:#555;--rule:#d0d0d0;--panel:#f6f6f4}"
    "*{box-sizing:border-box}"
    "body{font:15px/1.45 'DejaVu Sans',Helvetica,Arial,sans-serif;color:var(--ink);"
    "margin:0 auto;max-width:1180px;padding:24px 28px;background:#fff}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 10px;"
    "border-bottom:2px solid var(--ink);padding-bottom:3px}"
    "h3{font-size:16px;margin:14px 0 6px}"
    ".lede{color:var(--muted);margin:0 0 18px}"
    ".section{margin:0 0 34px}"
    ".note{color:var(--muted);font-size:13px;margin:6px 0}"
    "table{border-collapse:collapse;font-size:13.5px;margin:6px 0 10px}"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--rule);text-align:right;"
    "vertical-align:top}"
    "th{background:var(--panel);font-weight:600}"
    "td.name,th.name{text-align:left}"
    "tr.baseline td{font-weight:600}"
    ".num{font-variant-numeric:tabular-nums;white-space:nowrap}"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0}"
    "dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}"
    "code{font:13px 'DejaVu Sans Mono',monospace;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:14px}"
    "figure.chart{margin:0 0 10px;padding:8px 10px;border:1px solid var(--rule);"
    "border-radius:4px;break-inside:avoid;page-break-inside:avoid}"
    "figure.wide{grid-column:1/-1}"
    "figcaption.chart-title{font-weight:600;font-size:14.5px;margin:0 0 4px}"
    "figure svg{width:100%;height:auto;display:block}"
    "svg text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;fill:#222}"
    "svg .tick{font-size:11px}svg .axis-label{font-size:12px;font-weight:600}"
    "svg .cell-label{font-size:10px}"
    "ul.legend{list-style:none;margin:4px 0 0;padding:0;display:flex;flex-wrap:wrap;"
    "gap:2px 16px;font-size:12.5px}"
    "ul.legend li{display:flex;align-items:center;gap:5px}"
    "ul.legend svg{width:26px;height:12px;flex:none}"
    ".scroll{overflow-x:auto}"
    ".desc li{margin:2px 0}"
    "@page{size:A4;margin:14mm}"
    "@media print{body{max-width:none;padding:0;font-size:11pt}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    ".section{break-before:auto}h2{break-after:avoid}"
    ".grid{grid-template-columns:1fr 1fr}"
    "table{font-size:8pt}th,td{padding:2px 4px}.scroll{overflow:visible}"
    "svg .tick{font-size:14px}svg .axis-label{font-size:15px}svg .cell-label{font-size:12px}"
    "figure.chart{padding:4px 6px}nav{display:none}"
    "tr,figure,dl{break-inside:avoid}}";

void rpt_page_begin(FILE *o, const rpt_data *d)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", o);
    /* Nothing may be fetched: no scripts, no connections, no images but inline ones. */
    fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:; script-src 'none'; connect-src 'none'; "
          "font-src 'none'; form-action 'none'; base-uri 'none'\">\n",
          o);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", o);
    fputs("<meta name=\"generator\" content=\"chokepoint ", o);
    rpt_esc(o, ckp_version());
    fputs("\">\n<title>", o);
    rpt_esc(o, d->scenario_name);
    fputs(" – chokepoint report</title>\n<style>", o);
    fputs(css, o);
    fputs("</style>\n</head>\n<body>\n<header id=\"top\">\n<h1>", o);
    rpt_esc(o, d->scenario_name);
    fputs("</h1>\n<p class=\"lede\">Supply-disruption risk report: ", o);
    char n[32];
    rpt_int(n, sizeof n, (long long)d->in->paths);
    fprintf(o,
            "%s simulated paths of %d months, %d polic%s compared on the same random draws. "
            "Money in %s of ",
            n, d->T, d->npol, d->npol == 1 ? "y" : "ies", d->money_word);
    rpt_esc(o, rpt_currency(d));
    fputs(" unless stated otherwise.</p>\n</header>\n", o);
}

void rpt_page_end(FILE *o)
{
    fputs("<footer class=\"note\">Written by chokepoint ", o);
    rpt_esc(o, ckp_version());
    fputs(" from the numbers stored in the results file; nothing on this page is fetched from "
          "the network.</footer>\n</body>\n</html>\n",
          o);
}

void rpt_section_begin(FILE *o, const char *id, const char *title)
{
    fprintf(o, "<section id=\"%s\" class=\"section\">\n<h2>", id);
    rpt_esc(o, title);
    fputs("</h2>\n", o);
}

void rpt_section_end(FILE *o)
{
    fputs("</section>\n", o);
}
