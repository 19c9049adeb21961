/* chokepoint: what `chokepoint report` shows, read from a results file
 * (report.h). Everything comes from the file: the policy table from the
 * stored summaries (ckp_output_read_table, as `summary` prints it), the
 * curves and fans from their datasets, the exposure matrix and the names
 * from the stored scenario (loaded with ckp_scenario_load_inline, so nothing
 * but the file is read), and the baseline's worst path replayed from the
 * stored seed as `replay --path worst` does. The file is untrusted input:
 * every array's shape is checked against the scenario before it is used. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/output/schema_impl.h"

/* Read `name` and check it has the given rank and dims (0 in dims: any). */
static ckp_status read_shaped(rpt_data *d, const char *name, int rank, const size_t *dims,
                              ckp_output_array *a, ckp_error *err)
{
    CKP_TRY(ckp_output_read_array(d->f, name, a, err));
    int ok = a->rank == rank && a->type == CKP_OUTPUT_DOUBLE;
    for (int i = 0; ok && i < rank; i++)
        ok = dims[i] == 0 || a->dims[i] == dims[i];
    if (!ok)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: dataset %s does not have the shape the stored scenario gives it",
                        d->file, name);
    return CKP_OK;
}

static ckp_status load_scenario(rpt_data *d, ckp_error *err)
{
    char *yaml = NULL;
    CKP_TRY(ckp_output_read_text(d->f, "scenario_name", &d->scenario_name, err));
    CKP_TRY(ckp_output_read_text(d->f, "scenario_resolved", &yaml, err));
    char name[600];
    snprintf(name, sizeof name, "%s:scenario_resolved", d->file);
    ckp_status st = ckp_scenario_load_inline(yaml, strlen(yaml), name, &d->sc, err);
    free(yaml);
    if (st != CKP_OK)
        return st;
    d->S = ckp_scenario_nsuppliers(d->sc);
    d->K = ckp_scenario_nregimes(d->sc);
    d->M = ckp_scenario_nmaterials(d->sc);
    d->I = ckp_scenario_nindustries(d->sc);
    d->T = ckp_scenario_horizon(d->sc);
    if (d->T != d->in->horizon_months)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: the stored scenario does not match the file",
                        d->file);
    d->exposure = malloc((size_t)d->S * (size_t)d->I * sizeof *d->exposure);
    if (!d->exposure)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_scenario_exposure(d->sc, 0, d->exposure);
    return CKP_OK;
}

static ckp_status load_policy(rpt_data *d, int k, ckp_error *err)
{
    rpt_policy *p = &d->pol[k];
    p->name = d->in->policy_names[k];
    p->sc_index = ckp_scenario_policy_index(d->sc, p->name);
    if (p->sc_index < 0 || (k == 0) != (p->sc_index == 0))
        return CKP_FAIL(err, CKP_ERR_IO, "%s: the stored scenario does not match the file",
                        d->file);
    p->description = ckp_scenario_policy_description(d->sc, p->sc_index);
    p->has_cost = ckp_scenario_policy_cost(d->sc, p->sc_index, &p->annual_cost);
    char name[512];
    size_t lev[1] = {0}, ind[2] = {(size_t)d->I, CKP_NSTAT};
    snprintf(name, sizeof name, "policies/%s/exceedance/level", p->name);
    CKP_TRY(read_shaped(d, name, 1, lev, &p->exc_level, err));
    lev[0] = p->exc_level.dims[0];
    snprintf(name, sizeof name, "policies/%s/exceedance/prob", p->name);
    CKP_TRY(read_shaped(d, name, 1, lev, &p->exc_prob, err));
    snprintf(name, sizeof name, "policies/%s/summary/loss", p->name);
    CKP_TRY(read_shaped(d, name, 2, ind, &p->ind, err));
    p->ind_mean = malloc((size_t)d->I * sizeof *p->ind_mean);
    if (!p->ind_mean)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < d->I; i++) {
        ckp_summary s;
        ckp_schema_stats_unpack(p->ind.f64 + (size_t)i * CKP_NSTAT, &s);
        p->ind_mean[i] = s.mean;
    }
    return CKP_OK;
}

/* The baseline's month/<obs>_band and _mean; absent month statistics are no error. */
static ckp_status load_fan(rpt_data *d, const char *obs, rpt_fan *fan, ckp_error *err)
{
    char name[512];
    size_t band[3] = {(size_t)d->T, (size_t)d->M, CKP_NQUANTILES}, mean[2] = {band[0], band[1]};
    snprintf(name, sizeof name, "policies/%s/month/%s_band", d->pol[0].name, obs);
    ckp_status st = read_shaped(d, name, 3, band, &fan->band, err);
    if (st == CKP_ERR_USAGE) { /* no such dataset: the run kept no month statistics */
        ckp_error_clear(err);
        return CKP_OK;
    }
    CKP_TRY(st);
    snprintf(name, sizeof name, "policies/%s/month/%s_mean", d->pol[0].name, obs);
    CKP_TRY(read_shaped(d, name, 2, mean, &fan->mean, err));
    fan->present = 1;
    return CKP_OK;
}

static int alloc_trace(rpt_data *d)
{
    size_t T = (size_t)d->T, S = (size_t)d->S, M = (size_t)d->M, I = (size_t)d->I;
    size_t n[14] = {T * S, T * S * M, T * M, T * M, T * M, T * M, T * M,
                    T * M, T * M,     T * M, T * I, T * I, T * I, T * M};
    for (int i = 0; i < 14; i++)
        if (!(d->trmem[i] = calloc(n[i] ? n[i] : 1, i == 0 ? sizeof(int) : sizeof(double))))
            return -1;
    ckp_trace *t = &d->tr;
    t->regime = d->trmem[0];
    t->block = d->trmem[1];
    t->gap = d->trmem[2];
    t->supply = d->trmem[3];
    t->ramp = d->trmem[4];
    t->reroute = d->trmem[5];
    t->release = d->trmem[6];
    t->stock_days = d->trmem[7];
    t->shortfall = d->trmem[8];
    t->price = d->trmem[9];
    t->q0 = d->trmem[10];
    t->inop = d->trmem[11];
    t->loss = d->trmem[12];
    t->cost = d->trmem[13];
    return 0;
}

/* The baseline's worst path (as `replay --path worst` finds it), replayed with its trace. */
static ckp_status load_worst(rpt_data *d, ckp_error *err)
{
    CKP_TRY(ckp_output_find_worst(d->f, 0, &d->worst_path, &d->worst_loss, err));
    ckp_run_options ro;
    ckp_run_options_default(&ro, d->sc);
    ro.seed = d->in->seed;
    ro.first_path = d->in->first_path;
    ro.paths = d->in->paths;
    ro.antithetic = d->in->antithetic;
    ro.npolicies = 1;
    int base = 0;
    ro.policies = &base;
    ro.month_stats = 0;
    ro.threads = 1;
    ckp_plan *plan = NULL;
    ckp_status st = ckp_plan_create(d->sc, &ro, &plan, err);
    if (st != CKP_OK)
        return st == CKP_ERR_NUMERIC ? CKP_ERR_IO : st;
    const ckp_pcg64 *g = ckp_plan_base(plan), *h = &d->in->base;
    const ckp_layout *lay = ckp_plan_layout(plan);
    double *rec = malloc(lay->record * sizeof *rec);
    if (!(g->state.hi == h->state.hi && g->state.lo == h->state.lo && g->inc.hi == h->inc.hi &&
          g->inc.lo == h->inc.lo))
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: the stored generator is not the one of the stored seed",
                      d->file);
    else if (!rec || alloc_trace(d) != 0)
        st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    else
        st = ckp_plan_replay(plan, 0, d->worst_path, rec, &d->tr, err);
    free(rec);
    ckp_plan_free(plan);
    return st;
}

/* The policy table's unit: the largest of thousand .. trillion that keeps the
 * biggest mean, p99 or CVaR99 at or above 1 (as `summary` chooses it). */
static void money_unit(rpt_data *d)
{
    double big = 0.0;
    for (int k = 0; k < d->npol; k++) {
        const ckp_summary *s = &d->pol[k].row.loss;
        const double v[] = {s->mean, s->q[9], s->cvar99};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            if (isfinite(v[i]) && fabs(v[i]) > big)
                big = fabs(v[i]);
    }
    static const struct {
        double scale;
        const char *word, *abbr, *one;
    } u[] = {{1e12, "trillions", "tn", "trillion "},
             {1e9, "billions", "bn", "billion "},
             {1e6, "millions", "m", "million "},
             {1e3, "thousands", "k", "thousand "}};
    d->money_scale = 1.0;
    d->money_word = "units";
    d->money_abbr = "";
    d->money_one = "";
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (big >= u[i].scale) {
            d->money_scale = u[i].scale;
            d->money_word = u[i].word;
            d->money_abbr = u[i].abbr;
            d->money_one = u[i].one;
            return;
        }
}

ckp_status rpt_data_load(rpt_data *d, const char *file, ckp_error *err)
{
    memset(d, 0, sizeof *d);
    d->file = file;
    CKP_TRY(ckp_output_file_open(file, &d->f, err));
    d->in = ckp_output_file_info(d->f);
    CKP_TRY(load_scenario(d, err));
    ckp_output_row *rows = NULL;
    CKP_TRY(ckp_output_read_table(d->f, &rows, err));
    d->npol = d->in->npol;
    d->pol = calloc((size_t)(d->npol > 0 ? d->npol : 1), sizeof *d->pol);
    if (!d->pol) {
        free(rows);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < d->npol; k++)
        d->pol[k].row = rows[k];
    free(rows);
    for (int k = 0; k < d->npol; k++)
        CKP_TRY(load_policy(d, k, err));
    size_t nq[1] = {CKP_NQUANTILES};
    ckp_output_array q;
    memset(&q, 0, sizeof q);
    ckp_status st = read_shaped(d, "quantile", 1, nq, &q, err);
    if (st == CKP_OK)
        memcpy(d->quant, q.f64, sizeof d->quant);
    ckp_output_array_free(&q);
    CKP_TRY(st);
    /* the table's p95 and p99 and the fans' bands are taken at these probabilities */
    for (int i = 0; i < CKP_NQUANTILES; i++)
        if (d->quant[i] != CKP_QUANTILE_PROBS[i])
            return CKP_FAIL(err, CKP_ERR_IO, "%s: the quantile coordinate is not the engine's",
                            file);
    CKP_TRY(load_fan(d, "shortfall", &d->fan_short, err));
    CKP_TRY(load_fan(d, "price", &d->fan_price, err));
    CKP_TRY(load_worst(d, err));
    CKP_TRY(rpt_sens_load(d, err));
    CKP_TRY(rpt_tail_load(d, err));
    money_unit(d);
    return CKP_OK;
}

static void free_fan(rpt_fan *f)
{
    ckp_output_array_free(&f->band);
    ckp_output_array_free(&f->mean);
}

void rpt_data_free(rpt_data *d)
{
    for (int k = 0; d->pol && k < d->npol; k++) {
        ckp_output_array_free(&d->pol[k].exc_level);
        ckp_output_array_free(&d->pol[k].exc_prob);
        ckp_output_array_free(&d->pol[k].ind);
        free(d->pol[k].ind_mean);
    }
    free(d->pol);
    rpt_sens_free(&d->sens);
    rpt_tail_free(&d->tail);
    free_fan(&d->fan_short);
    free_fan(&d->fan_price);
    for (int i = 0; i < 14; i++)
        free(d->trmem[i]);
    free(d->exposure);
    free(d->scenario_name);
    ckp_scenario_free(d->sc);
    ckp_output_file_close(d->f);
    memset(d, 0, sizeof *d);
}
