/* chokepoint: what finish writes per policy (writer_impl.h): summary/,
 * quantiles/ and exceedance/ from the per-path columns read back, month/ from
 * the run result's sums and histograms, comparison/ from the paired benefits.
 *
 * Every per-path column is read back once, by its stored chunks
 * (chunk_read.c), into one path-length array (ckp_finish's x), where every
 * figure of it is computed and it is sorted once, in place (table.c,
 * stats.h). loss_total also gives, before it is sorted, the exceedance
 * curve, the tail standard errors and the per-path benefit against the
 * baseline (whose loss_total is kept in path order for that). Memory that
 * grows with the number of paths: x, the baseline's loss_total, the
 * benefit, and an eighth of a column for the tail's blocks. */
#include "writer_impl.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "table_impl.h"

/* The per-path dataset of metric j of run policy k. */
static hid_t metric_ds(const ckp_output *o, int k, int j)
{
    return o->pp[k * CKP_M_COUNT + j];
}

/* 1 when every x[i] is finite. */
static int all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* What policy k's loss_total x gives in path order, before it is sorted:
 * the exceedance curve, the standard errors of its tail, and the baseline's
 * copy (k = 0) or the per-path benefit (k > 0). Values that are not finite
 * (or an odd antithetic count) are left for the summary to refuse with its
 * message. */
static ckp_status loss_path_order(ckp_output *o, int k, const double *x, ckp_finish *f, double *lev,
                                  double *prob, ckp_error *err)
{
    size_t n = (size_t)o->paths;
    int anti = ckp_plan_antithetic(o->plan);
    ckp_exceedance(x, n, lev, prob);
    if (all_finite(x, n) && !(anti && n % 2))
        CKP_TRY(ckp_tail_se(x, n, anti, f->scratch, &f->loss, err));
    if (k == 0)
        memcpy(f->base, x, n * sizeof *x);
    else
        for (size_t i = 0; i < n; i++)
            f->ben[i] = f->base[i] - x[i];
    return CKP_OK;
}

/* exceedance/ of policy k: the level coordinate and prob. */
static ckp_status write_exceedance(ckp_output *o, ckp_grp *ge, const double *lev,
                                   const double *prob, ckp_error *err)
{
    CKP_TRY(ckp_writer_scale(o, ge, CKP_D_LEVEL, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, lev, 0, err));
    return ckp_writer_put_ds(o, ge, CKP_DS_EXCEEDANCE_PROB, prob, err);
}

/* What the columns of one policy give (col_task), indexed by the column's
 * place among the policy's o->ncols / npol columns. */
typedef struct col_out {
    double *st, *q, *pso; /* per * CKP_NSTAT, per * CKP_NQUANTILES, stockout columns */
    ckp_status *status;   /* per */
    ckp_error *err;       /* per: the message of a column that failed */
    double lev[CKP_EXCEEDANCE_LEVELS], prob[CKP_EXCEEDANCE_LEVELS];
} col_out;

/* Column i of policy k read into x, its summary and quantiles into out;
 * loss_total also its path-order figures (loss_path_order) and the tail's.
 * Runs on any thread of the loop (sl: its slot): only loss_total touches f. */
static ckp_status col_task(ckp_output *o, int k, size_t i, size_t first_stockout, ckp_finish *f,
                           double *x, ckp_wslot *sl, col_out *out, ckp_error *err)
{
    const ckp_wcol *col = &o->cols[(size_t)k * (o->ncols / (size_t)o->npol) + i];
    size_t n = (size_t)o->paths;
    ckp_summary sm;
    CKP_TRY(ckp_writer_check_cancel(o, err));
    CKP_TRY(ckp_writer_read_rows(o, sl, metric_ds(o, k, col->j), col->rank, col->c, 0, o->paths, x,
                                 err));
    /* The curve before the summary sorts x (it is taken in path order, as
     * it always was; a non-finite value fails the summary below). */
    if (col->j == CKP_M_LOSS_TOTAL)
        CKP_TRY(loss_path_order(o, k, x, f, out->lev, out->prob, err));
    /* stockout_month: over the paths that ran dry, and their share */
    if (col->j == CKP_M_STOCKOUT_MONTH)
        CKP_TRY(
            ckp_table_stockout(x, n, CKP_SCHEMA_NEVER, out->pso + (i - first_stockout), &sm, err));
    else
        CKP_TRY(ckp_table_summary(o->plan, x, n, &sm, err));
    if (col->j == CKP_M_LOSS_TOTAL) /* the tail's figures from the one sort */
        ckp_tail_values_sorted(x, n, &f->loss);
    ckp_schema_stats_pack(&sm, out->st + i * CKP_NSTAT);
    memcpy(out->q + i * CKP_NQUANTILES, sm.q, sizeof sm.q);
    return CKP_OK;
}

/* Every column of policy k through col_task, on the plan's threads (the
 * columns are independent: each is read, sorted and summarised in its own
 * thread's array f->x[t]; the figures do not depend on the thread). Every
 * column runs (a cancel stops each at its start), and the first that
 * failed, in column order, gives the error, whatever the schedule. */
static ckp_status run_columns(ckp_output *o, int k, ckp_finish *f, col_out *out, ckp_error *err)
{
    const size_t per = o->ncols / (size_t)o->npol;
    size_t first_stockout = 0;
    for (int j = 0; j < CKP_M_STOCKOUT_MONTH; j++)
        first_stockout += o->lay->length[j];
    size_t done = 0;
    const long ncol = (long)per;
#pragma omp parallel for schedule(dynamic, 1) num_threads(o->nth) if (o->nth > 1)
    for (long i = 0; i < ncol; i++) {
        int t = omp_get_thread_num();
        out->status[i] =
            col_task(o, k, (size_t)i, first_stockout, f, f->x[t], &o->slot[t], out, &out->err[i]);
#pragma omp critical
        ckp_writer_progress(o, k, ++done);
    }
    for (size_t i = 0; i < per; i++)
        if (out->status[i] != CKP_OK) {
            *err = out->err[i];
            return out->status[i];
        }
    return CKP_OK;
}

/* summary/, quantiles/ and exceedance/ of policy k from the figures of its
 * columns (run_columns), in the schema's order. */
static ckp_status put_summaries(ckp_output *o, int k, const col_out *out, ckp_error *err)
{
    const ckp_metric_info *mt = ckp_metric_table();
    ckp_grp gs, gq, ge;
    ckp_grp_init(&gs);
    ckp_grp_init(&gq);
    ckp_grp_init(&ge);
    ckp_status s = CKP_OK;
    hid_t pg = o->pg[k].id;
    if ((s = ckp_writer_group(o, pg, ckp_schema_group[CKP_G_SUMMARY], &gs, err)) != CKP_OK ||
        (s = ckp_writer_group(o, pg, ckp_schema_group[CKP_G_QUANTILES], &gq, err)) != CKP_OK ||
        (s = ckp_writer_group(o, pg, ckp_schema_group[CKP_G_EXCEEDANCE], &ge, err)) != CKP_OK)
        goto done;
    size_t at = 0;
    for (int j = 0; j < CKP_M_COUNT && s == CKP_OK; at += o->lay->length[j], j++) {
        ckp_dim dims[4];
        int rank = ckp_schema_metric_dims(mt[j].dims, dims);
        if (j == CKP_M_LOSS_TOTAL && (s = write_exceedance(o, &ge, out->lev, out->prob, err)))
            break;
        dims[rank] = CKP_D_STAT;
        if ((s = ckp_writer_put(o, &gs, mt[j].name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rank + 1,
                                dims, out->st + at * CKP_NSTAT, 0, mt[j].units, mt[j].long_name,
                                err)) != CKP_OK)
            break;
        dims[rank] = CKP_D_QUANTILE;
        if ((s = ckp_writer_put(o, &gq, mt[j].name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rank + 1,
                                dims, out->q + at * CKP_NQUANTILES, 0, mt[j].units, mt[j].long_name,
                                err)) != CKP_OK)
            break;
        if (j == CKP_M_STOCKOUT_MONTH)
            s = ckp_writer_put(o, &gs, CKP_SCHEMA_STOCKOUT_PROB, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE,
                               rank, dims, out->pso, 0, "1",
                               "probability that the stockpile runs dry within the horizon", err);
    }
done:
    ckp_grp_close(&gs);
    ckp_grp_close(&gq);
    ckp_grp_close(&ge);
    return s;
}

/* summary/, quantiles/ and exceedance/ of policy k: its columns summarised
 * in parallel (run_columns), then written. loss_total also fills f->loss
 * and f->base or f->ben (loss_path_order). */
static ckp_status write_summaries(ckp_output *o, int k, ckp_finish *f, ckp_error *err)
{
    const size_t per = o->ncols / (size_t)o->npol;
    col_out out;
    memset(&out, 0, sizeof out);
    size_t npso = o->lay->length[CKP_M_STOCKOUT_MONTH];
    out.st = malloc((per ? per : 1) * CKP_NSTAT * sizeof *out.st);
    out.q = malloc((per ? per : 1) * CKP_NQUANTILES * sizeof *out.q);
    out.pso = malloc((npso ? npso : 1) * sizeof *out.pso);
    out.status = malloc((per ? per : 1) * sizeof *out.status);
    out.err = calloc(per ? per : 1, sizeof *out.err);
    ckp_status s;
    if (!out.st || !out.q || !out.pso || !out.status || !out.err)
        s = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    else if ((s = run_columns(o, k, f, &out, err)) == CKP_OK)
        s = put_summaries(o, k, &out, err);
    free(out.st);
    free(out.q);
    free(out.pso);
    free(out.status);
    free(out.err);
    return s;
}

/* The first observable of each kind of month/ in the layout's per-month block. */
static size_t obs_offset(const ckp_layout *lay, ckp_month_obs kind)
{
    switch (kind) {
    case CKP_MO_SHORTFALL:
        return lay->obs_x;
    case CKP_MO_INOPERABILITY:
        return lay->obs_q;
    case CKP_MO_PRICE:
        return lay->obs_pi;
    default:
        return lay->obs_L;
    }
}

/* Per-month arrays of one kind of observable (n elements) of one policy. */
typedef struct month_arrays {
    double *mean;    /* T * n */
    uint64_t *hist;  /* T * n * CKP_HIST_BINS */
    double *edges;   /* n * CKP_HIST_BINS */
    double *band;    /* T * n * CKP_NQUANTILES */
} month_arrays;

/* Fill a for the n observables of `kind` of run policy k. */
static void month_fill(const ckp_output *o, int k, const ckp_run_result *r, ckp_month_obs kind,
                       size_t n, month_arrays *a)
{
    const ckp_layout *lay = o->lay;
    size_t obs = lay->obs_per_month, T = (size_t)lay->T;
    const double *mean = ckp_run_result_month_mean(r, k);
    const uint64_t *hist = ckp_run_result_hist(r, k);
    for (size_t e = 0; e < n; e++) {
        size_t ob = obs_offset(lay, kind) + e;
        const double *up = ckp_plan_hist_upper(o->plan, k, ob);
        memcpy(a->edges + e * CKP_HIST_BINS, up, CKP_HIST_BINS * sizeof *a->edges);
        for (size_t t = 0; t < T; t++) {
            size_t idx = t * obs + ob;
            a->mean[t * n + e] = mean[idx];
            const uint64_t *h = hist + idx * CKP_HIST_BINS;
            memcpy(a->hist + (t * n + e) * CKP_HIST_BINS, h, CKP_HIST_BINS * sizeof *a->hist);
            for (int qi = 0; qi < CKP_NQUANTILES; qi++)
                a->band[(t * n + e) * CKP_NQUANTILES + (size_t)qi] =
                    ckp_hist_quantile(h, up, CKP_QUANTILE_PROBS[qi]);
        }
    }
}

/* The four datasets of one kind of observable in month/ (schema order). */
static ckp_status month_write(ckp_output *o, ckp_grp *g, ckp_month_obs kind,
                              const month_arrays *a, ckp_error *err)
{
    const void *data[CKP_MV_COUNT] = {a->mean, a->hist, a->edges, a->band};
    for (int v = 0; v < CKP_MV_COUNT; v++) {
        char name[64], ln[256];
        ckp_dim dims[3];
        ckp_schema_month_name(kind, (ckp_month_var)v, name, sizeof name, ln, sizeof ln);
        int rank = ckp_schema_month_dims(kind, (ckp_month_var)v, dims);
        int counts = v == CKP_MV_HIST;
        CKP_TRY(ckp_writer_put(o, g, name, counts ? H5T_NATIVE_UINT64 : H5T_NATIVE_DOUBLE,
                               counts ? H5T_STD_U64LE : H5T_IEEE_F64LE, rank, dims, data[v], 0,
                               ckp_schema_month_units(kind, (ckp_month_var)v), ln, err));
    }
    return CKP_OK;
}

/* month/ of policy k: means, histograms, bin edges and fan-chart bands. */
static ckp_status write_month(ckp_output *o, int k, const ckp_run_result *r, ckp_error *err)
{
    const ckp_layout *lay = o->lay;
    size_t T = (size_t)lay->T;
    ckp_grp g;
    ckp_status s = ckp_writer_group(o, o->pg[k].id, ckp_schema_group[CKP_G_MONTH], &g, err);
    month_arrays a = {NULL, NULL, NULL, NULL};
    if (s != CKP_OK)
        goto done;
    size_t maxn = (size_t)(lay->M > lay->I ? lay->M : lay->I);
    a.mean = malloc(T * maxn * sizeof *a.mean);
    a.band = malloc(T * maxn * CKP_NQUANTILES * sizeof *a.band);
    a.edges = malloc(maxn * CKP_HIST_BINS * sizeof *a.edges);
    a.hist = malloc(T * maxn * CKP_HIST_BINS * sizeof *a.hist);
    if (!a.mean || !a.band || !a.edges || !a.hist) {
        s = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int kind = 0; kind < CKP_MO_COUNT && s == CKP_OK; kind++) {
        size_t n = o->dimlen[ckp_schema_month_obs[kind].dim];
        month_fill(o, k, r, (ckp_month_obs)kind, n, &a);
        s = month_write(o, &g, (ckp_month_obs)kind, &a, err);
    }
done:
    free(a.mean);
    free(a.band);
    free(a.edges);
    free(a.hist);
    ckp_grp_close(&g);
    return s;
}

/* comparison/ of policy k against the baseline (k > 0), from the per-path
 * benefits f->ben (path order) that the summaries formed: stored, the
 * standard errors of their tail taken, then sorted there once for the
 * quantiles and the tail's figures. Both loss columns were checked finite by
 * their summaries. */
static ckp_status write_comparison(ckp_output *o, int k, ckp_finish *f, ckp_error *err)
{
    ckp_grp g;
    double *x = f->ben;
    size_t n = (size_t)o->paths;
    int anti = ckp_plan_antithetic(o->plan);
    ckp_status s = ckp_writer_group(o, o->pg[k].id, ckp_schema_group[CKP_G_COMPARISON], &g, err);
    if (s != CKP_OK)
        goto done;
    if ((s = ckp_writer_check_cancel(o, err)) != CKP_OK ||
        (s = ckp_writer_put_ds(o, &g, CKP_DS_BENEFIT, x, err)) != CKP_OK)
        goto done;
    /* A benefit that overflowed is left for ckp_table_benefit to refuse. */
    if (all_finite(x, n) && !(anti && n % 2) &&
        (s = ckp_tail_se(x, n, anti, f->scratch, &f->benefit, err)) != CKP_OK)
        goto done;
    ckp_benefit b;
    if ((s = ckp_table_benefit(o->plan, k, x, n, &b, err)) != CKP_OK)
        goto done;
    ckp_tail_values_sorted(x, n, &f->benefit);
    double pp = b.p_positive, bcr = b.has_bcr ? b.bcr : NAN;
    if ((s = ckp_writer_put_ds(o, &g, CKP_DS_BENEFIT_MEAN, &b.mean, err)) != CKP_OK ||
        (s = ckp_writer_put_ds(o, &g, CKP_DS_BENEFIT_SE, &b.se, err)) != CKP_OK ||
        (s = ckp_writer_put_ds(o, &g, CKP_DS_P_POSITIVE, &pp, err)) != CKP_OK ||
        (s = ckp_writer_put_ds(o, &g, CKP_DS_BENEFIT_QUANTILES, b.q, err)) != CKP_OK ||
        (s = ckp_writer_put_ds(o, &g, CKP_DS_BCR, &bcr, err)) != CKP_OK)
        goto done;
done:
    ckp_grp_close(&g);
    return s;
}

ckp_status ckp_writer_policy_results(ckp_output *o, int k, const ckp_run_result *r, ckp_finish *f,
                                     ckp_error *err)
{
    CKP_TRY(write_summaries(o, k, f, err));
    if (ckp_plan_month_stats(o->plan))
        CKP_TRY(write_month(o, k, r, err));
    if (k > 0)
        CKP_TRY(write_comparison(o, k, f, err));
    return ckp_writer_tail(o, k, f, err); /* tail/: tail_se.c */
}
