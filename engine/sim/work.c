/* chokepoint: one thread's simulation scratch (ckp_work): allocated once,
 * big enough for every policy of a scenario, so no path allocates. */
#include <stdint.h>
#include <stdlib.h>

#include "chokepoint/scenario.h"
#include "engine/core/error_impl.h"
#include "engine/sim/work_impl.h"

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
    free(w->rr);
    free(w->rel);
    free(w->pi);
    free(w->cm);
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
    free(w->vec_mem);
    free(w);
}

size_t ckp_work_bytes(const ckp_scenario *sc)
{
    const double S = sc->S, K = sc->K, M = sc->M, I = sc->I, T = sc->T;
    size_t gkey = 0;
    for (int k = 0; sc->models && k < sc->npolicies; k++) {
        size_t n = ckp_prep_gkey_bytes(&sc->models[k]);
        if (n > gkey)
            gkey = n;
    }
    /* the sizes of ckp_work_create below, in doubles of 8 bytes */
    double d = 2 * (T * S * M + T * S + 2 * T + S * K + 2 * T * M) + T * S * M * 2 + S + T * S +
               14 * M + 3 * I + S * M + 2 * T * S + S * S + 4 * T * M + 5 * M + M * M + T;
    if (sc->I >= CKP_GEMM_MIN_INDUSTRIES)
        d += 2 * I * T;
    d += 4 * (CKP_VEC_M * M + CKP_VEC_I * I);
    d = d * 8 + (double)gkey + (double)ckp_prep_rkey_bytes(sc->S, sc->K, sc->M) + sizeof(ckp_work);
    return d < (double)SIZE_MAX ? (size_t)d : SIZE_MAX;
}

void ckp_work_uniforms_new(ckp_work *w, const double *u)
{
    w->useq_u = u;
    w->useq = ++w->useq_last;
    w->lazy = NULL;
}

void ckp_work_uniforms_new_lazy(ckp_work *w, const double *u, const ckp_sev_lazy *lz)
{
    ckp_work_uniforms_new(w, u);
    w->lazy = lz;
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
        return CKP_FAIL(err, CKP_ERR_USAGE, "simulation scratch needs at least one supplier, regime, "
                             "material, industry and month");
    ckp_work *w = calloc(1, sizeof *w);
    if (!w)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
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
    w->rr = walloc(M, sizeof(double), &bad);
    w->rel = walloc(M, sizeof(double), &bad);
    w->pi = walloc(M, sizeof(double), &bad);
    w->cm = walloc(M, sizeof(double), &bad);
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
    /* vectors of 4 doubles, 32-byte aligned inside a calloc'd block */
    w->vec_mem = walloc(32 * (CKP_VEC_M * M + CKP_VEC_I * I) + 32, 1, &bad);
    if (w->vec_mem)
        w->vec = (double *)(void *)((char *)w->vec_mem + (32 - (uintptr_t)w->vec_mem % 32));
    if (bad) {
        ckp_work_free(w);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory for simulation scratch (I = %d, T = %d)", sc->I,
                             sc->T);
    }
    *out = w;
    return CKP_OK;
}
