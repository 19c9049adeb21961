/* chokepoint: the layout of a path's numbers (include/chokepoint/sim.h):
 * the metric table (names, dimensions, units, long names), the offsets of
 * each metric inside a record, the per-month observables, and the order in
 * which a path draws its uniforms (MODEL.md section 4). */
#include <string.h>

#include "engine/sim/sim_impl.h"

static const ckp_metric_info metric_table[CKP_M_COUNT] = {
    {"loss_total", CKP_DIMS_SCALAR, "currency", "output lost over the horizon, all industries",
     0},
    {"loss", CKP_DIMS_INDUSTRY, "currency", "output lost over the horizon by industry", 0},
    {"inoperability_peak", CKP_DIMS_INDUSTRY, "1", "peak monthly inoperability", 0},
    {"shortfall_peak", CKP_DIMS_MATERIAL, "1",
     "peak monthly physical shortfall (fraction of baseline demand)", 0},
    {"shortfall_mean", CKP_DIMS_MATERIAL, "1",
     "mean monthly physical shortfall (fraction of baseline demand)", 0},
    {"shortfall_months", CKP_DIMS_MATERIAL, "months",
     "months with shortfall above the threshold", 1},
    {"stockpile_min", CKP_DIMS_MATERIAL, "days",
     "lowest stockpile after any month (days of baseline demand)", 0},
    {"stockout_month", CKP_DIMS_MATERIAL, "month",
     "first month the stockpile ran dry with need left (the fill value: never)", 1},
    {"price_peak", CKP_DIMS_MATERIAL, "1", "peak price multiple of the baseline price", 0},
    {"price_mean", CKP_DIMS_MATERIAL, "1", "mean price multiple of the baseline price", 0},
    {"extra_cost", CKP_DIMS_MATERIAL, "currency", "extra import cost over the horizon", 0},
    {"regime_months", CKP_DIMS_SUPPLIER_REGIME, "months",
     "months each supplier spent in each regime", 1},
};

const ckp_metric_info *ckp_metric_table(void)
{
    return metric_table;
}

void ckp_layout_init(ckp_layout *lay, const ckp_model *m)
{
    memset(lay, 0, sizeof *lay);
    lay->S = m->S;
    lay->K = m->K;
    lay->M = m->M;
    lay->I = m->I;
    lay->T = m->T;
    size_t off = 0;
    for (int id = 0; id < CKP_M_COUNT; id++) {
        size_t len = 1;
        switch (metric_table[id].dims) {
        case CKP_DIMS_SCALAR: len = 1; break;
        case CKP_DIMS_INDUSTRY: len = (size_t)m->I; break;
        case CKP_DIMS_MATERIAL: len = (size_t)m->M; break;
        case CKP_DIMS_SUPPLIER_REGIME: len = (size_t)m->S * (size_t)m->K; break;
        }
        lay->offset[id] = off;
        lay->length[id] = len;
        off += len;
    }
    lay->record = off;
    lay->obs_x = 0;
    lay->obs_q = (size_t)m->M;
    lay->obs_pi = (size_t)m->M + (size_t)m->I;
    lay->obs_L = 2 * (size_t)m->M + (size_t)m->I;
    lay->obs_per_month = 3 * (size_t)m->M + (size_t)m->I;
    size_t D = (size_t)m->S + (size_t)m->S * m->M + 3 * (size_t)m->M;
    lay->uniforms = (size_t)m->S + (size_t)m->T * D;
}

void ckp_path_uniforms(const ckp_layout *lay, const ckp_pcg64 *base, uint64_t p,
                       int antithetic, double *u)
{
    ckp_pcg64 g;
    /* The odd member of an antithetic pair replays its even partner's stream
     * and reflects it; 1 - u is exact on the uniform grid. */
    uint64_t src = antithetic ? (p & ~(uint64_t)1) : p;
    ckp_pcg64_path(&g, base, src);
    ckp_uniform_fill(&g, u, lay->uniforms);
    if (antithetic && (p & 1))
        for (size_t i = 0; i < lay->uniforms; i++)
            u[i] = 1.0 - u[i];
}

void ckp_path_uniforms_lazy(const ckp_layout *lay, const ckp_pcg64 *base, uint64_t p,
                            int antithetic, double *u, ckp_sev_lazy *lz)
{
    const size_t S = (size_t)lay->S, SM = S * lay->M, D = S + SM + 3 * (size_t)lay->M;
    ckp_pcg64 g;
    const uint64_t src = antithetic ? (p & ~(uint64_t)1) : p;
    const int reflect = antithetic && (p & 1);
    ckp_pcg64_path(&g, base, src);
    /* The draws in the order of ckp_path_uniforms, each month's S*M
     * severity draws stepped over in one multiply-add. */
    ckp_uniform_fill(&g, u, S);
    for (int t = 0; t < lay->T; t++) {
        double *ub = u + S + (size_t)t * D;
        ckp_uniform_fill(&g, ub, S);
        lz->st[t] = g.state;
        ckp_rng_skip_over(lz->skip, &g);
        ckp_uniform_fill(&g, ub + S + SM, D - S - SM);
        if (reflect) {
            for (size_t i = 0; i < S; i++)
                ub[i] = 1.0 - ub[i];
            for (size_t i = S + SM; i < D; i++)
                ub[i] = 1.0 - ub[i];
        }
    }
    if (reflect)
        for (size_t i = 0; i < S; i++)
            u[i] = 1.0 - u[i];
    lz->reflect = reflect;
}
