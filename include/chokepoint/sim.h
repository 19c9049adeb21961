/* chokepoint: one simulated path (MODEL.md sections 3 and 5).
 *
 * The simulation core does no I/O and allocates nothing per path: a ckp_prep
 * (per policy, built once) holds the derived matrices, a ckp_work (per thread)
 * holds the scratch, and ckp_sim_path turns one path's uniforms into that
 * path's metrics record and per-month observables. */
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

CKP_API void ckp_layout_init(ckp_layout *lay, const ckp_model *m);

/* ---- Derived per-policy data ---------------------------------------------- */
typedef struct ckp_prep ckp_prep;

/* Check and derive what a policy needs for simulation: Cholesky factors of the
 * supplier and price correlations (refused unless positive definite), the
 * spectral radius of A* (refused if >= 1) and (I - A*)^-1 for static
 * propagation. *out is owned by the caller (ckp_prep_free). */
CKP_API ckp_status ckp_prep_create(const ckp_model *m, ckp_prep **out, ckp_error *err);
CKP_API void ckp_prep_free(ckp_prep *p);
/* The spectral radius of A* as checked by ckp_prep_create: when
 * min(||A*||_1, ||A*||_inf) is below 1 (with room for rounding) it proves the
 * radius below 1 without an eigen solve, and that bound (>= the radius) is
 * returned; otherwise the radius from the eigen solver. */
CKP_API double ckp_prep_spectral_radius(const ckp_prep *p);
/* (I - A*)^-1, I*I row-major (NULL for dynamic propagation). */
CKP_API const double *ckp_prep_leontief(const ckp_prep *p);

/* ---- Scratch ---------------------------------------------------------------- */
typedef struct ckp_work ckp_work;
/* Scratch for one thread, big enough for any policy of `sc`. */
CKP_API ckp_status ckp_work_create(const ckp_scenario *sc, ckp_work **out, ckp_error *err);
CKP_API void ckp_work_free(ckp_work *w);

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

/* Simulate one path of one policy from its uniforms `u` (lay->uniforms of
 * them). Writes the metrics record (lay->record doubles) to `record`, the
 * per-month observables (T * lay->obs_per_month doubles) to `obs` if not NULL,
 * and the full trace if `trace` is not NULL. No allocation, no I/O. */
CKP_API void ckp_sim_path(const ckp_model *m, const ckp_prep *prep, const ckp_layout *lay,
                  ckp_work *w, const double *u, double *record, double *obs,
                  ckp_trace *trace);

#ifdef __cplusplus
}
#endif
#endif
