/* chokepoint: reading a results file in slices (output.h), for `export` and
 * any caller that must stream a per-path dataset of any length in constant
 * memory: the shape of a dataset, rows [start, start + n) along its first
 * dimension, and the labels of a string coordinate.
 *
 * A ckp_output_slices is a read-only HDF5 handle of its own (HDF5 shares the
 * underlying file with a ckp_output_file opened on the same path). Datasets
 * are opened per call with the chunk cache off: a slice aligned to the
 * writer's chunks (4096 paths) reads every chunk once, so a cache would only
 * hold memory. */
#include "chokepoint/output.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "h5_impl.h"
#include "schema_impl.h"

struct ckp_output_slices {
    ckp_h5_quiet quiet;
    hid_t file, str;
    char *path;
};

void ckp_output_slices_close(ckp_output_slices *s)
{
    if (!s)
        return;
    if (s->str >= 0)
        H5Tclose(s->str);
    if (s->file >= 0)
        H5Fclose(s->file);
    ckp_h5_quiet_end(&s->quiet);
    free(s->path);
    free(s);
}

static ckp_status open_file(ckp_output_slices *s, ckp_error *err)
{
    CKP_TRY(ckp_h5_probe(s->path, err));
    if (H5Fis_hdf5(s->path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot open: not an HDF5 file or not readable",
                        s->path);
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || ckp_h5_small_metadata_cache(fapl) < 0) {
        ckp_status st = ckp_h5_error(err, "%s: file access properties", s->path);
        if (fapl >= 0)
            H5Pclose(fapl);
        return st;
    }
    s->file = H5Fopen(s->path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (s->file < 0)
        return ckp_h5_error(err, "%s: cannot open", s->path);
    if ((s->str = ckp_h5_str_type()) < 0)
        return ckp_h5_error(err, "string type");
    int32_t complete = 0;
    hid_t a = H5Aopen(s->file, CKP_A_COMPLETE, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Aread(a, H5T_NATIVE_INT32, &complete);
    if (a >= 0)
        H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    if (rc < 0 || complete != 1)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: not a finished chokepoint results file", s->path);
    return CKP_OK;
}

ckp_status ckp_output_slices_open(const char *path, ckp_output_slices **out, ckp_error *err)
{
    *out = NULL;
    ckp_output_slices *s = calloc(1, sizeof *s);
    if (!s)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_h5_quiet_begin(&s->quiet);
    s->file = s->str = -1;
    size_t n = strlen(path) + 1;
    s->path = malloc(n);
    ckp_status st = s->path ? CKP_OK : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    if (st == CKP_OK) {
        memcpy(s->path, path, n);
        st = open_file(s, err);
    }
    if (st != CKP_OK) {
        ckp_output_slices_close(s);
        return st;
    }
    *out = s;
    return CKP_OK;
}

/* Dataset `name` into *ds, opened with the chunk cache off. */
static ckp_status open_ds(const ckp_output_slices *s, const char *name, hid_t *ds,
                          ckp_error *err)
{
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 || H5Pset_chunk_cache(dapl, 0, 0, 1.0) < 0) {
        ckp_status st = ckp_h5_error(err, "%s: dataset access properties", s->path);
        if (dapl >= 0)
            H5Pclose(dapl);
        return st;
    }
    *ds = H5Dopen2(s->file, name, dapl);
    H5Pclose(dapl);
    if (*ds < 0) {
        H5Eclear2(H5E_DEFAULT);
        return CKP_FAIL(err, CKP_ERR_USAGE, "%s: no dataset '%s'", s->path, name);
    }
    return CKP_OK;
}

/* Rank and dims of the open dataset ds into a (no values). */
static ckp_status ds_shape(const ckp_output_slices *s, const char *name, hid_t ds,
                           ckp_output_array *a, ckp_error *err)
{
    memset(a, 0, sizeof *a);
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    ckp_status st = CKP_OK;
    H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
    int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    hsize_t d[CKP_OUTPUT_MAX_RANK];
    if (t < 0 || sp < 0 || rank < 0)
        st = ckp_h5_error(err, "%s: dataset '%s': cannot read its shape", s->path, name);
    else if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        st = CKP_FAIL(err, CKP_ERR_USAGE, "%s: dataset '%s' does not hold numbers", s->path,
                      name);
    else if (rank > CKP_OUTPUT_MAX_RANK)
        st = CKP_FAIL(err, CKP_ERR_USAGE, "%s: dataset '%s' has rank %d, more than %d", s->path,
                      name, rank, CKP_OUTPUT_MAX_RANK);
    else if (rank > 0 && H5Sget_simple_extent_dims(sp, d, NULL) < 0)
        st = ckp_h5_error(err, "%s: dataset '%s': cannot read its shape", s->path, name);
    if (st == CKP_OK) {
        a->type = cls == H5T_FLOAT ? CKP_OUTPUT_DOUBLE : CKP_OUTPUT_INT64;
        a->rank = rank;
        a->count = 1;
        for (int r = 0; r < rank; r++) {
            a->dims[r] = (size_t)d[r];
            a->count *= a->dims[r];
        }
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

ckp_status ckp_output_slices_shape(const ckp_output_slices *s, const char *name,
                                   ckp_output_array *shape, ckp_error *err)
{
    memset(shape, 0, sizeof *shape);
    hid_t ds = -1;
    CKP_TRY(open_ds(s, name, &ds, err));
    ckp_status st = ds_shape(s, name, ds, shape, err);
    H5Dclose(ds);
    return st;
}

/* Select rows [start, start + n) of every column of sp (rank >= 1). */
static herr_t select_rows(hid_t sp, const ckp_output_array *a, size_t start, size_t n)
{
    hsize_t off[CKP_OUTPUT_MAX_RANK] = {0}, cnt[CKP_OUTPUT_MAX_RANK];
    for (int r = 0; r < a->rank; r++)
        cnt[r] = (hsize_t)a->dims[r];
    off[0] = (hsize_t)start;
    cnt[0] = (hsize_t)n;
    return H5Sselect_hyperslab(sp, H5S_SELECT_SET, off, NULL, cnt, NULL);
}

ckp_status ckp_output_slices_read(const ckp_output_slices *s, const char *name, size_t start,
                                  size_t n, double *buf, ckp_error *err)
{
    hid_t ds = -1;
    CKP_TRY(open_ds(s, name, &ds, err));
    ckp_output_array a;
    ckp_status st = ds_shape(s, name, ds, &a, err);
    if (st == CKP_OK && (a.rank < 1 || start > a.dims[0] || n > a.dims[0] - start))
        st = CKP_FAIL(err, CKP_ERR_USAGE, "%s: dataset '%s': rows %zu..%zu are not in it",
                      s->path, name, start, start + n);
    if (st == CKP_OK && n > 0) {
        size_t width = a.dims[0] ? a.count / a.dims[0] : 0;
        hsize_t mlen = (hsize_t)(n * width);
        hid_t fs = H5Dget_space(ds);
        hid_t ms = mlen ? H5Screate_simple(1, &mlen, NULL) : -1;
        if (mlen && (fs < 0 || ms < 0 || select_rows(fs, &a, start, n) < 0 ||
                     ckp_h5_read(ds, H5T_NATIVE_DOUBLE, ms, fs, buf) < 0))
            st = ckp_h5_error(err, "%s: cannot read rows %zu..%zu of '%s'", s->path, start,
                              start + n - 1, name);
        if (ms >= 0)
            H5Sclose(ms);
        if (fs >= 0)
            H5Sclose(fs);
    }
    H5Dclose(ds);
    return st;
}

void ckp_output_labels_free(char **labels, size_t n)
{
    if (!labels)
        return;
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
}

/* Copy the n strings of raw (NULL read as "") into a new array *out. */
static ckp_status copy_labels(char **raw, size_t n, char ***out, ckp_error *err)
{
    char **v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *src = raw[i] ? raw[i] : "";
        size_t len = strlen(src) + 1;
        if (!(v[i] = malloc(len))) {
            ckp_output_labels_free(v, n);
            return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        }
        memcpy(v[i], src, len);
    }
    *out = v;
    return CKP_OK;
}

ckp_status ckp_output_slices_labels(const ckp_output_slices *s, const char *name,
                                    char ***labels, size_t *n, ckp_error *err)
{
    *labels = NULL;
    *n = 0;
    hid_t ds = -1;
    CKP_TRY(open_ds(s, name, &ds, err));
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    ckp_status st = CKP_OK;
    char **raw = NULL;
    if (t < 0 || np < 0 || np > 10000000)
        st = ckp_h5_error(err, "%s: dataset '%s': cannot read its shape", s->path, name);
    else if (H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_ndims(sp) != 1)
        st = CKP_FAIL(err, CKP_ERR_USAGE, "%s: dataset '%s' is not a list of labels", s->path,
                      name);
    else if (!(raw = calloc(np ? (size_t)np : 1, sizeof *raw)))
        st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    else if (np > 0 && ckp_h5_read(ds, s->str, H5S_ALL, H5S_ALL, raw) < 0)
        st = ckp_h5_error(err, "%s: cannot read '%s'", s->path, name);
    else {
        st = copy_labels(raw, (size_t)np, labels, err);
        if (st == CKP_OK)
            *n = (size_t)np;
        if (np > 0)
            H5Dvlen_reclaim(s->str, sp, H5P_DEFAULT, raw);
    }
    free(raw);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    return st;
}
