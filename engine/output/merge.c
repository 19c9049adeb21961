/* chokepoint: merging the results files of adjacent path ranges of one run
 * (output.h, ckp_output_merge; docs/output-format.md, "Merging range files").
 *
 * The parts are checked against each other (engine and schema version,
 * stored resolved scenario, seed, policies, antithetic flag, month
 * statistics) and their ranges against a joined range; their exact
 * accumulators (merge_exact.c) are merged in path order into the result of
 * the whole range; then a writer of a plan of the whole range receives every
 * part's per-path records, a chunk of paths at a time, and
 * ckp_output_finish computes every statistic as it does for a single run.
 * A part that starts on a chunk boundary of the merged file, with the
 * writer's chunks and filters, has its whole chunks copied as they are
 * stored (H5Dread_chunk -> H5Dwrite_chunk, no inflate or deflate); the
 * others' records are read and written again through the writer's sink.
 * Nothing is opened for writing before every check has passed. */
#include "merge_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chokepoint/chokepoint.h"
#include "engine/core/error_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "writer_impl.h"

typedef struct part {
    const char *path;
    int64_t first, paths;
    uint64_t seed;
    int antithetic, month_stats, schema, npol;
    char *engine, *resolved, *source;
    char **names;
} part;

static void part_free(part *p)
{
    if (p->names)
        for (int k = 0; k < p->npol; k++)
            free(p->names[k]);
    free(p->names);
    free(p->engine);
    free(p->resolved);
    free(p->source);
}

/* A part that cannot be merged is bad input (exit status 2), whatever the
 * reader called it; running out of memory stays what it is. */
static ckp_status bad_part(ckp_status st, ckp_error *err)
{
    if (st == CKP_OK || st == CKP_ERR_NOMEM)
        return st;
    if (err)
        err->code = CKP_ERR_USAGE;
    return CKP_ERR_USAGE;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

/* What the part's root says, copied (the file is closed again). */
static ckp_status copy_info(ckp_output_file *f, part *p, ckp_error *err)
{
    const ckp_output_info *in = ckp_output_file_info(f);
    p->first = in->first_path;
    p->paths = in->paths;
    p->seed = in->seed;
    p->antithetic = in->antithetic;
    p->schema = in->schema_version;
    p->engine = dup_str(in->engine_version);
    p->names = calloc((size_t)in->npol, sizeof *p->names);
    if (!p->engine || !p->names)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    p->npol = in->npol;
    for (int k = 0; k < in->npol; k++)
        if (!(p->names[k] = dup_str(in->policy_names[k])))
            return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    CKP_TRY(ckp_output_read_text(f, CKP_A_SCENARIO_RESOLVED, &p->resolved, err));
    return ckp_output_read_text(f, CKP_A_SCENARIO_SOURCE, &p->source, err);
}

static ckp_status read_part(const char *path, part *p, ckp_error *err)
{
    p->path = path;
    ckp_output_file *f = NULL;
    ckp_status st = ckp_output_file_open(path, &f, err);
    if (st == CKP_OK) {
        st = copy_info(f, p, err);
        ckp_output_file_close(f);
    }
    if (st == CKP_OK)
        st = ckp_exact_read(path, 0, &p->month_stats, NULL, NULL, err);
    return bad_part(st, err);
}

static ckp_status differ(const part *a, const part *b, const char *what, const char *va,
                         const char *vb, ckp_error *err)
{
    return CKP_FAIL(err, CKP_ERR_USAGE,
                    "%s and %s are not parts of one run: the %s differs (%s in %s, %s in %s)",
                    a->path, b->path, what, va, a->path, vb, b->path);
}

/* b is a part of the same run as a. */
static ckp_status same_run(const part *a, const part *b, ckp_error *err)
{
    char x[64], y[64];
    if (strcmp(a->engine, b->engine) != 0)
        return differ(a, b, "engine version", a->engine, b->engine, err);
    if (a->schema != b->schema) {
        snprintf(x, sizeof x, "%d", a->schema);
        snprintf(y, sizeof y, "%d", b->schema);
        return differ(a, b, "schema version", x, y, err);
    }
    if (strcmp(a->resolved, b->resolved) != 0)
        return differ(a, b, "scenario (the stored scenario_resolved)", "one text", "another",
                      err);
    if (a->seed != b->seed) {
        snprintf(x, sizeof x, "%llu", (unsigned long long)a->seed);
        snprintf(y, sizeof y, "%llu", (unsigned long long)b->seed);
        return differ(a, b, "seed", x, y, err);
    }
    if (a->antithetic != b->antithetic || a->month_stats != b->month_stats) {
        snprintf(x, sizeof x, "%d/%d", a->antithetic, a->month_stats);
        snprintf(y, sizeof y, "%d/%d", b->antithetic, b->month_stats);
        return differ(a, b, "antithetic/month_stats setting", x, y, err);
    }
    int same = a->npol == b->npol;
    for (int k = 0; same && k < a->npol; k++)
        same = strcmp(a->names[k], b->names[k]) == 0;
    if (!same) {
        snprintf(x, sizeof x, "%d policies", a->npol);
        snprintf(y, sizeof y, "%d policies", b->npol);
        return differ(a, b, "policy set or order", x, y, err);
    }
    return CKP_OK;
}

static int by_range(const void *x, const void *y)
{
    const part *a = x, *b = y;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return a->paths < b->paths ? -1 : a->paths > b->paths;
}

/* Sorted parts whose ranges join: no gap, no overlap, no duplicate. */
static ckp_status check_ranges(const part *ps, int n, ckp_error *err)
{
    for (int i = 1; i < n; i++) {
        const part *a = &ps[i - 1], *b = &ps[i];
        int64_t end = a->first + a->paths;
        if (a->first == b->first && a->paths == b->paths)
            return CKP_FAIL(err, CKP_ERR_USAGE,
                            "%s and %s are duplicates: both hold paths %lld..%lld", a->path,
                            b->path, (long long)a->first, (long long)(end - 1));
        if (b->first < end)
            return CKP_FAIL(err, CKP_ERR_USAGE,
                            "%s (paths %lld..%lld) and %s (paths %lld..%lld) overlap", a->path,
                            (long long)a->first, (long long)(end - 1), b->path, (long long)b->first,
                            (long long)(b->first + b->paths - 1));
        if (b->first > end)
            return CKP_FAIL(err, CKP_ERR_USAGE,
                            "%s (paths %lld..%lld) and %s (paths %lld..%lld) leave a gap: "
                            "paths %lld..%lld are in no part",
                            a->path, (long long)a->first, (long long)(end - 1), b->path,
                            (long long)b->first, (long long)(b->first + b->paths - 1),
                            (long long)end, (long long)(b->first - 1));
    }
    return CKP_OK;
}

/* The target must not be one of the parts (it would be replaced while read). */
static ckp_status check_target(const part *ps, int n, const char *target, ckp_error *err)
{
    struct stat t, s;
    if (stat(target, &t) != 0)
        return CKP_OK;
    for (int i = 0; i < n; i++)
        if (stat(ps[i].path, &s) == 0 && s.st_dev == t.st_dev && s.st_ino == t.st_ino)
            return CKP_FAIL(err, CKP_ERR_USAGE, "%s: the output is one of the parts (%s)", target,
                            ps[i].path);
    return CKP_OK;
}

/* The stored scenario of the first part, with its source text as stored. */
static ckp_status load_scenario(const part *p, ckp_scenario **sc, ckp_error *err)
{
    char name[512];
    snprintf(name, sizeof name, "%s:%s", p->path, CKP_A_SCENARIO_RESOLVED);
    CKP_TRY(
        bad_part(ckp_scenario_load_inline(p->resolved, strlen(p->resolved), name, sc, err), err));
    char *src = dup_str(p->source);
    if (!src)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    free((*sc)->source_text);
    (*sc)->source_text = src;
    return CKP_OK;
}

/* A plan of the parts' run over [first, first + paths), whose policies must
 * be the stored ones in the stored order (idx: their scenario indices). */
static ckp_status make_plan(const ckp_scenario *sc, const part *p, const int *idx, int64_t first,
                            int64_t paths, ckp_plan **plan, ckp_error *err)
{
    ckp_run_options ro;
    ckp_run_options_default(&ro, sc);
    ro.seed = p->seed;
    ro.first_path = first;
    ro.paths = paths;
    ro.antithetic = p->antithetic;
    ro.npolicies = p->npol;
    ro.policies = idx;
    ro.month_stats = p->month_stats;
    ro.threads = 1;
    CKP_TRY(bad_part(ckp_plan_create(sc, &ro, plan, err), err));
    int same = ckp_plan_npolicies(*plan) == p->npol;
    for (int k = 0; same && k < p->npol; k++)
        same = strcmp(ckp_plan_policy_name(*plan, k), p->names[k]) == 0;
    if (!same)
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "%s: its policies are not in the run order of its scenario", p->path);
    return CKP_OK;
}

static ckp_status policy_indices(const ckp_scenario *sc, const part *p, int **idx, ckp_error *err)
{
    *idx = malloc((size_t)p->npol * sizeof **idx);
    if (!*idx)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    for (int k = 0; k < p->npol; k++)
        if (((*idx)[k] = ckp_scenario_policy_index(sc, p->names[k])) < 0)
            return CKP_FAIL(err, CKP_ERR_USAGE, "%s: its scenario has no policy '%s'", p->path,
                            p->names[k]);
    return CKP_OK;
}

/* Upper bound of the accumulators' bytes for this plan's shape (merge_exact.c
 * refuses a dataset declaring more before reading it). */
static size_t exact_cap(const ckp_plan *plan)
{
    const ckp_layout *lay = ckp_plan_layout(plan);
    size_t npol = (size_t)ckp_plan_npolicies(plan);
    size_t cells = npol * (size_t)lay->T * lay->obs_per_month;
    return 256 + 4 * npol + cells * (16 + 8 * (size_t)CKP_HIST_BINS);
}

/* Part i's accumulators as a result of its own range. */
static ckp_status part_result(const ckp_scenario *sc, const part *p, const int *idx,
                              ckp_run_result **out, ckp_error *err)
{
    ckp_plan *plan = NULL;
    unsigned char *b = NULL;
    size_t n = 0;
    int ms = 0;
    ckp_status st = make_plan(sc, p, idx, p->first, p->paths, &plan, err);
    if (st == CKP_OK)
        st = ckp_exact_read(p->path, exact_cap(plan), &ms, &b, &n, err);
    if (st == CKP_OK && (st = ckp_run_result_from_bytes(plan, b, n, out, err)) != CKP_OK) {
        char why[256];
        snprintf(why, sizeof why, "%.200s", err ? err->message : "");
        st = CKP_FAIL(err, CKP_ERR_USAGE, "%s: its exact accumulators do not match it: %s", p->path,
                      why);
    }
    if (st == CKP_OK && ckp_run_result_paths(*out) != p->paths)
        st = CKP_FAIL(err, CKP_ERR_USAGE,
                      "%s: incomplete: its accumulators hold %lld of its %lld paths", p->path,
                      (long long)ckp_run_result_paths(*out), (long long)p->paths);
    free(b);
    ckp_plan_free(plan);
    return bad_part(st, err);
}

/* The exact result of the whole range: every part's, merged in path order. */
static ckp_status merged_result(const ckp_scenario *sc, const part *ps, int n, const int *idx,
                                ckp_run_result **out, ckp_error *err)
{
    *out = NULL;
    for (int i = 0; i < n; i++) {
        ckp_run_result *r = NULL;
        CKP_TRY(part_result(sc, &ps[i], idx, &r, err));
        if (i == 0) {
            *out = r;
            continue;
        }
        ckp_status st = ckp_run_result_merge(*out, r, err);
        ckp_run_result_free(r);
        CKP_TRY(st);
    }
    return CKP_OK;
}

/* The per-path datasets of part p have its paths and the layout's widths. */
static ckp_status check_shapes(ckp_output_slices *s, const part *p, const ckp_layout *lay,
                               ckp_error *err)
{
    char name[512];
    for (int k = 0; k < p->npol; k++)
        for (int j = 0; j < CKP_M_COUNT; j++) {
            const char *m = ckp_metric_table()[j].name;
            ckp_output_array a;
            if (ckp_schema_path(name, sizeof name, p->names[k], CKP_G_NONE, m) != 0)
                return CKP_FAIL(err, CKP_ERR_USAGE, "%s: policy name too long", p->path);
            CKP_TRY(ckp_output_slices_shape(s, name, &a, err));
            if (a.type != CKP_OUTPUT_DOUBLE || a.rank < 1 || a.dims[0] != (size_t)p->paths ||
                a.count / a.dims[0] != lay->length[j])
                return CKP_FAIL(err, CKP_ERR_USAGE,
                                "%s: dataset '%s' does not hold %lld paths of this scenario's "
                                "records",
                                p->path, name, (long long)p->paths);
        }
    return CKP_OK;
}

/* Records of paths [start, start + n) of part p into rec (per policy, path
 * major), one dataset slice at a time through tmp. */
static ckp_status read_records(ckp_output_slices *s, const part *p, const ckp_layout *lay,
                               int64_t start, int64_t n, double **rec, double *tmp, ckp_error *err)
{
    char name[512];
    for (int k = 0; k < p->npol; k++)
        for (int j = 0; j < CKP_M_COUNT; j++) {
            size_t off = lay->offset[j], len = lay->length[j];
            ckp_schema_path(name, sizeof name, p->names[k], CKP_G_NONE, ckp_metric_table()[j].name);
            CKP_TRY(ckp_output_slices_read(s, name, (size_t)start, (size_t)n, tmp, err));
            for (int64_t i = 0; i < n; i++)
                memcpy(rec[k] + (size_t)i * lay->record + off, tmp + (size_t)i * len,
                       len * sizeof *tmp);
        }
    return CKP_OK;
}

/* The part's per-path datasets (the writer's order) in src, opened from
 * part p's file in *file, when their chunks can be copied as they are: the
 * part starts on a chunk of the merged file and every dataset has the
 * writer's chunks and filters. 0 (nothing left open) otherwise. */
static int open_sources(ckp_output *o, const part *p, hid_t *file, hid_t *src)
{
    int n = o->npol * CKP_M_COUNT, ok = 1;
    *file = -1;
    for (int i = 0; i < n; i++)
        src[i] = -1;
    if ((p->first - o->first_path) % (int64_t)o->chunk != 0 || o->chunk != CKP_CHUNK_PATHS ||
        (*file = H5Fopen(p->path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        ok = 0;
    for (int i = 0; ok && i < n; i++) {
        char name[512];
        ckp_chunk_pipe a, b;
        ckp_schema_path(name, sizeof name, p->names[i / CKP_M_COUNT], CKP_G_NONE,
                        ckp_metric_table()[i % CKP_M_COUNT].name);
        ok = (src[i] = H5Dopen2(*file, name, H5P_DEFAULT)) >= 0 &&
             ckp_chunk_readable(src[i], (size_t)o->chunk, &a) &&
             ckp_chunk_readable(o->pp[i], (size_t)o->chunk, &b) && a.rank == b.rank &&
             a.shuffle == b.shuffle && a.deflate == b.deflate;
    }
    if (!ok) {
        for (int i = 0; i < n; i++)
            if (src[i] >= 0)
                H5Dclose(src[i]);
        if (*file >= 0)
            H5Fclose(*file);
        H5Eclear2(H5E_DEFAULT);
        *file = -1;
    }
    return ok;
}

/* Every record of part p into the writer, CKP_CHUNK_PATHS paths at a time:
 * each whole chunk (and the merged file's last one) copied as stored when
 * open_sources allows it, the rest read and passed through the sink. Errors
 * reading the part are the part's (bad input); the writer's are passed on as
 * they are. */
static ckp_status stream_part(ckp_output *o, const part *p, double **rec, double *tmp,
                              const ckp_merge_options *mo, ckp_error *err)
{
    const ckp_layout *lay = o->lay;
    ckp_output_slices *s = NULL;
    hid_t *src = malloc((size_t)o->npol * CKP_M_COUNT * sizeof *src), file = -1;
    if (!src)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_status st = bad_part(ckp_output_slices_open(p->path, &s, err), err);
    if (st == CKP_OK)
        st = bad_part(check_shapes(s, p, lay, err), err);
    int raw = st == CKP_OK && open_sources(o, p, &file, src);
    int last = p->first + p->paths == o->first_path + o->paths;
    for (int64_t at = 0; st == CKP_OK && at < p->paths; at += CKP_CHUNK_PATHS) {
        int64_t n = p->paths - at < CKP_CHUNK_PATHS ? p->paths - at : CKP_CHUNK_PATHS;
        if (raw && (n == CKP_CHUNK_PATHS || last)) {
            st = ckp_writer_copy_chunks(o, src, at, n, p->path, err);
        } else {
            if (st == CKP_OK)
                st = bad_part(read_records(s, p, lay, at, n, rec, tmp, err), err);
            if (st == CKP_OK)
                st = o->sink.write_batch(o->sink.ctx, lay, p->first + at, n, o->npol,
                                         (const double *const *)rec, err);
        }
        if (st == CKP_OK && mo && mo->progress &&
            mo->progress(mo->progress_ctx, p->first + at + n - o->first_path, o->paths) != 0)
            st = CKP_FAIL(err, CKP_ERR_CANCELLED, "stopped after %lld of %lld paths",
                          (long long)(p->first + at + n - o->first_path), (long long)o->paths);
    }
    if (raw) {
        for (int i = 0; i < o->npol * CKP_M_COUNT; i++)
            H5Dclose(src[i]);
        H5Fclose(file);
    }
    free(src);
    ckp_output_slices_close(s);
    return st;
}

static ckp_status stream_all(ckp_output *o, const part *ps, int n, const ckp_merge_options *mo,
                             ckp_error *err)
{
    const ckp_layout *lay = o->lay;
    size_t widest = 1;
    for (int j = 0; j < CKP_M_COUNT; j++)
        widest = lay->length[j] > widest ? lay->length[j] : widest;
    double *tmp = malloc(CKP_CHUNK_PATHS * widest * sizeof *tmp);
    double **rec = calloc((size_t)o->npol, sizeof *rec);
    ckp_status st = tmp && rec ? CKP_OK : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    for (int k = 0; st == CKP_OK && k < o->npol; k++)
        if (!(rec[k] = malloc(CKP_CHUNK_PATHS * lay->record * sizeof **rec)))
            st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    for (int i = 0; st == CKP_OK && i < n; i++)
        st = stream_part(o, &ps[i], rec, tmp, mo, err);
    if (rec)
        for (int k = 0; k < o->npol; k++)
            free(rec[k]);
    free(rec);
    free(tmp);
    return st;
}

/* The root attribute naming the parts: "PATH paths A..B", one line each. */
static ckp_status put_parts(ckp_output *o, const part *ps, int n, ckp_error *err)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(ps[i].path) + 64;
    char *s = malloc(len), *w = s;
    if (!s)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    *w = '\0';
    for (int i = 0; i < n; i++)
        w += snprintf(w, len - (size_t)(w - s), "%s%s paths %lld..%lld", i ? "\n" : "", ps[i].path,
                      (long long)ps[i].first, (long long)(ps[i].first + ps[i].paths - 1));
    herr_t rc = ckp_h5_attr_str(o->file, CKP_A_MERGED_PARTS, o->str, s);
    free(s);
    return rc < 0 ? ckp_h5_error(err, "%s: cannot write the attribute %s", o->pub.target,
                                 CKP_A_MERGED_PARTS)
                  : CKP_OK;
}

/* Read and check every part (sorted by range on return). */
static ckp_status read_parts(const char *const *paths, int n, part *ps, ckp_error *err)
{
    for (int i = 0; i < n; i++) {
        CKP_TRY(read_part(paths[i], &ps[i], err));
        if (i > 0)
            CKP_TRY(same_run(&ps[0], &ps[i], err));
    }
    qsort(ps, (size_t)n, sizeof *ps, by_range);
    return check_ranges(ps, n, err);
}

ckp_status ckp_output_merge(const char *const *paths, int nparts, const char *target,
                            const ckp_output_options *oo, const ckp_merge_options *mo,
                            ckp_error *err)
{
    if (nparts < 1 || !paths || !target || !target[0])
        return CKP_FAIL(err, CKP_ERR_USAGE, "merge: no parts or no output file given");
    part *ps = calloc((size_t)nparts, sizeof *ps);
    if (!ps)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    ckp_scenario *sc = NULL;
    ckp_plan *plan = NULL;
    ckp_run_result *res = NULL;
    ckp_output *o = NULL;
    int *idx = NULL;
    ckp_status st = read_parts(paths, nparts, ps, err);
    if (st == CKP_OK)
        st = check_target(ps, nparts, target, err);
    if (st == CKP_OK)
        st = load_scenario(&ps[0], &sc, err);
    if (st == CKP_OK)
        st = policy_indices(sc, &ps[0], &idx, err);
    int64_t first = ps[0].first, last = ps[nparts - 1].first + ps[nparts - 1].paths;
    if (st == CKP_OK)
        st = make_plan(sc, &ps[0], idx, first, last - first, &plan, err);
    if (st == CKP_OK)
        st = merged_result(sc, ps, nparts, idx, &res, err);
    if (st == CKP_OK)
        st = ckp_output_open(target, plan, oo, &o, err);
    if (st == CKP_OK && mo && mo->record_parts)
        st = put_parts(o, ps, nparts, err);
    if (st == CKP_OK)
        st = stream_all(o, ps, nparts, mo, err);
    if (st == CKP_OK) {
        st = ckp_output_finish(o, res, err);
        o = NULL;
    }
    ckp_output_abort(o);
    ckp_run_result_free(res);
    ckp_plan_free(plan);
    ckp_scenario_free(sc);
    free(idx);
    for (int i = 0; i < nparts; i++)
        part_free(&ps[i]);
    free(ps);
    return st;
}
