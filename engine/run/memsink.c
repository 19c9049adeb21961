/* chokepoint: a sink that keeps every record in memory, for tests and small
 * runs (include/chokepoint/run.h). */
#include "engine/run/run_impl.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"

/* a * b into *out unless the product overflows size_t. */
static int mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}


static ckp_status memsink_write(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                                int npol, const double *const *records, ckp_error *err)
{
    ckp_memsink *ms = ctx;
    if (!ms->records) {
        ms->records = calloc((size_t)npol, sizeof *ms->records);
        if (!ms->records)
            return CKP_FAIL(err, CKP_ERR_NOMEM, "memsink: out of memory");
        ms->npol = npol;
        ms->record = lay->record;
        ms->first_path = first_path;
        ms->paths = 0;
        ms->cap = 0;
    } else if (npol != ms->npol || lay->record != ms->record ||
               first_path != ms->first_path + ms->paths) {
        return CKP_FAIL(err, CKP_ERR_USAGE, "memsink: batch does not continue the stored paths");
    }
    size_t need = (size_t)ms->paths + (size_t)n;
    if (need > ms->cap) {
        size_t cap = ms->cap ? ms->cap : 1024;
        while (cap < need)
            cap *= 2;
        size_t bytes;
        if (mul_size(cap, ms->record * sizeof(double), &bytes))
            return CKP_FAIL(err, CKP_ERR_NOMEM, "memsink: too large");
        for (int k = 0; k < npol; k++) {
            double *p = realloc(ms->records[k], bytes ? bytes : 1);
            if (!p)
                return CKP_FAIL(err, CKP_ERR_NOMEM, "memsink: out of memory");
            ms->records[k] = p;
        }
        ms->cap = cap;
    }
    for (int k = 0; k < npol; k++)
        memcpy(ms->records[k] + (size_t)ms->paths * ms->record, records[k],
               (size_t)n * ms->record * sizeof(double));
    ms->paths += n;
    return CKP_OK;
}

ckp_memsink *ckp_memsink_create(void)
{
    ckp_memsink *ms = calloc(1, sizeof *ms);
    if (!ms)
        return NULL;
    ms->sink.ctx = ms;
    ms->sink.write_batch = memsink_write;
    return ms;
}

void ckp_memsink_free(ckp_memsink *ms)
{
    if (!ms)
        return;
    if (ms->records)
        for (int k = 0; k < ms->npol; k++)
            free(ms->records[k]);
    free(ms->records);
    free(ms);
}

void ckp_memsink_column(const ckp_memsink *ms, int k, size_t j, double *out)
{
    const double *src = ms->records[k];
    for (int64_t p = 0; p < ms->paths; p++)
        out[p] = src[(size_t)p * ms->record + j];
}

const ckp_sink *ckp_memsink_sink(ckp_memsink *ms) { return &ms->sink; }
int64_t ckp_memsink_paths(const ckp_memsink *ms) { return ms->paths; }
int ckp_memsink_npolicies(const ckp_memsink *ms) { return ms->records ? ms->npol : 0; }
size_t ckp_memsink_record(const ckp_memsink *ms) { return ms->records ? ms->record : 0; }
const double *ckp_memsink_records(const ckp_memsink *ms, int k)
{
    return ms->records ? ms->records[k] : NULL;
}
