/* chokepoint: one simulated path (MODEL.md sections 3 and 5).
 *
 * What a path produces and how it is laid out: the metric table, the layout
 * of a path's record and per-month observables, the order of its uniforms,
 * and the trace a replay fills (ckp_plan_replay in plan.h). The simulation
 * itself (preparation, scratch, kernels) is internal to the library. */
#ifndef CHOKEPOINT_SIM_H
#define CHOKEPOINT_SIM_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#include "chokepoint/error.h"
#include "chokepoint/rng.h"
#include "chokepoint/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Per-path metrics record --------------------------------------------
 * One path and one policy give a flat record of doubles, metric after metric
 * in the order of this enum; a metric over dimensions (industry, material,
 * supplier x regime) occupies consecutive slots, row-major. */
typedef enum ckp_metric_id {
    CKP_M_LOSS_TOTAL = 0,     /* scalar: sum_i loss[i] (currency) */
    CKP_M_LOSS,               /* [I] accumulated loss of industry i (currency) */
    CKP_M_INOP_PEAK,          /* [I] max_t q_i */
    CKP_M_SHORTFALL_PEAK,     /* [M] max_t x_m */
    CKP_M_SHORTFALL_MEAN,     /* [M] mean over the T months of x_m */
    CKP_M_SHORTFALL_MONTHS,   /* [M] months with x_m > shortfall_threshold */
    CKP_M_STOCK_MIN,          /* [M] min over t of L_m after the month, in days */
    CKP_M_STOCKOUT_MONTH,     /* [M] first t with need > 0 and L = 0 after release; -1 never */
    CKP_M_PRICE_PEAK,         /* [M] max_t pi_m */
    CKP_M_PRICE_MEAN,         /* [M] mean over the T months of pi_m */
    CKP_M_EXTRA_COST,         /* [M] extra import cost (currency) */
    CKP_M_REGIME_MONTHS,      /* [S*K] months supplier s spent in regime k */
    CKP_M_COUNT
} ckp_metric_id;

typedef enum ckp_dimset {
    CKP_DIMS_SCALAR = 0,
    CKP_DIMS_INDUSTRY,
    CKP_DIMS_MATERIAL,
    CKP_DIMS_SUPPLIER_REGIME
} ckp_dimset;

typedef struct ckp_metric_info {
    const char *name;      /* MODEL.md name, e.g. "loss_total", "shortfall_peak" */
    ckp_dimset dims;
    const char *units;     /* e.g. "currency", "1", "months", "days" */
    const char *long_name;
    int is_integer;        /* values are whole numbers (months, month index) */
} ckp_metric_info;

/* The table of metrics, CKP_M_COUNT entries, in record order. */
CKP_API const ckp_metric_info *ckp_metric_table(void);

/* Offsets of each metric inside the record for a model's dimensions. */
typedef struct ckp_layout {
    int S, K, M, I, T;
    size_t offset[CKP_M_COUNT];
    size_t length[CKP_M_COUNT];
    size_t record;         /* doubles per path record */
    /* Per-month observables, per path: for t in 0..T-1 a block of `obs_per_month`
     * doubles: x[M] (shortfall), q[I] (inoperability), pi[M] (price multiple),
     * L[M] (stockpile after the month, days). */
    size_t obs_x, obs_q, obs_pi, obs_L; /* offsets inside one month's block */
    size_t obs_per_month;
    size_t uniforms;       /* uniforms per path: S + T * (S + S*M + 3M) */
} ckp_layout;

/* ---- Uniforms ---------------------------------------------------------------- */
/* The lay->uniforms uniforms of path p (MODEL.md section 4 order): S initial
 * regime uniforms, then per month S regime, S*M severity (supplier-major),
 * M price-noise, M jump-indicator, M jump-size. With `antithetic`, an odd path
 * 2j+1 gets 1 - u of path 2j's uniforms. */
CKP_API void ckp_path_uniforms(const ckp_layout *lay, const ckp_pcg64 *base, uint64_t p,
                       int antithetic, double *u);

/* ---- Optional full trace (for replay); any NULL member is skipped ----------- */
typedef struct ckp_trace {
    int *regime;        /* T*S, regime after month t's transition */
    double *block;      /* T*S*M, b[s,m] */
    double *gap;        /* T*M */
    double *supply;     /* T*M, a_m */
    double *ramp;       /* T*M, G_m */
    double *reroute;    /* T*M */
    double *release;    /* T*M */
    double *stock_days; /* T*M, L_m after the month, days */
    double *shortfall;  /* T*M, x_m */
    double *price;      /* T*M, pi_m */
    double *q0;         /* T*I, direct inoperability */
    double *inop;       /* T*I, q_i after propagation */
    double *loss;       /* T*I, loss of the month q_i X_i / 12 */
    double *cost;       /* T*M, extra import cost of the month */
} ckp_trace;

#ifdef __cplusplus
}
#endif
#endif
