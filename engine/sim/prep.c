/* chokepoint: per-policy derived data for the simulation (ckp_prep).
 *
 * Built once per policy before any path is simulated: checks that the
 * correlation matrices are positive definite and that A* has spectral radius
 * below 1 (MODEL.md section 2), and precomputes everything the path loop
 * would otherwise recompute every month. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/linalg/linalg.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/sim/sim_impl.h"

static void *alloc0(size_t n, size_t size)
{
    if (n == 0)
        n = 1;
    return calloc(n, size);
}

void ckp_prep_free(ckp_prep *p)
{
    if (!p)
        return;
    free(p->Lc);
    free(p->Lp);
    if (p->lshare && --p->lshare->refs == 0) {
        free(p->lshare->a);
        free(p->lshare);
    }
    free(p->J);
    free(p->Lcols);
    free(p->a_off);
    free(p->a_col);
    free(p->a_val);
    free(p->cumP);
    free(p->lastP);
    free(p->cumInit);
    free(p->lastInit);
    free(p->blk);
    free(p->aup);
    free(p->adown);
    free(p->neg_inv_eta);
    free(p->pv);
    free(p->sp_off);
    free(p->sp_sup);
    free(p->sp_val);
    free(p->gsup);
    free(p->pkey);
    free(p->zlo);
    free(p->zhi);
    free(p->rkey);
    free(p->gkey);
    free(p);
}

/* The spectral radius, or the norm bound that proved it below 1 (see the
 * interdependency check below and sim.h). */
double ckp_prep_spectral_radius(const ckp_prep *p)
{
    return p->radius;
}

const double *ckp_prep_leontief(const ckp_prep *p)
{
    return p->leontief;
}

/* exp(-1/tau) with tau = 0 meaning an immediate move (MODEL.md section 2). */
static double decay(double tau)
{
    return tau > 0.0 ? exp(-1.0 / tau) : 0.0;
}

/* Running sums of a probability row, left to right, and the last entry with
 * positive probability (the fallback when rounding leaves no match). */
static void cumulate(const double *row, int K, double *cum, int *last)
{
    double s = 0.0;
    *last = K - 1;
    for (int j = 0; j < K; j++) {
        s += row[j];
        cum[j] = s;
        if (row[j] > 0.0)
            *last = j;
    }
}

/* Normal-space brackets of a cumulative probability c for the copula's
 * regime decision v = Phi(a) <= c. The engine's Phi is 0.5 erfc(-a k) with k
 * the double nearest 1/sqrt 2: F(a) = 0.5 erfc_exact(fl(-a k)) is monotone in
 * a (rounding is monotone), and libm's erfc is within a few ulp of exact, so
 * the computed Phi(a) = F(a)(1 + e) with |e| far below 1e-12. If the
 * computed Phi(lo) <= c (1 - 1e-9), then every a <= lo has computed
 * Phi(a) <= F(lo)(1 + e) <= c; if Phi(hi) >= c (1 + 1e-9), every a > hi has
 * Phi(a) > c. Those two are checked here with the engine's own Phi, so the
 * path loop may decide from a alone outside [lo, hi] and must evaluate Phi
 * inside: the decision is the same as the contract's in every case. The
 * margin starts at 1e-6 in a (relative beyond |a| = 1) and widens when the
 * check fails; where it cannot succeed (c within 1e-9 of 1, or below
 * 1e-280 where Phi is subnormal) the bracket is the whole line and Phi is
 * always evaluated. */
static void z_bracket(double c, double *lo, double *hi)
{
    if (c >= 1.0) {
        /* 0.5 erfc(y) <= 1 for every y: erfc never exceeds 2 (libm computes it
         * as 2 minus a positive term, or 1 plus less than 1, for y < 0). */
        *lo = *hi = INFINITY;
        return;
    }
    if (c == 0.0) {
        /* Phi(a) <= 0 only once Phi underflows to 0; above -30 it is at
         * least 4e-198 > 0 (a normal number, so the relative bound holds). */
        *lo = -INFINITY;
        *hi = ckp_norm_cdf(-30.0) > 0.0 ? -30.0 : INFINITY;
        return;
    }
    *lo = -INFINITY;
    *hi = INFINITY;
    if (!(c > 1e-280))
        return;
    const double zt = ckp_norm_inv(c);
    double d = 1e-6 * fmax(1.0, fabs(zt));
    for (int tries = 0; tries < 6; tries++, d *= 8.0) {
        const double l = zt - d, h = zt + d;
        if (ckp_norm_cdf(l) <= c * (1.0 - 1e-9) && ckp_norm_cdf(h) >= c * (1.0 + 1e-9)) {
            *lo = l;
            *hi = h;
            return;
        }
    }
}

ckp_status ckp_prep_create(const ckp_model *m, ckp_prep **out, ckp_error *err)
{
    return ckp_prep_create_like(m, NULL, NULL, out, err);
}

static ckp_status nomem(ckp_error *err, int I)
{
    return CKP_FAIL(err, CKP_ERR_NOMEM,
                    "out of memory preparing the simulation (I = %d industries)", I);
}

static ckp_status blas_nomem(ckp_error *err, const char *what)
{
    return CKP_FAIL(err, CKP_ERR_NOMEM,
                    "out of memory: %s needs a LAPACK workspace of about %zu MiB (is `ulimit -v` "
                    "too low?)",
                    what, CKP_BLAS_WORKSPACE >> 20);
}

/* Correlations: factorised once; the identity takes the no-transform path. */
static ckp_status prep_correlations(const ckp_model *m, ckp_prep *p, ckp_error *err)
{
    const int S = m->S, M = m->M;
    if (!m->corr_identity) {
        p->Lc = alloc0((size_t)S * S, sizeof(double));
        if (!p->Lc)
            return nomem(err, m->I);
        if (ckp_linalg_cholesky(m->corr, S, p->Lc) != 0)
            return ckp_error_set(err, CKP_ERR_NUMERIC, NULL, 0, 0, "supplier_correlation",
                                 "the supplier correlation matrix is not symmetric positive "
                                 "definite");
    }
    if (!m->price_corr_identity) {
        p->Lp = alloc0((size_t)M * M, sizeof(double));
        if (!p->Lp)
            return nomem(err, m->I);
        if (ckp_linalg_cholesky(m->price_corr, M, p->Lp) != 0)
            return ckp_error_set(err, CKP_ERR_NUMERIC, NULL, 0, 0, "price_correlation",
                                 "the price correlation matrix is not symmetric positive "
                                 "definite");
    }
    return CKP_OK;
}

/* The radius check of A*. A policy with the same A* as `like` has passed it
 * already (*same_a); else a norm bound below 1 proves rho < 1 without the
 * eigen solver (dgeev is ~10 I^3 flops: seconds for I = 2,000), which runs
 * only when the bound cannot decide (and then gives the radius the refusal
 * reports). */
static ckp_status prep_radius(const ckp_model *m, const ckp_model *like_model,
                              const ckp_prep *like, ckp_prep *p, int *same_a, ckp_error *err)
{
    const int I = m->I;
    *same_a = like && like_model && like_model->I == I &&
              memcmp(like_model->Astar, m->Astar, sizeof(double) * (size_t)I * I) == 0;
    if (*same_a) {
        p->radius = like->radius;
        p->radius_is_bound = like->radius_is_bound;
    } else {
        p->radius = ckp_linalg_norm_bound(m->Astar, I);
        p->radius_is_bound = ckp_linalg_norm_proves_stable(p->radius, I);
    }
    const int rc =
        p->radius_is_bound || *same_a ? 0 : ckp_linalg_spectral_radius(m->Astar, I, &p->radius);
    if (rc == -2)
        return blas_nomem(err, "the spectral radius");
    if (rc != 0)
        return ckp_error_set(err, CKP_ERR_NUMERIC, NULL, 0, 0, "interdependency",
                             "the eigenvalues of the interdependency matrix could not be "
                             "computed (non-finite entries?)");
    if (!(p->radius < 1.0))
        return ckp_error_set(err, CKP_ERR_NUMERIC, NULL, 0, 0, "interdependency",
                             "the interdependency matrix has spectral radius %.6g; it must be "
                             "below 1 for inoperability to stay bounded",
                             p->radius);
    return CKP_OK;
}

/* Static propagation: (I - A*)^-1 (shared with `like` when A* is the same),
 * the industries some C[m,i] > 0 reaches and their columns, contiguous. */
static ckp_status prep_static(const ckp_model *m, const ckp_prep *like, int same_a, ckp_prep *p,
                              ckp_error *err)
{
    const int I = m->I, M = m->M;
    if (same_a && like->lshare) {
        p->lshare = like->lshare;
        p->lshare->refs++;
    } else {
        p->lshare = calloc(1, sizeof *p->lshare);
        if (!p->lshare)
            return nomem(err, I);
        p->lshare->refs = 1;
        p->lshare->a = alloc0((size_t)I * I, sizeof(double));
        if (!p->lshare->a)
            return nomem(err, I);
        const int rc = ckp_linalg_leontief_inverse(m->Astar, I, p->lshare->a);
        if (rc == -2)
            return blas_nomem(err, "the Leontief inverse");
        if (rc != 0)
            return ckp_error_set(err, CKP_ERR_NUMERIC, NULL, 0, 0, "interdependency",
                                 "I - A* is singular to working precision");
    }
    p->leontief = p->lshare->a;
    p->J = alloc0((size_t)I, sizeof(int));
    if (!p->J)
        return nomem(err, I);
    for (int i = 0; i < I; i++) {
        int any = 0;
        for (int k = 0; k < M; k++)
            if (m->C[(size_t)k * I + i] > 0.0)
                any = 1;
        if (any)
            p->J[p->nJ++] = i;
    }
    p->Lcols = alloc0((size_t)I * (size_t)p->nJ, sizeof(double));
    if (!p->Lcols)
        return nomem(err, I);
    for (int jj = 0; jj < p->nJ; jj++)
        for (int i = 0; i < I; i++)
            p->Lcols[(size_t)jj * I + i] = p->leontief[(size_t)i * I + p->J[jj]];
    p->use_gemm = I >= CKP_GEMM_MIN_INDUSTRIES;
    return CKP_OK;
}

/* Dynamic propagation: A* in compressed rows, zeros dropped. */
static ckp_status prep_dynamic(const ckp_model *m, ckp_prep *p, ckp_error *err)
{
    const int I = m->I;
    const size_t II = (size_t)I * I;
    size_t nnz = 0;
    for (size_t k = 0; k < II; k++)
        if (m->Astar[k] != 0.0)
            nnz++;
    p->a_off = alloc0((size_t)I + 1, sizeof(int));
    p->a_col = alloc0(nnz, sizeof(int));
    p->a_val = alloc0(nnz, sizeof(double));
    if (!p->a_off || !p->a_col || !p->a_val)
        return nomem(err, I);
    size_t n = 0;
    for (int i = 0; i < I; i++) {
        p->a_off[i] = (int)n;
        for (int j = 0; j < I; j++) {
            double v = m->Astar[(size_t)i * I + j];
            if (v != 0.0) {
                p->a_col[n] = j;
                p->a_val[n++] = v;
            }
        }
    }
    p->a_off[I] = (int)n;
    return CKP_OK;
}

/* Regimes (cumulative rows) and block kinds; the importer never blocks
 * (MODEL.md section 2). */
static void prep_regimes(const ckp_model *m, ckp_prep *p)
{
    const int S = m->S, K = m->K, M = m->M;
    for (int s = 0; s < S; s++) {
        cumulate(m->init + (size_t)s * K, K, p->cumInit + (size_t)s * K, &p->lastInit[s]);
        for (int k = 0; k < K; k++)
            cumulate(m->P + ((size_t)s * K + k) * K, K, p->cumP + ((size_t)s * K + k) * K,
                     &p->lastP[(size_t)s * K + k]);
    }
    for (int s = 0; s < S; s++)
        for (int k = 0; k < K; k++)
            for (int j = 0; j < M; j++) {
                size_t x = ((size_t)s * K + k) * M + j;
                unsigned char kind;
                if (s == m->importer || (m->block_max[x] == 0.0 && m->block_min[x] == 0.0))
                    kind = BLK_ZERO;
                else if (m->block_min[x] == m->block_max[x])
                    kind = BLK_FIXED;
                else
                    kind = BLK_TRI;
                p->blk[x] = kind;
            }
}

/* Per material: ramp decays, price constants, spare capacity by supplier. */
static void prep_materials(const ckp_model *m, ckp_prep *p)
{
    const int S = m->S, M = m->M;
    int nsp = 0;
    for (int j = 0; j < M; j++) {
        p->aup[j] = decay(m->tau_up[j]);
        p->adown[j] = decay(m->tau_down[j]);
        p->neg_inv_eta[j] = -1.0 / m->eta[j];
        p->pv[j] = m->p0[j] * m->volume[j];
        p->sp_off[j] = nsp;
        for (int s = 0; s < S; s++) {
            double v = m->spare[(size_t)s * M + j];
            if (v > 0.0) {
                p->sp_sup[nsp] = s;
                p->sp_val[nsp++] = v;
            }
        }
        if (m->sigma[j] > 0.0 || m->lambda[j] > 0.0)
            p->noise = 1;
        uint64_t g = S > 64 ? ~(uint64_t)0 : 0;
        for (int q = m->route_off[j]; q < m->route_off[j + 1] && S <= 64; q++)
            for (int e = m->route_exp_off[q]; e < m->route_exp_off[q + 1]; e++)
                g |= (uint64_t)1 << m->route_exp[e];
        for (int e = p->sp_off[j]; e < nsp && S <= 64; e++)
            g |= (uint64_t)1 << p->sp_sup[e];
        p->gsup[j] = g;
    }
    p->sp_off[M] = nsp;
}

/* Everything prep_* fills, the arrays whose size is known up front. */
static int prep_alloc(const ckp_model *m, ckp_prep *p)
{
    const int S = m->S, K = m->K, M = m->M;
    p->cumP = alloc0((size_t)S * K * K, sizeof(double));
    p->lastP = alloc0((size_t)S * K, sizeof(int));
    p->cumInit = alloc0((size_t)S * K, sizeof(double));
    p->lastInit = alloc0((size_t)S, sizeof(int));
    p->blk = alloc0((size_t)S * K * M, 1);
    p->aup = alloc0((size_t)M, sizeof(double));
    p->adown = alloc0((size_t)M, sizeof(double));
    p->neg_inv_eta = alloc0((size_t)M, sizeof(double));
    p->pv = alloc0((size_t)M, sizeof(double));
    p->sp_off = alloc0((size_t)M + 1, sizeof(int));
    p->sp_sup = alloc0((size_t)S * M, sizeof(int));
    p->sp_val = alloc0((size_t)S * M, sizeof(double));
    p->gsup = alloc0((size_t)M, sizeof(uint64_t));
    return p->cumP && p->lastP && p->cumInit && p->lastInit && p->blk && p->aup && p->adown &&
                   p->neg_inv_eta && p->pv && p->sp_off && p->sp_sup && p->sp_val && p->gsup
               ? 0
               : -1;
}

static ckp_status prep_fill(const ckp_model *m, const ckp_model *like_model,
                            const ckp_prep *like, ckp_prep *p, ckp_error *err)
{
    if (prep_alloc(m, p) != 0)
        return nomem(err, m->I);
    CKP_TRY(prep_correlations(m, p, err));
    int same_a = 0;
    CKP_TRY(prep_radius(m, like_model, like, p, &same_a, err));
    if (m->propagation == CKP_PROP_STATIC)
        CKP_TRY(prep_static(m, like, same_a, p, err));
    else
        CKP_TRY(prep_dynamic(m, p, err));
    prep_regimes(m, p);
    prep_materials(m, p);
    /* Normal-space brackets of the cumulative rows (copula only). */
    if (p->Lc) {
        const size_t n = (size_t)m->S * m->K * m->K;
        p->zlo = alloc0(n, sizeof(double));
        p->zhi = alloc0(n, sizeof(double));
        if (!p->zlo || !p->zhi)
            return nomem(err, m->I);
        for (size_t k = 0; k < n; k++)
            z_bracket(p->cumP[k], &p->zlo[k], &p->zhi[k]);
    }
    /* Keys of the stages a policy may share with the one in the work cache. */
    if (ckp_stage_keys(m, p) != 0)
        return nomem(err, m->I);
    return CKP_OK;
}

ckp_status ckp_prep_create_like(const ckp_model *m, const ckp_model *like_model,
                                const ckp_prep *like, ckp_prep **out, ckp_error *err)
{
    *out = NULL;
    if (!m || m->S < 1 || m->K < 1 || m->M < 1 || m->I < 1 || m->T < 1)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "simulation needs at least one supplier, regime, material, "
                        "industry and month");
    ckp_prep *p = calloc(1, sizeof *p);
    if (!p)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    p->S = m->S;
    p->K = m->K;
    p->M = m->M;
    p->I = m->I;
    p->T = m->T;
    ckp_status st = prep_fill(m, like_model, like, p, err);
    if (st != CKP_OK) {
        ckp_prep_free(p);
        return st;
    }
    *out = p;
    return CKP_OK;
}
