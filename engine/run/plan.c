/* chokepoint: the run plan (include/chokepoint/plan.h).
 *
 * Everything a run decides once: options checked, policies in run order,
 * layout, batch size, base generator, preparations and histogram binners. The
 * run, the writer and the command-line tool read the one plan. */
#include "engine/run/plan_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckp_config.h"
#include "engine/core/error_impl.h"
#include "engine/sim/sim_impl.h" /* ckp_prep_create_like */

#if CKP_HAVE_OPENMP
#include <omp.h>
#endif

/* Default paths per batch: large enough that the per-batch fork/join and the
 * sink call are negligible, small enough that a batch's records stay small. */
#define DEFAULT_BATCH 1024
/* An automatic batch is shrunk until its record arrays fit in this many bytes. */
#define AUTO_BATCH_BYTES ((size_t)64 << 20)

void ckp_run_options_default(ckp_run_options *o, const ckp_scenario *sc)
{
    memset(o, 0, sizeof *o);
    o->seed = sc ? sc->seed : 1;
    o->paths = sc ? sc->paths : 10000;
    o->antithetic = sc ? sc->antithetic : 0;
    o->month_stats = 1;
}

static void *alloc_array(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

/* a * b into *out unless the product overflows size_t. */
static int mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

static ckp_status check_options(const ckp_run_options *opt, ckp_error *err)
{
    if (opt->paths <= 0)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: the number of paths must be positive (got %lld)",
                        (long long)opt->paths);
    if (opt->first_path < 0 || opt->first_path > INT64_MAX - opt->paths)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: bad path range (first %lld, %lld paths)",
                        (long long)opt->first_path, (long long)opt->paths);
    if (opt->antithetic && (opt->first_path % 2 != 0 || opt->paths % 2 != 0))
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "run: antithetic runs need an even first path and an even number "
                        "of paths (got first %lld, %lld paths)",
                        (long long)opt->first_path, (long long)opt->paths);
    if (opt->batch < 0 || opt->threads < 0)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: batch and threads must not be negative");
    if (opt->npolicies < 0 || (opt->npolicies > 0 && !opt->policies))
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: npolicies = %d with no policy list",
                        opt->npolicies);
    return CKP_OK;
}

/* The run's policies: baseline first, then the requested ones in the order
 * given, duplicates dropped. */
static ckp_status resolve_policies(ckp_plan *p, const ckp_run_options *opt, ckp_error *err)
{
    const ckp_scenario *sc = p->sc;
    int n = opt->npolicies > 0 ? opt->npolicies : sc->npolicies;
    p->policy = malloc(((size_t)n + 1) * sizeof *p->policy);
    char *seen = calloc((size_t)sc->npolicies, 1);
    if (!p->policy || !seen) {
        free(seen);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    }
    p->policy[p->npol++] = 0;
    seen[0] = 1;
    for (int i = 0; i < n; i++) {
        int q = opt->npolicies > 0 ? opt->policies[i] : i;
        if (q < 0 || q >= sc->npolicies) {
            free(seen);
            return CKP_FAIL(err, CKP_ERR_USAGE,
                            "run: policy index %d out of range (the scenario has %d)", q,
                            sc->npolicies);
        }
        if (!seen[q]) {
            seen[q] = 1;
            p->policy[p->npol++] = q;
        }
    }
    free(seen);
    return CKP_OK;
}

static int resolve_threads(int requested)
{
#if CKP_HAVE_OPENMP
    int n = requested > 0 ? requested : omp_get_max_threads();
    return n > 0 ? n : 1;
#else
    (void)requested;
    return 1;
#endif
}

static ckp_status plan_sizes(ckp_plan *p, const ckp_run_options *opt, ckp_error *err)
{
    const ckp_layout *lay = &p->lay;
    size_t month_block = (size_t)lay->T * lay->obs_per_month;
    if (mul_size((size_t)p->npol, month_block, &p->cells) ||
        mul_size(p->cells, CKP_HIST_BINS, &p->hcells) ||
        p->hcells > SIZE_MAX / 8 / (size_t)p->threads)
        return CKP_FAIL(err, CKP_ERR_NOMEM,
                        "run: per-month statistics are too large for this scenario");
    int64_t batch = opt->batch;
    if (batch == 0) {
        batch = DEFAULT_BATCH;
        size_t bytes_per_path = (size_t)p->npol * lay->record * sizeof(double);
        if (bytes_per_path > 0 && (size_t)batch * bytes_per_path > AUTO_BATCH_BYTES) {
            batch = (int64_t)(AUTO_BATCH_BYTES / bytes_per_path);
            if (batch < 1)
                batch = 1;
        }
    }
    if (batch > p->paths)
        batch = p->paths;
    /* Antithetic pairs stay within one batch: batches start on even paths. */
    if (p->antithetic && batch % 2 != 0)
        batch += 1;
    size_t per_policy_rec;
    if (mul_size((size_t)batch, lay->record, &per_policy_rec) ||
        per_policy_rec > SIZE_MAX / sizeof(double) / (size_t)p->npol)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: batch of %lld paths is too large",
                        (long long)batch);
    p->batch = batch;
    return CKP_OK;
}

static void obs_kinds(const ckp_model *m, const ckp_layout *lay, ckp_obs_kind *kinds)
{
    for (size_t o = 0; o < lay->obs_per_month; o++) {
        kinds[o].kind = 0;
        kinds[o].param = 0.0;
    }
    for (int j = 0; j < lay->M; j++) {
        kinds[lay->obs_pi + (size_t)j].kind = 1;
        kinds[lay->obs_pi + (size_t)j].param = m->cap[j];
        /* MODEL.md: L bins span (0, max(stock0, target)] in days. */
        double lmax = m->stock0[j] > m->target[j] ? m->stock0[j] : m->target[j];
        kinds[lay->obs_L + (size_t)j].kind = 2;
        kinds[lay->obs_L + (size_t)j].param = lmax * CKP_DAYS_PER_MONTH;
    }
}

/* Binners for the n observables in kinds (all policies): one per distinct
 * (kind, parameter), so that the edge tables a path consults stay few and in
 * cache (every x and q shares one). pool holds n binners; which[o] points at
 * observable o's. `param` is scratch for n doubles. */
static size_t obs_binners(const ckp_obs_kind *kinds, size_t n, ckp_hist_binner *pool,
                          const ckp_hist_binner **which, double *param)
{
    size_t used = 0;
    const ckp_hist_binner *unit = NULL;
    for (size_t o = 0; o < n; o++) {
        if (kinds[o].kind == 0 && unit) {
            which[o] = unit;
            continue;
        }
        /* Price and stock binners: search the pool (a few per material and
         * policy). */
        size_t i = 0;
        while (kinds[o].kind != 0 && i < used &&
               !(pool[i].kind == kinds[o].kind &&
                 memcmp(&param[i], &kinds[o].param, sizeof(double)) == 0))
            i++;
        if (kinds[o].kind != 0 && i < used) {
            which[o] = &pool[i];
            continue;
        }
        ckp_hist_binner *b = &pool[used];
        param[used] = kinds[o].param;
        used++;
        if (kinds[o].kind == 1)
            ckp_hist_binner_price(b, kinds[o].param);
        else if (kinds[o].kind == 2)
            ckp_hist_binner_stock(b, kinds[o].param);
        else
            unit = b, ckp_hist_binner_unit(b);
        which[o] = b;
    }
    return used;
}

/* A table binner for every binner of the pool, and each observable's. */
static ckp_status plan_luts(ckp_plan *p, size_t nobs, ckp_error *err)
{
    p->luts = alloc_array(p->nbinners, sizeof *p->luts);
    p->lut_of = alloc_array(nobs, sizeof *p->lut_of);
    if (!p->luts || !p->lut_of)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for the histogram tables");
    for (size_t i = 0; i < p->nbinners; i++) {
        if (ckp_hist_lut_init(&p->luts[i], &p->binner_pool[i]) != 0) {
            p->nbinners = i;
            return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for the histogram tables");
        }
    }
    for (size_t o = 0; o < nobs; o++)
        p->lut_of[o] = &p->luts[p->binners[o] - p->binner_pool];
    return CKP_OK;
}

static ckp_status plan_histograms(ckp_plan *p, ckp_error *err)
{
    const size_t nobs = (size_t)p->npol * p->lay.obs_per_month;
    p->kinds = alloc_array(nobs, sizeof *p->kinds);
    p->binner_pool = alloc_array(nobs, sizeof *p->binner_pool);
    p->binners = alloc_array(nobs, sizeof *p->binners);
    p->hist_upper = alloc_array(nobs * CKP_HIST_BINS, sizeof *p->hist_upper);
    double *param = alloc_array(nobs, sizeof *param);
    if (!p->kinds || !p->binner_pool || !p->binners || !p->hist_upper || !param) {
        free(param);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for the histogram edges");
    }
    for (int k = 0; k < p->npol; k++)
        obs_kinds(p->model[k], &p->lay, p->kinds + (size_t)k * p->lay.obs_per_month);
    p->nbinners = obs_binners(p->kinds, nobs, p->binner_pool, p->binners, param);
    free(param);
    CKP_TRY(plan_luts(p, nobs, err));
    for (size_t o = 0; o < nobs; o++) {
        double *up = p->hist_upper + o * CKP_HIST_BINS;
        if (p->kinds[o].kind == 1)
            ckp_hist_edges_price(p->kinds[o].param, up);
        else if (p->kinds[o].kind == 2)
            ckp_hist_edges_stock(p->kinds[o].param, up);
        else
            ckp_hist_edges_unit(up);
    }
    return CKP_OK;
}

static ckp_status plan_preps(ckp_plan *p, ckp_error *err)
{
    p->model = calloc((size_t)p->npol, sizeof *p->model);
    p->prep = calloc((size_t)p->npol, sizeof *p->prep);
    if (!p->model || !p->prep)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    for (int k = 0; k < p->npol; k++)
        p->model[k] = &p->sc->models[p->policy[k]];
    for (int k = 0; k < p->npol; k++) {
        /* Policies with the baseline's A* share its radius check and inverse. */
        ckp_status st = k == 0 ? ckp_prep_create(p->model[0], &p->prep[0], err)
                               : ckp_prep_create_like(p->model[k], p->model[0], p->prep[0],
                                                      &p->prep[k], err);
        if (st != CKP_OK)
            return st;
    }
    return CKP_OK;
}

/* CKP_KERNEL names no kernel this machine can run: say which ones it can. */
static ckp_status kernel_error(ckp_error *err)
{
    char names[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < ckp_kernel_count(); i++) {
        const ckp_kernel *k = ckp_kernel_at(i);
        if (k->available() && len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "",
                                    k->name);
    }
    return CKP_FAIL(err, CKP_ERR_USAGE, "CKP_KERNEL=%s: no such kernel on this machine (%s)",
                    getenv("CKP_KERNEL"), names);
}

ckp_status ckp_plan_create(const ckp_scenario *sc, const ckp_run_options *opt, ckp_plan **out,
                           ckp_error *err)
{
    if (out)
        *out = NULL;
    if (!sc || !out)
        return CKP_FAIL(err, CKP_ERR_USAGE, "run: scenario and plan pointer are required");
    ckp_run_options defaults;
    if (!opt) {
        ckp_run_options_default(&defaults, sc);
        opt = &defaults;
    }
    CKP_TRY(check_options(opt, err));
    ckp_plan *p = calloc(1, sizeof *p);
    if (!p)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    p->sc = sc;
    p->seed = opt->seed;
    ckp_pcg64_from_seed(&p->base, opt->seed);
    p->first_path = opt->first_path;
    p->paths = opt->paths;
    p->antithetic = opt->antithetic ? 1 : 0;
    p->month_stats = opt->month_stats ? 1 : 0;
    p->threads = resolve_threads(opt->threads);
    p->progress = opt->progress;
    p->progress_ctx = opt->progress_ctx;
    ckp_layout_init(&p->lay, &sc->models[0]);
    ckp_status st = CKP_OK;
    p->kernel = ckp_kernel_choose(ckp_work_bytes(sc), sc->I);
    if (!p->kernel)
        st = kernel_error(err);
    if (st == CKP_OK)
        st = resolve_policies(p, opt, err);
    if (st == CKP_OK)
        st = plan_sizes(p, opt, err);
    if (st == CKP_OK)
        st = ckp_plan_memory_check(p, opt->max_memory, err);
    if (st == CKP_OK)
        st = plan_preps(p, err);
    if (st == CKP_OK)
        st = plan_histograms(p, err);
    if (st != CKP_OK) {
        ckp_plan_free(p);
        return st;
    }
    *out = p;
    return CKP_OK;
}

void ckp_plan_free(ckp_plan *p)
{
    if (!p)
        return;
    if (p->prep)
        for (int k = 0; k < p->npol; k++)
            ckp_prep_free(p->prep[k]);
    free(p->prep);
    free(p->model);
    free(p->policy);
    free(p->kinds);
    if (p->luts)
        for (size_t i = 0; i < p->nbinners; i++)
            ckp_hist_lut_free(&p->luts[i]);
    free(p->luts);
    free(p->lut_of);
    free(p->binner_pool);
    free(p->binners);
    free(p->hist_upper);
    free(p);
}

const ckp_scenario *ckp_plan_scenario(const ckp_plan *p) { return p->sc; }
int ckp_plan_npolicies(const ckp_plan *p) { return p->npol; }
int ckp_plan_policy(const ckp_plan *p, int k) { return p->policy[k]; }
const char *ckp_plan_policy_name(const ckp_plan *p, int k)
{
    return p->sc->policy_names[p->policy[k]];
}
int ckp_plan_policy_cost(const ckp_plan *p, int k, double *annual_cost)
{
    if (annual_cost)
        *annual_cost = p->model[k]->has_cost ? p->model[k]->annual_cost : 0.0;
    return p->model[k]->has_cost;
}
const ckp_layout *ckp_plan_layout(const ckp_plan *p) { return &p->lay; }
uint64_t ckp_plan_seed(const ckp_plan *p) { return p->seed; }
const ckp_pcg64 *ckp_plan_base(const ckp_plan *p) { return &p->base; }
int64_t ckp_plan_first_path(const ckp_plan *p) { return p->first_path; }
int64_t ckp_plan_paths(const ckp_plan *p) { return p->paths; }
int ckp_plan_antithetic(const ckp_plan *p) { return p->antithetic; }
int ckp_plan_month_stats(const ckp_plan *p) { return p->month_stats; }
int64_t ckp_plan_batch(const ckp_plan *p) { return p->batch; }
int ckp_plan_threads(const ckp_plan *p) { return p->threads; }
const char *ckp_plan_kernel(const ckp_plan *p) { return p->kernel->name; }
const double *ckp_plan_hist_upper(const ckp_plan *p, int k, size_t o)
{
    return p->hist_upper + ((size_t)k * p->lay.obs_per_month + o) * CKP_HIST_BINS;
}

ckp_status ckp_plan_replay(const ckp_plan *p, int k, int64_t path, double *record,
                           ckp_trace *trace, ckp_error *err)
{
    if (k < 0 || k >= p->npol || path < 0)
        return CKP_FAIL(err, CKP_ERR_USAGE, "replay: no run policy %d or path %lld", k,
                        (long long)path);
    ckp_work *w = NULL;
    CKP_TRY(ckp_work_create(p->sc, &w, err));
    double *u = alloc_array(p->lay.uniforms, sizeof *u);
    if (!u) {
        ckp_work_free(w);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "replay: out of memory");
    }
    ckp_path_uniforms(&p->lay, &p->base, (uint64_t)path, p->antithetic, u);
    ckp_trace_observer to;
    if (trace)
        ckp_trace_observer_init(&to, p->model[k], trace);
    p->kernel->path(p->model[k], p->prep[k], &p->lay, w, u, record, NULL, trace ? &to.ob : NULL);
    free(u);
    ckp_work_free(w);
    return CKP_OK;
}
