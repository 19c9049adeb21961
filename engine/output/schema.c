/* chokepoint: the results-file layout table (schema_impl.h).
 *
 * Every name, unit and long name a results file holds, other than those of
 * the per-path metrics (the sim module's table), is spelled here once. */
#include "schema_impl.h"

#include <stdio.h>

const ckp_dim_info ckp_schema_dim[CKP_D_COUNT] = {
    /* Labels and indices carry no units (CF: none for names and counters). */
    [CKP_D_PATH] = {"path", NULL, "global path index"},
    [CKP_D_SUPPLIER] = {"supplier", NULL, "exporting economy"},
    [CKP_D_REGIME] = {"regime", NULL, "export-control regime"},
    [CKP_D_MATERIAL] = {"material", NULL, "material"},
    [CKP_D_INDUSTRY] = {"industry", NULL, "industry"},
    [CKP_D_MONTH] = {"month", NULL, "month of the horizon (1 is the first)"},
    [CKP_D_QUANTILE] = {"quantile", "1", "probability of the quantile"},
    [CKP_D_STAT] = {"stat", NULL, "summary statistic over paths"},
    [CKP_D_BIN] = {"bin", NULL, "histogram bin index"},
    [CKP_D_POLICY] = {"policy", NULL, "policy (run order, baseline first)"},
    [CKP_D_LEVEL] = {"level", CKP_SCHEMA_CURRENCY, "total loss level"},
    [CKP_D_TAIL] = {"tail", NULL, "tail figure (VaR and CVaR at 95 and 99 %)"},
};

const ckp_dim ckp_schema_root_dim[CKP_SCHEMA_ROOT_DIMS] = {
    CKP_D_SUPPLIER, CKP_D_REGIME, CKP_D_MATERIAL, CKP_D_INDUSTRY,
    CKP_D_MONTH,    CKP_D_QUANTILE, CKP_D_POLICY,
};

int ckp_schema_metric_dims(ckp_dimset ds, ckp_dim *dims)
{
    switch (ds) {
    case CKP_DIMS_INDUSTRY:
        dims[0] = CKP_D_INDUSTRY;
        return 1;
    case CKP_DIMS_MATERIAL:
        dims[0] = CKP_D_MATERIAL;
        return 1;
    case CKP_DIMS_SUPPLIER_REGIME:
        dims[0] = CKP_D_SUPPLIER;
        dims[1] = CKP_D_REGIME;
        return 2;
    default:
        return 0;
    }
}

const char *const ckp_schema_group[CKP_G_COUNT] = {
    [CKP_G_POLICIES] = "policies",     [CKP_G_SUMMARY] = "summary",
    [CKP_G_QUANTILES] = "quantiles",   [CKP_G_EXCEEDANCE] = "exceedance",
    [CKP_G_MONTH] = "month",           [CKP_G_COMPARISON] = "comparison",
    [CKP_G_TAIL] = "tail",
};

int ckp_schema_path(char *buf, size_t cap, const char *policy, ckp_group g, const char *name)
{
    const char *pols = ckp_schema_group[CKP_G_POLICIES];
    int n = g == CKP_G_NONE
                ? snprintf(buf, cap, "%s/%s/%s", pols, policy, name)
                : snprintf(buf, cap, "%s/%s/%s/%s", pols, policy, ckp_schema_group[g], name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

const char *const ckp_schema_stat[CKP_NSTAT] = {"count", "mean", "sd",     "se",    "min",
                                                "max",   "var95", "cvar95", "var99", "cvar99"};

void ckp_schema_stats_pack(const ckp_summary *s, double *row)
{
    const double v[CKP_NSTAT] = {s->count, s->mean,  s->sd,     s->se,    s->min,
                                 s->max,   s->var95, s->cvar95, s->var99, s->cvar99};
    for (int i = 0; i < CKP_NSTAT; i++)
        row[i] = v[i];
}

void ckp_schema_stats_unpack(const double *row, ckp_summary *s)
{
    double *v[CKP_NSTAT] = {&s->count, &s->mean,  &s->sd,     &s->se,    &s->min,
                            &s->max,   &s->var95, &s->cvar95, &s->var99, &s->cvar99};
    for (int i = 0; i < CKP_NSTAT; i++)
        *v[i] = row[i];
}

const ckp_ds_info ckp_schema_ds[CKP_DS_COUNT] = {
    [CKP_DS_EXCEEDANCE_PROB] = {CKP_G_EXCEEDANCE, "prob", 1, CKP_D_LEVEL, "1",
                                "probability that the total loss exceeds the level"},
    [CKP_DS_BENEFIT] = {CKP_G_COMPARISON, "benefit", 1, CKP_D_PATH, CKP_SCHEMA_CURRENCY,
                        "per-path benefit: baseline loss_total minus policy loss_total"},
    [CKP_DS_BENEFIT_MEAN] = {CKP_G_COMPARISON, "benefit_mean", 0, CKP_D_COUNT,
                             CKP_SCHEMA_CURRENCY, "mean benefit"},
    [CKP_DS_BENEFIT_SE] = {CKP_G_COMPARISON, "benefit_se", 0, CKP_D_COUNT, CKP_SCHEMA_CURRENCY,
                           "paired standard error of the mean benefit"},
    [CKP_DS_P_POSITIVE] = {CKP_G_COMPARISON, "p_positive", 0, CKP_D_COUNT, "1",
                           "probability of a positive benefit"},
    [CKP_DS_BENEFIT_QUANTILES] = {CKP_G_COMPARISON, "benefit_quantiles", 1, CKP_D_QUANTILE,
                                  CKP_SCHEMA_CURRENCY, "quantiles of the per-path benefit"},
    [CKP_DS_BCR] = {CKP_G_COMPARISON, "bcr", 0, CKP_D_COUNT, "1",
                    "benefit-cost ratio: mean benefit over the policy's cost across the horizon "
                    "(NaN without a cost)"},
};

const ckp_month_obs_info ckp_schema_month_obs[CKP_MO_COUNT] = {
    [CKP_MO_SHORTFALL] = {"shortfall", "1",
                          "physical shortfall (fraction of monthly baseline demand)",
                          CKP_D_MATERIAL},
    [CKP_MO_INOPERABILITY] = {"inoperability", "1",
                              "industry inoperability after propagation (fraction of output lost)",
                              CKP_D_INDUSTRY},
    [CKP_MO_PRICE] = {"price", "1", "price as a multiple of the baseline price", CKP_D_MATERIAL},
    [CKP_MO_STOCK] = {"stock_days", "day",
                      "stockpile at the end of the month (days of baseline demand)",
                      CKP_D_MATERIAL},
};

static const struct {
    const char *suffix;
    const char *long_prefix; /* followed by the observable's long name */
} month_var[CKP_MV_COUNT] = {
    [CKP_MV_MEAN] = {"mean", "mean over paths of the"},
    [CKP_MV_HIST] = {"hist", "paths per histogram bin of the"},
    [CKP_MV_HIST_UPPER] = {"hist_upper", "upper edge of each histogram bin of the"},
    [CKP_MV_BAND] = {"band", "fan-chart quantile (from the histogram) of the"},
};

void ckp_schema_month_name(ckp_month_obs o, ckp_month_var v, char *name, size_t name_cap,
                           char *long_name, size_t long_cap)
{
    snprintf(name, name_cap, "%s_%s", ckp_schema_month_obs[o].name, month_var[v].suffix);
    snprintf(long_name, long_cap, "%s %s", month_var[v].long_prefix,
             ckp_schema_month_obs[o].long_name);
}

const char *ckp_schema_month_units(ckp_month_obs o, ckp_month_var v)
{
    return v == CKP_MV_HIST ? "1" : ckp_schema_month_obs[o].units;
}

int ckp_schema_month_dims(ckp_month_obs o, ckp_month_var v, ckp_dim *dims)
{
    ckp_dim e = ckp_schema_month_obs[o].dim;
    switch (v) {
    case CKP_MV_MEAN:
        dims[0] = CKP_D_MONTH;
        dims[1] = e;
        return 2;
    case CKP_MV_HIST_UPPER:
        dims[0] = e;
        dims[1] = CKP_D_BIN;
        return 2;
    default:
        dims[0] = CKP_D_MONTH;
        dims[1] = e;
        dims[2] = v == CKP_MV_HIST ? CKP_D_BIN : CKP_D_QUANTILE;
        return 3;
    }
}
