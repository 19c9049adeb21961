/* chokepoint: a resolved scenario written back as YAML (ckp_scenario_to_yaml,
 * see include/chokepoint/scenario.h): the baseline document with every
 * matrix source (inline, CSV, IO table) replaced by the resolved inline
 * matrix, and every policy fully expanded, so the text stands alone and loads
 * back into identical models. */
#include "chokepoint/scenario.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/core/error_impl.h"
#include "engine/scenario/resolve_impl.h"
#include "engine/scenario/scenario_impl.h"

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
        return CKP_FAIL(err, CKP_ERR_USAGE, "no scenario to write");
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
            for (int k = 0; !bad && ckp_doc_policy_keys[k]; k++) {
                const ynode *v = ckp_tree_get(merged, ckp_doc_policy_keys[k]);
                if (v) {
                    ynode *cp = ckp_tree_copy(v);
                    bad = !cp || ckp_tree_set(ch, ckp_doc_policy_keys[k], cp);
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
