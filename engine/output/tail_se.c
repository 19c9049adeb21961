/* chokepoint: tail/ of a policy group (writer_impl.h; layout in
 * docs/output-format.md, meaning in docs/analysis.md): VaR and CVaR at 95 and
 * 99 % of the policy's total loss and, against the baseline, of its per-path
 * benefit, each with its batch-means standard error (engine/stats/tail.c).
 *
 * The series are read back from the file in path order, like the summaries,
 * so the figures depend on the paths alone, never on threads or batches.
 * Memory: the writer's path-length array x and an eighth of it for a block. */
#include "writer_impl.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/core/error_impl.h"
#include "engine/stats/tail_impl.h"

/* Policy k's loss_total, or (benefit) the baseline's minus policy k's, into
 * x in path order: the same subtraction as comparison/benefit. */
static ckp_status read_series(ckp_output *o, int k, int benefit, double *x, ckp_error *err)
{
    hid_t base = o->pp[0 * CKP_M_COUNT + CKP_M_LOSS_TOTAL];
    hid_t pol = o->pp[k * CKP_M_COUNT + CKP_M_LOSS_TOTAL];
    CKP_TRY(ckp_writer_read_rows(o, benefit ? base : pol, 1, 0, 0, o->paths, x, err));
    if (!benefit)
        return CKP_OK;
    for (int64_t i0 = 0; i0 < o->paths; i0 += (int64_t)o->chunk) {
        int64_t n = o->paths - i0 < (int64_t)o->chunk ? o->paths - i0 : (int64_t)o->chunk;
        CKP_TRY(ckp_writer_read_rows(o, pol, 1, 0, i0, n, o->col, err));
        for (int64_t i = 0; i < n; i++)
            x[i0 + i] = x[i0 + i] - o->col[i];
    }
    return CKP_OK;
}

/* <name>, <name>_se and <name>_blocks of one series in g. */
static ckp_status write_series(ckp_output *o, ckp_grp *g, const char *name, const char *what,
                               const ckp_tail *t, ckp_error *err)
{
    ckp_dim d = CKP_D_TAIL;
    char nm[64], ln[160];
    CKP_TRY(ckp_writer_put(o, g, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &d, t->value, 0,
                           CKP_SCHEMA_CURRENCY, what, err));
    snprintf(nm, sizeof nm, "%s_se", name);
    snprintf(ln, sizeof ln, "batch-means standard error of the %s", what);
    CKP_TRY(ckp_writer_put(o, g, nm, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &d, t->se, 0,
                           CKP_SCHEMA_CURRENCY, ln, err));
    snprintf(nm, sizeof nm, "%s_blocks", name);
    snprintf(ln, sizeof ln, "blocks of paths behind %s_se (0: too few paths)", name);
    return ckp_writer_put(o, g, nm, H5T_NATIVE_INT, H5T_STD_I32LE, 1, &d, t->blocks, 0, "1", ln,
                          err);
}

ckp_status ckp_writer_tail(ckp_output *o, int k, double *x, ckp_error *err)
{
    ckp_grp g;
    ckp_grp_init(&g);
    ckp_status s = ckp_writer_group(o, o->pg[k].id, ckp_schema_group[CKP_G_TAIL], &g, err);
    double *scratch = malloc(ckp_tail_scratch((size_t)o->paths) * sizeof *scratch);
    int anti = ckp_plan_antithetic(o->plan);
    if (s == CKP_OK && !scratch)
        s = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    for (int benefit = 0; benefit <= (k > 0) && s == CKP_OK; benefit++) {
        ckp_tail t;
        if ((s = read_series(o, k, benefit, x, err)) != CKP_OK ||
            (s = ckp_tail_compute(x, (size_t)o->paths, anti, scratch, &t, err)) != CKP_OK)
            break;
        s = write_series(o, &g, benefit ? "benefit" : "loss_total",
                         benefit ? "tail of the benefit against the baseline"
                                 : "tail of the total loss",
                         &t, err);
    }
    free(scratch);
    ckp_grp_close(&g);
    return s;
}
