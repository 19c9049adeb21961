/* chokepoint: `chokepoint summary FILE`, the policy table of a results file.
 *
 * The table is read from the summaries stored in the file (nothing is
 * recomputed), so it is exactly what `run -o` printed when it wrote the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "table.h"

static void summary_usage(FILE *out)
{
    fprintf(out, "Usage: chokepoint summary FILE [--details]\n"
                 "\n"
                 "Print the policy table (total loss per policy and the paired benefit against\n"
                 "the baseline) stored in FILE, a results file written by `chokepoint run -o`,\n"
                 "after a line naming the scenario, seed, paths and engine that wrote it.\n"
                 "With --details, also VaR and CVaR at 95 and 99 %% of every policy's total\n"
                 "loss and benefit with their batch-means standard errors (n/a in files\n"
                 "written before they were stored).\n"
                 "\n"
                 "Exit status: 0 success; 2 bad input: FILE is missing, not a regular file, not\n"
                 "a results file, damaged, incomplete or of a newer schema; 1 other failures.\n");
}

int ckp_cmd_summary(int argc, char **argv)
{
    const char *file = NULL;
    int details = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--details") == 0) {
            details = 1;
            continue;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            summary_usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "chokepoint summary: unknown option '%s'\n", argv[i]);
            summary_usage(stderr);
            return 2;
        }
        if (file) {
            fprintf(stderr, "chokepoint summary: more than one file given\n");
            return 2;
        }
        file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "chokepoint summary: no results file given\n");
        summary_usage(stderr);
        return 2;
    }

    ckp_error err;
    ckp_error_clear(&err);
    ckp_output_file *f = NULL;
    ckp_output_row *rows = NULL;
    ckp_cli_tail *tail = NULL;
    char *name = NULL;
    ckp_status st = ckp_output_file_open(file, &f, &err);
    if (st == CKP_OK)
        st = ckp_output_read_table(f, &rows, &err);
    if (st == CKP_OK)
        st = ckp_output_read_text(f, "scenario_name", &name, &err);
    if (st == CKP_OK && details)
        st = ckp_cli_tail_read(f, &tail, &err);
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint summary: %s\n",
                err.message[0] ? err.message : ckp_status_str(st));
        free(name);
        free(rows);
        ckp_output_file_close(f);
        /* the reader says CKP_ERR_IO (or HDF5) of a file it cannot take: bad input */
        return st == CKP_ERR_IO || st == CKP_ERR_HDF5 ? 2 : ckp_status_exit_code(st);
    }
    const ckp_output_info *in = ckp_output_file_info(f);
    printf("%s: scenario '%s', seed %llu, paths %lld..%lld (%lld)%s, %d months, "
           "chokepoint %s, %s\n\n",
           file, name, (unsigned long long)in->seed, (long long)in->first_path,
           (long long)(in->first_path + in->paths - 1), (long long)in->paths,
           in->antithetic ? ", antithetic" : "", in->horizon_months, in->engine_version,
           in->created_utc);
    ckp_cli_print_table(stdout, in->currency, rows, in->npol);
    if (tail)
        ckp_cli_print_tail(stdout, in->currency, rows, tail, in->npol);
    int rc = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chokepoint summary: cannot write to standard output\n");
        rc = 1;
    }
    free(name);
    free(rows);
    free(tail);
    ckp_output_file_close(f);
    return rc;
}
