/* chokepoint: the checkpoint of `run -o FILE` (internal header of the CLI;
 * docs/output-format.md, "Checkpoint and resume").
 *
 * Two files beside the target: `.NAME.ckpt-records`, every record sent to
 * the writer so far (append-only, batch by batch), and `.NAME.ckpt`, the
 * digest of what defines the run (readable `key value` lines), the paths
 * done, the records file's length at that point and the run's exact
 * accumulators, with a checksum. The records are fsynced before a new
 * `.NAME.ckpt` is written under a temporary name, fsynced and renamed onto
 * the old one, so whatever stops the process (a signal, kill -9, a crash, a
 * power cut) leaves a checkpoint that describes a prefix of the records file.
 * `run ... --resume` checks the digest, cuts the records file back to that
 * length, feeds the records to a fresh writer and resumes the run from the
 * accumulators. */
#ifndef CKP_CLI_CHECKPOINT_H
#define CKP_CLI_CHECKPOINT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "chokepoint/chokepoint.h"

typedef struct ckp_ckpt {
    char *path;      /* .NAME.ckpt */
    char *tmp;       /* .NAME.ckpt.new, written then renamed onto path */
    char *records;   /* .NAME.ckpt-records */
    char *dir;       /* the target's directory */
    char *stale;     /* ".NAME.tmp-": prefix of the writer's temporary files */
    char *digest;    /* the run's `key value` lines */
    int fd;          /* the records file, open and locked, or -1 */
    int created;     /* ckp_ckpt_lock created it */
    uint64_t bytes;  /* its length */
    const ckp_sink *next; /* the writer's sink: every batch goes on to it */
    ckp_sink sink;   /* the sink to give the run: records file, then `next` */
} ckp_ckpt;

/* Names beside `target` and the digest of the run (the resolved scenario,
 * seed, range, antithetic flag, policies, month statistics, compression,
 * engine and schema versions). c->fd is -1. */
ckp_status ckp_ckpt_init(ckp_ckpt *c, const char *target, const ckp_plan *plan, int compress,
                         ckp_error *err);
/* Close and free (the files stay). */
void ckp_ckpt_free(ckp_ckpt *c);
/* Whether .NAME.ckpt exists. */
int ckp_ckpt_exists(const ckp_ckpt *c);

/* Read .NAME.ckpt and check it against this run's digest: a different
 * field is refused naming it and both values (CKP_ERR_USAGE); a damaged
 * file is CKP_ERR_IO. *done gets the saved accumulators (caller frees). */
ckp_status ckp_ckpt_load(ckp_ckpt *c, const ckp_plan *plan, ckp_run_result **done,
                         ckp_error *err);
/* Cut the (locked) records file to the checkpoint's length, send its batches to
 * `writer` and leave it open for appending. Stops with CKP_ERR_CANCELLED
 * between batches once *stop is non-zero (stop may be NULL). */
ckp_status ckp_ckpt_replay(ckp_ckpt *c, const ckp_plan *plan, const ckp_sink *writer,
                           const volatile sig_atomic_t *stop, ckp_error *err);
/* Open (create if need be) the records file and take a write lock on it
 * (fcntl, released when the process ends): a second run of the same target
 * is refused (CKP_ERR_EXISTS) rather than sharing the checkpoint. */
ckp_status ckp_ckpt_lock(ckp_ckpt *c, const char *target, ckp_error *err);
/* Close the records file, removing it if ckp_ckpt_lock created it. */
void ckp_ckpt_unlock_created(ckp_ckpt *c);
/* Empty the (locked) records file for a fresh run. */
ckp_status ckp_ckpt_start(ckp_ckpt *c, ckp_error *err);
/* The sink for the run: appends each batch to the records file, then passes
 * it to `writer`. */
const ckp_sink *ckp_ckpt_sink(ckp_ckpt *c, const ckp_sink *writer);
/* Save: fsync the records file, write .NAME.ckpt.new with the accumulators
 * of `rs`, fsync it, rename it onto .NAME.ckpt, fsync the directory. */
ckp_status ckp_ckpt_save(ckp_ckpt *c, const ckp_run_state *rs, ckp_error *err);
/* Remove the checkpoint files. */
void ckp_ckpt_remove(ckp_ckpt *c);
/* Remove the writer's temporary files that killed runs of the same target
 * left (`.NAME.tmp-XXXXXX`); returns how many. */
int ckp_ckpt_remove_stale(const ckp_ckpt *c);

#endif
