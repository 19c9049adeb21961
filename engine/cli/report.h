/* chokepoint: `chokepoint report`, the HTML page of a results file (internal
 * header of the CLI).
 *
 * report_data.c reads everything the page shows from the file (through the
 * public reader) and the stored scenario; report_html.c holds the text side
 * (escaping, number formats, the page frame and its CSS); report_svg.c the
 * chart frame (axes, ticks, legends); report_sections.c and report_charts.c
 * write the sections, which cmd_report.c lists in page order. */
#ifndef CKP_CLI_REPORT_H
#define CKP_CLI_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "chokepoint/chokepoint.h"

/* ---- What the page shows ------------------------------------------------------- */

typedef struct rpt_policy {
    const char *name;        /* the file's name (info->policy_names) */
    int sc_index;            /* index in the stored scenario */
    const char *description; /* the scenario's, or NULL */
    int has_cost;
    double annual_cost;
    ckp_output_row row;         /* the policy table row (ckp_output_read_table) */
    ckp_output_array exc_level; /* exceedance/level (101) */
    ckp_output_array exc_prob;  /* exceedance/prob (101) */
    ckp_output_array ind;       /* summary/loss (I, stat) */
    double *ind_mean;           /* I mean losses, from ind */
} rpt_policy;

/* The baseline's per-month fan of one observable (month/<obs>_band, _mean). */
typedef struct rpt_fan {
    int present;           /* 0 when the file has no month statistics */
    ckp_output_array band; /* (T, M, quantile) */
    ckp_output_array mean; /* (T, M) */
} rpt_fan;

/* The group sensitivity/ of a `chokepoint sensitivity -o` file
 * (docs/output-format.md, "Sensitivity"); present 0 in other files. */
typedef struct rpt_sens {
    int present;
    size_t K, Q;       /* keys; policies compared (the run's without the baseline) */
    char **key, **pol; /* K key paths, Q policy names */
    ckp_output_array low, high, order, loss_mean, loss_swing_se, base_loss_mean;
    ckp_output_array benefit_mean, best, shortfall, base_rank;
    int best_changes; /* 1 when the best policy at some swing is not the unswung one */
} rpt_sens;

/* Each policy's tail/ group (VaR and CVaR at 95 and 99 % with batch-means
 * standard errors); present 0 in files written before it existed. */
#define RPT_NTAIL 4
typedef struct rpt_tail {
    int present;
    /* per run policy k: [k][0..3] var95 cvar95 var99 cvar99 */
    double (*loss)[RPT_NTAIL], (*loss_se)[RPT_NTAIL], (*ben)[RPT_NTAIL], (*ben_se)[RPT_NTAIL];
} rpt_tail;

typedef struct rpt_data {
    const char *file;
    ckp_output_file *f;
    const ckp_output_info *in;
    ckp_scenario *sc;
    char *scenario_name;
    int S, K, M, I, T, npol;
    rpt_policy *pol;  /* npol, run order, baseline first */
    double *exposure; /* S x I of the baseline (ckp_scenario_exposure) */
    double quant[CKP_NQUANTILES];
    rpt_fan fan_short, fan_price;
    /* The baseline's worst path (ckp_output_find_worst), replayed. */
    int64_t worst_path;
    double worst_loss;
    ckp_trace tr;
    void *trmem[14];
    /* The money unit of the page (the policy table's): scale and its words. */
    double money_scale;
    const char *money_word; /* "billions" */
    const char *money_abbr; /* "bn" */
    const char *money_one;  /* "billion", to write "12.30 billion USD"; "" for units */
    rpt_sens sens;
    rpt_tail tail;
} rpt_data;

/* Read the page's data from `file`; on failure d holds what rpt_data_free
 * releases and err says what is wrong (CKP_ERR_IO / HDF5 for a bad file). */
ckp_status rpt_data_load(rpt_data *d, const char *file, ckp_error *err);
void rpt_data_free(rpt_data *d);
/* Read sensitivity/ when the file has it (report_sens.c); shapes checked. */
ckp_status rpt_sens_load(rpt_data *d, ckp_error *err);
void rpt_sens_free(rpt_sens *s);
/* Read every policy's tail/ when the file has them (report_tail.c). */
ckp_status rpt_tail_load(rpt_data *d, ckp_error *err);
void rpt_tail_free(rpt_tail *t);

/* ---- Text ---------------------------------------------------------------------- */

/* s as HTML text or attribute value: & < > " ' escaped, C0 controls and DEL
 * shown as their visible control pictures (U+2400..), invalid UTF-8 as
 * U+FFFD. NULL writes nothing. */
void rpt_esc(FILE *o, const char *s);
/* ` data-NAME="v"` with v in %.17g (NaN: "nan", infinities "inf"/"-inf"). */
void rpt_data_attr(FILE *o, const char *name, double v);
/* v / d->money_scale with two decimals, or "n/a" when not finite. */
void rpt_money(char *buf, size_t cap, const rpt_data *d, double v);
/* An integer with thousands separators ("1,000,000"). */
void rpt_int(char *buf, size_t cap, long long v);
/* "USD" or "currency units" */
const char *rpt_currency(const rpt_data *d);

void rpt_page_begin(FILE *o, const rpt_data *d);
void rpt_page_end(FILE *o);
/* <section id="ID" class="section"><h2>TITLE</h2> and its end. */
void rpt_section_begin(FILE *o, const char *id, const char *title);
void rpt_section_end(FILE *o);

/* ---- Charts -------------------------------------------------------------------- */

typedef enum { RPT_TICK_NUM, RPT_TICK_PCT } rpt_tick_fmt;

typedef struct rpt_axis {
    double lo, hi;    /* data range shown */
    int log;          /* log10 scale (lo > 0) */
    rpt_tick_fmt fmt; /* ticks as numbers (value / scale) or percent (value * 100) */
    double scale;     /* RPT_TICK_NUM: tick label = value / scale */
    const char *label;
    double step; /* tick step; 0: a round step chosen for about five ticks */
} rpt_axis;

typedef struct rpt_chart {
    FILE *o;
    double W, H, ml, mr, mt, mb; /* viewBox size and plot margins */
    rpt_axis x, y;
} rpt_chart;

/* Colour of series k (Okabe-Ito, the baseline black). */
const char *rpt_color(int k);
/* A range [lo, hi] widened to round numbers (lo kept at 0 when it is 0). */
void rpt_nice_range(double *lo, double *hi);
double rpt_px(const rpt_chart *c, double x);
double rpt_py(const rpt_chart *c, double y);
/* <figure class="chart" id=ID data-chart=KIND> with the title, then <svg>. */
void rpt_chart_begin(rpt_chart *c, FILE *o, const char *id, const char *kind, const char *title);
/* Grid, ticks, tick labels and the two axis labels (class x-label, y-label). */
void rpt_chart_axes(rpt_chart *c);
/* </svg> and <ul class="legend">. */
void rpt_chart_legend(rpt_chart *c);
/* One legend entry: swatch kind "line", "dash", "band", "bar" or "cell". */
void rpt_legend_item(FILE *o, const char *kind, const char *color, double opacity,
                     const char *label);
/* </ul></figure> */
void rpt_chart_end(rpt_chart *c);
/* A polyline of n points (NaN y breaks it), with its SVG attributes. */
void rpt_polyline(const rpt_chart *c, const double *x, const double *y, size_t n,
                  const char *attrs);

/* ---- Sections (in page order, see cmd_report.c) ------------------------------- */

void rpt_sec_glance(FILE *o, const rpt_data *d);
void rpt_sec_policies(FILE *o, const rpt_data *d);
void rpt_sec_fans(FILE *o, const rpt_data *d);
void rpt_sec_exceedance(FILE *o, const rpt_data *d);
void rpt_sec_industries(FILE *o, const rpt_data *d);
void rpt_sec_worst(FILE *o, const rpt_data *d);
void rpt_sec_facts(FILE *o, const rpt_data *d);
/* Only in files with a sensitivity/ group (report_sens.c). */
void rpt_sec_sensitivity(FILE *o, const rpt_data *d);
/* Only in files with tail/ groups (report_tail.c). */
void rpt_sec_tail(FILE *o, const rpt_data *d);

#endif
