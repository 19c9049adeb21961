/* chokepoint: staging of the per-month statistics (stage_impl.h).
 *
 * A path touches one histogram row per (policy, month, observable), thousands
 * of rows that do not stay in cache, so counting path by path would be bound
 * by cache misses. Instead each policy's observables are binned and summed as
 * soon as the path has produced them (they are still in cache; the limbs of
 * the sums are small enough to stay there), and only the bin indices, one
 * byte per cell, are staged. A flush then counts the staged group cell by
 * cell, so a row is fetched once per group of paths.
 *
 * The binning is the table binner's (hist_lut.c) and the sums the two-limb
 * split of fix_impl.h, both exact; this file holds the portable loop, the
 * tables the AVX2 loop (stage_avx2.c) reads, and the flush. */
#include "engine/run/stage_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"

static int want_vector(void)
{
    const char *env = getenv("CKP_STAGE");
    if (env && strcmp(env, "scalar") == 0)
        return 0;
    return ckp_stage_avx2_available();
}

void ckp_stage_tab_free(ckp_stage_tab *t)
{
    if (!t)
        return;
    free(t->ent);
    free(t->lowb);
    free(t->highb);
    free(t->shift);
    free(t->lmask);
    free(t->offb);
    free(t);
}

/* The entry of bucket i of table binner l: the bin lo of its lowest value
 * in bits 52 and up, and below them a threshold h: the bin of a value of the
 * bucket is lo + ((bits(v) & (2^shift - 1)) > h). For positive doubles the
 * bits are ordered as the values, and every value of the bucket has the
 * bucket's bits above `shift`, so with the edge upper[lo] inside the bucket,
 * h is its bits below `shift` and the test is v > upper[lo]; with the edge
 * above the bucket, h = 2^shift - 1 and the test never holds. The vector loop
 * clamps the bits of a value below the first bucket to the first bucket's
 * lowest (low bits 0) and above the last to the last's highest (low bits all
 * ones), so the test is also v > upper[lo] for those, where the edge allows:
 * in the first bucket an edge below the bucket would take a compare of the
 * clamped values, so those buckets are binned exactly (marked lo = 255), as
 * are the last bucket's with a finite edge, and those marked by the table. */
static uint64_t entry(const ckp_hist_lut *l, int64_t i)
{
    const uint64_t exact = (uint64_t)CKP_HIST_LUT_EXACT << 52;
    const int lo = l->lo[i];
    if (lo == CKP_HIST_LUT_EXACT)
        return exact;
    const uint64_t mask = ((uint64_t)1 << l->shift) - 1u;
    if (lo == CKP_HIST_BINS - 1)
        return ((uint64_t)lo << 52) | mask;
    const double edge = l->upper[lo];
    uint64_t eb;
    memcpy(&eb, &edge, sizeof eb);
    const uint64_t first = (uint64_t)(l->base + i) << l->shift, last = first | mask;
    if (!(edge > 0.0) || eb < first || (i == l->n - 1 && isfinite(edge)))
        return exact;
    return ((uint64_t)lo << 52) | (eb > last ? mask : eb - first);
}

/* The 64-bit entries of every table binner, concatenated, and the lane
 * parameters of every (policy, observable), span of them per policy. The
 * shifts are at most 52, so the thresholds fit below bit 52. */
static int fill_entries(ckp_stage_tab *t, const ckp_plan *p)
{
    const size_t nl = p->nbinners;
    size_t total = 0;
    for (size_t j = 0; j < nl; j++)
        total += (size_t)p->luts[j].n;
    t->ent = calloc(total ? total : 1, sizeof *t->ent);
    const size_t nlane = (size_t)p->npol * t->span;
    t->lowb = calloc(nlane ? nlane : 1, sizeof *t->lowb);
    t->highb = calloc(nlane ? nlane : 1, sizeof *t->highb);
    t->lmask = calloc(nlane ? nlane : 1, sizeof *t->lmask);
    t->shift = calloc(nlane ? nlane : 1, sizeof *t->shift);
    t->offb = calloc(nlane ? nlane : 1, sizeof *t->offb);
    int64_t *start = calloc(nl ? nl : 1, sizeof *start);
    if (!t->ent || !t->lowb || !t->highb || !t->lmask || !t->shift || !t->offb || !start) {
        free(start);
        return -1;
    }
    int64_t at = 0;
    for (size_t j = 0; j < nl; j++) {
        start[j] = at;
        for (int64_t i = 0; i < p->luts[j].n; i++)
            t->ent[at + i] = entry(&p->luts[j], i);
        at += p->luts[j].n;
    }
    for (size_t c = 0; c < nlane; c++) {
        const size_t k = c / t->span, o = c % t->span % t->opm;
        const ckp_hist_lut *l = p->lut_of[k * t->opm + o];
        t->lmask[c] = ((uint64_t)1 << l->shift) - 1u;
        t->shift[c] = (uint64_t)l->shift;
        t->lowb[c] = (uint64_t)l->base << l->shift;
        t->highb[c] = ((uint64_t)(l->base + l->n) << l->shift) - 1u;
        t->offb[c] = start[l - p->luts] - l->base;
    }
    free(start);
    return 0;
}

ckp_status ckp_stage_tab_create(const ckp_plan *p, ckp_stage_tab **out, ckp_error *err)
{
    *out = NULL;
    ckp_stage_tab *t = calloc(1, sizeof *t);
    if (!t)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for the statistics tables");
    t->plan = p;
    t->opm = p->lay.obs_per_month;
    t->cells = p->cells;
    t->span = t->opm + 3;
    t->vector = want_vector();
    if (fill_entries(t, p) != 0) {
        ckp_stage_tab_free(t);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for the statistics tables");
    }
    *out = t;
    return CKP_OK;
}

static void *alloc_array(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

ckp_status ckp_stage_alloc(ckp_stage *st, const ckp_stage_tab *t, int nstage_max, ckp_error *err)
{
    const size_t cells = t->cells;
    st->bins = alloc_array(cells * (size_t)nstage_max, 1);
    st->sum = alloc_array(cells, sizeof *st->sum);
    st->hi = alloc_array(cells, sizeof *st->hi);
    st->lo = alloc_array(cells, sizeof *st->lo);
    st->hist = alloc_array(cells * CKP_HIST_BINS, sizeof *st->hist);
    if (!st->bins || !st->sum || !st->hi || !st->lo || !st->hist)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "run: out of memory for thread scratch");
    return CKP_OK;
}

void ckp_stage_free(ckp_stage *st)
{
    free(st->bins);
    free(st->sum);
    free(st->hi);
    free(st->lo);
    free(st->hist);
    memset(st, 0, sizeof *st);
}

/* The portable loop: one table lookup and one split per value. */
static void policy_scalar(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, int k,
                          const double *obs)
{
    const ckp_plan *p = t->plan;
    const size_t opm = t->opm, T = (size_t)p->lay.T;
    const size_t first = (size_t)k * T * opm;
    const ckp_hist_lut *const *lk = p->lut_of + (size_t)k * opm;
    for (size_t m = 0; m < T; m++) {
        const size_t c = first + m * opm;
        const double *v = obs + m * opm;
        for (size_t o = 0; o < opm; o++)
            bins[c + o] = (uint8_t)ckp_hist_lut_bin(lk[o], v[o]);
        uint64_t *hi = st->hi + c, *lo = st->lo + c;
        for (size_t o = 0; o < opm; o++) {
            uint64_t h, l;
            if (ckp_fix_split(v[o], &h, &l)) {
                hi[o] += h;
                lo[o] += l;
            } else {
                ckp_fix_add_double(&st->sum[c + o], v[o]);
            }
        }
    }
}

void ckp_stage_policy(const ckp_stage_tab *t, ckp_stage *st, int slot, int k, const double *obs)
{
    uint8_t *bins = st->bins + (size_t)slot * t->cells;
    if (t->vector)
        ckp_stage_policy_avx2(t, st, bins, k, obs);
    else
        policy_scalar(t, st, bins, k, obs);
}

/* Eight neighbouring cells are counted together, from one 8-byte load per
 * staged path: their increments go to eight different rows, so consecutive
 * increments never wait on each other (counting one cell at a time, a run of
 * equal bins such as the zeros is a chain of dependent read-modify-writes of
 * one counter). Eight zero bins (no shortfall in a month: its x and most q)
 * are counted in bulk: the paths whose eight bins are all 0 are counted once
 * per group and added to the eight bin-0 counters at its end. */
void ckp_stage_flush(const ckp_stage_tab *t, ckp_stage *st, int nstage)
{
    const size_t n = (size_t)nstage, cells = t->cells;
    size_t cell = 0;
    for (; cell + 8 <= cells; cell += 8) {
        const uint8_t *src = st->bins + cell;
        uint32_t *row = st->hist + cell * CKP_HIST_BINS;
        uint32_t zeros = 0;
        for (size_t j = 0; j < n; j++) {
            uint64_t w;
            memcpy(&w, src + j * cells, sizeof w);
            if (w == 0) {
                zeros++;
                continue;
            }
            for (int l = 0; l < 8; l++)
                row[(size_t)l * CKP_HIST_BINS + ((w >> (8 * l)) & 0xff)]++;
        }
        for (int l = 0; l < 8; l++)
            row[(size_t)l * CKP_HIST_BINS] += zeros;
    }
    for (; cell < cells; cell++) {
        const uint8_t *src = st->bins + cell;
        uint32_t *row = st->hist + cell * CKP_HIST_BINS;
        for (size_t j = 0; j < n; j++)
            row[src[j * cells]]++;
    }
    for (cell = 0; cell < cells; cell++) {
        ckp_fix_pair_fold(st->hi[cell], st->lo[cell], &st->sum[cell]);
        st->hi[cell] = st->lo[cell] = 0;
    }
}
