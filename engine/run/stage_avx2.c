/* chokepoint: the AVX2 staging loop (stage_impl.h), compiled with -mavx2 and
 * called only where the CPU has AVX2 (ckp_stage_avx2_available).
 *
 * Four neighbouring observables of a month at a time: their bins by the table
 * binners' 64-bit entries (stage.c: entry; one plain load per lane, which is
 * faster than a gather on this machine's Zen cores) and an integer comparison,
 * and their two-limb sums (fix_impl.h, ckp_fix_split) with variable shifts,
 * which AVX2 defines as 0 for counts of 64 or more, so no clamping is needed.
 * Every lane computes what the portable loop computes. Lanes whose bucket is
 * binned exactly and values outside the limbs' range (|v| >= 2^40, NaN) are
 * redone one at a time by the portable functions. A month of opm observables
 * takes opm / 4 vectors and, when opm is not a multiple of 4, one more on its
 * last four, whose lanes already done are left out of the sums (their bins
 * are written twice with the same value). An all-zero vector (common: no
 * shortfall, an empty stockpile) is bin 0 everywhere and adds nothing; a
 * vector equal to the month before's (a stockpile at its target, a capped
 * price) copies that month's bins and only sums. */
#include "engine/run/stage_impl.h"

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

/* Add the two limbs of the four values u to hi, lo, for the lanes in `keep`
 * (all ones); returns the mask of the lanes out of the limbs' range (NaN
 * included), kept or not. */
static inline int sums4(__m256i u, __m256i keep, uint64_t *hi, uint64_t *lo)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i mag = _mm256_and_si256(u, _mm256_set1_epi64x(0x7fffffffffffffff));
    const __m256i e = _mm256_srli_epi64(mag, 52);
    const __m256i m = _mm256_or_si256(_mm256_and_si256(mag, _mm256_set1_epi64x(0x000fffffffffffff)),
                                      _mm256_set1_epi64x((int64_t)1 << 52));
    const __m256i s = _mm256_sub_epi64(e, _mm256_set1_epi64x(1011));
    const __m256i h = _mm256_srlv_epi64(m, _mm256_sub_epi64(_mm256_set1_epi64x(52), s));
    const __m256i x =
        _mm256_or_si256(_mm256_sllv_epi64(m, s), _mm256_srlv_epi64(m, _mm256_sub_epi64(zero, s)));
    const __m256i l = _mm256_and_si256(x, _mm256_set1_epi64x(0x000fffffffffffff));
    const __m256i big = _mm256_cmpgt_epi64(e, _mm256_set1_epi64x(CKP_FIX_PAIR_EMAX));
    const __m256i neg = _mm256_cmpgt_epi64(zero, u);
    const __m256i take = _mm256_andnot_si256(big, keep);
    const __m256i sh = _mm256_and_si256(_mm256_sub_epi64(_mm256_xor_si256(h, neg), neg), take);
    const __m256i sl = _mm256_and_si256(_mm256_sub_epi64(_mm256_xor_si256(l, neg), neg), take);
    _mm256_storeu_si256((__m256i *)hi,
                        _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)hi), sh));
    _mm256_storeu_si256((__m256i *)lo,
                        _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)lo), sl));
    return _mm256_movemask_pd(_mm256_castsi256_pd(big));
}

/* Observables [o, o + 4) of month m: cells c.., lanes at i.., keeping for
 * the sums the lanes of `keep`. A quad equal to the month before (prev, or
 * NULL in month 0) has that month's bins, already in bins[c - opm]. */
static inline void quad(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, size_t c, size_t i,
                        const double *v, const double *prev, __m256i keep, int keepbits)
{
    const __m256i u = _mm256_loadu_si256((const __m256i *)(const void *)v);
    if (_mm256_testz_si256(u, u)) {
        memset(bins + c, 0, 4);
        return;
    }
    int exact = 0;
    const __m256i same =
        prev ? _mm256_cmpeq_epi64(u, _mm256_loadu_si256((const __m256i *)(const void *)prev))
             : _mm256_setzero_si256();
    if (_mm256_movemask_pd(_mm256_castsi256_pd(same)) == 15) {
        memcpy(bins + c, bins + c - t->opm, 4);
    } else {
        const uint32_t w = bins4(t, i, u, &exact);
        memcpy(bins + c, &w, sizeof w);
    }
    const int big = sums4(u, keep, st->hi + c, st->lo + c);
    if (exact | big) {
        const ckp_hist_lut *const *lk = t->plan->lut_of;
        for (int j = 0; j < 4; j++) {
            if ((exact | big) >> j & 1)
                bins[c + j] = (uint8_t)ckp_hist_lut_bin_exact(lk[i + j], v[j]);
            if ((big & keepbits) >> j & 1)
                ckp_fix_add_double(&st->sum[c + j], v[j]);
        }
    }
}

void ckp_stage_policy_avx2(const ckp_stage_tab *t, ckp_stage *st, uint8_t *bins, int k,
                           const double *obs)
{
    const size_t opm = t->opm, T = (size_t)t->plan->lay.T;
    const size_t first = (size_t)k * T * opm, lane0 = (size_t)k * opm;
    const size_t full = opm & ~(size_t)3, rest = opm - full;
    const __m256i all = _mm256_set1_epi64x(-1);
    /* The last quad's lanes not yet done: the top `rest` of four. */
    const __m256i tail =
        _mm256_cmpgt_epi64(_mm256_setr_epi64x(0, 1, 2, 3), _mm256_set1_epi64x(3 - (int64_t)rest));
    const int tailbits = _mm256_movemask_pd(_mm256_castsi256_pd(tail));
    for (size_t m = 0; m < T; m++) {
        const size_t c = first + m * opm;
        const double *v = obs + m * opm;
        for (size_t o = 0; o < full; o += 4)
            quad(t, st, bins, c + o, lane0 + o, v + o, m ? v + o - opm : NULL, all, 15);
        if (rest)
            quad(t, st, bins, c + opm - 4, lane0 + opm - 4, v + opm - 4, m ? v - 4 : NULL, tail,
                 tailbits);
    }
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
