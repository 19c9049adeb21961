/* chokepoint: status codes and the error record every fallible call fills.
 *
 * The library never prints. A function that can fail returns a ckp_status and,
 * when given a non-NULL ckp_error, writes what went wrong there. The record is
 * owned by the caller; nothing in it needs freeing. */
#ifndef CHOKEPOINT_ERROR_H
#define CHOKEPOINT_ERROR_H

#include "chokepoint/api.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ckp_status {
    CKP_OK = 0,
    CKP_ERR_USAGE = 1,   /* a bad argument from the caller (option, index, range) */
    CKP_ERR_CONFIG = 2,  /* a scenario that cannot be parsed, is invalid or over a limit */
    CKP_ERR_IO = 3,      /* a file could not be read or written */
    CKP_ERR_NOMEM = 4,   /* an allocation failed or a size is absurd */
    CKP_ERR_NUMERIC = 5, /* a matrix is singular, not positive definite, ... */
    CKP_ERR_HDF5 = 6,    /* the HDF5 library reported an error */
    CKP_ERR_EXISTS = 7,  /* the target exists and overwriting was not allowed */
    CKP_ERR_INTERNAL = 8, /* a broken invariant: a bug in chokepoint */
    CKP_ERR_CANCELLED = 9 /* the caller's progress callback asked to stop */
} ckp_status;

/* Where and what. `file`, `line`, `column` and `path` are empty / 0 when they do
 * not apply. `line` and `column` are 1-based. `path` is the key path inside a
 * scenario, e.g. "materials[NdPr].routes[2].share". `message` is the complete
 * human-readable text, already including file:line:column and the key path. */
typedef struct ckp_error {
    ckp_status code;
    int line;
    int column;
    char file[512];
    char path[256];
    char message[2048];
} ckp_error;

/* Reset an error record to "no error". Accepts NULL. */
CKP_API void ckp_error_clear(ckp_error *err);

/* Fill `err` (if not NULL) and return `code`. `file` and `path` may be NULL;
 * `line`/`column` 0 when unknown. The message is built as
 * "FILE:LINE:COLUMN: PATH: <fmt...>" leaving out the parts that are empty. */
CKP_API ckp_status ckp_error_set(ckp_error *err, ckp_status code, const char *file, int line,
                         int column, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

CKP_API ckp_status ckp_error_setv(ckp_error *err, ckp_status code, const char *file, int line,
                          int column, const char *path, const char *fmt, va_list ap);

/* A short constant name for a status ("config error", ...). */
CKP_API const char *ckp_status_str(ckp_status code);

/* The exit status the command-line tool uses for a status: 0 for CKP_OK,
 * 2 for CKP_ERR_USAGE and CKP_ERR_CONFIG (bad input), 1 for everything else. */
CKP_API int ckp_status_exit_code(ckp_status code);

#ifdef __cplusplus
}
#endif
#endif
