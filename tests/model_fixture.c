/* chokepoint tests: hand-built models (see model_fixture.h). */
#include "model_fixture.h"
#include "engine/sim/sim_impl.h"

#include <stdlib.h>
#include <string.h>

#include "engine/scenario/scenario_impl.h"

static double *dz(size_t n)
{
    return calloc(n ? n : 1, sizeof(double));
}

int fx_model_alloc(ckp_model *m, int S, int K, int M, int I, int T, const int *nroutes_of,
                   const double *shares, const int *exp_count, const int *exp_list)
{
    memset(m, 0, sizeof *m);
    m->S = S;
    m->K = K;
    m->M = M;
    m->I = I;
    m->T = T;
    m->importer = -1;
    int nr = 0;
    for (int j = 0; j < M; j++)
        nr += nroutes_of[j];
    int ne = 0;
    for (int r = 0; r < nr; r++)
        ne += exp_count[r];
    m->nroutes = nr;
    m->route_off = calloc((size_t)M + 1, sizeof(int));
    m->route_share = dz((size_t)nr);
    m->route_exp_off = calloc((size_t)nr + 1, sizeof(int));
    m->route_exp = calloc((size_t)(ne ? ne : 1), sizeof(int));
    size_t sk = (size_t)S * K, skm = sk * M, mm = (size_t)M;
    m->P = dz(sk * K);
    m->init = dz(sk);
    m->corr = dz((size_t)S * S);
    m->block_min = dz(skm);
    m->block_mode = dz(skm);
    m->block_max = dz(skm);
    m->spare = dz((size_t)S * M);
    m->tau_up = dz(mm);
    m->tau_down = dz(mm);
    m->stock0 = dz(mm);
    m->target = dz(mm);
    m->max_release = dz(mm);
    m->trigger = dz(mm);
    m->refill = dz(mm);
    m->p0 = dz(mm);
    m->volume = dz(mm);
    m->eta = dz(mm);
    m->cap = dz(mm);
    m->price_floor = dz(mm);
    m->phi = dz(mm);
    m->sigma = dz(mm);
    m->lambda = dz(mm);
    m->muJ = dz(mm);
    m->sigmaJ = dz(mm);
    m->price_corr = dz(mm * mm);
    m->C = dz(mm * I);
    m->Astar = dz((size_t)I * I);
    m->Kres = dz((size_t)I);
    m->X = dz((size_t)I);
    if (!m->route_off || !m->route_share || !m->route_exp_off || !m->route_exp || !m->P ||
        !m->init || !m->corr || !m->block_min || !m->block_mode || !m->block_max ||
        !m->spare || !m->tau_up || !m->tau_down || !m->stock0 || !m->target ||
        !m->max_release || !m->trigger || !m->refill || !m->p0 || !m->volume || !m->eta ||
        !m->cap || !m->price_floor || !m->phi || !m->sigma || !m->lambda || !m->muJ ||
        !m->sigmaJ || !m->price_corr || !m->C || !m->Astar || !m->Kres || !m->X) {
        fx_model_free(m);
        return -1;
    }
    int r = 0, e = 0;
    for (int j = 0; j < M; j++) {
        m->route_off[j] = r;
        for (int k = 0; k < nroutes_of[j]; k++, r++) {
            m->route_share[r] = shares[r];
            m->route_exp_off[r] = e;
            for (int c = 0; c < exp_count[r]; c++, e++)
                m->route_exp[e] = exp_list[e];
        }
    }
    m->route_off[M] = r;
    m->route_exp_off[nr] = e;
    for (int s = 0; s < S; s++) {
        m->corr[(size_t)s * S + s] = 1.0;
        m->init[(size_t)s * K] = 1.0;
        for (int k = 0; k < K; k++)
            m->P[((size_t)s * K + k) * K + k] = 1.0;
    }
    m->corr_identity = 1;
    for (int j = 0; j < M; j++) {
        m->price_corr[(size_t)j * M + j] = 1.0;
        m->p0[j] = 1.0;
        m->volume[j] = 1.0;
        m->eta[j] = 1.0;
        m->cap[j] = 100.0;
    }
    m->price_corr_identity = 1;
    for (int i = 0; i < I; i++) {
        m->Kres[i] = 1.0;
        m->X[i] = 12.0;
    }
    m->rule = CKP_RULE_INDEPENDENT;
    m->propagation = CKP_PROP_STATIC;
    m->shortfall_threshold = 0.01;
    return 0;
}

void fx_model_free(ckp_model *m)
{
    free(m->route_off);
    free(m->route_share);
    free(m->route_exp_off);
    free(m->route_exp);
    free(m->P);
    free(m->init);
    free(m->corr);
    free(m->block_min);
    free(m->block_mode);
    free(m->block_max);
    free(m->spare);
    free(m->tau_up);
    free(m->tau_down);
    free(m->stock0);
    free(m->target);
    free(m->max_release);
    free(m->trigger);
    free(m->refill);
    free(m->p0);
    free(m->volume);
    free(m->eta);
    free(m->cap);
    free(m->price_floor);
    free(m->phi);
    free(m->sigma);
    free(m->lambda);
    free(m->muJ);
    free(m->sigmaJ);
    free(m->price_corr);
    free(m->C);
    free(m->Astar);
    free(m->Kres);
    free(m->X);
    memset(m, 0, sizeof *m);
}

void fx_scenario_wrap(ckp_scenario *sc, ckp_model *models, int npol)
{
    memset(sc, 0, sizeof *sc);
    sc->S = models[0].S;
    sc->K = models[0].K;
    sc->M = models[0].M;
    sc->I = models[0].I;
    sc->T = models[0].T;
    sc->npolicies = npol;
    sc->models = models;
}

int fx_model_default(ckp_model *m, int T, int variant)
{
    enum { S = 8, K = 4, M = 5, I = 10 };
    /* Suppliers: 0 KR (importer), 1 CN, 2 AU, 3 MY, 4 JP, 5 US, 6 VN, 7 EE. */
    static const int nroutes_of[M] = {3, 2, 3, 2, 3};
    static const double shares[13] = {0.6, 0.25, 0.15, 0.8, 0.2, 0.5,
                                      0.3, 0.2, 0.7, 0.3, 0.5, 0.3, 0.2};
    static const int exp_count[13] = {1, 2, 1, 1, 1, 1, 2, 0, 1, 2, 1, 1, 2};
    static const int exp_list[16] = {1, 2, 1, 3, 1, 6, 1, 3, 4, 1, 3, 1, 5, 1, 4, 6};
    if (fx_model_alloc(m, S, K, M, I, T, nroutes_of, shares, exp_count, exp_list) != 0)
        return -1;
    m->importer = 0;
    /* Regimes: open, licensing, restricted, embargo. CN moves most. */
    static const double Pcn[K * K] = {0.93, 0.05, 0.015, 0.005, 0.15, 0.75, 0.08, 0.02,
                                      0.05, 0.15, 0.75, 0.05, 0.02, 0.08, 0.2, 0.7};
    static const double Poth[K * K] = {0.985, 0.01, 0.004, 0.001, 0.3, 0.65, 0.04, 0.01,
                                       0.2, 0.2, 0.55, 0.05, 0.1, 0.1, 0.3, 0.5};
    for (int s = 0; s < S; s++) {
        memcpy(m->P + (size_t)s * K * K, s == 1 ? Pcn : Poth, sizeof Pcn);
        if (s == 1) {
            m->init[s * K + 0] = 0.7;
            m->init[s * K + 1] = 0.3;
        }
        for (int k = 1; k < K; k++)
            for (int j = 0; j < M; j++) {
                size_t x = ((size_t)s * K + k) * M + j;
                double lo = 0.1 * k, hi = 0.25 * k + 0.2;
                if (hi > 1.0)
                    hi = 1.0;
                if (k == 3) {
                    m->block_min[x] = m->block_mode[x] = m->block_max[x] = 0.95;
                } else {
                    m->block_min[x] = lo;
                    m->block_mode[x] = 0.5 * (lo + hi);
                    m->block_max[x] = hi;
                }
            }
    }
    /* Importer's regimes would block, but must not. */
    for (int j = 0; j < M; j++)
        m->block_min[(0 * K + 3) * M + j] = m->block_mode[(0 * K + 3) * M + j] =
            m->block_max[(0 * K + 3) * M + j] = 1.0;
    m->corr_identity = 0;
    for (int a = 0; a < S; a++)
        for (int b = 0; b < S; b++)
            m->corr[a * S + b] = a == b ? 1.0 : (a == 1 || b == 1) ? 0.3 : 0.1;
    m->price_corr_identity = 0;
    for (int a = 0; a < M; a++)
        for (int b = 0; b < M; b++)
            m->price_corr[a * M + b] = a == b ? 1.0 : 0.4;
    for (int j = 0; j < M; j++) {
        for (int s = 2; s < S; s++)
            m->spare[(size_t)s * M + j] = 0.03 + 0.01 * ((s + j) % 3);
        m->tau_up[j] = 6.0;
        m->tau_down[j] = 3.0;
        m->stock0[j] = 60.0 / CKP_DAYS_PER_MONTH;
        m->target[j] = 90.0 / CKP_DAYS_PER_MONTH;
        m->max_release[j] = 0.4;
        m->trigger[j] = 0.02;
        m->refill[j] = 0.1;
        m->p0[j] = 50.0 + 20.0 * j;
        m->volume[j] = 1000.0;
        m->eta[j] = 0.3;
        m->cap[j] = 20.0;
        m->price_floor[j] = j == 0 ? 1.2 : 0.0;
        m->phi[j] = 0.8;
        m->sigma[j] = 0.08;
        m->lambda[j] = 0.02;
        m->muJ[j] = 0.2;
        m->sigmaJ[j] = 0.1;
    }
    for (int j = 0; j < M; j++)
        for (int i = 0; i < I; i++)
            m->C[(size_t)j * I + i] = ((i + 2 * j) % 4 == 0) ? 0.3 + 0.05 * j : 0.0;
    for (int i = 0; i < I; i++) {
        m->X[i] = 1e10 * (1 + i % 3);
        m->Kres[i] = 0.5;
        m->Astar[(size_t)i * I + (i + 1) % I] = 0.2;
        m->Astar[(size_t)i * I + (i + 3) % I] = 0.1;
    }
    switch (variant) {
    case 1: /* bigger stockpile */
        for (int j = 0; j < M; j++) {
            m->stock0[j] *= 2.0;
            m->target[j] *= 2.0;
        }
        break;
    case 2: /* more spare capacity from allies */
        for (int j = 0; j < M; j++)
            m->spare[(size_t)2 * M + j] += 0.1;
        break;
    case 3: /* shift route shares away from the first (China) route */
        for (int j = 0; j < M; j++) {
            int r0 = m->route_off[j], r1 = r0 + 1;
            double d = 0.2 * m->route_share[r0];
            m->route_share[r0] -= d;
            m->route_share[r1] += d;
        }
        break;
    case 4: /* price cap */
        for (int j = 0; j < M; j++)
            m->cap[j] = 5.0;
        break;
    case 5: /* bottleneck rule */
        m->rule = CKP_RULE_BOTTLENECK;
        break;
    default:
        break;
    }
    return 0;
}
