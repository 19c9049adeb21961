/* chokepoint: run orchestration (include/chokepoint/run.h, MODEL.md sections 4-6).
 *
 * A run walks its path range batch by batch. Inside a batch, OpenMP threads
 * take paths; every path draws its uniforms once and every run policy is
 * simulated on them (common random numbers). Records land in per-batch arrays
 * at the path's own slot, so the sink sees them in path order whatever the
 * schedule. Per-month observables go into per-thread accumulators that hold
 * only integers (fixed-point sums, histogram counts); integer addition is
 * associative, so adding the threads' accumulators at the end gives the same
 * bits for any thread count, batch size or split of the range.
 *
 * Only this module knows about threads. Everything a thread touches inside the
 * parallel region is allocated before it. */
#include "chokepoint/run.h"
#include "engine/stats/hist_impl.h" /* ckp_hist_binner */
#include "engine/sim/sim_impl.h" /* ckp_prep_create_like */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckp_config.h"

#if CKP_HAVE_OPENMP
#include <omp.h>
#endif

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* Default paths per batch: large enough that the per-batch fork/join and the
 * sink call are negligible, small enough that a batch's records stay small. */
#define DEFAULT_BATCH 1024
/* An automatic batch is shrunk until its record arrays fit in this many bytes. */
#define AUTO_BATCH_BYTES ((size_t)64 << 20)

/* ---- OpenBLAS threads ------------------------------------------------------
 * The simulation calls cblas_dgemm for large industry counts, from inside our
 * own parallel region. A threaded OpenBLAS would then start its own threads
 * from every one of ours (oversubscription), and its split of the work could
 * in principle change with its thread count. For the duration of a run we ask
 * OpenBLAS for one thread and restore its setting afterwards. The symbols are
 * weak so that the library still links against a BLAS that is not OpenBLAS;
 * the calls are then skipped. */
#if defined(__GNUC__) && defined(__ELF__)
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
static int blas_single_begin(void)
{
    if (!openblas_set_num_threads || !openblas_get_num_threads)
        return 0;
    int before = openblas_get_num_threads();
    if (before != 1)
        openblas_set_num_threads(1);
    return before;
}
static void blas_single_end(int before)
{
    if (before > 1 && openblas_set_num_threads)
        openblas_set_num_threads(before);
}
#else
static int blas_single_begin(void) { return 0; }
static void blas_single_end(int before) { (void)before; }
#endif

/* ---- Fixed point ------------------------------------------------------------ */

static i128 fix_get(const ckp_fix *a)
{
    u128 u = ((u128)(uint64_t)a->hi << 64) | a->lo;
    return (i128)u;
}

static void fix_put(ckp_fix *a, i128 v)
{
    u128 u = (u128)v;
    a->hi = (int64_t)(uint64_t)(u >> 64);
    a->lo = (uint64_t)u;
}

/* v * 2^64 as a 128-bit integer, truncated toward zero (exact whenever v has no
 * bits below 2^-64). NaN counts as 0 and magnitudes of 2^62 or more saturate:
 * the observables summed here are bounded (fractions, price multiples up to a
 * cap, days of stock), so neither happens on valid input, and both keep the
 * conversion defined. */
static i128 fix_from_double(double v)
{
    /* Straight from the bits: |v| = m 2^(e - 1075) with the 53-bit integer m,
     * so |v| 2^64 = m 2^(e - 1011), a shift of m, truncated toward zero when
     * the shift is to the right. That is floor(|v| 2^64) exactly, as the
     * earlier integer-part-plus-fraction conversion gave, without the two
     * double-to-integer conversions. */
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    unsigned ebits = (unsigned)(u >> 52) & 0x7ffu;
    uint64_t m = u & 0x000fffffffffffffu;
    if (ebits == 0x7ffu && m != 0) /* NaN */
        return 0;
    u128 mag;
    if (ebits >= 1023u + 62u) { /* |v| >= 2^62, inf included */
        mag = (u128)1 << 126;
    } else {
        int shift;
        if (ebits == 0) { /* zero or subnormal: m 2^-1074 */
            shift = 1 - 1011;
        } else {
            m |= (uint64_t)1 << 52;
            shift = (int)ebits - 1011;
        }
        if (shift >= 0)
            mag = (u128)m << shift; /* shift <= 73: below 2^126 */
        else
            mag = -shift >= 53 ? 0 : (u128)(m >> -shift);
    }
    return (u >> 63) ? -(i128)mag : (i128)mag;
}

void ckp_fix_add_double(ckp_fix *acc, double v)
{
    /* Wrap-around addition in unsigned arithmetic: defined, and associative. */
    u128 s = (u128)fix_get(acc) + (u128)fix_from_double(v);
    fix_put(acc, (i128)s);
}

void ckp_fix_add(ckp_fix *acc, const ckp_fix *b)
{
    u128 s = (u128)fix_get(acc) + (u128)fix_get(b);
    fix_put(acc, (i128)s);
}

double ckp_fix_to_double(const ckp_fix *acc)
{
    return ldexp((double)fix_get(acc), -CKP_FIX_FRAC_BITS);
}

/* ---- Options ---------------------------------------------------------------- */

void ckp_run_options_default(ckp_run_options *o, const ckp_scenario *sc)
{
    memset(o, 0, sizeof *o);
    o->seed = sc ? sc->seed : 1;
    o->paths = sc ? sc->paths : 10000;
    o->antithetic = sc ? sc->antithetic : 0;
    o->first_path = 0;
    o->threads = 0;
    o->batch = 0;
    o->npolicies = 0;
    o->policies = NULL;
    o->month_stats = 1;
}

/* a * b (and * c) into *out unless the product overflows size_t. */
static int mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

static void *alloc_array(size_t n, size_t size)
{
    if (n == 0)
        n = 1;
    return calloc(n, size);
}

/* The run's policies: baseline first, then the requested ones in the order
 * given, duplicates dropped. */
static ckp_status resolve_policies(const ckp_scenario *sc, const ckp_run_options *opt,
                                   int **out, int *nout, ckp_error *err)
{
    int n = opt->npolicies > 0 ? opt->npolicies : sc->npolicies;
    if (opt->npolicies < 0 || (opt->npolicies > 0 && !opt->policies))
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "run: npolicies = %d with no policy list", opt->npolicies);
    int *pol = malloc(((size_t)n + 1) * sizeof *pol);
    char *seen = calloc((size_t)sc->npolicies, 1);
    if (!pol || !seen) {
        free(pol);
        free(seen);
        return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "run: out of memory");
    }
    int k = 0;
    pol[k++] = 0;
    seen[0] = 1;
    for (int i = 0; i < n; i++) {
        int p = opt->npolicies > 0 ? opt->policies[i] : i;
        if (p < 0 || p >= sc->npolicies) {
            free(pol);
            free(seen);
            return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                                 "run: policy index %d out of range (the scenario has %d)", p,
                                 sc->npolicies);
        }
        if (!seen[p]) {
            seen[p] = 1;
            pol[k++] = p;
        }
    }
    free(seen);
    *out = pol;
    *nout = k;
    return CKP_OK;
}

/* ---- Per-month accumulation ------------------------------------------------- */

/* What a histogram needs to bin observable o of one policy. */
typedef struct obs_kind {
    int kind;      /* 0 unit (x, q), 1 price, 2 stock */
    double param;  /* cap for price, Lmax in days for stock */
} obs_kind;

static void obs_kinds(const ckp_model *m, const ckp_layout *lay, obs_kind *kinds)
{
    for (size_t o = 0; o < lay->obs_per_month; o++) {
        kinds[o].kind = 0;
        kinds[o].param = 0.0;
    }
    for (int j = 0; j < lay->M; j++) {
        kinds[lay->obs_pi + (size_t)j].kind = 1;
        kinds[lay->obs_pi + (size_t)j].param = m->cap[j];
        /* MODEL.md: L bins span (0, max(stock0, target)] in days. */
        double lmax = m->stock0[j] > m->target[j] ? m->stock0[j] : m->target[j];
        kinds[lay->obs_L + (size_t)j].kind = 2;
        kinds[lay->obs_L + (size_t)j].param = lmax * CKP_DAYS_PER_MONTH;
    }
}

/* Binners for the n observables in kinds (all policies): one per distinct
 * (kind, parameter), so that the edge tables a path consults stay few and in
 * cache (every x and q shares one). pool holds n binners; which[o] points at
 * observable o's. */
static void obs_binners(const obs_kind *kinds, size_t n, ckp_hist_binner *pool,
                        const ckp_hist_binner **which)
{
    size_t used = 0;
    double *param = malloc((n ? n : 1) * sizeof *param); /* param of pool[i] */
    const ckp_hist_binner *unit = NULL;
    for (size_t o = 0; o < n; o++) {
        if (kinds[o].kind == 0 && unit) {
            which[o] = unit;
            continue;
        }
        /* Price and stock binners: search the pool (a few per material and
         * policy). Without memory for the search, no sharing. */
        size_t i = 0;
        while (param && kinds[o].kind != 0 && i < used &&
               !(pool[i].kind == kinds[o].kind &&
                 memcmp(&param[i], &kinds[o].param, sizeof(double)) == 0))
            i++;
        if (param && kinds[o].kind != 0 && i < used) {
            which[o] = &pool[i];
            continue;
        }
        ckp_hist_binner *b = &pool[used];
        if (param)
            param[used] = kinds[o].param;
        used++;
        if (kinds[o].kind == 1)
            ckp_hist_binner_price(b, kinds[o].param);
        else if (kinds[o].kind == 2)
            ckp_hist_binner_stock(b, kinds[o].param);
        else
            unit = b, ckp_hist_binner_unit(b);
        which[o] = b;
    }
    free(param);
}

/* One thread's scratch and accumulators.
 *
 * A path touches one histogram row per (policy, month, observable), thousands
 * of rows that do not stay in cache, so counting path by path would be bound
 * by cache misses. Instead each policy's observables are binned and summed as
 * soon as the path has produced them (they are still in cache; the sums are
 * small enough to stay there), and only the bin indices, one byte per cell,
 * are staged. A flush then counts the staged group cell by cell, so a row is
 * fetched once per group of up to STAGE_MAX_PATHS paths. Integer counts and
 * fixed-point sums do not care about the order. */
typedef struct thread_slot {
    ckp_work *work;
    double *u;
    double *obs;      /* one policy's observables of one path: T * obs_per_month */
    uint8_t *bins;    /* nstage_max paths * npol * T * obs_per_month bin indices */
    int nstage;       /* paths staged */
    ckp_fix *sum;     /* npol * T * obs_per_month, or NULL */
    /* The same times CKP_HIST_BINS, or NULL. 32-bit counts halve the rows the
     * flush walks (and the memory, 7 MB per thread on the default scenario);
     * they are folded into the run's 64-bit totals before any could wrap
     * (fold_counts). */
    uint32_t *hist;
    int64_t counted;  /* paths this slot may have counted since its last fold */
    int64_t bad_path; /* first path whose loss_total was not finite, or -1 */
    int bad_policy;
} thread_slot;

/* Staged bin indices per thread, and the most paths staged at once. */
#define STAGE_BYTES ((size_t)2 << 20)
#define STAGE_MAX_PATHS 256

/* a and b have the same bits. */
static int same_bits(double a, double b)
{
    uint64_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    return ua == ub;
}

/* Sum policy k's observables of the current path (s->obs) and stage their bins.
 * The stock observables are o in [obs_L, obs_L + M). */
static void stage_policy(thread_slot *s, int k, size_t cells, int T, size_t obs_per_month,
                         size_t obs_L, size_t M, const ckp_hist_binner *const *binners)
{
    size_t month_block = (size_t)T * obs_per_month;
    size_t first = (size_t)k * month_block;
    uint8_t *out = s->bins + (size_t)s->nstage * cells + first;
    ckp_fix *sum = s->sum + first;
    const ckp_hist_binner *const *bk = binners + (size_t)k * obs_per_month;
    size_t obs_L_end = obs_L + M;
    ckp_hist_binner_bins(bk, s->obs, obs_per_month, out);
    for (int t = 1; t < T; t++) {
        const double *v = s->obs + (size_t)t * obs_per_month;
        uint8_t *o_t = out + (size_t)t * obs_per_month;
        ckp_hist_binner_bins(bk, v, obs_L, o_t);
        ckp_hist_binner_bins(bk + obs_L_end, v + obs_L_end, obs_per_month - obs_L_end,
                             o_t + obs_L_end);
        /* A stockpile left at its level holds bitwise the value of the month
         * before (most non-zero stock cells of the default scenario). The bin
         * is a pure function of the value and the cell's binner, which is the
         * same every month, so such a cell takes the previous month's bin.
         * Only stock cells: x, q and pi practically never repeat, and the
         * test would cost more than it saves there. */
        for (size_t o = obs_L; o < obs_L_end; o++) {
            if (same_bits(v[o], v[o - obs_per_month]))
                o_t[o] = o_t[o - obs_per_month];
            else
                ckp_hist_binner_bins(bk + o, v + o, 1, o_t + o);
        }
    }
    for (size_t c = 0; c < month_block; c++) {
        /* Exact zeros are common (no shortfall, no inoperability, an empty
         * stockpile) and add nothing. */
        if (s->obs[c] != 0.0) {
            u128 tot = (u128)fix_get(&sum[c]) + (u128)fix_from_double(s->obs[c]);
            fix_put(&sum[c], (i128)tot);
        }
    }
}

/* Count the staged bins into the thread's histograms. Eight neighbouring
 * cells are counted together, from one 8-byte load per staged path: their
 * increments go to eight different rows, so consecutive increments never wait
 * on each other (counting one cell at a time, a run of equal bins such as the
 * zeros is a chain of dependent read-modify-writes of one counter). */
static void stage_flush(thread_slot *s, size_t cells)
{
    const size_t n = (size_t)s->nstage;
    size_t cell = 0;
    for (; cell + 8 <= cells; cell += 8) {
        const uint8_t *src = s->bins + cell;
        uint32_t *row = s->hist + cell * CKP_HIST_BINS;
        for (size_t j = 0; j < n; j++) {
            uint64_t w;
            memcpy(&w, src + j * cells, sizeof w);
            for (int l = 0; l < 8; l++)
                row[(size_t)l * CKP_HIST_BINS + ((w >> (8 * l)) & 0xff)]++;
        }
    }
    for (; cell < cells; cell++) {
        const uint8_t *src = s->bins + cell;
        uint32_t *row = s->hist + cell * CKP_HIST_BINS;
        for (size_t j = 0; j < n; j++)
            row[src[j * cells]]++;
    }
    s->nstage = 0;
}

/* Add a slot's 32-bit counts to the 64-bit totals and clear them. */
static void fold_counts(uint64_t *total, thread_slot *s, size_t hcells)
{
    for (size_t c = 0; c < hcells; c++)
        total[c] += s->hist[c];
    memset(s->hist, 0, hcells * sizeof *s->hist);
    s->counted = 0;
}

static void slots_free(thread_slot *s, int n)
{
    if (!s)
        return;
    for (int i = 0; i < n; i++) {
        ckp_work_free(s[i].work);
        free(s[i].u);
        free(s[i].obs);
        free(s[i].bins);
        free(s[i].sum);
        free(s[i].hist);
    }
    free(s);
}

static int thread_count(const ckp_run_options *opt)
{
#if CKP_HAVE_OPENMP
    int n = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    return n > 0 ? n : 1;
#else
    (void)opt;
    return 1;
#endif
}

static int this_thread(void)
{
#if CKP_HAVE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

void ckp_run_result_free(ckp_run_result *r)
{
    if (!r)
        return;
    free(r->policy);
    free(r->month_sum);
    free(r->month_mean);
    free(r->hist);
    free(r->hist_upper);
    free(r);
}

static void result_means(ckp_run_result *r, size_t cells)
{
    for (size_t c = 0; c < cells; c++)
        r->month_mean[c] = r->paths > 0 ? ckp_fix_to_double(&r->month_sum[c]) / (double)r->paths
                                        : NAN;
}

ckp_status ckp_run(const ckp_scenario *sc, const ckp_run_options *opt, const ckp_sink *sink,
                   ckp_run_result **out, ckp_error *err)
{
    if (out)
        *out = NULL;
    if (!sc || !opt || !out)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "run: scenario, options and result pointer are required");
    if (opt->paths <= 0)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "run: the number of paths must be positive (got %lld)",
                             (long long)opt->paths);
    if (opt->first_path < 0 || opt->first_path > INT64_MAX - opt->paths)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "run: bad path range (first %lld, %lld paths)",
                             (long long)opt->first_path, (long long)opt->paths);
    if (opt->antithetic && (opt->first_path % 2 != 0 || opt->paths % 2 != 0))
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "run: antithetic runs need an even first path and an even number "
                             "of paths (got first %lld, %lld paths)",
                             (long long)opt->first_path, (long long)opt->paths);
    if (opt->batch < 0 || opt->threads < 0)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "run: batch and threads must not be negative");

    ckp_status st = CKP_OK;
    ckp_run_result *r = calloc(1, sizeof *r);
    ckp_prep **prep = NULL;
    obs_kind *kinds = NULL;
    ckp_hist_binner *binner_pool = NULL;
    const ckp_hist_binner **binners = NULL;
    double **rec = NULL;
    thread_slot *slots = NULL;
    int nth = thread_count(opt);
    int blas_before = 0, blas_set = 0;
    if (!r) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "run: out of memory");
        goto done;
    }
    st = resolve_policies(sc, opt, &r->policy, &r->npol, err);
    if (st != CKP_OK)
        goto done;
    const int npol = r->npol;
    ckp_layout_init(&r->lay, &sc->models[0]);
    const ckp_layout *lay = &r->lay;
    r->seed = opt->seed;
    ckp_pcg64_from_seed(&r->base, opt->seed);
    r->antithetic = opt->antithetic ? 1 : 0;
    r->first_path = opt->first_path;
    r->paths = opt->paths;
    r->month_stats = opt->month_stats ? 1 : 0;

    /* Sizes, checked before anything large is allocated. */
    size_t month_block = (size_t)lay->T * lay->obs_per_month;
    size_t cells = 0, hcells = 0, per_policy_rec = 0;
    if (mul_size((size_t)npol, month_block, &cells) ||
        mul_size(cells, CKP_HIST_BINS, &hcells) || hcells > SIZE_MAX / 8 / (size_t)nth) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                           "run: per-month statistics are too large for this scenario");
        goto done;
    }
    int64_t batch = opt->batch;
    if (batch == 0) {
        batch = DEFAULT_BATCH;
        size_t bytes_per_path = (size_t)npol * lay->record * sizeof(double);
        if (bytes_per_path > 0 && (size_t)batch * bytes_per_path > AUTO_BATCH_BYTES) {
            batch = (int64_t)(AUTO_BATCH_BYTES / bytes_per_path);
            if (batch < 1)
                batch = 1;
        }
    }
    if (batch > opt->paths)
        batch = opt->paths;
    /* Antithetic pairs stay within one batch: batches start on even paths. */
    if (r->antithetic && batch % 2 != 0)
        batch += 1;
    if (mul_size((size_t)batch, lay->record, &per_policy_rec) ||
        per_policy_rec > SIZE_MAX / sizeof(double)) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                           "run: batch of %lld paths is too large", (long long)batch);
        goto done;
    }

    /* Derived data per policy, built once. */
    prep = calloc((size_t)npol, sizeof *prep);
    kinds = alloc_array((size_t)npol * lay->obs_per_month, sizeof *kinds);
    binner_pool = alloc_array((size_t)npol * lay->obs_per_month, sizeof *binner_pool);
    binners = alloc_array((size_t)npol * lay->obs_per_month, sizeof *binners);
    rec = calloc((size_t)npol, sizeof *rec);
    if (!prep || !kinds || !binner_pool || !binners || !rec) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "run: out of memory");
        goto done;
    }
    for (int k = 0; k < npol; k++) {
        const ckp_model *m = &sc->models[r->policy[k]];
        /* Policies with the baseline's A* share its radius check and inverse. */
        st = k == 0 ? ckp_prep_create(m, &prep[k], err)
                    : ckp_prep_create_like(m, &sc->models[r->policy[0]], prep[0], &prep[k], err);
        if (st != CKP_OK)
            goto done;
        obs_kinds(m, lay, kinds + (size_t)k * lay->obs_per_month);
        rec[k] = alloc_array(per_policy_rec, sizeof(double));
        if (!rec[k]) {
            st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                               "run: out of memory for a batch of %lld paths", (long long)batch);
            goto done;
        }
    }

    obs_binners(kinds, (size_t)npol * lay->obs_per_month, binner_pool, binners);

    if (r->month_stats) {
        r->month_sum = alloc_array(cells, sizeof *r->month_sum);
        r->month_mean = alloc_array(cells, sizeof *r->month_mean);
        r->hist = alloc_array(hcells, sizeof *r->hist);
        r->hist_upper = alloc_array((size_t)npol * lay->obs_per_month * CKP_HIST_BINS,
                                    sizeof *r->hist_upper);
        if (!r->month_sum || !r->month_mean || !r->hist || !r->hist_upper) {
            st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                               "run: out of memory for per-month statistics (%zu cells); "
                               "run without month statistics", cells);
            goto done;
        }
        for (int k = 0; k < npol; k++)
            for (size_t o = 0; o < lay->obs_per_month; o++) {
                const obs_kind *ok = &kinds[(size_t)k * lay->obs_per_month + o];
                double *up = r->hist_upper + ((size_t)k * lay->obs_per_month + o) * CKP_HIST_BINS;
                if (ok->kind == 1)
                    ckp_hist_edges_price(ok->param, up);
                else if (ok->kind == 2)
                    ckp_hist_edges_stock(ok->param, up);
                else
                    ckp_hist_edges_unit(up);
            }
    }

    /* Per-thread scratch, before the parallel region. */
    int nstage_max = 1;
    if (cells > 0 && STAGE_BYTES / cells > 1)
        nstage_max = (int)(STAGE_BYTES / cells < STAGE_MAX_PATHS ? STAGE_BYTES / cells
                                                                 : STAGE_MAX_PATHS);
    slots = calloc((size_t)nth, sizeof *slots);
    if (!slots) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "run: out of memory");
        goto done;
    }
    for (int i = 0; i < nth; i++) {
        thread_slot *s = &slots[i];
        s->bad_path = -1;
        st = ckp_work_create(sc, &s->work, err);
        if (st != CKP_OK)
            goto done;
        s->u = alloc_array(lay->uniforms, sizeof(double));
        if (r->month_stats) {
            s->obs = alloc_array(month_block, sizeof(double));
            s->bins = alloc_array(cells * (size_t)nstage_max, 1);
            s->sum = alloc_array(cells, sizeof *s->sum);
            s->hist = alloc_array(hcells, sizeof *s->hist);
        }
        if (!s->u || (r->month_stats && (!s->obs || !s->bins || !s->sum || !s->hist))) {
            st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                               "run: out of memory for thread scratch");
            goto done;
        }
    }

    blas_before = blas_single_begin();
    blas_set = 1;
    const int64_t end = opt->first_path + opt->paths;
    const int month_stats = r->month_stats;
    for (int64_t b0 = opt->first_path; b0 < end; b0 += batch) {
        const int64_t n = end - b0 < batch ? end - b0 : batch;
#if CKP_HAVE_OPENMP
#pragma omp parallel num_threads(nth)
#endif
        {
            thread_slot *s = &slots[this_thread()];
#if CKP_HAVE_OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
            for (int64_t i = 0; i < n; i++) {
                const uint64_t p = (uint64_t)(b0 + i);
                ckp_path_uniforms(lay, &r->base, p, r->antithetic, s->u);
                for (int k = 0; k < npol; k++) {
                    double *record = rec[k] + (size_t)i * lay->record;
                    ckp_sim_path(&sc->models[r->policy[k]], prep[k], lay, s->work, s->u,
                                 record, month_stats ? s->obs : NULL, NULL);
                    if (month_stats)
                        stage_policy(s, k, cells, lay->T, lay->obs_per_month, lay->obs_L,
                                     (size_t)lay->M, binners);
                    if (!isfinite(record[CKP_M_LOSS_TOTAL]) &&
                        (s->bad_path < 0 || (int64_t)p < s->bad_path)) {
                        s->bad_path = (int64_t)p;
                        s->bad_policy = r->policy[k];
                    }
                }
                if (month_stats && ++s->nstage == nstage_max)
                    stage_flush(s, cells);
            }
            if (month_stats && s->nstage > 0)
                stage_flush(s, cells);
        }
        /* A slot counts at most one per path and cell: fold its counts while
         * another batch could still not wrap them. */
        for (int t = 0; month_stats && t < nth; t++) {
            slots[t].counted += n;
            if (slots[t].counted > (int64_t)UINT32_MAX - batch)
                fold_counts(r->hist, &slots[t], hcells);
        }
        /* Per-thread error slots, reported in path order. */
        int64_t bad = -1;
        int bad_pol = 0;
        for (int t = 0; t < nth; t++)
            if (slots[t].bad_path >= 0 && (bad < 0 || slots[t].bad_path < bad)) {
                bad = slots[t].bad_path;
                bad_pol = slots[t].bad_policy;
            }
        if (bad >= 0) {
            st = ckp_error_set(err, CKP_ERR_NUMERIC, NULL, 0, 0, NULL,
                               "run: path %lld of policy '%s' gave a non-finite total loss",
                               (long long)bad, sc->policy_names[bad_pol]);
            goto done;
        }
        if (sink && sink->write_batch) {
            st = sink->write_batch(sink->ctx, lay, b0, n, npol, (const double *const *)rec, err);
            if (st != CKP_OK)
                goto done;
        }
        if (opt->progress)
            opt->progress(opt->progress_ctx, b0 + n - opt->first_path, opt->paths);
    }

    if (month_stats) {
        /* Integer adds: exact, so the order of threads does not matter. */
        for (int t = 0; t < nth; t++) {
            for (size_t c = 0; c < cells; c++)
                ckp_fix_add(&r->month_sum[c], &slots[t].sum[c]);
            fold_counts(r->hist, &slots[t], hcells);
        }
        result_means(r, cells);
    }

done:
    if (blas_set)
        blas_single_end(blas_before);
    slots_free(slots, nth);
    if (prep) {
        for (int k = 0; k < r->npol; k++)
            ckp_prep_free(prep[k]);
        free(prep);
    }
    if (rec) {
        for (int k = 0; k < r->npol; k++)
            free(rec[k]);
        free(rec);
    }
    free(kinds);
    free(binner_pool);
    free(binners);
    if (st != CKP_OK) {
        ckp_run_result_free(r);
        return st;
    }
    *out = r;
    return CKP_OK;
}

ckp_status ckp_run_result_merge(ckp_run_result *into, const ckp_run_result *b, ckp_error *err)
{
    if (!into || !b)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "merge: NULL result");
    if (into->npol != b->npol || memcmp(into->policy, b->policy, (size_t)b->npol * sizeof(int)))
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "merge: the two runs have different policies");
    if (into->seed != b->seed || into->antithetic != b->antithetic ||
        into->month_stats != b->month_stats)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "merge: the two runs differ in seed, antithetic or month statistics");
    if (into->lay.record != b->lay.record || into->lay.T != b->lay.T ||
        into->lay.obs_per_month != b->lay.obs_per_month)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "merge: the two runs have different layouts");
    if (b->first_path != into->first_path + into->paths)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "merge: ranges are not adjacent (%lld + %lld != %lld)",
                             (long long)into->first_path, (long long)into->paths,
                             (long long)b->first_path);
    if (b->paths > INT64_MAX - into->first_path - into->paths)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "merge: range overflows");
    into->paths += b->paths;
    if (into->month_stats) {
        size_t cells = (size_t)into->npol * (size_t)into->lay.T * into->lay.obs_per_month;
        for (size_t c = 0; c < cells; c++)
            ckp_fix_add(&into->month_sum[c], &b->month_sum[c]);
        for (size_t c = 0; c < cells * CKP_HIST_BINS; c++)
            into->hist[c] += b->hist[c];
        result_means(into, cells);
    }
    return CKP_OK;
}

/* ---- The memory sink -------------------------------------------------------- */

static ckp_status memsink_write(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                                int npol, const double *const *records, ckp_error *err)
{
    ckp_memsink *ms = ctx;
    if (!ms->records) {
        ms->records = calloc((size_t)npol, sizeof *ms->records);
        if (!ms->records)
            return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "memsink: out of memory");
        ms->npol = npol;
        ms->record = lay->record;
        ms->first_path = first_path;
        ms->paths = 0;
        ms->cap = 0;
    } else if (npol != ms->npol || lay->record != ms->record ||
               first_path != ms->first_path + ms->paths) {
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "memsink: batch does not continue the stored paths");
    }
    size_t need = (size_t)ms->paths + (size_t)n;
    if (need > ms->cap) {
        size_t cap = ms->cap ? ms->cap : 1024;
        while (cap < need)
            cap *= 2;
        size_t bytes;
        if (mul_size(cap, ms->record * sizeof(double), &bytes))
            return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "memsink: too large");
        for (int k = 0; k < npol; k++) {
            double *p = realloc(ms->records[k], bytes ? bytes : 1);
            if (!p)
                return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                                     "memsink: out of memory");
            ms->records[k] = p;
        }
        ms->cap = cap;
    }
    for (int k = 0; k < npol; k++)
        memcpy(ms->records[k] + (size_t)ms->paths * ms->record, records[k],
               (size_t)n * ms->record * sizeof(double));
    ms->paths += n;
    return CKP_OK;
}

ckp_memsink *ckp_memsink_create(void)
{
    ckp_memsink *ms = calloc(1, sizeof *ms);
    if (!ms)
        return NULL;
    ms->sink.ctx = ms;
    ms->sink.write_batch = memsink_write;
    return ms;
}

void ckp_memsink_free(ckp_memsink *ms)
{
    if (!ms)
        return;
    if (ms->records)
        for (int k = 0; k < ms->npol; k++)
            free(ms->records[k]);
    free(ms->records);
    free(ms);
}

void ckp_memsink_column(const ckp_memsink *ms, int k, size_t j, double *out)
{
    const double *src = ms->records[k];
    for (int64_t p = 0; p < ms->paths; p++)
        out[p] = src[(size_t)p * ms->record + j];
}
