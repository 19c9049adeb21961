/* chokepoint: `chokepoint export FILE WHAT`, a results file's numbers as CSV
 * or JSON for other tools (docs/output-format.md, "Export").
 *
 * WHAT is `paths` (every per-path metric cell, one row per path), `summary`
 * (the stored statistics and quantiles, one row per policy and metric cell),
 * `months` (per-month means and fan bands, long format) or `benefit` (the
 * paired comparison of every policy with the baseline). Per-path columns are
 * read in slices of 4096 rows (the writer's chunk), so memory does not grow
 * with the number of paths. Every number is written in the shortest of
 * %.15g, %.16g and %.17g that reads back to the same double. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "engine/core/error_impl.h"
#include "export_out.h"
#include "export_sens.h"
#include "table.h"

#define SLICE 4096

static void export_usage(FILE *out)
{
    fprintf(out,
            "Usage: chokepoint export FILE WHAT [--policy P|all] [--format csv|json]\n"
            "                         [-o OUT [--force]]\n"
            "\n"
            "Write numbers of FILE, a results file of `chokepoint run -o`, as CSV (with a\n"
            "header line) or JSON. WHAT is one of:\n"
            "  paths    one row per path: `path` (the global path index), then one column\n"
            "           per metric cell in the order of the file: `loss_total`,\n"
            "           `loss[INDUSTRY]`, `inoperability_peak[INDUSTRY]`, `NAME[MATERIAL]`\n"
            "           for the material metrics, `regime_months[SUPPLIER/REGIME]`.\n"
            "           With --policy all, a first column `policy` and the policies one\n"
            "           after another. JSON: JSON Lines, one object per row.\n"
            "  summary  one row per policy and metric cell: `policy`, `metric`, `label`\n"
            "           (\"\" for loss_total; the paths column is metric[label]), the stored\n"
            "           statistics `count mean sd se min max var95 cvar95 var99 cvar99`\n"
            "           and quantiles `q0.001` .. `q0.999`.\n"
            "  months   one row per policy, observable, element and month: `policy`,\n"
            "           `observable` (shortfall, inoperability, price, stock_days), `label`\n"
            "           (material or industry), `month` (1..T), `mean`, and the fan band\n"
            "           `q0.001` .. `q0.999`.\n"
            "  benefit  one row per policy but the baseline: `policy`, `benefit_mean`,\n"
            "           `benefit_se`, `p_positive`, `bcr`, quantiles `q0.001` .. `q0.999`,\n"
            "           then the benefit's `var95 var95_se cvar95 cvar95_se var99 var99_se\n"
            "           cvar99 cvar99_se` (tail/; empty for files without it).\n"
            "  sensitivity, regret, robustness\n"
            "           the tables of a file of `chokepoint sensitivity -o` (its group\n"
            "           sensitivity/): one row per key and swing (the tornado, largest\n"
            "           swing first); per key, swing and policy (benefit, shortfall from\n"
            "           the best policy, rank); per policy (worst and best mean benefit).\n"
            "JSON for every WHAT but paths: an array of objects, one per row.\n"
            "\n"
            "Options:\n"
            "  -p, --policy P      the policy (default: baseline for paths and months, all\n"
            "                      policies for summary and benefit); `all` for every one\n"
            "  -f, --format F      csv (default) or json\n"
            "  -o, --output OUT    write to OUT (default, or `-`: standard output); written\n"
            "                      to a temporary file beside OUT and renamed onto it\n"
            "      --force         replace OUT if it exists (default: refuse)\n"
            "  -h, --help          show this help and exit\n"
            "\n"
            "Numbers are the shortest of %%.15g, %%.16g, %%.17g that read back to the same\n"
            "double, so they round-trip exactly. NaN and infinities are written as an empty\n"
            "CSV field and as JSON null. Text fields are quoted in CSV when they hold a\n"
            "comma, quote or line break. Exit status: 0 success, 2 bad input (usage, a\n"
            "file that is not a results file, an unknown WHAT or policy), 1 other\n"
            "failures (OUT exists without --force, a write error).\n");
}

/* ---- column names ------------------------------------------------------------ */

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int names_add(names *ns, const char *a, const char *b)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 64;
        char **v = realloc(ns->v, cap * sizeof *v);
        if (!v)
            return -1;
        ns->v = v;
        ns->cap = cap;
    }
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    char *s = malloc(la + lb + 3);
    if (!s)
        return -1;
    if (b)
        snprintf(s, la + lb + 3, "%s[%s]", a, b);
    else
        memcpy(s, a, la + 1);
    ns->v[ns->n++] = s;
    return 0;
}

static void names_free(names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

/* ---- the export context ------------------------------------------------------- */

typedef struct labels {
    char **v;
    size_t n;
} labels;

typedef struct ctx {
    const char *file;
    ckp_output_file *f;
    ckp_output_slices *s;
    const ckp_output_info *in;
    int pol_first, pol_last; /* policies [pol_first, pol_last] */
    int all;                 /* --policy all */
    labels dim[4];           /* industry, material, supplier, regime */
    ckp_output_array quant;  /* root `quantile` */
    names qcols;             /* "q0.001", ... */
    ckp_error err;
} ctx;

enum { L_INDUSTRY, L_MATERIAL, L_SUPPLIER, L_REGIME };
static const char *const dim_name[4] = {"industry", "material", "supplier", "regime"};

static int fail(ctx *c, int rc)
{
    fprintf(stderr, "chokepoint export: %s\n",
            c->err.message[0] ? c->err.message : ckp_status_str(c->err.code));
    return rc;
}

/* The labels of cell j of a metric over dims ds (NULL for a scalar) into buf. */
static const char *cell_label(const ctx *c, ckp_dimset ds, size_t j, char *buf, size_t cap)
{
    switch (ds) {
    case CKP_DIMS_INDUSTRY:
        return c->dim[L_INDUSTRY].v[j];
    case CKP_DIMS_MATERIAL:
        return c->dim[L_MATERIAL].v[j];
    case CKP_DIMS_SUPPLIER_REGIME: {
        size_t K = c->dim[L_REGIME].n;
        snprintf(buf, cap, "%s/%s", c->dim[L_SUPPLIER].v[j / K], c->dim[L_REGIME].v[j % K]);
        return buf;
    }
    case CKP_DIMS_SCALAR:
    default:
        return NULL;
    }
}

static size_t cells_of(const ctx *c, ckp_dimset ds)
{
    switch (ds) {
    case CKP_DIMS_INDUSTRY:
        return c->dim[L_INDUSTRY].n;
    case CKP_DIMS_MATERIAL:
        return c->dim[L_MATERIAL].n;
    case CKP_DIMS_SUPPLIER_REGIME:
        return c->dim[L_SUPPLIER].n * c->dim[L_REGIME].n;
    case CKP_DIMS_SCALAR:
    default:
        return 1;
    }
}

static void dataset_name(char *buf, size_t cap, const char *policy, const char *group,
                         const char *name)
{
    if (group)
        snprintf(buf, cap, "policies/%s/%s/%s", policy, group, name);
    else
        snprintf(buf, cap, "policies/%s/%s", policy, name);
}

/* Read a small dataset whole as doubles and check that it holds `count` values. */
static int read_small(ctx *c, const char *name, size_t count, ckp_output_array *a)
{
    ckp_status st = ckp_output_read_array(c->f, name, a, &c->err);
    if (st == CKP_OK && (a->type != CKP_OUTPUT_DOUBLE || a->count != count)) {
        CKP_FAIL(&c->err, CKP_ERR_IO, "%s: dataset '%s' holds %zu values, expected %zu", c->file,
                 name, a->count, count);
        ckp_output_array_free(a);
        return -1;
    }
    return st == CKP_OK ? 0 : -1;
}

/* Hand the column names to the emitter and write the header; rc is the
 * status so far (non-zero: nothing is written). */
static int begin_rows(ctx *c, emitter *e, const names *cols, int rc)
{
    e->cols = cols->v;
    e->ncol = cols->n;
    if (!rc && ckp_cli_em_begin(e) != 0) {
        CKP_FAIL(&c->err, CKP_ERR_NOMEM, "out of memory");
        rc = -1;
    }
    return rc;
}

/* ---- paths ---------------------------------------------------------------------- */

static int export_paths(ctx *c, emitter *e)
{
    const ckp_metric_info *mt = ckp_metric_table();
    names cols = {0};
    size_t width[CKP_M_COUNT], off[CKP_M_COUNT], total = 0;
    char buf[512], lab[512];
    int rc = 0;
    if (c->all && names_add(&cols, "policy", NULL))
        rc = -1;
    if (!rc && names_add(&cols, "path", NULL))
        rc = -1;
    for (int m = 0; m < CKP_M_COUNT && !rc; m++) {
        width[m] = cells_of(c, mt[m].dims);
        off[m] = total;
        total += width[m];
        for (size_t j = 0; j < width[m] && !rc; j++)
            rc = names_add(&cols, mt[m].name, cell_label(c, mt[m].dims, j, lab, sizeof lab));
    }
    double *v = rc ? NULL : malloc((size_t)SLICE * total * sizeof *v);
    if (!v) {
        CKP_FAIL(&c->err, CKP_ERR_NOMEM, "out of memory");
        names_free(&cols);
        return -1;
    }
    size_t paths = (size_t)c->in->paths;
    /* Check every dataset's shape before writing anything. */
    for (int p = c->pol_first; p <= c->pol_last && !rc; p++)
        for (int m = 0; m < CKP_M_COUNT && !rc; m++) {
            ckp_output_array sh;
            dataset_name(buf, sizeof buf, c->in->policy_names[p], NULL, mt[m].name);
            if (ckp_output_slices_shape(c->s, buf, &sh, &c->err) != CKP_OK)
                rc = -1;
            else if (sh.rank < 1 || sh.dims[0] != paths || sh.count != paths * width[m]) {
                CKP_FAIL(&c->err, CKP_ERR_IO, "%s: dataset '%s' does not hold %zu values per path",
                         c->file, buf, width[m]);
                rc = -1;
            }
        }
    rc = begin_rows(c, e, &cols, rc);
    for (int p = c->pol_first; p <= c->pol_last && !rc; p++) {
        const char *pn = c->in->policy_names[p];
        for (size_t start = 0; start < paths && !rc; start += SLICE) {
            size_t n = paths - start < SLICE ? paths - start : SLICE;
            for (int m = 0; m < CKP_M_COUNT && !rc; m++) {
                dataset_name(buf, sizeof buf, pn, NULL, mt[m].name);
                if (ckp_output_slices_read(c->s, buf, start, n, v + (size_t)SLICE * off[m],
                                           &c->err) != CKP_OK)
                    rc = -1;
            }
            for (size_t r = 0; r < n && !rc; r++) {
                ckp_cli_em_row(e);
                if (c->all)
                    ckp_cli_em_text(e, pn);
                ckp_cli_em_int(e, (long long)(c->in->first_path + (int64_t)(start + r)));
                for (int m = 0; m < CKP_M_COUNT; m++) {
                    const double *col = v + (size_t)SLICE * off[m] + r * width[m];
                    for (size_t j = 0; j < width[m]; j++)
                        ckp_cli_em_num(e, col[j]);
                }
                ckp_cli_em_row_end(e);
            }
        }
    }
    if (!rc)
        ckp_cli_em_end(e);
    free(v);
    names_free(&cols);
    return rc;
}

/* ---- summary ---------------------------------------------------------------------- */

static int export_summary(ctx *c, emitter *e)
{
    const ckp_metric_info *mt = ckp_metric_table();
    names cols = {0};
    labels stat = {0};
    char buf[512], lab[512];
    int rc = 0;
    dataset_name(buf, sizeof buf, c->in->policy_names[0], "summary", "stat");
    if (ckp_output_slices_labels(c->s, buf, &stat.v, &stat.n, &c->err) != CKP_OK)
        return -1;
    rc = names_add(&cols, "policy", NULL) || names_add(&cols, "metric", NULL) ||
         names_add(&cols, "label", NULL);
    for (size_t k = 0; k < stat.n && !rc; k++)
        rc = names_add(&cols, stat.v[k], NULL);
    for (size_t k = 0; k < c->qcols.n && !rc; k++)
        rc = names_add(&cols, c->qcols.v[k], NULL);
    if (rc)
        CKP_FAIL(&c->err, CKP_ERR_NOMEM, "out of memory");
    rc = begin_rows(c, e, &cols, rc);
    size_t nq = c->quant.count;
    for (int p = c->pol_first; p <= c->pol_last && !rc; p++) {
        const char *pn = c->in->policy_names[p];
        for (int m = 0; m < CKP_M_COUNT && !rc; m++) {
            size_t w = cells_of(c, mt[m].dims);
            ckp_output_array sa = {0}, qa = {0};
            dataset_name(buf, sizeof buf, pn, "summary", mt[m].name);
            rc = read_small(c, buf, w * stat.n, &sa);
            dataset_name(buf, sizeof buf, pn, "quantiles", mt[m].name);
            if (!rc)
                rc = read_small(c, buf, w * nq, &qa);
            for (size_t j = 0; j < w && !rc; j++) {
                const char *l = cell_label(c, mt[m].dims, j, lab, sizeof lab);
                ckp_cli_em_row(e);
                ckp_cli_em_text(e, pn);
                ckp_cli_em_text(e, mt[m].name);
                ckp_cli_em_text(e, l ? l : "");
                for (size_t k = 0; k < stat.n; k++)
                    ckp_cli_em_num(e, sa.f64[j * stat.n + k]);
                for (size_t k = 0; k < nq; k++)
                    ckp_cli_em_num(e, qa.f64[j * nq + k]);
                ckp_cli_em_row_end(e);
            }
            ckp_output_array_free(&sa);
            ckp_output_array_free(&qa);
        }
    }
    if (!rc)
        ckp_cli_em_end(e);
    ckp_output_labels_free(stat.v, stat.n);
    names_free(&cols);
    return rc;
}

/* ---- months ----------------------------------------------------------------------- */

static const struct {
    const char *name;
    int dim; /* L_MATERIAL or L_INDUSTRY */
} month_obs[] = {
    {"shortfall", L_MATERIAL},
    {"inoperability", L_INDUSTRY},
    {"price", L_MATERIAL},
    {"stock_days", L_MATERIAL},
};

static int export_months(ctx *c, emitter *e)
{
    names cols = {0};
    char buf[512], nm[128];
    ckp_output_array months = {0};
    int rc = 0;
    ckp_status st = ckp_output_read_array(c->f, "month", &months, &c->err);
    size_t T = (size_t)c->in->horizon_months, nq = c->quant.count;
    if (st != CKP_OK)
        return -1;
    if (months.count != T) {
        CKP_FAIL(&c->err, CKP_ERR_IO, "%s: the month coordinate has %zu values, expected %zu",
                 c->file, months.count, T);
        ckp_output_array_free(&months);
        return -1;
    }
    /* A file without per-month statistics: say so before writing anything. */
    dataset_name(buf, sizeof buf, c->in->policy_names[c->pol_first], "month", "shortfall_mean");
    ckp_output_array sh;
    if (ckp_output_slices_shape(c->s, buf, &sh, &c->err) != CKP_OK) {
        CKP_FAIL(&c->err, CKP_ERR_USAGE, "%s holds no per-month statistics (no '%s')", c->file,
                 buf);
        ckp_output_array_free(&months);
        return -1;
    }
    rc = names_add(&cols, "policy", NULL) || names_add(&cols, "observable", NULL) ||
         names_add(&cols, "label", NULL) || names_add(&cols, "month", NULL) ||
         names_add(&cols, "mean", NULL);
    for (size_t k = 0; k < nq && !rc; k++)
        rc = names_add(&cols, c->qcols.v[k], NULL);
    if (rc)
        CKP_FAIL(&c->err, CKP_ERR_NOMEM, "out of memory");
    rc = begin_rows(c, e, &cols, rc);
    for (int p = c->pol_first; p <= c->pol_last && !rc; p++) {
        const char *pn = c->in->policy_names[p];
        for (size_t o = 0; o < sizeof month_obs / sizeof month_obs[0] && !rc; o++) {
            const labels *el = &c->dim[month_obs[o].dim];
            ckp_output_array mean = {0}, band = {0};
            snprintf(nm, sizeof nm, "%s_mean", month_obs[o].name);
            dataset_name(buf, sizeof buf, pn, "month", nm);
            rc = read_small(c, buf, T * el->n, &mean);
            snprintf(nm, sizeof nm, "%s_band", month_obs[o].name);
            dataset_name(buf, sizeof buf, pn, "month", nm);
            if (!rc)
                rc = read_small(c, buf, T * el->n * nq, &band);
            for (size_t j = 0; j < el->n && !rc; j++)
                for (size_t t = 0; t < T; t++) {
                    ckp_cli_em_row(e);
                    ckp_cli_em_text(e, pn);
                    ckp_cli_em_text(e, month_obs[o].name);
                    ckp_cli_em_text(e, el->v[j]);
                    if (months.type == CKP_OUTPUT_INT64)
                        ckp_cli_em_int(e, (long long)months.i64[t]);
                    else
                        ckp_cli_em_num(e, months.f64[t]);
                    ckp_cli_em_num(e, mean.f64[t * el->n + j]);
                    for (size_t k = 0; k < nq; k++)
                        ckp_cli_em_num(e, band.f64[(t * el->n + j) * nq + k]);
                    ckp_cli_em_row_end(e);
                }
            ckp_output_array_free(&mean);
            ckp_output_array_free(&band);
        }
    }
    if (!rc)
        ckp_cli_em_end(e);
    ckp_output_array_free(&months);
    names_free(&cols);
    return rc;
}

/* ---- benefit ---------------------------------------------------------------------- */

static const char *const benefit_scalar[] = {"benefit_mean", "benefit_se", "p_positive", "bcr"};
#define NBENEFIT (sizeof benefit_scalar / sizeof benefit_scalar[0])
/* The benefit's tail figures and their standard errors (tail/), interleaved. */
static const char *const benefit_tail[] = {"var95", "var95_se", "cvar95", "cvar95_se",
                                           "var99", "var99_se", "cvar99", "cvar99_se"};
#define NTAIL 8

/* tail/benefit and tail/benefit_se of policy pn, interleaved into v; NaN in
 * a file written before tail/ existed. */
static int read_benefit_tail(ctx *c, const char *pn, double *v)
{
    char buf[512];
    for (int i = 0; i < NTAIL; i++)
        v[i] = NAN;
    for (int se = 0; se <= 1; se++) {
        ckp_output_array a = {0};
        dataset_name(buf, sizeof buf, pn, "tail", se ? "benefit_se" : "benefit");
        ckp_output_array shape = {0};
        if (ckp_output_slices_shape(c->s, buf, &shape, &c->err) == CKP_ERR_USAGE) {
            ckp_error_clear(&c->err); /* no tail/ in this file */
            return 0;
        }
        if (read_small(c, buf, 4, &a))
            return -1;
        for (int i = 0; i < 4; i++)
            v[2 * i + se] = a.f64[i];
        ckp_output_array_free(&a);
    }
    return 0;
}

static int export_benefit(ctx *c, emitter *e)
{
    names cols = {0};
    char buf[512];
    size_t nq = c->quant.count;
    int rc = names_add(&cols, "policy", NULL);
    for (size_t k = 0; k < NBENEFIT && !rc; k++)
        rc = names_add(&cols, benefit_scalar[k], NULL);
    for (size_t k = 0; k < nq && !rc; k++)
        rc = names_add(&cols, c->qcols.v[k], NULL);
    for (size_t k = 0; k < NTAIL && !rc; k++)
        rc = names_add(&cols, benefit_tail[k], NULL);
    if (rc)
        CKP_FAIL(&c->err, CKP_ERR_NOMEM, "out of memory");
    rc = begin_rows(c, e, &cols, rc);
    for (int p = c->pol_first < 1 ? 1 : c->pol_first; p <= c->pol_last && !rc; p++) {
        const char *pn = c->in->policy_names[p];
        double sc[NBENEFIT], tl[NTAIL];
        ckp_output_array qa = {0};
        for (size_t k = 0; k < NBENEFIT && !rc; k++) {
            ckp_output_array a = {0};
            dataset_name(buf, sizeof buf, pn, "comparison", benefit_scalar[k]);
            rc = read_small(c, buf, 1, &a);
            if (!rc)
                sc[k] = a.f64[0];
            ckp_output_array_free(&a);
        }
        dataset_name(buf, sizeof buf, pn, "comparison", "benefit_quantiles");
        if (!rc)
            rc = read_small(c, buf, nq, &qa);
        if (!rc)
            rc = read_benefit_tail(c, pn, tl);
        if (!rc) {
            ckp_cli_em_row(e);
            ckp_cli_em_text(e, pn);
            for (size_t k = 0; k < NBENEFIT; k++)
                ckp_cli_em_num(e, sc[k]);
            for (size_t k = 0; k < nq; k++)
                ckp_cli_em_num(e, qa.f64[k]);
            for (size_t k = 0; k < NTAIL; k++)
                ckp_cli_em_num(e, tl[k]);
            ckp_cli_em_row_end(e);
        }
        ckp_output_array_free(&qa);
    }
    if (!rc)
        ckp_cli_em_end(e);
    names_free(&cols);
    return rc;
}

/* ---- the command -------------------------------------------------------------------- */

typedef struct args {
    const char *file, *what, *policy, *format, *out;
    int force;
} args;

static int parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->format = "csv";
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char **val = NULL;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            export_usage(stdout);
            return 0;
        } else if (!strcmp(s, "--force")) {
            a->force = 1;
            continue;
        } else if (!strcmp(s, "-p") || !strcmp(s, "--policy")) {
            val = &a->policy;
        } else if (!strcmp(s, "-f") || !strcmp(s, "--format")) {
            val = &a->format;
        } else if (!strcmp(s, "-o") || !strcmp(s, "--output")) {
            val = &a->out;
        } else if (s[0] == '-' && s[1] != '\0') {
            fprintf(stderr, "chokepoint export: unknown option '%s'\n", s);
            return 2;
        }
        if (val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "chokepoint export: %s needs a value\n", s);
                return 2;
            }
            *val = argv[++i];
        } else if (!a->file) {
            a->file = s;
        } else if (!a->what) {
            a->what = s;
        } else {
            fprintf(stderr, "chokepoint export: unexpected argument '%s'\n", s);
            return 2;
        }
    }
    if (!a->file || !a->what) {
        fprintf(stderr, "chokepoint export: %s\n",
                !a->file ? "no results file given"
                          : "no WHAT given (paths, summary, months, benefit, sensitivity, "
                            "regret or robustness)");
        return 2;
    }
    if (strcmp(a->format, "csv") && strcmp(a->format, "json")) {
        fprintf(stderr, "chokepoint export: unknown format '%s' (csv or json)\n", a->format);
        return 2;
    }
    if (a->out && !strcmp(a->out, "-"))
        a->out = NULL;
    return -1;
}

/* Labels of the dimensions and the quantile columns. */
static int load_coords(ctx *c)
{
    for (int d = 0; d < 4; d++)
        if (ckp_output_slices_labels(c->s, dim_name[d], &c->dim[d].v, &c->dim[d].n, &c->err) !=
            CKP_OK)
            return -1;
    if (ckp_output_read_array(c->f, "quantile", &c->quant, &c->err) != CKP_OK)
        return -1;
    for (size_t k = 0; k < c->quant.count; k++) {
        char b[40];
        b[0] = 'q';
        if (ckp_cli_fmt_double(b + 1, c->quant.type == CKP_OUTPUT_DOUBLE ? c->quant.f64[k]
                                                                 : (double)c->quant.i64[k]) <= 0 ||
            names_add(&c->qcols, b, NULL)) {
            CKP_FAIL(&c->err, CKP_ERR_NOMEM, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int select_policy(ctx *c, const char *policy, int per_path)
{
    int npol = c->in->npol;
    if (!policy)
        policy = per_path ? c->in->policy_names[0] : "all";
    if (!strcmp(policy, "all")) {
        c->all = 1;
        c->pol_first = 0;
        c->pol_last = npol - 1;
        return 0;
    }
    for (int k = 0; k < npol; k++)
        if (!strcmp(policy, c->in->policy_names[k])) {
            c->pol_first = c->pol_last = k;
            return 0;
        }
    fprintf(stderr, "chokepoint export: %s: no policy '%s' (the file has:", ckp_cli_safe(c->file),
            ckp_cli_safe(policy));
    for (int k = 0; k < npol; k++)
        fprintf(stderr, " %s", ckp_cli_safe(c->in->policy_names[k]));
    fprintf(stderr, ")\n");
    return -1;
}

int ckp_cmd_export(int argc, char **argv)
{
    args a;
    int prc = parse(argc, argv, &a);
    if (prc >= 0)
        return prc;
    int (*fn)(ctx *, emitter *) = NULL;
    int per_path = 1;
    if (!strcmp(a.what, "paths"))
        fn = export_paths;
    else if (!strcmp(a.what, "months"))
        fn = export_months;
    else if (!strcmp(a.what, "summary"))
        fn = export_summary, per_path = 0;
    else if (!strcmp(a.what, "benefit"))
        fn = export_benefit, per_path = 0;
    else if (ckp_cli_is_sens_what(a.what))
        per_path = 0; /* fn NULL: export_sens.c */
    else {
        fprintf(stderr, "chokepoint export: unknown WHAT '%s' (paths, summary, months, "
                        "benefit, sensitivity, regret or robustness)\n", a.what);
        return 2;
    }

    ctx c;
    memset(&c, 0, sizeof c);
    ckp_error_clear(&c.err);
    c.file = a.file;
    /* A file that is no results file is bad input: exit 2. The slices handle
     * first, so that its small metadata cache is the file's. */
    if (ckp_output_slices_open(a.file, &c.s, &c.err) != CKP_OK)
        return fail(&c, 2);
    if (ckp_output_file_open(a.file, &c.f, &c.err) != CKP_OK) {
        int rc = fail(&c, 2);
        ckp_output_slices_close(c.s);
        return rc;
    }
    c.in = ckp_output_file_info(c.f);
    int rc = 0;
    if (!fn)
        ; /* the sensitivity tables have their own columns */
    else if (select_policy(&c, a.policy, per_path) != 0)
        rc = 2;
    else if (fn == export_benefit && c.pol_last == 0) {
        fprintf(stderr, "chokepoint export: the baseline has no benefit; choose another policy "
                        "or all\n");
        rc = 2;
    } else if (load_coords(&c) != 0) {
        rc = fail(&c, 1);
    }
    if (rc == 0) {
        target t = {a.out, a.force, NULL, NULL, 0};
        static char iobuf[1 << 16];
        if (ckp_cli_target_open(&t, &c.err) != 0) {
            rc = fail(&c, ckp_status_exit_code(c.err.code));
        } else {
            setvbuf(t.fp, iobuf, _IOFBF, sizeof iobuf);
            emitter e = {t.fp, !strcmp(a.format, "csv") ? FMT_CSV
                               : per_path && fn == export_paths ? FMT_JSONL
                                                                : FMT_JSON,
                         NULL, 0, 0, 0, NULL, NULL, 0, 0, 0};
            int ok = (fn ? fn(&c, &e) : ckp_cli_export_sens(a.file, c.f, c.s, a.what, &e,
                                                            &c.err)) == 0;
            if (ok && e.nomem) {
                CKP_FAIL(&c.err, CKP_ERR_NOMEM, "out of memory");
                ok = 0;
            }
            ckp_cli_em_free(&e);
            if (!ok)
                rc = fail(&c, ckp_status_exit_code(c.err.code));
            if (ckp_cli_target_close(&t, ok, &c.err) != 0 && ok)
                rc = fail(&c, ckp_status_exit_code(c.err.code));
        }
    }
    for (int d = 0; d < 4; d++)
        ckp_output_labels_free(c.dim[d].v, c.dim[d].n);
    ckp_output_array_free(&c.quant);
    names_free(&c.qcols);
    ckp_output_file_close(c.f);
    ckp_output_slices_close(c.s);
    return rc;
}
