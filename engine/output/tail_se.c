/* chokepoint: tail/ of a policy group (writer_impl.h; layout in
 * docs/output-format.md, meaning in docs/analysis.md): VaR and CVaR at 95 and
 * 99 % of the policy's total loss and, against the baseline, of its per-path
 * benefit, each with its batch-means standard error (engine/stats/tail.c).
 *
 * The figures are computed by the summaries (summaries.c) from the columns
 * read back in path order, when they read loss_total: the standard errors
 * from the path-order series, the VaR and CVaR from the one sort of it, so
 * they depend on the paths alone, never on threads or batches. */
#include "writer_impl.h"

#include <stdio.h>

#include "engine/core/error_impl.h"
#include "engine/stats/tail_impl.h"

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

ckp_status ckp_writer_tail(ckp_output *o, int k, const ckp_finish *f, ckp_error *err)
{
    ckp_grp g;
    ckp_grp_init(&g);
    ckp_status s = ckp_writer_group(o, o->pg[k].id, ckp_schema_group[CKP_G_TAIL], &g, err);
    if (s == CKP_OK)
        s = write_series(o, &g, "loss_total", "tail of the total loss", &f->loss, err);
    if (s == CKP_OK && k > 0)
        s = write_series(o, &g, "benefit", "tail of the benefit against the baseline", &f->benefit,
                         err);
    ckp_grp_close(&g);
    return s;
}
