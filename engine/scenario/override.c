/* chokepoint: scenario variants by key path (see ckp_scenario_vary in
 * include/chokepoint/scenario.h), and the `sensitivity:` section.
 *
 * A variant is the scenario's own text, parsed again, with one scalar per
 * override set on the document tree before anything is resolved; the tree
 * then goes through the same loading as a file, so a value out of range or a
 * key the format does not know is refused with the file's own message. The
 * key path is spelled as the messages spell it: `a.b`, list entries by name
 * (`materials[NdPr]`) or index (`routes[0]`), and an entry of a transition
 * row by its regime (`suppliers[CN].transitions.licensing.restricted`). A
 * swung transition probability keeps its row summing to 1: the row's other
 * entries are scaled by (1 - v) / S, S their sum in row order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/scenario/resolve_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/scenario/values_impl.h"

/* One part of a key path: a mapping key, or a [selector] of a list entry. */
typedef struct kpart {
    int sel;
    char text[CKP_MAX_NAME_BYTES + 1];
} kpart;

#define MAX_PARTS 32

/* Split "a.b[x][0].c" into parts; -1 for a malformed path. */
static int split_path(const char *key, kpart *parts, int cap)
{
    int n = 0;
    const char *p = key;
    while (*p) {
        size_t len = strcspn(p, ".[]");
        if (len == 0 || len > CKP_MAX_NAME_BYTES || n >= cap)
            return -1;
        parts[n].sel = 0;
        memcpy(parts[n].text, p, len);
        parts[n++].text[len] = '\0';
        p += len;
        while (*p == '[') {
            const char *e = strchr(p + 1, ']');
            len = e ? (size_t)(e - p - 1) : 0;
            if (!e || len == 0 || len > CKP_MAX_NAME_BYTES || n >= cap)
                return -1;
            parts[n].sel = 1;
            memcpy(parts[n].text, p + 1, len);
            parts[n++].text[len] = '\0';
            p = e + 1;
        }
        if (*p == '.' && p[1] != '\0')
            p++;
        else if (*p)
            return -1;
    }
    return n;
}

/* The singular of a list's key, for "unknown material 'X'". */
static const char *entry_kind(const char *list)
{
    static const char *const pairs[][2] = {{"materials", "material"},  {"suppliers", "supplier"},
                                           {"industries", "industry"}, {"routes", "route"},
                                           {"policies", "policy"},     {"sensitivity", "entry"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(list, pairs[i][0]) == 0)
            return pairs[i][1];
    return "entry";
}

static int all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Entry [sel] of list `seq` (named `list`): by index or by name. */
static ckp_status select_entry(ckp_rctx *c, ynode *seq, const char *list, const char *sel,
                               ynode **out)
{
    char db[96];
    if (seq->kind != YN_SEQ)
        return ckp_rc_fail(c, seq, "expected a list to select [%s] from, found %s", sel,
                           ckp_diag_describe(seq, db, sizeof db));
    if (all_digits(sel)) {
        unsigned long long i = strtoull(sel, NULL, 10);
        if (strlen(sel) > 18 || i >= seq->n)
            return ckp_rc_fail(c, seq, "index [%s] out of range: the list has %zu entr%s", sel,
                               seq->n, seq->n == 1 ? "y" : "ies");
        *out = seq->items[i];
        return CKP_OK;
    }
    char **names = calloc(seq->n + 1, sizeof *names);
    if (!names)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, seq, "out of memory");
    int nn = 0;
    ckp_status st = CKP_OK;
    for (size_t i = 0; i < seq->n && !st; i++) {
        char nb[CKP_MAX_NAME_BYTES + 1];
        if (!ckp_tree_item_name(seq->items[i], nb, sizeof nb))
            continue;
        if (strcmp(nb, sel) == 0)
            *out = seq->items[i];
        if (!(names[nn++] = strdup(nb)))
            st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, seq, "out of memory");
    }
    int k = 0;
    if (!st && ckp_names_find(names, nn, sel) < 0)
        st = ckp_rc_lookup(c, seq, names, nn, entry_kind(list), sel, &k);
    ckp_names_free(names, nn);
    return st;
}

/* Column `name` of a transition row written as a list: the regime's index. */
static ckp_status row_entry(ckp_rctx *c, const ynode *doc, ynode *row, const char *name,
                            ynode **out)
{
    const ynode *reg = ckp_tree_get(doc, "regimes");
    int k = -1;
    for (size_t i = 0; reg && reg->kind == YN_SEQ && i < reg->n && k < 0; i++)
        if (reg->items[i]->kind == YN_SCALAR && strcmp(reg->items[i]->text, name) == 0)
            k = (int)i;
    if (k < 0) {
        char **names = calloc(reg && reg->kind == YN_SEQ ? reg->n + 1 : 1, sizeof *names);
        int nn = 0;
        for (size_t i = 0; names && reg && reg->kind == YN_SEQ && i < reg->n; i++)
            if (reg->items[i]->kind == YN_SCALAR && (names[nn] = strdup(reg->items[i]->text)))
                nn++;
        ckp_status st = names ? ckp_rc_lookup(c, row, names, nn, "regime", name, &k)
                              : ckp_rc_fail_code(c, CKP_ERR_NOMEM, row, "out of memory");
        ckp_names_free(names, nn);
        return st;
    }
    if ((size_t)k >= row->n)
        return ckp_rc_fail(c, row, "the row has %zu entries, none for regime '%s' (number %d)",
                           row->n, name, k + 1);
    *out = row->items[k];
    return CKP_OK;
}

/* Key `name` of mapping `map`, created (a scalar when `leaf`, else a mapping)
 * when absent; an unknown key is left for the resolution to refuse. */
static ckp_status map_entry(ckp_rctx *c, ynode *map, const char *name, int leaf, ynode **out)
{
    ynode *v = ckp_tree_get(map, name);
    if (!v) {
        v = leaf ? ckp_tree_scalar("", 1) : ckp_tree_new(YN_MAP);
        if (!v || ckp_tree_set(map, name, v) != 0) {
            ckp_tree_free(v);
            return ckp_rc_fail_code(c, CKP_ERR_NOMEM, map, "out of memory");
        }
        v->line = map->line;
        v->col = map->col;
        map->keys[map->n - 1]->line = map->line;
        map->keys[map->n - 1]->col = map->col;
    }
    *out = v;
    return CKP_OK;
}

/* Keep a transition row summing to 1 after its entry `at` became v. */
static ckp_status rescale_row(ckp_rctx *c, ynode *row, const ynode *at)
{
    double v = 0, S = 0;
    CKP_TRY(ckp_rc_num(c, at, ckp_range_unit, &v));
    double *e = calloc(row->n + 1, sizeof *e);
    if (!e)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, row, "out of memory");
    for (size_t k = 0; k < row->n; k++) {
        const ynode *x = row->items[k];
        if (x == at)
            continue;
        if (x->kind != YN_SCALAR || ckp_val_parse_num(x->text, &e[k]) != 0) {
            free(e);
            return CKP_OK; /* a malformed row: the resolution refuses it */
        }
        S += e[k];
    }
    ckp_status st = CKP_OK;
    if (!(S > 0) && v != 1.0)
        st = ckp_rc_fail(c, at,
                         "cannot keep the transition row summing to 1: its other entries are "
                         "all 0 (expected 1, or a row with another non-zero entry), found %.17g",
                         v);
    for (size_t k = 0; k < row->n && !st && S > 0; k++) {
        ynode *x = row->items[k];
        if (x == at)
            continue;
        char nb[40];
        snprintf(nb, sizeof nb, "%.17g", e[k] * (1.0 - v) / S);
        char *t = strdup(nb);
        if (!t) {
            st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, row, "out of memory");
            break;
        }
        free(x->text);
        x->text = t;
        x->plain = 1;
    }
    free(e);
    return st;
}

/* Walk parts[0..n) from the document root, creating what is absent. *row is
 * set to the transition row holding the target when the path ends in one. */
static ckp_status walk(ckp_rctx *c, ynode *doc, const kpart *parts, int n, ynode **out, ynode **row)
{
    ynode *cur = doc;
    const char *list = "";
    *row = NULL;
    for (int i = 0; i < n; i++) {
        const kpart *p = &parts[i];
        int last = i == n - 1;
        ynode *next = NULL;
        char db[96];
        if (p->sel) {
            CKP_TRY(select_entry(c, cur, list, p->text, &next));
            ckp_rc_push(c, "[%s]", p->text);
        } else if (cur->kind == YN_MAP) {
            if (!last && parts[i + 1].sel && !ckp_tree_get(cur, p->text)) {
                ckp_rc_key(c, p->text);
                return ckp_rc_fail(c, cur, "no list '%s' here to select [%s] from", p->text,
                                   parts[i + 1].text);
            }
            CKP_TRY(map_entry(c, cur, p->text, last, &next));
            ckp_rc_key(c, p->text);
            list = p->text;
        } else if (cur->kind == YN_SEQ && i >= 2 && !parts[i - 1].sel && !parts[i - 2].sel &&
                   strcmp(parts[i - 2].text, "transitions") == 0) {
            CKP_TRY(row_entry(c, doc, cur, p->text, &next));
            ckp_rc_key(c, p->text);
        } else {
            return ckp_rc_fail(c, cur, "expected a mapping with key '%s', found %s", p->text,
                               ckp_diag_describe(cur, db, sizeof db));
        }
        if (last && i >= 2 && !p->sel && !parts[i - 1].sel &&
            strcmp(parts[i - 2].text, "transitions") == 0)
            *row = cur;
        cur = next;
    }
    *out = cur;
    return CKP_OK;
}

/* Apply one override to the document. */
static ckp_status apply_one(ckp_rctx *c, ynode *doc, const ckp_override *ov)
{
    kpart parts[MAX_PARTS];
    int n = split_path(ov->key, parts, MAX_PARTS);
    if (n <= 0)
        return ckp_error_set(c->err, CKP_ERR_CONFIG, c->file, 0, 0, ov->key,
                             "expected a key path of names separated by '.', list entries as "
                             "NAME[ENTRY] or NAME[INDEX] (e.g. materials[NdPr].stockpile.days)");
    static const char *const fixed[] = {"version", "seed", "paths", "antithetic", "sensitivity"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(parts[0].text, fixed[i]) == 0)
            return ckp_error_set(c->err, CKP_ERR_CONFIG, c->file, 0, 0, ov->key,
                                 "expected a key of the model; '%s' is a run setting, the same "
                                 "for every swing",
                                 fixed[i]);
    ynode *at = NULL, *row = NULL;
    ckp_rc_pop(c, 0);
    CKP_TRY(walk(c, doc, parts, n, &at, &row));
    char db[96];
    if (at->kind != YN_SCALAR)
        return ckp_rc_fail(c, at, "expected a single value to vary, found %s",
                           ckp_diag_describe(at, db, sizeof db));
    char *t = strdup(ov->value);
    if (!t)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, at, "out of memory");
    free(at->text);
    at->text = t;
    at->plain = 1;
    if (ov->line > 0) {
        at->line = ov->line;
        at->col = ov->col;
    }
    return row ? rescale_row(c, row, at) : CKP_OK;
}

ckp_status ckp_scenario_vary(const ckp_scenario *sc, const ckp_override *ov, int n,
                             ckp_scenario **out, ckp_error *err)
{
    if (!out)
        return CKP_FAIL(err, CKP_ERR_USAGE, "no place for the scenario");
    *out = NULL;
    if (!sc || !sc->priv || n < 0 || (n > 0 && !ov))
        return CKP_FAIL(err, CKP_ERR_USAGE, "no scenario or overrides to vary");
    ckp_error_clear(err);
    size_t len = strlen(sc->source_text);
    ynode *doc = ckp_tree_parse(sc->source_text, len, sc->source_name, err);
    if (!doc)
        return err ? err->code : CKP_ERR_CONFIG;
    ckp_rctx c;
    memset(&c, 0, sizeof c);
    c.file = sc->source_name;
    c.err = err;
    ckp_status st = CKP_OK;
    for (int i = 0; i < n && !st; i++)
        st = apply_one(&c, doc, &ov[i]);
    if (st) {
        ckp_tree_free(doc);
        return st;
    }
    return ckp_scenario_load_doc(doc, sc->source_text, len, sc->source_name, sc->priv->basedir,
                                 sc->priv->no_files, out, err);
}

/* ---- the sensitivity: section ---------------------------------------------- */

static ckp_status read_swing(ckp_rctx *c, const ynode *it, ckp_swing *w)
{
    static const char *const keys[] = {"key", "low", "high", NULL};
    CKP_TRY(ckp_rc_expect(c, it, YN_MAP, "a mapping {key, low, high}"));
    CKP_TRY(ckp_rc_check_keys(c, it, keys));
    const char *key = NULL;
    CKP_TRY(ckp_rc_get_text(c, it, "key", 1, &key));
    double v = 0;
    CKP_TRY(ckp_rc_get_num(c, it, "low", 1, 0, ckp_range_any, &v));
    CKP_TRY(ckp_rc_get_num(c, it, "high", 1, 0, ckp_range_any, &v));
    const ynode *lo = ckp_tree_get(it, "low"), *hi = ckp_tree_get(it, "high");
    w->key = strdup(key);
    w->low = strdup(lo->text);
    w->high = strdup(hi->text);
    w->line = it->line;
    w->col = it->col;
    w->low_line = lo->line;
    w->low_col = lo->col;
    w->high_line = hi->line;
    w->high_col = hi->col;
    if (!w->key || !w->low || !w->high)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, it, "out of memory");
    return CKP_OK;
}

ckp_status ckp_rc_read_sensitivity(ckp_rctx *c, const ynode *doc, struct ckp_scenario_priv *pv)
{
    const ynode *s = ckp_tree_get(doc, "sensitivity");
    if (!s)
        return CKP_OK;
    size_t old = ckp_rc_key(c, "sensitivity");
    ckp_status st = ckp_rc_expect(c, s, YN_SEQ, "a list of {key, low, high}");
    if (!st && s->n > CKP_MAX_SWINGS)
        st = ckp_rc_fail(c, s, "refusing %zu keys to vary (limit %d)", s->n, CKP_MAX_SWINGS);
    if (!st && s->n > 0 && !(pv->swings = calloc(s->n, sizeof *pv->swings)))
        st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, s, "out of memory");
    for (size_t i = 0; !st && i < s->n; i++) {
        size_t o2 = ckp_rc_push(c, "[%zu]", i);
        st = read_swing(c, s->items[i], &pv->swings[i]);
        pv->nswings = (int)i + 1;
        ckp_rc_pop(c, o2);
    }
    ckp_rc_pop(c, old);
    return st;
}

void ckp_swings_free(struct ckp_scenario_priv *pv)
{
    for (int i = 0; i < pv->nswings; i++) {
        free(pv->swings[i].key);
        free(pv->swings[i].low);
        free(pv->swings[i].high);
    }
    free(pv->swings);
    pv->swings = NULL;
    pv->nswings = 0;
}

const ckp_swing *ckp_scenario_swings(const ckp_scenario *sc, int *n)
{
    if (n)
        *n = sc && sc->priv ? sc->priv->nswings : 0;
    return sc && sc->priv ? sc->priv->swings : NULL;
}
