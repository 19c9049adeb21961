/* chokepoint: fuzz target of the results-file reader (output.h).
 *
 * The input bytes are written to a temporary file, which is then opened and
 * read through the public reader API as `summary` and `replay` do: the root
 * attributes, the policy table, the worst path and the stored record of a
 * policy, and a few arrays by name. When the stored scenario loads (from its
 * text alone: CSV names resolve in a directory that does not exist) the record
 * is read with the layout of a plan of it, and the path replayed. Any input
 * must be read or refused with a message; never a crash, leak or hang.
 * Built with libFuzzer when -Dfuzz=true and the compiler is clang; otherwise
 * replay_main.c feeds it the corpus of mutated small results files in
 * tests/fuzz/results (made by tests/fuzz/make_results_corpus.py). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chokepoint/chokepoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused(ckp_status st, const ckp_error *err)
{
    if (st != CKP_OK && err->message[0] == '\0')
        abort();
}

/* A plan for the file's stored scenario (baseline only), or NULL. */
static ckp_plan *stored_plan(const ckp_output_file *f, ckp_scenario **sc)
{
    const ckp_output_info *in = ckp_output_file_info(f);
    char *text = NULL;
    ckp_error err;
    ckp_plan *plan = NULL;
    *sc = NULL;
    if (ckp_output_read_text(f, "scenario_resolved", &text, &err) != CKP_OK)
        return NULL;
    if (ckp_scenario_load_string(text, strlen(text), "fuzz:scenario_resolved",
                                 "/nonexistent-chokepoint-fuzz", sc, &err) == CKP_OK &&
        ckp_scenario_horizon(*sc) == in->horizon_months) {
        ckp_run_options ro;
        ckp_run_options_default(&ro, *sc);
        int p = 0;
        ro.seed = in->seed;
        ro.first_path = in->first_path;
        ro.paths = in->paths;
        ro.antithetic = in->antithetic;
        ro.npolicies = 1;
        ro.policies = &p;
        ro.month_stats = 0;
        ro.threads = 1;
        if (ckp_plan_create(*sc, &ro, &plan, &err) != CKP_OK)
            plan = NULL;
    }
    free(text);
    return plan;
}

static void read_file(const char *path)
{
    ckp_error err;
    ckp_output_file *f = NULL;
    ckp_status st = ckp_output_file_open(path, &f, &err);
    refused(st, &err);
    if (st != CKP_OK) {
        if (f)
            abort();
        return;
    }
    const ckp_output_info *in = ckp_output_file_info(f);
    size_t chars = 0;
    for (int k = 0; k < in->npol; k++)
        chars += strlen(in->policy_names[k]);
    chars += strlen(in->engine_version) + strlen(in->currency) + strlen(in->created_utc);
    if (chars == (size_t)-1)
        abort();

    ckp_output_row *rows = NULL;
    st = ckp_output_read_table(f, &rows, &err);
    refused(st, &err);
    free(rows);

    int64_t worst = in->first_path;
    double value = 0;
    st = ckp_output_find_worst(f, 0, &worst, &value, &err);
    refused(st, &err);
    if (st == CKP_OK && (worst < in->first_path || worst - in->first_path >= in->paths))
        abort();

    static const char *const names[] = {"month", "quantile", "policies/baseline/loss_total",
                                        "policies/baseline/summary/loss_total",
                                        "policies/baseline/month/price_hist", "nope"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ckp_output_array a;
        st = ckp_output_read_array(f, names[i], &a, &err);
        refused(st, &err);
        ckp_output_array_free(&a);
    }

    ckp_scenario *sc = NULL;
    ckp_plan *plan = stored_plan(f, &sc);
    if (plan) {
        const ckp_layout *lay = ckp_plan_layout(plan);
        double *stored = malloc(lay->record * sizeof *stored);
        double *rec = malloc(lay->record * sizeof *rec);
        if (!stored || !rec)
            abort();
        st = ckp_output_read_record(f, 0, worst, lay, stored, &err);
        refused(st, &err);
        st = ckp_plan_replay(plan, 0, worst, rec, NULL, &err);
        refused(st, &err);
        free(stored);
        free(rec);
        ckp_plan_free(plan);
    }
    ckp_scenario_free(sc);
    ckp_output_file_close(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/ckp-fuzz-results-XXXXXX", dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
    close(fd);
    read_file(path);
    unlink(path);
    return 0;
}
