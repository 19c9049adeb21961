/* chokepoint: the layout of a results file as one table (internal header of
 * the output module; docs/output-format.md describes the same layout).
 *
 * The writer and the reader name every dimension, group, fixed dataset,
 * attribute and summary statistic through this table, so neither spells a
 * name or a statistic index by itself. The per-path metrics are named by the
 * sim module's ckp_metric_table(), the quantiles by stats.h's
 * CKP_QUANTILE_PROBS. No HDF5 here: the table is plain data. */
#ifndef CKP_SCHEMA_IMPL_H
#define CKP_SCHEMA_IMPL_H

#include <stddef.h>

#include "chokepoint/sim.h"
#include "chokepoint/stats.h"

/* The units marker for money: written as the scenario's currency. */
#define CKP_SCHEMA_CURRENCY "currency"

/* ---- Dimensions (each a coordinate dataset of the same name) ---------------- */

typedef enum ckp_dim {
    CKP_D_PATH,
    CKP_D_SUPPLIER,
    CKP_D_REGIME,
    CKP_D_MATERIAL,
    CKP_D_INDUSTRY,
    CKP_D_MONTH,
    CKP_D_QUANTILE,
    CKP_D_STAT,
    CKP_D_BIN,
    CKP_D_POLICY,
    CKP_D_LEVEL,
    CKP_D_TAIL, /* tail figure: var95 cvar95 var99 cvar99 (tail/, tail_se.c) */
    CKP_D_COUNT
} ckp_dim;

typedef struct ckp_dim_info {
    const char *name;
    const char *units;     /* of the coordinate values */
    const char *long_name;
} ckp_dim_info;

extern const ckp_dim_info ckp_schema_dim[CKP_D_COUNT];

/* The coordinates of the root group, in the order they are written. */
#define CKP_SCHEMA_ROOT_DIMS 7
extern const ckp_dim ckp_schema_root_dim[CKP_SCHEMA_ROOT_DIMS];

/* The dimensions after `path` of a metric's block (none, industry, material,
 * or supplier x regime): writes them to dims and returns how many. */
int ckp_schema_metric_dims(ckp_dimset ds, ckp_dim *dims);

/* ---- Groups ----------------------------------------------------------------- */

typedef enum ckp_group {
    CKP_G_NONE = -1,  /* the policy group itself */
    CKP_G_POLICIES,   /* at the root: one subgroup per policy */
    CKP_G_SUMMARY,    /* the rest are subgroups of a policy group */
    CKP_G_QUANTILES,
    CKP_G_EXCEEDANCE,
    CKP_G_MONTH,
    CKP_G_COMPARISON,
    CKP_G_TAIL,       /* standard errors of VaR and CVaR (tail_se.c) */
    CKP_G_COUNT
} ckp_group;

extern const char *const ckp_schema_group[CKP_G_COUNT];

/* "policies/<policy>/<group>/<name>" (no group part for CKP_G_NONE) into buf.
 * Returns 0, or -1 when it does not fit in cap bytes. */
int ckp_schema_path(char *buf, size_t cap, const char *policy, ckp_group g, const char *name);

/* ---- Summary statistics along `stat` ------------------------------------------ */

#define CKP_NSTAT 10
extern const char *const ckp_schema_stat[CKP_NSTAT];

/* A summary as the CKP_NSTAT values of one `stat` row, and back. The
 * quantiles (s->q) are stored apart, along `quantile`. */
void ckp_schema_stats_pack(const ckp_summary *s, double *row);
void ckp_schema_stats_unpack(const double *row, ckp_summary *s);

/* ---- Datasets of fixed name in a policy group ---------------------------------- */

typedef enum ckp_ds {
    CKP_DS_EXCEEDANCE_PROB,   /* exceedance/prob (level) */
    CKP_DS_BENEFIT,           /* comparison/benefit (path), chunked */
    CKP_DS_BENEFIT_MEAN,      /* comparison/ scalars and quantiles, in writing order */
    CKP_DS_BENEFIT_SE,
    CKP_DS_P_POSITIVE,
    CKP_DS_BENEFIT_QUANTILES,
    CKP_DS_BCR,
    CKP_DS_COUNT
} ckp_ds;

typedef struct ckp_ds_info {
    ckp_group group;
    const char *name;
    int rank;              /* 0 (scalar) or 1 */
    ckp_dim dim;           /* the dimension when rank is 1 */
    const char *units;
    const char *long_name;
} ckp_ds_info;

extern const ckp_ds_info ckp_schema_ds[CKP_DS_COUNT];

/* ---- Per-month statistics: month/<observable>_<variant> ------------------------ */

typedef enum ckp_month_obs {
    CKP_MO_SHORTFALL,     /* x, per material */
    CKP_MO_INOPERABILITY, /* q, per industry */
    CKP_MO_PRICE,         /* pi, per material */
    CKP_MO_STOCK,         /* L, per material */
    CKP_MO_COUNT
} ckp_month_obs;

typedef struct ckp_month_obs_info {
    const char *name;
    const char *units;
    const char *long_name;
    ckp_dim dim;          /* material or industry */
} ckp_month_obs_info;

extern const ckp_month_obs_info ckp_schema_month_obs[CKP_MO_COUNT];

typedef enum ckp_month_var {
    CKP_MV_MEAN,       /* (month, e): mean over paths */
    CKP_MV_HIST,       /* (month, e, bin): uint64 counts */
    CKP_MV_HIST_UPPER, /* (e, bin): upper bin edges */
    CKP_MV_BAND,       /* (month, e, quantile): fan-chart quantiles */
    CKP_MV_COUNT
} ckp_month_var;

/* Name, long name, units and dimensions (returns the rank) of one dataset of
 * month/. name and long_name are written into buffers of the given sizes. */
void ckp_schema_month_name(ckp_month_obs o, ckp_month_var v, char *name, size_t name_cap,
                           char *long_name, size_t long_cap);
const char *ckp_schema_month_units(ckp_month_obs o, ckp_month_var v);
int ckp_schema_month_dims(ckp_month_obs o, ckp_month_var v, ckp_dim *dims);

/* ---- Attributes -------------------------------------------------------------- */

/* Root. */
#define CKP_A_SCHEMA_VERSION "schema_version"
#define CKP_A_ENGINE_VERSION "engine_version"
#define CKP_A_SEED "seed"
#define CKP_A_STATE_HI "state_hi"
#define CKP_A_STATE_LO "state_lo"
#define CKP_A_INC_HI "inc_hi"
#define CKP_A_INC_LO "inc_lo"
#define CKP_A_FIRST_PATH "first_path"
#define CKP_A_PATHS "paths"
#define CKP_A_HORIZON "horizon_months"
#define CKP_A_ANTITHETIC "antithetic"
#define CKP_A_MONTH_STATS "month_stats"
#define CKP_A_SCENARIO_NAME "scenario_name"
#define CKP_A_CURRENCY "currency"
#define CKP_A_IMPORTER "importer"
#define CKP_A_SCENARIO_RESOLVED "scenario_resolved"
#define CKP_A_SCENARIO_SOURCE "scenario_source"
#define CKP_A_COMMAND_LINE "command_line"
#define CKP_A_CREATED_UTC "created_utc"
#define CKP_A_COMPLETE "complete"
/* Root, only in a run stopped by a target (`run --target-se`, target.c). */
#define CKP_A_TARGET_SE "target_se"
#define CKP_A_TARGET_REL_SE "target_rel_se"
#define CKP_A_TARGET_ON "target_on"
#define CKP_A_TARGET_MAX_PATHS "target_max_paths"
#define CKP_A_TARGET_MET "target_met"
#define CKP_A_TARGET_WORST "target_worst"
/* A policy group. */
#define CKP_A_POLICY_INDEX "policy_index"
#define CKP_A_DESCRIPTION "description"
#define CKP_A_CHANGES "changes"
#define CKP_A_HAS_COST "has_cost"
#define CKP_A_ANNUAL_COST "annual_cost"
/* Every dataset; per-path metrics also carry is_integer, coordinates the
 * netCDF dimension id. */
#define CKP_A_UNITS "units"
#define CKP_A_LONG_NAME "long_name"
#define CKP_A_IS_INTEGER "is_integer"
#define CKP_A_NC_DIMID "_Netcdf4Dimid"
/* CF conventions (schema 2): the root's Conventions; stockout_month's
 * _FillValue (its "never"); with a scenario `start`, the `time` coordinate
 * (month) of dates and the coordinates attribute naming it on every dataset
 * along month. */
#define CKP_A_CONVENTIONS "Conventions"
#define CKP_SCHEMA_CONVENTIONS "CF-1.8"
#define CKP_A_FILL_VALUE "_FillValue"
#define CKP_SCHEMA_NEVER (-1.0) /* stockout_month of a path that never ran dry */
#define CKP_A_COORDINATES "coordinates"
#define CKP_A_CALENDAR "calendar"
#define CKP_A_STANDARD_NAME "standard_name"
#define CKP_SCHEMA_TIME "time"
/* summary/stockout_probability (material): the share of paths that ran dry. */
#define CKP_SCHEMA_STOCKOUT_PROB "stockout_probability"

#endif
