/* chokepoint: reading a results file back (output.h) for `summary`, `replay`,
 * the tests and any caller: the root attributes, one path's record, the
 * worst path, the policy table, and any numeric array by its path. Only
 * finished files (complete = 1) of a known schema are accepted. Every name
 * comes from the schema table (schema.c), as in the writer. */
#include "chokepoint/output.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/error_impl.h"
#include "h5_impl.h"
#include "schema_impl.h"

struct ckp_output_file {
    ckp_h5_quiet quiet;
    hid_t file, str;
    char *path;
    char *engine_version, *created_utc, *command_line, *currency;
    char **names;
    ckp_output_info info;
};

/* An HDF5 failure while reading means the file is not what it should be
 * (damaged, or of another layout): st (from ckp_h5_error, which has put
 * HDF5's reason in err) becomes CKP_ERR_IO. */
static ckp_status as_io(ckp_error *err, ckp_status st)
{
    (void)st;
    if (err)
        err->code = CKP_ERR_IO;
    return CKP_ERR_IO;
}

/* Root or group attribute `name` into v: it must hold exactly one value of
 * the class of memtype (an integer, or a string), so that a hostile array or
 * a value of another type is refused before anything is written to v. */
static ckp_status read_attr(const ckp_output_file *f, hid_t loc, const char *name, hid_t memtype,
                            void *v, ckp_error *err)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) {
        H5Eclear2(H5E_DEFAULT);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: not a chokepoint results file (no attribute '%s')",
                        f->path, name);
    }
    hid_t sp = H5Aget_space(a), t = H5Aget_type(a);
    H5T_class_t want = H5Tget_class(memtype), have = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    ckp_status st = CKP_OK;
    if (sp < 0 || t < 0)
        st = as_io(err, ckp_h5_error(err, "%s: attribute '%s'", f->path, name));
    else if (np != 1)
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: attribute '%s' holds %lld values, expected one",
                      f->path, name, (long long)np);
    else if (have != want || (want == H5T_STRING && H5Tis_variable_str(t) <= 0))
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: attribute '%s' is not %s", f->path, name,
                      want == H5T_STRING ? "a variable-length string" : "an integer");
    else if (H5Aread(a, memtype, v) < 0)
        st = as_io(err, ckp_h5_error(err, "%s: attribute '%s'", f->path, name));
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    H5Aclose(a);
    return st;
}

static ckp_status read_attr_str(const ckp_output_file *f, hid_t loc, const char *name, char **out,
                                ckp_error *err)
{
    char *p = NULL;
    CKP_TRY(read_attr(f, loc, name, f->str, &p, err));
    size_t n = p ? strlen(p) : 0;
    *out = malloc(n + 1);
    if (*out) {
        if (n)
            memcpy(*out, p, n);
        (*out)[n] = '\0';
    }
    if (p)
        H5free_memory(p);
    return *out ? CKP_OK : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
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
    hid_t ds = H5Dopen2(f->file, ckp_schema_dim[CKP_D_POLICY].name, H5P_DEFAULT);
    if (ds < 0)
        return as_io(err, ckp_h5_error(err, "%s: no policy coordinate", f->path));
    hid_t sp = H5Dget_space(ds);
    hsize_t n = 0;
    ckp_status st = CKP_OK;
    char **raw = NULL;
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 ||
        H5Sget_simple_extent_dims(sp, &n, NULL) < 0 || n < 1 || n > 100000) {
        st = as_io(err, ckp_h5_error(err, "%s: bad policy coordinate", f->path));
        goto done;
    }
    raw = calloc((size_t)n, sizeof *raw);
    f->names = calloc((size_t)n, sizeof *f->names);
    if (!raw || !f->names) {
        st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (ckp_h5_read(ds, f->str, H5S_ALL, H5S_ALL, raw) < 0) {
        st = as_io(err, ckp_h5_error(err, "%s: policy coordinate", f->path));
        goto done;
    }
    f->info.npol = (int)n;
    for (hsize_t k = 0; k < n && st == CKP_OK; k++) {
        const char *s = raw[k] ? raw[k] : "";
        size_t len = strlen(s);
        f->names[k] = malloc(len + 1);
        if (!f->names[k])
            st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
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

/* The root attributes past schema_version and complete, and the policy names. */
static ckp_status read_root(ckp_output_file *f, ckp_error *err)
{
    ckp_output_info *in = &f->info;
    hid_t r = f->file;
    int32_t T = 0, anti = 0;
    CKP_TRY(read_attr(f, r, CKP_A_SEED, H5T_NATIVE_UINT64, &in->seed, err));
    CKP_TRY(read_attr(f, r, CKP_A_STATE_HI, H5T_NATIVE_UINT64, &in->base.state.hi, err));
    CKP_TRY(read_attr(f, r, CKP_A_STATE_LO, H5T_NATIVE_UINT64, &in->base.state.lo, err));
    CKP_TRY(read_attr(f, r, CKP_A_INC_HI, H5T_NATIVE_UINT64, &in->base.inc.hi, err));
    CKP_TRY(read_attr(f, r, CKP_A_INC_LO, H5T_NATIVE_UINT64, &in->base.inc.lo, err));
    CKP_TRY(read_attr(f, r, CKP_A_FIRST_PATH, H5T_NATIVE_INT64, &in->first_path, err));
    CKP_TRY(read_attr(f, r, CKP_A_PATHS, H5T_NATIVE_INT64, &in->paths, err));
    CKP_TRY(read_attr(f, r, CKP_A_HORIZON, H5T_NATIVE_INT32, &T, err));
    CKP_TRY(read_attr(f, r, CKP_A_ANTITHETIC, H5T_NATIVE_INT32, &anti, err));
    CKP_TRY(read_attr_str(f, r, CKP_A_ENGINE_VERSION, &f->engine_version, err));
    CKP_TRY(read_attr_str(f, r, CKP_A_CREATED_UTC, &f->created_utc, err));
    CKP_TRY(read_attr_str(f, r, CKP_A_COMMAND_LINE, &f->command_line, err));
    CKP_TRY(read_attr_str(f, r, CKP_A_CURRENCY, &f->currency, err));
    if (in->first_path < 0 || in->paths < 1 || in->paths > INT64_MAX - in->first_path)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: attributes first_path %lld and paths %lld are not a range of paths",
                        f->path, (long long)in->first_path, (long long)in->paths);
    if (T < 1 || (anti != 0 && anti != 1))
        return CKP_FAIL(err, CKP_ERR_IO, "%s: attribute '%s' is %d, '%s' is %d: not a run's",
                        f->path, CKP_A_HORIZON, (int)T, CKP_A_ANTITHETIC, (int)anti);
    CKP_TRY(read_policy_names(f, err));
    in->horizon_months = T;
    in->antithetic = anti;
    in->engine_version = f->engine_version;
    in->created_utc = f->created_utc;
    in->command_line = f->command_line;
    in->currency = f->currency;
    in->policy_names = (const char *const *)f->names;
    return CKP_OK;
}

/* Open f->path and check that it is a finished results file of a schema we read. */
static ckp_status open_checked(ckp_output_file *f, ckp_error *err)
{
    const char *path = f->path;
    /* Only a regular file: HDF5 would block opening a FIFO until a writer came. */
    struct stat sb;
    if (stat(path, &sb) != 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot open: %s", path,
                        errno == ENOENT ? "no such file" : strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot open: not a regular file", path);
    CKP_TRY(ckp_h5_probe(path, err));
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot open: not an HDF5 file or not readable",
                        path);
    }
    if ((f->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        return as_io(err, ckp_h5_error(err, "%s: cannot open", path));
    if ((f->str = ckp_h5_str_type()) < 0)
        return ckp_h5_error(err, "string type");
    int32_t schema = 0, complete = 0;
    CKP_TRY(read_attr(f, f->file, CKP_A_SCHEMA_VERSION, H5T_NATIVE_INT32, &schema, err));
    if (schema < 1 || schema > CKP_OUTPUT_SCHEMA_VERSION)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: schema version %d is not supported (this engine reads up to %d)",
                        path, (int)schema, CKP_OUTPUT_SCHEMA_VERSION);
    CKP_TRY(read_attr(f, f->file, CKP_A_COMPLETE, H5T_NATIVE_INT32, &complete, err));
    if (complete != 1)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: the file is incomplete (its run did not finish)",
                        path);
    f->info.schema_version = schema;
    f->info.complete = complete;
    return read_root(f, err);
}

ckp_status ckp_output_file_open(const char *path, ckp_output_file **out, ckp_error *err)
{
    *out = NULL;
    ckp_output_file *f = calloc(1, sizeof *f);
    if (!f)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_h5_quiet_begin(&f->quiet);
    f->file = f->str = -1;
    size_t n = strlen(path) + 1;
    f->path = malloc(n);
    ckp_status st = f->path ? CKP_OK : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    if (st == CKP_OK) {
        memcpy(f->path, path, n);
        st = open_checked(f, err);
    }
    if (st != CKP_OK) {
        ckp_output_file_close(f);
        return st;
    }
    *out = f;
    return CKP_OK;
}

const ckp_output_info *ckp_output_file_info(const ckp_output_file *f)
{
    return &f->info;
}

ckp_status ckp_output_read_text(const ckp_output_file *f, const char *name, char **out,
                                ckp_error *err)
{
    *out = NULL;
    return read_attr_str(f, f->file, name, out, err);
}

/* Open dataset `name` of group g of policy index `policy`, or < 0. */
static hid_t open_in_policy(const ckp_output_file *f, int policy, ckp_group g, const char *name)
{
    char p[1024];
    if (ckp_schema_path(p, sizeof p, f->names[policy], g, name) != 0)
        return -1;
    return H5Dopen2(f->file, p, H5P_DEFAULT);
}

static ckp_status check_policy(const ckp_output_file *f, int policy, ckp_error *err)
{
    if (policy < 0 || policy >= f->info.npol)
        return CKP_FAIL(err, CKP_ERR_USAGE, "policy index %d out of range (the file has %d)",
                        policy, f->info.npol);
    return CKP_OK;
}

/* The largest value of the n values of ds and its index (the lowest of ties),
 * read in fixed slices so that memory stays bounded whatever n. */
static ckp_status column_max(const ckp_output_file *f, hid_t ds, hid_t fs, hsize_t n,
                             hsize_t *best, double *bestv, ckp_error *err)
{
    enum { SLICE = 65536 };
    const char *name = ckp_metric_table()[CKP_M_LOSS_TOTAL].name;
    double *buf = malloc(SLICE * sizeof *buf);
    ckp_status st = buf ? CKP_OK : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    *best = 0;
    *bestv = -INFINITY;
    for (hsize_t start = 0; st == CKP_OK && start < n; start += SLICE) {
        hsize_t cnt = n - start < SLICE ? n - start : SLICE;
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
            ckp_h5_read(ds, H5T_NATIVE_DOUBLE, ms, fs, buf) < 0)
            st = as_io(err, ckp_h5_error(err, "%s: cannot read '%s'", f->path, name));
        if (ms >= 0)
            H5Sclose(ms);
        for (hsize_t k = 0; st == CKP_OK && k < cnt; k++)
            if (buf[k] > *bestv) {
                *bestv = buf[k];
                *best = start + k;
            }
    }
    free(buf);
    return st;
}

/* A chunk of a per-path dataset larger than this is refused (the writer's
 * are CKP_CHUNK_PATHS doubles, 32 KiB): HDF5 reads a whole chunk to get a
 * row of it, so a hostile chunk size would be a hostile allocation. */
#define MAX_CHUNK_BYTES ((hsize_t)16 << 20)

/* Check per-path dataset `name` (open as ds, its space fs) of a policy: 64-bit
 * floats, rank 1 to 3, one row per path of the file (dims[0] == paths) and
 * `expect` values in each row; then that what is read is stored: every
 * chunk of the dataset when row < 0, else the chunks holding row `row`.
 * A file that declares rows it never wrote (the chunks of an unfinished or
 * crafted file) is refused here rather than read as fill values. dims gets
 * the dataset's dimensions (1 past its rank). */
static ckp_status check_per_path(const ckp_output_file *f, hid_t ds, hid_t fs, const char *name,
                                 size_t expect, int64_t row, hsize_t dims[3], ckp_error *err)
{
    const char *P = f->path;
    hid_t t = H5Dget_type(ds);
    int isf64 = t >= 0 && H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 8;
    if (t >= 0)
        H5Tclose(t);
    if (!isf64)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' does not hold 64-bit floats", P, name);
    int rank = H5Sget_simple_extent_ndims(fs);
    dims[0] = 0;
    dims[1] = dims[2] = 1;
    if (rank < 1 || rank > 3 || H5Sget_simple_extent_dims(fs, dims, NULL) < 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' has rank %d, expected 1 to 3", P, name,
                        rank);
    if (dims[0] != (hsize_t)f->info.paths)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' has %llu rows, the file holds %lld paths",
                        P, name, (unsigned long long)dims[0], (long long)f->info.paths);
    if (dims[1] > expect || dims[2] > expect || dims[1] * dims[2] != (hsize_t)expect)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: dataset '%s' has %llu x %llu values per path, expected %zu", P,
                        name, (unsigned long long)dims[1], (unsigned long long)dims[2], expect);
    hid_t dcpl = H5Dget_create_plist(ds);
    H5D_layout_t layout = dcpl < 0 ? H5D_LAYOUT_ERROR : H5Pget_layout(dcpl);
    hsize_t cd[3] = {1, 1, 1};
    int crank = layout == H5D_CHUNKED ? H5Pget_chunk(dcpl, 3, cd) : 0;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (layout == H5D_LAYOUT_ERROR || crank < 0)
        return as_io(err, ckp_h5_error(err, "%s: dataset '%s': cannot read its layout", P, name));
    if (layout == H5D_CONTIGUOUS) {
        H5D_space_status_t ss = H5D_SPACE_STATUS_ERROR;
        if (H5Dget_space_status(ds, &ss) < 0 || ss != H5D_SPACE_STATUS_ALLOCATED)
            return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' was never written", P, name);
        return CKP_OK;
    }
    if (layout != H5D_CHUNKED)
        return CKP_OK; /* compact: stored in the object header, at most 64 KiB */
    hsize_t bytes = 8;
    for (int r = 0; r < rank; r++) {
        if (cd[r] < 1 || cd[r] > MAX_CHUNK_BYTES)
            bytes = MAX_CHUNK_BYTES + 1;
        else
            bytes = bytes * cd[r] > MAX_CHUNK_BYTES ? MAX_CHUNK_BYTES + 1 : bytes * cd[r];
    }
    if (crank != rank || bytes > MAX_CHUNK_BYTES)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' has chunks of %d dimensions or over %llu bytes",
                        P, name, crank, (unsigned long long)MAX_CHUNK_BYTES);
    if (row < 0) {
        hsize_t want = 1, have = 0;
        for (int r = 0; r < rank; r++)
            want *= (dims[r] + cd[r] - 1) / cd[r];
        if (H5Dget_num_chunks(ds, fs, &have) < 0)
            return as_io(err, ckp_h5_error(err, "%s: dataset '%s': cannot count its chunks", P,
                                           name));
        if (have != want)
            return CKP_FAIL(err, CKP_ERR_IO,
                            "%s: dataset '%s' is incomplete: %llu of its %llu chunks are stored",
                            P, name, (unsigned long long)have, (unsigned long long)want);
        return CKP_OK;
    }
    hsize_t off[3] = {(hsize_t)row - (hsize_t)row % cd[0], 0, 0};
    for (off[1] = 0; off[1] < dims[1]; off[1] += cd[1])
        for (off[2] = 0; off[2] < dims[2]; off[2] += cd[2]) {
            hsize_t nb = 0;
            if (H5Dget_chunk_storage_size(ds, off, &nb) < 0 || nb == 0) {
                H5Eclear2(H5E_DEFAULT);
                return CKP_FAIL(err, CKP_ERR_IO,
                                "%s: dataset '%s' is incomplete: the values of path %lld are "
                                "not stored",
                                P, name, (long long)(f->info.first_path + row));
            }
        }
    return CKP_OK;
}

ckp_status ckp_output_find_worst(const ckp_output_file *f, int policy, int64_t *path,
                                 double *value, ckp_error *err)
{
    const ckp_output_info *in = &f->info;
    CKP_TRY(check_policy(f, policy, err));
    const char *name = ckp_metric_table()[CKP_M_LOSS_TOTAL].name;
    hid_t ds = open_in_policy(f, policy, CKP_G_NONE, name);
    if (ds < 0)
        return as_io(err, ckp_h5_error(err, "%s: policy '%s' has no dataset '%s'", f->path,
                                       f->names[policy], name));
    hid_t fs = H5Dget_space(ds);
    hsize_t dims[3];
    ckp_status st = fs < 0 ? as_io(err, ckp_h5_error(err, "%s: dataset '%s'", f->path, name))
                           : check_per_path(f, ds, fs, name, 1, -1, dims, err);
    hsize_t best = 0;
    double bestv = -INFINITY;
    if (st == CKP_OK)
        st = column_max(f, ds, fs, dims[0], &best, &bestv, err);
    if (fs >= 0)
        H5Sclose(fs);
    H5Dclose(ds);
    if (st == CKP_OK) {
        *path = in->first_path + (int64_t)best;
        if (value)
            *value = bestv;
    }
    return st;
}

/* Metric mi of the record of path `row` (0-based in the file) from ds. */
static ckp_status read_slot(const ckp_output_file *f, hid_t ds, const ckp_metric_info *mi,
                            size_t expect, int64_t row, double *out, ckp_error *err)
{
    const ckp_output_info *in = &f->info;
    hid_t fs = H5Dget_space(ds);
    if (fs < 0)
        return as_io(err, ckp_h5_error(err, "%s: bad dataset '%s'", f->path, mi->name));
    hsize_t dims[3];
    ckp_status st = check_per_path(f, ds, fs, mi->name, expect, row, dims, err);
    if (st != CKP_OK) {
        H5Sclose(fs);
        return st;
    }
    hsize_t start[3] = {(hsize_t)row, 0, 0};
    hsize_t cnt[3] = {1, dims[1], dims[2]};
    hsize_t mlen = (hsize_t)expect;
    hid_t ms = H5Screate_simple(1, &mlen, NULL);
    int bad = ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
              ckp_h5_read(ds, H5T_NATIVE_DOUBLE, ms, fs, out) < 0;
    st = bad ? as_io(err, ckp_h5_error(err, "%s: cannot read '%s' of path %lld", f->path,
                                       mi->name, (long long)(in->first_path + row)))
             : CKP_OK;
    if (ms >= 0)
        H5Sclose(ms);
    H5Sclose(fs);
    return st;
}

ckp_status ckp_output_read_record(const ckp_output_file *f, int policy, int64_t path,
                                  const ckp_layout *lay, double *record, ckp_error *err)
{
    const ckp_output_info *in = &f->info;
    CKP_TRY(check_policy(f, policy, err));
    if (path < in->first_path || path >= in->first_path + in->paths)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "path %lld is not in the file (it holds paths %lld..%lld)",
                        (long long)path, (long long)in->first_path,
                        (long long)(in->first_path + in->paths - 1));
    const ckp_metric_info *mt = ckp_metric_table();
    for (int j = 0; j < CKP_M_COUNT; j++) {
        hid_t ds = open_in_policy(f, policy, CKP_G_NONE, mt[j].name);
        if (ds < 0)
            return as_io(err, ckp_h5_error(err, "%s: policy '%s' has no dataset '%s'", f->path,
                                f->names[policy], mt[j].name));
        ckp_status st = read_slot(f, ds, &mt[j], lay->length[j], path - in->first_path,
                                  record + lay->offset[j], err);
        H5Dclose(ds);
        if (st != CKP_OK)
            return st;
    }
    return CKP_OK;
}

/* Exactly n doubles of dataset `name` of group g of policy index `policy`. */
static ckp_status read_doubles(const ckp_output_file *f, int policy, ckp_group g,
                               const char *name, double *v, size_t n, ckp_error *err)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", ckp_schema_group[g], name);
    hid_t ds = open_in_policy(f, policy, g, name);
    if (ds < 0)
        return as_io(err, ckp_h5_error(err, "%s: policy '%s' has no '%s'", f->path, f->names[policy], rel));
    hid_t sp = H5Dget_space(ds), t = H5Dget_type(ds);
    int isf64 = t >= 0 && H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 8;
    if (t >= 0)
        H5Tclose(t);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    if (!isf64 || np != (hssize_t)n) {
        if (sp >= 0)
            H5Sclose(sp);
        H5Dclose(ds);
        H5Eclear2(H5E_DEFAULT);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: '%s' of policy '%s' is not %zu 64-bit float%s",
                        f->path, rel, f->names[policy], n, n == 1 ? "" : "s");
    }
    int bad =
              ckp_h5_read(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, v) < 0;
    ckp_status st = bad ? as_io(err, ckp_h5_error(err, "%s: cannot read '%s' of policy '%s'",
                                                  f->path, rel, f->names[policy]))
                        : CKP_OK;
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
    return st;
}

/* Row k of the table from summary/, quantiles/ and comparison/ of policy k. */
static ckp_status read_row(const ckp_output_file *f, int k, ckp_output_row *w, ckp_error *err)
{
    const char *lt = ckp_metric_table()[CKP_M_LOSS_TOTAL].name;
    const ckp_ds_info *ds = ckp_schema_ds;
    snprintf(w->name, sizeof w->name, "%s", f->names[k]);
    w->is_baseline = k == 0;
    double s[CKP_NSTAT];
    CKP_TRY(read_doubles(f, k, CKP_G_SUMMARY, lt, s, CKP_NSTAT, err));
    CKP_TRY(read_doubles(f, k, CKP_G_QUANTILES, lt, w->loss.q, CKP_NQUANTILES, err));
    ckp_schema_stats_unpack(s, &w->loss);
    if (w->loss.count != (double)f->info.paths)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: the summary of '%s' of policy '%s' counts %.17g paths, the file "
                        "holds %lld",
                        f->path, lt, f->names[k], w->loss.count, (long long)f->info.paths);
    if (k == 0)
        return CKP_OK;
    ckp_benefit *b = &w->benefit;
    double bcr = NAN;
    CKP_TRY(read_doubles(f, k, CKP_G_COMPARISON, ds[CKP_DS_BENEFIT_MEAN].name, &b->mean, 1, err));
    CKP_TRY(read_doubles(f, k, CKP_G_COMPARISON, ds[CKP_DS_BENEFIT_SE].name, &b->se, 1, err));
    CKP_TRY(read_doubles(f, k, CKP_G_COMPARISON, ds[CKP_DS_P_POSITIVE].name, &b->p_positive, 1,
                         err));
    CKP_TRY(read_doubles(f, k, CKP_G_COMPARISON, ds[CKP_DS_BENEFIT_QUANTILES].name, b->q,
                         CKP_NQUANTILES, err));
    CKP_TRY(read_doubles(f, k, CKP_G_COMPARISON, ds[CKP_DS_BCR].name, &bcr, 1, err));
    b->has_bcr = !isnan(bcr);
    b->bcr = b->has_bcr ? bcr : 0.0;
    return CKP_OK;
}

ckp_status ckp_output_read_table(const ckp_output_file *f, ckp_output_row **rows,
                                 ckp_error *err)
{
    int npol = f->info.npol;
    ckp_output_row *r = calloc((size_t)npol, sizeof *r);
    if (!r)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_status st = CKP_OK;
    for (int k = 0; k < npol && st == CKP_OK; k++)
        st = read_row(f, k, &r[k], err);
    if (st != CKP_OK) {
        free(r);
        return st;
    }
    *rows = r;
    return CKP_OK;
}

/* ---- Any stored array ----------------------------------------------------------- */

/* The element type a dataset of type t is read as, or 0 with *what naming it. */
static ckp_output_type array_type(hid_t t, int *unsigned64, const char **what)
{
    *unsigned64 = 0;
    switch (H5Tget_class(t)) {
    case H5T_FLOAT:
        return CKP_OUTPUT_DOUBLE;
    case H5T_INTEGER:
        *unsigned64 = H5Tget_sign(t) == H5T_SGN_NONE && H5Tget_size(t) >= 8;
        return CKP_OUTPUT_INT64;
    case H5T_STRING:
        *what = "strings";
        return (ckp_output_type)0;
    default:
        *what = "values of a type that is not a number";
        return (ckp_output_type)0;
    }
}

/* Shape of the open dataset ds into out (rank, dims, count). */
static ckp_status array_shape(const ckp_output_file *f, const char *name, hid_t sp,
                              ckp_output_array *out, ckp_error *err)
{
    int rank = H5Sget_simple_extent_ndims(sp);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    if (rank < 0 || np < 0)
        return as_io(err, ckp_h5_error(err, "%s: dataset '%s': cannot read its shape", f->path, name));
    if (rank > CKP_OUTPUT_MAX_RANK)
        return CKP_FAIL(err, CKP_ERR_USAGE, "%s: dataset '%s' has rank %d, more than %d", f->path,
                        name, rank, CKP_OUTPUT_MAX_RANK);
    hsize_t d[CKP_OUTPUT_MAX_RANK];
    if (rank > 0 && H5Sget_simple_extent_dims(sp, d, NULL) < 0)
        return as_io(err, ckp_h5_error(err, "%s: dataset '%s': cannot read its shape", f->path, name));
    out->rank = rank;
    for (int r = 0; r < rank; r++)
        out->dims[r] = (size_t)d[r];
    if ((uint64_t)np > SIZE_MAX / sizeof(double))
        return CKP_FAIL(err, CKP_ERR_NOMEM, "%s: dataset '%s' is too large to read whole",
                        f->path, name);
    out->count = (size_t)np;
    return CKP_OK;
}

/* Read the values of ds (shape and type already in out). */
static ckp_status array_values(const ckp_output_file *f, const char *name, hid_t ds,
                               int unsigned64, ckp_output_array *out, ckp_error *err)
{
    void *v = malloc((out->count ? out->count : 1) * sizeof(double));
    if (!v)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory reading '%s'", name);
    if (out->type == CKP_OUTPUT_DOUBLE)
        out->f64 = v;
    else
        out->i64 = v;
    hid_t memtype = out->type == CKP_OUTPUT_DOUBLE ? H5T_NATIVE_DOUBLE
                    : unsigned64                   ? H5T_NATIVE_UINT64
                                                   : H5T_NATIVE_INT64;
    if (out->count > 0 && ckp_h5_read(ds, memtype, H5S_ALL, H5S_ALL, v) < 0)
        return as_io(err, ckp_h5_error(err, "%s: cannot read dataset '%s'", f->path, name));
    /* Unsigned 64-bit values (histogram counts) share int64's bits below 2^63. */
    for (size_t i = 0; unsigned64 && i < out->count; i++)
        if (((const uint64_t *)v)[i] > (uint64_t)INT64_MAX)
            return CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' holds a value above INT64_MAX",
                            f->path, name);
    return CKP_OK;
}

ckp_status ckp_output_read_array(const ckp_output_file *f, const char *name,
                                 ckp_output_array *out, ckp_error *err)
{
    memset(out, 0, sizeof *out);
    if (!name || !name[0])
        return CKP_FAIL(err, CKP_ERR_USAGE, "%s: no dataset name given", f->path);
    hid_t ds = H5Dopen2(f->file, name, H5P_DEFAULT);
    if (ds < 0) {
        H5Eclear2(H5E_DEFAULT);
        return CKP_FAIL(err, CKP_ERR_USAGE, "%s: no dataset '%s'", f->path, name);
    }
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    ckp_status st = CKP_OK;
    int unsigned64 = 0;
    const char *what = "";
    if (t < 0 || sp < 0)
        st = as_io(err, ckp_h5_error(err, "%s: dataset '%s'", f->path, name));
    else if (!(out->type = array_type(t, &unsigned64, &what)))
        st = CKP_FAIL(err, CKP_ERR_USAGE, "%s: dataset '%s' holds %s, not numbers", f->path,
                      name, what);
    if (st == CKP_OK)
        st = array_shape(f, name, sp, out, err);
    /* A dataset must store what it declares, within deflate's best ratio
     * (about 1032:1): a crafted shape over a few bytes would otherwise be an
     * allocation of its declared size. Small ones may be fill values. */
    if (st == CKP_OK && out->count > ((size_t)1 << 20) &&
        out->count / 129 > (size_t)H5Dget_storage_size(ds))
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: dataset '%s' declares %zu values but stores %llu bytes",
                      f->path, name, out->count, (unsigned long long)H5Dget_storage_size(ds));
    if (st == CKP_OK)
        st = array_values(f, name, ds, unsigned64, out, err);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    if (st != CKP_OK)
        ckp_output_array_free(out);
    return st;
}

void ckp_output_array_free(ckp_output_array *a)
{
    if (!a)
        return;
    free(a->f64);
    free(a->i64);
    memset(a, 0, sizeof *a);
}
