/* chokepoint tests: the plan and the steppable run (engine/run/plan.c, step.c).
 *
 * The state after any batch boundary must be complete: a snapshot taken there
 * merged with a separate run of the rest of the range, and a run resumed from
 * that snapshot, must both give the bits of one uninterrupted run. A progress
 * callback must be able to cancel; a snapshot of another run must be refused
 * for resuming. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "engine/run/plan_impl.h"
#include "engine/run/run_impl.h"

#include "check.h"

/* a and b hold the same figures bit for bit (sums, counts, means, range). */
static int same_result(const ckp_run_result *a, const ckp_run_result *b)
{
    if (a->npol != b->npol || a->first_path != b->first_path || a->paths != b->paths ||
        a->month_stats != b->month_stats)
        return 0;
    size_t cells = (size_t)a->npol * (size_t)a->lay.T * a->lay.obs_per_month;
    return memcmp(a->month_sum, b->month_sum, cells * sizeof *a->month_sum) == 0 &&
           memcmp(a->month_mean, b->month_mean, cells * sizeof *a->month_mean) == 0 &&
           memcmp(a->hist, b->hist, cells * CKP_HIST_BINS * sizeof *a->hist) == 0 &&
           memcmp(a->hist_upper, b->hist_upper,
                  (size_t)a->npol * a->lay.obs_per_month * CKP_HIST_BINS * sizeof(double)) == 0;
}

static ckp_plan *make_plan(const ckp_scenario *sc, int64_t first, int64_t paths, int64_t batch,
                           int threads, int antithetic)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.first_path = first;
    o.paths = paths;
    o.batch = batch;
    o.threads = threads;
    o.antithetic = antithetic;
    ckp_plan *p = NULL;
    ckp_error err;
    if (ckp_plan_create(sc, &o, &p, &err) != CKP_OK) {
        fprintf(stderr, "plan: %s\n", err.message);
        return NULL;
    }
    return p;
}

static ckp_run_result *run_whole(const ckp_scenario *sc, int64_t first, int64_t paths,
                                 int64_t batch, int threads, int antithetic, ckp_memsink *ms)
{
    ckp_plan *p = make_plan(sc, first, paths, batch, threads, antithetic);
    ckp_run_result *r = NULL;
    ckp_error err;
    if (p && ckp_run_plan(p, ms ? ckp_memsink_sink(ms) : NULL, &r, &err) != CKP_OK)
        fprintf(stderr, "run: %s\n", err.message);
    ckp_plan_free(p);
    return r;
}

/* Stop after `steps` batches, snapshot; then (a) merge the snapshot with a
 * fresh run of the rest and (b) resume from the snapshot: both equal `whole`. */
static void check_cut(const ckp_scenario *sc, const ckp_run_result *whole,
                      const ckp_memsink *whole_ms, int64_t paths, int64_t batch, int steps,
                      int antithetic)
{
    ckp_error err;
    ckp_plan *p = make_plan(sc, 0, paths, batch, 2, antithetic);
    ckp_run_state *rs = NULL;
    CHECK(p && ckp_run_begin(p, NULL, &rs, &err) == CKP_OK, "begin");
    if (!rs) {
        ckp_plan_free(p);
        return;
    }
    for (int i = 0; i < steps; i++)
        CHECK(ckp_run_step(rs, &err) == CKP_OK, "step %d: %s", i, err.message);
    int64_t cut = ckp_run_next_path(rs);
    CHECK(cut == (int64_t)steps * p->batch, "next path %lld after %d steps of %lld",
          (long long)cut, steps, (long long)p->batch);
    ckp_run_result *snap = NULL;
    CHECK(ckp_run_snapshot(rs, &snap, &err) == CKP_OK, "snapshot: %s", err.message);
    ckp_run_abort(rs); /* as if the process had stopped here */
    if (!snap) {
        ckp_plan_free(p);
        return;
    }
    CHECK(snap->paths == cut && snap->first_path == 0, "snapshot covers [0, %lld)",
          (long long)cut);

    /* (a) the rest as a separate range, merged */
    ckp_run_result *rest = run_whole(sc, cut, paths - cut, batch * 3, 1, antithetic, NULL);
    ckp_run_result *merged = NULL;
    CHECK(rest && ckp_run_result_copy(snap, &merged, &err) == CKP_OK, "copy");
    if (merged && rest) {
        CHECK(ckp_run_result_merge(merged, rest, &err) == CKP_OK, "merge: %s", err.message);
        CHECK(same_result(merged, whole), "snapshot after %d steps + rest != whole", steps);
    }

    /* (b) resumed, with another thread count, from the snapshot stored as
     * bytes and read back (a checkpoint) */
    ckp_plan *p1 = make_plan(sc, 0, paths, batch, 1, antithetic);
    unsigned char *bytes = NULL;
    size_t nbytes = 0;
    ckp_run_result *back = NULL;
    CHECK(ckp_run_result_to_bytes(snap, &bytes, &nbytes, &err) == CKP_OK, "to bytes: %s",
          err.message);
    CHECK(p1 && bytes && ckp_run_result_from_bytes(p1, bytes, nbytes, &back, &err) == CKP_OK,
          "from bytes: %s", err.message);
    CHECK(back && same_result(back, snap), "bytes round trip of the snapshot");
    if (p1 && bytes) {
        ckp_run_result *bad = NULL;
        CHECK(ckp_run_result_from_bytes(p1, bytes, nbytes - 1, &bad, &err) == CKP_ERR_IO &&
                  !bad,
              "a truncated result refused");
        ckp_plan *other = make_plan(sc, 2, paths, batch, 1, antithetic);
        CHECK(other && ckp_run_result_from_bytes(other, bytes, nbytes, &bad, &err) ==
                           CKP_ERR_IO && !bad && strstr(err.message, "another run"),
              "a result of another range refused: %s", err.message);
        ckp_plan_free(other);
    }
    free(bytes);
    ckp_memsink *ms = ckp_memsink_create();
    ckp_run_state *rs2 = NULL;
    CHECK(p1 && ms && back &&
              ckp_run_resume(p1, ckp_memsink_sink(ms), back, &rs2, &err) == CKP_OK,
          "resume: %s", err.message);
    ckp_run_result_free(back);
    ckp_run_result *resumed = NULL;
    if (rs2) {
        CHECK(ckp_run_next_path(rs2) == cut, "resume starts at the cut");
        while (!ckp_run_done(rs2))
            CHECK(ckp_run_step(rs2, &err) == CKP_OK, "resumed step: %s", err.message);
        CHECK(ckp_run_end(rs2, &resumed, &err) == CKP_OK, "end");
    }
    if (resumed) {
        CHECK(same_result(resumed, whole), "resumed after %d steps != whole", steps);
        /* The records of the resumed part are those of the whole run. */
        size_t rec = ckp_memsink_record(ms);
        CHECK(ckp_memsink_paths(ms) == paths - cut, "resumed records %lld",
              (long long)ckp_memsink_paths(ms));
        for (int k = 0; k < ckp_memsink_npolicies(ms); k++)
            CHECK(memcmp(ckp_memsink_records(ms, k),
                         ckp_memsink_records(whole_ms, k) + (size_t)cut * rec,
                         (size_t)(paths - cut) * rec * sizeof(double)) == 0,
                  "records of policy %d after resume", k);
    }
    ckp_run_result_free(resumed);
    ckp_memsink_free(ms);
    ckp_plan_free(p1);
    ckp_run_result_free(merged);
    ckp_run_result_free(rest);
    ckp_run_result_free(snap);
    ckp_plan_free(p);
}

static int cancel_after;
static int progress_calls;
static int64_t progress_last;
static int cancel_cb(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    (void)total;
    progress_calls++;
    progress_last = done;
    return progress_calls >= cancel_after;
}

static void check_cancel(const ckp_scenario *sc)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = 200;
    o.batch = 50;
    o.progress = cancel_cb;
    cancel_after = 2;
    progress_calls = 0;
    ckp_run_result *r = NULL;
    ckp_error err;
    ckp_status st = ckp_run(sc, &o, NULL, &r, &err);
    CHECK(st == CKP_ERR_CANCELLED, "cancelled run returned %d", (int)st);
    CHECK(r == NULL, "no result from a cancelled run");
    CHECK(progress_calls == 2 && progress_last == 100, "progress called %d times, last %lld",
          progress_calls, (long long)progress_last);
    CHECK(strstr(err.message, "cancelled after 100 of 200 paths") != NULL, "message: %s",
          err.message);
    ckp_run_result_free(r);
}

static void check_resume_refused(const ckp_scenario *sc, const ckp_run_result *whole)
{
    ckp_error err;
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = whole->paths;
    o.seed = whole->seed + 1;
    ckp_plan *p = NULL;
    CHECK(ckp_plan_create(sc, &o, &p, &err) == CKP_OK, "plan");
    ckp_run_state *rs = NULL;
    CHECK(ckp_run_resume(p, NULL, whole, &rs, &err) == CKP_ERR_USAGE && rs == NULL,
          "resume with another seed refused");
    CHECK(strstr(err.message, "another run") != NULL, "message: %s", err.message);
    ckp_plan_free(p);
    /* a shorter range than the saved state */
    o.seed = whole->seed;
    o.paths = whole->paths / 2;
    CHECK(ckp_plan_create(sc, &o, &p, &err) == CKP_OK, "plan");
    CHECK(ckp_run_resume(p, NULL, whole, &rs, &err) == CKP_ERR_USAGE && rs == NULL,
          "resume of a longer saved range refused");
    ckp_plan_free(p);
}

static void check_plan(const ckp_scenario *sc)
{
    ckp_error err;
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    int pols[] = {3, 0, 3, 1};
    o.npolicies = 4;
    o.policies = pols;
    o.paths = 101 * 2;
    o.batch = 33;
    o.antithetic = 1;
    ckp_plan *p = NULL;
    CHECK(ckp_plan_create(sc, &o, &p, &err) == CKP_OK, "plan: %s", err.message);
    if (!p)
        return;
    CHECK(ckp_plan_npolicies(p) == 3, "policies %d", ckp_plan_npolicies(p));
    CHECK(ckp_plan_policy(p, 0) == 0 && ckp_plan_policy(p, 1) == 3 && ckp_plan_policy(p, 2) == 1,
          "run order baseline, 3, 1");
    CHECK(strcmp(ckp_plan_policy_name(p, 1), sc->policy_names[3]) == 0, "name");
    CHECK(ckp_plan_batch(p) == 34, "antithetic batch rounded to even: %lld",
          (long long)ckp_plan_batch(p));
    double cost = -1;
    CHECK(ckp_plan_policy_cost(p, 0, &cost) == 0 && cost == 0.0, "baseline has no cost");
    const ckp_layout *lay = ckp_plan_layout(p);
    CHECK(lay->record > 0 && lay->T == sc->T, "layout");
    ckp_plan_free(p);

    o.antithetic = 1;
    o.paths = 7;
    CHECK(ckp_plan_create(sc, &o, &p, &err) == CKP_ERR_USAGE && p == NULL,
          "odd antithetic range refused");
    o.antithetic = 0;
    pols[0] = sc->npolicies;
    CHECK(ckp_plan_create(sc, &o, &p, &err) == CKP_ERR_USAGE && p == NULL,
          "bad policy index refused");
}

int main(void)
{
    ckp_scenario *sc = NULL;
    ckp_error err;
    if (ckp_scenario_load_default(&sc, &err) != CKP_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    const int64_t paths = 300, batch = 64;
    for (int anti = 0; anti <= 1; anti++) {
        ckp_memsink *ms = ckp_memsink_create();
        ckp_run_result *whole = run_whole(sc, 0, paths, 0, 2, anti, ms);
        CHECK(whole != NULL && ckp_memsink_paths(ms) == paths, "whole run");
        if (whole) {
            for (int steps = 1; steps <= 4; steps++)
                check_cut(sc, whole, ms, paths, batch, steps, anti);
            if (!anti)
                check_resume_refused(sc, whole);
        }
        ckp_run_result_free(whole);
        ckp_memsink_free(ms);
    }
    check_cancel(sc);
    check_plan(sc);
    ckp_scenario_free(sc);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
