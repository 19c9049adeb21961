/* chokepoint: `chokepoint summary FILE`, the policy table of a results file.
 *
 * The table is read from the summaries stored in the file (nothing is
 * recomputed), so it is exactly what `run -o` printed when it wrote the file.
 * `--format csv|json` writes the same rows' numbers in full precision (the
 * shortest form that reads back to the same double, export_out.c) for a
 * spreadsheet or a script, to standard output or to `-o OUT`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "engine/core/error_impl.h"
#include "export_out.h"
#include "table.h"

static void summary_usage(FILE *out)
{
    fprintf(out, "Usage: chokepoint summary FILE [--details] [--format table|csv|json]\n"
                 "                          [-o OUT [--force]]\n"
                 "\n"
                 "Print the policy table (total loss per policy and the paired benefit against\n"
                 "the baseline) stored in FILE, a results file written by `chokepoint run -o`,\n"
                 "after a line naming the scenario, seed, paths and engine that wrote it,\n"
                 "and under it the probability that each material's stockpile runs dry, per\n"
                 "policy (files of schema 2).\n"
                 "\n"
                 "  --details       under the table, VaR and CVaR at 95 and 99 %% of every\n"
                 "                  policy's total loss and benefit with their batch-means\n"
                 "                  standard errors (n/a in files written before they were\n"
                 "                  stored); table format only\n"
                 "  --format table  the table for a person, money in one readable unit (default)\n"
                 "  --format csv    one row per policy, money in units of the scenario currency,\n"
                 "                  every number exact (the shortest text that reads back to the\n"
                 "                  stored double); empty where a value does not apply\n"
                 "  --format json   the same rows as a JSON array of objects (null for empty)\n"
                 "  -o OUT          write to OUT (through a temporary file beside it) instead of\n"
                 "                  standard output; an existing OUT is refused unless --force\n"
                 "\n"
                 "Columns of csv and json: policy, is_baseline, paths, mean, sd, se, median,\n"
                 "p95, p99, cvar95, cvar99, benefit_mean, benefit_se, p_positive, bcr\n"
                 "(the benefit columns are empty for the baseline, bcr for a policy without a\n"
                 "cost).\n"
                 "\n"
                 "Exit status: 0 success; 2 bad input: FILE is missing, not a regular file, not\n"
                 "a results file, damaged, incomplete or of a newer schema, or a bad option;\n"
                 "1 OUT exists without --force, and other failures.\n");
}

static const char *const summary_cols[] = {
    "policy", "is_baseline", "paths",  "mean",         "sd",         "se",         "median", "p95",
    "p99",    "cvar95",      "cvar99", "benefit_mean", "benefit_se", "p_positive", "bcr"};
#define NSUMMARY_COLS (sizeof summary_cols / sizeof summary_cols[0])

/* The rows as CSV or JSON through the export emitter; 0, or -1 out of memory. */
static int write_rows(FILE *fp, out_format fmt, const ckp_output_row *rows, int n)
{
    emitter e;
    memset(&e, 0, sizeof e);
    e.fp = fp;
    e.fmt = fmt;
    e.cols = (char **)summary_cols;
    e.ncol = NSUMMARY_COLS;
    int rc = ckp_cli_em_begin(&e);
    for (int k = 0; rc == 0 && k < n; k++) {
        const ckp_output_row *r = &rows[k];
        const ckp_summary *s = &r->loss;
        ckp_cli_em_row(&e);
        ckp_cli_em_text(&e, r->name);
        ckp_cli_em_int(&e, r->is_baseline);
        ckp_cli_em_num(&e, s->count);
        const double v[] = {s->mean, s->sd, s->se, s->q[5], s->q[8], s->q[9], s->cvar95, s->cvar99};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            ckp_cli_em_num(&e, v[i]);
        const double nan = NAN;
        const ckp_benefit *b = &r->benefit;
        ckp_cli_em_num(&e, r->is_baseline ? nan : b->mean);
        ckp_cli_em_num(&e, r->is_baseline ? nan : b->se);
        ckp_cli_em_num(&e, r->is_baseline ? nan : b->p_positive);
        ckp_cli_em_num(&e, r->is_baseline || !b->has_bcr ? nan : b->bcr);
        ckp_cli_em_row_end(&e);
    }
    if (rc == 0)
        ckp_cli_em_end(&e);
    if (e.nomem)
        rc = -1;
    e.cols = NULL;
    ckp_cli_em_free(&e);
    return rc;
}

typedef struct args {
    const char *file, *format, *out;
    int force, details;
} args;

/* -1 to go on, else the exit status. */
static int parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->format = "table";
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            summary_usage(stdout);
            return 0;
        }
        if (!strcmp(s, "--force")) {
            a->force = 1;
        } else if (!strcmp(s, "--details")) {
            a->details = 1;
        } else if (!strncmp(s, "--format=", 9)) {
            a->format = s + 9;
        } else if (!strcmp(s, "--format") || !strcmp(s, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "chokepoint summary: %s needs a value\n", s);
                return 2;
            }
            *(s[1] == 'o' ? &a->out : &a->format) = argv[++i];
        } else if (s[0] == '-' && s[1] != '\0') {
            fprintf(stderr, "chokepoint summary: unknown option '%s'\n", ckp_cli_safe(s));
            summary_usage(stderr);
            return 2;
        } else if (a->file) {
            fprintf(stderr, "chokepoint summary: more than one file given\n");
            return 2;
        } else {
            a->file = s;
        }
    }
    if (!a->file) {
        fprintf(stderr, "chokepoint summary: no results file given\n");
        summary_usage(stderr);
        return 2;
    }
    if (strcmp(a->format, "table") && strcmp(a->format, "csv") && strcmp(a->format, "json")) {
        fprintf(stderr, "chokepoint summary: unknown format '%s' (table, csv or json)\n",
                a->format);
        return 2;
    }
    if (a->details && strcmp(a->format, "table")) {
        fprintf(stderr, "chokepoint summary: --details is for --format table (the tail figures "
                        "as numbers: `chokepoint export FILE benefit`)\n");
        return 2;
    }
    if (a->out && !strcmp(a->out, "-"))
        a->out = NULL;
    return -1;
}

/* Under the table: the probability that each material's stockpile runs dry,
 * per policy (summary/stockout_probability, schema 2; nothing for a file
 * without it). 0, or -1 when the file cannot be read. */
static int print_stockout(FILE *out, const char *file, const ckp_output_info *in,
                          const ckp_output_file *f, ckp_error *err)
{
    ckp_output_slices *s = NULL;
    char **mat = NULL, name[256];
    size_t nm = 0;
    ckp_output_array a = {0};
    int rc = 0;
    snprintf(name, sizeof name, "policies/%s/summary/stockout_probability", in->policy_names[0]);
    if (ckp_output_slices_open(file, &s, err) != CKP_OK ||
        ckp_output_slices_labels(s, "material", &mat, &nm, err) != CKP_OK)
        rc = -1;
    else if (ckp_output_slices_shape(s, name, &a, err) != CKP_OK || a.count != nm)
        ckp_error_clear(err); /* a version-1 file */
    else {
        int namew = 6;
        for (int k = 0; k < in->npol; k++)
            if ((int)strlen(ckp_cli_safe(in->policy_names[k])) > namew)
                namew = (int)strlen(ckp_cli_safe(in->policy_names[k]));
        fprintf(out, "\nProbability that the stockpile runs dry within the horizon\n%-*s", namew,
                "policy");
        for (size_t m = 0; m < nm; m++)
            fprintf(out, " %*s",
                    (int)strlen(ckp_cli_safe(mat[m])) > 6 ? (int)strlen(ckp_cli_safe(mat[m])) : 6,
                    ckp_cli_safe(mat[m]));
        fprintf(out, "\n");
        for (int k = 0; k < in->npol && rc == 0; k++) {
            snprintf(name, sizeof name, "policies/%s/summary/stockout_probability",
                     in->policy_names[k]);
            ckp_output_array_free(&a);
            if (ckp_output_read_array(f, name, &a, err) != CKP_OK || a.count != nm || !a.f64) {
                rc = -1;
                break;
            }
            fprintf(out, "%-*s", namew, ckp_cli_safe(in->policy_names[k]));
            for (size_t m = 0; m < nm; m++)
                fprintf(out, " %*.3f",
                        (int)strlen(ckp_cli_safe(mat[m])) > 6 ? (int)strlen(ckp_cli_safe(mat[m]))
                                                              : 6,
                        a.f64[m]);
            fprintf(out, "\n");
        }
    }
    ckp_output_array_free(&a);
    ckp_output_labels_free(mat, nm);
    ckp_output_slices_close(s);
    return rc;
}

/* Write the table (in a->format) to the target; the exit status. */
static int emit(const args *a, const ckp_output_file *f, const char *name,
                const ckp_output_row *rows, const ckp_cli_tail *tail)
{
    const ckp_output_info *in = ckp_output_file_info(f);
    ckp_error err;
    ckp_error_clear(&err);
    target t = {a->out, a->force, NULL, NULL, 0};
    if (ckp_cli_target_open(&t, &err) != 0) {
        fprintf(stderr, "chokepoint summary: %s\n", err.message);
        return ckp_status_exit_code(err.code);
    }
    int ok = 1;
    if (!strcmp(a->format, "table")) {
        fprintf(t.fp,
                "%s: scenario '%s', seed %llu, paths %lld..%lld (%lld)%s, %d months, "
                "chokepoint %s, %s\n\n",
                ckp_cli_safe(a->file), ckp_cli_safe(name), (unsigned long long)in->seed,
                (long long)in->first_path, (long long)(in->first_path + in->paths - 1),
                (long long)in->paths, in->antithetic ? ", antithetic" : "", in->horizon_months,
                ckp_cli_safe(in->engine_version), ckp_cli_safe(in->created_utc));
        ckp_cli_print_table(t.fp, in->currency, rows, in->npol);
        if (tail)
            ckp_cli_print_tail(t.fp, in->currency, rows, tail, in->npol);
        if (print_stockout(t.fp, a->file, in, f, &err) != 0)
            ok = 0;
    } else if (write_rows(t.fp, !strcmp(a->format, "csv") ? FMT_CSV : FMT_JSON, rows, in->npol) !=
               0) {
        CKP_FAIL(&err, CKP_ERR_NOMEM, "out of memory");
        ok = 0;
    }
    if (ckp_cli_target_close(&t, ok, &err) != 0) {
        fprintf(stderr, "chokepoint summary: %s\n",
                err.message[0] ? err.message : "cannot write to standard output");
        return err.code ? ckp_status_exit_code(err.code) : 1;
    }
    return 0;
}

int ckp_cmd_summary(int argc, char **argv)
{
    args a;
    int prc = parse(argc, argv, &a);
    if (prc >= 0)
        return prc;

    ckp_error err;
    ckp_error_clear(&err);
    ckp_output_file *f = NULL;
    ckp_output_row *rows = NULL;
    ckp_cli_tail *tail = NULL;
    char *name = NULL;
    ckp_status st = ckp_output_file_open(a.file, &f, &err);
    if (st == CKP_OK)
        st = ckp_output_read_table(f, &rows, &err);
    if (st == CKP_OK)
        st = ckp_output_read_text(f, "scenario_name", &name, &err);
    if (st == CKP_OK && a.details)
        st = ckp_cli_tail_read(f, &tail, &err);
    int rc;
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint summary: %s\n",
                err.message[0] ? err.message : ckp_status_str(st));
        /* the reader says CKP_ERR_IO (or HDF5) of a file it cannot take: bad input */
        rc = st == CKP_ERR_IO || st == CKP_ERR_HDF5 ? 2 : ckp_status_exit_code(st);
    } else {
        rc = emit(&a, f, name, rows, tail);
    }
    free(tail);
    free(name);
    free(rows);
    ckp_output_file_close(f);
    return rc;
}
