/* chokepoint: HDF5 helpers of the output module (h5_impl.h): HDF5's error
 * printing turned off and its error stack turned into our message, the
 * string type, and scalar attributes. */
#include "h5_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/error_impl.h"

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
    int nomem; /* some entry is an allocation failure */
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
    if (e->min_num == H5E_CANTALLOC || e->min_num == H5E_NOSPACE)
        s->nomem = 1;
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
        return CKP_FAIL(err, CKP_ERR_HDF5, "%s: HDF5 error", what);
    if (s.nomem)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "%s: out of memory (HDF5: %s)", what, s.top);
    if (s.n == 1)
        return CKP_FAIL(err, CKP_ERR_HDF5, "%s: HDF5: %s", what, s.top);
    return CKP_FAIL(err, CKP_ERR_HDF5, "%s: HDF5: %s (%s)", what, s.top, s.deep);
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

herr_t ckp_h5_attr_write(hid_t loc, const char *name, hid_t type, const void *v)
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

herr_t ckp_h5_attr_str(hid_t loc, const char *name, hid_t str, const char *v)
{
    const char *p = v ? v : "";
    return ckp_h5_attr_write(loc, name, str, &p);
}

herr_t ckp_h5_attr_i32(hid_t loc, const char *name, int v)
{
    int32_t x = (int32_t)v;
    return ckp_h5_attr_write(loc, name, H5T_NATIVE_INT32, &x);
}

herr_t ckp_h5_attr_i64(hid_t loc, const char *name, int64_t v)
{
    return ckp_h5_attr_write(loc, name, H5T_NATIVE_INT64, &v);
}

herr_t ckp_h5_attr_u64(hid_t loc, const char *name, uint64_t v)
{
    return ckp_h5_attr_write(loc, name, H5T_NATIVE_UINT64, &v);
}

herr_t ckp_h5_attr_f64(hid_t loc, const char *name, double v)
{
    return ckp_h5_attr_write(loc, name, H5T_NATIVE_DOUBLE, &v);
}

/* HDF5's metadata cache starts at 2 MiB and may grow to 32 MiB, counted in
 * on-disk bytes; the chunk-index B-tree nodes it holds take several times
 * that in memory, so a long write or read of the per-path datasets grew the
 * process with the number of paths (docs/output-format.md). A fixed 256 KiB
 * cache holds what one chunk write or one slice read touches (each dataset's
 * index root and the leaf in use); measured, it costs no time. It applies
 * when the handle is the file's first open one: HDF5 shares one cache between
 * the handles of a file. */
herr_t ckp_h5_small_metadata_cache(hid_t fapl)
{
    H5AC_cache_config_t c;
    memset(&c, 0, sizeof c);
    c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Pget_mdc_config(fapl, &c) < 0)
        return -1;
    c.set_initial_size = 1;
    c.initial_size = c.min_size = c.max_size = (size_t)256 << 10;
    c.incr_mode = H5C_incr__off;
    c.flash_incr_mode = H5C_flash_incr__off;
    c.decr_mode = H5C_decr__off;
    return H5Pset_mdc_config(fapl, &c);
}
