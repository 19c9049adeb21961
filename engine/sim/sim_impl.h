/* chokepoint: what prep.c derives for sim.c (internal header of the
 * simulation module; not installed).
 *
 * A ckp_prep is everything about one policy that does not change from path to
 * path: factorised correlations, cumulative transition rows, exp(-1/tau), the
 * propagation operator in the form the path loop wants, and flags that let
 * the loop skip work (no noise, fixed block fractions). */
#ifndef CKP_SIM_IMPL_H
#define CKP_SIM_IMPL_H

#include "chokepoint/sim.h"
#include "engine/rng/rng_impl.h"
#include "engine/scenario/scenario_impl.h"

/* ---- The simulation's internal API (tests and the run use it) --------------- */

/* The layout of a model's dimensions. */
void ckp_layout_init(ckp_layout *lay, const ckp_model *m);

/* ---- Derived per-policy data ---------------------------------------------- */
typedef struct ckp_prep ckp_prep;

/* Check and derive what a policy needs for simulation: Cholesky factors of the
 * supplier and price correlations (refused unless positive definite), the
 * spectral radius of A* (refused if >= 1) and (I - A*)^-1 for static
 * propagation. *out is owned by the caller (ckp_prep_free). */
ckp_status ckp_prep_create(const ckp_model *m, ckp_prep **out, ckp_error *err);
void ckp_prep_free(ckp_prep *p);
/* The spectral radius of A* as checked by ckp_prep_create: when
 * min(||A*||_1, ||A*||_inf) is below 1 (with room for rounding) it proves the
 * radius below 1 without an eigen solve, and that bound (>= the radius) is
 * returned; otherwise the radius from the eigen solver. */
double ckp_prep_spectral_radius(const ckp_prep *p);
/* (I - A*)^-1, I*I row-major (NULL for dynamic propagation). */
const double *ckp_prep_leontief(const ckp_prep *p);

/* ---- Scratch ---------------------------------------------------------------- */
typedef struct ckp_work ckp_work;
/* Scratch for one thread, big enough for any policy of `sc`. */
ckp_status ckp_work_create(const ckp_scenario *sc, ckp_work **out, ckp_error *err);
/* About the bytes ckp_work_create allocates for `sc` (an upper bound). */
size_t ckp_work_bytes(const ckp_scenario *sc);
void ckp_work_free(ckp_work *w);
/* The caller has just written the uniforms buffer u (all of it, for one
 * path) and will pass it to kernel calls on w: stamp it with a new serial of
 * w. Until u is stamped again or another buffer is, the stage caches of w
 * take calls on u with the same serial as calls on the same contents (no
 * compare of the uniforms). Every write into u after this must be followed
 * by another stamp before the next call on w; a caller that never stamps
 * gets the caches recognising uniforms by their contents. */
void ckp_work_uniforms_new(ckp_work *w, const double *u);

/* The severity uniforms of a path left undrawn in its buffer: month t's
 * S*M of them are the draws after state st[t] of the path's stream (skip
 * holds the maps), reflected (1 - v) when `reflect` (the odd member of an
 * antithetic pair). */
typedef struct ckp_sev_lazy {
    const ckp_rng_skip *skip; /* for S*M draws */
    ckp_u128 *st;             /* T */
    int reflect;
} ckp_sev_lazy;

/* ckp_path_uniforms, but the severity uniforms are not drawn: their
 * positions in u are left as they are, and lz (skip set by the caller, st of
 * lay->T states) is filled so that ckp_sev_lazy_get gives each of them with
 * the bits ckp_path_uniforms would have put there. */
void ckp_path_uniforms_lazy(const ckp_layout *lay, const ckp_pcg64 *base, uint64_t p,
                            int antithetic, double *u, ckp_sev_lazy *lz);
/* Severity uniform j (s * M + m) of month t. */
static inline double ckp_sev_lazy_get(const ckp_sev_lazy *lz, int t, size_t j)
{
    const double v = ckp_rng_skip_uniform(lz->skip, lz->st[t], j);
    return lz->reflect ? 1.0 - v : v;
}
/* As ckp_work_uniforms_new, for a buffer u filled by ckp_path_uniforms_lazy
 * with lz: the calls on w with u read its severity uniforms from lz. lz
 * must stay as it is while u is in use. */
void ckp_work_uniforms_new_lazy(ckp_work *w, const double *u, const ckp_sev_lazy *lz);

/* Simulate one path of one policy from its uniforms `u` (lay->uniforms of
 * them). Writes the metrics record (lay->record doubles) to `record`, the
 * per-month observables (T * lay->obs_per_month doubles) to `obs` if not NULL,
 * and the full trace if `trace` is not NULL. No allocation, no I/O. */
void ckp_sim_path(const ckp_model *m, const ckp_prep *prep, const ckp_layout *lay,
                  ckp_work *w, const double *u, double *record, double *obs,
                  ckp_trace *trace);


/* Block fraction kinds of block[s,k,m]. */
enum { BLK_ZERO = 0, BLK_FIXED = 1, BLK_TRI = 2 };

/* Above this many industries, static propagation is deferred to one dgemm per
 * path; below it a plain loop per month is faster than the call overhead. */
#define CKP_GEMM_MIN_INDUSTRIES 64

/* (I - A*)^-1 shared by the preps of policies with bitwise equal A*; the
 * count is not atomic: such preps are created and freed on one thread. */
typedef struct ckp_shared_mat {
    int refs;
    double *a;
} ckp_shared_mat;

struct ckp_prep {
    int S, K, M, I, T;
    /* The spectral radius of A* from the eigen solver, or (radius_is_bound)
     * the norm bound min(||A*||_1, ||A*||_inf) < 1 that proved it below 1
     * without one (ckp_linalg_norm_bound). */
    double radius;
    int radius_is_bound;

    double *Lc;        /* S*S Cholesky factor of R, NULL when R is the identity */
    double *Lp;        /* M*M Cholesky factor of Rp, NULL when Rp is the identity */
    double *leontief;  /* I*I (I - A*)^-1, static propagation only (= lshare->a) */
    ckp_shared_mat *lshare;

    /* Static: the industries with some C[m,i] > 0 (the only ones q0 can be
     * nonzero on) and the matching columns of the Leontief inverse, each
     * column contiguous (column-major I x nJ, ready for dgemm). */
    int nJ;
    int *J;
    double *Lcols;
    int use_gemm;

    /* Dynamic: A* in compressed rows (zeros dropped). */
    int *a_off;        /* I+1 */
    int *a_col;
    double *a_val;

    double *cumP;      /* S*K*K running sums of each row, added left to right */
    int *lastP;        /* S*K last regime with positive probability in the row */
    double *cumInit;   /* S*K */
    int *lastInit;     /* S */
    unsigned char *blk;/* S*K*M block kind (the importer's are all BLK_ZERO) */

    double *aup;       /* M exp(-1/tau_up), 0 for tau_up = 0 */
    double *adown;     /* M exp(-1/tau_down) */
    double *neg_inv_eta;/* M -1/eta */
    double *pv;        /* M p0 * volume */

    /* Spare capacity by material: suppliers c with spare[c,m] > 0. */
    int *sp_off;       /* M+1 */
    int *sp_sup;
    double *sp_val;
    /* Step 3 of material j reads the block fractions of the suppliers in bit s
     * of gsup[j] (its routes' exposures and spare); all bits when S > 64. */
    uint64_t *gsup; /* M */

    int noise;         /* some sigma > 0 or lambda > 0: prices carry noise */
    /* The parameters the log-price path depends on, used to recognise a
     * policy whose price noise equals the one already in the work cache:
     * phi, sigma, lambda, muJ, sigmaJ (5M) then Rp's factor (M*M, zeros for
     * the identity). */
    double *pkey;
    size_t npkey;

    /* Copula decisions in normal space (only with Lc): for each cumP entry c,
     * a <= zlo means Phi(a) <= c and a > zhi means Phi(a) > c, both proved
     * at prep (see z_bracket in prep.c); in between Phi is evaluated. */
    double *zlo, *zhi; /* S*K*K */

    /* Everything the regime path and the block fractions of a path depend on
     * besides its uniforms (steps 1-2), as bytes: equal bytes mean equal
     * regimes and blocks on equal uniforms. rkey is a fixed size for given
     * S, K, M (ckp_prep_rkey_bytes). */
    unsigned char *rkey;
    size_t nrkey;
    /* What gaps and spare capacity (step 3) add to that: routes and spare. */
    unsigned char *gkey;
    size_t ngkey;
};

/* As ckp_prep_create, but when `like` (a prep of the model `like_model`,
 * e.g. the baseline's) was made from a bitwise equal A*, its radius check
 * and Leontief inverse are reused instead of computed again. Either may be
 * NULL. `like` must outlive nothing: the inverse is reference counted. */
ckp_status ckp_prep_create_like(const ckp_model *m, const ckp_model *like_model,
                                const ckp_prep *like, ckp_prep **out, ckp_error *err);

size_t ckp_prep_rkey_bytes(int S, int K, int M);
/* Fill p's stage keys rkey, gkey and pkey (cache.c) from m and the rest of p;
 * -1 when out of memory. */
int ckp_stage_keys(const ckp_model *m, ckp_prep *p);
size_t ckp_prep_gkey_bytes(const ckp_model *m);

#endif
