/* chokepoint bench: the floor, the machine's own limit for a scenario's work.
 *
 * A loop that only draws the uniforms the model needs and computes its
 * inverse normals (regime uniforms, and the copula's normals when suppliers
 * are correlated, multiplied by the Cholesky factor and compared with Phi^-1
 * of the cumulative transition rows, so no Phi is evaluated; severity
 * uniforms only for suppliers whose regime changed, the others jumped over in
 * one multiply-add; price-noise normals; jump sizes only where a jump
 * happens). The regime transitions are kept because they decide which
 * severity uniforms are needed. ckp_bench_floor_check proves that it draws
 * exactly the model's uniforms (against ckp_path_uniforms). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "chokepoint/rng.h"
#include "chokepoint/sim.h"
#include "engine/bench/bench_impl.h"
#include "engine/linalg/linalg.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/sim/sim_impl.h"

__extension__ typedef unsigned __int128 u128;

/* ---- a private PCG64 for the floor -----------------------------------------
 * The same generator as rng.c (checked against it in --check), inlined so the
 * floor measures the generator and nothing else. */
#define PCG_MULT (((u128)0x2360ED051FC65DA4ULL << 64) | 0x4385DF649FCCF645ULL)

typedef struct fpcg {
    u128 state, inc;
} fpcg;

/* Advancing by a fixed distance d is state <- a_d state + c_d. */
typedef struct jump {
    u128 a, c;
} jump;

static inline u128 to128(ckp_u128 v)
{
    return ((u128)v.hi << 64) | v.lo;
}

static inline uint64_t fpcg_next(fpcg *g)
{
    g->state = g->state * PCG_MULT + g->inc;
    uint64_t hi = (uint64_t)(g->state >> 64), lo = (uint64_t)g->state;
    unsigned rot = (unsigned)(hi >> 58);
    uint64_t x = hi ^ lo;
    return (x >> rot) | (x << ((64 - rot) & 63));
}

static inline double fpcg_unif(fpcg *g)
{
    return ((double)(fpcg_next(g) >> 12) + 0.5) * 0x1p-52;
}

static inline void fpcg_jump(fpcg *g, const jump *j)
{
    g->state = g->state * j->a + j->c;
}

/* The affine map of ckp_pcg64_advance by `d` steps for increment inc, read
 * off the library: from state 0 it gives c, from state 1 it gives a + c. */
static jump make_jump(ckp_u128 inc, ckp_u128 d)
{
    ckp_pcg64 g0 = {{0, 0}, inc}, g1 = {{0, 1}, inc};
    ckp_pcg64_advance(&g0, d);
    ckp_pcg64_advance(&g1, d);
    jump j;
    j.c = to128(g0.state);
    j.a = to128(g1.state) - j.c;
    return j;
}

/* ---- the floor --------------------------------------------------------------- */
typedef struct floor_ctx {
    const ckp_model *m;
    const ckp_layout *lay;
    ckp_pcg64 base;
    jump path_jump; /* the path stride J */
    jump *skip;     /* skip[k]: k steps, k <= max(S*M, M) */
    double *cumP;   /* S*K*K cumulative transition rows */
    double *cumI;   /* S*K cumulative initial distributions */
    double *Lc;     /* S*S Cholesky of R, or NULL when R is the identity */
    double *zcumP;  /* with Lc: Phi^-1 of cumP, so the copula needs no Phi */
} floor_ctx;

typedef struct floor_scratch {
    int *regime;
    unsigned char *changed;
    double *z, *v;
    const double *ref; /* --check: the path's uniforms from ckp_path_uniforms */
    size_t pos;        /* position in the path's uniform sequence */
    long mismatches;
} floor_scratch;

static inline double draw(fpcg *g, floor_scratch *w)
{
    double u = fpcg_unif(g);
    if (w->ref && u != w->ref[w->pos])
        w->mismatches++;
    w->pos++;
    return u;
}

static inline void skip(fpcg *g, const floor_ctx *c, floor_scratch *w, size_t n)
{
    if (n) {
        fpcg_jump(g, &c->skip[n]);
        w->pos += n;
    }
}

static int cum_pick(const double *cum, int K, double u)
{
    for (int k = 0; k < K; k++)
        if (u <= cum[k])
            return k;
    return K - 1;
}

/* One path of the floor; returns a value that depends on every normal. */
static double floor_path(const floor_ctx *c, floor_scratch *w, fpcg *g)
{
    const ckp_model *m = c->m;
    int S = m->S, K = m->K, M = m->M, T = m->T;
    double acc = 0;
    w->pos = 0;
    for (int s = 0; s < S; s++)
        w->regime[s] = cum_pick(c->cumI + (size_t)s * K, K, draw(g, w));
    for (int t = 0; t < T; t++) {
        /* regimes: the transition is kept because it decides which severity
         * uniforms are needed */
        if (c->Lc) {
            for (int s = 0; s < S; s++)
                w->z[s] = ckp_norm_inv(draw(g, w));
            /* Phi(a) <= c  <=>  a <= Phi^-1(c): compared in normal space */
            for (int s = 0; s < S; s++) {
                double a = 0;
                for (int j = 0; j <= s; j++)
                    a += c->Lc[(size_t)s * S + j] * w->z[j];
                w->v[s] = a;
                acc += a;
            }
        } else {
            for (int s = 0; s < S; s++)
                w->v[s] = draw(g, w);
        }
        const double *cum = c->Lc ? c->zcumP : c->cumP;
        for (int s = 0; s < S; s++) {
            int k = cum_pick(cum + ((size_t)s * K + w->regime[s]) * K, K, w->v[s]);
            w->changed[s] = t == 0 || k != w->regime[s];
            w->regime[s] = k;
        }
        /* severity: M uniforms per changed supplier, runs of others jumped */
        size_t pending = 0;
        for (int s = 0; s < S; s++) {
            if (w->changed[s]) {
                skip(g, c, w, pending);
                pending = 0;
                for (int k = 0; k < M; k++)
                    acc += draw(g, w);
            } else {
                pending += (size_t)M;
            }
        }
        skip(g, c, w, pending);
        /* price noise, jump indicators, jump sizes where a jump happens */
        for (int k = 0; k < M; k++)
            acc += ckp_norm_inv(draw(g, w));
        for (int k = 0; k < M; k++)
            w->changed[k] = draw(g, w) < m->lambda[k];
        pending = 0;
        for (int k = 0; k < M; k++) {
            if (w->changed[k]) {
                skip(g, c, w, pending);
                pending = 0;
                acc += ckp_norm_inv(draw(g, w));
            } else {
                pending++;
            }
        }
        skip(g, c, w, pending);
    }
    return acc;
}

static int floor_init(floor_ctx *c, const ckp_model *m, const ckp_layout *lay, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    c->lay = lay;
    ckp_pcg64_from_seed(&c->base, seed);
    c->path_jump = make_jump(c->base.inc, CKP_PATH_STRIDE);
    int S = m->S, K = m->K, M = m->M;
    size_t nskip = (size_t)S * M > (size_t)M ? (size_t)S * M : (size_t)M;
    c->skip = malloc(sizeof(jump) * (nskip + 1));
    c->cumP = malloc(sizeof(double) * (size_t)S * K * K);
    c->cumI = malloc(sizeof(double) * (size_t)S * K);
    if (!c->skip || !c->cumP || !c->cumI)
        return -1;
    for (size_t k = 0; k <= nskip; k++)
        c->skip[k] = make_jump(c->base.inc, (ckp_u128){0, k});
    for (int s = 0; s < S; s++) {
        for (int k = 0; k <= K; k++) {
            const double *row = k < K ? m->P + ((size_t)s * K + k) * K : m->init + (size_t)s * K;
            double *out = k < K ? c->cumP + ((size_t)s * K + k) * K : c->cumI + (size_t)s * K;
            double a = 0;
            for (int j = 0; j < K; j++)
                out[j] = a += row[j];
        }
    }
    if (!m->corr_identity) {
        c->Lc = malloc(sizeof(double) * (size_t)S * S);
        c->zcumP = malloc(sizeof(double) * (size_t)S * K * K);
        if (!c->Lc || !c->zcumP || ckp_linalg_cholesky(m->corr, S, c->Lc) != 0)
            return -1;
        for (size_t i = 0; i < (size_t)S * K * K; i++)
            c->zcumP[i] = c->cumP[i] >= 1.0 ? INFINITY : ckp_norm_inv(c->cumP[i]);
    }
    return 0;
}

static void floor_free(floor_ctx *c)
{
    free(c->skip);
    free(c->cumP);
    free(c->cumI);
    free(c->Lc);
    free(c->zcumP);
}

static int scratch_init(floor_scratch *w, const ckp_model *m)
{
    memset(w, 0, sizeof *w);
    size_t n = (size_t)(m->S > m->M ? m->S : m->M);
    w->regime = malloc(sizeof(int) * n);
    w->changed = malloc(n);
    w->z = malloc(sizeof(double) * n);
    w->v = malloc(sizeof(double) * n);
    return (w->regime && w->changed && w->z && w->v) ? 0 : -1;
}

static void scratch_free(floor_scratch *w)
{
    free(w->regime);
    free(w->changed);
    free(w->z);
    free(w->v);
}

/* Paths [first, first + n): the first generator by the library's O(log p)
 * jump, each next one by the stride's multiply-add. */
static double floor_range(const floor_ctx *c, floor_scratch *w, int64_t first, int64_t n)
{
    ckp_pcg64 p0;
    ckp_pcg64_path(&p0, &c->base, (uint64_t)first);
    fpcg g = {to128(p0.state), to128(p0.inc)};
    double acc = 0;
    for (int64_t p = 0; p < n; p++) {
        fpcg h = g;
        acc += floor_path(c, w, &h);
        fpcg_jump(&g, &c->path_jump);
    }
    return acc;
}

double ckp_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double ckp_bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds for the floor over `paths` paths on `threads` threads. */
static double floor_time(const floor_ctx *c, int64_t paths, int threads, double *sink)
{
    int nt = threads > 0 ? threads : 1;
    double t0 = ckp_bench_now(), total = 0;
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : total) reduction(| : failed)
#endif
    {
        int id = 0, n = 1;
#ifdef _OPENMP
        id = omp_get_thread_num();
        n = omp_get_num_threads();
#endif
        floor_scratch w;
        if (scratch_init(&w, c->m) == 0) {
            int64_t lo = paths * id / n, hi = paths * (id + 1) / n;
            total += floor_range(c, &w, lo, hi - lo);
        } else {
            failed = 1;
        }
        scratch_free(&w);
    }
    (void)nt;
    *sink = total;
    return failed ? -1 : ckp_bench_now() - t0;
}

int ckp_bench_floor(const ckp_scenario *sc, int64_t paths, int threads, int repeat, double *wall,
                    double *cpu, double *checksum)
{
    const ckp_model *m = &sc->models[0];
    ckp_layout lay;
    ckp_layout_init(&lay, m);
    floor_ctx fc;
    *wall = *cpu = INFINITY;
    if (floor_init(&fc, m, &lay, sc->seed) != 0) {
        floor_free(&fc);
        return -1;
    }
    for (int rep = 0; rep < repeat; rep++) {
        double c0 = ckp_bench_cpu_now();
        double dt = floor_time(&fc, paths, threads, checksum);
        double dc = ckp_bench_cpu_now() - c0;
        if (dt >= 0 && dt < *wall)
            *wall = dt;
        if (dt >= 0 && dc < *cpu)
            *cpu = dc;
    }
    floor_free(&fc);
    return isfinite(*wall) ? 0 : -1;
}

int ckp_bench_floor_check(const ckp_scenario *sc, const char *name, int64_t paths)
{
    const ckp_model *m = &sc->models[0];
    ckp_layout lay;
    ckp_layout_init(&lay, m);
    floor_ctx fc;
    floor_scratch w;
    int fails = 0;
    double *u = malloc(sizeof(double) * lay.uniforms);
    int bad = floor_init(&fc, m, &lay, sc->seed) != 0;
    bad |= scratch_init(&w, m) != 0;
    if (!u || bad) {
        fprintf(stderr, "check %s: out of memory\n", name);
        free(u);
        scratch_free(&w);
        floor_free(&fc);
        return 1;
    }
    /* the inlined generator is the library's, step for step */
    ckp_pcg64 lib;
    ckp_pcg64_path(&lib, &fc.base, 7);
    fpcg g = {to128(lib.state), to128(lib.inc)};
    for (int k = 0; k < 1000; k++)
        if (fpcg_next(&g) != ckp_pcg64_next(&lib)) {
            fprintf(stderr, "check %s: inlined PCG64 differs from rng.c at step %d\n", name, k);
            fails++;
            break;
        }
    /* every uniform the floor draws is the model's uniform at that position,
     * and the floor walks exactly the path's whole sequence */
    ckp_pcg64 p0;
    ckp_pcg64_path(&p0, &fc.base, 0);
    fpcg gp = {to128(p0.state), to128(p0.inc)};
    long long drawn_total = 0;
    for (int64_t p = 0; p < paths; p++) {
        ckp_pcg64_path(&lib, &fc.base, (uint64_t)p);
        if (gp.state != to128(lib.state)) {
            fprintf(stderr, "check %s: path stride jump wrong at path %lld\n", name, (long long)p);
            fails++;
            break;
        }
        ckp_path_uniforms(&lay, &fc.base, (uint64_t)p, 0, u);
        w.ref = u;
        w.mismatches = 0;
        fpcg h = gp;
        floor_path(&fc, &w, &h);
        fpcg end = {to128(lib.state), to128(lib.inc)};
        for (size_t k = 0; k < lay.uniforms; k++)
            fpcg_next(&end);
        if (w.mismatches || w.pos != lay.uniforms || h.state != end.state) {
            fprintf(stderr,
                    "check %s: floor path %lld: %ld uniforms differ from ckp_path_uniforms, "
                    "walked %zu of %zu\n",
                    name, (long long)p, w.mismatches, w.pos, lay.uniforms);
            fails++;
            break;
        }
        drawn_total += (long long)w.pos;
        fpcg_jump(&gp, &fc.path_jump);
    }
    (void)drawn_total;
    free(u);
    scratch_free(&w);
    floor_free(&fc);
    return fails;
}
