/* chokepoint: the HDF5 results writer (layout: docs/output-format.md).
 *
 * Per-path records arrive through a sink batch by batch; they are buffered
 * until one chunk's worth of paths (at most CHUNK_PATHS) is there and then
 * written column by column, so each write fills whole chunks and memory is
 * bounded by one chunk of records per policy. With compression the writer
 * shuffles and deflates each chunk itself and stores it with H5Dwrite_chunk
 * (see put_chunk). At the end every per-path column is read back, one at a
 * time, into one path-length array where stats.h summarises it and sorts it in
 * place: that array is the only memory that grows with the number of paths.
 *
 * The file is written under a temporary name beside the target and renamed
 * onto it only once it is complete, closed and fsync'ed: whatever fails (bad
 * input, a full disk, a killed process) leaves the target as it was. */
#include "chokepoint/output.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5_hl.h>
#include <zlib.h>

#include "chokepoint/chokepoint.h"
#include "engine/run/run_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "output_h5.h"
#include "engine/sim/sim_impl.h"

/* Paths per chunk of a per-path dataset. A chunk of one column is then 32 KiB,
 * a good size for both deflate and column reads, and the write buffer holds
 * CHUNK_PATHS records per policy. */
#define CHUNK_PATHS 4096

/* Size of HDF5's metadata cache while writing (small_metadata_cache). */
#define MDC_BYTES ((size_t)256 << 10)

/* ---- helpers shared with the reader ----------------------------------------- */

void ckp_h5_quiet_begin(ckp_h5_quiet *q)
{
    /* A file whose close failed (its last flush met a full disk) is left
     * half-closed by HDF5 1.10, and HDF5's own clean-up at exit then crashes on
     * it. We always close what we open, so that clean-up has nothing to do:
     * opt out of it. This only takes effect before HDF5 initialises itself, i.e.
     * when chokepoint is the first to call HDF5 in the process, and fails
     * harmlessly otherwise. */
    H5dont_atexit();
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void ckp_h5_quiet_end(const ckp_h5_quiet *q)
{
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

typedef struct stack_text {
    int n;
    char top[400];
    char deep[700];
} stack_text;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *ctx)
{
    stack_text *s = ctx;
    const char *desc = e->desc ? e->desc : "";
    if (n == 0)
        snprintf(s->top, sizeof s->top, "%s: %s", e->func_name ? e->func_name : "?", desc);
    snprintf(s->deep, sizeof s->deep, "%s", desc);
    /* HDF5's I/O messages embed ctime() text, newline included. */
    for (char *c = s->deep; *c; c++)
        if (*c == '\n')
            *c = ' ';
    s->n++;
    return 0;
}

ckp_status ckp_h5_error(ckp_error *err, const char *fmt, ...)
{
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    stack_text s;
    memset(&s, 0, sizeof s);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, &s);
    H5Eclear2(H5E_DEFAULT);
    if (s.n == 0)
        return ckp_error_set(err, CKP_ERR_HDF5, NULL, 0, 0, NULL, "%s: HDF5 error", what);
    if (s.n == 1)
        return ckp_error_set(err, CKP_ERR_HDF5, NULL, 0, 0, NULL, "%s: HDF5: %s", what, s.top);
    return ckp_error_set(err, CKP_ERR_HDF5, NULL, 0, 0, NULL, "%s: HDF5: %s (%s)", what, s.top,
                         s.deep);
}

hid_t ckp_h5_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* ---- dimensions --------------------------------------------------------------- */

enum {
    D_PATH,
    D_SUPPLIER,
    D_REGIME,
    D_MATERIAL,
    D_INDUSTRY,
    D_MONTH,
    D_QUANTILE,
    D_STAT,
    D_BIN,
    D_POLICY,
    D_LEVEL,
    D_COUNT
};

static const char *const dim_name[D_COUNT] = {"path",     "supplier", "regime", "material",
                                              "industry", "month",    "quantile", "stat",
                                              "bin",      "policy",   "level"};

/* The statistics along the `stat` dimension of summary/<metric>. */
#define NSTAT 10
static const char *const stat_name[NSTAT] = {"count", "mean", "sd",     "se",    "min",
                                             "max",   "var95", "cvar95", "var99", "cvar99"};

/* A group being written and the coordinate scales created in it so far
 * (every group carries the coordinates its datasets use, so that opening any
 * one group with xarray gives labelled coordinates). */
typedef struct grp {
    hid_t id;
    hid_t scale[D_COUNT];
} grp;

struct ckp_output {
    const ckp_scenario *sc;
    ckp_h5_quiet quiet;
    int force, compress;
    char *target, *tmp;
    int tmp_exists;
    hid_t file, str;
    hid_t dxpl;              /* small conversion buffer for coordinate and summary writes */
    int next_dimid;
    int npol;
    int *policy;             /* run order, policy[0] == 0 */
    ckp_layout lay;
    uint64_t seed;
    ckp_pcg64 base;
    int antithetic;
    int64_t first_path, paths;
    hsize_t dimlen[D_COUNT];
    hsize_t chunk;
    grp *pg;                 /* npol policy groups (path scale created at open) */
    hid_t *pp;               /* npol * CKP_M_COUNT per-path datasets */
    double *buf;             /* npol * chunk * record, path-major */
    double *col;             /* chunk doubles */
    /* Direct chunk writes (compress > 0 on a little-endian host): the writer
     * applies HDF5's shuffle and deflate filters itself, with one zlib stream
     * reset per chunk. HDF5's own deflate filter calls compress2 for every
     * chunk, which allocates (and the kernel zeroes) ~270 KiB of zlib state
     * each time; that alone cost more than the deflating. The bytes stored
     * are those the filters would have produced. */
    int direct;
    z_stream z;
    unsigned char *zin, *zout; /* shuffled chunk; deflated chunk */
    size_t zcap;
    int64_t *pathcol;        /* chunk path indices */
    int64_t buffered, written;
    int failed;
    ckp_sink sink;
};

static void grp_init(grp *g)
{
    g->id = -1;
    for (int d = 0; d < D_COUNT; d++)
        g->scale[d] = -1;
}

static void grp_close(grp *g)
{
    for (int d = 0; d < D_COUNT; d++)
        if (g->scale[d] >= 0)
            H5Dclose(g->scale[d]);
    if (g->id >= 0)
        H5Gclose(g->id);
    grp_init(g);
}

/* ---- attributes ----------------------------------------------------------------- */

static herr_t attr_write(hid_t loc, const char *name, hid_t type, const void *v)
{
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        return -1;
    hid_t sp = H5Screate(H5S_SCALAR);
    if (sp < 0)
        return -1;
    hid_t a = H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, type, v);
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    H5Sclose(sp);
    return rc;
}

static herr_t attr_str(ckp_output *o, hid_t loc, const char *name, const char *v)
{
    const char *p = v ? v : "";
    return attr_write(loc, name, o->str, &p);
}

static herr_t attr_i32(hid_t loc, const char *name, int v)
{
    int32_t x = (int32_t)v;
    return attr_write(loc, name, H5T_NATIVE_INT32, &x);
}

static herr_t attr_u64(hid_t loc, const char *name, uint64_t v)
{
    return attr_write(loc, name, H5T_NATIVE_UINT64, &v);
}

static herr_t attr_i64(hid_t loc, const char *name, int64_t v)
{
    return attr_write(loc, name, H5T_NATIVE_INT64, &v);
}

static herr_t attr_f64(hid_t loc, const char *name, double v)
{
    return attr_write(loc, name, H5T_NATIVE_DOUBLE, &v);
}

static herr_t attrs_meta(ckp_output *o, hid_t d, const char *units, const char *long_name)
{
    if (units && strcmp(units, "currency") == 0)
        units = o->sc->currency;
    /* xarray turns units "days" (and hours, seconds, ...) into timedeltas; a
     * stock level is not a duration, so use the singular UDUNITS name. */
    if (units && strcmp(units, "days") == 0)
        units = "day";
    if (attr_str(o, d, "units", units ? units : "1") < 0)
        return -1;
    return attr_str(o, d, "long_name", long_name ? long_name : "");
}

/* ---- datasets ---------------------------------------------------------------------- */

/* Create and write a dataset in g with the given dimensions (D_ ids), attach
 * the group's scales for each and write units / long_name. `chunked` datasets
 * (along the path axis) get CHUNK_PATHS chunks and the compression option. */
static ckp_status put(ckp_output *o, grp *g, const char *name, hid_t memtype, hid_t filetype,
                      int rank, const int *dims, const void *data, int chunked, const char *units,
                      const char *long_name, ckp_error *err);

/* Create the coordinate scale for dimension d in g if not there yet. */
static ckp_status ensure_scale(ckp_output *o, grp *g, int d, ckp_error *err);

static ckp_status make_scale(ckp_output *o, grp *g, int d, hid_t memtype, hid_t filetype,
                             const void *data, int chunked, const char *units,
                             const char *long_name, ckp_error *err)
{
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
        (ds = H5Dcreate2(g->id, dim_name[d], filetype, sp, H5P_DEFAULT, dcpl, dapl)) < 0 ||
        (data && n > 0 && H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, o->dxpl, data) < 0) ||
        H5DSset_scale(ds, dim_name[d]) < 0 ||
        attr_write(ds, "_Netcdf4Dimid", H5T_NATIVE_INT32, &id) < 0 ||
        attrs_meta(o, ds, units, long_name) < 0) {
        st = ckp_h5_error(err, "%s: cannot write the coordinate '%s'", o->target, dim_name[d]);
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

static ckp_status names_scale(ckp_output *o, grp *g, int d, char *const *names, int n,
                              const char *long_name, ckp_error *err)
{
    (void)n;
    return make_scale(o, g, d, o->str, o->str, names, 0, "1", long_name, err);
}

static ckp_status ensure_scale(ckp_output *o, grp *g, int d, ckp_error *err)
{
    if (g->scale[d] >= 0)
        return CKP_OK;
    const ckp_scenario *sc = o->sc;
    ckp_status st = CKP_OK;
    switch (d) {
    case D_SUPPLIER:
        return names_scale(o, g, d, sc->suppliers, sc->S, "exporting economy", err);
    case D_REGIME:
        return names_scale(o, g, d, sc->regimes, sc->K, "export-control regime", err);
    case D_MATERIAL:
        return names_scale(o, g, d, sc->materials, sc->M, "material", err);
    case D_INDUSTRY:
        return names_scale(o, g, d, sc->industries, sc->I, "industry", err);
    case D_POLICY: {
        char **names = malloc((size_t)o->npol * sizeof *names);
        if (!names)
            return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        for (int k = 0; k < o->npol; k++)
            names[k] = sc->policy_names[o->policy[k]];
        st = names_scale(o, g, d, names, o->npol, "policy (run order, baseline first)", err);
        free(names);
        return st;
    }
    case D_STAT:
        return names_scale(o, g, d, (char *const *)(uintptr_t)stat_name, NSTAT,
                           "summary statistic over paths", err);
    case D_MONTH:
    case D_BIN: {
        int n = (int)o->dimlen[d];
        int32_t *v = malloc((size_t)n * sizeof *v);
        if (!v)
            return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        for (int i = 0; i < n; i++)
            v[i] = d == D_MONTH ? i + 1 : i;
        st = make_scale(o, g, d, H5T_NATIVE_INT32, H5T_STD_I32LE, v, 0,
                        d == D_MONTH ? "months" : "1",
                        d == D_MONTH ? "month of the horizon (1-based)" : "histogram bin index",
                        err);
        free(v);
        return st;
    }
    case D_QUANTILE:
        return make_scale(o, g, d, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, CKP_QUANTILE_PROBS, 0, "1",
                          "probability of the quantile", err);
    case D_PATH: {
        /* A fixed-size path coordinate (comparison groups), written in chunk blocks. */
        st = make_scale(o, g, d, H5T_NATIVE_INT64, H5T_STD_I64LE, NULL, 1, "1",
                        "global path index", err);
        if (st != CKP_OK)
            return st;
        hid_t fs = H5Dget_space(g->scale[d]);
        if (fs < 0)
            return ckp_h5_error(err, "%s: path coordinate", o->target);
        for (int64_t s = 0; s < o->paths && st == CKP_OK; s += (int64_t)o->chunk) {
            hsize_t start = (hsize_t)s, cnt = (hsize_t)(o->paths - s < (int64_t)o->chunk
                                                            ? o->paths - s
                                                            : (int64_t)o->chunk);
            for (hsize_t i = 0; i < cnt; i++)
                o->pathcol[i] = o->first_path + s + (int64_t)i;
            hid_t ms = H5Screate_simple(1, &cnt, NULL);
            if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
                H5Dwrite(g->scale[d], H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, o->pathcol) < 0)
                st = ckp_h5_error(err, "%s: path coordinate", o->target);
            if (ms >= 0)
                H5Sclose(ms);
        }
        H5Sclose(fs);
        return st;
    }
    default:
        return ckp_error_set(err, CKP_ERR_INTERNAL, NULL, 0, 0, NULL,
                             "output: no default coordinate for '%s'", dim_name[d]);
    }
}

static ckp_status put(ckp_output *o, grp *g, const char *name, hid_t memtype, hid_t filetype,
                      int rank, const int *dims, const void *data, int chunked, const char *units,
                      const char *long_name, ckp_error *err)
{
    ckp_status st = CKP_OK;
    hsize_t ext[8], chk[8];
    hid_t sp = -1, dcpl = -1, ds = -1;
    for (int r = 0; r < rank; r++) {
        if ((st = ensure_scale(o, g, dims[r], err)) != CKP_OK)
            return st;
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
    if ((ds = H5Dcreate2(g->id, name, filetype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0 ||
        H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, o->dxpl, data) < 0)
        goto fail;
    for (int r = 0; r < rank; r++)
        if (H5DSattach_scale(ds, g->scale[dims[r]], (unsigned)r) < 0)
            goto fail;
    if (attrs_meta(o, ds, units, long_name) < 0)
        goto fail;
    goto done;
fail:
    st = ckp_h5_error(err, "%s: cannot write dataset '%s'", o->target, name);
done:
    if (ds >= 0 && H5Dclose(ds) < 0 && st == CKP_OK)
        st = ckp_h5_error(err, "%s: closing dataset '%s'", o->target, name);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    return st;
}

static ckp_status sub_group(ckp_output *o, hid_t parent, const char *name, grp *g,
                            ckp_error *err)
{
    grp_init(g);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl < 0 ||
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        (g->id = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        if (gcpl >= 0)
            H5Pclose(gcpl);
        return ckp_h5_error(err, "%s: cannot create group '%s'", o->target, name);
    }
    H5Pclose(gcpl);
    return CKP_OK;
}

/* Dimensions of a metric's per-record block. */
static int metric_dims(ckp_dimset ds, int *dims)
{
    switch (ds) {
    case CKP_DIMS_INDUSTRY:
        dims[0] = D_INDUSTRY;
        return 1;
    case CKP_DIMS_MATERIAL:
        dims[0] = D_MATERIAL;
        return 1;
    case CKP_DIMS_SUPPLIER_REGIME:
        dims[0] = D_SUPPLIER;
        dims[1] = D_REGIME;
        return 2;
    default:
        return 0;
    }
}

/* ---- open ------------------------------------------------------------------------ */

void ckp_output_options_default(ckp_output_options *o)
{
    o->force = 0;
    o->compress = CKP_OUTPUT_DEFAULT_COMPRESS;
    o->command_line = NULL;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
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
            grp_close(&o->pg[k]);
    if (o->file >= 0 && H5Fclose(o->file) < 0)
        H5Eclear2(H5E_DEFAULT); /* the file is being discarded; see ckp_h5_quiet_begin */
    if (o->str >= 0)
        H5Tclose(o->str);
    if (o->dxpl >= 0)
        H5Pclose(o->dxpl);
    if (o->tmp_exists)
        unlink(o->tmp);
    ckp_h5_quiet_end(&o->quiet);
    if (o->direct)
        deflateEnd(&o->z);
    free(o->pp);
    free(o->pg);
    free(o->buf);
    free(o->col);
    free(o->zin);
    free(o->zout);
    free(o->pathcol);
    free(o->policy);
    free(o->target);
    free(o->tmp);
    free(o);
}

static ckp_status write_batch(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                              int npol, const double *const *records, ckp_error *err);

static ckp_status create_root(ckp_output *o, const ckp_run_options *ro, const char *cmdline,
                              ckp_error *err)
{
    const ckp_scenario *sc = o->sc;
    hid_t f = o->file;
    char *yaml = NULL;
    ckp_status st = ckp_scenario_to_yaml(sc, &yaml, err);
    if (st != CKP_OK)
        return st;
    char when[32];
    time_t now = time(NULL);
    struct tm tmv;
    if (!gmtime_r(&now, &tmv) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        snprintf(when, sizeof when, "unknown");
    (void)ro;
    if (attr_i32(f, "schema_version", CKP_OUTPUT_SCHEMA_VERSION) < 0 ||
        attr_str(o, f, "engine_version", ckp_version()) < 0 ||
        attr_u64(f, "seed", o->seed) < 0 || attr_u64(f, "state_hi", o->base.state.hi) < 0 ||
        attr_u64(f, "state_lo", o->base.state.lo) < 0 ||
        attr_u64(f, "inc_hi", o->base.inc.hi) < 0 || attr_u64(f, "inc_lo", o->base.inc.lo) < 0 ||
        attr_i64(f, "first_path", o->first_path) < 0 || attr_i64(f, "paths", o->paths) < 0 ||
        attr_i32(f, "horizon_months", sc->T) < 0 || attr_i32(f, "antithetic", o->antithetic) < 0 ||
        attr_str(o, f, "scenario_name", sc->name) < 0 ||
        attr_str(o, f, "currency", sc->currency) < 0 ||
        attr_str(o, f, "importer", sc->importer) < 0 ||
        attr_str(o, f, "scenario_resolved", yaml) < 0 ||
        attr_str(o, f, "scenario_source", sc->source_text) < 0 ||
        attr_str(o, f, "command_line", cmdline) < 0 || attr_str(o, f, "created_utc", when) < 0 ||
        attr_i32(f, "complete", 0) < 0) {
        free(yaml);
        return ckp_h5_error(err, "%s: cannot write the root attributes", o->target);
    }
    free(yaml);
    grp root;
    grp_init(&root);
    root.id = f;
    int dl[] = {D_SUPPLIER, D_REGIME, D_MATERIAL, D_INDUSTRY, D_MONTH, D_QUANTILE, D_POLICY};
    for (size_t i = 0; i < sizeof dl / sizeof dl[0] && st == CKP_OK; i++)
        st = ensure_scale(o, &root, dl[i], err);
    root.id = -1; /* the file id is not ours to close here */
    grp_close(&root);
    return st;
}

static ckp_status create_policy(ckp_output *o, hid_t pols, int k, ckp_error *err)
{
    const ckp_scenario *sc = o->sc;
    int p = o->policy[k];
    const ckp_model *m = &sc->models[p];
    grp *g = &o->pg[k];
    ckp_status st = sub_group(o, pols, sc->policy_names[p], g, err);
    if (st != CKP_OK)
        return st;
    if (attr_i32(g->id, "policy_index", p) < 0 ||
        attr_str(o, g->id, "description",
                 sc->policy_descriptions[p] ? sc->policy_descriptions[p] : "") < 0 ||
        attr_str(o, g->id, "changes", sc->policy_diffs[p] ? sc->policy_diffs[p] : "") < 0 ||
        attr_i32(g->id, "has_cost", m->has_cost) < 0 ||
        attr_f64(g->id, "annual_cost", m->has_cost ? m->annual_cost : 0.0) < 0)
        return ckp_h5_error(err, "%s: attributes of policy '%s'", o->target, sc->policy_names[p]);

    /* The path coordinate grows with the data. */
    hsize_t saved = o->dimlen[D_PATH];
    o->dimlen[D_PATH] = 0;
    st = make_scale(o, g, D_PATH, H5T_NATIVE_INT64, H5T_STD_I64LE, NULL, 1, "1",
                    "global path index", err);
    o->dimlen[D_PATH] = saved;
    if (st != CKP_OK)
        return st;

    const ckp_metric_info *mt = ckp_metric_table();
    for (int j = 0; j < CKP_M_COUNT; j++) {
        int dims[3] = {D_PATH, 0, 0};
        int rank = 1 + metric_dims(mt[j].dims, dims + 1);
        hsize_t ext[3], mx[3], chk[3];
        for (int r = 0; r < rank; r++) {
            if (r > 0 && (st = ensure_scale(o, g, dims[r], err)) != CKP_OK)
                return st;
            ext[r] = r == 0 ? 0 : o->dimlen[dims[r]];
            mx[r] = r == 0 ? H5S_UNLIMITED : ext[r];
            chk[r] = r == 0 ? o->chunk : 1;
        }
        double nan = NAN;
        hid_t sp = -1, dcpl = -1, dapl = -1, ds = -1;
        int bad = (sp = H5Screate_simple(rank, ext, mx)) < 0 ||
                  (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
                  H5Pset_chunk(dcpl, rank, chk) < 0 ||
                  H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan) < 0 ||
                  (o->compress > 0 && (H5Pset_shuffle(dcpl) < 0 ||
                                       H5Pset_deflate(dcpl, (unsigned)o->compress) < 0)) ||
                  /* Every write fills whole chunks, so HDF5's chunk cache (1 MiB per
                   * dataset by default, i.e. tens of MiB over all metrics and policies)
                   * would only hold memory: turn it off. */
                  (dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
                  H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0,
                                     H5D_CHUNK_CACHE_W0_DEFAULT) < 0 ||
                  (ds = H5Dcreate2(g->id, mt[j].name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl,
                                   dapl)) < 0;
        for (int r = 0; r < rank && !bad; r++)
            bad = H5DSattach_scale(ds, g->scale[dims[r]], (unsigned)r) < 0;
        if (!bad)
            bad = attrs_meta(o, ds, mt[j].units, mt[j].long_name) < 0 ||
                  attr_i32(ds, "is_integer", mt[j].is_integer) < 0;
        /* Take the error stack before the closes below clear it. */
        if (bad)
            st = ckp_h5_error(err, "%s: cannot create '%s/%s'", o->target, sc->policy_names[p],
                              mt[j].name);
        if (dapl >= 0)
            H5Pclose(dapl);
        if (dcpl >= 0)
            H5Pclose(dcpl);
        if (sp >= 0)
            H5Sclose(sp);
        o->pp[k * CKP_M_COUNT + j] = ds;
        if (bad)
            return st;
    }
    return CKP_OK;
}

/* HDF5's metadata cache starts at 2 MiB (and may grow to 32 MiB), counted in
 * on-disk bytes; the chunk-index B-tree nodes it holds take several times
 * that in memory. Every chunk written adds index nodes, so the cache filled
 * as the paths grew and with it the writer's memory: most of the growth of
 * peak RSS from 10^4 to 10^6 paths (measured: docs/output-format.md). A fixed
 * small cache holds what a chunk write touches (each dataset's index root and
 * the leaf being appended to); measured, it costs no time. */
static herr_t small_metadata_cache(hid_t fapl)
{
    H5AC_cache_config_t c;
    memset(&c, 0, sizeof c);
    c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Pget_mdc_config(fapl, &c) < 0)
        return -1;
    c.set_initial_size = 1;
    c.initial_size = c.min_size = c.max_size = (size_t)MDC_BYTES;
    c.incr_mode = H5C_incr__off;
    c.flash_incr_mode = H5C_flash_incr__off;
    c.decr_mode = H5C_decr__off;
    return H5Pset_mdc_config(fapl, &c);
}

ckp_status ckp_output_open(const char *path, const ckp_scenario *sc, const ckp_run_options *ro,
                           const ckp_output_options *oo, ckp_output **out, ckp_error *err)
{
    *out = NULL;
    ckp_output_options defaults;
    if (!oo) {
        ckp_output_options_default(&defaults);
        oo = &defaults;
    }
    if (!path || !path[0])
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "no output file given");
    if (oo->compress < 0 || oo->compress > 9)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "compression level must be 0..9, got %d", oo->compress);
    if (ro->paths < 1 || ro->first_path < 0)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL,
                             "output: the run needs at least one path (got %lld from %lld)",
                             (long long)ro->paths, (long long)ro->first_path);
    struct stat stt;
    if (stat(path, &stt) == 0) {
        if (S_ISDIR(stt.st_mode))
            return ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "%s: is a directory", path);
        if (!oo->force)
            return ckp_error_set(err, CKP_ERR_EXISTS, NULL, 0, 0, NULL,
                                 "%s: exists; use --force to replace it", path);
    }
    for (int p = 0; p < sc->npolicies; p++)
        if (bad_group_name(sc->policy_names[p]))
            return ckp_error_set(err, CKP_ERR_CONFIG, NULL, 0, 0, NULL,
                                 "policy name '%s' cannot name an HDF5 group", sc->policy_names[p]);

    ckp_output *o = calloc(1, sizeof *o);
    if (!o)
        return ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
    ckp_h5_quiet_begin(&o->quiet);
    o->file = o->str = o->dxpl = -1;
    o->sc = sc;
    o->force = oo->force;
    o->compress = oo->compress;
    o->seed = ro->seed;
    ckp_pcg64_from_seed(&o->base, ro->seed);
    o->antithetic = ro->antithetic;
    o->first_path = ro->first_path;
    o->paths = ro->paths;
    ckp_layout_init(&o->lay, &sc->models[0]);
    ckp_status st = CKP_OK;

    /* The run order of policies, as ckp_run builds it: the baseline first, then
     * the requested ones (all of them when none are named). finish() checks it. */
    int np = ro->npolicies > 0 ? ro->npolicies : sc->npolicies;
    o->policy = malloc((size_t)(np + 1) * sizeof *o->policy);
    if (!o->policy)
        goto nomem;
    o->policy[o->npol++] = 0;
    for (int i = 0; i < np; i++) {
        int p = ro->npolicies > 0 ? ro->policies[i] : i;
        if (p < 0 || p >= sc->npolicies) {
            st = ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "no policy with index %d",
                               p);
            goto fail;
        }
        int dup = 0;
        for (int q = 0; q < o->npol; q++)
            dup |= o->policy[q] == p;
        if (!dup)
            o->policy[o->npol++] = p;
    }

    o->dimlen[D_PATH] = (hsize_t)o->paths;
    o->dimlen[D_SUPPLIER] = (hsize_t)sc->S;
    o->dimlen[D_REGIME] = (hsize_t)sc->K;
    o->dimlen[D_MATERIAL] = (hsize_t)sc->M;
    o->dimlen[D_INDUSTRY] = (hsize_t)sc->I;
    o->dimlen[D_MONTH] = (hsize_t)sc->T;
    o->dimlen[D_QUANTILE] = CKP_NQUANTILES;
    o->dimlen[D_STAT] = NSTAT;
    o->dimlen[D_BIN] = CKP_HIST_BINS;
    o->dimlen[D_POLICY] = (hsize_t)o->npol;
    o->dimlen[D_LEVEL] = CKP_EXCEEDANCE_LEVELS;
    o->chunk = o->paths < CHUNK_PATHS ? (hsize_t)o->paths : CHUNK_PATHS;

    o->pg = malloc((size_t)o->npol * sizeof *o->pg);
    o->pp = malloc((size_t)o->npol * CKP_M_COUNT * sizeof *o->pp);
    o->buf = malloc((size_t)o->npol * o->chunk * o->lay.record * sizeof *o->buf);
    o->col = malloc(o->chunk * sizeof *o->col);
    o->pathcol = malloc(o->chunk * sizeof *o->pathcol);
    o->target = dup_str(path);
    if (!o->pg || !o->pp || !o->buf || !o->col || !o->pathcol || !o->target)
        goto nomem;
    for (int k = 0; k < o->npol; k++)
        grp_init(&o->pg[k]);
    for (int i = 0; i < o->npol * CKP_M_COUNT; i++)
        o->pp[i] = -1;

    /* The temporary file: ".NAME.tmp-XXXXXX" in the target's directory, so the
     * final rename stays within one file system and is atomic. */
    {
        const char *slash = strrchr(path, '/');
        size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
        const char *base = slash ? slash + 1 : path;
        size_t n = dirlen + strlen(base) + 16;
        o->tmp = malloc(n);
        if (!o->tmp)
            goto nomem;
        snprintf(o->tmp, n, "%.*s.%s.tmp-XXXXXX", (int)dirlen, path, base);
        int fd = mkstemp(o->tmp);
        if (fd < 0) {
            st = ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL,
                               "%s: cannot create a temporary file beside it: %s", path,
                               strerror(errno));
            goto fail;
        }
        o->tmp_exists = 1;
        /* mkstemp makes the file private (0600); results are meant to be shared. */
        int bad = fchmod(fd, 0644) != 0;
        close(fd);
        if (bad) {
            st = ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "%s: %s", o->tmp,
                               strerror(errno));
            goto fail;
        }
    }

    {
        hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
        if (fcpl < 0 || fapl < 0 || small_metadata_cache(fapl) < 0 ||
            H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
            H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
            (o->file = H5Fcreate(o->tmp, H5F_ACC_TRUNC, fcpl, fapl)) < 0) {
            if (fcpl >= 0)
                H5Pclose(fcpl);
            if (fapl >= 0)
                H5Pclose(fapl);
            st = ckp_h5_error(err, "%s: cannot create the file", o->tmp);
            goto fail;
        }
        H5Pclose(fcpl);
        H5Pclose(fapl);
    }
    if ((o->str = ckp_h5_str_type()) < 0) {
        st = ckp_h5_error(err, "string type");
        goto fail;
    }
    /* A write that converts (variable-length strings) gets a conversion buffer
     * of the transfer's size, by default 1 MiB, zeroed on every H5Dwrite: with
     * a few hundred coordinate writes that alone cost more than a small run.
     * 64 KiB holds thousands of elements of any type written here. */
    if ((o->dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
        H5Pset_buffer(o->dxpl, (size_t)64 << 10, NULL, NULL) < 0) {
        st = ckp_h5_error(err, "transfer properties");
        goto fail;
    }
    if ((st = create_root(o, ro, oo->command_line, err)) != CKP_OK)
        goto fail;
    {
        grp pols;
        if ((st = sub_group(o, o->file, "policies", &pols, err)) != CKP_OK)
            goto fail;
        for (int k = 0; k < o->npol && st == CKP_OK; k++)
            st = create_policy(o, pols.id, k, err);
        grp_close(&pols);
        if (st != CKP_OK)
            goto fail;
    }
    if (o->compress > 0 && H5Tequal(H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) > 0) {
        size_t bytes = (size_t)o->chunk * sizeof(double);
        o->zcap = deflateBound(NULL, (uLong)bytes);
        o->zin = malloc(bytes);
        o->zout = malloc(o->zcap);
        if (!o->zin || !o->zout)
            goto nomem;
        memset(&o->z, 0, sizeof o->z);
        /* compress2's parameters: zlib format, 32 KiB window, memLevel 8. */
        if (deflateInit(&o->z, o->compress) != Z_OK) {
            st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL,
                               "cannot start the deflate stream");
            goto fail;
        }
        o->direct = 1;
    }
    /* Make the skeleton reach the disk early, so a full disk shows at once. */
    if (H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0) {
        st = ckp_h5_error(err, "%s: cannot write", o->tmp);
        goto fail;
    }
    o->sink.ctx = o;
    o->sink.write_batch = write_batch;
    *out = o;
    return CKP_OK;
nomem:
    st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
fail:
    free_writer(o);
    return st;
}

const ckp_sink *ckp_output_sink(ckp_output *o)
{
    return &o->sink;
}

/* ---- streaming ------------------------------------------------------------------- */

/* Store o->col (n values, n <= chunk) as the whole chunk at `offset`, as the
 * shuffle and deflate filters would: the part past n is the fill value (NaN),
 * as HDF5 pads a partial edge chunk; the shuffle regroups the bytes of the
 * doubles by significance (byte b of element i goes to b * chunk + i) and is
 * skipped for a one-element chunk, as the filter skips it. */
static int put_chunk(ckp_output *o, hid_t ds, const hsize_t *offset, int64_t n)
{
    size_t m = (size_t)o->chunk;
    for (size_t i = (size_t)n; i < m; i++)
        o->col[i] = NAN;
    const unsigned char *src = (const unsigned char *)o->col;
    if (m > 1) {
        for (size_t b = 0; b < sizeof(double); b++) {
            unsigned char *dst = o->zin + b * m;
            for (size_t i = 0; i < m; i++)
                dst[i] = src[i * sizeof(double) + b];
        }
        src = o->zin;
    }
    if (deflateReset(&o->z) != Z_OK)
        return -1;
    o->z.next_in = (Bytef *)(uintptr_t)src;
    o->z.avail_in = (uInt)(m * sizeof(double));
    o->z.next_out = o->zout;
    o->z.avail_out = (uInt)o->zcap;
    if (deflate(&o->z, Z_FINISH) != Z_STREAM_END)
        return -1;
    return H5Dwrite_chunk(ds, H5P_DEFAULT, 0, offset, (size_t)o->z.total_out, o->zout) < 0 ? -1
                                                                                           : 0;
}

/* Write the buffered records (o->buffered paths) column by column. */
static ckp_status flush(ckp_output *o, ckp_error *err)
{
    int64_t n = o->buffered;
    if (n == 0)
        return CKP_OK;
    const ckp_metric_info *mt = ckp_metric_table();
    size_t rec = o->lay.record;
    hsize_t total = (hsize_t)(o->written + n);
    for (int64_t i = 0; i < n; i++)
        o->pathcol[i] = o->first_path + o->written + i;
    for (int k = 0; k < o->npol; k++) {
        const double *b = o->buf + (size_t)k * o->chunk * rec;
        hid_t ps = o->pg[k].scale[D_PATH];
        hsize_t start = (hsize_t)o->written, cnt = (hsize_t)n;
        hid_t fs = -1, ms = -1;
        int bad = H5Dset_extent(ps, &total) < 0 || (fs = H5Dget_space(ps)) < 0 ||
                  (ms = H5Screate_simple(1, &cnt, NULL)) < 0 ||
                  H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
                  H5Dwrite(ps, H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, o->pathcol) < 0;
        if (!bad)
            H5Sclose(fs);
        fs = -1;
        for (int j = 0; j < CKP_M_COUNT && !bad; j++) {
            hid_t ds = o->pp[k * CKP_M_COUNT + j];
            int dims[3] = {D_PATH, 0, 0};
            int rank = 1 + metric_dims(mt[j].dims, dims + 1);
            hsize_t ext[3];
            ext[0] = total;
            for (int r = 1; r < rank; r++)
                ext[r] = o->dimlen[dims[r]];
            if (H5Dset_extent(ds, ext) < 0 || (fs = H5Dget_space(ds)) < 0) {
                bad = 1;
                break;
            }
            size_t off = o->lay.offset[j], len = o->lay.length[j];
            for (size_t c = 0; c < len && !bad; c++) {
                for (int64_t i = 0; i < n; i++)
                    o->col[i] = b[(size_t)i * rec + off + c];
                hsize_t st3[3] = {(hsize_t)o->written, 0, 0}, ct3[3] = {(hsize_t)n, 1, 1};
                if (rank == 2)
                    st3[1] = c;
                else if (rank == 3) {
                    st3[1] = c / o->dimlen[D_REGIME];
                    st3[2] = c % o->dimlen[D_REGIME];
                }
                if (o->direct)
                    bad = put_chunk(o, ds, st3, n) < 0;
                else
                    bad = H5Sselect_hyperslab(fs, H5S_SELECT_SET, st3, NULL, ct3, NULL) < 0 ||
                          H5Dwrite(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, o->col) < 0;
            }
            if (!bad) {
                H5Sclose(fs);
                fs = -1;
            }
        }
        ckp_status st = CKP_OK;
        /* The error stack first: any successful call (the closes) clears it. */
        if (bad)
            st = ckp_h5_error(err, "%s: cannot write the paths %lld..%lld", o->target,
                              (long long)(o->first_path + o->written),
                              (long long)(o->first_path + o->written + n - 1));
        if (fs >= 0)
            H5Sclose(fs);
        if (ms >= 0)
            H5Sclose(ms);
        if (bad)
            return st;
    }
    o->written += n;
    o->buffered = 0;
    return CKP_OK;
}

static ckp_status write_batch(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                              int npol, const double *const *records, ckp_error *err)
{
    ckp_output *o = ctx;
    if (o->failed)
        return ckp_error_set(err, CKP_ERR_INTERNAL, NULL, 0, 0, NULL,
                             "output: write after an earlier failure");
    if (npol != o->npol || lay->record != o->lay.record ||
        first_path != o->first_path + o->written + o->buffered || n < 0 ||
        o->written + o->buffered + n > o->paths) {
        o->failed = 1;
        return ckp_error_set(err, CKP_ERR_INTERNAL, NULL, 0, 0, NULL,
                             "output: unexpected batch (paths %lld+%lld, %d policies)",
                             (long long)first_path, (long long)n, npol);
    }
    size_t rec = o->lay.record;
    int64_t done = 0;
    while (done < n) {
        int64_t room = (int64_t)o->chunk - o->buffered;
        int64_t take = n - done < room ? n - done : room;
        for (int k = 0; k < o->npol; k++)
            memcpy(o->buf + ((size_t)k * o->chunk + (size_t)o->buffered) * rec,
                   records[k] + (size_t)done * rec, (size_t)take * rec * sizeof(double));
        o->buffered += take;
        done += take;
        if (o->buffered == (int64_t)o->chunk) {
            ckp_status st = flush(o, err);
            if (st != CKP_OK) {
                o->failed = 1;
                return st;
            }
        }
    }
    return CKP_OK;
}

/* ---- finish ------------------------------------------------------------------------ */

/* Read paths [first, first + n) of column c of per-path dataset ds into x. */
static ckp_status read_rows(ckp_output *o, hid_t ds, int rank, size_t c, int64_t first,
                            int64_t count, double *x, ckp_error *err)
{
    hsize_t st3[3] = {(hsize_t)first, 0, 0}, ct3[3] = {(hsize_t)count, 1, 1};
    if (rank == 2)
        st3[1] = c;
    else if (rank == 3) {
        st3[1] = c / o->dimlen[D_REGIME];
        st3[2] = c % o->dimlen[D_REGIME];
    }
    hsize_t n = (hsize_t)count;
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &n, NULL);
    int bad = fs < 0 || ms < 0 ||
              H5Sselect_hyperslab(fs, H5S_SELECT_SET, st3, NULL, ct3, NULL) < 0 ||
              H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, x) < 0;
    ckp_status st = bad ? ckp_h5_error(err, "%s: cannot read back a per-path column", o->target)
                        : CKP_OK;
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    return st;
}

/* Read column c of per-path dataset ds (all paths) into x. */
static ckp_status read_column(ckp_output *o, hid_t ds, int rank, size_t c, double *x,
                              ckp_error *err)
{
    return read_rows(o, ds, rank, c, 0, o->paths, x, err);
}

static void summary_row(const ckp_summary *s, double *st, double *q)
{
    double v[NSTAT] = {s->count, s->mean, s->sd,     s->se,    s->min,
                       s->max,   s->var95, s->cvar95, s->var99, s->cvar99};
    memcpy(st, v, sizeof v);
    memcpy(q, s->q, sizeof s->q);
}

/* summary/, quantiles/ and exceedance/ of policy k. x holds paths doubles: each
 * column is read into it and sorted there (the summary needs no other copy). */
static ckp_status write_summaries(ckp_output *o, int k, double *x, ckp_error *err)
{
    const ckp_metric_info *mt = ckp_metric_table();
    grp gs, gq, ge;
    grp_init(&gs);
    grp_init(&gq);
    grp_init(&ge);
    double *st = NULL, *q = NULL;
    ckp_status s = CKP_OK;
    if ((s = sub_group(o, o->pg[k].id, "summary", &gs, err)) != CKP_OK ||
        (s = sub_group(o, o->pg[k].id, "quantiles", &gq, err)) != CKP_OK ||
        (s = sub_group(o, o->pg[k].id, "exceedance", &ge, err)) != CKP_OK)
        goto done;
    size_t maxlen = 1;
    for (int j = 0; j < CKP_M_COUNT; j++)
        if (o->lay.length[j] > maxlen)
            maxlen = o->lay.length[j];
    st = malloc(maxlen * NSTAT * sizeof *st);
    q = malloc(maxlen * CKP_NQUANTILES * sizeof *q);
    if (!st || !q) {
        s = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto done;
    }
    for (int j = 0; j < CKP_M_COUNT; j++) {
        int dims[4] = {0, 0, 0, 0};
        int rank = metric_dims(mt[j].dims, dims);
        hid_t ds = o->pp[k * CKP_M_COUNT + j];
        for (size_t c = 0; c < o->lay.length[j]; c++) {
            ckp_summary sm;
            double lev[CKP_EXCEEDANCE_LEVELS], prob[CKP_EXCEEDANCE_LEVELS];
            if ((s = read_column(o, ds, rank + 1, c, x, err)) != CKP_OK)
                goto done;
            /* The curve before the summary sorts x (it is taken in path order, as
             * it always was; a non-finite value fails the summary below). */
            if (j == CKP_M_LOSS_TOTAL)
                ckp_exceedance(x, (size_t)o->paths, lev, prob);
            if ((s = ckp_summary_compute_inplace(x, (size_t)o->paths, o->antithetic, &sm,
                                                 err)) != CKP_OK)
                goto done;
            summary_row(&sm, st + c * NSTAT, q + c * CKP_NQUANTILES);
            if (j == CKP_M_LOSS_TOTAL) {
                int dl = D_LEVEL;
                if ((s = make_scale(o, &ge, D_LEVEL, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, lev, 0,
                                    "currency", "loss level (k * max / 100)", err)) != CKP_OK ||
                    (s = put(o, &ge, "prob", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &dl, prob, 0,
                             "1", "P(loss_total > level)", err)) != CKP_OK)
                    goto done;
            }
        }
        dims[rank] = D_STAT;
        if ((s = put(o, &gs, mt[j].name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rank + 1, dims, st, 0,
                     mt[j].units, mt[j].long_name, err)) != CKP_OK)
            goto done;
        dims[rank] = D_QUANTILE;
        if ((s = put(o, &gq, mt[j].name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rank + 1, dims, q, 0,
                     mt[j].units, mt[j].long_name, err)) != CKP_OK)
            goto done;
    }
done:
    free(st);
    free(q);
    grp_close(&gs);
    grp_close(&gq);
    grp_close(&ge);
    return s;
}

/* month/ of policy k: means, histograms, bin edges and fan-chart bands. */
static ckp_status write_month(ckp_output *o, int k, const ckp_run_result *r, ckp_error *err)
{
    static const struct {
        const char *name, *units, *long_name;
        int dim;
    } kinds[4] = {
        {"shortfall", "1", "physical shortfall x (fraction of monthly baseline demand)",
         D_MATERIAL},
        {"inoperability", "1", "inoperability q after propagation", D_INDUSTRY},
        {"price", "1", "price multiple pi (of the baseline price)", D_MATERIAL},
        {"stock_days", "day", "stockpile after the month L (days of baseline demand)",
         D_MATERIAL},
    };
    const ckp_layout *lay = &r->lay;
    size_t obs = lay->obs_per_month, T = (size_t)lay->T;
    size_t offs[4] = {lay->obs_x, lay->obs_q, lay->obs_pi, lay->obs_L};
    grp g;
    ckp_status s = sub_group(o, o->pg[k].id, "month", &g, err);
    double *mean = NULL, *band = NULL, *edges = NULL;
    uint64_t *hist = NULL;
    if (s != CKP_OK)
        goto done;
    size_t maxn = (size_t)(lay->M > lay->I ? lay->M : lay->I);
    mean = malloc(T * maxn * sizeof *mean);
    band = malloc(T * maxn * CKP_NQUANTILES * sizeof *band);
    edges = malloc(maxn * CKP_HIST_BINS * sizeof *edges);
    hist = malloc(T * maxn * CKP_HIST_BINS * sizeof *hist);
    if (!mean || !band || !edges || !hist) {
        s = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto done;
    }
    for (int kind = 0; kind < 4; kind++) {
        size_t n = o->dimlen[kinds[kind].dim];
        for (size_t e = 0; e < n; e++) {
            size_t ob = offs[kind] + e;
            const double *up = r->hist_upper + ((size_t)k * obs + ob) * CKP_HIST_BINS;
            memcpy(edges + e * CKP_HIST_BINS, up, CKP_HIST_BINS * sizeof *edges);
            for (size_t t = 0; t < T; t++) {
                size_t idx = ((size_t)k * T + t) * obs + ob;
                mean[t * n + e] = r->month_mean[idx];
                const uint64_t *h = r->hist + idx * CKP_HIST_BINS;
                memcpy(hist + (t * n + e) * CKP_HIST_BINS, h, CKP_HIST_BINS * sizeof *hist);
                for (int qi = 0; qi < CKP_NQUANTILES; qi++)
                    band[(t * n + e) * CKP_NQUANTILES + (size_t)qi] =
                        ckp_hist_quantile(h, up, CKP_QUANTILE_PROBS[qi]);
            }
        }
        char name[64], ln[256];
        int d2[2] = {D_MONTH, kinds[kind].dim};
        int d3h[3] = {D_MONTH, kinds[kind].dim, D_BIN};
        int d3q[3] = {D_MONTH, kinds[kind].dim, D_QUANTILE};
        int de[2] = {kinds[kind].dim, D_BIN};
        snprintf(name, sizeof name, "%s_mean", kinds[kind].name);
        snprintf(ln, sizeof ln, "mean over paths of the %s", kinds[kind].long_name);
        if ((s = put(o, &g, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, d2, mean, 0,
                     kinds[kind].units, ln, err)) != CKP_OK)
            goto done;
        snprintf(name, sizeof name, "%s_hist", kinds[kind].name);
        snprintf(ln, sizeof ln, "paths per histogram bin of the %s", kinds[kind].long_name);
        if ((s = put(o, &g, name, H5T_NATIVE_UINT64, H5T_STD_U64LE, 3, d3h, hist, 0, "1", ln,
                     err)) != CKP_OK)
            goto done;
        snprintf(name, sizeof name, "%s_hist_upper", kinds[kind].name);
        snprintf(ln, sizeof ln, "upper edge of each histogram bin of the %s",
                 kinds[kind].long_name);
        if ((s = put(o, &g, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, de, edges, 0,
                     kinds[kind].units, ln, err)) != CKP_OK)
            goto done;
        snprintf(name, sizeof name, "%s_band", kinds[kind].name);
        snprintf(ln, sizeof ln, "fan-chart quantile (from the histogram) of the %s",
                 kinds[kind].long_name);
        if ((s = put(o, &g, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 3, d3q, band, 0,
                     kinds[kind].units, ln, err)) != CKP_OK)
            goto done;
    }
done:
    free(mean);
    free(band);
    free(edges);
    free(hist);
    grp_close(&g);
    return s;
}

/* comparison/ of policy k against the baseline (k > 0). x holds paths doubles:
 * the baseline's loss_total is read into it and the policy's subtracted chunk
 * by chunk (through o->col), which leaves the per-path benefits, in path
 * order, in the one array; they are stored and then sorted there. Both loss
 * columns were checked finite by their summaries. */
static ckp_status write_comparison(ckp_output *o, int k, double *x, ckp_error *err)
{
    const ckp_model *m = &o->sc->models[o->policy[k]];
    grp g;
    ckp_status s = sub_group(o, o->pg[k].id, "comparison", &g, err);
    if (s != CKP_OK)
        goto done;
    if ((s = read_column(o, o->pp[0 * CKP_M_COUNT + CKP_M_LOSS_TOTAL], 1, 0, x, err)) != CKP_OK)
        goto done;
    for (int64_t i0 = 0; i0 < o->paths; i0 += (int64_t)o->chunk) {
        int64_t n = o->paths - i0 < (int64_t)o->chunk ? o->paths - i0 : (int64_t)o->chunk;
        if ((s = read_rows(o, o->pp[k * CKP_M_COUNT + CKP_M_LOSS_TOTAL], 1, 0, i0, n, o->col,
                           err)) != CKP_OK)
            goto done;
        for (int64_t i = 0; i < n; i++)
            x[i0 + i] = x[i0 + i] - o->col[i];
    }
    int dp = D_PATH, dq = D_QUANTILE;
    if ((s = put(o, &g, "benefit", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &dp, x, 1, "currency",
                 "per-path benefit: baseline loss_total minus policy loss_total", err)) != CKP_OK)
        goto done;
    ckp_benefit b;
    if ((s = ckp_benefit_compute_inplace(x, (size_t)o->paths, o->antithetic, m->has_cost,
                                         m->annual_cost, o->sc->T, &b, err)) != CKP_OK)
        goto done;
    double pp = b.p_positive, bcr = b.has_bcr ? b.bcr : NAN;
    if ((s = put(o, &g, "benefit_mean", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 0, NULL, &b.mean, 0,
                 "currency", "mean benefit", err)) != CKP_OK ||
        (s = put(o, &g, "benefit_se", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 0, NULL, &b.se, 0,
                 "currency", "paired standard error of the mean benefit", err)) != CKP_OK ||
        (s = put(o, &g, "p_positive", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 0, NULL, &pp, 0, "1",
                 "probability of a positive benefit", err)) != CKP_OK ||
        (s = put(o, &g, "benefit_quantiles", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &dq, b.q, 0,
                 "currency", "quantiles of the per-path benefit", err)) != CKP_OK ||
        (s = put(o, &g, "bcr", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 0, NULL, &bcr, 0, "1",
                 "benefit-cost ratio: mean benefit / (annual_cost * T / 12); NaN without a cost",
                 err)) != CKP_OK)
        goto done;
done:
    grp_close(&g);
    return s;
}

static ckp_status check_result(ckp_output *o, const ckp_run_result *r, ckp_error *err)
{
    int ok = r && r->npol == o->npol && r->first_path == o->first_path &&
             r->paths == o->paths && r->seed == o->seed && r->antithetic == o->antithetic &&
             r->lay.record == o->lay.record && o->written == o->paths;
    for (int k = 0; ok && k < o->npol; k++)
        ok = r->policy[k] == o->policy[k];
    if (!ok)
        return ckp_error_set(err, CKP_ERR_INTERNAL, NULL, 0, 0, NULL,
                             "output: the run result does not match the file being written "
                             "(%lld of %lld paths received)",
                             (long long)o->written, (long long)o->paths);
    return CKP_OK;
}

static ckp_status sync_path(const char *path, int dir, ckp_error *err)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "%s: %s", path, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* Some file systems cannot fsync a directory; that is no reason to fail. */
    if (rc != 0 && !(dir && (e == EINVAL || e == EROFS || e == EBADF)))
        return ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "%s: fsync: %s", path,
                             strerror(e));
    return CKP_OK;
}

/* Move the finished temporary file onto the target. Without --force, link(2)
 * refuses atomically if the target appeared while we were running. */
static ckp_status publish(ckp_output *o, ckp_error *err)
{
    if (!o->force) {
        if (link(o->tmp, o->target) == 0) {
            unlink(o->tmp);
            o->tmp_exists = 0;
            return CKP_OK;
        }
        if (errno == EEXIST)
            return ckp_error_set(err, CKP_ERR_EXISTS, NULL, 0, 0, NULL,
                                 "%s: appeared while the run was writing; use --force to "
                                 "replace it (nothing was written)",
                                 o->target);
        /* No hard links here (some network and FAT file systems): check, then rename. */
        struct stat stt;
        if (stat(o->target, &stt) == 0)
            return ckp_error_set(err, CKP_ERR_EXISTS, NULL, 0, 0, NULL,
                                 "%s: exists; use --force to replace it", o->target);
    }
    if (rename(o->tmp, o->target) != 0)
        return ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "%s: cannot rename %s: %s",
                             o->target, o->tmp, strerror(errno));
    o->tmp_exists = 0;
    return CKP_OK;
}

ckp_status ckp_output_finish(ckp_output *o, const ckp_run_result *r, ckp_error *err)
{
    ckp_status st = CKP_OK;
    double *x = NULL;
    if (!o)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "output: no writer");
    if (o->failed) {
        st = ckp_error_set(err, CKP_ERR_INTERNAL, NULL, 0, 0, NULL,
                           "output: finish after a failed write");
        goto done;
    }
    if ((st = flush(o, err)) != CKP_OK || (st = check_result(o, r, err)) != CKP_OK)
        goto done;
    /* The per-path write buffer is no longer needed; free it before the summaries. */
    free(o->buf);
    o->buf = NULL;
    /* The one path-length array of the summaries and comparisons (8 MB at 10^6
     * paths): each column is read into it and sorted in place. */
    x = malloc((size_t)o->paths * sizeof *x);
    if (!x) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto done;
    }
    for (int k = 0; k < o->npol && st == CKP_OK; k++) {
        st = write_summaries(o, k, x, err);
        if (st == CKP_OK && r->month_stats)
            st = write_month(o, k, r, err);
        if (st == CKP_OK && k > 0)
            st = write_comparison(o, k, x, err);
    }
    if (st != CKP_OK)
        goto done;
    if (attr_i32(o->file, "month_stats", r->month_stats) < 0 ||
        attr_i32(o->file, "complete", 1) < 0) {
        st = ckp_h5_error(err, "%s: cannot mark the file complete", o->target);
        goto done;
    }
    /* Close everything so the file is whole on disk before it gets its name. */
    for (int i = 0; i < o->npol * CKP_M_COUNT; i++) {
        if (H5Dclose(o->pp[i]) < 0)
            st = CKP_ERR_HDF5;
        o->pp[i] = -1;
    }
    for (int k = 0; k < o->npol; k++)
        grp_close(&o->pg[k]);
    /* Flush before closing: a flush that fails (a full disk) leaves the file open
     * for free_writer to discard; a failed H5Fclose could not be retried. */
    if (st != CKP_OK || H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0) {
        st = ckp_h5_error(err, "%s: cannot write the file", o->target);
        goto done;
    }
    if (H5Fclose(o->file) < 0) {
        o->file = -1;
        st = ckp_h5_error(err, "%s: cannot close the file", o->target);
        goto done;
    }
    o->file = -1;
    if ((st = sync_path(o->tmp, 0, err)) != CKP_OK || (st = publish(o, err)) != CKP_OK)
        goto done;
    {
        const char *slash = strrchr(o->target, '/');
        char *dir = slash ? dup_str(o->target) : dup_str(".");
        if (dir && slash)
            dir[slash - o->target + (slash == o->target)] = '\0';
        if (dir)
            st = sync_path(dir, 1, err);
        free(dir);
    }
done:
    free(x);
    free_writer(o);
    return st;
}

void ckp_output_abort(ckp_output *o)
{
    free_writer(o);
}
