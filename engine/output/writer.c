/* chokepoint: the HDF5 results writer's life (output.h; layout:
 * docs/output-format.md): open creates the temporary file and its skeleton
 * from the plan, the sink streams the records (stream.c), finish writes the
 * summaries (summaries.c), marks the file complete and publishes it
 * (publish.c), abort discards it. Everything about the run (policies in run
 * order, layout, seed and base generator, path range, antithetic pairing,
 * histogram edges) is read from the plan, never worked out again. */
#include "writer_impl.h"

#include "merge_impl.h"

#include <stdlib.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "engine/core/error_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/stats/tail_impl.h"

/* Size of HDF5's metadata cache while writing (small_metadata_cache). */

void ckp_output_options_default(ckp_output_options *o)
{
    o->force = 0;
    o->compress = CKP_OUTPUT_DEFAULT_COMPRESS;
    o->command_line = NULL;
    o->progress = NULL;
    o->progress_ctx = NULL;
}

void ckp_writer_progress(const ckp_output *o, int k, size_t cells)
{
    int64_t per = (int64_t)o->lay->record + 1;
    if (o->progress)
        o->progress(o->progress_ctx, (int64_t)k * per + (int64_t)cells, (int64_t)o->npol * per);
}

/* A policy name becomes a group name: refuse what HDF5 paths cannot hold. */
static int bad_group_name(const char *s)
{
    return !s[0] || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

static void free_writer(ckp_output *o)
{
    if (!o)
        return;
    if (o->pp)
        for (int i = 0; i < o->npol * CKP_M_COUNT; i++)
            if (o->pp[i] >= 0)
                H5Dclose(o->pp[i]);
    if (o->pg)
        for (int k = 0; k < o->npol; k++)
            ckp_grp_close(&o->pg[k]);
    if (o->file >= 0 && H5Fclose(o->file) < 0)
        H5Eclear2(H5E_DEFAULT); /* the file is being discarded; see ckp_h5_quiet_begin */
    if (o->str >= 0)
        H5Tclose(o->str);
    if (o->dxpl >= 0)
        H5Pclose(o->dxpl);
    ckp_publish_discard(&o->pub);
    ckp_h5_quiet_end(&o->quiet);
    ckp_writer_slots_free(o);
    free(o->pp);
    free(o->pg);
    free(o->buf);
    free(o->pathcol);
    free(o);
}

/* The writer's state from the plan: sizes, buffers, no HDF5 yet. */
static ckp_status alloc_writer(const ckp_plan *plan, const ckp_output_options *oo,
                               ckp_output **out, ckp_error *err)
{
    ckp_output *o = calloc(1, sizeof *o);
    *out = o;
    if (!o)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_h5_quiet_begin(&o->quiet);
    o->file = o->str = o->dxpl = -1;
    o->plan = plan;
    o->sc = ckp_plan_scenario(plan);
    o->lay = ckp_plan_layout(plan);
    o->npol = ckp_plan_npolicies(plan);
    o->first_path = ckp_plan_first_path(plan);
    o->paths = ckp_plan_paths(plan);
    o->compress = oo->compress;
    o->progress = oo->progress;
    o->progress_ctx = oo->progress_ctx;
    const ckp_scenario *sc = o->sc;
    o->dimlen[CKP_D_PATH] = (hsize_t)o->paths;
    o->dimlen[CKP_D_SUPPLIER] = (hsize_t)sc->S;
    o->dimlen[CKP_D_REGIME] = (hsize_t)sc->K;
    o->dimlen[CKP_D_MATERIAL] = (hsize_t)sc->M;
    o->dimlen[CKP_D_INDUSTRY] = (hsize_t)sc->I;
    o->dimlen[CKP_D_MONTH] = (hsize_t)sc->T;
    o->dimlen[CKP_D_QUANTILE] = CKP_NQUANTILES;
    o->dimlen[CKP_D_STAT] = CKP_NSTAT;
    o->dimlen[CKP_D_BIN] = CKP_HIST_BINS;
    o->dimlen[CKP_D_POLICY] = (hsize_t)o->npol;
    o->dimlen[CKP_D_LEVEL] = CKP_EXCEEDANCE_LEVELS;
    o->dimlen[CKP_D_TAIL] = CKP_TAIL_N;
    o->chunk = o->paths < CKP_CHUNK_PATHS ? (hsize_t)o->paths : CKP_CHUNK_PATHS;
    o->pg = malloc((size_t)o->npol * sizeof *o->pg);
    o->pp = malloc((size_t)o->npol * CKP_M_COUNT * sizeof *o->pp);
    o->buf = malloc((size_t)o->npol * o->chunk * o->lay->record * sizeof *o->buf);
    o->pathcol = malloc(o->chunk * sizeof *o->pathcol);
    if (!o->pg || !o->pp || !o->buf || !o->pathcol) {
        /* Nothing to release at the handles yet: mark them empty. */
        free(o->pg);
        free(o->pp);
        o->pg = NULL;
        o->pp = NULL;
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < o->npol; k++)
        ckp_grp_init(&o->pg[k]);
    for (int i = 0; i < o->npol * CKP_M_COUNT; i++)
        o->pp[i] = -1;
    return CKP_OK;
}

/* The HDF5 file at the temporary name, the string type and the transfer
 * properties of the small writes. */
static ckp_status create_file(ckp_output *o, ckp_error *err)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fcpl < 0 || fapl < 0 || ckp_h5_small_metadata_cache(fapl) < 0 ||
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        (o->file = H5Fcreate(o->pub.tmp, H5F_ACC_TRUNC, fcpl, fapl)) < 0) {
        ckp_status st = ckp_h5_error(err, "%s: cannot create the file", o->pub.tmp);
        if (fcpl >= 0)
            H5Pclose(fcpl);
        if (fapl >= 0)
            H5Pclose(fapl);
        return st;
    }
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if ((o->str = ckp_h5_str_type()) < 0)
        return ckp_h5_error(err, "string type");
    /* A write that converts (variable-length strings) gets a conversion buffer
     * of the transfer's size, by default 1 MiB, zeroed on every H5Dwrite: with
     * a few hundred coordinate writes that alone cost more than a small run.
     * 64 KiB holds thousands of elements of any type written here. */
    if ((o->dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
        H5Pset_buffer(o->dxpl, (size_t)64 << 10, NULL, NULL) < 0)
        return ckp_h5_error(err, "transfer properties");
    return CKP_OK;
}

/* Root attributes and coordinates, the policy groups with their empty
 * per-path datasets, the codec; then a flush, so that a full disk shows at
 * once. */
static ckp_status write_skeleton(ckp_output *o, const char *command_line, ckp_error *err)
{
    CKP_TRY(ckp_writer_root(o, command_line, err));
    ckp_grp pols;
    CKP_TRY(ckp_writer_group(o, o->file, ckp_schema_group[CKP_G_POLICIES], &pols, err));
    ckp_status st = CKP_OK;
    for (int k = 0; k < o->npol && st == CKP_OK; k++)
        st = ckp_writer_policy(o, pols.id, k, err);
    ckp_grp_close(&pols);
    if (st != CKP_OK)
        return st;
    o->direct = o->compress > 0 && H5Tequal(H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) > 0;
    CKP_TRY(ckp_writer_slots(o, err));
    if (H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0)
        return ckp_h5_error(err, "%s: cannot write", o->pub.tmp);
    return CKP_OK;
}

ckp_status ckp_output_open(const char *path, const ckp_plan *plan, const ckp_output_options *oo,
                           ckp_output **out, ckp_error *err)
{
    *out = NULL;
    ckp_output_options defaults;
    if (!oo) {
        ckp_output_options_default(&defaults);
        oo = &defaults;
    }
    if (!path || !path[0])
        return CKP_FAIL(err, CKP_ERR_USAGE, "no output file given");
    if (!plan)
        return CKP_FAIL(err, CKP_ERR_USAGE, "output: no run plan given");
    if (oo->compress < 0 || oo->compress > 9)
        return CKP_FAIL(err, CKP_ERR_USAGE, "compression level must be 0..9, got %d",
                        oo->compress);
    CKP_TRY(ckp_publish_check(path, oo->force, err));
    const ckp_scenario *sc = ckp_plan_scenario(plan);
    for (int p = 0; p < sc->npolicies; p++)
        if (bad_group_name(sc->policy_names[p]))
            return CKP_FAIL(err, CKP_ERR_CONFIG, "policy name '%s' cannot name an HDF5 group",
                            sc->policy_names[p]);
    ckp_output *o = NULL;
    ckp_status st = alloc_writer(plan, oo, &o, err);
    if (st == CKP_OK)
        st = ckp_publish_begin(&o->pub, path, oo->force, err);
    if (st == CKP_OK)
        st = create_file(o, err);
    if (st == CKP_OK)
        st = write_skeleton(o, oo->command_line, err);
    if (st != CKP_OK) {
        free_writer(o);
        return st;
    }
    o->sink.ctx = o;
    o->sink.write_batch = ckp_writer_batch;
    *out = o;
    return CKP_OK;
}

/* The result must be the plan's, with every path received. */
static ckp_status check_result(const ckp_output *o, const ckp_run_result *r, ckp_error *err)
{
    const ckp_plan *p = o->plan;
    int ok = r && ckp_run_result_npolicies(r) == o->npol &&
             ckp_run_result_first_path(r) == o->first_path &&
             ckp_run_result_paths(r) == o->paths &&
             ckp_run_result_seed(r) == ckp_plan_seed(p) &&
             ckp_run_result_antithetic(r) == ckp_plan_antithetic(p) &&
             ckp_run_result_month_stats(r) == ckp_plan_month_stats(p) &&
             ckp_run_result_layout(r)->record == o->lay->record && o->written == o->paths;
    for (int k = 0; ok && k < o->npol; k++)
        ok = ckp_run_result_policy(r, k) == ckp_plan_policy(p, k);
    if (!ok)
        return CKP_FAIL(err, CKP_ERR_INTERNAL,
                        "output: the run result does not match the file being written "
                        "(%lld of %lld paths received)",
                        (long long)o->written, (long long)o->paths);
    return CKP_OK;
}

/* Mark the file complete and close everything, so that the file is whole
 * on disk before it gets its name. */
static ckp_status close_complete(ckp_output *o, ckp_error *err)
{
    if (ckp_h5_attr_i32(o->file, CKP_A_MONTH_STATS, ckp_plan_month_stats(o->plan)) < 0 ||
        ckp_h5_attr_i32(o->file, CKP_A_COMPLETE, 1) < 0)
        return ckp_h5_error(err, "%s: cannot mark the file complete", o->pub.target);
    ckp_status st = CKP_OK;
    for (int i = 0; i < o->npol * CKP_M_COUNT; i++) {
        if (H5Dclose(o->pp[i]) < 0)
            st = CKP_ERR_HDF5;
        o->pp[i] = -1;
    }
    for (int k = 0; k < o->npol; k++)
        ckp_grp_close(&o->pg[k]);
    /* Flush before closing: a flush that fails (a full disk) leaves the file open
     * for free_writer to discard; a failed H5Fclose could not be retried. */
    if (st != CKP_OK || H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0)
        return ckp_h5_error(err, "%s: cannot write the file", o->pub.target);
    herr_t rc = H5Fclose(o->file);
    o->file = -1;
    if (rc < 0)
        return ckp_h5_error(err, "%s: cannot close the file", o->pub.target);
    return CKP_OK;
}

ckp_status ckp_output_finish(ckp_output *o, const ckp_run_result *r, ckp_error *err)
{
    ckp_status st = CKP_OK;
    ckp_finish f;
    memset(&f, 0, sizeof f);
    if (!o)
        return CKP_FAIL(err, CKP_ERR_USAGE, "output: no writer");
    if (o->failed) {
        st = CKP_FAIL(err, CKP_ERR_INTERNAL, "output: finish after a failed write");
        goto done;
    }
    if ((st = ckp_writer_flush(o, err)) != CKP_OK || (st = check_result(o, r, err)) != CKP_OK)
        goto done;
    /* The per-path write buffer is no longer needed; free it before the summaries. */
    free(o->buf);
    o->buf = NULL;
    /* The path-length arrays of the summaries (8 MB each at 10^6 paths): the
     * column being summarised, the baseline's and the policy's benefit in
     * path order, and a block of the tail's standard errors. */
    size_t n = (size_t)o->paths ? (size_t)o->paths : 1;
    int xs = 0;
    if ((f.x = calloc((size_t)o->nth, sizeof *f.x)))
        for (; xs < o->nth && (f.x[xs] = malloc(n * sizeof **f.x)); xs++)
            ;
    f.base = malloc(n * sizeof *f.base);
    f.ben = o->npol > 1 ? malloc(n * sizeof *f.ben) : NULL;
    f.scratch = malloc(ckp_tail_scratch(n) * sizeof *f.scratch);
    if (xs < o->nth || !f.base || (o->npol > 1 && !f.ben) || !f.scratch) {
        st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < o->npol && st == CKP_OK; k++) {
        ckp_writer_progress(o, k, 0);
        st = ckp_writer_policy_results(o, k, r, &f, err);
    }
    if (st == CKP_OK)
        ckp_writer_progress(o, o->npol, 0);
    if (st == CKP_OK)
        st = ckp_writer_put_exact(o, r, err); /* for `chokepoint merge` (merge_exact.c) */
    if (st == CKP_OK)
        st = close_complete(o, err);
    if (st == CKP_OK)
        st = ckp_publish_commit(&o->pub, err);
done:
    for (int t = 0; f.x && t < o->nth; t++)
        free(f.x[t]);
    free(f.x);
    free(f.base);
    free(f.ben);
    free(f.scratch);
    free_writer(o);
    return st;
}

const char *ckp_output_temp_path(const ckp_output *o)
{
    return o ? o->pub.tmp : NULL;
}

void ckp_output_set_cancel(ckp_output *o, int (*cancel)(void *ctx), void *ctx)
{
    if (!o)
        return;
    o->cancel = cancel;
    o->cancel_ctx = ctx;
}

ckp_status ckp_writer_check_cancel(const ckp_output *o, ckp_error *err)
{
    if (o->cancel && o->cancel(o->cancel_ctx))
        return CKP_FAIL(err, CKP_ERR_CANCELLED, "stopped while the summaries were written");
    return CKP_OK;
}

void ckp_output_abort(ckp_output *o)
{
    free_writer(o);
}
