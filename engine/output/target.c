/* chokepoint: a writer whose run stops early (the convergence stop of
 * `run --target-se`; output.h). The writer was opened for the plan's whole
 * range; before finish, ckp_output_shorten makes it the writer of the range's
 * first `paths` paths, so that the finished file holds what a run of that
 * many paths writes, and ckp_output_set_target records the stopping rule in
 * root attributes of its own. */
#include "writer_impl.h"

#include "engine/core/error_impl.h"

/* Overwrite an existing 64-bit root attribute in place (its position in the
 * creation order stays that of a file written for this many paths). */
static herr_t rewrite_i64(hid_t loc, const char *name, int64_t v)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    herr_t rc = H5Awrite(a, H5T_NATIVE_INT64, &v);
    if (H5Aclose(a) < 0)
        rc = -1;
    return rc;
}

ckp_status ckp_output_shorten(ckp_output *o, int64_t paths, ckp_error *err)
{
    if (!o || o->failed)
        return CKP_FAIL(err, CKP_ERR_USAGE, "output: shorten after a failed write");
    int64_t received = o->written + o->buffered;
    if (paths <= 0 || paths > o->paths || paths < received)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "output: cannot shorten a run of %lld paths (%lld received) to %lld",
                        (long long)o->paths, (long long)received, (long long)paths);
    if (ckp_plan_antithetic(o->plan) && paths % 2 != 0)
        return CKP_FAIL(err, CKP_ERR_USAGE, "output: an antithetic run needs an even count");
    if (rewrite_i64(o->file, CKP_A_PATHS, paths) < 0)
        return ckp_h5_error(err, "%s: cannot write the path count", o->pub.target);
    o->paths = paths;
    o->dimlen[CKP_D_PATH] = (hsize_t)paths;
    return CKP_OK;
}

ckp_status ckp_output_set_target(ckp_output *o, const ckp_output_target *t, ckp_error *err)
{
    if (!o || !t || !t->on)
        return CKP_FAIL(err, CKP_ERR_USAGE, "output: no target given");
    hid_t f = o->file;
    int bad = ckp_h5_attr_f64(f, CKP_A_TARGET_SE, t->se) < 0 ||
              ckp_h5_attr_f64(f, CKP_A_TARGET_REL_SE, t->rel_se) < 0 ||
              ckp_h5_attr_str(f, CKP_A_TARGET_ON, o->str, t->on) < 0 ||
              ckp_h5_attr_i64(f, CKP_A_TARGET_MAX_PATHS, t->max_paths) < 0 ||
              ckp_h5_attr_i32(f, CKP_A_TARGET_MET, t->met) < 0 ||
              ckp_h5_attr_f64(f, CKP_A_TARGET_WORST, t->worst) < 0;
    if (bad)
        return ckp_h5_error(err, "%s: cannot write the target attributes", o->pub.target);
    return CKP_OK;
}
