/* chokepoint: the `sensitivity/` group of a results file (output.h,
 * ckp_output_put_sensitivity; layout in docs/output-format.md,
 * "Sensitivity"): the tornado table (baseline mean loss at each swing of
 * each key, with the paired standard error of the swing), each policy's
 * mean benefit at each swing, and the regret and robustness tables derived
 * from them. Written into the writer's temporary file before it is finished,
 * so it is published with the rest of the file or not at all. */
#include "writer_impl.h"

#include <string.h>

#include <hdf5_hl.h>

#include "engine/core/error_impl.h"

/* The group's dimensions, each a string coordinate (a dimension scale) that
 * the other datasets attach, so xarray labels them: key (K), swing (2),
 * policy (Q). */
enum { D_KEY, D_SWING, D_POL, D_N };

typedef struct sgrp {
    hid_t g, str;
    hid_t scale[D_N];
} sgrp;

/* One dataset of `rank` dims (rank 0: a scalar), little-endian on disk; axis
 * i attached to the scale dims[i] names (dim[i] < 0: it is a scale itself). */
static herr_t put(const sgrp *sg, const char *name, hid_t mem, hid_t file, int rank, const int *dim,
                  const hsize_t *len, const void *data, const char *long_name, hid_t *keep)
{
    hsize_t ext[3];
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= ext[i] = len[dim[i] < 0 ? -dim[i] - 1 : dim[i]];
    hid_t sp = rank ? H5Screate_simple(rank, ext, NULL) : H5Screate(H5S_SCALAR);
    if (sp < 0)
        return -1;
    hid_t ds = H5Dcreate2(sg->g, name, file, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : 0;
    if (rc == 0 && n > 0 && H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = -1;
    if (rc == 0 && long_name && ckp_h5_attr_str(ds, "long_name", sg->str, long_name) < 0)
        rc = -1;
    for (int i = 0; rc == 0 && i < rank; i++)
        if (dim[i] >= 0 ? H5DSattach_scale(ds, sg->scale[dim[i]], (unsigned)i) < 0
                        : H5DSset_scale(ds, name) < 0)
            rc = -1;
    if (keep && rc == 0)
        *keep = ds;
    else if (ds >= 0 && H5Dclose(ds) < 0)
        rc = -1;
    H5Sclose(sp);
    return rc;
}

static const int DK[1] = {D_KEY}, DKS[2] = {D_KEY, D_SWING}, DKSQ[3] = {D_KEY, D_SWING, D_POL},
                 DQ[1] = {D_POL};

static herr_t put_f64(const sgrp *sg, const char *name, int rank, const int *dim,
                      const hsize_t *len, const double *v, const char *long_name)
{
    return put(sg, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rank, dim, len, v, long_name, NULL);
}

static herr_t put_i64(const sgrp *sg, const char *name, int rank, const int *dim,
                      const hsize_t *len, const int64_t *v, const char *long_name)
{
    return put(sg, name, H5T_NATIVE_INT64, H5T_STD_I64LE, rank, dim, len, v, long_name, NULL);
}

/* The three coordinates, kept open in sg->scale. */
static herr_t put_scales(sgrp *sg, const ckp_sens_table *t, const hsize_t *len)
{
    const char *const swing[2] = {"low", "high"};
    static const int SK[1] = {-D_KEY - 1}, SS[1] = {-D_SWING - 1}, SQ[1] = {-D_POL - 1};
    return put(sg, "key", sg->str, sg->str, 1, SK, len, t->keys, "the key path swung",
               &sg->scale[D_KEY]) < 0 ||
                   put(sg, "swing", sg->str, sg->str, 1, SS, len, swing, "the side of the swing",
                       &sg->scale[D_SWING]) < 0 ||
                   put(sg, "policy", sg->str, sg->str, 1, SQ, len, t->policies,
                       "the policies compared (the baseline excluded)", &sg->scale[D_POL]) < 0
               ? -1
               : 0;
}

/* The datasets of the group, in the order docs/output-format.md lists them. */
static herr_t put_tornado(const sgrp *sg, const ckp_sens_table *t, const hsize_t *L)
{
    if (put_f64(sg, "low", 1, DK, L, t->low, "the key's low value") < 0 ||
        put_f64(sg, "high", 1, DK, L, t->high, "the key's high value") < 0 ||
        put_i64(sg, "order", 1, DK, L, t->order, "key indices, largest |loss_swing| first") < 0 ||
        put_f64(sg, "base_loss_mean", 0, NULL, L, &t->base_loss_mean,
                "baseline mean total loss of the unswung scenario") < 0 ||
        put_f64(sg, "base_loss_se", 0, NULL, L, &t->base_loss_se, "its standard error") < 0 ||
        put_f64(sg, "base_benefit", 1, DQ, L, t->base_benefit,
                "mean benefit of each policy in the unswung scenario") < 0 ||
        put_f64(sg, "loss_mean", 2, DKS, L, t->loss_mean, "baseline mean total loss at the swing") <
            0 ||
        put_f64(sg, "loss_se", 2, DKS, L, t->loss_se, "its standard error") < 0 ||
        put_f64(sg, "loss_swing", 1, DK, L, t->loss_swing, "loss_mean[high] - loss_mean[low]") <
            0 ||
        put_f64(sg, "loss_swing_se", 1, DK, L, t->loss_swing_se,
                "paired standard error of loss_swing (same paths)") < 0 ||
        put_f64(sg, "benefit_mean", 3, DKSQ, L, t->benefit_mean, "mean benefit at the swing") < 0 ||
        put_f64(sg, "benefit_se", 3, DKSQ, L, t->benefit_se,
                "paired standard error of benefit_mean") < 0)
        return -1;
    return 0;
}

static herr_t put_regret(const sgrp *sg, const ckp_sens_table *t, const hsize_t *L)
{
    if (put_i64(sg, "best", 2, DKS, L, t->best, "index of the policy of largest mean benefit") <
            0 ||
        put_f64(sg, "shortfall", 3, DKSQ, L, t->shortfall,
                "best mean benefit at the swing minus the policy's (regret)") < 0 ||
        put_i64(sg, "rank", 3, DKSQ, L, t->rank, "rank by mean benefit at the swing, 1 = best") <
            0 ||
        put_i64(sg, "base_rank", 1, DQ, L, t->base_rank, "rank in the unswung scenario") < 0 ||
        put_f64(sg, "benefit_worst", 1, DQ, L, t->worst, "lowest mean benefit over the swings") <
            0 ||
        put_i64(sg, "benefit_worst_at", 1, DQ, L, t->worst_at,
                "swing of benefit_worst: key*2+swing") < 0 ||
        put_f64(sg, "benefit_best", 1, DQ, L, t->best_case,
                "highest mean benefit over the swings") < 0 ||
        put_i64(sg, "benefit_best_at", 1, DQ, L, t->best_at, "swing of benefit_best: key*2+swing") <
            0 ||
        put_f64(sg, "max_shortfall", 1, DQ, L, t->max_shortfall,
                "largest shortfall over the swings (maximum regret)") < 0 ||
        put_i64(sg, "rank_changes", 1, DQ, L, t->rank_changes,
                "1 when the rank differs from base_rank at some swing") < 0 ||
        ckp_h5_attr_i32(sg->g, "ranking_changes", t->ranking_changes) < 0 ||
        ckp_h5_attr_i32(sg->g, "nkeys", t->nkeys) < 0)
        return -1;
    return 0;
}

ckp_status ckp_output_put_sensitivity(ckp_output *o, const ckp_sens_table *t, ckp_error *err)
{
    if (!o || !t || t->nkeys < 1 || t->npol < 0)
        return CKP_FAIL(err, CKP_ERR_USAGE, "no writer or no sensitivity table");
    if (o->failed)
        return CKP_FAIL(err, CKP_ERR_USAGE, "the writer has failed");
    hid_t g = H5Gcreate2(o->file, "sensitivity", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        o->failed = 1;
        return ckp_h5_error(err, "%s: creating group sensitivity", o->pub.target);
    }
    sgrp sg = {g, o->str, {-1, -1, -1}};
    const hsize_t len[D_N] = {(hsize_t)t->nkeys, 2, (hsize_t)t->npol};
    herr_t rc =
        put_scales(&sg, t, len) < 0 || put_tornado(&sg, t, len) < 0 || put_regret(&sg, t, len) < 0
            ? -1
            : 0;
    if (rc < 0) {
        o->failed = 1;
        ckp_h5_error(err, "%s: writing sensitivity/", o->pub.target);
    }
    for (int d = 0; d < D_N; d++)
        if (sg.scale[d] >= 0)
            H5Dclose(sg.scale[d]);
    H5Gclose(g);
    return rc < 0 ? CKP_ERR_HDF5 : CKP_OK;
}
