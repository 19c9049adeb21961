/* chokepoint: the resolution context and its diagnostics (internal to the
 * scenario module).
 *
 * Resolving a document walks it with a ckp_rctx: the file being read, the
 * key path of the value at hand ("materials[NdPr].routes[2].share", grown
 * with ckp_rc_push / ckp_rc_key and cut back with ckp_rc_pop), and the names
 * of every dimension. A refusal is a message naming the file, the line and
 * column of the offending node, the key path, what was expected and what was
 * found (diag.c). */
#ifndef CKP_DIAG_IMPL_H
#define CKP_DIAG_IMPL_H

#include <stddef.h>

#include "chokepoint/error.h"
#include "engine/scenario/tree_impl.h"

typedef struct ckp_rctx {
    const char *file;
    const char *basedir;
    int no_files;       /* self-contained text: every CSV reference is refused */
    ckp_error *err;
    char prefix[200];   /* "policies[x].changes" while resolving a policy */
    char path[400];
    size_t plen;
    /* dimension names, shared by every policy */
    int S, K, M, I;
    char **sup, **reg, **mat, **ind;
    const char *importer;
    int imp;            /* importer index among suppliers or -1 */
    struct ckp_name_ix *ix; /* hash indexes of sup, reg, mat, ind (dims.c), or NULL */
} ckp_rctx;

/* Append a formatted part to the key path; returns the length to restore. */
size_t ckp_rc_push(ckp_rctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Append ".key" (or "key" at the top); returns the length to restore. */
size_t ckp_rc_key(ckp_rctx *c, const char *key);

/* Cut the key path back to a length returned by ckp_rc_push / ckp_rc_key. */
void ckp_rc_pop(ckp_rctx *c, size_t old);

/* Fill the context's error with a CKP_ERR_CONFIG (or `code`) message at node
 * `at` (may be NULL) and the current key path; returns the status. */
ckp_status ckp_rc_fail(ckp_rctx *c, const ynode *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

ckp_status ckp_rc_fail_code(ckp_rctx *c, ckp_status code, const ynode *at, const char *fmt,
                            ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* What a node is, for "found ...": a constant or text written into buf. */
const char *ckp_diag_describe(const ynode *n, char *buf, size_t cap);

/* " (did you mean 'x'?)" for the closest candidate by edit distance, or "". */
const char *ckp_diag_suggest(const char *word, const char *const *cands, int n, char *buf,
                             size_t cap);

/* "a, b, c" (shortened for long lists), written into buf. */
const char *ckp_diag_listing(const char *const *names, int n, char *buf, size_t cap);

/* Refuse a key of `map` not in the NULL-terminated list `allowed`. */
ckp_status ckp_rc_check_keys(ckp_rctx *c, const ynode *map, const char *const *allowed);

/* Refuse a node that is not of `kind` ("expected <what>, found ..."). */
ckp_status ckp_rc_expect(ckp_rctx *c, const ynode *n, ynode_kind kind, const char *what);

/* Refuse `map` for lacking `key` ("missing key ... (expected <what>)"). */
ckp_status ckp_rc_missing(ckp_rctx *c, const ynode *map, const char *key, const char *what);

#endif
