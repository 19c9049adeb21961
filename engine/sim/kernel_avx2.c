/* chokepoint: the "avx2" block kernel: four paths of one policy advanced
 * together, one path per lane of an AVX2 vector of doubles (MODEL.md
 * sections 3 and 5).
 *
 * Built with -mavx2 (and -ffp-contract=off, as the whole project) and run
 * only where the CPU has AVX2 (kernel.c). Every lane gets the bits the scalar
 * kernel (kernel_scalar.c) gives its path:
 * - the stages (steps 1-3 and the price noise) are the scalar ones, per lane,
 *   each lane on its own work and stage cache;
 * - the month loop does the scalar kernel's operations in the same order, with
 *   the same roundings: IEEE add, sub, mul and compares are the same in a
 *   lane as in a scalar register, no multiply-add is fused, and every
 *   branch of the scalar loop is a mask and a blend here. dmin(a, b) = b < a ?
 *   b : a is vminpd(b, a) and dmax(a, b) = b > a ? b : a is vmaxpd(b, a),
 *   operand order included (it decides which zero or which operand wins);
 * - the scarcity factor is ckp_pow (kpow.h) in vector form (vpow), the same
 *   operations as the scalar form, and deferred static propagation is the
 *   scalar kernel's dgemm per lane.
 * Lanes beyond n read lane 0's stages and are discarded. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "engine/sim/kernel.h"
#include "engine/sim/kpow.h"
#include "engine/sim/work_impl.h"

_Static_assert(CKP_LANES == 4, "an AVX2 vector holds 4 doubles");

typedef __m256d vd;

/* The month state of the block, CKP_VEC_M vectors per material and
 * CKP_VEC_I per industry in the lane-0 work's vec. */
typedef struct vstate {
    vd *G, *L, *x, *xpeak, *xmon, *stockout, *ppeak, *cost, *ssum, *psum, *stmin;
    vd *q, *qn, *q0, *loss, *ipeak;
} vstate;

/* The per-lane stages and outputs of a block. */
typedef struct lanes {
    int n;
    const double *gap[CKP_LANES], *spav[CKP_LANES], *ey[CKP_LANES];
    double *obs[CKP_LANES]; /* NULL for none */
} lanes;

static inline vd vmin(vd a, vd b) /* b < a ? b : a */
{
    return _mm256_min_pd(b, a);
}

static inline vd vmax(vd a, vd b) /* b > a ? b : a */
{
    return _mm256_max_pd(b, a);
}

static inline vd vclip01(vd v) /* v < 0 ? 0 : (v > 1 ? 1 : v) */
{
    return _mm256_max_pd(_mm256_setzero_pd(), _mm256_min_pd(_mm256_set1_pd(1.0), v));
}

/* c ? b : a per lane. */
static inline vd pick(vd a, vd b, vd c)
{
    return _mm256_blendv_pd(a, b, c);
}

static inline vd gather(const double *const *base, size_t off)
{
    return _mm256_set_pd(base[3][off], base[2][off], base[1][off], base[0][off]);
}

/* a op b per lane (a macro: the predicate must be a constant even at -O0). */
#define cmp(a, b, op) _mm256_cmp_pd((a), (b), (op))

/* Write lane l of v, for every lane of the block, to obs[l][off]. */
static inline void scatter(const lanes *ln, size_t off, vd v)
{
    double t[CKP_LANES];
    _mm256_storeu_pd(t, v);
    for (int l = 0; l < ln->n; l++)
        ln->obs[l][off] = t[l];
}

#define V(c) _mm256_set1_pd(c)
#define VADD _mm256_add_pd
#define VMUL _mm256_mul_pd

/* kpow_log_m of kpow.h in every lane, operation for operation. */
static inline vd vlog_m(vd m)
{
    const vd s = _mm256_div_pd(_mm256_sub_pd(m, V(1.0)), VADD(m, V(1.0)));
    const vd z = VMUL(s, s);
    vd p = V(1.0 / 23.0);
    p = VADD(VMUL(p, z), V(1.0 / 21.0));
    p = VADD(VMUL(p, z), V(1.0 / 19.0));
    p = VADD(VMUL(p, z), V(1.0 / 17.0));
    p = VADD(VMUL(p, z), V(1.0 / 15.0));
    p = VADD(VMUL(p, z), V(1.0 / 13.0));
    p = VADD(VMUL(p, z), V(1.0 / 11.0));
    p = VADD(VMUL(p, z), V(1.0 / 9.0));
    p = VADD(VMUL(p, z), V(1.0 / 7.0));
    p = VADD(VMUL(p, z), V(1.0 / 5.0));
    p = VADD(VMUL(p, z), V(1.0 / 3.0));
    return VADD(VMUL(V(2.0), s), VMUL(VMUL(V(2.0), s), VMUL(z, p)));
}

/* kpow_exp_r of kpow.h in every lane. */
static inline vd vexp_r(vd r)
{
    vd p = V(1.0 / 6227020800.0);
    p = VADD(VMUL(p, r), V(1.0 / 479001600.0));
    p = VADD(VMUL(p, r), V(1.0 / 39916800.0));
    p = VADD(VMUL(p, r), V(1.0 / 3628800.0));
    p = VADD(VMUL(p, r), V(1.0 / 362880.0));
    p = VADD(VMUL(p, r), V(1.0 / 40320.0));
    p = VADD(VMUL(p, r), V(1.0 / 5040.0));
    p = VADD(VMUL(p, r), V(1.0 / 720.0));
    p = VADD(VMUL(p, r), V(1.0 / 120.0));
    p = VADD(VMUL(p, r), V(1.0 / 24.0));
    p = VADD(VMUL(p, r), V(1.0 / 6.0));
    p = VADD(VMUL(p, r), V(0.5));
    p = VADD(VMUL(p, r), V(1.0));
    return VADD(VMUL(p, r), V(1.0));
}

/* ckp_pow(b, e) of kpow.h in every lane. */
static inline vd vpow(vd b, double e)
{
    const __m256i bb = _mm256_castpd_si256(b);
    const __m256i hi = _mm256_or_si256(_mm256_srli_epi64(bb, 52),
                                       _mm256_set1_epi64x((long long)0x4330000000000000ULL));
    vd k = _mm256_sub_pd(_mm256_sub_pd(_mm256_castsi256_pd(hi), V(KPOW_TWO52)), V(1023.0));
    vd m = _mm256_castsi256_pd(
        _mm256_or_si256(_mm256_and_si256(bb, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                        _mm256_set1_epi64x(0x3ff0000000000000LL)));
    const vd big = cmp(m, V(KPOW_SQRT2), _CMP_GT_OQ);
    m = pick(m, VMUL(m, V(0.5)), big);
    k = pick(k, VADD(k, V(1.0)), big);
    const vd y = VMUL(V(e), VADD(VMUL(k, V(KPOW_LN2)), vlog_m(m)));
    const vd t = VADD(VMUL(y, V(KPOW_INV_LN2)), V(KPOW_SHIFT));
    const vd n = _mm256_sub_pd(t, V(KPOW_SHIFT));
    const vd r = _mm256_sub_pd(_mm256_sub_pd(y, VMUL(n, V(KPOW_LN2_HI))), VMUL(n, V(KPOW_LN2_LO)));
    const vd two_n = _mm256_castsi256_pd(
        _mm256_slli_epi64(_mm256_add_epi64(_mm256_castpd_si256(t), _mm256_set1_epi64x(1023)), 52));
    vd v = VMUL(vexp_r(r), two_n);
    v = pick(v, V((double)INFINITY), cmp(y, V(709.0), _CMP_GT_OQ));
    return pick(v, _mm256_setzero_pd(), cmp(y, V(-708.0), _CMP_LT_OQ));
}

/* The scarcity factor of the lanes whose shortfall x is positive:
 * ckp_pow(max(1 - x, 1e-6), e) there, 1 elsewhere (ey * 1 = ey exactly). */
static inline vd scarcity(vd x, vd pos, double e)
{
    if (!_mm256_movemask_pd(pos))
        return V(1.0);
    const vd b = vmax(_mm256_sub_pd(V(1.0), x), V(1e-6));
    return pick(V(1.0), vpow(b, e), pos);
}

/* Steps 4-7 of month t for every material, and the material accounting
 * (material_month of kernel_scalar.c, lane by lane). Returns the lanes with
 * some material short. */
static vd material_month(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                         const vstate *v, const lanes *ln, int t)
{
    const int M = m->M;
    const vd one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    const vd tp1 = _mm256_set1_pd((double)(t + 1)), thr = _mm256_set1_pd(m->shortfall_threshold);
    const size_t opm = lay->obs_per_month;
    vd anyx = zero;
    for (int j = 0; j < M; j++) {
        const size_t tj = (size_t)t * M + j;
        const vd gap = gather(ln->gap, tj), spav = gather(ln->spav, tj);
        const vd a = _mm256_sub_pd(one, gap);
        vd G = v->G[j];
        const vd up =
            _mm256_add_pd(G, _mm256_mul_pd(_mm256_sub_pd(one, G), _mm256_set1_pd(1.0 - p->aup[j])));
        G = pick(_mm256_mul_pd(G, _mm256_set1_pd(p->adown[j])), up, cmp(gap, zero, _CMP_GT_OQ));
        v->G[j] = G;
        const vd reroute = vmin(gap, _mm256_mul_pd(G, spav));
        const vd need = _mm256_sub_pd(gap, reroute);
        vd L = v->L[j];
        const vd rel = pick(zero, vmin(vmin(need, L), _mm256_set1_pd(m->max_release[j])),
                            cmp(need, _mm256_set1_pd(m->trigger[j]), _CMP_GE_OQ));
        L = _mm256_sub_pd(L, rel);
        const vd out =
            _mm256_and_pd(_mm256_and_pd(cmp(need, zero, _CMP_GT_OQ), cmp(L, zero, _CMP_EQ_OQ)),
                          cmp(v->stockout[j], zero, _CMP_LT_OQ));
        v->stockout[j] = pick(v->stockout[j], tp1, out);
        const vd tgt = _mm256_set1_pd(m->target[j]);
        const vd fill = _mm256_and_pd(cmp(gap, zero, _CMP_EQ_OQ), cmp(L, tgt, _CMP_LT_OQ));
        L = pick(L, vmin(tgt, _mm256_add_pd(L, _mm256_set1_pd(m->refill[j]))), fill);
        v->L[j] = L;
        const vd x = vclip01(_mm256_sub_pd(need, rel));
        v->x[j] = x;
        const vd pos = cmp(x, zero, _CMP_GT_OQ);
        anyx = _mm256_or_pd(anyx, pos);

        const vd ey = p->noise ? gather(ln->ey, tj) : one;
        const vd pi =
            vmin(_mm256_set1_pd(m->cap[j]), _mm256_mul_pd(ey, scarcity(x, pos, p->neg_inv_eta[j])));
        const vd pim1 = _mm256_sub_pd(pi, one);
        const vd fl = _mm256_sub_pd(vmax(pi, _mm256_set1_pd(m->price_floor[j])), one);
        const vd c =
            _mm256_mul_pd(_mm256_set1_pd(p->pv[j]),
                          _mm256_add_pd(_mm256_mul_pd(pim1, a), _mm256_mul_pd(fl, reroute)));
        v->cost[j] = _mm256_add_pd(v->cost[j], c);

        v->xpeak[j] = _mm256_max_pd(x, v->xpeak[j]);
        v->ssum[j] = _mm256_add_pd(v->ssum[j], x);
        v->xmon[j] = pick(v->xmon[j], _mm256_add_pd(v->xmon[j], one), cmp(x, thr, _CMP_GT_OQ));
        v->stmin[j] = _mm256_min_pd(L, v->stmin[j]);
        v->ppeak[j] = _mm256_max_pd(pi, v->ppeak[j]);
        v->psum[j] = _mm256_add_pd(v->psum[j], pi);
        if (ln->obs[0]) {
            const size_t o = (size_t)t * opm;
            scatter(ln, o + lay->obs_x + j, x);
            scatter(ln, o + lay->obs_pi + j, pi);
            scatter(ln, o + lay->obs_L + j, _mm256_mul_pd(L, _mm256_set1_pd(CKP_DAYS_PER_MONTH)));
        }
    }
    return anyx;
}

/* Step 8 for the lanes in anyx (direct_inop of kernel_scalar.c; a material
 * with x = 0 is skipped per lane), zero in the others. */
static void direct_inop(const ckp_model *m, const vstate *v, vd anyx)
{
    const int M = m->M, I = m->I;
    const vd one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    vd *q0 = v->q0;
    const vd init = m->rule == CKP_RULE_INDEPENDENT ? one : zero;
    for (int i = 0; i < I; i++)
        q0[i] = init;
    for (int j = 0; j < M; j++) {
        const vd x = v->x[j], nz = cmp(x, zero, _CMP_NEQ_UQ);
        if (!_mm256_movemask_pd(nz))
            continue;
        const double *Cj = m->C + (size_t)j * I;
        for (int i = 0; i < I; i++) {
            const vd cx = _mm256_mul_pd(_mm256_set1_pd(Cj[i]), x);
            vd r;
            if (m->rule == CKP_RULE_INDEPENDENT)
                r = _mm256_mul_pd(q0[i], _mm256_sub_pd(one, cx));
            else if (m->rule == CKP_RULE_BOTTLENECK)
                r = vmax(q0[i], cx);
            else
                r = _mm256_add_pd(q0[i], cx);
            q0[i] = pick(q0[i], r, nz);
        }
    }
    for (int i = 0; i < I; i++) {
        vd r = q0[i];
        if (m->rule == CKP_RULE_INDEPENDENT)
            r = _mm256_sub_pd(one, r);
        else if (m->rule != CKP_RULE_BOTTLENECK)
            r = vmin(one, r);
        q0[i] = _mm256_and_pd(r, anyx);
    }
}

/* Step 9, static, one month (propagate_static of kernel_scalar.c). */
static void propagate_static(const ckp_prep *p, int I, const vstate *v)
{
    const vd zero = _mm256_setzero_pd();
    for (int i = 0; i < I; i++)
        v->q[i] = zero;
    for (int jj = 0; jj < p->nJ; jj++) {
        const vd q0 = v->q0[p->J[jj]], nz = cmp(q0, zero, _CMP_NEQ_UQ);
        if (!_mm256_movemask_pd(nz))
            continue;
        const double *col = p->Lcols + (size_t)jj * I;
        for (int i = 0; i < I; i++)
            v->q[i] = pick(v->q[i],
                           _mm256_add_pd(v->q[i], _mm256_mul_pd(_mm256_set1_pd(col[i]), q0)), nz);
    }
    for (int i = 0; i < I; i++)
        v->q[i] = vclip01(v->q[i]);
}

/* Step 9, dynamic, one month, in the lanes of `act` (propagate_dynamic of
 * kernel_scalar.c); q kept elsewhere. Returns the lanes of act with some q_i
 * nonzero after it. */
static vd propagate_dynamic(const ckp_model *m, const ckp_prep *p, vstate *v, vd act)
{
    const vd zero = _mm256_setzero_pd();
    const vd *q = v->q;
    vd *qn = v->qn;
    vd nonzero = zero;
    for (int i = 0; i < m->I; i++) {
        vd aq = zero;
        for (int e = p->a_off[i]; e < p->a_off[i + 1]; e++)
            aq = _mm256_add_pd(aq, _mm256_mul_pd(_mm256_set1_pd(p->a_val[e]), q[p->a_col[e]]));
        const vd d = _mm256_sub_pd(_mm256_add_pd(aq, v->q0[i]), q[i]);
        const vd r = vclip01(_mm256_add_pd(q[i], _mm256_mul_pd(_mm256_set1_pd(m->Kres[i]), d)));
        qn[i] = pick(q[i], r, act);
        nonzero = _mm256_or_pd(nonzero, cmp(r, zero, _CMP_NEQ_UQ));
    }
    v->qn = v->q;
    v->q = qn;
    return _mm256_and_pd(nonzero, act);
}

/* Step 10 for the industries in the lanes of `act` (account_inop of
 * kernel_scalar.c), and q into the observables of every lane. */
static void account_inop(const ckp_model *m, const ckp_layout *lay, const vstate *v,
                         const lanes *ln, int t, vd act)
{
    const vd twelve = _mm256_set1_pd(12.0);
    const size_t o = (size_t)t * lay->obs_per_month + lay->obs_q;
    for (int i = 0; i < m->I; i++) {
        const vd q = v->q[i];
        const vd li = _mm256_div_pd(_mm256_mul_pd(q, _mm256_set1_pd(m->X[i])), twelve);
        v->loss[i] = pick(v->loss[i], _mm256_add_pd(v->loss[i], li), act);
        v->ipeak[i] = pick(v->ipeak[i], _mm256_max_pd(q, v->ipeak[i]), act);
        if (ln->obs[0])
            scatter(ln, o + i, _mm256_and_pd(q, act));
    }
}

/* Lane l of q0, on the support J, as the next deferred month of w. */
static void defer_month(const ckp_prep *p, const vstate *v, ckp_work *w, int l, int *ndef, int t)
{
    double *col = w->Q0 + (size_t)*ndef * p->nJ;
    for (int jj = 0; jj < p->nJ; jj++) {
        double t4[CKP_LANES];
        _mm256_storeu_pd(t4, v->q0[p->J[jj]]);
        col[jj] = t4[l];
    }
    w->tmon[(*ndef)++] = t;
}

static void state_init(const ckp_model *m, vstate *v, double *mem)
{
    const int M = m->M, I = m->I;
    vd *a = (vd *)(void *)mem;
    vd **mv[CKP_VEC_M] = {&v->G,     &v->L,    &v->x,    &v->xpeak, &v->xmon, &v->stockout,
                          &v->ppeak, &v->cost, &v->ssum, &v->psum,  &v->stmin};
    vd **iv[CKP_VEC_I] = {&v->q, &v->qn, &v->q0, &v->loss, &v->ipeak};
    for (int k = 0; k < CKP_VEC_M; k++)
        *mv[k] = a + (size_t)k * M;
    for (int k = 0; k < CKP_VEC_I; k++)
        *iv[k] = a + (size_t)CKP_VEC_M * M + (size_t)k * I;
    const vd zero = _mm256_setzero_pd();
    for (int j = 0; j < M; j++) {
        v->G[j] = v->ssum[j] = v->psum[j] = v->xpeak[j] = v->xmon[j] = zero;
        v->ppeak[j] = v->cost[j] = zero;
        v->L[j] = _mm256_set1_pd(m->stock0[j]);
        v->stmin[j] = _mm256_set1_pd(INFINITY);
        v->stockout[j] = _mm256_set1_pd(-1.0);
    }
    for (int i = 0; i < I; i++)
        v->q[i] = v->loss[i] = v->ipeak[i] = zero;
}

/* Lane l of the n vectors src into dst[0..n). */
static void lane_out(double *dst, const vd *src, int n, int l)
{
    for (int i = 0; i < n; i++) {
        double t4[CKP_LANES];
        _mm256_storeu_pd(t4, src[i]);
        dst[i] = t4[l];
    }
}

/* The metrics records of the block's lanes from the month state (the end
 * of path_months in kernel_scalar.c), deferred static months included. */
static void records_out(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                        const vstate *v, ckp_work *const *w, const lanes *ln, double *const *record,
                        const int *ndef)
{
    const int M = m->M, I = m->I, T = m->T;
    for (int l = 0; l < ln->n; l++) {
        double *r = record[l];
        double *loss = r + lay->offset[CKP_M_LOSS], *ipeak = r + lay->offset[CKP_M_INOP_PEAK];
        lane_out(loss, v->loss, I, l);
        lane_out(ipeak, v->ipeak, I, l);
        lane_out(r + lay->offset[CKP_M_SHORTFALL_PEAK], v->xpeak, M, l);
        lane_out(r + lay->offset[CKP_M_SHORTFALL_MONTHS], v->xmon, M, l);
        lane_out(r + lay->offset[CKP_M_STOCKOUT_MONTH], v->stockout, M, l);
        lane_out(r + lay->offset[CKP_M_PRICE_PEAK], v->ppeak, M, l);
        lane_out(r + lay->offset[CKP_M_EXTRA_COST], v->cost, M, l);
        if (ndef[l] > 0)
            ckp_kernel_static_deferred(m, p, lay, w[l], ndef[l], loss, ipeak, ln->obs[l]);
        double total = 0.0;
        for (int i = 0; i < I; i++)
            total += loss[i];
        r[lay->offset[CKP_M_LOSS_TOTAL]] = total;
        double s[CKP_LANES];
        for (int j = 0; j < M; j++) {
            _mm256_storeu_pd(s, v->ssum[j]);
            r[lay->offset[CKP_M_SHORTFALL_MEAN] + j] = s[l] / T;
            _mm256_storeu_pd(s, v->psum[j]);
            r[lay->offset[CKP_M_PRICE_MEAN] + j] = s[l] / T;
            _mm256_storeu_pd(s, v->stmin[j]);
            r[lay->offset[CKP_M_STOCK_MIN] + j] = s[l] * CKP_DAYS_PER_MONTH;
        }
    }
}

/* Steps 8-10 of month t in every lane (the month loop of path_months). */
static void industry_month(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay, vstate *v,
                           ckp_work *const *w, const lanes *ln, int t, vd anyx, vd *qnz, int *ndef)
{
    const int I = m->I;
    const int xm = _mm256_movemask_pd(anyx);
    if (xm)
        direct_inop(m, v, anyx);
    else
        for (int i = 0; i < I; i++)
            v->q0[i] = _mm256_setzero_pd();
    if (m->propagation != CKP_PROP_STATIC) {
        const vd act = _mm256_or_pd(anyx, *qnz);
        if (_mm256_movemask_pd(act))
            *qnz = pick(*qnz, propagate_dynamic(m, p, v, act), act);
        account_inop(m, lay, v, ln, t, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    } else if (p->use_gemm) {
        for (int l = 0; l < ln->n; l++)
            if (xm >> l & 1)
                defer_month(p, v, w[l], l, &ndef[l], t);
        if (ln->obs[0])
            for (int l = 0; l < ln->n; l++)
                memset(ln->obs[l] + (size_t)t * lay->obs_per_month + lay->obs_q, 0,
                       sizeof(double) * I);
    } else if (xm) {
        propagate_static(p, I, v);
        account_inop(m, lay, v, ln, t, anyx);
    } else {
        /* No lane short: q = 0, so loss and peak keep their values (the
         * scalar kernel adds +0 and compares 0 > peak, which changes
         * nothing) and the observables get zeros. */
        for (int i = 0; i < I; i++)
            v->q[i] = _mm256_setzero_pd();
        if (ln->obs[0])
            for (int l = 0; l < ln->n; l++)
                memset(ln->obs[l] + (size_t)t * lay->obs_per_month + lay->obs_q, 0,
                       sizeof(double) * I);
    }
}

void ckp_kernel_avx2_block(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                           ckp_work *const *w, int n, const double *const *u, double *const *record,
                           double *const *obs)
{
    const size_t D = (size_t)m->S + (size_t)m->S * m->M + 3 * (size_t)m->M;
    const int S = m->S, K = m->K;
    lanes ln;
    memset(&ln, 0, sizeof ln);
    ln.n = n;
    for (int l = 0; l < n; l++) {
        /* Steps 1-3 of every month, per lane (shared between policies there). */
        const rslot *rs = ckp_stage_regimes(m, p, w[l], u[l], D);
        const gslot *gs = ckp_stage_gaps(m, p, w[l], rs);
        if (p->noise)
            ckp_stage_noise(m, p, w[l], u[l], D);
        ln.gap[l] = gs->gap, ln.spav[l] = gs->spav, ln.ey[l] = w[l]->ey;
        ln.obs[l] = obs ? obs[l] : NULL;
        memset(record[l], 0, sizeof(double) * lay->record);
        memcpy(record[l] + lay->offset[CKP_M_REGIME_MONTHS], rs->rmon,
               sizeof(double) * (size_t)S * K);
    }
    for (int l = n; l < CKP_LANES; l++)
        ln.gap[l] = ln.gap[0], ln.spav[l] = ln.spav[0], ln.ey[l] = ln.ey[0];
    vstate v;
    state_init(m, &v, w[0]->vec);
    vd qnz = _mm256_setzero_pd();
    int ndef[CKP_LANES] = {0, 0, 0, 0};
    for (int t = 0; t < m->T; t++) {
        const vd anyx = material_month(m, p, lay, &v, &ln, t);
        industry_month(m, p, lay, &v, w, &ln, t, anyx, &qnz, ndef);
    }
    records_out(m, p, lay, &v, w, &ln, record, ndef);
}
