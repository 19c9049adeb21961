/* chokepoint: the stages of a path before its month loop (MODEL.md section 3,
 * steps 1-3, and the price noise of section 3.6): pure computation from the
 * uniforms and the prep into slots of the work. Whether a stage needs
 * computing at all is cache.c's business. */
#include <math.h>
#include <string.h>

#include "engine/rng/rng_impl.h"
#include "engine/sim/work_impl.h"

/* Copula step 1 for every month: a = Lc z, z = Phi^-1(u), kept in normal
 * space (the decision Phi(a) <= c is taken by draw_regime_z). */
void ckp_stage_copula_compute(const ckp_prep *p, ckp_work *w, const double *u, size_t D)
{
    const int S = p->S, T = p->T;
    /* z of every month at once (the regime uniforms gathered into vc). */
    for (int t = 0; t < T; t++)
        memcpy(w->vc + (size_t)t * S, u + S + (size_t)t * D, sizeof(double) * S);
    ckp_norm_inv_n(w->vc, w->vc, (size_t)T * S);
    for (int t = 0; t < T; t++) {
        double *v = w->vc + (size_t)t * S;
        /* Lower triangular: row s only uses z[0..s], so go from the bottom up in place. */
        for (int s = S - 1; s >= 0; s--) {
            const double *row = p->Lc + (size_t)s * S;
            double acc = 0.0;
            for (int j = 0; j <= s; j++)
                acc += row[j] * v[j];
            v[s] = acc;
        }
    }
}

/* Log-price noise for every month: y <- phi y + sigma Lp z + J, stored as exp(y). */
void ckp_stage_noise_compute(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                             const double *u, size_t D)
{
    const int S = p->S, M = p->M, T = p->T;
    const size_t off = (size_t)S + (size_t)S * M;
    double *y = w->y, *z = w->z;
    for (int j = 0; j < M; j++)
        y[j] = 0.0;
    /* z of every month at once, in ey until month t overwrites its row. */
    for (int t = 0; t < T; t++)
        memcpy(w->ey + (size_t)t * M, u + S + (size_t)t * D + off, sizeof(double) * M);
    ckp_norm_inv_n(w->ey, w->ey, (size_t)T * M);
    for (int t = 0; t < T; t++) {
        const double *ub = u + S + (size_t)t * D + off;
        const double *ujump = ub + M, *usize = ub + 2 * M;
        memcpy(z, w->ey + (size_t)t * M, sizeof(double) * M);
        for (int j = 0; j < M; j++) {
            double e = z[j];
            if (p->Lp) {
                const double *row = p->Lp + (size_t)j * M;
                e = 0.0;
                for (int k = 0; k <= j; k++)
                    e += row[k] * z[k];
            }
            double J = 0.0;
            if (ujump[j] < m->lambda[j])
                J = m->muJ[j] + m->sigmaJ[j] * ckp_norm_inv(usize[j]);
            y[j] = m->phi[j] * y[j] + m->sigma[j] * e + J;
            w->ey[(size_t)t * M + j] = exp(y[j]);
        }
    }
}

static int draw_regime(const double *cum, int K, int last, double v)
{
    for (int j = 0; j < K; j++)
        if (v <= cum[j])
            return j;
    return last;
}

/* The copula's decision: the first j with Phi(a) <= cum[j] (else `last`),
 * as draw_regime(cum, K, last, ckp_norm_cdf(a)) decides it. Outside
 * [lo[j], hi[j]] the comparison with cum[j] is known from a (prep proved
 * it); inside, Phi is evaluated and the remaining rows compared exactly. */
static int draw_regime_z(const double *cum, const double *lo, const double *hi, int K,
                         int last, double a)
{
    for (int j = 0; j < K; j++) {
        if (a <= lo[j])
            return j;
        if (a > hi[j])
            continue;
        const double v = ckp_norm_cdf(a);
        for (int i = j; i < K; i++)
            if (v <= cum[i])
                return i;
        return last;
    }
    return last;
}

/* Steps 1-2 of every month into slot r; with `keep`, record the uniforms read
 * (the cache's key). */
void ckp_stage_regimes_compute(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                               const double *u, size_t D, rslot *r, int keep, int exact_cdf)
{
    const int S = p->S, K = p->K, M = p->M, T = p->T;
    const size_t SM = (size_t)S * M;
    int *k = w->k;
    double *b = w->b;
    memset(r->rmon, 0, sizeof(double) * (size_t)S * K);
    /* Initial state: regimes from their own S uniforms (no copula). */
    for (int s = 0; s < S; s++)
        k[s] = draw_regime(p->cumInit + (size_t)s * K, K, p->lastInit[s], u[s]);
    if (keep) {
        memcpy(w->ru, u, sizeof(double) * S);
        w->nsev = 0;
    }
    /* The severity uniforms: in u, or drawn here when the buffer has them
     * undrawn (the same bits). */
    const ckp_sev_lazy *lz = ckp_stage_lazy(w, u);
    int snap = 0;
    for (int t = 0; t < T; t++) {
        const double *ub = u + S + (size_t)t * D;
        const size_t sev0 = (size_t)(ub - u) + (size_t)S; /* position of this month's b uniforms */
        if (keep)
            memcpy(w->ru + S + (size_t)t * S, ub, sizeof(double) * S);
        int any = t == 0;
        for (int s = 0; s < S; s++) {
            const size_t row = (size_t)s * K + k[s];
            int k2;
            if (p->Lc && exact_cdf)
                k2 = draw_regime(p->cumP + row * K, K, p->lastP[row],
                                 ckp_norm_cdf(w->vc[(size_t)t * S + s]));
            else if (p->Lc)
                k2 = draw_regime_z(p->cumP + row * K, p->zlo + row * K, p->zhi + row * K, K,
                                   p->lastP[row], w->vc[(size_t)t * S + s]);
            else
                k2 = draw_regime(p->cumP + row * K, K, p->lastP[row], ub[s]);
            if (t == 0 || k2 != k[s]) {
                /* 2. Block fractions stay as they are until the regime changes. */
                any = 1;
                const size_t base = ((size_t)s * K + k2) * M;
                for (int j = 0; j < M; j++) {
                    const size_t x = base + j, iu = sev0 + (size_t)s * M + j;
                    double v;
                    if (p->blk[x] == BLK_ZERO) {
                        v = 0.0;
                    } else if (p->blk[x] == BLK_FIXED) {
                        v = m->block_min[x];
                    } else { /* BLK_TRI: the only kind that reads its uniform */
                        const double us = lz ? ckp_sev_lazy_get(lz, t, (size_t)s * M + j) : u[iu];
                        if (keep) {
                            w->sevi[w->nsev] = iu;
                            w->sevv[w->nsev++] = us;
                        }
                        v = ckp_tri_inv(us, m->block_min[x], m->block_mode[x], m->block_max[x]);
                    }
                    b[(size_t)s * M + j] = v;
                }
            }
            k[s] = k2;
            r->rk[(size_t)t * S + s] = k2;
            r->rmon[(size_t)s * K + k2] += 1.0;
        }
        r->chg[t] = (unsigned char)any;
        if (any) {
            memcpy(r->bs + (size_t)t * SM, b, sizeof(double) * SM);
            snap = t;
        }
        r->bl[t] = snap;
    }
}

/* The suppliers whose regime (so whose block fractions) month t changed, as
 * bits; all of them at t = 0 or when S > 64. */
static uint64_t changed_suppliers(const rslot *r, int S, int t)
{
    if (t == 0 || S > 64)
        return ~(uint64_t)0;
    uint64_t c = 0;
    const int *now = r->rk + (size_t)t * S, *before = now - S;
    for (int s = 0; s < S; s++)
        c |= (uint64_t)(now[s] != before[s]) << s;
    return c;
}

/* Step 3 of every month: gaps from the routes, spare capacity still usable.
 * Unless `every`, a material none of whose suppliers changed regime keeps
 * last month's values (computed from the same block fractions, so the same
 * bits). */
void ckp_stage_gaps_compute(const ckp_model *m, const ckp_prep *p, const rslot *r, gslot *g,
                            int every)
{
    const int S = p->S, M = p->M, T = p->T;
    for (int t = 0; t < T; t++) {
        double *gap = g->gap + (size_t)t * M, *spav = g->spav + (size_t)t * M;
        if (!r->chg[t]) { /* a few doubles: a loop, not two library calls */
            for (int j = 0; j < M; j++) {
                gap[j] = gap[(ptrdiff_t)j - M];
                spav[j] = spav[(ptrdiff_t)j - M];
            }
            continue;
        }
        const double *b = r->bs + (size_t)t * S * M;
        const uint64_t changed = every ? ~(uint64_t)0 : changed_suppliers(r, S, t);
        for (int j = 0; j < M; j++) {
            if (t > 0 && !(changed & p->gsup[j])) {
                gap[j] = gap[(ptrdiff_t)j - M];
                spav[j] = spav[(ptrdiff_t)j - M];
                continue;
            }
            double gj = 0.0;
            for (int q = m->route_off[j]; q < m->route_off[j + 1]; q++) {
                double pass = 1.0;
                for (int e = m->route_exp_off[q]; e < m->route_exp_off[q + 1]; e++)
                    pass *= 1.0 - b[(size_t)m->route_exp[e] * M + j];
                gj += m->route_share[q] * (1.0 - pass);
            }
            gap[j] = gj;
            double sp = 0.0;
            for (int e = p->sp_off[j]; e < p->sp_off[j + 1]; e++)
                sp += p->sp_val[e] * (1.0 - b[(size_t)p->sp_sup[e] * M + j]);
            spav[j] = sp;
        }
    }
}
