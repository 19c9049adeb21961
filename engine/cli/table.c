/* chokepoint: the policy table of `run` and `summary` (see table.h).
 *
 * The table is meant to be read by a person at a terminal: one money unit for
 * every column so that rows compare at a glance, three or four significant
 * figures, and the benefit shown next to its standard error so that a benefit
 * within noise of zero is visible as such. The rows themselves come from the
 * library (ckp_output_read_table, ckp_output_table_rows): this file only
 * prints them. */
#include "table.h"

#include <math.h>
#include <string.h>

#include "chokepoint/scenario.h"
#include "engine/core/escape_impl.h"

const char *ckp_cli_safe(const char *s)
{
    static _Thread_local char ring[8][4 * CKP_MAX_NAME_BYTES + 8];
    static _Thread_local unsigned next;
    if (!s || !ckp_escape_needed(s))
        return s;
    char *b = ring[next++ % 8];
    ckp_escape_ctl(b, sizeof ring[0], s);
    return b;
}

/* The money unit: the largest of thousand, million, billion, trillion that
 * keeps the biggest figure of the table at or above 1. */
void ckp_cli_money_unit(const ckp_output_row *rows, int nrows, double *scale, const char **name)
{
    double big = 0.0;
    for (int k = 0; k < nrows; k++) {
        const double v[] = {rows[k].loss.mean, rows[k].loss.q[9], rows[k].loss.cvar99};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            if (isfinite(v[i]) && fabs(v[i]) > big)
                big = fabs(v[i]);
    }
    static const struct {
        double scale;
        const char *name;
    } units[] = {{1e12, "trillions"}, {1e9, "billions"}, {1e6, "millions"}, {1e3, "thousands"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (big >= units[i].scale) {
            *scale = units[i].scale;
            *name = units[i].name;
            return;
        }
    *scale = 1.0;
    *name = "units";
}

static void money(char *buf, size_t cap, double v, double scale)
{
    if (!isfinite(v))
        snprintf(buf, cap, "%s", "n/a");
    else
        snprintf(buf, cap, "%.2f", v / scale);
}

void ckp_cli_print_table(FILE *out, const char *currency, const ckp_output_row *rows, int nrows)
{
    double scale;
    const char *unit;
    ckp_cli_money_unit(rows, nrows, &scale, &unit);
    int namew = 6;
    for (int k = 0; k < nrows; k++) {
        int l = (int)strlen(ckp_cli_safe(rows[k].name));
        if (l > namew)
            namew = l;
    }
    double n = nrows > 0 ? rows[0].loss.count : 0.0;
    fprintf(out, "Total loss and benefit against the baseline, %s of %s, %.0f paths\n", unit,
            currency && currency[0] ? ckp_cli_safe(currency) : "currency units", n);
    fprintf(out, "%-*s %10s %10s %10s %10s %10s %22s %8s %8s\n", namew, "policy", "mean",
            "median", "p95", "p99", "CVaR99", "benefit +/- se", "P(b>0)", "B/C");
    for (int k = 0; k < nrows; k++) {
        const ckp_output_row *r = &rows[k];
        char c[5][32];
        money(c[0], sizeof c[0], r->loss.mean, scale);
        money(c[1], sizeof c[1], r->loss.q[5], scale);
        money(c[2], sizeof c[2], r->loss.q[8], scale);
        money(c[3], sizeof c[3], r->loss.q[9], scale);
        money(c[4], sizeof c[4], r->loss.cvar99, scale);
        char ben[80] = "", pp[32] = "", bcr[32] = "";
        if (!r->is_baseline) {
            char m[32], s[32];
            money(m, sizeof m, r->benefit.mean, scale);
            money(s, sizeof s, r->benefit.se, scale);
            snprintf(ben, sizeof ben, "%s +/- %s", m, s);
            snprintf(pp, sizeof pp, "%.3f", r->benefit.p_positive);
            if (r->benefit.has_bcr)
                snprintf(bcr, sizeof bcr, isfinite(r->benefit.bcr) ? "%.2f" : "n/a",
                         r->benefit.bcr);
        }
        char line[8 * CKP_MAX_NAME_BYTES];
        snprintf(line, sizeof line, "%-*s %10s %10s %10s %10s %10s %22s %8s %8s", namew,
                 ckp_cli_safe(r->name), c[0], c[1], c[2], c[3], c[4], ben, pp, bcr);
        size_t len = strlen(line);
        while (len > 0 && line[len - 1] == ' ')
            line[--len] = '\0';
        fprintf(out, "%s\n", line);
    }
}
