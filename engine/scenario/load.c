/* chokepoint: loading scenarios: the public entry points load_file,
 * load_string and load_default, and ckp_scenario_free (see
 * include/chokepoint/scenario.h). A text becomes a document tree
 * (tree_yaml.c); its settings and policy list are read here, its dimension
 * names by dims.c, and the baseline and every policy are resolved into
 * models (resolve.c, policy.c). Every refusal names the file, line, column,
 * key path, what was expected and what was found. */
#include "chokepoint/scenario.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/scenario/resolve_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/scenario/values_impl.h"

extern const char ckp_default_scenario_yaml[];
extern const unsigned long ckp_default_scenario_yaml_len;

const char *const ckp_doc_top_keys[] = {
    "version",     "name",       "description",  "importer",     "currency",
    "horizon_months", "paths",   "seed",         "antithetic",   "shortfall_threshold",
    "start",       "propagation", "rule",    "regimes",      "suppliers",
    "supplier_correlation",
    "materials",   "price_correlation", "industries", "interdependency", "policies",
    "sensitivity", NULL};

void ckp_scenario_free(ckp_scenario *sc)
{
    if (!sc)
        return;
    free(sc->name);
    free(sc->description);
    free(sc->importer);
    free(sc->currency);
    ckp_names_free(sc->suppliers, sc->S);
    ckp_names_free(sc->regimes, sc->K);
    ckp_names_free(sc->materials, sc->M);
    ckp_names_free(sc->industries, sc->I);
    for (int p = 0; p < sc->npolicies; p++) {
        if (sc->policy_names)
            free(sc->policy_names[p]);
        if (sc->policy_descriptions)
            free(sc->policy_descriptions[p]);
        if (sc->policy_diffs)
            free(sc->policy_diffs[p]);
        if (sc->models)
            ckp_model_clear(&sc->models[p]);
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
        free(sc->priv->basedir);
        ckp_swings_free(sc->priv);
        free(sc->priv->merged);
        free(sc->priv->policy);
        free(sc->priv);
    }
    free(sc->source_name);
    free(sc->source_text);
    free(sc);
}

/* `start: YYYY-MM` (optional): the calendar month of month 1 of the horizon. */
static ckp_status read_start(ckp_rctx *c, const ynode *doc, ckp_scenario *sc)
{
    const ynode *n = ckp_tree_get(doc, "start");
    if (!n)
        return CKP_OK;
    size_t old = ckp_rc_key(c, "start");
    const char *t = n->kind == YN_SCALAR ? n->text : NULL;
    int ok = t && strlen(t) == 7 && t[4] == '-';
    for (int i = 0; ok && i < 7; i++)
        ok = i == 4 || (t[i] >= '0' && t[i] <= '9');
    int y = ok ? atoi(t) : 0, m = ok ? atoi(t + 5) : 0;
    ckp_status st = CKP_OK;
    if (!ok || y < 1 || m < 1 || m > 12) {
        char db[96];
        st = ckp_rc_fail(c, n, "expected a calendar month YYYY-MM (e.g. 2026-01; year 0001 .. "
                               "9999, month 01 .. 12), found %s",
                         ckp_diag_describe(n, db, sizeof db));
    } else {
        sc->start_year = y;
        sc->start_month = m;
    }
    ckp_rc_pop(c, old);
    return st;
}

/* The top of a document: its version (first: a file of another version is
 * refused as such), its keys, and the settings outside the model. */
static ckp_status read_settings(ckp_rctx *c, const ynode *doc, ckp_scenario *sc, double *threshold)
{
    ckp_status st = ckp_rc_expect(c, doc, YN_MAP, "a scenario mapping (version, name, ...)");
    CKP_TRY(st);
    const ynode *ver = ckp_tree_get(doc, "version");
    if (!ver)
        return ckp_rc_missing(c, doc, "version", "1");
    if (!(ver->kind == YN_SCALAR && ver->plain && strcmp(ver->text, "1") == 0)) {
        char db[96];
        size_t old = ckp_rc_key(c, "version");
        st = ckp_rc_fail(c, ver, "expected version 1, found %s",
                         ckp_diag_describe(ver, db, sizeof db));
        ckp_rc_pop(c, old);
        return st;
    }
    CKP_TRY(ckp_rc_check_keys(c, doc, ckp_doc_top_keys));

    const char *name = NULL, *desc = NULL, *imp = NULL, *cur = NULL;
    CKP_TRY(ckp_rc_get_text(c, doc, "name", 1, &name));
    CKP_TRY(ckp_rc_get_text(c, doc, "description", 0, &desc));
    CKP_TRY(ckp_rc_get_text(c, doc, "importer", 1, &imp));
    CKP_TRY(ckp_rc_get_text(c, doc, "currency", 0, &cur));
    int64_t T = 0, paths = 0;
    CKP_TRY(ckp_rc_get_int(c, doc, "horizon_months", 1, 0, 1, CKP_MAX_HORIZON, &T));
    CKP_TRY(ckp_rc_get_int(c, doc, "paths", 0, 10000, 1, INT64_MAX, &paths));
    CKP_TRY(ckp_rc_get_seed(c, doc, &sc->seed));
    CKP_TRY(ckp_rc_get_bool(c, doc, "antithetic", 0, &sc->antithetic));
    static const ckp_range THR = {0, 1, 0, 1};
    *threshold = 0.01;
    CKP_TRY(ckp_rc_get_num(c, doc, "shortfall_threshold", 0, 0.01, THR, threshold));
    CKP_TRY(read_start(c, doc, sc));
    sc->paths = paths;
    sc->T = (int)T;
    c->importer = imp;

    if (!(sc->name = strdup(name)) || !(sc->importer = strdup(imp)) ||
        !(sc->currency = strdup(cur ? cur : "USD")) ||
        (desc && !(sc->description = strdup(desc))))
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");
    return CKP_OK;
}

/* Entry p - 1 of the policy list: its name (unique), description and cost;
 * its changes are resolved once the baseline is. */
static ckp_status read_policy(ckp_rctx *c, ckp_scenario *sc, const ynode *pol, size_t p)
{
    size_t old = ckp_rc_key(c, "policies");
    ckp_rc_push(c, "[%zu]", p - 1);
    static const char *const pk[] = {"name", "description", "annual_cost", "changes", NULL};
    const char *pn = NULL, *pd = NULL;
    ckp_status st = ckp_rc_expect(c, pol, YN_MAP, "a policy mapping {name, description, changes}");
    if (!st)
        st = ckp_rc_get_name(c, pol, "name", &pn);
    if (!st) {
        /* from here on the policy is named by its name */
        ckp_rc_pop(c, old);
        old = ckp_rc_key(c, "policies");
        ckp_rc_push(c, "[%s]", pn);
        int dup = 0;
        for (size_t q = 0; q < p; q++)
            dup |= strcmp(sc->policy_names[q], pn) == 0;
        if (dup)
            st = ckp_rc_fail(c, ckp_tree_get(pol, "name"),
                             "duplicate policy name '%s'; expected unique names other than "
                             "'baseline'",
                             pn);
    }
    if (!st)
        st = ckp_rc_check_keys(c, pol, pk);
    if (!st)
        st = ckp_rc_get_text(c, pol, "description", 0, &pd);
    if (!st) {
        double cost = 0;
        st = ckp_rc_get_num(c, pol, "annual_cost", 0, 0.0, ckp_range_nonneg, &cost);
        sc->models[p].has_cost = ckp_tree_get(pol, "annual_cost") != NULL;
        sc->models[p].annual_cost = cost;
    }
    if (!st && (!(sc->policy_names[p] = strdup(pn)) ||
                (pd && !(sc->policy_descriptions[p] = strdup(pd))) ||
                !(sc->priv->policy[p] = ckp_tree_copy(pol))))
        st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, pol, "out of memory");
    ckp_rc_pop(c, old);
    return st;
}

static ckp_status load_tree(ckp_rctx *c, ynode *doc, ckp_scenario *sc)
{
    double threshold = 0.01;
    CKP_TRY(read_settings(c, doc, sc, &threshold));
    CKP_TRY(ckp_rc_collect_names(c, doc));
    /* A path keeps its regimes' block fractions for every month (several
     * arrays of months x suppliers x materials per thread), so the horizon is
     * bounded together with the sizes. */
    if ((double)sc->T * c->S * c->M > CKP_MAX_PATH_CELLS)
        return ckp_rc_fail_code(c, CKP_ERR_CONFIG, doc,
                                "refusing %d months x %d suppliers x %d materials = %.0f "
                                "path cells (limit %d): one path's scratch would need %.1f GB "
                                "per thread; shorten horizon_months or merge suppliers",
                                sc->T, c->S, c->M, (double)sc->T * c->S * c->M, CKP_MAX_PATH_CELLS,
                                (double)sc->T * c->S * c->M * 32 / 1e9);

    /* the policy list, checked before any model is built */
    const ynode *pols = ckp_tree_get(doc, "policies");
    size_t np = 1;
    ckp_status st;
    if (pols) {
        size_t old = ckp_rc_key(c, "policies");
        st = ckp_rc_expect(c, pols, YN_SEQ, "a list of policies");
        if (!st && pols->n > CKP_MAX_POLICIES - 1)
            st = ckp_rc_fail_code(c, CKP_ERR_CONFIG, pols, "refusing %zu policies (limit %d)",
                                  pols->n, CKP_MAX_POLICIES - 1);
        ckp_rc_pop(c, old);
        CKP_TRY(st);
        np += pols->n;
    }
    if (np * ckp_model_doubles(c->S, c->K, c->M, c->I) > CKP_MAX_MODEL_DOUBLES)
        return ckp_rc_fail_code(
            c, CKP_ERR_CONFIG, doc,
            "refusing a scenario whose %zu models would need %.0f numbers (limit %d)", np,
            np * ckp_model_doubles(c->S, c->K, c->M, c->I), CKP_MAX_MODEL_DOUBLES);
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
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");

    for (size_t p = 1; p < np; p++)
        CKP_TRY(read_policy(c, sc, pols->items[p - 1], p));
    CKP_TRY(ckp_rc_read_sensitivity(c, doc, sc->priv));

    /* the baseline: the document without its policies (nor the list of keys
     * to vary, which is no part of any model) */
    ynode *base = ckp_tree_copy(doc);
    if (!base)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");
    ckp_tree_remove(base, "policies");
    ckp_tree_remove(base, "sensitivity");
    sc->priv->base = base;
    CKP_TRY(ckp_rc_build_model(c, base, sc->T, threshold, &sc->models[0]));

    for (size_t p = 1; p < np; p++) {
        size_t old = ckp_rc_key(c, "policies");
        ckp_rc_push(c, "[%s]", sc->policy_names[p]);
        int has = sc->models[p].has_cost;
        double cost = sc->models[p].annual_cost;
        st = ckp_rc_resolve_policy(c, sc, base, pols->items[p - 1], (int)p, sc->T, threshold);
        sc->models[p].has_cost = has;
        sc->models[p].annual_cost = cost;
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }
    return CKP_OK;
}

static ckp_status load_text(const char *text, size_t len, const char *name, const char *basedir,
                            int no_files, ckp_scenario **out, ckp_error *err);

ckp_status ckp_scenario_load_string(const char *text, size_t len, const char *name,
                                    const char *basedir, ckp_scenario **out, ckp_error *err)
{
    return load_text(text, len, name, basedir, 0, out, err);
}

ckp_status ckp_scenario_load_inline(const char *text, size_t len, const char *name,
                                    ckp_scenario **out, ckp_error *err)
{
    return load_text(text, len, name, NULL, 1, out, err);
}

static ckp_status load_text(const char *text, size_t len, const char *name, const char *basedir,
                            int no_files, ckp_scenario **out, ckp_error *err)
{
    if (!out)
        return CKP_FAIL(err, CKP_ERR_USAGE, "no place for the scenario");
    *out = NULL;
    if (!text)
        return CKP_FAIL(err, CKP_ERR_USAGE, "no scenario text");
    if (!name)
        name = "<string>";
    ckp_error_clear(err);
    ynode *doc = ckp_tree_parse(text, len, name, err);
    if (!doc)
        return err ? err->code : CKP_ERR_CONFIG;
    return ckp_scenario_load_doc(doc, text, len, name, basedir, no_files, out, err);
}

/* Where the scenario was read from: kept for its variants (override.c). */
static ckp_status keep_origin(ckp_scenario *sc, const char *text, size_t len, const char *name,
                              const char *basedir, int no_files)
{
    sc->source_name = strdup(name);
    sc->source_text = malloc(len + 1);
    sc->priv->no_files = no_files;
    if (!sc->source_name || !sc->source_text || (basedir && !(sc->priv->basedir = strdup(basedir))))
        return CKP_ERR_NOMEM;
    memcpy(sc->source_text, text, len);
    sc->source_text[len] = '\0';
    return CKP_OK;
}

ckp_status ckp_scenario_load_doc(ynode *doc, const char *text, size_t len, const char *name,
                                 const char *basedir, int no_files, ckp_scenario **out,
                                 ckp_error *err)
{
    *out = NULL;
    ckp_scenario *sc = calloc(1, sizeof *sc);
    ckp_rctx c;
    memset(&c, 0, sizeof c);
    c.file = name;
    c.basedir = basedir;
    c.no_files = no_files;
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
            if (keep_origin(sc, text, len, name, basedir, no_files) != CKP_OK)
                st = ckp_error_set(err, CKP_ERR_NOMEM, name, 0, 0, NULL, "out of memory");
        }
    }
    ckp_rc_free_names(&c);
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
        return CKP_FAIL(err, CKP_ERR_USAGE, "no scenario file given");
    size_t len = 0;
    ckp_read_why why;
    errno = 0;
    char *text = ckp_file_read(path, CKP_TREE_MAX_TEXT, &len, &why);
    if (!text) {
        if (why == CKP_READ_TOO_BIG)
            return ckp_error_set(err, CKP_ERR_CONFIG, path, 0, 0, NULL,
                                 "refusing a scenario file larger than %zu bytes (256 MiB)",
                                 CKP_TREE_MAX_TEXT);
        if (why == CKP_READ_NOMEM)
            return ckp_error_set(err, CKP_ERR_NOMEM, path, 0, 0, NULL,
                                 "out of memory reading the scenario");
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
