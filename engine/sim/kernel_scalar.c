/* chokepoint: the scalar path kernels: one simulated path, one policy
 * (MODEL.md sections 3 and 5).
 *
 * A kernel walks the months of one path in the order of MODEL.md section 3
 * and fills the per-path metrics record and the per-month observables, and
 * shows every month to an optional observer (the replay trace). Nothing is
 * allocated per path: the ckp_work holds the state and scratch of one
 * thread. The two kernels here share the month loop and differ in how they
 * get the stages before it: "scalar" through the work's cache (cache.c),
 * "reference" computed afresh.
 *
 * Speed comes from things that do not change the numbers:
 * - the parts of a path that do not depend on the policy (the copula-
 *   transformed regime uniforms and the log-price noise exp(y)) are kept in
 *   the work and reused when the next call sees the same uniforms and the same
 *   correlation / price parameters (the run module calls every policy on one
 *   uniforms buffer in a row), recognised by comparing the parameters exactly
 *   and the uniforms by the serial stamped on their buffer (else exactly);
 * - likewise the regimes and block fractions of a path (steps 1-2) and the
 *   gaps and spare capacity they imply (step 3) are kept for the first
 *   policy that computes them and reused by every later policy whose inputs
 *   to those steps are bitwise the same (prep's rkey / gkey), on the same
 *   uniforms (the regime uniforms and the severity uniforms actually read);
 *   a policy that differs computes into scratch and leaves the cache alone;
 * - the copula decision Phi(a) <= c is taken from a alone when a is outside
 *   a bracket of Phi^-1(c) proved at prep (see z_bracket in prep.c), and Phi
 *   is evaluated only inside it;
 * - block fractions, gaps and spare capacity only change when a regime does;
 * - months with no shortfall skip inoperability (static: q = 0 exactly), and
 *   for many industries static propagation of a whole path is one dgemm. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sim/kernel.h"
#include "engine/sim/kpow.h"
#include "engine/sim/work_impl.h"

/* BLAS (column-major Fortran interface; trailing hidden lengths of the two
 * character arguments, as gfortran passes them). */
extern void dgemm_(const char *transa, const char *transb, const int *m, const int *n,
                   const int *k, const double *alpha, const double *a, const int *lda,
                   const double *b, const int *ldb, const double *beta, double *c,
                   const int *ldc, size_t la, size_t lb);

/* min / max without libm's NaN handling (no NaN reaches them: every input
 * is finite by validation), so that they inline. */
static inline double dmin(double a, double b)
{
    return b < a ? b : a;
}

static inline double dmax(double a, double b)
{
    return b > a ? b : a;
}

static inline double clip01(double v)
{
    return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
}

/* Accounting of one month's propagated inoperability q (step 10 for the
 * industries, and the industry observables). */
static void account_inop(const ckp_model *m, const ckp_layout *lay, const double *q, int t,
                         double *loss, double *peak, double *obs,
                         const ckp_sim_observer *observer)
{
    const int I = m->I;
    for (int i = 0; i < I; i++) {
        double qi = q[i];
        double li = qi * m->X[i] / 12.0;
        loss[i] += li;
        if (qi > peak[i])
            peak[i] = qi;
    }
    if (obs)
        memcpy(obs + (size_t)t * lay->obs_per_month + lay->obs_q, q, sizeof(double) * I);
    if (observer)
        observer->industry(observer->ctx, t, q);
}

/* Steps 4-7 of month t for every material and the material side of step 10
 * (MODEL.md section 3): ramp, reroute, stockpile release and refill,
 * shortfall, price and extra cost, into the work and the record. Returns
 * whether some material is short this month. */
static inline int material_month(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                                 ckp_work *w, const gslot *gs, int t, double *record)
{
    const int M = m->M;
    double *xpeak = record + lay->offset[CKP_M_SHORTFALL_PEAK];
    double *xmonths = record + lay->offset[CKP_M_SHORTFALL_MONTHS];
    double *stockout = record + lay->offset[CKP_M_STOCKOUT_MONTH];
    double *ppeak = record + lay->offset[CKP_M_PRICE_PEAK];
    double *cost = record + lay->offset[CKP_M_EXTRA_COST];
    const double *gapt = gs->gap + (size_t)t * M, *spavt = gs->spav + (size_t)t * M;
    int anyx = 0;
    for (int j = 0; j < M; j++) {
        const double gap = gapt[j];
        const double a = 1.0 - gap;
        double G = w->G[j];
        if (gap > 0.0)
            G = G + (1.0 - G) * (1.0 - p->aup[j]);
        else
            G = G * p->adown[j];
        w->G[j] = G;
        const double reroute = dmin(gap, G * spavt[j]);
        const double need = gap - reroute;
        double L = w->L[j];
        double release = 0.0;
        if (need >= m->trigger[j])
            release = dmin(dmin(need, L), m->max_release[j]);
        L -= release;
        if (need > 0.0 && L == 0.0 && stockout[j] < 0.0)
            stockout[j] = (double)(t + 1);
        if (gap == 0.0 && L < m->target[j])
            L = dmin(m->target[j], L + m->refill[j]);
        w->L[j] = L;
        const double x = clip01(need - release);
        w->x[j] = x;
        anyx |= x > 0.0;

        const double ey = p->noise ? w->ey[(size_t)t * M + j] : 1.0;
        double pi;
        if (x > 0.0)
            pi = dmin(m->cap[j], ey * ckp_pow(dmax(1.0 - x, 1e-6), p->neg_inv_eta[j]));
        else
            pi = dmin(m->cap[j], ey); /* s = 1: the scarcity factor is exactly 1 */
        const double c = p->pv[j] * ((pi - 1.0) * a +
                                     (dmax(pi, m->price_floor[j]) - 1.0) * reroute);
        cost[j] += c;
        w->rr[j] = reroute;
        w->rel[j] = release;
        w->pi[j] = pi;
        w->cm[j] = c;

        if (x > xpeak[j])
            xpeak[j] = x;
        w->ssum[j] += x;
        if (x > m->shortfall_threshold)
            xmonths[j] += 1.0;
        if (L < w->stmin[j])
            w->stmin[j] = L;
        if (pi > ppeak[j])
            ppeak[j] = pi;
        w->psum[j] += pi;
    }
    return anyx;
}

/* Step 8: direct inoperability q0 of every industry from the month's
 * shortfalls w->x, by the model's rule. */
static inline void direct_inop(const ckp_model *m, const ckp_work *w, double *q0)
{
    const int M = m->M, I = m->I;
    const double *x = w->x;
    switch (m->rule) {
    case CKP_RULE_INDEPENDENT:
        for (int i = 0; i < I; i++)
            q0[i] = 1.0;
        for (int j = 0; j < M; j++) {
            if (x[j] == 0.0)
                continue;
            const double *Cj = m->C + (size_t)j * I;
            for (int i = 0; i < I; i++)
                q0[i] *= 1.0 - Cj[i] * x[j];
        }
        for (int i = 0; i < I; i++)
            q0[i] = 1.0 - q0[i];
        break;
    case CKP_RULE_BOTTLENECK:
        for (int i = 0; i < I; i++)
            q0[i] = 0.0;
        for (int j = 0; j < M; j++) {
            if (x[j] == 0.0)
                continue;
            const double *Cj = m->C + (size_t)j * I;
            for (int i = 0; i < I; i++)
                q0[i] = dmax(q0[i], Cj[i] * x[j]);
        }
        break;
    case CKP_RULE_LINEAR:
    default:
        for (int i = 0; i < I; i++)
            q0[i] = 0.0;
        for (int j = 0; j < M; j++) {
            if (x[j] == 0.0)
                continue;
            const double *Cj = m->C + (size_t)j * I;
            for (int i = 0; i < I; i++)
                q0[i] += Cj[i] * x[j];
        }
        for (int i = 0; i < I; i++)
            q0[i] = dmin(1.0, q0[i]);
        break;
    }
}

/* Step 9, static, one month: q = clip((I - A*)^-1 q0) over the columns of the
 * industries q0 can be nonzero on. */
static inline void propagate_static(const ckp_prep *p, int I, const double *q0, double *q)
{
    for (int i = 0; i < I; i++)
        q[i] = 0.0;
    for (int jj = 0; jj < p->nJ; jj++) {
        const double v = q0[p->J[jj]];
        if (v == 0.0)
            continue;
        const double *col = p->Lcols + (size_t)jj * I;
        for (int i = 0; i < I; i++)
            q[i] += col[i] * v;
    }
    for (int i = 0; i < I; i++)
        q[i] = clip01(q[i]);
}

/* Step 9, dynamic, one month: q <- clip(q + K (A* q + q0 - q)) into w->qn,
 * then swapped into w->q. Returns whether some q_i is nonzero. */
static inline int propagate_dynamic(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                                    const double *q0)
{
    const double *q = w->q;
    double *qn = w->qn;
    int nonzero = 0;
    for (int i = 0; i < m->I; i++) {
        double aq = 0.0;
        for (int e = p->a_off[i]; e < p->a_off[i + 1]; e++)
            aq += p->a_val[e] * q[p->a_col[e]];
        double v = q[i] + m->Kres[i] * (aq + q0[i] - q[i]);
        v = clip01(v);
        qn[i] = v;
        nonzero |= v != 0.0;
    }
    w->qn = w->q;
    w->q = qn;
    return nonzero;
}

/* Static propagation of every deferred month in one product:
 * Q (I x n) = Lcols (I x nJ) * Q0 (nJ x n), all column-major; then the
 * accounting of those months. */
static void propagate_deferred(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                               ckp_work *w, int n, double *loss, double *ipeak, double *obs,
                               const ckp_sim_observer *observer)
{
    const int I = m->I, nJ = p->nJ;
    const double one = 1.0, zero = 0.0;
    if (nJ > 0)
        dgemm_("N", "N", &I, &n, &nJ, &one, p->Lcols, &I, w->Q0, &nJ, &zero, w->Q, &I, 1, 1);
    else
        memset(w->Q, 0, sizeof(double) * (size_t)I * n);
    for (int c = 0; c < n; c++) {
        double *qc = w->Q + (size_t)c * I;
        for (int i = 0; i < I; i++)
            qc[i] = clip01(qc[i]);
        account_inop(m, lay, qc, w->tmon[c], loss, ipeak, obs, observer);
    }
}

/* Show month t to the observer. */
static void observe_month(const ckp_sim_observer *observer, const ckp_work *w, const rslot *rs,
                          const gslot *gs, int t)
{
    const int S = w->S, M = w->M;
    const ckp_month_view v = {t,
                              rs->rk + (size_t)t * S,
                              rs->bs + (size_t)rs->bl[t] * S * M,
                              gs->gap + (size_t)t * M,
                              w->G,
                              w->rr,
                              w->rel,
                              w->L,
                              w->x,
                              w->pi,
                              w->cm,
                              w->q0};
    observer->month(observer->ctx, &v);
}

/* Steps 4-10 of every month and the section-5 metrics, given the path's
 * stages (regimes and blocks rs, gaps gs, and w->ey when the policy has
 * price noise). One function for every scalar kernel, so they can differ
 * only in how they get the stages. */
static void path_months(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                        ckp_work *w, const rslot *rs, const gslot *gs, double *record,
                        double *obs, const ckp_sim_observer *observer)
{
    const int S = m->S, K = m->K, M = m->M, I = m->I, T = m->T;
    const int is_static = m->propagation == CKP_PROP_STATIC;
    const int defer = is_static && p->use_gemm;
    double *loss = record + lay->offset[CKP_M_LOSS];
    double *ipeak = record + lay->offset[CKP_M_INOP_PEAK];
    memset(record, 0, sizeof(double) * lay->record);
    memcpy(record + lay->offset[CKP_M_REGIME_MONTHS], rs->rmon, sizeof(double) * (size_t)S * K);
    for (int j = 0; j < M; j++) {
        w->G[j] = 0.0;
        w->L[j] = m->stock0[j];
        w->ssum[j] = 0.0;
        w->psum[j] = 0.0;
        w->stmin[j] = INFINITY;
        record[lay->offset[CKP_M_STOCKOUT_MONTH] + j] = -1.0;
    }
    for (int i = 0; i < I; i++)
        w->q[i] = 0.0;
    int qnonzero = 0; /* dynamic: some q_i != 0 */
    int ndef = 0;     /* deferred static months */

    for (int t = 0; t < T; t++) {
        double *ob = obs ? obs + (size_t)t * lay->obs_per_month : NULL;
        const int anyx = material_month(m, p, lay, w, gs, t, record);
        if (ob)
            for (int j = 0; j < M; j++) {
                ob[lay->obs_x + j] = w->x[j];
                ob[lay->obs_pi + j] = w->pi[j];
                ob[lay->obs_L + j] = w->L[j] * CKP_DAYS_PER_MONTH;
            }
        /* 8. Direct inoperability (all zero in a month without shortfall). */
        if (anyx)
            direct_inop(m, w, w->q0);
        else
            for (int i = 0; i < I; i++)
                w->q0[i] = 0.0;
        if (observer)
            observe_month(observer, w, rs, gs, t);

        /* 9-10. Propagation and the industry side of the accounting. */
        if (!is_static) {
            if (anyx || qnonzero)
                qnonzero = propagate_dynamic(m, p, w, w->q0);
            account_inop(m, lay, w->q, t, loss, ipeak, obs, observer);
        } else if (!anyx) {
            /* q = (I - A*)^-1 0 = 0 exactly: nothing to add to losses or peaks. */
            if (ob)
                memset(ob + lay->obs_q, 0, sizeof(double) * I);
            if (observer)
                observer->industry(observer->ctx, t, NULL);
        } else if (defer) {
            double *col = w->Q0 + (size_t)ndef * p->nJ;
            for (int jj = 0; jj < p->nJ; jj++)
                col[jj] = w->q0[p->J[jj]];
            w->tmon[ndef++] = t;
        } else {
            propagate_static(p, I, w->q0, w->q);
            account_inop(m, lay, w->q, t, loss, ipeak, obs, observer);
        }
    }
    if (defer && ndef > 0)
        propagate_deferred(m, p, lay, w, ndef, loss, ipeak, obs, observer);

    double total = 0.0;
    for (int i = 0; i < I; i++)
        total += loss[i];
    record[lay->offset[CKP_M_LOSS_TOTAL]] = total;
    for (int j = 0; j < M; j++) {
        record[lay->offset[CKP_M_SHORTFALL_MEAN] + j] = w->ssum[j] / T;
        record[lay->offset[CKP_M_PRICE_MEAN] + j] = w->psum[j] / T;
        record[lay->offset[CKP_M_STOCK_MIN] + j] = w->stmin[j] * CKP_DAYS_PER_MONTH;
    }
}

void ckp_kernel_static_deferred(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                                ckp_work *w, int n, double *loss, double *ipeak, double *obs)
{
    propagate_deferred(m, p, lay, w, n, loss, ipeak, obs, NULL);
}

void ckp_kernel_scalar_path(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                            ckp_work *w, const double *u, double *record, double *obs,
                            const ckp_sim_observer *observer)
{
    const size_t D = (size_t)m->S + (size_t)m->S * m->M + 3 * (size_t)m->M;
    /* Steps 1-3 of every month (shared with other policies where possible). */
    const rslot *rs = ckp_stage_regimes(m, p, w, u, D);
    const gslot *gs = ckp_stage_gaps(m, p, w, rs);
    if (p->noise)
        ckp_stage_noise(m, p, w, u, D);
    path_months(m, p, lay, w, rs, gs, record, obs, observer);
}

void ckp_kernel_reference_path(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                               ckp_work *w, const double *u, double *record, double *obs,
                               const ckp_sim_observer *observer)
{
    const size_t D = (size_t)m->S + (size_t)m->S * m->M + 3 * (size_t)m->M;
    /* Nothing cached survives a reference call: the slots it writes are the
     * cache's own. */
    ckp_stage_invalidate(w);
    if (p->Lc)
        ckp_stage_copula_compute(p, w, u, D);
    ckp_stage_regimes_compute(m, p, w, u, D, &w->R[0], 0, 1);
    ckp_stage_gaps_compute(m, p, &w->R[0], &w->GS[0], 1);
    if (p->noise)
        ckp_stage_noise_compute(m, p, w, u, D);
    path_months(m, p, lay, w, &w->R[0], &w->GS[0], record, obs, observer);
}
