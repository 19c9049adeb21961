/* chokepoint: one thread's simulation scratch and the stages a path goes
 * through before its month loop (internal header of the sim module; not
 * installed).
 *
 * Steps 1-3 of MODEL.md section 3 (regimes, block fractions, gaps and spare
 * capacity) and the policy-independent parts of a path (the copula-
 * transformed regime uniforms, the log-price noise) are computed by
 * stages.c into slots of the work. cache.c decides when a slot already holds
 * what a policy needs: it owns every key (built from the prep and the
 * uniforms) and every look-up. The kernels (kernel_*.c) then walk the
 * months. */
#ifndef CKP_WORK_IMPL_H
#define CKP_WORK_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/sim/sim_impl.h"

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
    /* The month's reroute, release, price multiple and extra cost (M each),
     * kept for an observer. */
    double *rr, *rel, *pi, *cm;

    /* The serial of the uniforms buffer useq_u, stamped by
     * ckp_work_uniforms_new each time the caller refilled it (0: none yet),
     * and the last serial given out (serials of one work are never reused);
     * with `lazy`, the buffer's severity uniforms are not in it but there. */
    const double *useq_u;
    uint64_t useq, useq_last;
    const ckp_sev_lazy *lazy;

    /* Cache of the copula-transformed regime uniforms v (T*S), valid for the
     * factor in vkeyL and for the regime uniforms of serial vseq when that is
     * not 0, else for those in vkey (filled only for serial 0). */
    int vvalid;
    uint64_t vseq;
    double *vc, *vkey, *vkeyL;
    /* Cache of exp(y) (T*M), valid for the price parameters in ykeyp and for
     * the price uniforms of serial yseq when that is not 0, else for those
     * in ykey (T*3M, filled only for serial 0). */
    int yvalid;
    uint64_t yseq;
    double *ey, *ykey, *ykeyp;
    double *z, *y;   /* M scratch */

    /* Stage caches: slot 0 is the cache, slot 1 scratch for a policy that
     * differs from the cached one on the same path. The regime cache is valid
     * for the prep key in rkey and for the uniforms of serial rseq when that
     * is not 0, else for the initial and regime uniforms in ru
     * (S + T*S) and the severity uniforms it read (nsev positions in u and
     * their values); the gap cache for the regimes of generation ggen and the
     * key in gkey. */
    rslot R[2];
    gslot GS[2];
    int rvalid, gvalid;
    uint64_t gen, ggen, rseq;
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

    /* The block kernels' month state of CKP_LANES paths, lane-interleaved
     * (VEC_M vectors per material, VEC_I per industry; 32-byte aligned). */
    double *vec;
    void *vec_mem; /* the allocation vec is aligned in */
};

/* Vectors of the block kernels' state (kernel_avx2.c) per material and per
 * industry. */
#define CKP_VEC_M 11
#define CKP_VEC_I 5

/* ---- stages.c: computation ---------------------------------------------------- */

/* D: uniforms per month, S + S*M + 3M. */

/* Copula step 1 of every month into w->vc: a = Lc z, z = Phi^-1(u). */
void ckp_stage_copula_compute(const ckp_prep *p, ckp_work *w, const double *u, size_t D);
/* Log-price noise of every month into w->ey: y <- phi y + sigma Lp z + J, as exp(y). */
void ckp_stage_noise_compute(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                             const double *u, size_t D);
/* Steps 1-2 of every month into slot r (the copula uniforms, if any, already in
 * w->vc). With `keep`, record the severity uniforms read in w->sevi / sevv
 * (part of the regime cache's key). With `exact_cdf`, every copula decision
 * evaluates Phi instead of using the prep's proved brackets. */
void ckp_stage_regimes_compute(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                               const double *u, size_t D, rslot *r, int keep, int exact_cdf);
/* Step 3 of every month into g: gaps from the routes, spare capacity still usable.
 * Materials whose suppliers kept their regimes are copied from the month
 * before unless `every` (the reference kernel's choice: recompute them). */
void ckp_stage_gaps_compute(const ckp_model *m, const ckp_prep *p, const rslot *r, gslot *g,
                            int every);

/* ---- cache.c: keys and look-ups ------------------------------------------------ */

/* The stages of this path for this policy, from the cache where its key and
 * uniforms match, else computed (into the cache, or into scratch when the
 * cache holds this path under another policy). */
const rslot *ckp_stage_regimes(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                               const double *u, size_t D);
const gslot *ckp_stage_gaps(const ckp_model *m, const ckp_prep *p, ckp_work *w,
                            const rslot *r);
/* w->ey for this path and policy (reused when the price uniforms and the
 * price parameters are bitwise those it was computed from). */
void ckp_stage_noise(const ckp_model *m, const ckp_prep *p, ckp_work *w, const double *u,
                     size_t D);
/* Forget everything cached (the next look-ups compute). */
void ckp_stage_invalidate(ckp_work *w);
/* The serial the stage caches recognise the uniforms u of a call by: w's
 * stamp when u is the buffer stamped last (ckp_work_uniforms_new), else 0
 * (compare the contents). */
static inline uint64_t ckp_stage_serial(const ckp_work *w, const double *u)
{
    return u == w->useq_u ? w->useq : 0;
}
/* Where the severity uniforms of u are when not in u (NULL: in u). */
static inline const ckp_sev_lazy *ckp_stage_lazy(const ckp_work *w, const double *u)
{
    return u == w->useq_u ? w->lazy : NULL;
}

#endif
