/* chokepoint: the steppable run (include/chokepoint/run.h, MODEL.md 4-6).
 *
 * A step is one batch. Inside it, OpenMP threads take paths; every path draws
 * its uniforms once and every run policy is simulated on them (common random
 * numbers). Records land in per-batch arrays at the path's own slot, so the
 * sink sees them in path order whatever the schedule. Per-month observables
 * go into per-thread accumulators that hold only integers (fixed-point sums,
 * histogram counts), folded into the state's totals at the end of every step;
 * integer addition is associative, so the totals after any step have the same
 * bits for any thread count, batch size or split of the range.
 *
 * Only this module knows about threads. Everything a thread touches inside
 * the parallel region is allocated before it. */
#include "engine/run/plan_impl.h"
#include "engine/run/run_impl.h"
#include "engine/run/stage_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckp_config.h"
#include "engine/core/error_impl.h"

#if CKP_HAVE_OPENMP
#include <omp.h>
#endif

/* ---- OpenBLAS threads ------------------------------------------------------
 * The simulation calls dgemm_ for large industry counts, from inside our own
 * parallel region. A threaded OpenBLAS would then start its own threads from
 * every one of ours (oversubscription), and its split of the work could in
 * principle change with its thread count. For the duration of a step we ask
 * OpenBLAS for one thread and restore its setting afterwards. The symbols are
 * weak so that the library still links against a BLAS that is not OpenBLAS;
 * the calls are then skipped. */
#if defined(__GNUC__) && defined(__ELF__)
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
static int blas_single_begin(void)
{
    if (!openblas_set_num_threads || !openblas_get_num_threads)
        return 0;
    int before = openblas_get_num_threads();
    if (before != 1)
        openblas_set_num_threads(1);
    return before;
}
static void blas_single_end(int before)
{
    if (before > 1 && openblas_set_num_threads)
        openblas_set_num_threads(before);
}
#else
static int blas_single_begin(void) { return 0; }
static void blas_single_end(int before) { (void)before; }
#endif

/* One thread's scratch and accumulators. The per-month statistics are
 * staged (stage.c): each policy's observables binned and summed as soon as
 * the path has produced them, only the bin indices kept, and counted into
 * the thread's histograms a group of up to STAGE_MAX_PATHS paths at a time. */
typedef struct thread_slot {
    ckp_work *work;
    double *u;
    ckp_sev_lazy lz;  /* u's severity uniforms (ckp_path_uniforms_lazy) */
    double *obs;      /* one policy's observables of one path: T * obs_per_month */
    const ckp_stage_tab *tab; /* the plan's staging tables, or NULL */
    int nstage;       /* paths staged */
    ckp_stage st;     /* the staged bins, limbs, sums and counts */
    int64_t bad_path; /* first path whose loss_total was not finite, or -1 */
    int bad_policy;
    /* Block kernels only: each lane's scratch (lane 0 is `work`) and
     * uniforms, and the observables of every lane and policy of a block
     * (CKP_LANES * npol * T * obs_per_month, or NULL). */
    ckp_work *lane_work[CKP_LANES];
    double *lane_u;
    ckp_sev_lazy lane_lz[CKP_LANES];
    double *lane_obs;
} thread_slot;

/* Staged bin indices per thread, and the most paths staged at once. */
#define STAGE_BYTES CKP_STAGE_BYTES
#define STAGE_MAX_PATHS CKP_STAGE_MAX_PATHS
_Static_assert(STAGE_MAX_PATHS <= CKP_FIX_PAIR_MAX, "a flush per at most CKP_FIX_PAIR_MAX values");

struct ckp_run_state {
    const ckp_plan *plan;
    const ckp_sink *sink;
    ckp_run_result *acc; /* the totals of [first_path, next) */
    int64_t next, end;
    int nth;
    int nstage_max;
    ckp_stage_tab *tab; /* with month statistics */
    thread_slot *slots;
    ckp_rng_skip skip;   /* over a month's severity draws (S*M) */
    double **rec;        /* npol batch arrays of batch * record doubles */
    int broken;          /* a step failed: only ckp_run_abort is allowed */
};

/* Bin and sum policy k's observables obs of the current path into the
 * path's staging slot. */
static void stage_policy(thread_slot *s, int k, const double *obs)
{
    ckp_stage_policy(s->tab, &s->st, s->nstage, k, obs);
}

/* Count the staged paths and fold their sums. */
static void stage_flush(thread_slot *s)
{
    ckp_stage_flush(s->tab, &s->st, s->nstage);
    s->nstage = 0;
}

static int this_thread(void)
{
#if CKP_HAVE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static void state_free(ckp_run_state *rs)
{
    if (!rs)
        return;
    if (rs->slots)
        for (int i = 0; i < rs->nth; i++) {
            thread_slot *s = &rs->slots[i];
            ckp_work_free(s->work);
            for (int l = 1; l < CKP_LANES; l++)
                ckp_work_free(s->lane_work[l]);
            free(s->lane_u);
            free(s->lane_obs);
            for (int l = 0; l < CKP_LANES; l++)
                free(s->lane_lz[l].st);
            free(s->lz.st);
            free(s->u);
            free(s->obs);
            ckp_stage_free(&s->st);
        }
    free(rs->slots);
    ckp_rng_skip_free(&rs->skip);
    ckp_stage_tab_free(rs->tab);
    if (rs->rec)
        for (int k = 0; k < rs->plan->npol; k++)
            free(rs->rec[k]);
    free(rs->rec);
    ckp_run_result_free(rs->acc);
    free(rs);
}

static void *alloc_array(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

/* The severity states of a path's uniforms (lay.T of them). */
static int lazy_alloc(ckp_run_state *rs, ckp_sev_lazy *lz)
{
    lz->skip = &rs->skip;
    lz->st = alloc_array((size_t)rs->plan->lay.T, sizeof *lz->st);
    return lz->st ? 0 : -1;
}

/* A block kernel's lanes in slot s: scratch, uniforms and observables. */
static ckp_status lane_scratch(ckp_run_state *rs, thread_slot *s, size_t month_block,
                               ckp_error *err)
{
    const ckp_plan *p = rs->plan;
    s->lane_work[0] = s->work;
    for (int l = 1; l < CKP_LANES; l++)
        CKP_TRY(ckp_work_create(p->sc, &s->lane_work[l], err));
    int bad = 0;
    for (int l = 0; l < CKP_LANES; l++)
        bad |= lazy_alloc(rs, &s->lane_lz[l]);
    s->lane_u = alloc_array((size_t)CKP_LANES * p->lay.uniforms, sizeof(double));
    if (p->month_stats)
        s->lane_obs = alloc_array((size_t)CKP_LANES * p->npol * month_block, sizeof(double));
    if (bad || !s->lane_u || (p->month_stats && !s->lane_obs))
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for thread scratch");
    return CKP_OK;
}

/* Per-thread scratch and the batch's record arrays, before any parallel
 * region. */
static ckp_status state_scratch(ckp_run_state *rs, ckp_error *err)
{
    const ckp_plan *p = rs->plan;
    const size_t month_block = (size_t)p->lay.T * p->lay.obs_per_month;
    rs->nstage_max = 1;
    if (p->cells > 0 && STAGE_BYTES / p->cells > 1)
        rs->nstage_max = (int)(STAGE_BYTES / p->cells < STAGE_MAX_PATHS ? STAGE_BYTES / p->cells
                                                                        : STAGE_MAX_PATHS);
    rs->rec = calloc((size_t)p->npol, sizeof *rs->rec);
    rs->slots = calloc((size_t)rs->nth, sizeof *rs->slots);
    if (!rs->rec || !rs->slots)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    if (p->month_stats)
        CKP_TRY(ckp_stage_tab_create(p, &rs->tab, err));
    if (ckp_rng_skip_init(&rs->skip, &p->base, (size_t)p->lay.S * p->lay.M) != 0)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    for (int k = 0; k < p->npol; k++) {
        rs->rec[k] = alloc_array((size_t)p->batch * p->lay.record, sizeof(double));
        if (!rs->rec[k])
            return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for a batch of %lld paths",
                            (long long)p->batch);
    }
    for (int i = 0; i < rs->nth; i++) {
        thread_slot *s = &rs->slots[i];
        s->bad_path = -1;
        CKP_TRY(ckp_work_create(p->sc, &s->work, err));
        s->u = alloc_array(p->lay.uniforms, sizeof(double));
        const int bad = lazy_alloc(rs, &s->lz);
        if (p->month_stats) {
            s->obs = alloc_array(month_block, sizeof(double));
            s->tab = rs->tab;
            CKP_TRY(ckp_stage_alloc(&s->st, rs->tab, rs->nstage_max, err));
        }
        if (bad || !s->u || (p->month_stats && !s->obs))
            return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for thread scratch");
        if (p->kernel->block)
            CKP_TRY(lane_scratch(rs, s, month_block, err));
    }
    return CKP_OK;
}

ckp_status ckp_run_begin(const ckp_plan *plan, const ckp_sink *sink, ckp_run_state **out,
                         ckp_error *err)
{
    return ckp_run_resume(plan, sink, NULL, out, err);
}

/* `done` continues `plan`: same policies, seed, pairing, statistics, layout
 * and first path, and no more paths than the plan has. */
static ckp_status check_resume(const ckp_plan *p, const ckp_run_result *d, ckp_error *err)
{
    if (d->npol != p->npol || memcmp(d->policy, p->policy, (size_t)p->npol * sizeof(int)) ||
        d->seed != p->seed || d->antithetic != p->antithetic ||
        d->month_stats != p->month_stats || d->lay.record != p->lay.record ||
        d->lay.T != p->lay.T || d->lay.obs_per_month != p->lay.obs_per_month)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "resume: the saved state belongs to another run (policies, seed, "
                        "antithetic, month statistics or layout differ)");
    if (d->first_path != p->first_path || d->paths < 0 || d->paths > p->paths ||
        (p->antithetic && d->paths % 2 != 0))
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "resume: the saved state covers paths %lld..+%lld, not a start of the "
                        "run's range %lld..+%lld",
                        (long long)d->first_path, (long long)d->paths, (long long)p->first_path,
                        (long long)p->paths);
    return CKP_OK;
}

ckp_status ckp_run_resume(const ckp_plan *plan, const ckp_sink *sink, const ckp_run_result *done,
                          ckp_run_state **out, ckp_error *err)
{
    if (out)
        *out = NULL;
    if (!plan || !out)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: plan and state pointer are required");
    if (done)
        CKP_TRY(check_resume(plan, done, err));
    ckp_run_state *rs = calloc(1, sizeof *rs);
    if (!rs)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    rs->plan = plan;
    rs->sink = sink;
    rs->nth = plan->threads;
    rs->next = plan->first_path;
    rs->end = plan->first_path + plan->paths;
    ckp_status st = done ? ckp_run_result_copy(done, &rs->acc, err)
                         : ckp_run_result_create(plan, &rs->acc, err);
    if (st == CKP_OK)
        st = state_scratch(rs, err);
    if (st != CKP_OK) {
        state_free(rs);
        return st;
    }
    rs->next += rs->acc->paths;
    *out = rs;
    return CKP_OK;
}

/* Keep the first path (then policy) whose total loss is not finite. */
static void check_finite(thread_slot *s, const double *record, uint64_t path, int policy)
{
    if (!isfinite(record[CKP_M_LOSS_TOTAL]) && (s->bad_path < 0 || (int64_t)path < s->bad_path)) {
        s->bad_path = (int64_t)path;
        s->bad_policy = policy;
    }
}

/* The paths [i0, i0 + nl) of the batch starting at b0 (nl <= CKP_LANES), every
 * policy, through the kernel's block entry; then each path's observables
 * staged in path order, policy by policy, as one path at a time would. */
static void simulate_block(ckp_run_state *rs, thread_slot *s, int64_t b0, int64_t i0, int nl)
{
    const ckp_plan *p = rs->plan;
    const size_t U = p->lay.uniforms, R = p->lay.record;
    const size_t mb = (size_t)p->lay.T * p->lay.obs_per_month;
    const double *u[CKP_LANES];
    double *record[CKP_LANES], *obs[CKP_LANES];
    for (int l = 0; l < nl; l++) {
        double *ul = s->lane_u + (size_t)l * U;
        ckp_path_uniforms_lazy(&p->lay, &p->base, (uint64_t)(b0 + i0 + l), p->antithetic, ul,
                               &s->lane_lz[l]);
        ckp_work_uniforms_new_lazy(s->lane_work[l], ul, &s->lane_lz[l]);
        u[l] = ul;
    }
    for (int k = 0; k < p->npol; k++) {
        for (int l = 0; l < nl; l++) {
            record[l] = rs->rec[k] + (size_t)(i0 + l) * R;
            obs[l] = p->month_stats ? s->lane_obs + ((size_t)l * p->npol + k) * mb : NULL;
        }
        p->kernel->block(p->model[k], p->prep[k], &p->lay, s->lane_work, nl, u, record,
                         p->month_stats ? obs : NULL);
    }
    for (int l = 0; l < nl; l++) {
        for (int k = 0; k < p->npol; k++) {
            if (p->month_stats)
                stage_policy(s, k, s->lane_obs + ((size_t)l * p->npol + k) * mb);
            check_finite(s, rs->rec[k] + (size_t)(i0 + l) * R, (uint64_t)(b0 + i0 + l),
                         p->policy[k]);
        }
        if (p->month_stats && ++s->nstage == rs->nstage_max)
            stage_flush(s);
    }
}

/* The paths [b0, b0 + n) of every policy, on the slots' threads, in blocks
 * of CKP_LANES paths when the kernel has a block entry. */
static void simulate_blocks(ckp_run_state *rs, int64_t b0, int64_t n)
{
    const int64_t nb = (n + CKP_LANES - 1) / CKP_LANES;
#if CKP_HAVE_OPENMP
#pragma omp parallel num_threads(rs->nth)
#endif
    {
        thread_slot *s = &rs->slots[this_thread()];
#if CKP_HAVE_OPENMP
#pragma omp for schedule(dynamic, 2)
#endif
        for (int64_t b = 0; b < nb; b++) {
            const int64_t i0 = b * CKP_LANES;
            simulate_block(rs, s, b0, i0, (int)(n - i0 < CKP_LANES ? n - i0 : CKP_LANES));
        }
        if (rs->plan->month_stats && s->nstage > 0)
            stage_flush(s);
    }
}

/* The paths [b0, b0 + n) of every policy, on the slots' threads. */
static void simulate_batch(ckp_run_state *rs, int64_t b0, int64_t n)
{
    const ckp_plan *p = rs->plan;
    const int npol = p->npol, month_stats = p->month_stats;
    if (p->kernel->block) {
        simulate_blocks(rs, b0, n);
        return;
    }
#if CKP_HAVE_OPENMP
#pragma omp parallel num_threads(rs->nth)
#endif
    {
        thread_slot *s = &rs->slots[this_thread()];
#if CKP_HAVE_OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
        for (int64_t i = 0; i < n; i++) {
            const uint64_t path = (uint64_t)(b0 + i);
            ckp_path_uniforms_lazy(&p->lay, &p->base, path, p->antithetic, s->u, &s->lz);
            ckp_work_uniforms_new_lazy(s->work, s->u, &s->lz);
            for (int k = 0; k < npol; k++) {
                double *record = rs->rec[k] + (size_t)i * p->lay.record;
                p->kernel->path(p->model[k], p->prep[k], &p->lay, s->work, s->u, record,
                                month_stats ? s->obs : NULL, NULL);
                if (month_stats)
                    stage_policy(s, k, s->obs);
                check_finite(s, record, path, p->policy[k]);
            }
            if (month_stats && ++s->nstage == rs->nstage_max)
                stage_flush(s);
        }
        if (month_stats && s->nstage > 0)
            stage_flush(s);
    }
}

/* Add every slot's sums and counts to the totals and clear them. Integer
 * adds: exact, so neither the order of the slots nor the split of the cells
 * among threads matters. */
static void fold_slots(ckp_run_state *rs)
{
    const ckp_plan *p = rs->plan;
    ckp_fix *sum = rs->acc->month_sum;
    uint64_t *hist = rs->acc->hist;
    const int64_t cells = (int64_t)p->cells;
#if CKP_HAVE_OPENMP
#pragma omp parallel for num_threads(rs->nth) schedule(static)
#endif
    for (int64_t c = 0; c < cells; c++) {
        for (int t = 0; t < rs->nth; t++) {
            thread_slot *s = &rs->slots[t];
            ckp_fix_add(&sum[c], &s->st.sum[c]);
            s->st.sum[c].hi = 0;
            s->st.sum[c].lo = 0;
            uint64_t *h = hist + (size_t)c * CKP_HIST_BINS;
            uint32_t *sh = s->st.hist + (size_t)c * CKP_HIST_BINS;
            for (int b = 0; b < CKP_HIST_BINS; b++)
                h[b] += sh[b];
            memset(sh, 0, CKP_HIST_BINS * sizeof *sh);
        }
    }
}

ckp_status ckp_run_step(ckp_run_state *rs, ckp_error *err)
{
    return ckp_run_step_to(rs, INT64_MAX, err);
}

ckp_status ckp_run_step_to(ckp_run_state *rs, int64_t stop, ckp_error *err)
{
    if (!rs || rs->broken)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: step after a failed step");
    const ckp_plan *p = rs->plan;
    const int64_t end = stop < rs->end ? stop : rs->end;
    if (rs->next >= end)
        return CKP_OK;
    if (p->antithetic && (end - rs->next) % 2 != 0)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: an antithetic step must end at an even path");
    const int64_t b0 = rs->next;
    const int64_t n = end - b0 < p->batch ? end - b0 : p->batch;
    int blas_before = blas_single_begin();
    simulate_batch(rs, b0, n);
    if (p->month_stats)
        fold_slots(rs);
    blas_single_end(blas_before);
    /* Per-thread error slots, reported in path order. */
    int64_t bad = -1;
    int bad_pol = 0;
    for (int t = 0; t < rs->nth; t++)
        if (rs->slots[t].bad_path >= 0 && (bad < 0 || rs->slots[t].bad_path < bad)) {
            bad = rs->slots[t].bad_path;
            bad_pol = rs->slots[t].bad_policy;
        }
    if (bad >= 0) {
        rs->broken = 1;
        return CKP_FAIL(err, CKP_ERR_NUMERIC,
                        "run: path %lld of policy '%s' gave a non-finite total loss",
                        (long long)bad, p->sc->policy_names[bad_pol]);
    }
    if (rs->sink && rs->sink->write_batch) {
        ckp_status st = rs->sink->write_batch(rs->sink->ctx, &p->lay, b0, n, p->npol,
                                              (const double *const *)rs->rec, err);
        if (st != CKP_OK) {
            rs->broken = 1;
            return st;
        }
    }
    rs->acc->paths += n;
    rs->next += n;
    return CKP_OK;
}

int ckp_run_done(const ckp_run_state *rs) { return rs->next >= rs->end; }
int64_t ckp_run_next_path(const ckp_run_state *rs) { return rs->next; }

ckp_status ckp_run_snapshot(const ckp_run_state *rs, ckp_run_result **out, ckp_error *err)
{
    if (out)
        *out = NULL;
    if (!rs || !out)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: state and result pointer are required");
    if (rs->broken)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: snapshot after a failed step");
    CKP_TRY(ckp_run_result_copy(rs->acc, out, err));
    ckp_run_result_means(*out);
    return CKP_OK;
}

ckp_status ckp_run_end(ckp_run_state *rs, ckp_run_result **out, ckp_error *err)
{
    if (out)
        *out = NULL;
    if (!rs || !out) {
        state_free(rs);
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: state and result pointer are required");
    }
    if (rs->broken) {
        state_free(rs);
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: end after a failed step");
    }
    ckp_run_result_means(rs->acc);
    *out = rs->acc;
    rs->acc = NULL;
    state_free(rs);
    return CKP_OK;
}

void ckp_run_abort(ckp_run_state *rs)
{
    state_free(rs);
}

ckp_status ckp_run_plan(const ckp_plan *plan, const ckp_sink *sink, ckp_run_result **out,
                        ckp_error *err)
{
    if (out)
        *out = NULL;
    ckp_run_state *rs = NULL;
    CKP_TRY(ckp_run_begin(plan, sink, &rs, err));
    while (!ckp_run_done(rs)) {
        ckp_status st = ckp_run_step(rs, err);
        if (st != CKP_OK) {
            ckp_run_abort(rs);
            return st;
        }
        if (plan->progress &&
            plan->progress(plan->progress_ctx, rs->next - plan->first_path, plan->paths) != 0) {
            long long done = (long long)(rs->next - plan->first_path);
            ckp_run_abort(rs);
            return CKP_FAIL(err, CKP_ERR_CANCELLED, "run: cancelled after %lld of %lld paths",
                            done, (long long)plan->paths);
        }
    }
    return ckp_run_end(rs, out, err);
}

ckp_status ckp_run(const ckp_scenario *sc, const ckp_run_options *opt, const ckp_sink *sink,
                   ckp_run_result **out, ckp_error *err)
{
    if (out)
        *out = NULL;
    if (!sc || !opt || !out)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "run: scenario, options and result pointer are required");
    ckp_plan *plan = NULL;
    CKP_TRY(ckp_plan_create(sc, opt, &plan, err));
    ckp_status st = ckp_run_plan(plan, sink, out, err);
    ckp_plan_free(plan);
    return st;
}
