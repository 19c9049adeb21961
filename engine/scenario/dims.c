/* chokepoint: the names of a scenario's dimensions (see resolve_impl.h):
 * regimes, suppliers, materials and industries collected from the document,
 * each list checked for duplicates and absurd sizes before anything is built
 * on it, and the lookup of a name with a "did you mean" when it is unknown. */
#include "engine/scenario/resolve_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/scenario/values_impl.h"

int ckp_names_find(char **names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* Index of a name in a dimension, or an error naming the known ones. */
ckp_status ckp_rc_lookup(ckp_rctx *c, const ynode *at, char **names, int n, const char *kind,
                         const char *s, int *out)
{
    int i = ckp_names_find(names, n, s);
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
    if (!names) {
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
        if (!s) {
            int j = ckp_names_find(names, (int)i, nm);
            if (j >= 0) {
                const ynode *prev = ckp_tree_get(list->items[j], "name");
                s = ckp_rc_fail(c, ckp_tree_get(it, "name"),
                                "duplicate %s name '%s' (first at line %d); expected unique names",
                                one, nm, prev ? prev->line : 0);
            } else if (!(names[i] = strdup(nm))) {
                s = ckp_rc_fail_code(c, CKP_ERR_NOMEM, it, "out of memory");
            }
        }
        ckp_rc_pop(c, o2);
    }
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

void ckp_rc_free_names(ckp_rctx *c)
{
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
