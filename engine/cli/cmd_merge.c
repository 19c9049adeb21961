/* chokepoint: `chokepoint merge PART.h5... -o ALL.h5`, join the results files
 * of adjacent path ranges of one run (pieces run with --first-path, the tasks
 * of a job array, MPI ranks) into the file a single run of the whole range
 * would have written. The work is the output module's ckp_output_merge. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "signals.h"

static void merge_usage(FILE *out)
{
    fprintf(out,
            "Usage: chokepoint merge PART.h5... -o ALL.h5 [--force] [--compress N] [-q]\n"
            "\n"
            "Join results files of adjacent path ranges of one run (written by `chokepoint\n"
            "run -o` with --first-path, in any order) into one file equal to a single run\n"
            "of the whole range: per-path records concatenated, exact per-month sums and\n"
            "histogram counts added, every summary, quantile, band and comparison computed\n"
            "again. The parts must have the same scenario, seed, policies, antithetic flag\n"
            "and engine, and ranges with no gap, overlap or duplicate.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE   the merged file (written beside, then renamed)\n"
            "      --force         replace FILE if it exists (default: refuse)\n"
            "      --compress N    deflate level 0-9 of the per-path datasets (default: %d)\n"
            "  -q, --quiet         no note on stderr\n"
            "  -h, --help          show this help and exit\n"
            "\n"
            "Exit status: 0 success; 2 bad input (a part that is missing, not a finished\n"
            "results file, of another run, or a gap, overlap or duplicate); 1 other\n"
            "failures (FILE exists without --force, a write error); 128 + the signal number\n"
            "after SIGINT, SIGTERM or SIGHUP, which stop the merge leaving nothing at FILE.\n",
            CKP_OUTPUT_DEFAULT_COMPRESS);
}

typedef struct merge_args {
    const char **parts;
    int nparts, force, quiet;
    int compress;
    const char *output;
} merge_args;

static int parse_compress(const char *v, int *out)
{
    if (!v || strlen(v) != 1 || v[0] < '0' || v[0] > '9') {
        fprintf(stderr, "chokepoint merge: --compress expects 0 to 9, got '%s'\n", v ? v : "");
        return -1;
    }
    *out = v[0] - '0';
    return 0;
}

/* Returns 0 to go on, 1 after --help, 2 on a usage error. */
static int parse_args(int argc, char **argv, merge_args *a)
{
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_files || arg[0] != '-' || !strcmp(arg, "-")) {
            a->parts[a->nparts++] = arg;
        } else if (!strcmp(arg, "--")) {
            only_files = 1;
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            merge_usage(stdout);
            return 1;
        } else if (!strcmp(arg, "--force")) {
            a->force = 1;
        } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            a->quiet = 1;
        } else if (!strcmp(arg, "-o") || !strcmp(arg, "--output") ||
                   !strncmp(arg, "--output=", 9)) {
            const char *v = arg[1] == '-' && arg[8] == '=' ? arg + 9 : NULL;
            if (!v && i + 1 < argc)
                v = argv[++i];
            if (!v || !*v) {
                fprintf(stderr, "chokepoint merge: option %s needs a file name\n", arg);
                return 2;
            }
            a->output = v;
        } else if (!strcmp(arg, "--compress") || !strncmp(arg, "--compress=", 11)) {
            const char *v = arg[10] == '=' ? arg + 11 : (i + 1 < argc ? argv[++i] : NULL);
            if (parse_compress(v, &a->compress) != 0)
                return 2;
        } else {
            fprintf(stderr, "chokepoint merge: unknown option '%s' (see chokepoint merge --help)\n",
                    arg);
            return 2;
        }
    }
    if (a->nparts == 0 || !a->output) {
        fprintf(stderr, "chokepoint merge: %s (see chokepoint merge --help)\n",
                a->nparts == 0 ? "no part files given" : "no output file given (-o ALL.h5)");
        return 2;
    }
    return 0;
}

static int stop_requested(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    (void)done;
    (void)total;
    return ckp_cli_got_signal != 0;
}

int ckp_cmd_merge(int argc, char **argv)
{
    merge_args a;
    memset(&a, 0, sizeof a);
    a.compress = CKP_OUTPUT_DEFAULT_COMPRESS;
    a.parts = calloc((size_t)argc + 1, sizeof *a.parts);
    if (!a.parts) {
        fprintf(stderr, "chokepoint merge: out of memory\n");
        return 1;
    }
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        free(a.parts);
        return rc == 1 ? 0 : 2;
    }
    ckp_output_options oo;
    ckp_output_options_default(&oo);
    oo.force = a.force;
    oo.compress = a.compress;
    char *cmdline = ckp_cli_join_args(argc, argv);
    oo.command_line = cmdline;
    ckp_error err;
    ckp_error_clear(&err);
    /* SIGINT, SIGTERM, SIGHUP: stop after the current block, nothing written. */
    ckp_cli_signals_install();
    ckp_merge_options mo = {1, stop_requested, NULL};
    ckp_status st = ckp_output_merge(a.parts, a.nparts, a.output, &oo, &mo, &err);
    if (st == CKP_ERR_CANCELLED) {
        fprintf(stderr, "chokepoint merge: stopped by %s; nothing was written to %s\n",
                ckp_cli_signal_name(ckp_cli_got_signal), a.output);
        rc = 128 + ckp_cli_got_signal;
    } else if (st != CKP_OK) {
        fprintf(stderr, "chokepoint merge: %s\n",
                err.message[0] ? err.message : ckp_status_str(st));
        rc = ckp_status_exit_code(st);
    } else if (!a.quiet) {
        fprintf(stderr, "chokepoint merge: wrote %s from %d part%s\n", a.output, a.nparts,
                a.nparts > 1 ? "s" : "");
    }
    free(cmdline);
    free(a.parts);
    return rc;
}
