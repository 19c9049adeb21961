/* chokepoint tests: ckp_run_step_to (engine/run/step.c), the steps the
 * convergence stop of `run --target-se` takes. Batches cut short at chosen
 * counts must give, at each count, a snapshot with the bits of a run of that
 * many paths and the same records, whatever the batch size and threads; a
 * stop before the next path does nothing; an antithetic run refuses an odd
 * stop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "engine/run/run_impl.h"

#include "check.h"

static ckp_plan *make_plan(const ckp_scenario *sc, int64_t paths, int64_t batch, int threads,
                           int antithetic)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = paths;
    o.batch = batch;
    o.threads = threads;
    o.antithetic = antithetic;
    o.npolicies = 1;
    int pol = 4; /* detente */
    o.policies = &pol;
    ckp_plan *p = NULL;
    ckp_error err;
    if (ckp_plan_create(sc, &o, &p, &err) != CKP_OK)
        fprintf(stderr, "plan: %s\n", err.message);
    return p;
}

static int same_result(const ckp_run_result *a, const ckp_run_result *b)
{
    size_t cells = (size_t)a->npol * (size_t)a->lay.T * a->lay.obs_per_month;
    return a->paths == b->paths && a->first_path == b->first_path &&
           memcmp(a->month_sum, b->month_sum, cells * sizeof *a->month_sum) == 0 &&
           memcmp(a->hist, b->hist, cells * CKP_HIST_BINS * sizeof *a->hist) == 0;
}

/* Step to `stop` with batches of `batch` paths; the snapshot there must be a
 * fixed run's of `stop` paths, the records too. */
static void check_stop(const ckp_scenario *sc, int64_t batch, int threads, int64_t stop)
{
    ckp_plan *big = make_plan(sc, 4000, batch, threads, 0);
    ckp_plan *fixed = make_plan(sc, stop, 0, 1, 0);
    ckp_memsink *ms = ckp_memsink_create(), *mf = ckp_memsink_create();
    ckp_run_state *rs = NULL;
    ckp_run_result *snap = NULL, *want = NULL;
    ckp_error err;
    CHECK(big && fixed && ms && mf, "setup");
    CHECK(ckp_run_begin(big, ckp_memsink_sink(ms), &rs, &err) == CKP_OK, "begin");
    int steps = 0;
    while (ckp_run_next_path(rs) < stop && steps < 10000) {
        CHECK(ckp_run_step_to(rs, stop, &err) == CKP_OK, "step_to");
        steps++;
    }
    CHECK(ckp_run_next_path(rs) == stop, "batch %lld: stops at %lld, not %lld", (long long)batch,
          (long long)stop, (long long)ckp_run_next_path(rs));
    CHECK(ckp_run_step_to(rs, stop, &err) == CKP_OK && ckp_run_next_path(rs) == stop,
          "a stop already reached does nothing");
    CHECK(ckp_run_snapshot(rs, &snap, &err) == CKP_OK, "snapshot");
    CHECK(ckp_run_plan(fixed, ckp_memsink_sink(mf), &want, &err) == CKP_OK, "fixed run");
    CHECK(snap && want && same_result(snap, want),
          "batch %lld, %d threads: the snapshot at %lld "
          "is the fixed run's",
          (long long)batch, threads, (long long)stop);
    size_t rec = ckp_memsink_record(mf);
    CHECK(ckp_memsink_paths(ms) == stop &&
              memcmp(ckp_memsink_records(ms, 1), ckp_memsink_records(mf, 1),
                     (size_t)stop * rec * sizeof(double)) == 0,
          "the records up to the stop are the fixed run's");
    /* The rest of the range continues after the stop. */
    CHECK(ckp_run_step(rs, &err) == CKP_OK &&
              ckp_run_next_path(rs) == (stop + batch < 4000 ? stop + batch : 4000),
          "ckp_run_step goes on with a full batch");
    ckp_run_abort(rs);
    ckp_run_result_free(snap);
    ckp_run_result_free(want);
    ckp_memsink_free(ms);
    ckp_memsink_free(mf);
    ckp_plan_free(big);
    ckp_plan_free(fixed);
}

int main(void)
{
    ckp_scenario *sc = NULL;
    ckp_error err;
    if (ckp_scenario_load_default(&sc, &err) != CKP_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    check_stop(sc, 300, 1, 1024);
    check_stop(sc, 1000, 2, 2048);
    check_stop(sc, 5000, 2, 1024);
    ckp_plan *anti = make_plan(sc, 2000, 300, 1, 1);
    ckp_run_state *rs = NULL;
    CHECK(anti && ckp_run_begin(anti, NULL, &rs, &err) == CKP_OK, "antithetic begin");
    CHECK(ckp_run_step_to(rs, 1023, &err) == CKP_ERR_USAGE && ckp_run_next_path(rs) == 0,
          "an antithetic run refuses an odd stop");
    CHECK(ckp_run_step_to(rs, 1024, &err) == CKP_OK && ckp_run_next_path(rs) == 300,
          "an even stop is taken");
    ckp_run_abort(rs);
    ckp_plan_free(anti);
    ckp_scenario_free(sc);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
