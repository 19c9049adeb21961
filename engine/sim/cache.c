/* chokepoint: the cross-policy stage cache of the simulation: every key and
 * every look-up in one place.
 *
 * The run simulates every policy of a path on one uniforms buffer in a row,
 * on one thread's work. Much of a path does not depend on the policy, or
 * depends only on a few of its numbers: the copula-transformed regime
 * uniforms (on the supplier correlation), the log-price noise (on the price
 * parameters), the regimes and block fractions of steps 1-2 (on the rows,
 * blocks and correlation: the prep's rkey), the gaps and spare capacity of
 * step 3 (on the routes and spare: gkey). Each is kept in the work for the
 * first policy that computes it and reused by every later call whose inputs
 * are bitwise the same, never recognised by a hash: the policy's part by
 * comparing it exactly, the uniforms by the serial the caller stamped on
 * their buffer when it filled it (ckp_work_uniforms_new: equal serials, the
 * same contents) or, for a buffer not stamped, by comparing them exactly. A
 * policy that differs computes into scratch and leaves the cache alone.
 * None of it changes a bit of the results (tests/test_simopt.c and the
 * kernel test compare against the kernel that caches nothing). */
#include <stdlib.h>
#include <string.h>

#include "engine/sim/work_impl.h"

/* ---- keys of a prep ------------------------------------------------------------- */

/* Byte keys: arrays appended as they are, so equal bytes of equal length mean
 * equal arrays (the leading counts fix how the rest splits). */
static size_t put(unsigned char *buf, size_t at, const void *src, size_t bytes)
{
    if (buf && bytes)
        memcpy(buf + at, src, bytes);
    return at + bytes;
}

size_t ckp_prep_rkey_bytes(int S, int K, int M)
{
    const size_t SK = (size_t)S * K, SKK = SK * K, SKM = SK * M;
    return sizeof(double) * (SKK + SK + (size_t)S * S + 3 * SKM) +
           sizeof(int) * (SK + (size_t)S + 1) + SKM;
}

/* Steps 1-2 of a path read: the cumulative rows (and their last positive
 * entries), the initial distribution, the supplier correlation factor, the
 * block kinds and the triangular parameters. */
static void rkey_fill(const ckp_model *m, const ckp_prep *p, unsigned char *buf)
{
    const int S = m->S, K = m->K, M = m->M;
    const size_t SK = (size_t)S * K, SKM = SK * M;
    size_t at = 0;
    const int hasL = p->Lc != NULL;
    at = put(buf, at, &hasL, sizeof hasL);
    at = put(buf, at, p->cumP, sizeof(double) * SK * K);
    at = put(buf, at, p->lastP, sizeof(int) * SK);
    at = put(buf, at, p->cumInit, sizeof(double) * SK);
    at = put(buf, at, p->lastInit, sizeof(int) * (size_t)S);
    if (hasL)
        at = put(buf, at, p->Lc, sizeof(double) * (size_t)S * S);
    else
        for (size_t k = 0; k < (size_t)S * S; k++)
            at = put(buf, at, &(double){0.0}, sizeof(double));
    at = put(buf, at, p->blk, SKM);
    at = put(buf, at, m->block_min, sizeof(double) * SKM);
    at = put(buf, at, m->block_mode, sizeof(double) * SKM);
    put(buf, at, m->block_max, sizeof(double) * SKM);
}

static size_t count_spare(const ckp_model *m)
{
    size_t n = 0;
    for (size_t k = 0; k < (size_t)m->S * m->M; k++)
        if (m->spare[k] > 0.0)
            n++;
    return n;
}

/* Step 3 reads the routes and the spare capacity (as prep lists it). */
static size_t gkey_fill(const ckp_model *m, const ckp_prep *p, unsigned char *buf)
{
    const int M = m->M, nr = m->route_off[M];
    const int nexp = m->route_exp_off[nr];
    const int nsp = p ? p->sp_off[M] : (int)count_spare(m);
    size_t at = 0;
    at = put(buf, at, m->route_off, sizeof(int) * ((size_t)M + 1));
    at = put(buf, at, m->route_share, sizeof(double) * (size_t)nr);
    at = put(buf, at, m->route_exp_off, sizeof(int) * ((size_t)nr + 1));
    at = put(buf, at, m->route_exp, sizeof(int) * (size_t)nexp);
    if (p) {
        at = put(buf, at, p->sp_off, sizeof(int) * ((size_t)M + 1));
        at = put(buf, at, p->sp_sup, sizeof(int) * (size_t)nsp);
        at = put(buf, at, p->sp_val, sizeof(double) * (size_t)nsp);
    } else {
        at += sizeof(int) * ((size_t)M + 1) + (sizeof(int) + sizeof(double)) * (size_t)nsp;
    }
    return at;
}

size_t ckp_prep_gkey_bytes(const ckp_model *m)
{
    return gkey_fill(m, NULL, NULL);
}

int ckp_stage_keys(const ckp_model *m, ckp_prep *p)
{
    const int S = m->S, K = m->K, M = m->M;
    p->nrkey = ckp_prep_rkey_bytes(S, K, M);
    p->ngkey = gkey_fill(m, p, NULL);
    /* The price noise reads phi, sigma, lambda, muJ, sigmaJ and Rp's factor
     * (zeros for the identity). */
    p->npkey = 5 * (size_t)M + (size_t)M * M;
    p->rkey = calloc(p->nrkey ? p->nrkey : 1, 1);
    p->gkey = calloc(p->ngkey ? p->ngkey : 1, 1);
    p->pkey = calloc(p->npkey, sizeof(double));
    if (!p->rkey || !p->gkey || !p->pkey)
        return -1;
    rkey_fill(m, p, p->rkey);
    gkey_fill(m, p, p->gkey);
    for (int j = 0; j < M; j++) {
        p->pkey[j] = m->phi[j];
        p->pkey[M + j] = m->sigma[j];
        p->pkey[2 * M + j] = m->lambda[j];
        p->pkey[3 * M + j] = m->muJ[j];
        p->pkey[4 * M + j] = m->sigmaJ[j];
    }
    if (p->Lp)
        memcpy(p->pkey + 5 * (size_t)M, p->Lp, (size_t)M * M * sizeof(double));
    return 0;
}

/* ---- policy-independent parts ------------------------------------------------- */

/* Are the uniforms a valid cache was built on (serial `built`, or when that
 * is 0 the contents recorded in its key, compared by `same_contents`) those
 * of this call (serial `cur`, 0 for none)? Equal nonzero serials mean the
 * same buffer stamped once and not written since (ckp_work_uniforms_new):
 * the same contents. Different serials may still hold equal contents: the
 * caller then computes again, which gives the same bits. */
#define SAME_UNIFORMS(cur, built, same_contents)                                                   \
    ((cur) != 0 ? (built) == (cur) : (built) == 0 && (same_contents))

static int same_copula_uniforms(const ckp_work *w, const double *u, size_t D)
{
    const int S = w->S, T = w->T;
    for (int t = 0; t < T; t++)
        if (memcmp(w->vkey + (size_t)t * S, u + S + (size_t)t * D, sizeof(double) * S) != 0)
            return 0;
    return 1;
}

/* w->vc for this path: kept while the factor Lc and the regime uniforms
 * (by serial, else vkey) are bitwise those it was computed from. */
static void stage_copula(const ckp_prep *p, ckp_work *w, const double *u, size_t D, uint64_t cur)
{
    const int S = p->S, T = p->T;
    if (w->vvalid && memcmp(w->vkeyL, p->Lc, sizeof(double) * (size_t)S * S) == 0 &&
        SAME_UNIFORMS(cur, w->vseq, same_copula_uniforms(w, u, D)))
        return;
    memcpy(w->vkeyL, p->Lc, sizeof(double) * (size_t)S * S);
    w->vseq = cur;
    if (!cur)
        for (int t = 0; t < T; t++)
            memcpy(w->vkey + (size_t)t * S, u + S + (size_t)t * D, sizeof(double) * S);
    ckp_stage_copula_compute(p, w, u, D);
    w->vvalid = 1;
}

static int same_noise_uniforms(const ckp_work *w, const double *u, size_t D)
{
    const int S = w->S, M = w->M, T = w->T;
    const size_t off = (size_t)S + (size_t)S * M, B = 3 * (size_t)M;
    for (int t = 0; t < T; t++)
        if (memcmp(w->ykey + (size_t)t * B, u + S + (size_t)t * D + off, sizeof(double) * B) != 0)
            return 0;
    return 1;
}

void ckp_stage_noise(const ckp_model *m, const ckp_prep *p, ckp_work *w, const double *u,
                     size_t D)
{
    const int S = p->S, M = p->M, T = p->T;
    const size_t off = (size_t)S + (size_t)S * M;
    const size_t B = 3 * (size_t)M;
    const uint64_t cur = ckp_stage_serial(w, u);
    if (w->yvalid && memcmp(w->ykeyp, p->pkey, sizeof(double) * p->npkey) == 0 &&
        SAME_UNIFORMS(cur, w->yseq, same_noise_uniforms(w, u, D)))
        return;
    memcpy(w->ykeyp, p->pkey, sizeof(double) * p->npkey);
    w->yseq = cur;
    if (!cur)
        for (int t = 0; t < T; t++)
            memcpy(w->ykey + (size_t)t * B, u + S + (size_t)t * D + off, sizeof(double) * B);
    ckp_stage_noise_compute(m, p, w, u, D);
    w->yvalid = 1;
}

void ckp_stage_invalidate(ckp_work *w)
{
    w->vvalid = 0;
    w->yvalid = 0;
    w->rvalid = 0;
    w->gvalid = 0;
}

/* ---- steps 1-3 ------------------------------------------------------------------ */

static inline int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Are the uniforms in the regime cache's key ru / sevi / sevv those of u? */
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

/* The regimes of this path under this policy: the cache when its key and
 * uniforms match, else computed (into the cache when it holds another path,
 * into scratch when it holds this path under another policy). The uniforms
 * are recognised by serial when u is stamped (no key of them is then
 * recorded), else by the contents the cache recorded. */
const rslot *ckp_stage_regimes(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                               const double *u, size_t D)
{
    const uint64_t cur = ckp_stage_serial(w, u);
    const int same_u =
        w->rvalid && SAME_UNIFORMS(cur, w->rseq, same_regime_uniforms(w, u, D));
    if (same_u && w->nrkey == p->nrkey && memcmp(w->rkey, p->rkey, p->nrkey) == 0)
        return &w->R[0];
    rslot *r = &w->R[same_u ? 1 : 0];
    const int keep = !same_u && w->nrkey == p->nrkey;
    w->rvalid = 0;
    if (same_u)
        w->rvalid = 1; /* the cache still holds this path's other policy */
    if (p->Lc)
        stage_copula(p, w, u, D, cur);
    ckp_stage_regimes_compute(m, p, w, u, D, r, keep && !cur, 0);
    r->gen = ++w->gen;
    if (keep) {
        memcpy(w->rkey, p->rkey, p->nrkey);
        w->rseq = cur;
            w->rvalid = 1;
    }
    return r;
}

const gslot *ckp_stage_gaps(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                            const rslot *r)
{
    const int cached_r = r == &w->R[0];
    const int same_r = cached_r && w->gvalid && w->ggen == r->gen;
    if (same_r && w->ngkey == p->ngkey && memcmp(w->gkey, p->gkey, p->ngkey) == 0)
        return &w->GS[0];
    const int keep = cached_r && !same_r && p->ngkey <= w->gkeycap;
    gslot *g = &w->GS[keep ? 0 : 1];
    ckp_stage_gaps_compute(m, p, r, g, 0);
    if (keep) {
        memcpy(w->gkey, p->gkey, p->ngkey);
        w->ngkey = p->ngkey;
        w->ggen = r->gen;
        w->gvalid = 1;
    }
    return g;
}
