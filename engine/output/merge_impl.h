/* chokepoint: the exact accumulators of a results file (internal header of the
 * output module).
 *
 * Every file stores its run result as the bytes of ckp_run_result_to_bytes
 * (the fixed-point per-month sums and the 64-bit histogram counts) in the
 * dataset exact/accumulators, so that `chokepoint merge` (merge.c) can join
 * the results of adjacent ranges exactly: the per-month means, histograms and
 * fan bands cannot be recomputed from the stored per-path records. */
#ifndef CKP_MERGE_IMPL_H
#define CKP_MERGE_IMPL_H

#include <stddef.h>

#include "chokepoint/output.h"

#define CKP_EXACT_GROUP "exact"
#define CKP_EXACT_DATASET "exact/accumulators"
/* Root attribute of a merged file: its parts, one line each. */
#define CKP_A_MERGED_PARTS "merged_parts"

/* Write exact/accumulators of r into the writer's file (writer.c's finish). */
ckp_status ckp_writer_put_exact(ckp_output *o, const ckp_run_result *r, ckp_error *err);

/* Read the root attribute month_stats of the results file `path` into
 * *month_stats, check that exact/accumulators is there and, when b is not
 * NULL, read it into *b (malloc'ed, *n bytes; refused above `cap` bytes). A file without the
 * dataset (written by an engine before it was stored) is refused, CKP_ERR_USAGE, saying so. */
ckp_status ckp_exact_read(const char *path, size_t cap, int *month_stats, unsigned char **b,
                          size_t *n, ckp_error *err);

#endif
