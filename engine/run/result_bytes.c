/* chokepoint: a run result as bytes and back (run_impl.h), for checkpoints.
 *
 * Layout, every integer little-endian: the magic "CKPRES01", then u32 npol,
 * T, obs_per_month, CKP_HIST_BINS, month_stats, antithetic; u64 seed; i64
 * first_path, paths; npol u32 scenario policy indices; with month statistics
 * the cells' fixed-point sums (i64 hi, u64 lo) and the cells' CKP_HIST_BINS
 * u64 counts, in the result's own order. Exact: a result read back merges,
 * resumes and writes the same bits as the one stored. */
#include "engine/run/run_impl.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/run/plan_impl.h"

static const char MAGIC[8] = {'C', 'K', 'P', 'R', 'E', 'S', '0', '1'};
#define HEAD_BYTES (8 + 6 * 4 + 3 * 8)

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 4;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 8;
}

static uint32_t get_u32(const unsigned char **p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)(*p)[i] << (8 * i);
    *p += 4;
    return v;
}

static uint64_t get_u64(const unsigned char **p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)(*p)[i] << (8 * i);
    *p += 8;
    return v;
}

static size_t cells_of(const ckp_run_result *r)
{
    return (size_t)r->npol * (size_t)r->lay.T * r->lay.obs_per_month;
}

static size_t body_bytes(size_t npol, size_t cells, int month_stats)
{
    return 4 * npol + (month_stats ? cells * 16 + cells * CKP_HIST_BINS * 8 : 0);
}

ckp_status ckp_run_result_to_bytes(const ckp_run_result *r, unsigned char **out, size_t *n,
                                   ckp_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cells = cells_of(r);
    size_t len = HEAD_BYTES + body_bytes((size_t)r->npol, cells, r->month_stats);
    unsigned char *b = malloc(len), *p = b;
    if (!b)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory (%zu bytes of a result)", len);
    memcpy(p, MAGIC, sizeof MAGIC);
    p += sizeof MAGIC;
    p = put_u32(p, (uint32_t)r->npol);
    p = put_u32(p, (uint32_t)r->lay.T);
    p = put_u32(p, (uint32_t)r->lay.obs_per_month);
    p = put_u32(p, CKP_HIST_BINS);
    p = put_u32(p, (uint32_t)r->month_stats);
    p = put_u32(p, (uint32_t)r->antithetic);
    p = put_u64(p, r->seed);
    p = put_u64(p, (uint64_t)r->first_path);
    p = put_u64(p, (uint64_t)r->paths);
    for (int k = 0; k < r->npol; k++)
        p = put_u32(p, (uint32_t)r->policy[k]);
    if (r->month_stats) {
        for (size_t c = 0; c < cells; c++) {
            p = put_u64(p, (uint64_t)r->month_sum[c].hi);
            p = put_u64(p, r->month_sum[c].lo);
        }
        for (size_t c = 0; c < cells * CKP_HIST_BINS; c++)
            p = put_u64(p, r->hist[c]);
    }
    *out = b;
    *n = len;
    return CKP_OK;
}

ckp_status ckp_run_result_from_bytes(const ckp_plan *plan, const unsigned char *b, size_t n,
                                     ckp_run_result **out, ckp_error *err)
{
    *out = NULL;
    if (n < HEAD_BYTES || memcmp(b, MAGIC, sizeof MAGIC) != 0)
        return CKP_FAIL(err, CKP_ERR_IO, "run: the stored result is not one (%zu bytes)", n);
    const unsigned char *p = b + sizeof MAGIC;
    uint32_t npol = get_u32(&p), T = get_u32(&p), obs = get_u32(&p), bins = get_u32(&p);
    uint32_t ms = get_u32(&p), anti = get_u32(&p);
    uint64_t seed = get_u64(&p);
    int64_t first = (int64_t)get_u64(&p), paths = (int64_t)get_u64(&p);
    if (npol != (uint32_t)plan->npol || T != (uint32_t)plan->lay.T ||
        obs != (uint32_t)plan->lay.obs_per_month || bins != CKP_HIST_BINS ||
        ms != (uint32_t)plan->month_stats)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "run: the stored result has another shape (%u policies, %u months, "
                        "%u observables, %u bins, month statistics %u)",
                        npol, T, obs, bins, ms);
    if (seed != plan->seed || anti != (uint32_t)plan->antithetic || first != plan->first_path ||
        paths < 0 || paths > plan->paths)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "run: the stored result is of another run (seed %llu, paths %lld from "
                        "%lld, antithetic %u)",
                        (unsigned long long)seed, (long long)paths, (long long)first, anti);
    ckp_run_result *r = NULL;
    CKP_TRY(ckp_run_result_create(plan, &r, err));
    const size_t cells = cells_of(r);
    const size_t want = HEAD_BYTES + body_bytes(npol, cells, r->month_stats);
    if (n != want) {
        ckp_run_result_free(r);
        return CKP_FAIL(err, CKP_ERR_IO, "run: the stored result has %zu bytes, not %zu", n,
                        want);
    }
    for (int k = 0; k < r->npol; k++)
        if (get_u32(&p) != (uint32_t)plan->policy[k]) {
            ckp_run_result_free(r);
            return CKP_FAIL(err, CKP_ERR_IO, "run: the stored result has other policies");
        }
    if (r->month_stats) {
        for (size_t c = 0; c < cells; c++) {
            r->month_sum[c].hi = (int64_t)get_u64(&p);
            r->month_sum[c].lo = get_u64(&p);
        }
        for (size_t c = 0; c < cells * CKP_HIST_BINS; c++)
            r->hist[c] = get_u64(&p);
    }
    r->paths = paths;
    ckp_run_result_means(r);
    *out = r;
    return CKP_OK;
}
