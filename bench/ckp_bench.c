/* chokepoint benchmark: engine throughput side by side with the machine's limits.
 *
 * For each scenario (the built-in default, the generated `wide` and `io-large`,
 * or a file) and thread count it times ckp_run over all policies and, in the
 * same process, the FLOOR: a loop that only draws the uniforms the model needs
 * and computes its inverse normals (regime uniforms, and the copula's normals
 * when suppliers are correlated, multiplied by the Cholesky factor and compared
 * with Phi^-1 of the cumulative transition rows, so no Phi is evaluated;
 * severity uniforms only for suppliers whose regime changed, the others jumped
 * over in one multiply-add; price-noise normals; jump sizes only where a jump
 * happens). The regime transitions are kept because they decide which severity
 * uniforms are needed. Where industries are many it
 * also measures cblas_dgemm on the propagation's shape, and estimates the rate
 * of propagation itself as 2 I^2 flops per shocked policy-path-month over the
 * time the full scenario takes beyond its one-industry twin (same suppliers
 * and materials, hence the same shocks).
 *
 * Every case runs in its own forked child, so its peak RSS (getrusage of the
 * child) is that case's alone. Output: a table on stdout and one JSON line per
 * case (lines starting with '{').
 *
 * `--check` is the tiny run registered as a test: it proves the floor draws
 * exactly the model's uniforms (against ckp_path_uniforms), then runs every
 * scenario briefly through the same code and fails on any inconsistency. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "chokepoint/output.h"
#include "engine/run/run_impl.h"
#include "chokepoint/rng.h"
#include "chokepoint/run.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"
#include "engine/linalg/linalg.h"
#include "engine/scenario/scenario_impl.h"
#include "dgemm.h"
#include "gen.h"
#include "engine/sim/sim_impl.h"

/* pid_t and wait4 need more than POSIX.1-2008 on glibc. */
extern pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru);

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
    jump path_jump;    /* the path stride J */
    jump *skip;        /* skip[k]: k steps, k <= max(S*M, M) */
    double *cumP;      /* S*K*K cumulative transition rows */
    double *cumI;      /* S*K cumulative initial distributions */
    double *Lc;        /* S*S Cholesky of R, or NULL when R is the identity */
    double *zcumP;     /* with Lc: Phi^-1 of cumP, so the copula needs no Phi */
} floor_ctx;

typedef struct floor_scratch {
    int *regime;
    unsigned char *changed;
    double *z, *v;
    const double *ref;  /* --check: the path's uniforms from ckp_path_uniforms */
    size_t pos;         /* position in the path's uniform sequence */
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds for the floor over `paths` paths on `threads` threads. */
static double floor_time(const floor_ctx *c, int64_t paths, int threads, double *sink)
{
    int nt = threads > 0 ? threads : 1;
    double t0 = now(), total = 0;
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
    return failed ? -1 : now() - t0;
}

/* ---- cases ---------------------------------------------------------------- */
typedef struct opts {
    int64_t paths;       /* 0: per-scenario default */
    int repeat;
    int quick;
    int month_stats;     /* passed to ckp_run_options.month_stats */
    const char *h5_dir;  /* write each run's HDF5 results here (then delete them) */
    const char *emit_dir;
} opts;

typedef struct result {
    int ok;
    char name[64];
    char error[2048]; /* as ckp_error.message */
    int threads, S, M, I, T, K, npol, month_stats, h5;
    int64_t paths;
    double seconds;       /* steady state: total_seconds - setup_seconds */
    double total_seconds, setup_seconds, floor_seconds;
    double cpu_seconds, cpu_setup_seconds, floor_cpu_seconds; /* process CPU time */
    double dgemm_gflops, dgemm_sq_gflops, prop_gflops, prop_seconds, shocked_frac;
    double sim_prop_gflops, sim_prop_seconds; /* propagation inside ckp_sim_path alone */
    double checksum, floor_checksum;
    long peak_rss_kb;
} result;

/* Counts what the sink saw, and folds one value of every record in, so the
 * records are really read. */
typedef struct count_sink {
    int64_t paths;
    double sum;
    const ckp_sink *next;  /* forwarded to (the HDF5 writer), or NULL */
} count_sink;

static ckp_status count_write(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                              int npol, const double *const *records, ckp_error *err)
{
    count_sink *cs = ctx;
    (void)first_path;
    (void)err;
    for (int k = 0; k < npol; k++)
        for (int64_t p = 0; p < n; p++)
            cs->sum += records[k][(size_t)p * lay->record + CKP_M_LOSS_TOTAL];
    cs->paths += n;
    if (cs->next)
        return cs->next->write_batch(cs->next->ctx, lay, first_path, n, npol, records, err);
    return CKP_OK;
}

static int load_case(const char *name, int months, int industries, ckp_scenario **sc,
                     ckp_error *err, const char *emit_dir)
{
    gen_spec sp;
    if (strcmp(name, "default") == 0)
        return ckp_scenario_load_default(sc, err) == CKP_OK ? 0 : -1;
    if (gen_preset(name, &sp) != 0) {
        return ckp_scenario_load_file(name, sc, err) == CKP_OK ? 0 : -1;
    }
    if (months > 0)
        sp.T = months;
    if (industries > 0)
        sp.I = industries;
    char *text;
    size_t len;
    /* big tables go to a CSV beside the emitted YAML, or a temporary file */
    char csv[1024] = "";
    if ((size_t)sp.I * (size_t)sp.I > 250000) {
        if (emit_dir) {
            snprintf(csv, sizeof csv, "%s/%s-z.csv", emit_dir, name);
        } else {
            snprintf(csv, sizeof csv, "/tmp/ckp_bench_z_XXXXXX");
            int fd = mkstemp(csv);
            if (fd < 0) {
                ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "mkstemp: %s", strerror(errno));
                return -1;
            }
            close(fd);
        }
        sp.z_csv = csv;
    }
    int gst = gen_yaml(&sp, &text, &len);
    if (gst != 0) {
        ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "cannot generate %s (memory or %s)",
                      name, csv[0] ? csv : "-");
        if (csv[0] && !emit_dir)
            unlink(csv);
        return -1;
    }
    if (emit_dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.yaml", emit_dir, name);
        FILE *f = fopen(path, "w");
        if (f) {
            fwrite(text, 1, len, f);
            fclose(f);
        }
    }
    ckp_status st = ckp_scenario_load_string(text, len, name, NULL, sc, err);
    free(text);
    if (csv[0] && !emit_dir)
        unlink(csv);
    return st == CKP_OK ? 0 : -1;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run_once(const ckp_scenario *sc, int64_t paths, int threads, const opts *op,
                    double *secs, double *cpu, double *checksum, ckp_error *err)
{
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = paths;
    o.first_path = 0;
    o.threads = threads;
    o.antithetic = sc->antithetic && paths % 2 == 0;
    o.month_stats = op->month_stats;
    count_sink cs = {0, 0, NULL};
    ckp_sink sink = {&cs, count_write};
    ckp_run_result *res = NULL;
    ckp_output *out = NULL;
    ckp_plan *plan = NULL; /* with a file: the writer takes the run's plan */
    char h5[1024];
    double t0 = now(), c0 = cpu_now();
    if (op->h5_dir) {
        /* the whole of `chokepoint run`: records streamed to HDF5, summaries
         * read back and written at the end */
        ckp_output_options oo;
        ckp_output_options_default(&oo);
        oo.force = 1;
        snprintf(h5, sizeof h5, "%s/ckp_bench_%ld.h5", op->h5_dir, (long)getpid());
        if (ckp_plan_create(sc, &o, &plan, err) != CKP_OK)
            return -1;
        if (ckp_output_open(h5, plan, &oo, &out, err) != CKP_OK) {
            ckp_plan_free(plan);
            return -1;
        }
        cs.next = ckp_output_sink(out);
    }
    ckp_status st = plan ? ckp_run_plan(plan, &sink, &res, err) : ckp_run(sc, &o, &sink, &res, err);
    if (out) {
        if (st == CKP_OK)
            st = ckp_output_finish(out, res, err);
        else
            ckp_output_abort(out);
        unlink(h5);
    }
    ckp_plan_free(plan);
    *secs = now() - t0;
    *cpu = cpu_now() - c0;
    if (st != CKP_OK) {
        ckp_run_result_free(res);
        return -1;
    }
    *checksum = cs.sum;
    int bad = cs.paths != paths;
    ckp_run_result_free(res);
    if (bad) {
        ckp_error_set(err, CKP_ERR_INTERNAL, NULL, 0, 0, NULL, "sink saw %lld of %lld paths",
                      (long long)cs.paths, (long long)paths);
        return -1;
    }
    return 0;
}

/* Shocked policy-path-months (some material short, so propagation has work),
 * counted on the one-industry twin with the trace. */
static int64_t count_shocked_policy(const ckp_scenario *tw, int64_t paths, int only);

static int64_t count_shocked(const ckp_scenario *tw, int64_t paths)
{
    return count_shocked_policy(tw, paths, -1);
}

/* `only` >= 0: that policy alone. */
static int64_t count_shocked_policy(const ckp_scenario *tw, int64_t paths, int only)
{
    ckp_layout lay;
    ckp_layout_init(&lay, &tw->models[0]);
    ckp_work *w = NULL;
    ckp_error err;
    if (ckp_work_create(tw, &w, &err) != CKP_OK)
        return -1;
    int T = tw->T, M = tw->M;
    double *u = malloc(sizeof(double) * lay.uniforms);
    double *rec = malloc(sizeof(double) * lay.record);
    double *x = malloc(sizeof(double) * (size_t)T * M);
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, tw->seed);
    int64_t shocked = 0;
    for (int k = 0; k < tw->npolicies && u && rec && x; k++) {
        if (only >= 0 && k != only)
            continue;
        ckp_prep *prep = NULL;
        if (ckp_prep_create(&tw->models[k], &prep, &err) != CKP_OK) {
            shocked = -1;
            break;
        }
        for (int64_t p = 0; p < paths; p++) {
            ckp_trace tr;
            memset(&tr, 0, sizeof tr);
            tr.shortfall = x;
            ckp_path_uniforms(&lay, &base, (uint64_t)p, 0, u);
            ckp_sim_path(&tw->models[k], prep, &lay, w, u, rec, NULL, &tr);
            for (int t = 0; t < T; t++) {
                int any = 0;
                for (int m = 0; m < M; m++)
                    any |= x[(size_t)t * M + m] > 0;
                shocked += any;
            }
        }
        ckp_prep_free(prep);
    }
    free(u);
    free(rec);
    free(x);
    ckp_work_free(w);
    return shocked;
}

/* Best-of-repeat wall and CPU time of a run of `paths` paths, and their
 * steady state: the fixed cost of a run (policy preparation: Cholesky factors,
 * the spectral radius and the Leontief inverse of A*) is measured by a run of
 * a few paths and taken out, because a production run of 10^6 paths amortises
 * it. Index 0 is the steady time, 1 the total, 2 the setup. Process CPU time
 * (all threads) is kept beside wall time because the machine is shared: on one
 * thread it is what the run would take alone. A run longer than 20 s is not
 * repeated. */
static int steady_time(const ckp_scenario *sc, int64_t paths, int threads, const opts *op,
                       double *checksum, double wall[3], double cpu[3], ckp_error *err)
{
    int64_t small = 2 * (int64_t)threads;
    double *tm[2] = {wall, cpu};
    for (int k = 0; k < 2; k++) {
        tm[k][1] = INFINITY;
        tm[k][2] = 0;
    }
    for (int rep = 0; rep < op->repeat; rep++) {
        double dt, dc;
        if (run_once(sc, paths, threads, op, &dt, &dc, checksum, err) != 0)
            return -1;
        wall[1] = dt < wall[1] ? dt : wall[1];
        cpu[1] = dc < cpu[1] ? dc : cpu[1];
        if (dt > 20)
            break;
    }
    wall[0] = wall[1];
    cpu[0] = cpu[1];
    if (paths < 8 * small)
        return 0;
    double best[2] = {INFINITY, INFINITY}, cks;
    for (int rep = 0; rep < op->repeat; rep++) {
        double dt, dc;
        if (run_once(sc, small, threads, op, &dt, &dc, &cks, err) != 0)
            return -1;
        best[0] = dt < best[0] ? dt : best[0];
        best[1] = dc < best[1] ? dc : best[1];
        if (dt > 20)
            break;
    }
    for (int k = 0; k < 2; k++) {
        /* the small run's own paths cost (small / paths) of the steady time */
        double per_path = (tm[k][1] - best[k]) / (double)(paths - small);
        if (per_path > 0) {
            tm[k][2] = best[k] - per_path * (double)small;
            if (tm[k][2] < 0)
                tm[k][2] = 0;
            tm[k][0] = tm[k][1] - tm[k][2];
        }
    }
    return 0;
}

/* Seconds ckp_sim_path takes over `paths` paths of the baseline policy, on
 * this thread, with the preparation and the uniforms made beforehand and no
 * per-month observables: the simulation alone, without run overheads. */
static double sim_seconds(const ckp_scenario *sc, int64_t paths)
{
    ckp_layout lay;
    ckp_layout_init(&lay, &sc->models[0]);
    ckp_work *w = NULL;
    ckp_prep *prep = NULL;
    ckp_error err;
    double secs = -1;
    double *u = malloc(sizeof(double) * lay.uniforms * (size_t)paths);
    double *rec = malloc(sizeof(double) * lay.record);
    if (u && rec && ckp_work_create(sc, &w, &err) == CKP_OK &&
        ckp_prep_create(&sc->models[0], &prep, &err) == CKP_OK) {
        ckp_pcg64 base;
        ckp_pcg64_from_seed(&base, sc->seed);
        for (int64_t p = 0; p < paths; p++)
            ckp_path_uniforms(&lay, &base, (uint64_t)p, 0, u + lay.uniforms * (size_t)p);
        double best = INFINITY;
        for (int rep = 0; rep < 2; rep++) {
            double t0 = now();
            for (int64_t p = 0; p < paths; p++)
                ckp_sim_path(&sc->models[0], prep, &lay, w, u + lay.uniforms * (size_t)p, rec,
                             NULL, NULL);
            double dt = now() - t0;
            best = dt < best ? dt : best;
        }
        secs = best;
    }
    ckp_prep_free(prep);
    ckp_work_free(w);
    free(u);
    free(rec);
    return secs;
}

static void run_case(const char *name, int threads, int64_t paths, int months, int industries,
                     int want_prop, const opts *op, result *r)
{
    ckp_scenario *sc = NULL, *twin = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->threads = threads;
    r->month_stats = op->month_stats;
    r->h5 = op->h5_dir != NULL;
    if (load_case(name, months, industries, &sc, &err, op->emit_dir) != 0) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
        return;
    }
    const ckp_model *m = &sc->models[0];
    r->S = m->S;
    r->M = m->M;
    r->I = m->I;
    r->T = m->T;
    r->K = m->K;
    r->npol = sc->npolicies;
    r->paths = paths;
    r->floor_seconds = INFINITY;
    double wall[3], cpu[3];
    if (steady_time(sc, paths, threads, op, &r->checksum, wall, cpu, &err) != 0) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
        ckp_scenario_free(sc);
        return;
    }
    r->seconds = wall[0];
    r->total_seconds = wall[1];
    r->setup_seconds = wall[2];
    r->cpu_seconds = cpu[0];
    r->cpu_setup_seconds = cpu[2];
    ckp_layout lay;
    ckp_layout_init(&lay, m);
    floor_ctx fc;
    if (floor_init(&fc, m, &lay, sc->seed) != 0) {
        snprintf(r->error, sizeof r->error, "floor: out of memory or bad correlation");
        floor_free(&fc);
        ckp_scenario_free(sc);
        return;
    }
    r->floor_cpu_seconds = INFINITY;
    for (int rep = 0; rep < op->repeat; rep++) {
        double c0 = cpu_now();
        double dt = floor_time(&fc, paths, threads, &r->floor_checksum);
        double dc = cpu_now() - c0;
        if (dt >= 0 && dt < r->floor_seconds)
            r->floor_seconds = dt;
        if (dt >= 0 && dc < r->floor_cpu_seconds)
            r->floor_cpu_seconds = dc;
    }
    floor_free(&fc);
    if (want_prop) {
        int cols = 256;
        r->dgemm_gflops = bench_dgemm_rate(m->I, m->I, cols, 3);
        r->dgemm_sq_gflops = bench_dgemm_rate(m->I, m->I, m->I, 2);
        if (load_case(name, months, 1, &twin, &err, NULL) == 0) {
            double tw[3], tc[3], cks, tt = INFINITY;
            if (steady_time(twin, paths, threads, op, &cks, tw, tc, &err) == 0)
                tt = tw[0];
            int64_t shocked = count_shocked(twin, paths);
            /* the same on the simulation alone (baseline policy, 1 thread) */
            int64_t sp = paths < 256 ? paths : 256;
            int64_t shocked0 = count_shocked_policy(twin, sp, 0);
            double t_full = sim_seconds(sc, sp), t_twin = sim_seconds(twin, sp);
            r->sim_prop_seconds = t_full - t_twin;
            if (t_full > 0 && t_twin >= 0 && r->sim_prop_seconds > 0 && shocked0 >= 0)
                r->sim_prop_gflops = 2.0 * m->I * (double)m->I * (double)shocked0 /
                                     r->sim_prop_seconds * 1e-9;
            r->shocked_frac = (double)shocked / ((double)paths * m->T * sc->npolicies);
            r->prop_seconds = r->seconds - tt;
            if (r->prop_seconds > 0 && shocked >= 0)
                r->prop_gflops = 2.0 * m->I * (double)m->I * (double)shocked / r->prop_seconds *
                                 1e-9 / threads;
            ckp_scenario_free(twin);
        }
    }
    r->ok = 1;
    ckp_scenario_free(sc);
}

/* Run one case in a child; its rusage gives the case's own peak RSS. */
static void fork_case(const char *name, int threads, int64_t paths, int months, int industries,
                      int want_prop, const opts *op, result *r)
{
    memset(r, 0, sizeof *r);
    int fd[2];
    fflush(stdout);
    if (pipe(fd) != 0) {
        snprintf(r->error, sizeof r->error, "pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->error, sizeof r->error, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return;
    }
    if (pid == 0) {
        close(fd[0]);
        result cr;
        memset(&cr, 0, sizeof cr);
        run_case(name, threads, paths, months, industries, want_prop, op, &cr);
        ssize_t nw = write(fd[1], &cr, sizeof cr);
        exit(nw == (ssize_t)sizeof cr ? 0 : 1); /* exit, not _exit: LeakSanitizer runs */
    }
    close(fd[1]);
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fd[0], (char *)r + got, sizeof *r - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    wait4(pid, &status, 0, &ru);
    if (got != sizeof *r) {
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", name);
        snprintf(r->error, sizeof r->error, "child died (status %d)", status);
        return;
    }
    r->peak_rss_kb = ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* e.g. LeakSanitizer's verdict in a sanitizer build */
        r->ok = 0;
        snprintf(r->error, sizeof r->error, "child exited with status %d", status);
    }
}

static void print_header(void)
{
    printf("%-10s %3s %9s %4s %4s %5s %4s %12s %13s %16s %8s %10s %10s %6s %10s %11s %9s\n",
           "scenario",
           "thr", "paths", "S", "M", "I", "pol", "paths/s", "path-months/s", "pol-path-mon/s",
           "ns/p-m", "floor p-m/s", "x floor", "RSS MB", "cpu ns/p-m", "cpu x floor",
           "prop GF/s");
}

static void print_result(const result *r, const char *tag)
{
    if (!r->ok) {
        printf("%-10s %3d  FAILED: %s\n", r->name, r->threads, r->error);
        return;
    }
    double pm = (double)r->paths * r->T;
    printf("%-10s %3d %9lld %4d %4d %5d %4d %12.4g %13.4g %16.4g %8.1f %10.4g %10.2f %6.1f ",
           r->name, r->threads, (long long)r->paths, r->S, r->M, r->I, r->npol,
           r->paths / r->seconds, pm / r->seconds, pm * r->npol / r->seconds,
           r->seconds / pm * 1e9, pm / r->floor_seconds, r->seconds / r->floor_seconds,
           r->peak_rss_kb / 1024.0);
    printf("%10.1f %11.2f ", r->cpu_seconds / pm * 1e9, r->cpu_seconds / r->floor_cpu_seconds);
    if (r->dgemm_gflops > 0)
        printf("%9.3g (sim alone %.3g, dgemm %.3g)", r->prop_gflops, r->sim_prop_gflops,
               r->dgemm_gflops);
    printf("\n");
    printf("{\"case\":\"%s\",\"tag\":\"%s\",\"threads\":%d,\"paths\":%lld,\"S\":%d,\"K\":%d,"
           "\"M\":%d,\"I\":%d,\"months\":%d,\"policies\":%d,\"seconds\":%.6g,"
           "\"paths_per_s\":%.6g,\"path_months_per_s\":%.6g,"
           "\"policy_path_months_per_s\":%.6g,\"ns_per_path_month\":%.6g,"
           "\"ns_per_policy_path_month\":%.6g,\"floor_seconds\":%.6g,"
           "\"floor_path_months_per_s\":%.6g,\"run_over_floor\":%.6g,\"peak_rss_kb\":%ld,"
           "\"month_stats\":%d,\"h5\":%d,\"total_seconds\":%.6g,\"setup_seconds\":%.6g,"
           "\"cpu_seconds\":%.6g,\"cpu_ns_per_path_month\":%.6g,"
           "\"floor_cpu_ns_per_path_month\":%.6g,\"cpu_run_over_floor\":%.6g",
           r->name, tag, r->threads, (long long)r->paths, r->S, r->K, r->M, r->I, r->T, r->npol,
           r->seconds, r->paths / r->seconds, pm / r->seconds, pm * r->npol / r->seconds,
           r->seconds / pm * 1e9, r->seconds / (pm * r->npol) * 1e9, r->floor_seconds,
           pm / r->floor_seconds, r->seconds / r->floor_seconds, r->peak_rss_kb,
           r->month_stats, r->h5, r->total_seconds, r->setup_seconds, r->cpu_seconds,
           r->cpu_seconds / pm * 1e9, r->floor_cpu_seconds / pm * 1e9,
           r->cpu_seconds / r->floor_cpu_seconds);
    if (r->dgemm_gflops > 0)
        printf(",\"dgemm_gflops\":%.6g,\"dgemm_square_gflops\":%.6g,\"prop_gflops\":%.6g,"
               "\"prop_seconds\":%.6g,\"shocked_fraction\":%.6g,\"sim_prop_gflops\":%.6g,"
               "\"sim_prop_seconds\":%.6g",
               r->dgemm_gflops, r->dgemm_sq_gflops, r->prop_gflops, r->prop_seconds,
               r->shocked_frac, r->sim_prop_gflops, r->sim_prop_seconds);
    printf("}\n");
    fflush(stdout);
}

static int64_t default_paths(const char *name, const opts *op)
{
    int64_t p = strcmp(name, "io-large") == 0 ? 512 : strcmp(name, "wide") == 0 ? 2000 : 50000;
    if (op->paths > 0)
        p = op->paths;
    if (op->quick)
        p = p / 10 > 8 ? p / 10 : 8;
    return p;
}

/* ---- the sweep ---------------------------------------------------------------- */
static int sweep(const opts *op)
{
    /* Cost against one dimension at a time, the others at the sweep base
     * (S=10, M=8, I=20, T=60, 3 policies: the baseline and 2 generated). Scenarios are generated in the
     * child from the spec, so this writes them to a temporary file. */
    static const struct {
        char dim;
        int v[6];
    } axes[] = {
        {'S', {5, 10, 20, 40, 80, 0}},  {'M', {2, 4, 8, 16, 32, 0}},
        {'I', {5, 20, 80, 320, 1000, 0}}, {'T', {12, 60, 240, 0, 0, 0}},
        {'P', {1000, 10000, 100000, 0, 0, 0}},
    };
    int failures = 0;
    printf("# sweep: one dimension at a time from S=10 M=8 I=20 T=60, 1 thread\n");
    printf("# times are process CPU time (1 thread; robust on a shared machine)\n");
    printf("%-3s %7s %10s %12s %14s %14s %10s %8s\n", "dim", "value", "paths", "ns/p-m",
           "ns/pol-p-m", "floor ns/p-m", "x floor", "RSS MB");
    for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++) {
        for (int k = 0; k < 6 && axes[a].v[k]; k++) {
            gen_spec sp;
            gen_preset("sweep", &sp);
            int v = axes[a].v[k];
            int64_t paths = 4000;
            switch (axes[a].dim) {
            case 'S': sp.S = v; break;
            case 'M': sp.M = v; break;
            case 'I': sp.I = v; paths = v >= 320 ? 400 : paths; break;
            case 'T': sp.T = v; paths = paths * 60 / v; break;
            default: paths = v; break;
            }
            if (op->quick)
                paths = paths / 20 > 4 ? paths / 20 : 4;
            char *text;
            size_t len;
            char path[] = "/tmp/ckp_bench_sweep_XXXXXX";
            int fd = mkstemp(path);
            if (fd < 0 || gen_yaml(&sp, &text, &len) != 0) {
                fprintf(stderr, "ckp_bench: cannot write the sweep scenario\n");
                return 1;
            }
            ssize_t nw = write(fd, text, len);
            close(fd);
            free(text);
            result r;
            memset(&r, 0, sizeof r);
            if (nw == (ssize_t)len)
                fork_case(path, 1, paths, 0, 0, 0, op, &r);
            else
                snprintf(r.error, sizeof r.error, "short write");
            unlink(path);
            if (!r.ok) {
                printf("%-3c %7d FAILED: %s\n", axes[a].dim, v, r.error);
                failures++;
                continue;
            }
            double pm = (double)r.paths * r.T;
            printf("%-3c %7d %10lld %12.1f %14.1f %14.1f %10.2f %8.1f\n", axes[a].dim, v,
                   (long long)r.paths, r.cpu_seconds / pm * 1e9,
                   r.cpu_seconds / (pm * r.npol) * 1e9, r.floor_cpu_seconds / pm * 1e9,
                   r.cpu_seconds / r.floor_cpu_seconds, r.peak_rss_kb / 1024.0);
            printf("{\"sweep\":\"%c\",\"value\":%d,\"paths\":%lld,\"S\":%d,\"M\":%d,\"I\":%d,"
                   "\"months\":%d,\"policies\":%d,\"ns_per_path_month\":%.6g,"
                   "\"floor_ns_per_path_month\":%.6g,\"cpu_ns_per_path_month\":%.6g,"
                   "\"floor_cpu_ns_per_path_month\":%.6g,\"peak_rss_kb\":%ld}\n",
                   axes[a].dim, v, (long long)r.paths, r.S, r.M, r.I, r.T, r.npol,
                   r.seconds / pm * 1e9, r.floor_seconds / pm * 1e9, r.cpu_seconds / pm * 1e9,
                   r.floor_cpu_seconds / pm * 1e9, r.peak_rss_kb);
            fflush(stdout);
        }
    }
    return failures ? 1 : 0;
}

/* ---- --check: the tiny run registered as a test ------------------------------- */
static int check_floor_against_model(const ckp_scenario *sc, const char *name, int64_t paths)
{
    const ckp_model *m = &sc->models[0];
    ckp_layout lay;
    ckp_layout_init(&lay, m);
    floor_ctx fc;
    floor_scratch w;
    int fails = 0;
    double *u = malloc(sizeof(double) * lay.uniforms);
    if (!u || floor_init(&fc, m, &lay, sc->seed) != 0 || scratch_init(&w, m) != 0) {
        fprintf(stderr, "check %s: out of memory\n", name);
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

static int check(const opts *op)
{
    int fails = 0;
    const char *names[] = {"default", "wide", "sweep"};
    for (size_t k = 0; k < 3; k++) {
        ckp_scenario *sc = NULL;
        ckp_error err;
        ckp_error_clear(&err);
        /* io-large is too big for a unit test; the sweep base with a dense
         * table exercises the same propagation path. */
        if (load_case(names[k], 0, 0, &sc, &err, op->emit_dir) != 0) {
            fprintf(stderr, "check: cannot load %s: %s\n", names[k], err.message);
            fails++;
            continue;
        }
        fails += check_floor_against_model(sc, names[k], 20);
        ckp_scenario_free(sc);
    }
    opts qo = *op;
    qo.repeat = 1;
    print_header();
    const struct {
        const char *name;
        int threads;
        int64_t paths;
        int prop, h5;
    } cases[] = {{"default", 1, 200, 0, 0}, {"default", 2, 200, 0, 0}, {"wide", 1, 10, 0, 0},
                 {"sweep", 1, 50, 1, 0}, {"default", 2, 200, 0, 1}};
    double ck[5] = {0};
    char tmpdir[] = "/tmp/ckp_bench_check_XXXXXX";
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "check: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        result r;
        /* the last case writes HDF5 too, so that path never rots either */
        qo.h5_dir = cases[k].h5 ? tmpdir : NULL;
        fork_case(cases[k].name, cases[k].threads, cases[k].paths, 0, 0, cases[k].prop, &qo, &r);
        print_result(&r, "check");
        if (!r.ok || !(r.seconds > 0) || !(r.floor_seconds > 0) || !isfinite(r.checksum) ||
            !isfinite(r.floor_checksum) || r.peak_rss_kb <= 0 ||
            (cases[k].prop && !(r.dgemm_gflops > 0))) {
            fprintf(stderr, "check: case %s/%d threads failed or gave nonsense\n",
                    cases[k].name, cases[k].threads);
            fails++;
        }
        ck[k] = r.checksum;
    }
    /* the sum of loss_total over paths and policies cannot depend on threads */
    if (rmdir(tmpdir) != 0) {
        fprintf(stderr, "check: the HDF5 file was not removed from %s\n", tmpdir);
        fails++;
    }
    if (ck[0] != ck[1] || ck[0] != ck[4]) {
        fprintf(stderr, "check: default scenario gives %.17g on 1 thread, %.17g on 2, %.17g with "
                "HDF5\n", ck[0], ck[1], ck[4]);
        fails++;
    }
    return fails ? 1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ckp_bench [options] [SCENARIO...]\n"
            "  SCENARIO          default | wide | io-large | FILE.yaml (default: all three)\n"
            "  --threads LIST    comma-separated thread counts (default 1,2)\n"
            "  --paths N         paths per case (default: 50000, wide 2000, io-large 512)\n"
            "  --repeat R        best of R runs (default 3)\n"
            "  --quick           a tenth of the paths, one repeat\n"
            "  --no-month-stats  runs without per-month sums and histograms\n"
            "  --sweep           the cost sweep over S, M, I, T and paths\n"
            "  --rss             peak RSS of the default scenario at 10^4 and 10^6 paths\n"
            "                    (on the first of --threads)\n"
            "  --h5 DIR          also write each run's HDF5 results in DIR (deleted after)\n"
            "  --emit DIR        also write the generated scenarios to DIR\n"
            "  --dgemm N         only the dgemm rates for N x N times N x 256 and N x N\n"
            "  --check           the self-check run as a test\n");
}

int main(int argc, char **argv)
{
    opts op = {0, 3, 0, 1, NULL, NULL};
    int threads[8] = {1, 2}, nthreads = 2, do_sweep = 0, do_check = 0, do_rss = 0;
    const char *names[16];
    int nnames = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            nthreads = 0;
            for (char *p = argv[++i]; *p && nthreads < 8;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 256) {
                    fprintf(stderr, "ckp_bench: bad --threads list\n");
                    return 2;
                }
                threads[nthreads++] = (int)v;
                p = *end == ',' ? end + 1 : end;
            }
        } else if (strcmp(a, "--paths") == 0 && i + 1 < argc) {
            op.paths = strtoll(argv[++i], NULL, 10);
            if (op.paths < 2) {
                fprintf(stderr, "ckp_bench: --paths needs a number >= 2\n");
                return 2;
            }
        } else if (strcmp(a, "--repeat") == 0 && i + 1 < argc) {
            op.repeat = atoi(argv[++i]);
            if (op.repeat < 1) {
                fprintf(stderr, "ckp_bench: --repeat needs a number >= 1\n");
                return 2;
            }
        } else if (strcmp(a, "--quick") == 0) {
            op.quick = 1;
            op.repeat = 1;
        } else if (strcmp(a, "--no-month-stats") == 0) {
            op.month_stats = 0;
        } else if (strcmp(a, "--sweep") == 0) {
            do_sweep = 1;
        } else if (strcmp(a, "--rss") == 0) {
            do_rss = 1;
        } else if (strcmp(a, "--dgemm") == 0 && i + 1 < argc) {
            int n = atoi(argv[++i]);
            if (n < 1 || n > 20000) {
                fprintf(stderr, "ckp_bench: --dgemm needs a size in 1..20000\n");
                return 2;
            }
            const char *cpu = getenv("OPENBLAS_CORETYPE");
            printf("{\"dgemm\":%d,\"coretype\":\"%s\",\"gflops_n_n_256\":%.4g,"
                   "\"gflops_square\":%.4g}\n",
                   n, cpu ? cpu : "", bench_dgemm_rate(n, n, 256, 5), bench_dgemm_rate(n, n, n, 3));
            return 0;
        } else if (strcmp(a, "--check") == 0) {
            do_check = 1;
        } else if (strcmp(a, "--h5") == 0 && i + 1 < argc) {
            op.h5_dir = argv[++i];
        } else if (strcmp(a, "--emit") == 0 && i + 1 < argc) {
            op.emit_dir = argv[++i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "ckp_bench: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (nnames < 16) {
            names[nnames++] = a;
        }
    }
    if (do_check)
        return check(&op);
    if (do_sweep)
        return sweep(&op);
    const char *cpu = getenv("OPENBLAS_CORETYPE");
    printf("# chokepoint benchmark; OPENBLAS_CORETYPE=%s; best of %d; month stats %s; "
           "HDF5 output %s\n",
           cpu ? cpu : "(unset)", op.repeat, op.month_stats ? "on" : "off",
           op.h5_dir ? "on" : "off");
    int failures = 0;
    if (do_rss) {
        print_header();
        int64_t sizes[2] = {10000, 1000000};
        for (int k = 0; k < 2; k++) {
            result r;
            opts one = op;
            one.repeat = 1;
            fork_case("default", threads[0], sizes[k], 0, 0, 0, &one, &r);
            print_result(&r, "rss");
            failures += !r.ok;
        }
        return failures ? 1 : 0;
    }
    if (nnames == 0) {
        names[0] = "default";
        names[1] = "wide";
        names[2] = "io-large";
        nnames = 3;
    }
    print_header();
    for (int n = 0; n < nnames; n++)
        for (int t = 0; t < nthreads; t++) {
            result r;
            int prop = strcmp(names[n], "default") != 0;
            fork_case(names[n], threads[t], default_paths(names[n], &op), 0, 0, prop, &op, &r);
            print_result(&r, "case");
            failures += !r.ok;
        }
    return failures ? 1 : 0;
}
