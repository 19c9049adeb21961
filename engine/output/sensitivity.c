/* chokepoint: the `sensitivity/` group of a results file (output.h,
 * ckp_output_put_sensitivity; layout in docs/output-format.md,
 * "Sensitivity"): the tornado table (baseline mean loss at each swing of
 * each key, with the paired standard error of the swing), each policy's
 * mean benefit at each swing, and the regret and robustness tables derived
 * from them. Written into the writer's temporary file before it is finished,
 * so it is published with the rest of the file or not at all. */
#include "writer_impl.h"

#include <string.h>

#include "engine/core/error_impl.h"

/* One dataset of `rank` dims (rank 0: a scalar), little-endian on disk. */
static herr_t put(hid_t g, const char *name, hid_t mem, hid_t file, int rank, const hsize_t *dims,
                  const void *data, const char *long_name, hid_t str)
{
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    if (sp < 0)
        return -1;
    hid_t ds = H5Dcreate2(g, name, file, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : 0;
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    if (rc == 0 && n > 0 && H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = -1;
    if (rc == 0 && long_name && ckp_h5_attr_str(ds, "long_name", str, long_name) < 0)
        rc = -1;
    if (ds >= 0 && H5Dclose(ds) < 0)
        rc = -1;
    H5Sclose(sp);
    return rc;
}

static herr_t put_f64(hid_t g, const char *name, int rank, const hsize_t *dims, const double *v,
                      const char *long_name, hid_t str)
{
    return put(g, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rank, dims, v, long_name, str);
}

static herr_t put_i64(hid_t g, const char *name, int rank, const hsize_t *dims, const int64_t *v,
                      const char *long_name, hid_t str)
{
    return put(g, name, H5T_NATIVE_INT64, H5T_STD_I64LE, rank, dims, v, long_name, str);
}

static herr_t put_text(hid_t g, const char *name, hsize_t n, const char *const *v, hid_t str)
{
    return put(g, name, str, str, 1, &n, v, NULL, str);
}

/* The datasets of the group, in the order docs/output-format.md lists them. */
static herr_t put_all(hid_t g, const ckp_sens_table *t, hid_t str)
{
    const char *const swing[2] = {"low", "high"};
    hsize_t K = (hsize_t)t->nkeys, Q = (hsize_t)t->npol;
    hsize_t k2[2] = {K, 2}, k2q[3] = {K, 2, Q};
    if (put_text(g, "key", K, t->keys, str) < 0 || put_text(g, "swing", 2, swing, str) < 0 ||
        put_text(g, "policy", Q, t->policies, str) < 0 ||
        put_f64(g, "low", 1, &K, t->low, "the key's low value", str) < 0 ||
        put_f64(g, "high", 1, &K, t->high, "the key's high value", str) < 0 ||
        put_i64(g, "order", 1, &K, t->order, "key indices, largest |loss_swing| first", str) < 0 ||
        put_f64(g, "base_loss_mean", 0, NULL, &t->base_loss_mean,
                "baseline mean total loss of the unswung scenario", str) < 0 ||
        put_f64(g, "base_loss_se", 0, NULL, &t->base_loss_se, "its standard error", str) < 0 ||
        put_f64(g, "base_benefit", 1, &Q, t->base_benefit,
                "mean benefit of each policy in the unswung scenario", str) < 0 ||
        put_f64(g, "loss_mean", 2, k2, t->loss_mean, "baseline mean total loss at the swing", str) <
            0 ||
        put_f64(g, "loss_se", 2, k2, t->loss_se, "its standard error", str) < 0 ||
        put_f64(g, "loss_swing", 1, &K, t->loss_swing, "loss_mean[high] - loss_mean[low]", str) <
            0 ||
        put_f64(g, "loss_swing_se", 1, &K, t->loss_swing_se,
                "paired standard error of loss_swing (same paths)", str) < 0 ||
        put_f64(g, "benefit_mean", 3, k2q, t->benefit_mean, "mean benefit at the swing", str) < 0 ||
        put_f64(g, "benefit_se", 3, k2q, t->benefit_se, "paired standard error of benefit_mean",
                str) < 0)
        return -1;
    if (put_i64(g, "best", 2, k2, t->best, "index of the policy of largest mean benefit", str) <
            0 ||
        put_f64(g, "shortfall", 3, k2q, t->shortfall,
                "best mean benefit at the swing minus the policy's (regret)", str) < 0 ||
        put_i64(g, "rank", 3, k2q, t->rank, "rank by mean benefit at the swing, 1 = best", str) <
            0 ||
        put_i64(g, "base_rank", 1, &Q, t->base_rank, "rank in the unswung scenario", str) < 0 ||
        put_f64(g, "benefit_worst", 1, &Q, t->worst, "lowest mean benefit over the swings", str) <
            0 ||
        put_i64(g, "benefit_worst_at", 1, &Q, t->worst_at, "swing of benefit_worst: key*2+swing",
                str) < 0 ||
        put_f64(g, "benefit_best", 1, &Q, t->best_case, "highest mean benefit over the swings",
                str) < 0 ||
        put_i64(g, "benefit_best_at", 1, &Q, t->best_at, "swing of benefit_best: key*2+swing",
                str) < 0 ||
        put_f64(g, "max_shortfall", 1, &Q, t->max_shortfall,
                "largest shortfall over the swings (maximum regret)", str) < 0 ||
        put_i64(g, "rank_changes", 1, &Q, t->rank_changes,
                "1 when the rank differs from base_rank at some swing", str) < 0 ||
        ckp_h5_attr_i32(g, "ranking_changes", t->ranking_changes) < 0 ||
        ckp_h5_attr_i32(g, "nkeys", t->nkeys) < 0)
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
    herr_t rc = put_all(g, t, o->str);
    if (rc < 0) {
        o->failed = 1;
        ckp_h5_error(err, "%s: writing sensitivity/", o->pub.target);
    }
    H5Gclose(g);
    return rc < 0 ? CKP_ERR_HDF5 : CKP_OK;
}
