/* chokepoint: one simulated path, one policy (MODEL.md sections 3 and 5).
 *
 * ckp_sim_path walks the months of one path in the order of MODEL.md section
 * 3 and fills the per-path metrics record, the per-month observables and,
 * for replay, the full trace. Nothing is allocated per path: the ckp_work
 * holds the state and scratch of one thread.
 *
 * Speed comes from things that do not change the numbers:
 * - the parts of a path that do not depend on the policy (the copula-
 *   transformed regime uniforms and the log-price noise exp(y)) are kept in
 *   the work and reused when the next call sees the same uniforms and the same
 *   correlation / price parameters (the run module calls every policy on one
 *   uniforms buffer in a row), recognised by comparing the inputs exactly;
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

#include "engine/scenario/scenario_impl.h"
#include "engine/sim/sim_impl.h"

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

/* ---- metric table and layout ------------------------------------------------ */

static const ckp_metric_info metric_table[CKP_M_COUNT] = {
    {"loss_total", CKP_DIMS_SCALAR, "currency", "output lost over the horizon, all industries",
     0},
    {"loss", CKP_DIMS_INDUSTRY, "currency", "output lost over the horizon by industry", 0},
    {"inoperability_peak", CKP_DIMS_INDUSTRY, "1", "peak monthly inoperability", 0},
    {"shortfall_peak", CKP_DIMS_MATERIAL, "1",
     "peak monthly physical shortfall (fraction of baseline demand)", 0},
    {"shortfall_mean", CKP_DIMS_MATERIAL, "1",
     "mean monthly physical shortfall (fraction of baseline demand)", 0},
    {"shortfall_months", CKP_DIMS_MATERIAL, "months",
     "months with shortfall above the threshold", 1},
    {"stockpile_min", CKP_DIMS_MATERIAL, "days",
     "lowest stockpile after any month (days of baseline demand)", 0},
    {"stockout_month", CKP_DIMS_MATERIAL, "month",
     "first month the stockpile ran dry with need left (-1: never)", 1},
    {"price_peak", CKP_DIMS_MATERIAL, "1", "peak price multiple of the baseline price", 0},
    {"price_mean", CKP_DIMS_MATERIAL, "1", "mean price multiple of the baseline price", 0},
    {"extra_cost", CKP_DIMS_MATERIAL, "currency", "extra import cost over the horizon", 0},
    {"regime_months", CKP_DIMS_SUPPLIER_REGIME, "months",
     "months each supplier spent in each regime", 1},
};

const ckp_metric_info *ckp_metric_table(void)
{
    return metric_table;
}

void ckp_layout_init(ckp_layout *lay, const ckp_model *m)
{
    memset(lay, 0, sizeof *lay);
    lay->S = m->S;
    lay->K = m->K;
    lay->M = m->M;
    lay->I = m->I;
    lay->T = m->T;
    size_t off = 0;
    for (int id = 0; id < CKP_M_COUNT; id++) {
        size_t len = 1;
        switch (metric_table[id].dims) {
        case CKP_DIMS_SCALAR: len = 1; break;
        case CKP_DIMS_INDUSTRY: len = (size_t)m->I; break;
        case CKP_DIMS_MATERIAL: len = (size_t)m->M; break;
        case CKP_DIMS_SUPPLIER_REGIME: len = (size_t)m->S * (size_t)m->K; break;
        }
        lay->offset[id] = off;
        lay->length[id] = len;
        off += len;
    }
    lay->record = off;
    lay->obs_x = 0;
    lay->obs_q = (size_t)m->M;
    lay->obs_pi = (size_t)m->M + (size_t)m->I;
    lay->obs_L = 2 * (size_t)m->M + (size_t)m->I;
    lay->obs_per_month = 3 * (size_t)m->M + (size_t)m->I;
    size_t D = (size_t)m->S + (size_t)m->S * m->M + 3 * (size_t)m->M;
    lay->uniforms = (size_t)m->S + (size_t)m->T * D;
}

void ckp_path_uniforms(const ckp_layout *lay, const ckp_pcg64 *base, uint64_t p,
                       int antithetic, double *u)
{
    ckp_pcg64 g;
    /* The odd member of an antithetic pair replays its even partner's stream
     * and reflects it; 1 - u is exact on the uniform grid. */
    uint64_t src = antithetic ? (p & ~(uint64_t)1) : p;
    ckp_pcg64_path(&g, base, src);
    ckp_uniform_fill(&g, u, lay->uniforms);
    if (antithetic && (p & 1))
        for (size_t i = 0; i < lay->uniforms; i++)
            u[i] = 1.0 - u[i];
}

/* ---- scratch ---------------------------------------------------------------- */

/* Regimes and block fractions of one path under one policy's steps 1-2. */
typedef struct rslot {
    int *rk;            /* T*S regime after month t's transition */
    unsigned char *chg; /* T: some regime changed in month t (always at t = 0) */
    int *bl;            /* T: the month whose snapshot in bs is in force at t */
    double *bs;         /* T*S*M block fractions, written at months with a change */
    double *rmon;       /* S*K months in each regime */
    uint64_t gen;       /* tells the gap stage which regimes it was built on */
} rslot;

/* Gaps and spare capacity (step 3) of every month. */
typedef struct gslot {
    double *gap;  /* T*M */
    double *spav; /* T*M sum_c spare[c,m] (1 - b[c,m]) */
} gslot;

struct ckp_work {
    int S, K, M, I, T;
    int *k;          /* S current regime */
    double *b;       /* S*M block fractions */
    double *G;       /* M ramp */
    double *L;       /* M stockpile, months of demand */
    double *x;       /* M shortfall of the month */
    double *q;       /* I inoperability */
    double *qn;      /* I next inoperability */
    double *q0;      /* I direct inoperability */
    double *ssum;    /* M running sums for the means */
    double *psum;    /* M */
    double *stmin;   /* M minimum stockpile, months */

    /* Cache of the copula-transformed regime uniforms v (T*S), valid for the
     * regime uniforms in vkey and the factor in vkeyL. */
    int vvalid;
    double *vc, *vkey, *vkeyL;
    /* Cache of exp(y) (T*M), valid for the price uniforms in ykey (T*3M) and
     * the price parameters in ykeyp. */
    int yvalid;
    double *ey, *ykey, *ykeyp;
    double *z, *y;   /* M scratch */

    /* Stage caches: slot 0 is the cache, slot 1 scratch for a policy that
     * differs from the cached one on the same path. The regime cache is valid
     * for the prep key in rkey, the initial and regime uniforms in ru
     * (S + T*S) and the severity uniforms it read (nsev positions in u and
     * their values); the gap cache for the regimes of generation ggen and the
     * key in gkey. */
    rslot R[2];
    gslot GS[2];
    int rvalid, gvalid;
    uint64_t gen, ggen;
    unsigned char *rkey, *gkey;
    size_t nrkey, ngkey, gkeycap;
    double *ru;
    size_t *sevi;
    double *sevv;
    size_t nsev;

    /* Deferred static propagation: q0 on the support J of the months with a
     * shortfall (nJ x T, column per month), the result (I x T) and the months. */
    double *Q0, *Q;
    int *tmon;
};

void ckp_work_free(ckp_work *w)
{
    if (!w)
        return;
    free(w->k);
    free(w->b);
    for (int i = 0; i < 2; i++) {
        free(w->R[i].rk);
        free(w->R[i].chg);
        free(w->R[i].bl);
        free(w->R[i].bs);
        free(w->R[i].rmon);
        free(w->GS[i].gap);
        free(w->GS[i].spav);
    }
    free(w->rkey);
    free(w->gkey);
    free(w->ru);
    free(w->sevi);
    free(w->sevv);
    free(w->G);
    free(w->L);
    free(w->x);
    free(w->q);
    free(w->qn);
    free(w->q0);
    free(w->ssum);
    free(w->psum);
    free(w->stmin);
    free(w->vc);
    free(w->vkey);
    free(w->vkeyL);
    free(w->ey);
    free(w->ykey);
    free(w->ykeyp);
    free(w->z);
    free(w->y);
    free(w->Q0);
    free(w->Q);
    free(w->tmon);
    free(w);
}

static void *walloc(size_t n, size_t size, int *bad)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        *bad = 1;
    return p;
}

ckp_status ckp_work_create(const ckp_scenario *sc, ckp_work **out, ckp_error *err)
{
    *out = NULL;
    if (!sc || sc->S < 1 || sc->K < 1 || sc->M < 1 || sc->I < 1 || sc->T < 1)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "simulation scratch needs at least one supplier, regime, "
                             "material, industry and month");
    ckp_work *w = calloc(1, sizeof *w);
    if (!w)
        return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
    const size_t S = (size_t)sc->S, M = (size_t)sc->M, I = (size_t)sc->I, T = (size_t)sc->T;
    w->S = sc->S;
    w->K = sc->K;
    w->M = sc->M;
    w->I = sc->I;
    w->T = sc->T;
    int bad = 0;
    w->k = walloc(S, sizeof(int), &bad);
    w->b = walloc(S * M, sizeof(double), &bad);
    for (int i = 0; i < 2; i++) {
        w->R[i].rk = walloc(T * S, sizeof(int), &bad);
        w->R[i].chg = walloc(T, 1, &bad);
        w->R[i].bl = walloc(T, sizeof(int), &bad);
        w->R[i].bs = walloc(T * S * M, sizeof(double), &bad);
        w->R[i].rmon = walloc(S * (size_t)sc->K, sizeof(double), &bad);
        w->GS[i].gap = walloc(T * M, sizeof(double), &bad);
        w->GS[i].spav = walloc(T * M, sizeof(double), &bad);
    }
    w->nrkey = ckp_prep_rkey_bytes(sc->S, sc->K, sc->M);
    w->rkey = walloc(w->nrkey, 1, &bad);
    /* The gap key's length depends on the routes: room for the longest of the
     * scenario's policies (a longer one later just is not cached). */
    w->gkeycap = 0;
    for (int k = 0; sc->models && k < sc->npolicies; k++) {
        size_t n = ckp_prep_gkey_bytes(&sc->models[k]);
        if (n > w->gkeycap)
            w->gkeycap = n;
    }
    w->gkey = walloc(w->gkeycap, 1, &bad);
    w->ru = walloc(S + T * S, sizeof(double), &bad);
    w->sevi = walloc(T * S * M, sizeof(size_t), &bad);
    w->sevv = walloc(T * S * M, sizeof(double), &bad);
    w->G = walloc(M, sizeof(double), &bad);
    w->L = walloc(M, sizeof(double), &bad);
    w->x = walloc(M, sizeof(double), &bad);
    w->q = walloc(I, sizeof(double), &bad);
    w->qn = walloc(I, sizeof(double), &bad);
    w->q0 = walloc(I, sizeof(double), &bad);
    w->ssum = walloc(M, sizeof(double), &bad);
    w->psum = walloc(M, sizeof(double), &bad);
    w->stmin = walloc(M, sizeof(double), &bad);
    w->vc = walloc(T * S, sizeof(double), &bad);
    w->vkey = walloc(T * S, sizeof(double), &bad);
    w->vkeyL = walloc(S * S, sizeof(double), &bad);
    w->ey = walloc(T * M, sizeof(double), &bad);
    w->ykey = walloc(T * 3 * M, sizeof(double), &bad);
    w->ykeyp = walloc(5 * M + M * M, sizeof(double), &bad);
    w->z = walloc(M, sizeof(double), &bad);
    w->y = walloc(M, sizeof(double), &bad);
    if (!bad && I >= CKP_GEMM_MIN_INDUSTRIES) {
        w->Q0 = walloc(I * T, sizeof(double), &bad);
        w->Q = walloc(I * T, sizeof(double), &bad);
    }
    w->tmon = walloc(T, sizeof(int), &bad);
    if (bad) {
        ckp_work_free(w);
        return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory for simulation scratch (I = %d, T = %d)", sc->I,
                             sc->T);
    }
    *out = w;
    return CKP_OK;
}

/* ---- policy-independent parts of a path ---------------------------------------- */

/* Copula step 1 for every month: a = Lc z, z = Phi^-1(u), kept in normal
 * space (the decision Phi(a) <= c is taken by draw_regime_z). */
static void regime_uniforms(const ckp_prep *p, ckp_work *w, const double *u, size_t D)
{
    const int S = p->S, T = p->T;
    int same = w->vvalid && memcmp(w->vkeyL, p->Lc, sizeof(double) * (size_t)S * S) == 0;
    for (int t = 0; t < T && same; t++)
        same = memcmp(w->vkey + (size_t)t * S, u + S + (size_t)t * D, sizeof(double) * S) == 0;
    if (same)
        return;
    memcpy(w->vkeyL, p->Lc, sizeof(double) * (size_t)S * S);
    for (int t = 0; t < T; t++) {
        const double *ur = u + S + (size_t)t * D;
        double *z = w->vkey + (size_t)t * S; /* the key doubles as the uniforms' copy */
        memcpy(z, ur, sizeof(double) * S);
        double *v = w->vc + (size_t)t * S;
        for (int s = 0; s < S; s++)
            v[s] = ckp_norm_inv(ur[s]);
        /* Lower triangular: row s only uses z[0..s], so go from the bottom up in place. */
        for (int s = S - 1; s >= 0; s--) {
            const double *row = p->Lc + (size_t)s * S;
            double acc = 0.0;
            for (int j = 0; j <= s; j++)
                acc += row[j] * v[j];
            v[s] = acc;
        }
    }
    w->vvalid = 1;
}

/* Log-price noise for every month: y <- phi y + sigma Lp z + J, stored as exp(y). */
static void price_noise(const ckp_model *m, const ckp_prep *p, ckp_work *w, const double *u,
                        size_t D)
{
    const int S = p->S, M = p->M, T = p->T;
    const size_t off = (size_t)S + (size_t)S * M;
    const size_t B = 3 * (size_t)M;
    int same = w->yvalid && memcmp(w->ykeyp, p->pkey, sizeof(double) * p->npkey) == 0;
    for (int t = 0; t < T && same; t++)
        same = memcmp(w->ykey + (size_t)t * B, u + S + (size_t)t * D + off,
                      sizeof(double) * B) == 0;
    if (same)
        return;
    memcpy(w->ykeyp, p->pkey, sizeof(double) * p->npkey);
    double *y = w->y, *z = w->z;
    for (int j = 0; j < M; j++)
        y[j] = 0.0;
    for (int t = 0; t < T; t++) {
        const double *ub = u + S + (size_t)t * D + off;
        memcpy(w->ykey + (size_t)t * B, ub, sizeof(double) * B);
        const double *ueps = ub, *ujump = ub + M, *usize = ub + 2 * M;
        for (int j = 0; j < M; j++)
            z[j] = ckp_norm_inv(ueps[j]);
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
    w->yvalid = 1;
}

/* ---- one path ------------------------------------------------------------------- */

static int draw_regime(const double *cum, int K, int last, double v)
{
    for (int j = 0; j < K; j++)
        if (v <= cum[j])
            return j;
    return last;
}

static double block_value(const ckp_model *m, const ckp_prep *p, size_t x, double u)
{
    switch (p->blk[x]) {
    case BLK_ZERO: return 0.0;
    case BLK_FIXED: return m->block_min[x];
    default: return ckp_tri_inv(u, m->block_min[x], m->block_mode[x], m->block_max[x]);
    }
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

/* ---- steps 1-3, shared between policies ------------------------------------------ */

static inline int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Are the uniforms the regime cache was built on those of u? */
static int same_regime_uniforms(const ckp_work *w, const double *u, size_t D)
{
    const int S = w->S, T = w->T;
    if (memcmp(w->ru, u, sizeof(double) * S) != 0)
        return 0;
    for (int t = 0; t < T; t++)
        if (memcmp(w->ru + S + (size_t)t * S, u + S + (size_t)t * D, sizeof(double) * S) != 0)
            return 0;
    for (size_t i = 0; i < w->nsev; i++)
        if (!same_bits(u[w->sevi[i]], w->sevv[i]))
            return 0;
    return 1;
}

/* Steps 1-2 of every month into slot r; with `keep`, record the uniforms read
 * (the cache's key). */
static void regimes_compute(const ckp_model *m, const ckp_prep *p, ckp_work *w, const double *u,
                            size_t D, rslot *r, int keep)
{
    const int S = p->S, K = p->K, M = p->M, T = p->T;
    const size_t SM = (size_t)S * M;
    if (p->Lc)
        regime_uniforms(p, w, u, D);
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
            if (p->Lc)
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
                    if (keep && p->blk[x] == BLK_TRI) {
                        w->sevi[w->nsev] = iu;
                        w->sevv[w->nsev++] = u[iu];
                    }
                    b[(size_t)s * M + j] = block_value(m, p, x, u[iu]);
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

/* The regimes of this path under this policy: the cache when its key and
 * uniforms match, else computed (into the cache when it holds another path,
 * into scratch when it holds this path under another policy). */
static const rslot *regimes_stage(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                                  const double *u, size_t D)
{
    const int same_u = w->rvalid && same_regime_uniforms(w, u, D);
    if (same_u && w->nrkey == p->nrkey && memcmp(w->rkey, p->rkey, p->nrkey) == 0)
        return &w->R[0];
    rslot *r = &w->R[same_u ? 1 : 0];
    const int keep = !same_u && w->nrkey == p->nrkey;
    w->rvalid = 0;
    if (same_u)
        w->rvalid = 1; /* the cache still holds this path's other policy */
    regimes_compute(m, p, w, u, D, r, keep);
    r->gen = ++w->gen;
    if (keep) {
        memcpy(w->rkey, p->rkey, p->nrkey);
        w->rvalid = 1;
    }
    return r;
}

/* Step 3 of every month: gaps from the routes, spare capacity still usable. */
static void gaps_compute(const ckp_model *m, const ckp_prep *p, const rslot *r, gslot *g)
{
    const int S = p->S, M = p->M, T = p->T;
    for (int t = 0; t < T; t++) {
        double *gap = g->gap + (size_t)t * M, *spav = g->spav + (size_t)t * M;
        if (!r->chg[t]) {
            memcpy(gap, gap - M, sizeof(double) * M);
            memcpy(spav, spav - M, sizeof(double) * M);
            continue;
        }
        const double *b = r->bs + (size_t)t * S * M;
        for (int j = 0; j < M; j++) {
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

static const gslot *gaps_stage(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                               const rslot *r)
{
    const int cached_r = r == &w->R[0];
    const int same_r = cached_r && w->gvalid && w->ggen == r->gen;
    if (same_r && w->ngkey == p->ngkey && memcmp(w->gkey, p->gkey, p->ngkey) == 0)
        return &w->GS[0];
    const int keep = cached_r && !same_r && p->ngkey <= w->gkeycap;
    gslot *g = &w->GS[keep ? 0 : 1];
    gaps_compute(m, p, r, g);
    if (keep) {
        memcpy(w->gkey, p->gkey, p->ngkey);
        w->ngkey = p->ngkey;
        w->ggen = r->gen;
        w->gvalid = 1;
    }
    return g;
}

/* Accounting of one month's propagated inoperability q (step 10 for the
 * industries, and the industry observables). */
static void account_inop(const ckp_model *m, const ckp_layout *lay, const double *q, int t,
                         double *loss, double *peak, double *obs, ckp_trace *trace)
{
    const int I = m->I;
    for (int i = 0; i < I; i++) {
        double qi = q[i];
        double li = qi * m->X[i] / 12.0;
        loss[i] += li;
        if (qi > peak[i])
            peak[i] = qi;
        if (trace && trace->loss)
            trace->loss[(size_t)t * I + i] = li;
    }
    if (obs)
        memcpy(obs + (size_t)t * lay->obs_per_month + lay->obs_q, q, sizeof(double) * I);
    if (trace && trace->inop)
        memcpy(trace->inop + (size_t)t * I, q, sizeof(double) * I);
}

void ckp_sim_path(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay, ckp_work *w,
                  const double *u, double *record, double *obs, ckp_trace *trace)
{
    const int S = m->S, K = m->K, M = m->M, I = m->I, T = m->T;
    const size_t D = (size_t)S + (size_t)S * M + 3 * (size_t)M;
    const int is_static = m->propagation == CKP_PROP_STATIC;
    const int defer = is_static && p->use_gemm;

    double *loss = record + lay->offset[CKP_M_LOSS];
    double *ipeak = record + lay->offset[CKP_M_INOP_PEAK];
    double *xpeak = record + lay->offset[CKP_M_SHORTFALL_PEAK];
    double *xmonths = record + lay->offset[CKP_M_SHORTFALL_MONTHS];
    double *stockout = record + lay->offset[CKP_M_STOCKOUT_MONTH];
    double *ppeak = record + lay->offset[CKP_M_PRICE_PEAK];
    double *cost = record + lay->offset[CKP_M_EXTRA_COST];
    double *rmonths = record + lay->offset[CKP_M_REGIME_MONTHS];
    memset(record, 0, sizeof(double) * lay->record);

    /* Steps 1-3 of every month (shared with other policies where possible). */
    const rslot *rs = regimes_stage(m, p, w, u, D);
    const gslot *gs = gaps_stage(m, p, w, rs);
    memcpy(rmonths, rs->rmon, sizeof(double) * (size_t)S * K);
    if (p->noise)
        price_noise(m, p, w, u, D);

    for (int j = 0; j < M; j++) {
        w->G[j] = 0.0;
        w->L[j] = m->stock0[j];
        w->ssum[j] = 0.0;
        w->psum[j] = 0.0;
        w->stmin[j] = INFINITY;
        stockout[j] = -1.0;
    }
    for (int i = 0; i < I; i++)
        w->q[i] = 0.0;
    int qnonzero = 0; /* dynamic: some q_i != 0 */
    int ndef = 0;     /* deferred static months */

    for (int t = 0; t < T; t++) {
        double *ob = obs ? obs + (size_t)t * lay->obs_per_month : NULL;
        const double *gapt = gs->gap + (size_t)t * M, *spavt = gs->spav + (size_t)t * M;

        if (trace && trace->regime)
            for (int s = 0; s < S; s++)
                trace->regime[(size_t)t * S + s] = rs->rk[(size_t)t * S + s];
        if (trace && trace->block)
            memcpy(trace->block + (size_t)t * S * M, rs->bs + (size_t)rs->bl[t] * S * M,
                   sizeof(double) * S * M);

        /* 4-7 and the material side of 10. */
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
                pi = dmin(m->cap[j], ey * pow(dmax(1.0 - x, 1e-6), p->neg_inv_eta[j]));
            else
                pi = dmin(m->cap[j], ey); /* s = 1: the scarcity factor is exactly 1 */
            const double c = p->pv[j] * ((pi - 1.0) * a +
                                         (dmax(pi, m->price_floor[j]) - 1.0) * reroute);
            cost[j] += c;

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
            if (ob) {
                ob[lay->obs_x + j] = x;
                ob[lay->obs_pi + j] = pi;
                ob[lay->obs_L + j] = L * CKP_DAYS_PER_MONTH;
            }
            if (trace) {
                size_t o = (size_t)t * M + j;
                if (trace->gap) trace->gap[o] = gap;
                if (trace->supply) trace->supply[o] = a;
                if (trace->ramp) trace->ramp[o] = G;
                if (trace->reroute) trace->reroute[o] = reroute;
                if (trace->release) trace->release[o] = release;
                if (trace->stock_days) trace->stock_days[o] = L * CKP_DAYS_PER_MONTH;
                if (trace->shortfall) trace->shortfall[o] = x;
                if (trace->price) trace->price[o] = pi;
                if (trace->cost) trace->cost[o] = c;
            }
        }

        /* 8. Direct inoperability (all zero in a month without shortfall). */
        double *q0 = w->q0;
        if (anyx) {
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
        } else {
            for (int i = 0; i < I; i++)
                q0[i] = 0.0;
        }
        if (trace && trace->q0)
            memcpy(trace->q0 + (size_t)t * I, q0, sizeof(double) * I);

        /* 9-10. Propagation and the industry side of the accounting. */
        double *q = w->q;
        if (is_static) {
            if (!anyx) {
                /* q = (I - A*)^-1 0 = 0 exactly: nothing to add to losses or peaks. */
                if (ob)
                    memset(ob + lay->obs_q, 0, sizeof(double) * I);
                if (trace && trace->inop)
                    memset(trace->inop + (size_t)t * I, 0, sizeof(double) * I);
                if (trace && trace->loss)
                    memset(trace->loss + (size_t)t * I, 0, sizeof(double) * I);
            } else if (defer) {
                double *col = w->Q0 + (size_t)ndef * p->nJ;
                for (int jj = 0; jj < p->nJ; jj++)
                    col[jj] = q0[p->J[jj]];
                w->tmon[ndef++] = t;
            } else {
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
                account_inop(m, lay, q, t, loss, ipeak, obs, trace);
            }
        } else {
            if (anyx || qnonzero) {
                double *qn = w->qn;
                qnonzero = 0;
                for (int i = 0; i < I; i++) {
                    double aq = 0.0;
                    for (int e = p->a_off[i]; e < p->a_off[i + 1]; e++)
                        aq += p->a_val[e] * q[p->a_col[e]];
                    double v = q[i] + m->Kres[i] * (aq + q0[i] - q[i]);
                    v = clip01(v);
                    qn[i] = v;
                    qnonzero |= v != 0.0;
                }
                w->q = qn;
                w->qn = q;
                q = qn;
            }
            account_inop(m, lay, q, t, loss, ipeak, obs, trace);
        }
    }

    if (defer && ndef > 0) {
        /* Q (I x ndef) = Lcols (I x nJ) * Q0 (nJ x ndef), all column-major. */
        const int nJ = p->nJ, n = ndef;
        const double one = 1.0, zero = 0.0;
        if (nJ > 0) {
            dgemm_("N", "N", &I, &n, &nJ, &one, p->Lcols, &I, w->Q0, &nJ, &zero, w->Q, &I, 1,
                   1);
        } else {
            memset(w->Q, 0, sizeof(double) * (size_t)I * n);
        }
        for (int c = 0; c < n; c++) {
            double *qc = w->Q + (size_t)c * I;
            for (int i = 0; i < I; i++)
                qc[i] = clip01(qc[i]);
            account_inop(m, lay, qc, w->tmon[c], loss, ipeak, obs, trace);
        }
    }

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
