/* chokepoint tests: every path kernel against the reference kernel, bit for
 * bit (in the manner of dav1d's checkasm).
 *
 * usage: kernel_check PATHS SCENARIO.yaml...
 *
 * For each scenario, with and without antithetic pairing, the first PATHS
 * paths are simulated for every policy in run order (so kernels that share
 * work between the policies of a path are exercised as the run uses them) by
 * the reference kernel and by every other available kernel, each on its own
 * scratch. Every record double, every per-month observable and, on every
 * other path, every number of the replay trace must have the same bits. A
 * traced call must also give the bits of an untraced one. On even paths and
 * in blocks the kernel gets its uniforms as the run gives them (stamped,
 * severity uniforms drawn when read: ckp_path_uniforms_lazy, the buffer's
 * severity positions NaN), on odd paths in full and not stamped; the
 * reference always gets them in full. Prints one line of
 * counts; exit 1 on the first scenario with a difference (naming kernel,
 * scenario, path, policy and the first differing cell).
 *
 * A kernel with a block entry is also run in blocks of paths (full blocks
 * and every remainder, each lane on its own scratch, with and without
 * observables), every lane's record and observables against the
 * reference's. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "engine/run/plan_impl.h"
#include "engine/sim/kernel.h"

typedef struct bufs {
    double *rec, *obs;
    ckp_trace tr;
    int *regime;
    double *mat[12]; /* the trace's per-material and per-industry arrays */
    double *block;
} bufs;

static int bufs_alloc(bufs *b, const ckp_layout *lay)
{
    const size_t T = (size_t)lay->T, S = (size_t)lay->S, M = (size_t)lay->M, I = (size_t)lay->I;
    memset(b, 0, sizeof *b);
    b->rec = calloc(lay->record, sizeof(double));
    b->obs = calloc(T * lay->obs_per_month, sizeof(double));
    b->regime = calloc(T * S, sizeof(int));
    b->block = calloc(T * S * M, sizeof(double));
    int bad = !b->rec || !b->obs || !b->regime || !b->block;
    for (int i = 0; i < 12; i++) {
        b->mat[i] = calloc(T * (i < 9 ? M : I), sizeof(double));
        bad |= !b->mat[i];
    }
    ckp_trace *t = &b->tr;
    t->regime = b->regime;
    t->block = b->block;
    double **m = b->mat;
    t->gap = m[0], t->supply = m[1], t->ramp = m[2], t->reroute = m[3], t->release = m[4];
    t->stock_days = m[5], t->shortfall = m[6], t->price = m[7], t->cost = m[8];
    t->q0 = m[9], t->inop = m[10], t->loss = m[11];
    return bad ? -1 : 0;
}

static void bufs_free(bufs *b)
{
    free(b->rec);
    free(b->obs);
    free(b->regime);
    free(b->block);
    for (int i = 0; i < 12; i++)
        free(b->mat[i]);
}

/* Index of the first differing double of n, or -1. */
static long first_diff(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(double)) != 0)
            return (long)i;
    return -1;
}

static long long compared;

/* The run's way of filling the kernel's uniforms uk of path p (severity
 * uniforms left to lz; every other position of uk set to NaN first, so a
 * kernel reading a severity uniform from uk cannot give the reference's
 * bits), stamped on w; or, with lz NULL, a copy of the full uniforms u, not
 * stamped (the stage caches compare contents). */
static void kernel_uniforms(const ckp_plan *plan, int64_t p, const double *u, double *uk,
                            ckp_sev_lazy *lz, ckp_work *w)
{
    const size_t n = plan->lay.uniforms;
    if (!lz) {
        memcpy(uk, u, n * sizeof *uk);
        ckp_work_uniforms_new(w, NULL);
        return;
    }
    for (size_t i = 0; i < n; i++)
        uk[i] = NAN;
    ckp_path_uniforms_lazy(&plan->lay, &plan->base, (uint64_t)p, plan->antithetic, uk, lz);
    ckp_work_uniforms_new_lazy(w, uk, lz);
}

/* Compare kernel k against the reference on one plan. 0 when equal. */
static int check_plan(const ckp_plan *plan, const ckp_kernel *kern, const char *file,
                      int64_t paths)
{
    const ckp_kernel *ref = ckp_kernel_find("reference");
    const ckp_layout *lay = &plan->lay;
    const size_t T = (size_t)lay->T, S = (size_t)lay->S, M = (size_t)lay->M, I = (size_t)lay->I;
    ckp_work *wr = NULL, *wk = NULL;
    ckp_error err;
    double *u = calloc(lay->uniforms, sizeof *u), *uk = calloc(lay->uniforms, sizeof *uk);
    ckp_rng_skip skip = {0};
    ckp_sev_lazy lz = {&skip, calloc(T, sizeof(ckp_u128)), 0};
    bufs a, b;
    int bad = bufs_alloc(&a, lay) | bufs_alloc(&b, lay) | !u | !uk | !lz.st;
    bad |= ckp_rng_skip_init(&skip, &plan->base, S * M) != 0;
    if (!bad && (ckp_work_create(plan->sc, &wr, &err) != CKP_OK ||
                 ckp_work_create(plan->sc, &wk, &err) != CKP_OK))
        bad = 1;
    int rc = bad ? 2 : 0;
    for (int64_t p = 0; p < paths && rc == 0; p++) {
        ckp_path_uniforms(lay, &plan->base, (uint64_t)p, plan->antithetic, u);
        /* Even paths as the run gives them (the stage caches take the
         * uniforms by serial, the severity ones drawn when read), odd ones
         * in full and not stamped (the caches compare them). */
        kernel_uniforms(plan, p, u, uk, p % 2 == 0 ? &lz : NULL, wk);
        for (int k = 0; k < plan->npol && rc == 0; k++) {
            const int traced = (int)(p & 1);
            ckp_trace_observer ta, tb;
            ckp_trace_observer_init(&ta, plan->model[k], &a.tr);
            ckp_trace_observer_init(&tb, plan->model[k], &b.tr);
            ref->path(plan->model[k], plan->prep[k], lay, wr, u, a.rec, a.obs,
                      traced ? &ta.ob : NULL);
            kern->path(plan->model[k], plan->prep[k], lay, wk, uk, b.rec, b.obs,
                       traced ? &tb.ob : NULL);
            const char *what = "record";
            long d = first_diff(a.rec, b.rec, lay->record);
            if (d < 0)
                what = "observables", d = first_diff(a.obs, b.obs, T * lay->obs_per_month);
            compared += (long long)(lay->record + T * lay->obs_per_month);
            if (d < 0 && traced) {
                if (memcmp(a.regime, b.regime, T * S * sizeof(int)) != 0)
                    what = "trace regime", d = 0;
                if (d < 0)
                    what = "trace block", d = first_diff(a.block, b.block, T * S * M);
                for (int i = 0; i < 12 && d < 0; i++) {
                    what = "trace array";
                    d = first_diff(a.mat[i], b.mat[i], T * (i < 9 ? M : I));
                    if (d >= 0)
                        d += (long)i * 1000000;
                }
                compared += (long long)(T * S * (1 + M) + T * (9 * M + 3 * I));
            }
            if (d >= 0) {
                fprintf(stderr,
                        "%s: kernel %s differs from the reference: path %lld, policy %s, "
                        "%s cell %ld%s\n",
                        file, kern->name, (long long)p, ckp_plan_policy_name(plan, k), what, d,
                        plan->antithetic ? " (antithetic)" : "");
                rc = 1;
            }
        }
    }
    /* A traced call gives the bits of an untraced one (the observer only reads). */
    if (rc == 0 && paths > 0) {
        ckp_path_uniforms(lay, &plan->base, 0, plan->antithetic, u);
        ckp_work_uniforms_new(wk, u);
        ckp_trace_observer ta;
        ckp_trace_observer_init(&ta, plan->model[0], &a.tr);
        kern->path(plan->model[0], plan->prep[0], lay, wk, u, a.rec, a.obs, &ta.ob);
        kern->path(plan->model[0], plan->prep[0], lay, wk, u, b.rec, b.obs, NULL);
        if (first_diff(a.rec, b.rec, lay->record) >= 0 ||
            first_diff(a.obs, b.obs, T * lay->obs_per_month) >= 0) {
            fprintf(stderr, "%s: kernel %s: a traced path differs from an untraced one\n", file,
                    kern->name);
            rc = 1;
        }
    }
    ckp_work_free(wr);
    ckp_work_free(wk);
    bufs_free(&a);
    bufs_free(&b);
    free(u);
    free(uk);
    free(lz.st);
    ckp_rng_skip_free(&skip);
    return rc;
}

/* The sizes of the successive blocks of a block check: full blocks and every
 * remainder, in an order that moves paths between lanes. */
static const int block_sizes[] = {4, 3, 4, 1, 2, 4, 4, 2};

/* Compare kernel k's block entry against the reference on one plan: the
 * paths in blocks of block_sizes (cyclically), every policy of a block in
 * run order, each lane on its own scratch as the run keeps them. 0 when
 * equal. */
static int check_block(const ckp_plan *plan, const ckp_kernel *kern, const char *file,
                       int64_t paths)
{
    const ckp_kernel *ref = ckp_kernel_find("reference");
    const ckp_layout *lay = &plan->lay;
    const size_t nobs = (size_t)lay->T * lay->obs_per_month;
    ckp_work *wr = NULL, *wl[CKP_LANES] = {NULL};
    ckp_error err;
    double *u[CKP_LANES], *uk[CKP_LANES], *rec[CKP_LANES], *obs[CKP_LANES];
    double *ra = calloc(lay->record, sizeof(double)), *oa = calloc(nobs, sizeof(double));
    ckp_rng_skip skip = {0};
    ckp_sev_lazy lz[CKP_LANES];
    int bad = !ra || !oa || ckp_work_create(plan->sc, &wr, &err) != CKP_OK;
    bad |= ckp_rng_skip_init(&skip, &plan->base, (size_t)lay->S * lay->M) != 0;
    for (int l = 0; l < CKP_LANES; l++) {
        lz[l].skip = &skip;
        lz[l].st = calloc((size_t)lay->T, sizeof(ckp_u128));
        uk[l] = calloc(lay->uniforms, sizeof(double));
        bad |= !lz[l].st || !uk[l];
        u[l] = calloc(lay->uniforms, sizeof(double));
        rec[l] = calloc(lay->record, sizeof(double));
        obs[l] = calloc(nobs, sizeof(double));
        bad |= !u[l] || !rec[l] || !obs[l] || ckp_work_create(plan->sc, &wl[l], &err) != CKP_OK;
    }
    int rc = bad ? 2 : 0;
    for (int64_t p0 = 0, b = 0; p0 < paths && rc == 0; b++) {
        int n = block_sizes[b % (int64_t)(sizeof block_sizes / sizeof block_sizes[0])];
        if (n > paths - p0)
            n = (int)(paths - p0);
        for (int l = 0; l < n; l++) {
            ckp_path_uniforms(lay, &plan->base, (uint64_t)(p0 + l), plan->antithetic, u[l]);
            kernel_uniforms(plan, p0 + l, u[l], uk[l], &lz[l], wl[l]); /* as the run does */
        }
        for (int k = 0; k < plan->npol && rc == 0; k++) {
            /* With and without observables, alternating by block. */
            kern->block(plan->model[k], plan->prep[k], lay, wl, n, (const double *const *)uk, rec,
                        b % 3 == 2 ? NULL : obs);
            for (int l = 0; l < n && rc == 0; l++) {
                ref->path(plan->model[k], plan->prep[k], lay, wr, u[l], ra, oa, NULL);
                const char *what = "record";
                long d = first_diff(ra, rec[l], lay->record);
                if (d < 0 && b % 3 != 2)
                    what = "observables", d = first_diff(oa, obs[l], nobs);
                compared += (long long)(lay->record + (b % 3 != 2 ? nobs : 0));
                if (d >= 0) {
                    fprintf(stderr,
                            "%s: kernel %s (block of %d, lane %d) differs from the reference: "
                            "path %lld, policy %s, %s cell %ld%s\n",
                            file, kern->name, n, l, (long long)(p0 + l),
                            ckp_plan_policy_name(plan, k), what, d,
                            plan->antithetic ? " (antithetic)" : "");
                    rc = 1;
                }
            }
        }
        p0 += n;
    }
    ckp_work_free(wr);
    for (int l = 0; l < CKP_LANES; l++) {
        ckp_work_free(wl[l]);
        free(u[l]);
        free(uk[l]);
        free(lz[l].st);
        free(rec[l]);
        free(obs[l]);
    }
    free(ra);
    free(oa);
    ckp_rng_skip_free(&skip);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kernel_check PATHS SCENARIO.yaml...\n");
        return 2;
    }
    const int64_t paths = atoll(argv[1]);
    int kernels = 0, files = 0;
    long blocks = 0;
    for (size_t i = 0; i < ckp_kernel_count(); i++)
        kernels += ckp_kernel_at(i)->available() && strcmp(ckp_kernel_at(i)->name, "reference");
    for (int f = 2; f < argc; f++) {
        ckp_scenario *sc = NULL;
        ckp_error err;
        if (ckp_scenario_load_file(argv[f], &sc, &err) != CKP_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 2;
        }
        for (int anti = 0; anti <= 1; anti++) {
            ckp_run_options o;
            ckp_run_options_default(&o, sc);
            o.paths = paths + (paths & 1);
            o.antithetic = anti;
            ckp_plan *plan = NULL;
            if (ckp_plan_create(sc, &o, &plan, &err) != CKP_OK) {
                fprintf(stderr, "%s: %s\n", argv[f], err.message);
                ckp_scenario_free(sc);
                return 2;
            }
            for (size_t i = 0; i < ckp_kernel_count(); i++) {
                const ckp_kernel *k = ckp_kernel_at(i);
                if (!k->available() || strcmp(k->name, "reference") == 0)
                    continue;
                int rc = check_plan(plan, k, argv[f], o.paths);
                if (rc == 0 && k->block) {
                    rc = check_block(plan, k, argv[f], o.paths);
                    blocks++;
                }
                if (rc != 0) {
                    ckp_plan_free(plan);
                    ckp_scenario_free(sc);
                    return rc;
                }
            }
            ckp_plan_free(plan);
        }
        ckp_scenario_free(sc);
        files++;
    }
    printf("kernel_check: %d kernel(s) against the reference on %d scenarios (%ld block "
           "checks), %lld numbers compared, 0 differences\n",
           kernels, files, blocks, compared);
    return 0;
}
