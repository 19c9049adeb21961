/* chokepoint: reading a results file back (for `summary`, `replay` and the
 * tests). Only finished files (complete = 1) of a known schema are accepted. */
#include "chokepoint/output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_h5.h"

struct ckp_output_file {
    ckp_h5_quiet quiet;
    hid_t file, str;
    char *path;
    char *engine_version, *created_utc, *command_line, *currency;
    char **names;
    ckp_output_info info;
};

static ckp_status read_attr(ckp_output_file *f, hid_t loc, const char *name, hid_t memtype,
                            void *v, ckp_error *err)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) {
        H5Eclear2(H5E_DEFAULT);
        return ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL,
                             "%s: not a chokepoint results file (no attribute '%s')", f->path,
                             name);
    }
    herr_t rc = H5Aread(a, memtype, v);
    H5Aclose(a);
    return rc < 0 ? ckp_h5_error(err, "%s: attribute '%s'", f->path, name) : CKP_OK;
}

static ckp_status read_attr_str(ckp_output_file *f, hid_t loc, const char *name, char **out,
                                ckp_error *err)
{
    char *p = NULL;
    ckp_status st = read_attr(f, loc, name, f->str, &p, err);
    if (st != CKP_OK)
        return st;
    size_t n = p ? strlen(p) : 0;
    *out = malloc(n + 1);
    if (*out) {
        if (n)
            memcpy(*out, p, n);
        (*out)[n] = '\0';
    }
    if (p)
        H5free_memory(p);
    return *out ? CKP_OK : ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

void ckp_output_file_close(ckp_output_file *f)
{
    if (!f)
        return;
    if (f->str >= 0)
        H5Tclose(f->str);
    if (f->file >= 0)
        H5Fclose(f->file);
    ckp_h5_quiet_end(&f->quiet);
    if (f->names)
        for (int k = 0; k < f->info.npol; k++)
            free(f->names[k]);
    free(f->names);
    free(f->engine_version);
    free(f->created_utc);
    free(f->command_line);
    free(f->currency);
    free(f->path);
    free(f);
}

/* Policy names in run order, from the root `policy` coordinate. */
static ckp_status read_policy_names(ckp_output_file *f, ckp_error *err)
{
    hid_t ds = H5Dopen2(f->file, "policy", H5P_DEFAULT);
    if (ds < 0)
        return ckp_h5_error(err, "%s: no policy coordinate", f->path);
    hid_t sp = H5Dget_space(ds);
    hsize_t n = 0;
    ckp_status st = CKP_OK;
    char **raw = NULL;
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 ||
        H5Sget_simple_extent_dims(sp, &n, NULL) < 0 || n < 1 || n > 100000) {
        st = ckp_h5_error(err, "%s: bad policy coordinate", f->path);
        goto done;
    }
    raw = calloc((size_t)n, sizeof *raw);
    f->names = calloc((size_t)n, sizeof *f->names);
    if (!raw || !f->names) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto done;
    }
    if (H5Dread(ds, f->str, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        st = ckp_h5_error(err, "%s: policy coordinate", f->path);
        goto done;
    }
    f->info.npol = (int)n;
    for (hsize_t k = 0; k < n && st == CKP_OK; k++) {
        const char *s = raw[k] ? raw[k] : "";
        size_t len = strlen(s);
        f->names[k] = malloc(len + 1);
        if (!f->names[k])
            st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        else
            memcpy(f->names[k], s, len + 1);
    }
    H5Dvlen_reclaim(f->str, sp, H5P_DEFAULT, raw);
done:
    free(raw);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
    return st;
}

ckp_status ckp_output_file_open(const char *path, ckp_output_file **out, ckp_error *err)
{
    *out = NULL;
    ckp_output_file *f = calloc(1, sizeof *f);
    if (!f)
        return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
    ckp_h5_quiet_begin(&f->quiet);
    f->file = f->str = -1;
    ckp_status st = CKP_OK;
    size_t n = strlen(path) + 1;
    f->path = malloc(n);
    if (!f->path) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto fail;
    }
    memcpy(f->path, path, n);
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        st = ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL,
                           "%s: cannot open: not an HDF5 file or not readable", path);
        goto fail;
    }
    if ((f->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        st = ckp_h5_error(err, "%s: cannot open", path);
        goto fail;
    }
    if ((f->str = ckp_h5_str_type()) < 0) {
        st = ckp_h5_error(err, "string type");
        goto fail;
    }
    ckp_output_info *in = &f->info;
    int32_t schema = 0, complete = 0, T = 0, anti = 0;
    if ((st = read_attr(f, f->file, "schema_version", H5T_NATIVE_INT32, &schema, err)) != CKP_OK)
        goto fail;
    if (schema < 1 || schema > CKP_OUTPUT_SCHEMA_VERSION) {
        st = ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL,
                           "%s: schema version %d is not supported (this engine reads up to %d)",
                           path, (int)schema, CKP_OUTPUT_SCHEMA_VERSION);
        goto fail;
    }
    if ((st = read_attr(f, f->file, "complete", H5T_NATIVE_INT32, &complete, err)) != CKP_OK)
        goto fail;
    if (complete != 1) {
        st = ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL,
                           "%s: the file is incomplete (its run did not finish)", path);
        goto fail;
    }
    if ((st = read_attr(f, f->file, "seed", H5T_NATIVE_UINT64, &in->seed, err)) != CKP_OK ||
        (st = read_attr(f, f->file, "state_hi", H5T_NATIVE_UINT64, &in->base.state.hi, err)) !=
            CKP_OK ||
        (st = read_attr(f, f->file, "state_lo", H5T_NATIVE_UINT64, &in->base.state.lo, err)) !=
            CKP_OK ||
        (st = read_attr(f, f->file, "inc_hi", H5T_NATIVE_UINT64, &in->base.inc.hi, err)) !=
            CKP_OK ||
        (st = read_attr(f, f->file, "inc_lo", H5T_NATIVE_UINT64, &in->base.inc.lo, err)) !=
            CKP_OK ||
        (st = read_attr(f, f->file, "first_path", H5T_NATIVE_INT64, &in->first_path, err)) !=
            CKP_OK ||
        (st = read_attr(f, f->file, "paths", H5T_NATIVE_INT64, &in->paths, err)) != CKP_OK ||
        (st = read_attr(f, f->file, "horizon_months", H5T_NATIVE_INT32, &T, err)) != CKP_OK ||
        (st = read_attr(f, f->file, "antithetic", H5T_NATIVE_INT32, &anti, err)) != CKP_OK ||
        (st = read_attr_str(f, f->file, "engine_version", &f->engine_version, err)) != CKP_OK ||
        (st = read_attr_str(f, f->file, "created_utc", &f->created_utc, err)) != CKP_OK ||
        (st = read_attr_str(f, f->file, "command_line", &f->command_line, err)) != CKP_OK ||
        (st = read_attr_str(f, f->file, "currency", &f->currency, err)) != CKP_OK ||
        (st = read_policy_names(f, err)) != CKP_OK)
        goto fail;
    in->schema_version = schema;
    in->complete = complete;
    in->horizon_months = T;
    in->antithetic = anti;
    in->engine_version = f->engine_version;
    in->created_utc = f->created_utc;
    in->command_line = f->command_line;
    in->currency = f->currency;
    in->policy_names = (const char *const *)f->names;
    *out = f;
    return CKP_OK;
fail:
    ckp_output_file_close(f);
    return st;
}

const ckp_output_info *ckp_output_file_info(const ckp_output_file *f)
{
    return &f->info;
}

ckp_status ckp_output_read_text(const ckp_output_file *f, const char *name, char **out,
                                ckp_error *err)
{
    *out = NULL;
    return read_attr_str((ckp_output_file *)f, f->file, name, out, err);
}

static hid_t open_in_policy(const ckp_output_file *f, int policy, const char *rel)
{
    char p[1024];
    snprintf(p, sizeof p, "policies/%s/%s", f->names[policy], rel);
    return H5Dopen2(f->file, p, H5P_DEFAULT);
}

ckp_status ckp_output_find_worst(const ckp_output_file *f, int policy, int64_t *path,
                                 double *value, ckp_error *err)
{
    const ckp_output_info *in = &f->info;
    if (policy < 0 || policy >= in->npol)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "policy index %d out of range (the file has %d)", policy, in->npol);
    hid_t ds = open_in_policy(f, policy, "loss_total");
    if (ds < 0)
        return ckp_h5_error(err, "%s: policy '%s' has no dataset 'loss_total'", f->path,
                            f->names[policy]);
    hid_t fs = H5Dget_space(ds);
    hsize_t n = 0;
    if (fs < 0 || H5Sget_simple_extent_ndims(fs) != 1 ||
        H5Sget_simple_extent_dims(fs, &n, NULL) < 0 || n != (hsize_t)in->paths || n == 0) {
        if (fs >= 0)
            H5Sclose(fs);
        H5Dclose(ds);
        return ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL,
                             "%s: dataset 'loss_total' does not hold one value per path",
                             f->path);
    }
    /* Read in fixed slices so memory stays bounded whatever the number of paths;
     * ties go to the lowest path index. */
    enum { SLICE = 65536 };
    double *buf = malloc(SLICE * sizeof *buf);
    ckp_status st = buf ? CKP_OK
                        : ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
    hsize_t best = 0;
    double bestv = -INFINITY;
    for (hsize_t start = 0; st == CKP_OK && start < n; start += SLICE) {
        hsize_t cnt = n - start < SLICE ? n - start : SLICE;
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        if (ms < 0 ||
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
            H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) < 0)
            st = ckp_h5_error(err, "%s: cannot read 'loss_total'", f->path);
        if (ms >= 0)
            H5Sclose(ms);
        for (hsize_t k = 0; st == CKP_OK && k < cnt; k++)
            if (buf[k] > bestv) {
                bestv = buf[k];
                best = start + k;
            }
    }
    free(buf);
    H5Sclose(fs);
    H5Dclose(ds);
    if (st == CKP_OK) {
        *path = in->first_path + (int64_t)best;
        if (value)
            *value = bestv;
    }
    return st;
}

ckp_status ckp_output_read_record(const ckp_output_file *f, int policy, int64_t path,
                                  const ckp_layout *lay, double *record, ckp_error *err)
{
    const ckp_output_info *in = &f->info;
    if (policy < 0 || policy >= in->npol)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "policy index %d out of range (the file has %d)", policy, in->npol);
    if (path < in->first_path || path >= in->first_path + in->paths)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "path %lld is not in the file (it holds paths %lld..%lld)",
                             (long long)path, (long long)in->first_path,
                             (long long)(in->first_path + in->paths - 1));
    const ckp_metric_info *mt = ckp_metric_table();
    for (int j = 0; j < CKP_M_COUNT; j++) {
        hid_t ds = open_in_policy(f, policy, mt[j].name);
        if (ds < 0)
            return ckp_h5_error(err, "%s: policy '%s' has no dataset '%s'", f->path,
                                f->names[policy], mt[j].name);
        hid_t fs = H5Dget_space(ds);
        int rank = fs < 0 ? -1 : H5Sget_simple_extent_ndims(fs);
        hsize_t dims[3] = {0, 1, 1};
        if (rank < 1 || rank > 3 || H5Sget_simple_extent_dims(fs, dims, NULL) < 0) {
            if (fs >= 0)
                H5Sclose(fs);
            H5Dclose(ds);
            return ckp_h5_error(err, "%s: bad dataset '%s'", f->path, mt[j].name);
        }
        size_t len = 1;
        for (int r = 1; r < rank; r++)
            len *= (size_t)dims[r];
        if (len != lay->length[j] || dims[0] != (hsize_t)in->paths) {
            H5Sclose(fs);
            H5Dclose(ds);
            return ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL,
                                 "%s: dataset '%s' has %zu values per path, expected %zu",
                                 f->path, mt[j].name, len, lay->length[j]);
        }
        hsize_t start[3] = {(hsize_t)(path - in->first_path), 0, 0};
        hsize_t cnt[3] = {1, dims[1], dims[2]};
        hsize_t mlen = (hsize_t)len;
        hid_t ms = H5Screate_simple(1, &mlen, NULL);
        int bad = ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
                  H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT,
                          record + lay->offset[j]) < 0;
        if (ms >= 0)
            H5Sclose(ms);
        H5Sclose(fs);
        H5Dclose(ds);
        if (bad)
            return ckp_h5_error(err, "%s: cannot read '%s' of path %lld", f->path, mt[j].name,
                                (long long)path);
    }
    return CKP_OK;
}

static ckp_status read_doubles(const ckp_output_file *f, int policy, const char *rel, double *v,
                               size_t n, ckp_error *err)
{
    hid_t ds = open_in_policy(f, policy, rel);
    if (ds < 0)
        return ckp_h5_error(err, "%s: policy '%s' has no '%s'", f->path, f->names[policy], rel);
    hid_t sp = H5Dget_space(ds);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    int bad = np != (hssize_t)n || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                           H5P_DEFAULT, v) < 0;
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
    return bad ? ckp_h5_error(err, "%s: cannot read '%s' of policy '%s'", f->path, rel,
                              f->names[policy])
               : CKP_OK;
}

ckp_status ckp_output_read_table(const ckp_output_file *f, ckp_output_row **rows,
                                 ckp_error *err)
{
    int npol = f->info.npol;
    ckp_output_row *r = calloc((size_t)npol, sizeof *r);
    if (!r)
        return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
    ckp_status st = CKP_OK;
    for (int k = 0; k < npol && st == CKP_OK; k++) {
        ckp_output_row *w = &r[k];
        snprintf(w->name, sizeof w->name, "%s", f->names[k]);
        w->is_baseline = k == 0;
        double s[10];
        if ((st = read_doubles(f, k, "summary/loss_total", s, 10, err)) != CKP_OK ||
            (st = read_doubles(f, k, "quantiles/loss_total", w->loss.q, CKP_NQUANTILES, err)) !=
                CKP_OK)
            break;
        w->loss.count = s[0];
        w->loss.mean = s[1];
        w->loss.sd = s[2];
        w->loss.se = s[3];
        w->loss.min = s[4];
        w->loss.max = s[5];
        w->loss.var95 = s[6];
        w->loss.cvar95 = s[7];
        w->loss.var99 = s[8];
        w->loss.cvar99 = s[9];
        if (k == 0)
            continue;
        double bcr = NAN;
        if ((st = read_doubles(f, k, "comparison/benefit_mean", &w->benefit.mean, 1, err)) !=
                CKP_OK ||
            (st = read_doubles(f, k, "comparison/benefit_se", &w->benefit.se, 1, err)) !=
                CKP_OK ||
            (st = read_doubles(f, k, "comparison/p_positive", &w->benefit.p_positive, 1, err)) !=
                CKP_OK ||
            (st = read_doubles(f, k, "comparison/benefit_quantiles", w->benefit.q,
                               CKP_NQUANTILES, err)) != CKP_OK ||
            (st = read_doubles(f, k, "comparison/bcr", &bcr, 1, err)) != CKP_OK)
            break;
        w->benefit.has_bcr = !isnan(bcr);
        w->benefit.bcr = w->benefit.has_bcr ? bcr : 0.0;
    }
    if (st != CKP_OK) {
        free(r);
        return st;
    }
    *rows = r;
    return CKP_OK;
}
