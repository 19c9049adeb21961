/* chokepoint stats: the sorts behind quantiles (internal; not installed).
 *
 * Both sorts order n finite doubles ascending with the same result, bit for
 * bit: a stable sort in which -0.0 and +0.0 compare equal and keep their input
 * order. They differ only in the memory they need. */
#ifndef CKP_STATS_SORT_IMPL_H
#define CKP_STATS_SORT_IMPL_H

#include <stddef.h>

#include "chokepoint/error.h"

/* Sort a[0..n) with tmp holding n doubles of scratch (unused, and may be
 * NULL, when n < 64). Allocates nothing. */
void ckp_sort_doubles(double *a, size_t n, double *tmp);

/* The same order in place. Allocates one bit per zero, and only when both
 * -0.0 and +0.0 occur; failing that allocation is CKP_ERR_NOMEM with a
 * message that starts "summary:", and a is then left as it was. */
ckp_status ckp_sort_doubles_inplace(double *a, size_t n, ckp_error *err);

#endif
