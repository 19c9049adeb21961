/* chokepoint: writing and reading exact/accumulators (merge_impl.h), the run
 * result of a file as the bytes of ckp_run_result_to_bytes, stored as one
 * uint8 dataset (deflated with the file's compression level, in 1 MiB
 * chunks), so that range files merge exactly. */
#include "merge_impl.h"

#include <stdlib.h>

#include "engine/core/error_impl.h"
#include "writer_impl.h"

#define EXACT_CHUNK ((hsize_t)1 << 20)

static herr_t put_bytes(ckp_output *o, hid_t g, const unsigned char *b, size_t n)
{
    hsize_t len = (hsize_t)n, cdim = len < EXACT_CHUNK ? len : EXACT_CHUNK;
    hid_t sp = H5Screate_simple(1, &len, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    int bad = sp < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, &cdim) < 0 ||
              (o->compress > 0 && H5Pset_deflate(dcpl, (unsigned)o->compress) < 0) ||
              (ds = H5Dcreate2(g, "accumulators", H5T_STD_U8LE, sp, H5P_DEFAULT, dcpl,
                               H5P_DEFAULT)) < 0 ||
              H5Dwrite(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) < 0 ||
              ckp_h5_attr_str(ds, CKP_A_UNITS, o->str, "1") < 0 ||
              ckp_h5_attr_str(ds, CKP_A_LONG_NAME, o->str,
                              "exact accumulators of the run (ckp_run_result_to_bytes)") < 0;
    if (ds >= 0)
        H5Dclose(ds);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    return bad ? -1 : 0;
}

ckp_status ckp_writer_put_exact(ckp_output *o, const ckp_run_result *r, ckp_error *err)
{
    unsigned char *b = NULL;
    size_t n = 0;
    CKP_TRY(ckp_run_result_to_bytes(r, &b, &n, err));
    ckp_grp g;
    ckp_status st = ckp_writer_group(o, o->file, CKP_EXACT_GROUP, &g, err);
    if (st == CKP_OK && put_bytes(o, g.id, b, n) < 0)
        st = ckp_h5_error(err, "%s: cannot write the exact accumulators", o->pub.target);
    ckp_grp_close(&g);
    free(b);
    return st;
}

/* The uint8 vector exact/accumulators of the open file into *b. */
static ckp_status has_exact(hid_t f, const char *path, ckp_error *err)
{
    if (H5Lexists(f, CKP_EXACT_GROUP, H5P_DEFAULT) <= 0 ||
        H5Lexists(f, CKP_EXACT_DATASET, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "%s: has no exact accumulators (%s; written by an engine before "
                        "schema version 2), so it cannot be merged: run its range again",
                        path, CKP_EXACT_DATASET);
    }
    return CKP_OK;
}

static ckp_status read_bytes(hid_t f, const char *path, size_t cap, unsigned char **b, size_t *n,
                             ckp_error *err)
{
    hid_t ds = H5Dopen2(f, CKP_EXACT_DATASET, H5P_DEFAULT);
    hid_t t = ds < 0 ? -1 : H5Dget_type(ds), sp = ds < 0 ? -1 : H5Dget_space(ds);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    ckp_status st = CKP_OK;
    if (ds < 0 || t < 0 || sp < 0)
        st = ckp_h5_error(err, "%s: cannot open %s", path, CKP_EXACT_DATASET);
    else if (H5Tget_class(t) != H5T_INTEGER || H5Tget_size(t) != 1 ||
             H5Sget_simple_extent_ndims(sp) != 1 || np < 1 || (size_t)np > cap)
        st = CKP_FAIL(err, CKP_ERR_USAGE, "%s: %s is not the accumulators of this scenario", path,
                      CKP_EXACT_DATASET);
    else if (!(*b = malloc((size_t)np)))
        st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    else if (ckp_h5_read(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, *b) < 0)
        st = ckp_h5_error(err, "%s: cannot read %s", path, CKP_EXACT_DATASET);
    else
        *n = (size_t)np;
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (ds >= 0)
        H5Dclose(ds);
    return st;
}

static ckp_status read_month_stats(hid_t f, const char *path, int *month_stats, ckp_error *err)
{
    int32_t v = -1;
    hid_t a = H5Aopen(f, CKP_A_MONTH_STATS, H5P_DEFAULT);
    hid_t sp = a < 0 ? -1 : H5Aget_space(a);
    int ok = sp >= 0 && H5Sget_simple_extent_npoints(sp) == 1 &&
             H5Aread(a, H5T_NATIVE_INT32, &v) >= 0 && (v == 0 || v == 1);
    if (sp >= 0)
        H5Sclose(sp);
    if (a >= 0)
        H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    if (!ok)
        return CKP_FAIL(err, CKP_ERR_USAGE, "%s: attribute month_stats is missing or not 0/1",
                        path);
    *month_stats = v;
    return CKP_OK;
}

ckp_status ckp_exact_read(const char *path, size_t cap, int *month_stats, unsigned char **b,
                          size_t *n, ckp_error *err)
{
    if (b) {
        *b = NULL;
        *n = 0;
    }
    ckp_h5_quiet q;
    ckp_h5_quiet_begin(&q);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    ckp_status st = CKP_OK;
    if (fapl < 0 || ckp_h5_small_metadata_cache(fapl) < 0 ||
        (f = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0)
        st = ckp_h5_error(err, "%s: cannot open", path);
    if (st == CKP_OK)
        st = read_month_stats(f, path, month_stats, err);
    if (st == CKP_OK)
        st = has_exact(f, path, err);
    if (st == CKP_OK && b)
        st = read_bytes(f, path, cap, b, n, err);
    if (st != CKP_OK && b) {
        free(*b);
        *b = NULL;
    }
    if (f >= 0)
        H5Fclose(f);
    if (fapl >= 0)
        H5Pclose(fapl);
    ckp_h5_quiet_end(&q);
    return st;
}
