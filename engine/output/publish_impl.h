/* chokepoint: safe publishing of a results file (internal header of the
 * output module).
 *
 * The file is written under a temporary name beside the target and moved
 * onto it only once it is complete and closed: whatever fails before (bad
 * input, a full disk, a killed process) leaves the target as it was. */
#ifndef CKP_PUBLISH_IMPL_H
#define CKP_PUBLISH_IMPL_H

#include "chokepoint/error.h"

typedef struct ckp_publish {
    char *target;   /* the file to publish */
    char *tmp;      /* ".NAME.tmp-XXXXXX" in the target's directory */
    int force;      /* replace an existing target */
    int tmp_exists; /* tmp is on disk and ours to remove */
} ckp_publish;

/* The longest suffix put after a stem (".ckpt-records", ".rank-R-of-N"). */
#define CKP_SIBLING_SUFFIX_MAX 24

/* "DIR/.NAME" for path "DIR/NAME": the stem of every hidden file beside a
 * target (".tmp-XXXXXX" temporaries, the ".ckpt" checkpoint files, MPI
 * ".rank-R-of-N" parts), each a stem plus a suffix of at most
 * CKP_SIBLING_SUFFIX_MAX bytes. Where that could pass NAME_MAX (NAME longer
 * than 230 bytes), NAME is cut to its first 213 bytes or fewer (never inside a
 * UTF-8 character) followed by '~' and 16 hex digits of the whole NAME's
 * FNV-1a hash, so that a 255-byte target works and different targets keep
 * different stems. malloc'ed; NULL when out of memory. */
char *ckp_publish_stem(const char *path);

/* Refuse a target that is a directory (CKP_ERR_IO) or that exists while
 * `force` is 0 (CKP_ERR_EXISTS, the message names --force). */
ckp_status ckp_publish_check(const char *path, int force, ckp_error *err);

/* Start: p (zeroed by the caller) gets copies of the names and an empty
 * temporary file (mode 0644) beside `path`. On failure p holds what is to be
 * released by ckp_publish_discard. */
ckp_status ckp_publish_begin(ckp_publish *p, const char *path, int force, ckp_error *err);

/* The temporary file is complete and closed: fsync it, move it onto the
 * target (without force through link(2), which refuses atomically if the
 * target appeared meanwhile) and fsync the directory. */
ckp_status ckp_publish_commit(ckp_publish *p, ckp_error *err);

/* Remove the temporary file if it is still there; free the names. */
void ckp_publish_discard(ckp_publish *p);

#endif
