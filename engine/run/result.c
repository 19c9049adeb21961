/* chokepoint: a run's result: exact per-month sums and histogram counts of a
 * path range, their accessors, copies and the exact merge of adjacent ranges
 * (include/chokepoint/run.h). */
#include "engine/run/run_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/run/plan_impl.h"

double ckp_fix_to_double(const ckp_fix *acc)
{
    return ldexp((double)ckp_fix_get(acc), -CKP_FIX_FRAC_BITS);
}

static size_t result_cells(const ckp_run_result *r)
{
    return (size_t)r->npol * (size_t)r->lay.T * r->lay.obs_per_month;
}

void ckp_run_result_free(ckp_run_result *r)
{
    if (!r)
        return;
    free(r->policy);
    free(r->month_sum);
    free(r->month_mean);
    free(r->hist);
    free(r->hist_upper);
    free(r);
}

void ckp_run_result_means(ckp_run_result *r)
{
    if (!r->month_stats)
        return;
    size_t cells = result_cells(r);
    for (size_t c = 0; c < cells; c++)
        r->month_mean[c] = r->paths > 0 ? ckp_fix_to_double(&r->month_sum[c]) / (double)r->paths
                                        : NAN;
}

/* Allocate r's arrays for its npol, lay and month_stats (zeroed). */
static ckp_status result_alloc(ckp_run_result *r, ckp_error *err)
{
    size_t cells = result_cells(r);
    size_t nobs = (size_t)r->npol * r->lay.obs_per_month;
    r->policy = malloc((size_t)r->npol * sizeof *r->policy);
    if (!r->policy)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    if (!r->month_stats)
        return CKP_OK;
    r->month_sum = calloc(cells ? cells : 1, sizeof *r->month_sum);
    r->month_mean = calloc(cells ? cells : 1, sizeof *r->month_mean);
    r->hist = calloc(cells ? cells * CKP_HIST_BINS : 1, sizeof *r->hist);
    r->hist_upper = calloc(nobs ? nobs * CKP_HIST_BINS : 1, sizeof *r->hist_upper);
    if (!r->month_sum || !r->month_mean || !r->hist || !r->hist_upper)
        return CKP_FAIL(err, CKP_ERR_NOMEM,
                        "run: out of memory for per-month statistics (%zu cells); "
                        "run without month statistics",
                        cells);
    return CKP_OK;
}

ckp_status ckp_run_result_create(const ckp_plan *plan, ckp_run_result **out, ckp_error *err)
{
    *out = NULL;
    ckp_run_result *r = calloc(1, sizeof *r);
    if (!r)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    r->npol = plan->npol;
    r->lay = plan->lay;
    r->seed = plan->seed;
    r->base = plan->base;
    r->antithetic = plan->antithetic;
    r->first_path = plan->first_path;
    r->paths = 0;
    r->month_stats = plan->month_stats;
    ckp_status st = result_alloc(r, err);
    if (st != CKP_OK) {
        ckp_run_result_free(r);
        return st;
    }
    memcpy(r->policy, plan->policy, (size_t)r->npol * sizeof *r->policy);
    if (r->month_stats)
        memcpy(r->hist_upper, plan->hist_upper,
               (size_t)r->npol * r->lay.obs_per_month * CKP_HIST_BINS * sizeof *r->hist_upper);
    *out = r;
    return CKP_OK;
}

ckp_status ckp_run_result_copy(const ckp_run_result *src, ckp_run_result **out, ckp_error *err)
{
    *out = NULL;
    ckp_run_result *r = calloc(1, sizeof *r);
    if (!r)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory");
    *r = *src;
    r->policy = NULL;
    r->month_sum = NULL;
    r->month_mean = NULL;
    r->hist = NULL;
    r->hist_upper = NULL;
    ckp_status st = result_alloc(r, err);
    if (st != CKP_OK) {
        ckp_run_result_free(r);
        return st;
    }
    memcpy(r->policy, src->policy, (size_t)r->npol * sizeof *r->policy);
    if (r->month_stats) {
        size_t cells = result_cells(r);
        memcpy(r->month_sum, src->month_sum, cells * sizeof *r->month_sum);
        memcpy(r->month_mean, src->month_mean, cells * sizeof *r->month_mean);
        memcpy(r->hist, src->hist, cells * CKP_HIST_BINS * sizeof *r->hist);
        memcpy(r->hist_upper, src->hist_upper,
               (size_t)r->npol * r->lay.obs_per_month * CKP_HIST_BINS * sizeof *r->hist_upper);
    }
    *out = r;
    return CKP_OK;
}

ckp_status ckp_run_result_merge(ckp_run_result *into, const ckp_run_result *b, ckp_error *err)
{
    if (!into || !b)
        return CKP_FAIL(err, CKP_ERR_USAGE, "merge: NULL result");
    if (into->npol != b->npol || memcmp(into->policy, b->policy, (size_t)b->npol * sizeof(int)))
        return CKP_FAIL(err, CKP_ERR_USAGE, "merge: the two runs have different policies");
    if (into->seed != b->seed || into->antithetic != b->antithetic ||
        into->month_stats != b->month_stats)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "merge: the two runs differ in seed, antithetic or month statistics");
    if (into->lay.record != b->lay.record || into->lay.T != b->lay.T ||
        into->lay.obs_per_month != b->lay.obs_per_month)
        return CKP_FAIL(err, CKP_ERR_USAGE, "merge: the two runs have different layouts");
    if (b->first_path != into->first_path + into->paths)
        return CKP_FAIL(err, CKP_ERR_USAGE, "merge: ranges are not adjacent (%lld + %lld != %lld)",
                        (long long)into->first_path, (long long)into->paths,
                        (long long)b->first_path);
    if (b->paths > INT64_MAX - into->first_path - into->paths)
        return CKP_FAIL(err, CKP_ERR_USAGE, "merge: range overflows");
    into->paths += b->paths;
    if (into->month_stats) {
        size_t cells = result_cells(into);
        for (size_t c = 0; c < cells; c++)
            ckp_fix_add(&into->month_sum[c], &b->month_sum[c]);
        for (size_t c = 0; c < cells * CKP_HIST_BINS; c++)
            into->hist[c] += b->hist[c];
        ckp_run_result_means(into);
    }
    return CKP_OK;
}

int ckp_run_result_npolicies(const ckp_run_result *r) { return r->npol; }
int ckp_run_result_policy(const ckp_run_result *r, int k) { return r->policy[k]; }
int64_t ckp_run_result_first_path(const ckp_run_result *r) { return r->first_path; }
int64_t ckp_run_result_paths(const ckp_run_result *r) { return r->paths; }
uint64_t ckp_run_result_seed(const ckp_run_result *r) { return r->seed; }
int ckp_run_result_antithetic(const ckp_run_result *r) { return r->antithetic; }
int ckp_run_result_month_stats(const ckp_run_result *r) { return r->month_stats; }
const ckp_layout *ckp_run_result_layout(const ckp_run_result *r) { return &r->lay; }

const double *ckp_run_result_month_mean(const ckp_run_result *r, int k)
{
    if (!r->month_stats)
        return NULL;
    return r->month_mean + (size_t)k * (size_t)r->lay.T * r->lay.obs_per_month;
}

const uint64_t *ckp_run_result_hist(const ckp_run_result *r, int k)
{
    if (!r->month_stats)
        return NULL;
    return r->hist + (size_t)k * (size_t)r->lay.T * r->lay.obs_per_month * CKP_HIST_BINS;
}

const double *ckp_run_result_hist_upper(const ckp_run_result *r, int k, size_t o)
{
    if (!r->month_stats)
        return NULL;
    return r->hist_upper + ((size_t)k * r->lay.obs_per_month + o) * CKP_HIST_BINS;
}
