/* chokepoint: the AVX2 staging loop (stage_impl.h), compiled with -mavx2 and
 * called only where the CPU has AVX2 (ckp_stage_avx2_available).
 *
 * The T * opm observables of one policy of one path are taken as one flat
 * array (month-major, as the kernel writes them), four cells at a time: the
 * lane parameters of four cells from any observable on are one load (stage.c
 * stores span = opm + 3 of them per policy), and the two-limb sums
 * (fix_impl.h) of neighbouring quads never overlap. Per quad:
 * - all +0 (no shortfall, an empty stockpile): bins 0, nothing added, one test;
 * - every lane +-0 or the bits of the same observable the month before (a
 *   stockpile at its target, a capped price): the month before's bins
 *   (already staged) or 0, and the sums;
 * - else the bins of all four by the table binners' 64-bit entries (stage.c:
 *   entry; one plain load per lane, which is faster than a gather on this
 *   machine's Zen cores) and an integer comparison, and the sums.
 * The sums split each value into the two limbs of ckp_fix_split by
 * floating-point operations (sums4: fewer than the integer shifts, which
 * take two micro-ops each on Zen), and a zero adds 0. Lanes whose bucket is
 * binned exactly and values outside the limbs' range (|v| >= 2^38,
 * infinities, NaN) are redone one at a time by the portable functions; the
 * cells after the last whole quad are done by the portable ones too. Every
 * cell gets what the portable loop gives it. */
#include "engine/run/stage_impl.h"

#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

int ckp_stage_avx2_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

/* The bins of the four values u (bits) with lane parameters at index i, as
 * four bytes, by the 64-bit entries (stage.c: entry): the bits clamped to the
 * table's range, one lookup per lane and an integer comparison. NaNs are not
 * binned here (their lanes are redone by the caller). */
static inline uint32_t bins4(const ckp_stage_tab *t, size_t i, __m256i u, int *exact)
{
    const __m256i mag = _mm256_and_si256(u, _mm256_set1_epi64x(0x7fffffffffffffff));
    const __m256i lowb = _mm256_loadu_si256((const __m256i *)(t->lowb + i));
    const __m256i highb = _mm256_loadu_si256((const __m256i *)(t->highb + i));
    __m256i mc = _mm256_blendv_epi8(mag, highb, _mm256_cmpgt_epi64(mag, highb));
    mc = _mm256_blendv_epi8(mc, lowb, _mm256_cmpgt_epi64(lowb, mc));
    const __m256i b =
        _mm256_add_epi64(_mm256_srlv_epi64(mc, _mm256_loadu_si256((const __m256i *)(t->shift + i))),
                         _mm256_loadu_si256((const __m256i *)(t->offb + i)));
    const __m128i b0 = _mm256_castsi256_si128(b), b1 = _mm256_extracti128_si256(b, 1);
    const uint64_t *ent = t->ent;
    const __m128i e0 =
        _mm_set_epi64x((int64_t)ent[_mm_extract_epi64(b0, 1)], (int64_t)ent[_mm_cvtsi128_si64(b0)]);
    const __m128i e1 =
        _mm_set_epi64x((int64_t)ent[_mm_extract_epi64(b1, 1)], (int64_t)ent[_mm_cvtsi128_si64(b1)]);
    const __m256i e = _mm256_inserti128_si256(_mm256_castsi128_si256(e0), e1, 1);
    const __m256i lo = _mm256_srli_epi64(e, 52);
    const __m256i h = _mm256_and_si256(e, _mm256_set1_epi64x(0x000fffffffffffff));
    const __m256i low = _mm256_and_si256(mc, _mm256_loadu_si256((const __m256i *)(t->lmask + i)));
    __m256i k = _mm256_sub_epi64(lo, _mm256_cmpgt_epi64(low, h));
    *exact = _mm256_movemask_pd(
        _mm256_castsi256_pd(_mm256_cmpeq_epi64(lo, _mm256_set1_epi64x(CKP_HIST_LUT_EXACT))));
    /* 0 for v <= 0 (+-0, the negative numbers): as int64, u < 1. */
    k = _mm256_andnot_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x(1), u), k);
    const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    const __m128i k32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(k, even));
    const __m128i pick = _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    return (uint32_t)_mm_cvtsi128_si32(_mm_shuffle_epi8(k32, pick));
}

/* Add the two limbs of the four values u to hi, lo; returns the mask of the
 * lanes out of the limbs' range (NaN included), which add nothing. The
 * limbs of ckp_fix_split by floating-point operations, all exact: w = v
 * 2^13 (|w| < 2^51), its integer part H = trunc(w), L = trunc((w - H)
 * 2^51) (the fraction of w is exact, so is its scaling), and both integers
 * (|H|, |L| < 2^51, signed) taken from the bits: H + 1.5 2^52 is exact (an
 * integer in [2^52, 2^53), one unit per ulp), so its bits less those of
 * 1.5 2^52 are H. */
static inline int sums4(__m256i u, uint64_t *hi, uint64_t *lo)
{
    const __m256d v = _mm256_castsi256_pd(u);
    const __m256d magic = _mm256_set1_pd(0x1.8p52);
    const __m256i magicb = _mm256_castpd_si256(magic);
    const __m256d av =
        _mm256_and_pd(v, _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffff)));
    const __m256d big = _mm256_cmp_pd(av, _mm256_set1_pd(0x1p38), _CMP_NLT_UQ);
    const __m256d w = _mm256_mul_pd(v, _mm256_set1_pd(0x1p13));
    const __m256d h = _mm256_round_pd(w, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256d f = _mm256_mul_pd(_mm256_sub_pd(w, h), _mm256_set1_pd(0x1p51));
    const __m256d l = _mm256_round_pd(f, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256i hb = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(h, magic)), magicb);
    const __m256i lb = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(l, magic)), magicb);
    const __m256i bigi = _mm256_castpd_si256(big);
    _mm256_storeu_si256((__m256i *)hi, _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)hi),
                                                        _mm256_andnot_si256(bigi, hb)));
    _mm256_storeu_si256((__m256i *)lo, _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)lo),
                                                        _mm256_andnot_si256(bigi, lb)));
    return _mm256_movemask_pd(big);
}

/* The masks of the zero lanes and of the lanes equal to the month before's of
 * the quad at cell j (0 for cells of the first month). */
static inline void classify4(const double *v, size_t j, size_t opm, __m256i u, int *zero, int *same)
{
    const __m256i twice = _mm256_add_epi64(u, u); /* drops the sign: 0 for +-0 */
    *zero =
        _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(twice, _mm256_setzero_si256())));
    if (j >= opm) {
        const __m256i p = _mm256_loadu_si256((const __m256i *)(const void *)(v + j - opm));
        *same = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(u, p)));
    } else {
        *same = 0;
        for (size_t l = 0; l < 4; l++)
            if (j + l >= opm && memcmp(v + j + l, v + j + l - opm, sizeof *v) == 0)
                *same |= 1 << l;
    }
}

/* The bytes of w whose lane bit is set in mask (4 bits), the others 0. */
static inline uint32_t keep_bytes(uint32_t w, int mask)
{
    const uint32_t m = (uint32_t)(mask & 1) * 0xffu | (uint32_t)(mask >> 1 & 1) * 0xff00u |
                       (uint32_t)(mask >> 2 & 1) * 0xff0000u |
                       (uint32_t)(mask >> 3 & 1) * 0xff000000u;
    return w & m;
}

/* The quad at cell j of the policy whose first cell is c0; its observables
 * start at o, lane parameters at i. */
static inline void quad(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, const double *v,
                        size_t j, size_t c0, size_t i)
{
    const size_t opm = t->opm;
    const __m256i u = _mm256_loadu_si256((const __m256i *)(const void *)(v + j));
    uint8_t *b = bins + c0 + j;
    if (_mm256_testz_si256(u, u)) {
        memset(b, 0, 4);
        return;
    }
    int zero, same, exact = 0;
    classify4(v, j, opm, u, &zero, &same);
    uint32_t w;
    if (((zero | same) & 15) == 15) {
        w = 0;
        if (same && j >= opm)
            memcpy(&w, b - opm, sizeof w);
        else /* the quad that starts in the first month: no bytes before it */
            for (size_t l = 0; l < 4; l++)
                if (same >> l & 1)
                    w |= (uint32_t)b[(ptrdiff_t)l - (ptrdiff_t)opm] << (8 * l);
        w = keep_bytes(w, same & ~zero);
    } else {
        w = bins4(t, i, u, &exact);
    }
    memcpy(b, &w, sizeof w);
    const int big = sums4(u, st->hi + c0 + j, st->lo + c0 + j);
    if (exact | big) {
        const ckp_hist_lut *const *lk = t->plan->lut_of + (i / t->span) * opm;
        for (size_t l = 0; l < 4; l++) {
            const size_t o = (i % t->span + l) % opm;
            if ((exact | big) >> l & 1)
                b[l] = (uint8_t)ckp_hist_lut_bin_exact(lk[o], v[j + l]);
            if (big >> l & 1)
                ckp_fix_add_double(&st->sum[c0 + j + l], v[j + l]);
        }
    }
}

/* A cell after the last whole quad, as the portable loop does it. */
static void single(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, const double *v, size_t j,
                   size_t c0, size_t lane)
{
    uint64_t h, l;
    bins[c0 + j] = (uint8_t)ckp_hist_lut_bin(t->plan->lut_of[lane], v[j]);
    if (ckp_fix_split(v[j], &h, &l)) {
        st->hi[c0 + j] += h;
        st->lo[c0 + j] += l;
    } else {
        ckp_fix_add_double(&st->sum[c0 + j], v[j]);
    }
}

void ckp_stage_policy_avx2(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, int k,
                           const double *obs)
{
    const size_t opm = t->opm, n = (size_t)t->plan->lay.T * opm;
    const size_t c0 = (size_t)k * n, i0 = (size_t)k * t->span;
    size_t j = 0, o = 0;
    for (; j + 4 <= n; j += 4) {
        quad(t, st, bins, obs, j, c0, i0 + o);
        o += 4;
        while (o >= opm)
            o -= opm;
    }
    for (; j < n; j++)
        single(t, st, bins, obs, j, c0, (size_t)k * opm + j % opm);
}

#else
int ckp_stage_avx2_available(void)
{
    return 0;
}

void ckp_stage_policy_avx2(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, int k,
                           const double *obs)
{
    (void)t, (void)st, (void)bins, (void)k, (void)obs;
}
#endif
