/* chokepoint: loading, validating and resolving scenarios (MODEL.md section 2).
 *
 * A scenario text becomes a document tree (scenario_tree.c), the tree is
 * checked key by key and turned into the numeric ckp_model of the baseline,
 * and each policy's `changes` are deep-merged over a copy of the baseline tree
 * and resolved the same way. Every refusal names the file, line, column, key
 * path, what was expected and what was found. The format is documented key by
 * key in docs/scenario-format.md; keep the two in step. */
#include "chokepoint/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/linalg/linalg.h"
#include "engine/scenario/scenario_tree.h"

extern const char ckp_default_scenario_yaml[];
extern const unsigned long ckp_default_scenario_yaml_len;

/* Shares, initial distributions and transition rows: |sum - 1| <= this. */
#define SUM_TOL 1e-9
/* Correlation matrices: |R[i,j] - R[j,i]| <= this (as ckp_linalg_cholesky). */
#define SYM_TOL 1e-12

struct ckp_scenario_priv {
    ynode *base;      /* the baseline document, without `policies` */
    ynode **merged;   /* npolicies: [0] NULL (= base); the merged documents */
    ynode **policy;   /* npolicies: [0] NULL; the policy entries as written */
};

/* ---- context, key paths and messages ------------------------------------ */

typedef struct rctx {
    const char *file;
    const char *basedir;
    ckp_error *err;
    char prefix[200];   /* "policies[x].changes" while resolving a policy */
    char path[400];
    size_t plen;
    /* dimension names, shared by every policy */
    int S, K, M, I;
    char **sup, **reg, **mat, **ind;
    const char *importer;
    int imp;            /* importer index among suppliers or -1 */
} rctx;

static size_t push(rctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static size_t push(rctx *c, const char *fmt, ...)
{
    size_t old = c->plen;
    if (c->plen < sizeof c->path - 1) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
        va_end(ap);
        if (n > 0)
            c->plen += (size_t)n < sizeof c->path - c->plen ? (size_t)n
                                                             : sizeof c->path - c->plen - 1;
    }
    return old;
}

static size_t pkey(rctx *c, const char *key)
{
    return c->plen ? push(c, ".%s", key) : push(c, "%s", key);
}

static void prest(rctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

static ckp_status failv(rctx *c, ckp_status code, const ynode *at, const char *fmt,
                        va_list ap)
{
    char msg[1600], full[640];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (c->prefix[0] && c->path[0])
        snprintf(full, sizeof full, "%s.%s", c->prefix, c->path);
    else
        snprintf(full, sizeof full, "%s", c->prefix[0] ? c->prefix : c->path);
    return ckp_error_set(c->err, code, c->file, at ? at->line : 0, at ? at->col : 0, full,
                         "%s", msg);
}

static ckp_status fail(rctx *c, const ynode *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static ckp_status fail(rctx *c, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ckp_status s = failv(c, CKP_ERR_CONFIG, at, fmt, ap);
    va_end(ap);
    return s;
}

static ckp_status fail_code(rctx *c, ckp_status code, const ynode *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static ckp_status fail_code(rctx *c, ckp_status code, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ckp_status s = failv(c, code, at, fmt, ap);
    va_end(ap);
    return s;
}

#define TRY(x)                                                                                 \
    do {                                                                                       \
        ckp_status try_s_ = (x);                                                               \
        if (try_s_ != CKP_OK)                                                                  \
            return try_s_;                                                                     \
    } while (0)

/* What a node is, for "found ..." */
static const char *describe(const ynode *n, char *buf, size_t cap)
{
    if (!n)
        return "nothing";
    if (n->kind == YN_SEQ)
        return "a sequence";
    if (n->kind == YN_MAP)
        return "a mapping";
    if (n->text[0] == '\0')
        return "an empty value";
    size_t len = strlen(n->text);
    if (len > 40)
        snprintf(buf, cap, "%s'%.37s...'", n->plain ? "" : "the quoted text ", n->text);
    else
        snprintf(buf, cap, "%s'%s'", n->plain ? "" : "the quoted text ", n->text);
    return buf;
}

/* Levenshtein distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* " (did you mean 'x'?)" or "" */
static const char *suggest(const char *word, const char *const *cands, int n, char *buf,
                           size_t cap)
{
    size_t best = 1000;
    int bi = -1;
    for (int i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d < best) {
            best = d;
            bi = i;
        }
    }
    size_t lim = strlen(word) / 3;
    if (lim < 2)
        lim = 2;
    /* a "suggestion" that rewrites the whole word is noise */
    if (bi < 0 || best > lim || best >= strlen(word))
        return "";
    snprintf(buf, cap, " (did you mean '%s'?)", cands[bi]);
    return buf;
}

/* "a, b, c" (shortened for long lists) */
static const char *listing(const char *const *names, int n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= cap - used || (i >= 12 && i + 1 < n)) {
            if (used + 6 < cap)
                snprintf(buf + used, cap - used, ", ...");
            return buf;
        }
        used += (size_t)w;
    }
    return buf;
}

static ckp_status check_keys(rctx *c, const ynode *map, const char *const *allowed)
{
    int na = 0;
    while (allowed[na])
        na++;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->text;
        int ok = 0;
        for (int j = 0; j < na && !ok; j++)
            ok = strcmp(k, allowed[j]) == 0;
        if (!ok) {
            char sb[128], lb[600];
            size_t old = pkey(c, k);
            ckp_status s = fail(c, map->keys[i], "unknown key '%s'%s; expected one of: %s", k,
                                suggest(k, allowed, na, sb, sizeof sb),
                                listing(allowed, na, lb, sizeof lb));
            prest(c, old);
            return s;
        }
    }
    return CKP_OK;
}

static ckp_status expect_kind(rctx *c, const ynode *n, ynode_kind kind, const char *what)
{
    if (n->kind == kind)
        return CKP_OK;
    char b[96];
    return fail(c, n, "expected %s, found %s", what, describe(n, b, sizeof b));
}

static ckp_status missing(rctx *c, const ynode *map, const char *key, const char *what)
{
    size_t old = pkey(c, key);
    ckp_status s = fail(c, map, "missing key '%s' (expected %s)", key, what);
    prest(c, old);
    return s;
}

/* ---- scalars ------------------------------------------------------------ */

/* YAML 1.2 core-schema numbers: 0 = a finite number, 1 = not a number,
 * 2 = NaN or infinite (written .nan/.inf, nan/inf, or overflowing). */
static int parse_num(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (p[0] == '.' && (strcmp(p + 1, "inf") == 0 || strcmp(p + 1, "Inf") == 0 ||
                        strcmp(p + 1, "INF") == 0 || strcmp(p + 1, "nan") == 0 ||
                        strcmp(p + 1, "NaN") == 0 || strcmp(p + 1, "NAN") == 0))
        return 2;
    if (strcmp(p, "nan") == 0 || strcmp(p, "NaN") == 0 || strcmp(p, "inf") == 0 ||
        strcmp(p, "Inf") == 0 || strcmp(p, "infinity") == 0 || strcmp(p, "Infinity") == 0)
        return 2;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (!digits)
        return 1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return 1;
    errno = 0;
    double v = strtod(s, NULL);
    if (!isfinite(v))
        return 2;
    *out = v;
    return 0;
}

typedef struct range {
    double lo, hi;
    int lo_open, hi_open;
} range;

static const range ANY = {-HUGE_VAL, HUGE_VAL, 0, 0};
static const range NONNEG = {0, HUGE_VAL, 0, 0};
static const range POS = {0, HUGE_VAL, 1, 0};
static const range UNIT = {0, 1, 0, 0};

static const char *range_text(range r, char *buf, size_t cap)
{
    if (isinf(r.lo) && isinf(r.hi))
        snprintf(buf, cap, "a number");
    else if (isinf(r.hi))
        snprintf(buf, cap, "a number %s %g", r.lo_open ? ">" : ">=", r.lo);
    else if (isinf(r.lo))
        snprintf(buf, cap, "a number %s %g", r.hi_open ? "<" : "<=", r.hi);
    else
        snprintf(buf, cap, "a number in %c%g, %g%c", r.lo_open ? '(' : '[', r.lo, r.hi,
                 r.hi_open ? ')' : ']');
    return buf;
}

static ckp_status as_num(rctx *c, const ynode *n, range r, double *out)
{
    char rb[96], db[96];
    if (n->kind != YN_SCALAR || !n->plain)
        return fail(c, n, "expected %s, found %s", range_text(r, rb, sizeof rb),
                    describe(n, db, sizeof db));
    double v = 0;
    int k = parse_num(n->text, &v);
    if (k == 1)
        return fail(c, n, "expected %s, found %s", range_text(r, rb, sizeof rb),
                    describe(n, db, sizeof db));
    if (k == 2)
        return fail(c, n, "expected a finite number (%s), found %s", range_text(r, rb, sizeof rb),
                    describe(n, db, sizeof db));
    if (v < r.lo || v > r.hi || (r.lo_open && v == r.lo) || (r.hi_open && v == r.hi))
        return fail(c, n, "expected %s, found %.17g", range_text(r, rb, sizeof rb), v);
    *out = v;
    return CKP_OK;
}

/* map[key] as a number; `def` when absent and not required. */
static ckp_status get_num(rctx *c, const ynode *map, const char *key, int required, double def,
                          range r, double *out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        if (required) {
            char rb[96];
            return missing(c, map, key, range_text(r, rb, sizeof rb));
        }
        *out = def;
        return CKP_OK;
    }
    size_t old = pkey(c, key);
    ckp_status s = as_num(c, n, r, out);
    prest(c, old);
    return s;
}

static int parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!*p)
        return 1;
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return 1;
        if (v > (UINT64_MAX - 9) / 10)
            return 2;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return 2;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

static ckp_status get_int(rctx *c, const ynode *map, const char *key, int required,
                          int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
    const ynode *n = ckp_tree_get(map, key);
    char what[96], db[96];
    snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    if (!n) {
        if (required)
            return missing(c, map, key, what);
        *out = def;
        return CKP_OK;
    }
    size_t old = pkey(c, key);
    int64_t v = 0;
    ckp_status s = CKP_OK;
    int k = (n->kind == YN_SCALAR && n->plain) ? parse_int(n->text, &v) : 1;
    if (k != 0 || v < lo || v > hi)
        s = fail(c, n, "expected %s, found %s", what, describe(n, db, sizeof db));
    else
        *out = v;
    prest(c, old);
    return s;
}

static ckp_status get_seed(rctx *c, const ynode *map, uint64_t *out)
{
    const ynode *n = ckp_tree_get(map, "seed");
    *out = 1;
    if (!n)
        return CKP_OK;
    size_t old = pkey(c, "seed");
    ckp_status s = CKP_OK;
    const char *p = n->text;
    uint64_t v = 0;
    int ok = n->kind == YN_SCALAR && n->plain && *p;
    for (; ok && *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            ok = 0;
        else
            v = v * 10 + d;
    }
    char db[96];
    if (!ok)
        s = fail(c, n, "expected an integer in [0, 18446744073709551615], found %s",
                 describe(n, db, sizeof db));
    else
        *out = v;
    prest(c, old);
    return s;
}

static ckp_status get_bool(rctx *c, const ynode *map, const char *key, int def, int *out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        *out = def;
        return CKP_OK;
    }
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False",
                                                                            "FALSE"};
    if (n->kind == YN_SCALAR && n->plain)
        for (int i = 0; i < 3; i++) {
            if (strcmp(n->text, t[i]) == 0) {
                *out = 1;
                return CKP_OK;
            }
            if (strcmp(n->text, f[i]) == 0) {
                *out = 0;
                return CKP_OK;
            }
        }
    size_t old = pkey(c, key);
    char db[96];
    ckp_status s = fail(c, n, "expected true or false, found %s", describe(n, db, sizeof db));
    prest(c, old);
    return s;
}

/* A non-empty text value. */
static ckp_status as_text(rctx *c, const ynode *n, const char **out)
{
    char db[96];
    if (n->kind != YN_SCALAR || n->text[0] == '\0')
        return fail(c, n, "expected a non-empty text, found %s", describe(n, db, sizeof db));
    *out = n->text;
    return CKP_OK;
}

static ckp_status get_text(rctx *c, const ynode *map, const char *key, int required,
                           const char **out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        if (required)
            return missing(c, map, key, "a non-empty text");
        *out = NULL;
        return CKP_OK;
    }
    size_t old = pkey(c, key);
    ckp_status s = as_text(c, n, out);
    prest(c, old);
    return s;
}

static ckp_status get_enum(rctx *c, const ynode *map, const char *key,
                           const char *const *choices, int def, int *out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        *out = def;
        return CKP_OK;
    }
    int nc = 0;
    while (choices[nc])
        nc++;
    if (n->kind == YN_SCALAR)
        for (int i = 0; i < nc; i++)
            if (strcmp(n->text, choices[i]) == 0) {
                *out = i;
                return CKP_OK;
            }
    size_t old = pkey(c, key);
    char db[96], sb[128], lb[300];
    ckp_status s = fail(c, n, "expected one of %s, found %s%s", listing(choices, nc, lb, sizeof lb),
                        describe(n, db, sizeof db),
                        n->kind == YN_SCALAR ? suggest(n->text, choices, nc, sb, sizeof sb) : "");
    prest(c, old);
    return s;
}

static int find_name(char **names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* Index of a name in a dimension, or an error naming the known ones. */
static ckp_status lookup(rctx *c, const ynode *at, char **names, int n, const char *kind,
                         const char *s, int *out)
{
    int i = find_name(names, n, s);
    if (i >= 0) {
        *out = i;
        return CKP_OK;
    }
    char sb[128], lb[600];
    return fail(c, at, "unknown %s '%s'%s; expected one of: %s", kind, s,
                suggest(s, (const char *const *)names, n, sb, sizeof sb),
                listing((const char *const *)names, n, lb, sizeof lb));
}

/* ---- names of the dimensions -------------------------------------------- */

static void free_names(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Collect the names of a list of named mappings (suppliers, materials,
 * industries), refusing absurd counts before allocating. */
static ckp_status collect_list(rctx *c, const ynode *doc, const char *key, const char *kind,
                               const char *one, int limit, int *count, char ***out)
{
    const ynode *list = ckp_tree_get(doc, key);
    char what[128];
    snprintf(what, sizeof what, "a list of %s (mappings with a `name`)", kind);
    if (!list)
        return missing(c, doc, key, what);
    size_t old = pkey(c, key);
    ckp_status s = expect_kind(c, list, YN_SEQ, what);
    if (!s && list->n == 0)
        s = fail(c, list, "expected at least one entry in %s, found an empty list", key);
    if (!s && list->n > (size_t)limit)
        s = fail_code(c, CKP_ERR_NOMEM, list,
                      "refusing %zu %s (limit %d); expected at most %d", list->n, kind, limit,
                      limit);
    if (s) {
        prest(c, old);
        return s;
    }
    char **names = calloc(list->n, sizeof *names);
    if (!names) {
        prest(c, old);
        return fail_code(c, CKP_ERR_NOMEM, list, "out of memory");
    }
    for (size_t i = 0; i < list->n && !s; i++) {
        const ynode *it = list->items[i];
        size_t o2 = push(c, "[%zu]", i);
        const char *nm = NULL;
        s = expect_kind(c, it, YN_MAP, "a mapping with a `name`");
        if (!s)
            s = get_text(c, it, "name", 1, &nm);
        if (!s) {
            int j = find_name(names, (int)i, nm);
            if (j >= 0) {
                const ynode *prev = ckp_tree_get(list->items[j], "name");
                s = fail(c, ckp_tree_get(it, "name"),
                         "duplicate %s name '%s' (first at line %d); expected unique names",
                         one, nm, prev ? prev->line : 0);
            } else if (!(names[i] = strdup(nm))) {
                s = fail_code(c, CKP_ERR_NOMEM, it, "out of memory");
            }
        }
        prest(c, o2);
    }
    prest(c, old);
    if (s) {
        free_names(names, (int)list->n);
        return s;
    }
    *count = (int)list->n;
    *out = names;
    return CKP_OK;
}

static ckp_status collect_regimes(rctx *c, const ynode *doc)
{
    const ynode *list = ckp_tree_get(doc, "regimes");
    const char *what = "a list of regime names";
    if (!list)
        return missing(c, doc, "regimes", what);
    size_t old = pkey(c, "regimes");
    ckp_status s = expect_kind(c, list, YN_SEQ, what);
    if (!s && list->n == 0)
        s = fail(c, list, "expected at least one regime, found an empty list");
    if (!s && list->n > CKP_MAX_REGIMES)
        s = fail_code(c, CKP_ERR_NOMEM, list, "refusing %zu regimes (limit %d)", list->n,
                      CKP_MAX_REGIMES);
    if (!s && !(c->reg = calloc(list->n, sizeof *c->reg)))
        s = fail_code(c, CKP_ERR_NOMEM, list, "out of memory");
    for (size_t i = 0; !s && i < list->n; i++) {
        const char *nm = NULL;
        size_t o2 = push(c, "[%zu]", i);
        s = as_text(c, list->items[i], &nm);
        if (!s && find_name(c->reg, (int)i, nm) >= 0)
            s = fail(c, list->items[i], "duplicate regime name '%s'; expected unique names", nm);
        if (!s && !(c->reg[i] = strdup(nm)))
            s = fail_code(c, CKP_ERR_NOMEM, list, "out of memory");
        c->K = (int)i + 1;
        prest(c, o2);
    }
    prest(c, old);
    return s;
}

static void free_ctx_names(rctx *c)
{
    free_names(c->sup, c->S);
    free_names(c->reg, c->K);
    free_names(c->mat, c->M);
    free_names(c->ind, c->I);
    c->sup = c->reg = c->mat = c->ind = NULL;
    c->S = c->K = c->M = c->I = 0;
}

static ckp_status collect_names(rctx *c, const ynode *doc)
{
    TRY(collect_regimes(c, doc));
    TRY(collect_list(c, doc, "suppliers", "suppliers", "supplier", CKP_MAX_SUPPLIERS, &c->S, &c->sup));
    TRY(collect_list(c, doc, "materials", "materials", "material", CKP_MAX_MATERIALS, &c->M, &c->mat));
    TRY(collect_list(c, doc, "industries", "industries", "industry", CKP_MAX_INDUSTRIES, &c->I, &c->ind));
    c->imp = find_name(c->sup, c->S, c->importer);
    if ((double)c->S * c->K * c->M > CKP_MAX_BLOCK_CELLS)
        return fail_code(c, CKP_ERR_NOMEM, doc,
                         "refusing %d suppliers x %d regimes x %d materials = %.0f block cells "
                         "(limit %d)",
                         c->S, c->K, c->M, (double)c->S * c->K * c->M, CKP_MAX_BLOCK_CELLS);
    if ((double)c->I * c->I > CKP_MAX_MATRIX_CELLS)
        return fail_code(c, CKP_ERR_NOMEM, doc,
                         "refusing %d industries: the interdependency matrix would have %.0f "
                         "cells (limit %d)",
                         c->I, (double)c->I * c->I, CKP_MAX_MATRIX_CELLS);
    return CKP_OK;
}

/* ---- the model ---------------------------------------------------------- */

static void model_free(ckp_model *m)
{
    if (!m)
        return;
    void *ptrs[] = {m->route_off, m->route_share, m->route_exp_off, m->route_exp, m->P,
                    m->init, m->corr, m->block_min, m->block_mode, m->block_max, m->spare,
                    m->tau_up, m->tau_down, m->stock0, m->target, m->max_release, m->trigger,
                    m->refill, m->p0, m->volume, m->eta, m->cap, m->price_floor, m->phi,
                    m->sigma, m->lambda, m->muJ, m->sigmaJ, m->price_corr, m->C, m->Astar,
                    m->Kres, m->X};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        free(ptrs[i]);
    memset(m, 0, sizeof *m);
}

static double model_doubles(int S, int K, int M, int I)
{
    return (double)S * K * K + (double)S * K + (double)S * S + 3.0 * S * K * M +
           (double)S * M + 17.0 * M + (double)M * M + (double)M * I + (double)I * I + 2.0 * I;
}

static int model_alloc(ckp_model *m, int S, int K, int M, int I)
{
    size_t s = (size_t)S, k = (size_t)K, mm = (size_t)M, i = (size_t)I;
#define A(f, n) (m->f = calloc((n) + 1, sizeof *m->f)) == NULL
    if (A(route_off, mm + 1) || A(P, s * k * k) || A(init, s * k) || A(corr, s * s) ||
        A(block_min, s * k * mm) || A(block_mode, s * k * mm) || A(block_max, s * k * mm) ||
        A(spare, s * mm) || A(tau_up, mm) || A(tau_down, mm) || A(stock0, mm) ||
        A(target, mm) || A(max_release, mm) || A(trigger, mm) || A(refill, mm) || A(p0, mm) ||
        A(volume, mm) || A(eta, mm) || A(cap, mm) || A(price_floor, mm) || A(phi, mm) ||
        A(sigma, mm) || A(lambda, mm) || A(muJ, mm) || A(sigmaJ, mm) ||
        A(price_corr, mm * mm) || A(C, mm * i) || A(Astar, i * i) || A(Kres, i) || A(X, i))
        return -1;
#undef A
    m->S = S;
    m->K = K;
    m->M = M;
    m->I = I;
    return 0;
}

/* ---- probability vectors ------------------------------------------------ */

/* A vector over the regimes: a list in regime order or a mapping
 * regime -> probability (absent regimes 0). Checked to be >= 0 and sum to 1
 * within SUM_TOL, then divided by its sum added left to right. */
static ckp_status prob_vector(rctx *c, const ynode *n, double *out)
{
    int K = c->K;
    for (int k = 0; k < K; k++)
        out[k] = 0.0;
    if (n->kind == YN_SEQ) {
        if (n->n != (size_t)K) {
            char lb[600];
            return fail(c, n, "expected %d probabilities (one per regime: %s), found %zu", K,
                        listing((const char *const *)c->reg, K, lb, sizeof lb), n->n);
        }
        for (int k = 0; k < K; k++) {
            size_t old = push(c, "[%d]", k);
            ckp_status s = as_num(c, n->items[k], UNIT, &out[k]);
            prest(c, old);
            TRY(s);
        }
    } else if (n->kind == YN_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            int k = 0;
            size_t old = pkey(c, n->keys[i]->text);
            ckp_status s = lookup(c, n->keys[i], c->reg, K, "regime", n->keys[i]->text, &k);
            if (!s)
                s = as_num(c, n->items[i], UNIT, &out[k]);
            prest(c, old);
            TRY(s);
        }
    } else {
        char db[96];
        return fail(c, n, "expected a list of %d probabilities or a mapping regime: probability, "
                          "found %s",
                    K, describe(n, db, sizeof db));
    }
    double sum = 0.0;
    for (int k = 0; k < K; k++)
        sum += out[k];
    if (!(fabs(sum - 1.0) <= SUM_TOL))
        return fail(c, n, "expected probabilities summing to 1 (within 1e-9), found sum %.17g",
                    sum);
    for (int k = 0; k < K; k++)
        out[k] /= sum;
    return CKP_OK;
}

/* ---- suppliers ---------------------------------------------------------- */

static ckp_status block_value(rctx *c, const ynode *n, double *lo, double *mode, double *hi)
{
    if (n->kind == YN_MAP) {
        static const char *const keys[] = {"min", "mode", "max", NULL};
        TRY(check_keys(c, n, keys));
        TRY(get_num(c, n, "min", 1, 0, UNIT, lo));
        TRY(get_num(c, n, "mode", 1, 0, UNIT, mode));
        TRY(get_num(c, n, "max", 1, 0, UNIT, hi));
        if (*lo > *mode)
            return fail(c, n, "expected min <= mode <= max, found min %g > mode %g", *lo, *mode);
        if (*mode > *hi)
            return fail(c, n, "expected min <= mode <= max, found mode %g > max %g", *mode, *hi);
        return CKP_OK;
    }
    if (n->kind != YN_SCALAR) {
        char db[96];
        return fail(c, n, "expected a number in [0, 1] or {min, mode, max}, found %s",
                    describe(n, db, sizeof db));
    }
    TRY(as_num(c, n, UNIT, lo));
    *mode = *hi = *lo;
    return CKP_OK;
}

static ckp_status resolve_supplier(rctx *c, const ynode *it, int s, ckp_model *m)
{
    static const char *const keys[] = {"name", "description", "initial", "transitions", "block",
                                       NULL};
    int K = c->K, M = c->M;
    TRY(check_keys(c, it, keys));

    /* initial: a regime name or a distribution; the first regime by default */
    const ynode *ini = ckp_tree_get(it, "initial");
    double *init = m->init + (size_t)s * K;
    if (!ini) {
        init[0] = 1.0;
    } else {
        size_t old = pkey(c, "initial");
        ckp_status st = CKP_OK;
        if (ini->kind == YN_SCALAR) {
            int k = 0;
            st = lookup(c, ini, c->reg, K, "regime", ini->text, &k);
            if (!st)
                init[k] = 1.0;
        } else if (ini->kind == YN_MAP) {
            st = prob_vector(c, ini, init);
        } else {
            char db[96];
            st = fail(c, ini, "expected a regime name or a mapping regime: probability, found %s",
                      describe(ini, db, sizeof db));
        }
        prest(c, old);
        TRY(st);
    }

    /* transitions: every "from" regime needs a row; none at all = never moves */
    const ynode *tr = ckp_tree_get(it, "transitions");
    double *P = m->P + (size_t)s * K * K;
    if (!tr) {
        for (int k = 0; k < K; k++)
            P[k * K + k] = 1.0;
    } else {
        size_t old = pkey(c, "transitions");
        ckp_status st = expect_kind(c, tr, YN_MAP, "a mapping from regime to a row of probabilities");
        for (size_t i = 0; !st && i < tr->n; i++) {
            int k = 0;
            st = lookup(c, tr->keys[i], c->reg, K, "regime", tr->keys[i]->text, &k);
        }
        for (int k = 0; !st && k < K; k++) {
            const ynode *row = ckp_tree_get(tr, c->reg[k]);
            char lb[600];
            if (!row) {
                st = fail(c, tr, "missing row '%s' (expected one row per regime: %s)", c->reg[k],
                          listing((const char *const *)c->reg, K, lb, sizeof lb));
                break;
            }
            size_t o2 = pkey(c, c->reg[k]);
            st = prob_vector(c, row, P + (size_t)k * K);
            prest(c, o2);
        }
        prest(c, old);
        TRY(st);
    }

    /* block: regime -> material -> fraction; 0 where not listed */
    const ynode *bl = ckp_tree_get(it, "block");
    if (bl) {
        size_t old = pkey(c, "block");
        ckp_status st = expect_kind(c, bl, YN_MAP, "a mapping from regime to materials");
        for (size_t i = 0; !st && i < bl->n; i++) {
            int k = 0;
            size_t o2 = pkey(c, bl->keys[i]->text);
            st = lookup(c, bl->keys[i], c->reg, K, "regime", bl->keys[i]->text, &k);
            const ynode *mm = bl->items[i];
            if (!st)
                st = expect_kind(c, mm, YN_MAP, "a mapping from material to a blocked fraction");
            for (size_t j = 0; !st && j < mm->n; j++) {
                int mi = 0;
                size_t o3 = pkey(c, mm->keys[j]->text);
                st = lookup(c, mm->keys[j], c->mat, M, "material", mm->keys[j]->text, &mi);
                size_t at = ((size_t)s * K + k) * M + mi;
                if (!st)
                    st = block_value(c, mm->items[j], &m->block_min[at], &m->block_mode[at],
                                     &m->block_max[at]);
                if (!st && s == c->imp && m->block_max[at] > 0.0)
                    st = fail(c, mm->items[j],
                              "expected 0: '%s' is the importer (domestic supply), whose regime "
                              "never blocks, found %g",
                              c->importer, m->block_max[at]);
                prest(c, o3);
            }
            prest(c, o2);
        }
        prest(c, old);
        TRY(st);
    }
    return CKP_OK;
}

/* ---- materials ---------------------------------------------------------- */

static ckp_status route_name(rctx *c, const ynode *route, size_t r, char *buf, size_t cap)
{
    (void)c;
    if (!ckp_tree_item_name(route, buf, cap))
        snprintf(buf, cap, "%zu", r);
    return CKP_OK;
}

static ckp_status resolve_routes(rctx *c, const ynode *routes, int mi, ckp_model *m, int *nr,
                                 int *ne)
{
    int r0 = *nr;
    double sum = 0.0;
    for (size_t r = 0; r < routes->n; r++) {
        const ynode *rt = routes->items[r];
        char nm[160];
        route_name(c, rt, r, nm, sizeof nm);
        size_t old = push(c, "[%s]", nm);
        static const char *const keys[] = {"name", "path", "share", NULL};
        ckp_status st = expect_kind(c, rt, YN_MAP, "a route mapping {path, share}");
        if (!st)
            st = check_keys(c, rt, keys);
        if (!st && ckp_tree_get(rt, "name")) {
            const char *t;
            size_t o2 = pkey(c, "name");
            st = as_text(c, ckp_tree_get(rt, "name"), &t);
            prest(c, o2);
        }
        /* route names (explicit or from the path) must be unique: policies
         * merge routes by name */
        for (size_t q = 0; !st && q < r; q++) {
            char other[160];
            route_name(c, routes->items[q], q, other, sizeof other);
            if (strcmp(other, nm) == 0)
                st = fail(c, rt,
                          "duplicate route '%s' (first at line %d); expected unique route names "
                          "(give `name` to tell routes with the same path apart)",
                          nm, routes->items[q]->line);
        }
        const ynode *path = st ? NULL : ckp_tree_get(rt, "path");
        if (!st && !path)
            st = missing(c, rt, "path", "a list of country codes, first the mine");
        if (!st) {
            size_t o2 = pkey(c, "path");
            st = expect_kind(c, path, YN_SEQ, "a list of country codes");
            if (!st && (path->n == 0 || path->n > CKP_MAX_ROUTE_COUNTRIES))
                st = fail(c, path, "expected 1 to %d countries, found %zu",
                          CKP_MAX_ROUTE_COUNTRIES, path->n);
            m->route_exp_off[*nr] = *ne;
            for (size_t j = 0; !st && j < path->n; j++) {
                const char *cc = NULL;
                size_t o3 = push(c, "[%zu]", j);
                st = as_text(c, path->items[j], &cc);
                int si = -1;
                if (!st && strcmp(cc, c->importer) != 0)
                    st = lookup(c, path->items[j], c->sup, c->S, "supplier", cc, &si);
                /* exp(r): distinct countries other than the importer */
                if (!st && si >= 0) {
                    int seen = 0;
                    for (int e = m->route_exp_off[*nr]; e < *ne; e++)
                        seen |= m->route_exp[e] == si;
                    if (!seen)
                        m->route_exp[(*ne)++] = si;
                }
                prest(c, o3);
            }
            prest(c, o2);
        }
        if (!st)
            st = get_num(c, rt, "share", 1, 0, UNIT, &m->route_share[*nr]);
        prest(c, old);
        TRY(st);
        sum += m->route_share[*nr];
        (*nr)++;
        m->route_exp_off[*nr] = *ne;
    }
    if (!(fabs(sum - 1.0) <= SUM_TOL))
        return fail(c, routes, "expected route shares summing to 1 (within 1e-9), found sum %.17g",
                    sum);
    for (int r = r0; r < *nr; r++)
        m->route_share[r] /= sum;
    (void)mi;
    return CKP_OK;
}

static ckp_status resolve_material(rctx *c, const ynode *it, int mi, ckp_model *m, int *nr,
                                   int *ne)
{
    static const char *const keys[] = {"name", "description", "routes", "spare", "ramp",
                                       "stockpile", "price", NULL};
    int M = c->M;
    TRY(check_keys(c, it, keys));

    const ynode *routes = ckp_tree_get(it, "routes");
    if (!routes)
        return missing(c, it, "routes", "a list of routes {path, share}");
    size_t old = pkey(c, "routes");
    ckp_status st = CKP_OK;
    if (routes->n == 0 && routes->kind == YN_SEQ)
        st = fail(c, routes, "expected at least one route, found an empty list");
    if (!st)
        st = resolve_routes(c, routes, mi, m, nr, ne);
    prest(c, old);
    TRY(st);

    const ynode *sp = ckp_tree_get(it, "spare");
    if (sp) {
        old = pkey(c, "spare");
        st = expect_kind(c, sp, YN_MAP, "a mapping from supplier to spare capacity");
        for (size_t i = 0; !st && i < sp->n; i++) {
            int s = 0;
            size_t o2 = pkey(c, sp->keys[i]->text);
            st = lookup(c, sp->keys[i], c->sup, c->S, "supplier", sp->keys[i]->text, &s);
            if (!st)
                st = as_num(c, sp->items[i], NONNEG, &m->spare[(size_t)s * M + mi]);
            prest(c, o2);
        }
        prest(c, old);
        TRY(st);
    }

    const ynode *ramp = ckp_tree_get(it, "ramp");
    m->tau_up[mi] = m->tau_down[mi] = 0.0;
    if (ramp) {
        static const char *const rk[] = {"up_months", "down_months", NULL};
        old = pkey(c, "ramp");
        st = expect_kind(c, ramp, YN_MAP, "a mapping {up_months, down_months}");
        if (!st)
            st = check_keys(c, ramp, rk);
        if (!st)
            st = get_num(c, ramp, "up_months", 0, 0.0, NONNEG, &m->tau_up[mi]);
        if (!st)
            st = get_num(c, ramp, "down_months", 0, 0.0, NONNEG, &m->tau_down[mi]);
        prest(c, old);
        TRY(st);
    }

    const ynode *sk = ckp_tree_get(it, "stockpile");
    double days = 0, target_days = 0;
    m->max_release[mi] = 1.0;
    if (sk) {
        static const char *const kk[] = {"days", "target_days", "max_release", "trigger",
                                         "refill", NULL};
        old = pkey(c, "stockpile");
        st = expect_kind(c, sk, YN_MAP, "a mapping {days, target_days, max_release, trigger, refill}");
        if (!st)
            st = check_keys(c, sk, kk);
        if (!st)
            st = get_num(c, sk, "days", 0, 0.0, NONNEG, &days);
        if (!st)
            st = get_num(c, sk, "target_days", 0, days, NONNEG, &target_days);
        if (!st)
            st = get_num(c, sk, "max_release", 0, 1.0, NONNEG, &m->max_release[mi]);
        if (!st)
            st = get_num(c, sk, "trigger", 0, 0.0, NONNEG, &m->trigger[mi]);
        if (!st)
            st = get_num(c, sk, "refill", 0, 0.0, NONNEG, &m->refill[mi]);
        prest(c, old);
        TRY(st);
    }
    m->stock0[mi] = days / CKP_DAYS_PER_MONTH;
    m->target[mi] = target_days / CKP_DAYS_PER_MONTH;

    const ynode *pr = ckp_tree_get(it, "price");
    if (!pr)
        return missing(c, it, "price", "a mapping {base, volume, elasticity, cap, ...}");
    static const char *const pk[] = {"base", "volume", "elasticity", "cap", "floor", "phi",
                                     "sigma", "jump_prob", "jump_mean", "jump_sd", NULL};
    static const range CAP = {0.1, HUGE_VAL, 1, 0};
    static const range PHI = {-1, 1, 0, 0};
    old = pkey(c, "price");
    st = expect_kind(c, pr, YN_MAP, "a mapping {base, volume, elasticity, cap, ...}");
    if (!st)
        st = check_keys(c, pr, pk);
    if (!st)
        st = get_num(c, pr, "base", 1, 0, POS, &m->p0[mi]);
    if (!st)
        st = get_num(c, pr, "volume", 1, 0, NONNEG, &m->volume[mi]);
    if (!st)
        st = get_num(c, pr, "elasticity", 1, 0, POS, &m->eta[mi]);
    if (!st)
        st = get_num(c, pr, "cap", 1, 0, CAP, &m->cap[mi]);
    if (!st)
        st = get_num(c, pr, "floor", 0, 0.0, NONNEG, &m->price_floor[mi]);
    if (!st)
        st = get_num(c, pr, "phi", 0, 0.0, PHI, &m->phi[mi]);
    if (!st)
        st = get_num(c, pr, "sigma", 0, 0.0, NONNEG, &m->sigma[mi]);
    if (!st)
        st = get_num(c, pr, "jump_prob", 0, 0.0, UNIT, &m->lambda[mi]);
    if (!st)
        st = get_num(c, pr, "jump_mean", 0, 0.0, ANY, &m->muJ[mi]);
    if (!st)
        st = get_num(c, pr, "jump_sd", 0, 0.0, NONNEG, &m->sigmaJ[mi]);
    prest(c, old);
    return st;
}

/* ---- industries --------------------------------------------------------- */

static ckp_status resolve_industry(rctx *c, const ynode *it, int i, ckp_model *m)
{
    static const char *const keys[] = {"name", "description", "output", "criticality",
                                       "resilience", NULL};
    static const range RES = {0, 1, 1, 0};
    TRY(check_keys(c, it, keys));
    TRY(get_num(c, it, "output", 1, 0, NONNEG, &m->X[i]));
    TRY(get_num(c, it, "resilience", 0, 1.0, RES, &m->Kres[i]));
    const ynode *cr = ckp_tree_get(it, "criticality");
    if (!cr)
        return CKP_OK;
    size_t old = pkey(c, "criticality");
    ckp_status st = expect_kind(c, cr, YN_MAP, "a mapping from material to criticality in [0, 1]");
    for (size_t j = 0; !st && j < cr->n; j++) {
        int mi = 0;
        size_t o2 = pkey(c, cr->keys[j]->text);
        st = lookup(c, cr->keys[j], c->mat, c->M, "material", cr->keys[j]->text, &mi);
        if (!st)
            st = as_num(c, cr->items[j], UNIT, &m->C[(size_t)mi * c->I + i]);
        prest(c, o2);
    }
    prest(c, old);
    return st;
}

/* ---- matrices: inline or CSV -------------------------------------------- */

static char *join_dir(const char *dir, const char *file)
{
    size_t ld = dir ? strlen(dir) : 0, lf = strlen(file);
    char *p = malloc(ld + lf + 2);
    if (!p)
        return NULL;
    if (file[0] == '/' || ld == 0) {
        memcpy(p, file, lf + 1);
    } else {
        memcpy(p, dir, ld);
        p[ld] = '/';
        memcpy(p + ld + 1, file, lf + 1);
    }
    return p;
}

static char *read_whole(const char *path, size_t limit, size_t *len, int *too_big)
{
    *too_big = 0;
    /* Only regular files: a scenario naming a device or a FIFO must not hang,
     * so the type is checked before opening (opening a FIFO would block) and
     * again on the open descriptor (the name may have changed in between). */
    struct stat sb;
    if (stat(path, &sb) != 0)
        return NULL;
    if (!S_ISREG(sb.st_mode)) {
        errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        errno = EINVAL;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > limit) {
                *too_big = 1;
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return NULL;
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Read a rows x cols numeric CSV (commas; blank lines and lines starting
 * with '#' skipped). An optional first row of names, if present, must list
 * `names` in order. Errors point into the CSV file. */
static ckp_status read_csv(rctx *c, const ynode *at, const char *file, int rows, int cols,
                           char **names, double *out)
{
    char *path = join_dir(c->basedir, file);
    if (!path)
        return fail_code(c, CKP_ERR_NOMEM, at, "out of memory");
    size_t len = 0;
    int too_big = 0;
    char *text = read_whole(path, CKP_TREE_MAX_TEXT, &len, &too_big);
    if (!text) {
        ckp_status s = too_big ? fail_code(c, CKP_ERR_NOMEM, at,
                                           "refusing CSV file '%s' larger than %zu bytes", path,
                                           CKP_TREE_MAX_TEXT)
                               : fail_code(c, CKP_ERR_IO, at, "cannot read CSV file '%s': %s",
                                           path, strerror(errno));
        free(path);
        return s;
    }
    ckp_status st = CKP_OK;
    int row = 0, lineno = 0, first = 1;
    char *p = text;
    /* messages inside the CSV name the CSV, not the scenario */
    const char *saved_file = c->file;
    c->file = path;
    ynode pos = {0};
    while (*p && !st) {
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        if (eol)
            *eol = '\0';
        lineno++;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[--l] = '\0';
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '\0' || *q == '#') {
            p = next;
            continue;
        }
        /* split into cells */
        int col = 0, header = 0;
        char *cell = p;
        if (first) {
            double dummy;
            char *comma = strchr(p, ',');
            char save = comma ? *comma : '\0';
            if (comma)
                *comma = '\0';
            char *t = cell;
            while (*t == ' ')
                t++;
            header = parse_num(t, &dummy) == 1;
            if (comma)
                *comma = save;
        }
        first = 0;
        if (!header && row >= rows) {
            pos.line = lineno;
            pos.col = 1;
            st = fail(c, &pos, "expected %d rows, found more", rows);
            break;
        }
        for (;;) {
            char *comma = strchr(cell, ',');
            if (comma)
                *comma = '\0';
            char *t = cell;
            while (*t == ' ' || *t == '\t')
                t++;
            char *e = t + strlen(t);
            while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
                *--e = '\0';
            pos.line = lineno;
            pos.col = (int)(t - p) + 1;
            if (col >= cols) {
                st = fail(c, &pos, "expected %d columns, found more in row %d", cols, row + 1);
                break;
            }
            if (header) {
                if (names && strcmp(t, names[col]) != 0) {
                    st = fail(c, &pos, "expected the header name '%s' in column %d, found '%s'",
                              names[col], col + 1, t);
                    break;
                }
            } else {
                double v = 0;
                int k = parse_num(t, &v);
                if (k == 1) {
                    st = fail(c, &pos, "expected a number, found '%s' (row %d, column %d)", t,
                              row + 1, col + 1);
                    break;
                }
                if (k == 2) {
                    st = fail(c, &pos, "expected a finite number, found '%s' (row %d, column %d)",
                              t, row + 1, col + 1);
                    break;
                }
                out[(size_t)row * cols + col] = v;
            }
            col++;
            if (!comma)
                break;
            cell = comma + 1;
        }
        if (!st && col != cols) {
            pos.col = 1;
            st = fail(c, &pos, "expected %d columns, found %d in row %d", cols, col, row + 1);
        }
        if (!header)
            row++;
        p = next;
    }
    if (!st && row != rows) {
        pos.line = lineno;
        pos.col = 1;
        st = fail(c, &pos, "expected %d rows, found %d", rows, row);
    }
    c->file = saved_file;
    free(text);
    free(path);
    return st;
}

/* A rows x cols matrix: an inline list of rows. */
static ckp_status inline_matrix(rctx *c, const ynode *n, int rows, int cols, range r,
                                double *out)
{
    TRY(expect_kind(c, n, YN_SEQ, "a list of rows"));
    if (n->n != (size_t)rows)
        return fail(c, n, "expected %d rows, found %zu", rows, n->n);
    for (int i = 0; i < rows; i++) {
        const ynode *row = n->items[i];
        size_t old = push(c, "[%d]", i);
        ckp_status st = expect_kind(c, row, YN_SEQ, "a row (a list of numbers)");
        if (!st && row->n != (size_t)cols)
            st = fail(c, row, "expected %d entries in row %d, found %zu", cols, i, row->n);
        for (int j = 0; !st && j < cols; j++) {
            size_t o2 = push(c, "[%d]", j);
            st = as_num(c, row->items[j], r, &out[(size_t)i * cols + j]);
            prest(c, o2);
        }
        prest(c, old);
        TRY(st);
    }
    return CKP_OK;
}

/* {matrix: [[..]]} or {csv: file}: exactly one. */
static ckp_status matrix_spec(rctx *c, const ynode *spec, int n, char **names, range r,
                              double *out)
{
    static const char *const keys[] = {"matrix", "csv", NULL};
    TRY(expect_kind(c, spec, YN_MAP, "a mapping {matrix: [[...]]} or {csv: file}"));
    TRY(check_keys(c, spec, keys));
    const ynode *mx = ckp_tree_get(spec, "matrix"), *csv = ckp_tree_get(spec, "csv");
    if (!!mx == !!csv)
        return fail(c, spec, "expected exactly one of `matrix` or `csv`, found %s",
                    mx ? "both" : "neither");
    size_t old = pkey(c, mx ? "matrix" : "csv");
    ckp_status st;
    if (mx) {
        st = inline_matrix(c, mx, n, n, r, out);
    } else {
        const char *f = NULL;
        st = as_text(c, csv, &f);
        if (!st)
            st = read_csv(c, csv, f, n, n, names, out);
        if (!st)
            for (size_t i = 0; !st && i < (size_t)n * n; i++)
                if (out[i] < r.lo || out[i] > r.hi) {
                    char rb[96];
                    st = fail(c, csv, "expected entries %s, found %.17g at row %zu, column %zu",
                              range_text(r, rb, sizeof rb), out[i], i / n + 1, i % n + 1);
                }
    }
    prest(c, old);
    return st;
}

/* A correlation matrix: unit diagonal, symmetric, positive definite. */
static ckp_status correlation(rctx *c, const ynode *doc, const char *key, int n, char **names,
                              double *R, int *identity)
{
    const ynode *spec = ckp_tree_get(doc, key);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            R[(size_t)i * n + j] = i == j;
    *identity = 1;
    if (!spec)
        return CKP_OK;
    static const range CORR = {-1, 1, 0, 0};
    size_t old = pkey(c, key);
    ckp_status st = matrix_spec(c, spec, n, names, CORR, R);
    for (int i = 0; !st && i < n; i++) {
        if (R[(size_t)i * n + i] != 1.0)
            st = fail(c, spec, "expected 1 on the diagonal, found %.17g at [%s][%s]",
                      R[(size_t)i * n + i], names[i], names[i]);
        for (int j = 0; !st && j < i; j++)
            if (!(fabs(R[(size_t)i * n + j] - R[(size_t)j * n + i]) <= SYM_TOL))
                st = fail(c, spec,
                          "expected a symmetric matrix, found [%s][%s] = %.17g but [%s][%s] = "
                          "%.17g",
                          names[i], names[j], R[(size_t)i * n + j], names[j], names[i],
                          R[(size_t)j * n + i]);
    }
    if (!st) {
        double *L = malloc(sizeof(double) * (size_t)n * (size_t)n);
        if (!L)
            st = fail_code(c, CKP_ERR_NOMEM, spec, "out of memory");
        else if (ckp_linalg_cholesky(R, n, L) != 0)
            st = fail(c, spec,
                      "expected a positive definite correlation matrix, found one that is not "
                      "(its Cholesky factorisation fails)");
        free(L);
    }
    for (size_t i = 0; !st && i < (size_t)n * n; i++)
        if (R[i] != (double)(i / n == i % n))
            *identity = 0;
    prest(c, old);
    return st;
}

static ckp_status io_table(rctx *c, const ynode *io, double *A)
{
    int I = c->I;
    static const char *const keys[] = {"z", "z_csv", "x", "kappa", NULL};
    TRY(expect_kind(c, io, YN_MAP, "a mapping {z | z_csv, x, kappa}"));
    TRY(check_keys(c, io, keys));
    const ynode *z = ckp_tree_get(io, "z"), *zc = ckp_tree_get(io, "z_csv");
    if (!!z == !!zc)
        return fail(c, io, "expected exactly one of `z` or `z_csv`, found %s",
                    z ? "both" : "neither");
    double kappa = 1.0;
    TRY(get_num(c, io, "kappa", 0, 1.0, UNIT, &kappa));
    double *Z = malloc(sizeof(double) * ((size_t)I * I + I));
    if (!Z)
        return fail_code(c, CKP_ERR_NOMEM, io, "out of memory");
    double *x = Z + (size_t)I * I;
    ckp_status st;
    size_t old = pkey(c, z ? "z" : "z_csv");
    if (z) {
        st = inline_matrix(c, z, I, I, NONNEG, Z);
    } else {
        const char *f = NULL;
        st = as_text(c, zc, &f);
        if (!st)
            st = read_csv(c, zc, f, I, I, c->ind, Z);
        for (size_t i = 0; !st && i < (size_t)I * I; i++)
            if (!(Z[i] >= 0))
                st = fail(c, zc, "expected transactions >= 0, found %.17g at row %zu, column %zu",
                          Z[i], i / I + 1, i % I + 1);
    }
    prest(c, old);
    const ynode *xs = ckp_tree_get(io, "x");
    if (!st && !xs)
        st = missing(c, io, "x", "a list of total outputs > 0, one per industry");
    if (!st) {
        old = pkey(c, "x");
        st = expect_kind(c, xs, YN_SEQ, "a list of total outputs, one per industry");
        if (!st && xs->n != (size_t)I)
            st = fail(c, xs, "expected %d outputs (one per industry), found %zu", I, xs->n);
        for (int i = 0; !st && i < I; i++) {
            size_t o2 = push(c, "[%d]", i);
            st = as_num(c, xs->items[i], POS, &x[i]);
            prest(c, o2);
        }
        prest(c, old);
    }
    /* Supply-side interdependency: the share of i's output value bought from
     * j, scaled by substitutability (MODEL.md section 2). */
    for (int i = 0; !st && i < I; i++)
        for (int j = 0; j < I; j++)
            A[(size_t)i * I + j] = kappa * Z[(size_t)j * I + i] / x[i];
    free(Z);
    return st;
}

static ckp_status interdependency(rctx *c, const ynode *doc, double *A)
{
    const ynode *spec = ckp_tree_get(doc, "interdependency");
    int I = c->I;
    if (!spec)
        return CKP_OK; /* no spill-over between industries */
    size_t old = pkey(c, "interdependency");
    static const char *const keys[] = {"matrix", "csv", "io_table", NULL};
    ckp_status st = expect_kind(c, spec, YN_MAP, "a mapping {matrix | csv | io_table}");
    if (!st)
        st = check_keys(c, spec, keys);
    if (!st) {
        int n = !!ckp_tree_get(spec, "matrix") + !!ckp_tree_get(spec, "csv") +
                !!ckp_tree_get(spec, "io_table");
        if (n != 1)
            st = fail(c, spec, "expected exactly one of `matrix`, `csv` or `io_table`, found %d",
                      n);
    }
    if (!st) {
        const ynode *io = ckp_tree_get(spec, "io_table");
        if (io) {
            size_t o2 = pkey(c, "io_table");
            st = io_table(c, io, A);
            prest(c, o2);
        } else {
            st = matrix_spec(c, spec, I, c->ind, NONNEG, A);
        }
    }
    if (!st) {
        /* A norm bound below 1 proves rho < 1 without the eigen solver (seconds
         * for thousands of industries); the solver runs only when the bound
         * cannot decide, and then gives the radius the message reports. */
        double rho = ckp_linalg_norm_bound(A, I);
        if (!ckp_linalg_norm_proves_stable(rho, I)) {
            if (ckp_linalg_spectral_radius(A, I, &rho) != 0)
                st = fail_code(c, CKP_ERR_NUMERIC, spec,
                               "cannot compute the spectral radius of the interdependency "
                               "matrix");
            else if (!(rho < 1.0))
                st = fail(c, spec,
                          "expected an interdependency matrix with spectral radius below 1, "
                          "found %.6g (the losses would not converge)",
                          rho);
        }
    }
    prest(c, old);
    return st;
}

/* ---- one document -> one model ------------------------------------------ */

static ckp_status list_item(rctx *c, const ynode *doc, const char *key, int idx,
                            char **names, const ynode **it, size_t *old)
{
    *it = ckp_tree_get(doc, key)->items[idx];
    *old = pkey(c, key);
    push(c, "[%s]", names[idx]);
    return CKP_OK;
}

static ckp_status build_model(rctx *c, const ynode *doc, int T, double threshold, ckp_model *m)
{
    int S = c->S, K = c->K, M = c->M, I = c->I;
    if (model_alloc(m, S, K, M, I))
        return fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");
    m->T = T;
    m->importer = c->imp;
    m->shortfall_threshold = threshold;

    static const char *const props[] = {"static", "dynamic", NULL};
    static const char *const rules[] = {"independent", "bottleneck", "linear", NULL};
    int v = 0;
    TRY(get_enum(c, doc, "propagation", props, 0, &v));
    m->propagation = v ? CKP_PROP_DYNAMIC : CKP_PROP_STATIC;
    TRY(get_enum(c, doc, "rule", rules, 0, &v));
    m->rule = v == 1 ? CKP_RULE_BOTTLENECK : v == 2 ? CKP_RULE_LINEAR : CKP_RULE_INDEPENDENT;

    for (int s = 0; s < S; s++) {
        const ynode *it;
        size_t old;
        list_item(c, doc, "suppliers", s, c->sup, &it, &old);
        ckp_status st = resolve_supplier(c, it, s, m);
        prest(c, old);
        TRY(st);
    }

    /* routes: count first so the route arrays are allocated once */
    const ynode *mats = ckp_tree_get(doc, "materials");
    size_t nroutes = 0, npath = 0;
    for (int mi = 0; mi < M; mi++) {
        const ynode *routes = ckp_tree_get(mats->items[mi], "routes");
        if (!routes || routes->kind != YN_SEQ)
            continue;
        nroutes += routes->n;
        for (size_t r = 0; r < routes->n; r++) {
            const ynode *p = ckp_tree_get(routes->items[r], "path");
            if (p && p->kind == YN_SEQ)
                npath += p->n;
        }
    }
    if (nroutes > (size_t)INT32_MAX / 2 || npath > (size_t)INT32_MAX / 2)
        return fail_code(c, CKP_ERR_NOMEM, mats, "refusing %zu routes", nroutes);
    m->route_share = calloc(nroutes + 1, sizeof *m->route_share);
    m->route_exp_off = calloc(nroutes + 1, sizeof *m->route_exp_off);
    m->route_exp = calloc(npath + 1, sizeof *m->route_exp);
    if (!m->route_share || !m->route_exp_off || !m->route_exp)
        return fail_code(c, CKP_ERR_NOMEM, mats, "out of memory");
    int nr = 0, ne = 0;
    for (int mi = 0; mi < M; mi++) {
        const ynode *it;
        size_t old;
        list_item(c, doc, "materials", mi, c->mat, &it, &old);
        m->route_off[mi] = nr;
        ckp_status st = resolve_material(c, it, mi, m, &nr, &ne);
        prest(c, old);
        TRY(st);
    }
    m->route_off[M] = nr;
    m->nroutes = nr;

    for (int i = 0; i < I; i++) {
        const ynode *it;
        size_t old;
        list_item(c, doc, "industries", i, c->ind, &it, &old);
        ckp_status st = resolve_industry(c, it, i, m);
        prest(c, old);
        TRY(st);
    }

    TRY(correlation(c, doc, "supplier_correlation", S, c->sup, m->corr, &m->corr_identity));
    TRY(correlation(c, doc, "price_correlation", M, c->mat, m->price_corr,
                    &m->price_corr_identity));
    TRY(interdependency(c, doc, m->Astar));
    return CKP_OK;
}

/* ---- policies: deep merge and differences ------------------------------- */

/* Keys of which a mapping holds one: a policy giving one drops the others. */
static const char *const exclusive_groups[][4] = {
    {"matrix", "csv", "io_table", NULL},
    {"z", "z_csv", NULL, NULL},
};

static int named_list(const ynode *n)
{
    char b[8];
    if (n->kind != YN_SEQ)
        return 0;
    for (size_t i = 0; i < n->n; i++)
        if (!ckp_tree_item_name(n->items[i], b, sizeof b))
            return 0;
    return 1;
}

static ckp_status merge(rctx *c, ynode **dst, const ynode *src, const char *no_new_kind)
{
    ynode *d = *dst;
    if (d->kind == YN_MAP && src->kind == YN_MAP) {
        for (size_t i = 0; i < src->n; i++) {
            const char *k = src->keys[i]->text;
            for (size_t g = 0; g < sizeof exclusive_groups / sizeof exclusive_groups[0]; g++) {
                int in = 0;
                for (int j = 0; exclusive_groups[g][j]; j++)
                    in |= strcmp(exclusive_groups[g][j], k) == 0;
                for (int j = 0; in && exclusive_groups[g][j]; j++)
                    if (strcmp(exclusive_groups[g][j], k) != 0)
                        ckp_tree_remove(d, exclusive_groups[g][j]);
            }
            size_t old = pkey(c, k);
            ckp_status st = CKP_OK;
            int at = -1;
            for (size_t j = 0; j < d->n; j++)
                if (strcmp(d->keys[j]->text, k) == 0)
                    at = (int)j;
            if (at >= 0) {
                st = merge(c, &d->items[at], src->items[i], NULL);
            } else {
                ynode *kc = ckp_tree_copy(src->keys[i]), *vc = ckp_tree_copy(src->items[i]);
                if (!kc || !vc || ckp_tree_set(d, k, vc)) {
                    ckp_tree_free(vc);
                    st = fail_code(c, CKP_ERR_NOMEM, src, "out of memory");
                } else {
                    /* keep the policy's own position for messages */
                    ckp_tree_free(d->keys[d->n - 1]);
                    d->keys[d->n - 1] = kc;
                    kc = NULL;
                }
                ckp_tree_free(kc);
            }
            prest(c, old);
            TRY(st);
        }
        return CKP_OK;
    }
    if (no_new_kind && src->kind == YN_SEQ && src->n == 0)
        return CKP_OK;
    if (no_new_kind && (src->kind != YN_SEQ || !named_list(src))) {
        char db[96];
        return fail(c, src, "expected a list of %s named by `name` (a policy changes entries, "
                            "it cannot replace the list), found %s",
                    no_new_kind, describe(src, db, sizeof db));
    }
    if (d->kind == YN_SEQ && src->kind == YN_SEQ && src->n > 0 && named_list(src) &&
        named_list(d)) {
        for (size_t i = 0; i < src->n; i++) {
            char nm[160], other[160];
            ckp_tree_item_name(src->items[i], nm, sizeof nm);
            size_t old = push(c, "[%s]", nm);
            ckp_status st = CKP_OK;
            size_t j = 0;
            for (; j < d->n; j++) {
                ckp_tree_item_name(d->items[j], other, sizeof other);
                if (strcmp(nm, other) == 0)
                    break;
            }
            if (j < d->n) {
                st = merge(c, &d->items[j], src->items[i], NULL);
            } else if (no_new_kind) {
                st = fail(c, src->items[i],
                          "expected one of the baseline's %s, found the new entry '%s' (a policy "
                          "cannot add or remove %s)",
                          no_new_kind, nm, no_new_kind);
            } else {
                ynode *cp = ckp_tree_copy(src->items[i]);
                if (!cp || ckp_tree_append(d, cp)) {
                    ckp_tree_free(cp);
                    st = fail_code(c, CKP_ERR_NOMEM, src, "out of memory");
                }
            }
            prest(c, old);
            TRY(st);
        }
        return CKP_OK;
    }
    ynode *cp = ckp_tree_copy(src);
    if (!cp)
        return fail_code(c, CKP_ERR_NOMEM, src, "out of memory");
    ckp_tree_free(d);
    *dst = cp;
    return CKP_OK;
}

typedef struct dbuf {
    char *p;
    size_t used, cap;
    int nomem;
} dbuf;

static void dput(dbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->nomem)
        return;
    if (b->used + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->used + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->used, s, n + 1);
    b->used += n;
}

static void diff(const ynode *a, const ynode *b, char *path, size_t plen, size_t pcap, dbuf *out)
{
    if (ckp_tree_equal(a, b))
        return;
    if (a && b && a->kind == YN_MAP && b->kind == YN_MAP) {
        for (size_t i = 0; i < a->n; i++) {
            snprintf(path + plen, pcap - plen, "%s%s", plen ? "." : "", a->keys[i]->text);
            diff(a->items[i], ckp_tree_get(b, a->keys[i]->text), path, strlen(path), pcap, out);
        }
        char ida[160];
        int has_id = ckp_tree_item_name(a, ida, sizeof ida);
        for (size_t i = 0; i < b->n; i++)
            if (!ckp_tree_get(a, b->keys[i]->text)) {
                /* naming a route by its default name changes nothing */
                if (has_id && strcmp(b->keys[i]->text, "name") == 0 &&
                    b->items[i]->kind == YN_SCALAR && strcmp(b->items[i]->text, ida) == 0)
                    continue;
                snprintf(path + plen, pcap - plen, "%s%s", plen ? "." : "", b->keys[i]->text);
                diff(NULL, b->items[i], path, strlen(path), pcap, out);
            }
        path[plen] = '\0';
        return;
    }
    if (a && b && named_list(a) && named_list(b) && a->n && b->n) {
        char nm[160], other[160];
        for (size_t i = 0; i < a->n; i++) {
            ckp_tree_item_name(a->items[i], nm, sizeof nm);
            const ynode *match = NULL;
            for (size_t j = 0; j < b->n && !match; j++) {
                ckp_tree_item_name(b->items[j], other, sizeof other);
                if (strcmp(nm, other) == 0)
                    match = b->items[j];
            }
            snprintf(path + plen, pcap - plen, "[%s]", nm);
            diff(a->items[i], match, path, strlen(path), pcap, out);
        }
        for (size_t j = 0; j < b->n; j++) {
            ckp_tree_item_name(b->items[j], other, sizeof other);
            int found = 0;
            for (size_t i = 0; i < a->n && !found; i++) {
                ckp_tree_item_name(a->items[i], nm, sizeof nm);
                found = strcmp(nm, other) == 0;
            }
            if (!found) {
                snprintf(path + plen, pcap - plen, "[%s]", other);
                diff(NULL, b->items[j], path, strlen(path), pcap, out);
            }
        }
        path[plen] = '\0';
        return;
    }
    char fa[200], fb[200];
    ckp_tree_flow(a, fa, sizeof fa);
    ckp_tree_flow(b, fb, sizeof fb);
    path[plen] = '\0';
    if (out->used)
        dput(out, "\n");
    dput(out, path);
    dput(out, ": ");
    dput(out, fa);
    dput(out, " -> ");
    dput(out, fb);
}

/* ---- whole scenarios ---------------------------------------------------- */

static const char *const top_keys[] = {
    "version",     "name",       "description",  "importer",     "currency",
    "horizon_months", "paths",   "seed",         "antithetic",   "shortfall_threshold",
    "propagation", "rule",       "regimes",      "suppliers",    "supplier_correlation",
    "materials",   "price_correlation", "industries", "interdependency", "policies",
    NULL};

/* What a policy may change; the rest must be the same for every policy. */
static const char *const policy_keys[] = {"suppliers",  "supplier_correlation", "materials",
                                          "price_correlation", "industries",
                                          "interdependency", "propagation", "rule", NULL};

void ckp_scenario_free(ckp_scenario *sc)
{
    if (!sc)
        return;
    free(sc->name);
    free(sc->description);
    free(sc->importer);
    free(sc->currency);
    free_names(sc->suppliers, sc->S);
    free_names(sc->regimes, sc->K);
    free_names(sc->materials, sc->M);
    free_names(sc->industries, sc->I);
    for (int p = 0; p < sc->npolicies; p++) {
        if (sc->policy_names)
            free(sc->policy_names[p]);
        if (sc->policy_descriptions)
            free(sc->policy_descriptions[p]);
        if (sc->policy_diffs)
            free(sc->policy_diffs[p]);
        if (sc->models)
            model_free(&sc->models[p]);
        if (sc->priv) {
            if (sc->priv->merged)
                ckp_tree_free(sc->priv->merged[p]);
            if (sc->priv->policy)
                ckp_tree_free(sc->priv->policy[p]);
        }
    }
    free(sc->policy_names);
    free(sc->policy_descriptions);
    free(sc->policy_diffs);
    free(sc->models);
    if (sc->priv) {
        ckp_tree_free(sc->priv->base);
        free(sc->priv->merged);
        free(sc->priv->policy);
        free(sc->priv);
    }
    free(sc->source_name);
    free(sc->source_text);
    free(sc);
}

static ckp_status resolve_policy(rctx *c, ckp_scenario *sc, const ynode *base, const ynode *pol,
                                 int p, int T, double threshold)
{
    const ynode *changes = ckp_tree_get(pol, "changes");
    ynode *merged = ckp_tree_copy(base);
    if (!merged)
        return fail_code(c, CKP_ERR_NOMEM, pol, "out of memory");
    sc->priv->merged[p] = merged;
    if (changes) {
        size_t old = pkey(c, "changes");
        ckp_status st = expect_kind(c, changes, YN_MAP, "a mapping of changes to the baseline");
        for (size_t i = 0; !st && i < changes->n; i++) {
            const char *k = changes->keys[i]->text;
            int ok = 0, known = 0;
            for (int j = 0; policy_keys[j]; j++)
                ok |= strcmp(policy_keys[j], k) == 0;
            for (int j = 0; top_keys[j]; j++)
                known |= strcmp(top_keys[j], k) == 0;
            if (!ok) {
                size_t o2 = pkey(c, k);
                char sb[128], lb[600];
                if (known)
                    st = fail(c, changes->keys[i],
                              "a policy cannot change '%s' (it is the same for every policy); "
                              "expected one of: %s",
                              k, listing(policy_keys, 8, lb, sizeof lb));
                else
                    st = fail(c, changes->keys[i], "unknown key '%s'%s; expected one of: %s", k,
                              suggest(k, policy_keys, 8, sb, sizeof sb),
                              listing(policy_keys, 8, lb, sizeof lb));
                prest(c, o2);
            }
        }
        for (size_t i = 0; !st && i < changes->n; i++) {
            const char *k = changes->keys[i]->text;
            const char *no_new = strcmp(k, "suppliers") == 0   ? "suppliers"
                                 : strcmp(k, "materials") == 0 ? "materials"
                                 : strcmp(k, "industries") == 0 ? "industries"
                                                                : NULL;
            ynode *one = ckp_tree_new(YN_MAP);
            if (!one || ckp_tree_set(one, k, ckp_tree_copy(changes->items[i]))) {
                ckp_tree_free(one);
                st = fail_code(c, CKP_ERR_NOMEM, changes, "out of memory");
                break;
            }
            ynode *slot = ckp_tree_get(merged, k);
            if (slot) {
                size_t o2 = pkey(c, k);
                int at = -1;
                for (size_t j = 0; j < merged->n; j++)
                    if (strcmp(merged->keys[j]->text, k) == 0)
                        at = (int)j;
                st = merge(c, &merged->items[at], changes->items[i], no_new);
                prest(c, o2);
            } else {
                st = merge(c, &sc->priv->merged[p], one, NULL);
                merged = sc->priv->merged[p];
            }
            ckp_tree_free(one);
        }
        prest(c, old);
        TRY(st);
    }

    /* Names cannot differ (the merge refuses new entries); resolve errors in
     * the merged document are reported under the policy's changes. */
    snprintf(c->prefix, sizeof c->prefix, "policies[%s].changes", sc->policy_names[p]);
    char saved[sizeof c->path];
    size_t saved_len = c->plen;
    memcpy(saved, c->path, sizeof saved);
    prest(c, 0);
    ckp_status st = build_model(c, merged, T, threshold, &sc->models[p]);
    c->prefix[0] = '\0';
    memcpy(c->path, saved, sizeof saved);
    c->plen = saved_len;
    TRY(st);

    dbuf out = {NULL, 0, 0, 0};
    char path[600] = "";
    diff(base, merged, path, 0, sizeof path, &out);
    if (!out.p && !out.nomem)
        dput(&out, "");
    if (out.nomem) {
        free(out.p);
        return fail_code(c, CKP_ERR_NOMEM, pol, "out of memory");
    }
    sc->policy_diffs[p] = out.p;
    return CKP_OK;
}

static ckp_status load_tree(rctx *c, ynode *doc, ckp_scenario *sc)
{
    ckp_status st = expect_kind(c, doc, YN_MAP, "a scenario mapping (version, name, ...)");
    TRY(st);
    /* the version first: a file of another version is refused as such */
    const ynode *ver = ckp_tree_get(doc, "version");
    if (!ver)
        return missing(c, doc, "version", "1");
    if (!(ver->kind == YN_SCALAR && ver->plain && strcmp(ver->text, "1") == 0)) {
        char db[96];
        size_t old = pkey(c, "version");
        st = fail(c, ver, "expected version 1, found %s", describe(ver, db, sizeof db));
        prest(c, old);
        return st;
    }
    TRY(check_keys(c, doc, top_keys));

    const char *name = NULL, *desc = NULL, *imp = NULL, *cur = NULL;
    TRY(get_text(c, doc, "name", 1, &name));
    TRY(get_text(c, doc, "description", 0, &desc));
    TRY(get_text(c, doc, "importer", 1, &imp));
    TRY(get_text(c, doc, "currency", 0, &cur));
    int64_t T = 0, paths = 0;
    TRY(get_int(c, doc, "horizon_months", 1, 0, 1, CKP_MAX_HORIZON, &T));
    TRY(get_int(c, doc, "paths", 0, 10000, 1, INT64_MAX, &paths));
    TRY(get_seed(c, doc, &sc->seed));
    TRY(get_bool(c, doc, "antithetic", 0, &sc->antithetic));
    static const range THR = {0, 1, 0, 1};
    double threshold = 0.01;
    TRY(get_num(c, doc, "shortfall_threshold", 0, 0.01, THR, &threshold));
    sc->paths = paths;
    sc->T = (int)T;
    c->importer = imp;

    if (!(sc->name = strdup(name)) || !(sc->importer = strdup(imp)) ||
        !(sc->currency = strdup(cur ? cur : "USD")) || (desc && !(sc->description = strdup(desc))))
        return fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");

    TRY(collect_names(c, doc));

    /* the policy list, checked before any model is built */
    const ynode *pols = ckp_tree_get(doc, "policies");
    size_t np = 1;
    if (pols) {
        size_t old = pkey(c, "policies");
        st = expect_kind(c, pols, YN_SEQ, "a list of policies");
        if (!st && pols->n > CKP_MAX_POLICIES - 1)
            st = fail_code(c, CKP_ERR_NOMEM, pols, "refusing %zu policies (limit %d)", pols->n,
                           CKP_MAX_POLICIES - 1);
        prest(c, old);
        TRY(st);
        np += pols->n;
    }
    if (np * model_doubles(c->S, c->K, c->M, c->I) > CKP_MAX_MODEL_DOUBLES)
        return fail_code(c, CKP_ERR_NOMEM, doc,
                         "refusing a scenario whose %zu models would need %.0f numbers (limit %d)",
                         np, np * model_doubles(c->S, c->K, c->M, c->I), CKP_MAX_MODEL_DOUBLES);
    sc->npolicies = (int)np;
    sc->policy_names = calloc(np, sizeof *sc->policy_names);
    sc->policy_descriptions = calloc(np, sizeof *sc->policy_descriptions);
    sc->policy_diffs = calloc(np, sizeof *sc->policy_diffs);
    sc->models = calloc(np, sizeof *sc->models);
    sc->priv = calloc(1, sizeof *sc->priv);
    if (!sc->policy_names || !sc->policy_descriptions || !sc->policy_diffs || !sc->models ||
        !sc->priv || !(sc->priv->merged = calloc(np, sizeof(ynode *))) ||
        !(sc->priv->policy = calloc(np, sizeof(ynode *))) ||
        !(sc->policy_names[0] = strdup("baseline")) || !(sc->policy_diffs[0] = strdup("")))
        return fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");

    for (size_t p = 1; p < np; p++) {
        const ynode *pol = pols->items[p - 1];
        size_t old = pkey(c, "policies");
        push(c, "[%zu]", p - 1);
        static const char *const pk[] = {"name", "description", "annual_cost", "changes", NULL};
        const char *pn = NULL, *pd = NULL;
        st = expect_kind(c, pol, YN_MAP, "a policy mapping {name, description, changes}");
        if (!st)
            st = get_text(c, pol, "name", 1, &pn);
        if (!st) {
            /* from here on the policy is named by its name */
            prest(c, old);
            old = pkey(c, "policies");
            push(c, "[%s]", pn);
            int dup = 0;
            for (size_t q = 0; q < p; q++)
                dup |= strcmp(sc->policy_names[q], pn) == 0;
            if (dup)
                st = fail(c, ckp_tree_get(pol, "name"),
                          "duplicate policy name '%s'; expected unique names other than "
                          "'baseline'",
                          pn);
        }
        if (!st)
            st = check_keys(c, pol, pk);
        if (!st)
            st = get_text(c, pol, "description", 0, &pd);
        if (!st) {
            double cost = 0;
            st = get_num(c, pol, "annual_cost", 0, 0.0, NONNEG, &cost);
            sc->models[p].has_cost = ckp_tree_get(pol, "annual_cost") != NULL;
            sc->models[p].annual_cost = cost;
        }
        if (!st && (!(sc->policy_names[p] = strdup(pn)) ||
                    (pd && !(sc->policy_descriptions[p] = strdup(pd))) ||
                    !(sc->priv->policy[p] = ckp_tree_copy(pol))))
            st = fail_code(c, CKP_ERR_NOMEM, pol, "out of memory");
        prest(c, old);
        TRY(st);
    }

    /* the baseline: the document without its policies */
    ynode *base = ckp_tree_copy(doc);
    if (!base)
        return fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");
    ckp_tree_remove(base, "policies");
    sc->priv->base = base;
    TRY(build_model(c, base, sc->T, threshold, &sc->models[0]));

    for (size_t p = 1; p < np; p++) {
        size_t old = pkey(c, "policies");
        push(c, "[%s]", sc->policy_names[p]);
        int has = sc->models[p].has_cost;
        double cost = sc->models[p].annual_cost;
        st = resolve_policy(c, sc, base, pols->items[p - 1], (int)p, sc->T, threshold);
        sc->models[p].has_cost = has;
        sc->models[p].annual_cost = cost;
        prest(c, old);
        TRY(st);
    }
    return CKP_OK;
}

ckp_status ckp_scenario_load_string(const char *text, size_t len, const char *name,
                                    const char *basedir, ckp_scenario **out, ckp_error *err)
{
    if (!out)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "no place for the scenario");
    *out = NULL;
    if (!text)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "no scenario text");
    if (!name)
        name = "<string>";
    ckp_error_clear(err);
    ynode *doc = ckp_tree_parse(text, len, name, err);
    if (!doc)
        return err ? err->code : CKP_ERR_CONFIG;
    ckp_scenario *sc = calloc(1, sizeof *sc);
    rctx c;
    memset(&c, 0, sizeof c);
    c.file = name;
    c.basedir = basedir;
    c.err = err;
    c.imp = -1;
    ckp_status st;
    if (!sc) {
        st = ckp_error_set(err, CKP_ERR_NOMEM, name, 0, 0, NULL, "out of memory");
    } else {
        st = load_tree(&c, doc, sc);
        if (!st) {
            /* the dimension names move from the context to the scenario */
            sc->S = c.S;
            sc->K = c.K;
            sc->M = c.M;
            sc->I = c.I;
            sc->suppliers = c.sup;
            sc->regimes = c.reg;
            sc->materials = c.mat;
            sc->industries = c.ind;
            c.sup = c.reg = c.mat = c.ind = NULL;
            sc->source_name = strdup(name);
            sc->source_text = malloc(len + 1);
            if (!sc->source_name || !sc->source_text) {
                st = ckp_error_set(err, CKP_ERR_NOMEM, name, 0, 0, NULL, "out of memory");
            } else {
                memcpy(sc->source_text, text, len);
                sc->source_text[len] = '\0';
            }
        }
    }
    free_ctx_names(&c);
    ckp_tree_free(doc);
    if (st) {
        ckp_scenario_free(sc);
        return st;
    }
    *out = sc;
    return CKP_OK;
}

ckp_status ckp_scenario_load_file(const char *path, ckp_scenario **out, ckp_error *err)
{
    if (out)
        *out = NULL;
    if (!path)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "no scenario file given");
    size_t len = 0;
    int too_big = 0;
    errno = 0;
    char *text = read_whole(path, CKP_TREE_MAX_TEXT, &len, &too_big);
    if (!text) {
        if (too_big)
            return ckp_error_set(err, CKP_ERR_NOMEM, path, 0, 0, NULL,
                                 "refusing a scenario file larger than %zu bytes",
                                 CKP_TREE_MAX_TEXT);
        return ckp_error_set(err, CKP_ERR_IO, path, 0, 0, NULL, "cannot read the scenario: %s",
                             errno == EINVAL ? "not a regular file"
                                             : errno ? strerror(errno) : "read error");
    }
    char *dir = strdup(path);
    if (!dir) {
        free(text);
        return ckp_error_set(err, CKP_ERR_NOMEM, path, 0, 0, NULL, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    else
        dir[0] = '\0';
    ckp_status st = ckp_scenario_load_string(text, len, path, dir[0] ? dir : NULL, out, err);
    free(dir);
    free(text);
    return st;
}

const char *ckp_default_scenario_text(size_t *len)
{
    if (len)
        *len = (size_t)ckp_default_scenario_yaml_len;
    return ckp_default_scenario_yaml;
}

ckp_status ckp_scenario_load_default(ckp_scenario **out, ckp_error *err)
{
    size_t len = 0;
    const char *text = ckp_default_scenario_text(&len);
    return ckp_scenario_load_string(text, len, "<built-in>", NULL, out, err);
}

int ckp_scenario_policy_index(const ckp_scenario *sc, const char *name)
{
    if (!sc || !name)
        return -1;
    for (int p = 0; p < sc->npolicies; p++)
        if (strcmp(sc->policy_names[p], name) == 0)
            return p;
    return -1;
}

/* Exposure counts the countries of exp(r): domestic supply is never blocked
 * (MODEL.md section 2), so it exposes nobody. */
void ckp_scenario_exposure(const ckp_scenario *sc, int policy, double *out)
{
    if (!sc || !out || policy < 0 || policy >= sc->npolicies)
        return;
    const ckp_model *m = &sc->models[policy];
    memset(out, 0, sizeof(double) * (size_t)m->S * (size_t)m->I);
    for (int mi = 0; mi < m->M; mi++)
        for (int r = m->route_off[mi]; r < m->route_off[mi + 1]; r++)
            for (int e = m->route_exp_off[r]; e < m->route_exp_off[r + 1]; e++) {
                int s = m->route_exp[e];
                for (int i = 0; i < m->I; i++)
                    out[(size_t)s * m->I + i] += m->C[(size_t)mi * m->I + i] * m->route_share[r];
            }
}

/* ---- writing back ------------------------------------------------------- */

static ynode *matrix_node(const double *a, int rows, int cols)
{
    ynode *n = ckp_tree_new(YN_SEQ);
    for (int i = 0; n && i < rows; i++) {
        ynode *row = ckp_tree_new(YN_SEQ);
        if (!row || ckp_tree_append(n, row)) {
            ckp_tree_free(row);
            ckp_tree_free(n);
            return NULL;
        }
        for (int j = 0; j < cols; j++) {
            char b[40];
            /* 17 significant digits read back to the same double */
            snprintf(b, sizeof b, "%.17g", a[(size_t)i * cols + j]);
            ynode *v = ckp_tree_scalar(b, 1);
            if (!v || ckp_tree_append(row, v)) {
                ckp_tree_free(v);
                ckp_tree_free(n);
                return NULL;
            }
        }
    }
    return n;
}

static int set_matrix(ynode *map, const char *key, const double *a, int n)
{
    ynode *spec = ckp_tree_new(YN_MAP), *mx = matrix_node(a, n, n);
    if (!spec || !mx || ckp_tree_set(spec, "matrix", mx)) {
        ckp_tree_free(spec);
        ckp_tree_free(mx);
        return -1;
    }
    return ckp_tree_set(map, key, spec);
}

/* Replace every matrix source (inline, CSV, IO table) by the resolved inline
 * matrix, so the text stands alone. */
static int inline_matrices(ynode *doc, const ynode *src, const ckp_model *m)
{
    if (ckp_tree_get(src, "supplier_correlation") &&
        set_matrix(doc, "supplier_correlation", m->corr, m->S))
        return -1;
    if (ckp_tree_get(src, "price_correlation") &&
        set_matrix(doc, "price_correlation", m->price_corr, m->M))
        return -1;
    if (ckp_tree_get(src, "interdependency") && set_matrix(doc, "interdependency", m->Astar, m->I))
        return -1;
    return 0;
}

ckp_status ckp_scenario_to_yaml(const ckp_scenario *sc, char **out, ckp_error *err)
{
    if (!out || !sc || !sc->priv)
        return ckp_error_set(err, CKP_ERR_USAGE, NULL, 0, 0, NULL, "no scenario to write");
    *out = NULL;
    ynode *doc = ckp_tree_copy(sc->priv->base);
    int bad = !doc || inline_matrices(doc, sc->priv->base, &sc->models[0]);
    if (!bad && sc->npolicies > 1) {
        ynode *pols = ckp_tree_new(YN_SEQ);
        bad = !pols || ckp_tree_set(doc, "policies", pols);
        if (bad)
            ckp_tree_free(pols);
        for (int p = 1; !bad && p < sc->npolicies; p++) {
            const ynode *orig = sc->priv->policy[p], *merged = sc->priv->merged[p];
            ynode *pol = ckp_tree_new(YN_MAP), *ch = ckp_tree_new(YN_MAP);
            bad = !pol || !ch || ckp_tree_append(pols, pol);
            if (bad) {
                ckp_tree_free(pol);
                ckp_tree_free(ch);
                break;
            }
            static const char *const copy_keys[] = {"name", "description", "annual_cost"};
            for (int k = 0; !bad && k < 3; k++) {
                const ynode *v = ckp_tree_get(orig, copy_keys[k]);
                if (v) {
                    ynode *cp = ckp_tree_copy(v);
                    bad = !cp || ckp_tree_set(pol, copy_keys[k], cp);
                    if (bad)
                        ckp_tree_free(cp);
                }
            }
            /* every policy fully expanded: its whole changeable part */
            for (int k = 0; !bad && policy_keys[k]; k++) {
                const ynode *v = ckp_tree_get(merged, policy_keys[k]);
                if (v) {
                    ynode *cp = ckp_tree_copy(v);
                    bad = !cp || ckp_tree_set(ch, policy_keys[k], cp);
                    if (bad)
                        ckp_tree_free(cp);
                }
            }
            if (!bad)
                bad = inline_matrices(ch, merged, &sc->models[p]);
            if (!bad)
                bad = ckp_tree_set(pol, "changes", ch);
            else
                ckp_tree_free(ch);
        }
    }
    char *text = bad ? NULL : ckp_tree_emit(doc);
    ckp_tree_free(doc);
    if (!text)
        return ckp_error_set(err, CKP_ERR_NOMEM, sc->source_name, 0, 0, NULL,
                             "cannot write the scenario as YAML");
    *out = text;
    return CKP_OK;
}
