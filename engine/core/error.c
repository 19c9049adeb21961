/* chokepoint: the error record (see include/chokepoint/error.h). */
#include "chokepoint/error.h"

#include "engine/core/escape_impl.h"

#include <stdio.h>
#include <string.h>

void ckp_error_clear(ckp_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

ckp_status ckp_error_setv(ckp_error *err, ckp_status code, const char *file, int line,
                          int column, const char *path, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    err->line = line;
    err->column = column;
    copy_field(err->file, sizeof err->file, file);
    copy_field(err->path, sizeof err->path, path);

    size_t cap = sizeof err->message, used = 0;
    int n = 0;
    if (err->file[0]) {
        if (line > 0 && column > 0)
            n = snprintf(err->message, cap, "%s:%d:%d: ", err->file, line, column);
        else if (line > 0)
            n = snprintf(err->message, cap, "%s:%d: ", err->file, line);
        else
            n = snprintf(err->message, cap, "%s: ", err->file);
        used = n > 0 ? ((size_t)n < cap ? (size_t)n : cap - 1) : 0;
    }
    if (err->path[0] && used < cap) {
        n = snprintf(err->message + used, cap - used, "%s: ", err->path);
        used += n > 0 ? ((size_t)n < cap - used ? (size_t)n : cap - used - 1) : 0;
    }
    if (used < cap)
        vsnprintf(err->message + used, cap - used, fmt, ap);
    /* names and paths in the message may hold control characters (escape.c) */
    if (ckp_escape_needed(err->message)) {
        char raw[sizeof err->message];
        memcpy(raw, err->message, sizeof raw);
        ckp_escape_ctl(err->message, cap, raw);
    }
    return code;
}

ckp_status ckp_error_set(ckp_error *err, ckp_status code, const char *file, int line,
                         int column, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ckp_status s = ckp_error_setv(err, code, file, line, column, path, fmt, ap);
    va_end(ap);
    return s;
}

const char *ckp_status_str(ckp_status code)
{
    switch (code) {
    case CKP_OK: return "ok";
    case CKP_ERR_USAGE: return "usage error";
    case CKP_ERR_CONFIG: return "scenario error";
    case CKP_ERR_IO: return "I/O error";
    case CKP_ERR_NOMEM: return "out of memory";
    case CKP_ERR_NUMERIC: return "numerical error";
    case CKP_ERR_HDF5: return "HDF5 error";
    case CKP_ERR_EXISTS: return "file exists";
    case CKP_ERR_INTERNAL: return "internal error";
    case CKP_ERR_CANCELLED: return "cancelled";
    }
    return "unknown error";
}

int ckp_status_exit_code(ckp_status code)
{
    switch (code) {
    case CKP_OK: return 0;
    case CKP_ERR_USAGE:
    case CKP_ERR_CONFIG: return 2;
    default: return 1;
    }
}
