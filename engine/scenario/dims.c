/* chokepoint: the names of a scenario's dimensions (see resolve_impl.h):
 * regimes, suppliers, materials and industries collected from the document,
 * each list checked for duplicates and absurd sizes before anything is built
 * on it, and the lookup of a name with a "did you mean" when it is unknown. */
#include "engine/scenario/resolve_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/scenario/values_impl.h"

static _Thread_local unsigned long long compares;

unsigned long long ckp_names_compares(void)
{
    return compares;
}

static int same(const char *a, const char *b)
{
    compares++;
    return strcmp(a, b) == 0;
}

int ckp_names_find(char **names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (same(names[i], s))
            return i;
    return -1;
}

/* ---- the hash index (resolve_impl.h) ---- */

static size_t hash_name(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return (size_t)(h ^ (h >> 29));
}

int ckp_name_ix_init(ckp_name_ix *ix, const char *const *names, size_t cap)
{
    size_t n = 16;
    while (n < 2 * cap)
        n *= 2;
    ix->names = names;
    ix->mask = n - 1;
    ix->slot = malloc(n * sizeof *ix->slot);
    if (!ix->slot)
        return -1;
    for (size_t i = 0; i < n; i++)
        ix->slot[i] = -1;
    return 0;
}

/* The slot holding s, or the empty slot where it would go. */
static size_t probe(const ckp_name_ix *ix, const char *s)
{
    size_t at = hash_name(s) & ix->mask;
    while (ix->slot[at] >= 0 && !same(ix->names[ix->slot[at]], s))
        at = (at + 1) & ix->mask;
    return at;
}

int ckp_name_ix_find(const ckp_name_ix *ix, const char *s)
{
    return ix && ix->slot ? ix->slot[probe(ix, s)] : -1;
}

int ckp_name_ix_add(ckp_name_ix *ix, int i)
{
    size_t at = probe(ix, ix->names[i]);
    if (ix->slot[at] >= 0)
        return ix->slot[at];
    ix->slot[at] = i;
    return -1;
}

void ckp_name_ix_free(ckp_name_ix *ix)
{
    if (ix)
        free(ix->slot);
}

/* The context's index of a dimension's names, or NULL for another array. */
static const ckp_name_ix *index_of(const ckp_rctx *c, char **names)
{
    if (!c->ix || !names)
        return NULL;
    char **dims[4] = {c->sup, c->reg, c->mat, c->ind};
    for (int d = 0; d < 4; d++)
        if (names == dims[d])
            return &c->ix[d];
    return NULL;
}

/* Index of a name in a dimension, or an error naming the known ones. */
ckp_status ckp_rc_lookup(ckp_rctx *c, const ynode *at, char **names, int n, const char *kind,
                         const char *s, int *out)
{
    const ckp_name_ix *ix = index_of(c, names);
    int i = ix ? ckp_name_ix_find(ix, s) : ckp_names_find(names, n, s);
    if (i >= 0) {
        *out = i;
        return CKP_OK;
    }
    char sb[128], lb[600];
    return ckp_rc_fail(c, at, "unknown %s '%s'%s; expected one of: %s", kind, s,
                       ckp_diag_suggest(s, (const char *const *)names, n, sb, sizeof sb),
                       ckp_diag_listing((const char *const *)names, n, lb, sizeof lb));
}

void ckp_names_free(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Collect the names of a list of named mappings (suppliers, materials,
 * industries), refusing absurd counts before allocating. */
static ckp_status collect_list(ckp_rctx *c, const ynode *doc, const char *key, const char *kind,
                               const char *one, int limit, int *count, char ***out)
{
    const ynode *list = ckp_tree_get(doc, key);
    char what[128];
    snprintf(what, sizeof what, "a list of %s (mappings with a `name`)", kind);
    if (!list)
        return ckp_rc_missing(c, doc, key, what);
    size_t old = ckp_rc_key(c, key);
    ckp_status s = ckp_rc_expect(c, list, YN_SEQ, what);
    if (!s && list->n == 0)
        s = ckp_rc_fail(c, list, "expected at least one entry in %s, found an empty list", key);
    if (!s && list->n > (size_t)limit)
        s = ckp_rc_fail_code(c, CKP_ERR_CONFIG, list,
                             "refusing %zu %s (limit %d); expected at most %d", list->n, kind,
                             limit, limit);
    if (s) {
        ckp_rc_pop(c, old);
        return s;
    }
    char **names = calloc(list->n, sizeof *names);
    ckp_name_ix ix = {NULL, 0, NULL};
    if (!names || ckp_name_ix_init(&ix, (const char *const *)names, list->n) != 0) {
        free(names);
        ckp_name_ix_free(&ix);
        ckp_rc_pop(c, old);
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, list, "out of memory");
    }
    for (size_t i = 0; i < list->n && !s; i++) {
        const ynode *it = list->items[i];
        size_t o2 = ckp_rc_push(c, "[%zu]", i);
        const char *nm = NULL;
        s = ckp_rc_expect(c, it, YN_MAP, "a mapping with a `name`");
        if (!s)
            s = ckp_rc_get_name(c, it, "name", &nm);
        int j = -1;
        if (!s && !(names[i] = strdup(nm)))
            s = ckp_rc_fail_code(c, CKP_ERR_NOMEM, it, "out of memory");
        else if (!s && (j = ckp_name_ix_add(&ix, (int)i)) >= 0) {
            const ynode *prev = ckp_tree_get(list->items[j], "name");
            s = ckp_rc_fail(c, ckp_tree_get(it, "name"),
                            "duplicate %s name '%s' (first at line %d); expected unique names", one,
                            nm, prev ? prev->line : 0);
        }
        ckp_rc_pop(c, o2);
    }
    ckp_name_ix_free(&ix);
    ckp_rc_pop(c, old);
    if (s) {
        ckp_names_free(names, (int)list->n);
        return s;
    }
    *count = (int)list->n;
    *out = names;
    return CKP_OK;
}

static ckp_status collect_regimes(ckp_rctx *c, const ynode *doc)
{
    const ynode *list = ckp_tree_get(doc, "regimes");
    const char *what = "a list of regime names";
    if (!list)
        return ckp_rc_missing(c, doc, "regimes", what);
    size_t old = ckp_rc_key(c, "regimes");
    ckp_status s = ckp_rc_expect(c, list, YN_SEQ, what);
    if (!s && list->n == 0)
        s = ckp_rc_fail(c, list, "expected at least one regime, found an empty list");
    if (!s && list->n > CKP_MAX_REGIMES)
        s = ckp_rc_fail_code(c, CKP_ERR_CONFIG, list, "refusing %zu regimes (limit %d)", list->n,
                             CKP_MAX_REGIMES);
    if (!s && !(c->reg = calloc(list->n, sizeof *c->reg)))
        s = ckp_rc_fail_code(c, CKP_ERR_NOMEM, list, "out of memory");
    for (size_t i = 0; !s && i < list->n; i++) {
        const char *nm = NULL;
        size_t o2 = ckp_rc_push(c, "[%zu]", i);
        s = ckp_rc_name(c, list->items[i], &nm);
        if (!s && ckp_names_find(c->reg, (int)i, nm) >= 0)
            s = ckp_rc_fail(c, list->items[i], "duplicate regime name '%s'; expected unique names",
                            nm);
        if (!s && !(c->reg[i] = strdup(nm)))
            s = ckp_rc_fail_code(c, CKP_ERR_NOMEM, list, "out of memory");
        c->K = (int)i + 1;
        ckp_rc_pop(c, o2);
    }
    ckp_rc_pop(c, old);
    return s;
}

/* The indexes of the four dimensions, for ckp_rc_lookup. */
static ckp_status index_names(ckp_rctx *c, const ynode *doc)
{
    char **dims[4] = {c->sup, c->reg, c->mat, c->ind};
    int n[4] = {c->S, c->K, c->M, c->I};
    if (!(c->ix = calloc(4, sizeof *c->ix)))
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");
    for (int d = 0; d < 4; d++) {
        if (ckp_name_ix_init(&c->ix[d], (const char *const *)dims[d], (size_t)n[d]) != 0)
            return ckp_rc_fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");
        for (int i = 0; i < n[d]; i++)
            ckp_name_ix_add(&c->ix[d], i);
    }
    return CKP_OK;
}

void ckp_rc_free_names(ckp_rctx *c)
{
    if (c->ix)
        for (int d = 0; d < 4; d++)
            ckp_name_ix_free(&c->ix[d]);
    free(c->ix);
    c->ix = NULL;
    ckp_names_free(c->sup, c->S);
    ckp_names_free(c->reg, c->K);
    ckp_names_free(c->mat, c->M);
    ckp_names_free(c->ind, c->I);
    c->sup = c->reg = c->mat = c->ind = NULL;
    c->S = c->K = c->M = c->I = 0;
}

ckp_status ckp_rc_collect_names(ckp_rctx *c, const ynode *doc)
{
    CKP_TRY(collect_regimes(c, doc));
    CKP_TRY(collect_list(c, doc, "suppliers", "suppliers", "supplier", CKP_MAX_SUPPLIERS, &c->S,
                         &c->sup));
    CKP_TRY(collect_list(c, doc, "materials", "materials", "material", CKP_MAX_MATERIALS, &c->M,
                         &c->mat));
    CKP_TRY(collect_list(c, doc, "industries", "industries", "industry", CKP_MAX_INDUSTRIES, &c->I,
                         &c->ind));
    CKP_TRY(index_names(c, doc));
    c->imp = ckp_names_find(c->sup, c->S, c->importer);
    if ((double)c->S * c->K * c->M > CKP_MAX_BLOCK_CELLS)
        return ckp_rc_fail_code(
            c, CKP_ERR_CONFIG, doc,
            "refusing %d suppliers x %d regimes x %d materials = %.0f block cells "
            "(limit %d)",
            c->S, c->K, c->M, (double)c->S * c->K * c->M, CKP_MAX_BLOCK_CELLS);
    if ((double)c->I * c->I > CKP_MAX_MATRIX_CELLS)
        return ckp_rc_fail_code(
            c, CKP_ERR_CONFIG, doc,
            "refusing %d industries: the interdependency matrix would have %.0f "
            "cells (limit %d)",
            c->I, (double)c->I * c->I, CKP_MAX_MATRIX_CELLS);
    return CKP_OK;
}
