/* chokepoint: the skeleton of a results file (writer_impl.h): root
 * attributes, coordinates (HDF5 dimension scales with netCDF's dimension
 * ids, so xarray and netCDF readers see labelled dimensions), groups, and the
 * creation of datasets with their units and long names. Names come from the
 * schema table (schema.c). */
#include "writer_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hdf5_hl.h>

#include "chokepoint/chokepoint.h"
#include "engine/core/error_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/stats/tail_impl.h"

void ckp_grp_init(ckp_grp *g)
{
    g->id = -1;
    for (int d = 0; d < CKP_D_COUNT; d++)
        g->scale[d] = -1;
}

void ckp_grp_close(ckp_grp *g)
{
    for (int d = 0; d < CKP_D_COUNT; d++)
        if (g->scale[d] >= 0)
            H5Dclose(g->scale[d]);
    if (g->id >= 0)
        H5Gclose(g->id);
    ckp_grp_init(g);
}

/* units and long_name of a dataset. */
static herr_t attrs_meta(ckp_output *o, hid_t d, const char *units, const char *long_name)
{
    if (units && strcmp(units, CKP_SCHEMA_CURRENCY) == 0)
        units = o->sc->currency;
    /* xarray turns units "days" (and hours, seconds, ...) into timedeltas; a
     * stock level is not a duration, so use the singular UDUNITS name. */
    if (units && strcmp(units, "days") == 0)
        units = "day";
    /* No units: a label or index coordinate (CF gives names and counters none). */
    if (units && ckp_h5_attr_str(d, CKP_A_UNITS, o->str, units) < 0)
        return -1;
    return ckp_h5_attr_str(d, CKP_A_LONG_NAME, o->str, long_name ? long_name : "");
}

ckp_status ckp_writer_group(ckp_output *o, hid_t parent, const char *name, ckp_grp *g,
                            ckp_error *err)
{
    ckp_grp_init(g);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl < 0 ||
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        (g->id = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        if (gcpl >= 0)
            H5Pclose(gcpl);
        return ckp_h5_error(err, "%s: cannot create group '%s'", o->pub.target, name);
    }
    H5Pclose(gcpl);
    return CKP_OK;
}

ckp_status ckp_writer_scale(ckp_output *o, ckp_grp *g, ckp_dim d, hid_t memtype, hid_t filetype,
                            const void *data, int chunked, ckp_error *err)
{
    const ckp_dim_info *di = &ckp_schema_dim[d];
    ckp_status st = CKP_OK;
    hsize_t n = o->dimlen[d];
    hid_t sp = -1, dcpl = -1, dapl = -1, ds = -1;
    int32_t id = (int32_t)o->next_dimid++;
    hsize_t maxn = H5S_UNLIMITED;
    hsize_t cdim = o->chunk;
    if ((sp = H5Screate_simple(1, &n, chunked ? &maxn : NULL)) < 0 ||
        (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        (chunked && H5Pset_chunk(dcpl, 1, &cdim) < 0) ||
        /* The growing path coordinate is written in whole chunks: no chunk
         * cache (its default 1 MiB per policy filled up as the paths grew). */
        (dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
        (chunked && H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0,
                                       H5D_CHUNK_CACHE_W0_DEFAULT) < 0) ||
        (ds = H5Dcreate2(g->id, di->name, filetype, sp, H5P_DEFAULT, dcpl, dapl)) < 0 ||
        (data && n > 0 && H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, o->dxpl, data) < 0) ||
        H5DSset_scale(ds, di->name) < 0 ||
        ckp_h5_attr_write(ds, CKP_A_NC_DIMID, H5T_NATIVE_INT32, &id) < 0 ||
        attrs_meta(o, ds, di->units, di->long_name) < 0) {
        st = ckp_h5_error(err, "%s: cannot write the coordinate '%s'", o->pub.target, di->name);
        if (ds >= 0)
            H5Dclose(ds);
        ds = -1;
    }
    if (dapl >= 0)
        H5Pclose(dapl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    g->scale[d] = ds;
    return st;
}

/* The fixed-size path coordinate (comparison groups), written in chunk blocks. */
static ckp_status path_scale(ckp_output *o, ckp_grp *g, ckp_error *err)
{
    CKP_TRY(ckp_writer_scale(o, g, CKP_D_PATH, H5T_NATIVE_INT64, H5T_STD_I64LE, NULL, 1, err));
    hid_t fs = H5Dget_space(g->scale[CKP_D_PATH]);
    if (fs < 0)
        return ckp_h5_error(err, "%s: path coordinate", o->pub.target);
    ckp_status st = CKP_OK;
    for (int64_t s = 0; s < o->paths && st == CKP_OK; s += (int64_t)o->chunk) {
        hsize_t start = (hsize_t)s,
                cnt = (hsize_t)(o->paths - s < (int64_t)o->chunk ? o->paths - s
                                                                 : (int64_t)o->chunk);
        for (hsize_t i = 0; i < cnt; i++)
            o->pathcol[i] = o->first_path + s + (int64_t)i;
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
            H5Dwrite(g->scale[CKP_D_PATH], H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, o->pathcol) <
                0)
            st = ckp_h5_error(err, "%s: path coordinate", o->pub.target);
        if (ms >= 0)
            H5Sclose(ms);
    }
    H5Sclose(fs);
    return st;
}

/* A coordinate of names (strings). */
static ckp_status names_scale(ckp_output *o, ckp_grp *g, ckp_dim d, const char *const *names,
                              ckp_error *err)
{
    return ckp_writer_scale(o, g, d, o->str, o->str, names, 0, err);
}

/* Days from 1970-01-01 to the first of month m (1..12) of year y (proleptic
 * Gregorian calendar). */
static int64_t days_of_month_start(int64_t y, int64_t m)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* With a scenario `start`: the `time` coordinate along month in g, the first
 * day of each month as days since the first of the start month (CF: xarray
 * decodes it to dates). */
static ckp_status time_coord(ckp_output *o, ckp_grp *g, ckp_error *err)
{
    int y = o->sc->start_year, m = o->sc->start_month, n = (int)o->dimlen[CKP_D_MONTH];
    int32_t *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    int64_t d0 = days_of_month_start(y, m);
    for (int t = 0; t < n; t++) {
        int64_t mm = m - 1 + t;
        v[t] = (int32_t)(days_of_month_start(y + mm / 12, mm % 12 + 1) - d0);
    }
    char units[48];
    snprintf(units, sizeof units, "days since %04d-%02d-01", y, m);
    ckp_dim d = CKP_D_MONTH;
    ckp_status st = ckp_writer_put(o, g, CKP_SCHEMA_TIME, H5T_NATIVE_INT32, H5T_STD_I32LE, 1, &d, v,
                                   0, units, "first day of the month", err);
    free(v);
    CKP_TRY(st);
    hid_t ds = H5Dopen2(g->id, CKP_SCHEMA_TIME, H5P_DEFAULT);
    int bad = ds < 0 || ckp_h5_attr_str(ds, CKP_A_CALENDAR, o->str, "standard") < 0 ||
              ckp_h5_attr_str(ds, CKP_A_STANDARD_NAME, o->str, "time") < 0;
    if (ds >= 0 && H5Dclose(ds) < 0)
        bad = 1;
    return bad ? ckp_h5_error(err, "%s: cannot write the time coordinate", o->pub.target) : CKP_OK;
}

/* Create the coordinate scale for dimension d in g if not there yet. */
static ckp_status ensure_scale(ckp_output *o, ckp_grp *g, ckp_dim d, ckp_error *err)
{
    if (g->scale[d] >= 0)
        return CKP_OK;
    const ckp_scenario *sc = o->sc;
    ckp_status st = CKP_OK;
    switch (d) {
    case CKP_D_SUPPLIER:
        return names_scale(o, g, d, (const char *const *)sc->suppliers, err);
    case CKP_D_REGIME:
        return names_scale(o, g, d, (const char *const *)sc->regimes, err);
    case CKP_D_MATERIAL:
        return names_scale(o, g, d, (const char *const *)sc->materials, err);
    case CKP_D_INDUSTRY:
        return names_scale(o, g, d, (const char *const *)sc->industries, err);
    case CKP_D_POLICY: {
        const char **names = malloc((size_t)o->npol * sizeof *names);
        if (!names)
            return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        for (int k = 0; k < o->npol; k++)
            names[k] = ckp_plan_policy_name(o->plan, k);
        st = names_scale(o, g, d, names, err);
        free(names);
        return st;
    }
    case CKP_D_STAT:
        return names_scale(o, g, d, ckp_schema_stat, err);
    case CKP_D_TAIL:
        return names_scale(o, g, d, ckp_tail_names, err);
    case CKP_D_MONTH:
    case CKP_D_BIN: {
        int n = (int)o->dimlen[d];
        int32_t *v = malloc((size_t)n * sizeof *v);
        if (!v)
            return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        for (int i = 0; i < n; i++)
            v[i] = d == CKP_D_MONTH ? i + 1 : i;
        st = ckp_writer_scale(o, g, d, H5T_NATIVE_INT32, H5T_STD_I32LE, v, 0, err);
        free(v);
        if (st == CKP_OK && d == CKP_D_MONTH && o->sc->start_year > 0)
            st = time_coord(o, g, err);
        return st;
    }
    case CKP_D_QUANTILE:
        return ckp_writer_scale(o, g, d, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, CKP_QUANTILE_PROBS, 0,
                                err);
    case CKP_D_PATH:
        return path_scale(o, g, err);
    default:
        return CKP_FAIL(err, CKP_ERR_INTERNAL, "output: no default coordinate for '%s'",
                        ckp_schema_dim[d].name);
    }
}

/* The path-length doubles `data` into the chunked dataset ds chunk by chunk
 * through the codec (as the per-path datasets), instead of H5Dwrite and
 * HDF5's own deflate filter (zlib), which allocates its state per chunk. */
static int write_by_chunks(ckp_output *o, hid_t ds, const double *data)
{
    ckp_wslot *sl = &o->slot[0];
    size_t n = (size_t)o->dimlen[CKP_D_PATH], m = (size_t)o->chunk;
    for (size_t i0 = 0; i0 < n; i0 += m) {
        size_t k = n - i0 < m ? n - i0 : m;
        hsize_t off = (hsize_t)i0;
        memcpy(sl->col, data + i0, k * sizeof *data);
        if (ckp_codec_put(&sl->codec, ds, &off, sl->col, k) < 0)
            return -1;
    }
    return 0;
}

ckp_status ckp_writer_put(ckp_output *o, ckp_grp *g, const char *name, hid_t memtype,
                          hid_t filetype, int rank, const ckp_dim *dims, const void *data,
                          int chunked, const char *units, const char *long_name, ckp_error *err)
{
    ckp_status st = CKP_OK;
    hsize_t ext[8], chk[8];
    hid_t sp = -1, dcpl = -1, ds = -1;
    for (int r = 0; r < rank; r++) {
        CKP_TRY(ensure_scale(o, g, dims[r], err));
        ext[r] = o->dimlen[dims[r]];
        chk[r] = r == 0 ? o->chunk : 1;
    }
    if ((sp = rank ? H5Screate_simple(rank, ext, NULL) : H5Screate(H5S_SCALAR)) < 0 ||
        (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0)
        goto fail;
    if (chunked) {
        if (H5Pset_chunk(dcpl, rank, chk) < 0)
            goto fail;
        if (o->compress > 0 &&
            (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)o->compress) < 0))
            goto fail;
    }
    int codec = chunked && o->direct && rank == 1 && dims[0] == CKP_D_PATH &&
                H5Tequal(memtype, H5T_NATIVE_DOUBLE) > 0 && H5Tequal(filetype, H5T_IEEE_F64LE) > 0;
    if ((ds = H5Dcreate2(g->id, name, filetype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0 ||
        (codec ? write_by_chunks(o, ds, data) < 0
               : H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, o->dxpl, data) < 0))
        goto fail;
    for (int r = 0; r < rank; r++)
        if (H5DSattach_scale(ds, g->scale[dims[r]], (unsigned)r) < 0)
            goto fail;
    if (attrs_meta(o, ds, units, long_name) < 0)
        goto fail;
    /* A dataset along month names the dates of its months (CF auxiliary coordinate). */
    for (int r = 0; r < rank && o->sc->start_year > 0 && strcmp(name, CKP_SCHEMA_TIME); r++)
        if (dims[r] == CKP_D_MONTH &&
            ckp_h5_attr_str(ds, CKP_A_COORDINATES, o->str, CKP_SCHEMA_TIME) < 0)
            goto fail;
    goto done;
fail:
    st = ckp_h5_error(err, "%s: cannot write dataset '%s'", o->pub.target, name);
done:
    if (ds >= 0 && H5Dclose(ds) < 0 && st == CKP_OK)
        st = ckp_h5_error(err, "%s: closing dataset '%s'", o->pub.target, name);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    return st;
}

ckp_status ckp_writer_put_ds(ckp_output *o, ckp_grp *g, ckp_ds id, const double *data,
                             ckp_error *err)
{
    const ckp_ds_info *d = &ckp_schema_ds[id];
    /* Datasets along `path` are chunked like the per-path metrics. */
    int chunked = d->rank == 1 && d->dim == CKP_D_PATH;
    return ckp_writer_put(o, g, d->name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, d->rank, &d->dim,
                          data, chunked, d->units, d->long_name, err);
}

static herr_t root_attrs(ckp_output *o, const char *yaml, const char *cmdline, const char *when)
{
    const ckp_scenario *sc = o->sc;
    const ckp_pcg64 *base = ckp_plan_base(o->plan);
    hid_t f = o->file, s = o->str;
    int bad = ckp_h5_attr_i32(f, CKP_A_SCHEMA_VERSION, CKP_OUTPUT_SCHEMA_VERSION) < 0 ||
              ckp_h5_attr_str(f, CKP_A_CONVENTIONS, s, CKP_SCHEMA_CONVENTIONS) < 0 ||
              ckp_h5_attr_str(f, CKP_A_ENGINE_VERSION, s, ckp_version()) < 0 ||
              ckp_h5_attr_u64(f, CKP_A_SEED, ckp_plan_seed(o->plan)) < 0 ||
              ckp_h5_attr_u64(f, CKP_A_STATE_HI, base->state.hi) < 0 ||
              ckp_h5_attr_u64(f, CKP_A_STATE_LO, base->state.lo) < 0 ||
              ckp_h5_attr_u64(f, CKP_A_INC_HI, base->inc.hi) < 0 ||
              ckp_h5_attr_u64(f, CKP_A_INC_LO, base->inc.lo) < 0 ||
              ckp_h5_attr_i64(f, CKP_A_FIRST_PATH, o->first_path) < 0 ||
              ckp_h5_attr_i64(f, CKP_A_PATHS, o->paths) < 0 ||
              ckp_h5_attr_i32(f, CKP_A_HORIZON, sc->T) < 0 ||
              ckp_h5_attr_i32(f, CKP_A_ANTITHETIC, ckp_plan_antithetic(o->plan)) < 0 ||
              ckp_h5_attr_str(f, CKP_A_SCENARIO_NAME, s, sc->name) < 0 ||
              ckp_h5_attr_str(f, CKP_A_CURRENCY, s, sc->currency) < 0 ||
              ckp_h5_attr_str(f, CKP_A_IMPORTER, s, sc->importer) < 0 ||
              ckp_h5_attr_str(f, CKP_A_SCENARIO_RESOLVED, s, yaml) < 0 ||
              ckp_h5_attr_str(f, CKP_A_SCENARIO_SOURCE, s, sc->source_text) < 0 ||
              ckp_h5_attr_str(f, CKP_A_COMMAND_LINE, s, cmdline) < 0 ||
              ckp_h5_attr_str(f, CKP_A_CREATED_UTC, s, when) < 0 ||
              ckp_h5_attr_i32(f, CKP_A_COMPLETE, 0) < 0;
    return bad ? -1 : 0;
}

ckp_status ckp_writer_root(ckp_output *o, const char *command_line, ckp_error *err)
{
    char *yaml = NULL;
    CKP_TRY(ckp_scenario_to_yaml(o->sc, &yaml, err));
    char when[32];
    time_t now = time(NULL);
    struct tm tmv;
    if (!gmtime_r(&now, &tmv) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        snprintf(when, sizeof when, "unknown");
    herr_t rc = root_attrs(o, yaml, command_line, when);
    free(yaml);
    if (rc < 0)
        return ckp_h5_error(err, "%s: cannot write the root attributes", o->pub.target);
    ckp_grp root;
    ckp_grp_init(&root);
    root.id = o->file;
    ckp_status st = CKP_OK;
    for (int i = 0; i < CKP_SCHEMA_ROOT_DIMS && st == CKP_OK; i++)
        st = ensure_scale(o, &root, ckp_schema_root_dim[i], err);
    root.id = -1; /* the file id is not ours to close here */
    ckp_grp_close(&root);
    return st;
}

/* The empty, extendible per-path dataset of metric mi in the group g of
 * policy `policy`, into *out (-1 on failure). */
static ckp_status create_metric(ckp_output *o, ckp_grp *g, const char *policy,
                                const ckp_metric_info *mi, hid_t *out, ckp_error *err)
{
    ckp_dim dims[3] = {CKP_D_PATH, CKP_D_PATH, CKP_D_PATH};
    int rank = 1 + ckp_schema_metric_dims(mi->dims, dims + 1);
    hsize_t ext[3], mx[3], chk[3];
    for (int r = 0; r < rank; r++) {
        ext[r] = r == 0 ? 0 : o->dimlen[dims[r]];
        mx[r] = r == 0 ? H5S_UNLIMITED : ext[r];
        chk[r] = r == 0 ? o->chunk : 1;
    }
    /* stockout_month's "never" is its CF fill value (xarray reads it as NaN). */
    int never = mi == &ckp_metric_table()[CKP_M_STOCKOUT_MONTH];
    double fill = never ? CKP_SCHEMA_NEVER : NAN;
    hid_t sp = -1, dcpl = -1, dapl = -1, ds = -1;
    int bad = (sp = H5Screate_simple(rank, ext, mx)) < 0 ||
              (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_chunk(dcpl, rank, chk) < 0 ||
              H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill) < 0 ||
              (o->compress > 0 &&
               (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)o->compress) < 0)) ||
              /* Every write fills whole chunks, so HDF5's chunk cache (1 MiB per
               * dataset by default, i.e. tens of MiB over all metrics and policies)
               * would only hold memory: turn it off. */
              (dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
              H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0,
                                 H5D_CHUNK_CACHE_W0_DEFAULT) < 0 ||
              (ds = H5Dcreate2(g->id, mi->name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, dapl)) < 0;
    for (int r = 0; r < rank && !bad; r++)
        bad = H5DSattach_scale(ds, g->scale[dims[r]], (unsigned)r) < 0;
    if (!bad)
        bad = attrs_meta(o, ds, mi->units, mi->long_name) < 0 ||
              ckp_h5_attr_i32(ds, CKP_A_IS_INTEGER, mi->is_integer) < 0 ||
              (never && ckp_h5_attr_f64(ds, CKP_A_FILL_VALUE, fill) < 0);
    /* Take the error stack before the closes below clear it. */
    ckp_status st = bad ? ckp_h5_error(err, "%s: cannot create '%s/%s'", o->pub.target, policy,
                                       mi->name)
                        : CKP_OK;
    if (dapl >= 0)
        H5Pclose(dapl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (bad && ds >= 0) {
        H5Dclose(ds);
        ds = -1;
    }
    *out = ds;
    return st;
}

ckp_status ckp_writer_policy(ckp_output *o, hid_t pols, int k, ckp_error *err)
{
    const ckp_scenario *sc = o->sc;
    int p = ckp_plan_policy(o->plan, k);
    const char *name = ckp_plan_policy_name(o->plan, k);
    double cost = 0.0;
    int has_cost = ckp_plan_policy_cost(o->plan, k, &cost);
    ckp_grp *g = &o->pg[k];
    CKP_TRY(ckp_writer_group(o, pols, name, g, err));
    if (ckp_h5_attr_i32(g->id, CKP_A_POLICY_INDEX, p) < 0 ||
        ckp_h5_attr_str(g->id, CKP_A_DESCRIPTION, o->str,
                        sc->policy_descriptions[p] ? sc->policy_descriptions[p] : "") < 0 ||
        ckp_h5_attr_str(g->id, CKP_A_CHANGES, o->str,
                        sc->policy_diffs[p] ? sc->policy_diffs[p] : "") < 0 ||
        ckp_h5_attr_i32(g->id, CKP_A_HAS_COST, has_cost) < 0 ||
        ckp_h5_attr_f64(g->id, CKP_A_ANNUAL_COST, has_cost ? cost : 0.0) < 0)
        return ckp_h5_error(err, "%s: attributes of policy '%s'", o->pub.target, name);

    /* The path coordinate grows with the data. */
    hsize_t saved = o->dimlen[CKP_D_PATH];
    o->dimlen[CKP_D_PATH] = 0;
    ckp_status st =
        ckp_writer_scale(o, g, CKP_D_PATH, H5T_NATIVE_INT64, H5T_STD_I64LE, NULL, 1, err);
    o->dimlen[CKP_D_PATH] = saved;
    if (st != CKP_OK)
        return st;

    const ckp_metric_info *mt = ckp_metric_table();
    for (int j = 0; j < CKP_M_COUNT; j++) {
        ckp_dim dims[2];
        int n = ckp_schema_metric_dims(mt[j].dims, dims);
        for (int r = 0; r < n; r++)
            CKP_TRY(ensure_scale(o, g, dims[r], err));
        CKP_TRY(create_metric(o, g, name, &mt[j], &o->pp[k * CKP_M_COUNT + j], err));
    }
    return CKP_OK;
}
