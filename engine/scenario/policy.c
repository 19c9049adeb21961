/* chokepoint: policies (see resolve_impl.h). A policy's `changes` are
 * deep-merged over a copy of the baseline document: mappings key by key,
 * lists of named entries (suppliers, materials, industries, routes) entry by
 * entry, anything else replaced. The merged document is resolved like the
 * baseline, and its differences from the baseline are listed as text lines
 * "key.path: base -> policy". */
#include "engine/scenario/resolve_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/scenario/scenario_impl.h"

/* ---- named lists: entry names and their hash index ---------------------- */

/* Entry names as ckp_tree_item_name gives them (cut at NAME_CAP - 1 bytes). */
#define NAME_CAP 160

typedef struct named {
    char (*buf)[NAME_CAP];
    const char **ptr;
    size_t n;
    ckp_name_ix ix;
} named;

static void named_add(named *nl, const ynode *item)
{
    ckp_tree_item_name(item, nl->buf[nl->n], NAME_CAP);
    nl->ptr[nl->n] = nl->buf[nl->n];
    ckp_name_ix_add(&nl->ix, (int)nl->n); /* a repeated name: the first entry keeps it */
    nl->n++;
}

static void named_free(named *nl)
{
    free(nl->buf);
    free(nl->ptr);
    ckp_name_ix_free(&nl->ix);
}

/* The names of list's entries, with room for `extra` more; -1 when out of memory. */
static int named_init(named *nl, const ynode *list, size_t extra)
{
    size_t cap = list->n + extra + 1;
    nl->n = 0;
    nl->ix.slot = NULL;
    nl->buf = malloc(cap * sizeof *nl->buf);
    nl->ptr = calloc(cap, sizeof *nl->ptr);
    if (!nl->buf || !nl->ptr || ckp_name_ix_init(&nl->ix, nl->ptr, cap) != 0) {
        named_free(nl);
        return -1;
    }
    for (size_t i = 0; i < list->n; i++)
        named_add(nl, list->items[i]);
    return 0;
}

/* ---- deep merge --------------------------------------------------------- */

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

static ckp_status merge(ckp_rctx *c, ynode **dst, const ynode *src, const char *no_new_kind)
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
            size_t old = ckp_rc_key(c, k);
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
                    st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, src, "out of memory");
                } else {
                    /* keep the policy's own position for messages */
                    ckp_tree_free(d->keys[d->n - 1]);
                    d->keys[d->n - 1] = kc;
                    kc = NULL;
                }
                ckp_tree_free(kc);
            }
            ckp_rc_pop(c, old);
            CKP_TRY(st);
        }
        return CKP_OK;
    }
    if (no_new_kind && src->kind == YN_SEQ && src->n == 0)
        return CKP_OK;
    if (no_new_kind && (src->kind != YN_SEQ || !named_list(src))) {
        char db[96];
        return ckp_rc_fail(c, src,
                           "expected a list of %s named by `name` (a policy changes entries, "
                           "it cannot replace the list), found %s",
                           no_new_kind, ckp_diag_describe(src, db, sizeof db));
    }
    if (d->kind == YN_SEQ && src->kind == YN_SEQ && src->n > 0 && named_list(src) &&
        named_list(d)) {
        named nl;
        if (named_init(&nl, d, src->n) != 0)
            return ckp_rc_fail_code(c, CKP_ERR_NOMEM, src, "out of memory");
        for (size_t i = 0; i < src->n; i++) {
            char nm[NAME_CAP];
            ckp_tree_item_name(src->items[i], nm, sizeof nm);
            size_t old = ckp_rc_push(c, "[%s]", nm);
            ckp_status st = CKP_OK;
            int j = ckp_name_ix_find(&nl.ix, nm);
            if (j >= 0) {
                st = merge(c, &d->items[j], src->items[i], NULL);
            } else if (no_new_kind) {
                st = ckp_rc_fail(
                    c, src->items[i],
                    "expected one of the baseline's %s, found the new entry '%s' (a policy "
                    "cannot add or remove %s)",
                    no_new_kind, nm, no_new_kind);
            } else {
                ynode *cp = ckp_tree_copy(src->items[i]);
                if (!cp || ckp_tree_append(d, cp)) {
                    ckp_tree_free(cp);
                    st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, src, "out of memory");
                } else {
                    named_add(&nl, cp);
                }
            }
            ckp_rc_pop(c, old);
            if (st) {
                named_free(&nl);
                return st;
            }
        }
        named_free(&nl);
        return CKP_OK;
    }
    ynode *cp = ckp_tree_copy(src);
    if (!cp)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, src, "out of memory");
    ckp_tree_free(d);
    *dst = cp;
    return CKP_OK;
}

/* ---- differences -------------------------------------------------------- */

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
        named na, nb;
        if (named_init(&na, a, 0) != 0) {
            out->nomem = 1;
            return;
        }
        if (named_init(&nb, b, 0) != 0) {
            named_free(&na);
            out->nomem = 1;
            return;
        }
        for (size_t i = 0; i < a->n; i++) {
            int j = ckp_name_ix_find(&nb.ix, na.ptr[i]);
            snprintf(path + plen, pcap - plen, "[%s]", na.ptr[i]);
            diff(a->items[i], j >= 0 ? b->items[j] : NULL, path, strlen(path), pcap, out);
        }
        for (size_t j = 0; j < b->n; j++)
            if (ckp_name_ix_find(&na.ix, nb.ptr[j]) < 0) {
                snprintf(path + plen, pcap - plen, "[%s]", nb.ptr[j]);
                diff(NULL, b->items[j], path, strlen(path), pcap, out);
            }
        named_free(&na);
        named_free(&nb);
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

/* ---- one policy --------------------------------------------------------- */

/* What a policy may change; the rest must be the same for every policy. */
const char *const ckp_doc_policy_keys[] = {"suppliers",  "supplier_correlation", "materials",
                                           "price_correlation", "industries",
                                           "interdependency", "propagation", "rule", NULL};

ckp_status ckp_rc_resolve_policy(ckp_rctx *c, ckp_scenario *sc, const ynode *base, const ynode *pol,
                                 int p, int T, double threshold)
{
    const ynode *changes = ckp_tree_get(pol, "changes");
    ynode *merged = ckp_tree_copy(base);
    if (!merged)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, pol, "out of memory");
    sc->priv->merged[p] = merged;
    if (changes) {
        size_t old = ckp_rc_key(c, "changes");
        ckp_status st = ckp_rc_expect(c, changes, YN_MAP, "a mapping of changes to the baseline");
        for (size_t i = 0; !st && i < changes->n; i++) {
            const char *k = changes->keys[i]->text;
            int ok = 0, known = 0;
            for (int j = 0; ckp_doc_policy_keys[j]; j++)
                ok |= strcmp(ckp_doc_policy_keys[j], k) == 0;
            for (int j = 0; ckp_doc_top_keys[j]; j++)
                known |= strcmp(ckp_doc_top_keys[j], k) == 0;
            if (!ok) {
                size_t o2 = ckp_rc_key(c, k);
                char sb[128], lb[600];
                if (known)
                    st = ckp_rc_fail(
                        c, changes->keys[i],
                        "a policy cannot change '%s' (it is the same for every policy); "
                        "expected one of: %s",
                        k, ckp_diag_listing(ckp_doc_policy_keys, 8, lb, sizeof lb));
                else
                    st = ckp_rc_fail(c, changes->keys[i], "unknown key '%s'%s; expected one of: %s",
                                     k, ckp_diag_suggest(k, ckp_doc_policy_keys, 8, sb, sizeof sb),
                                     ckp_diag_listing(ckp_doc_policy_keys, 8, lb, sizeof lb));
                ckp_rc_pop(c, o2);
            }
        }
        for (size_t i = 0; !st && i < changes->n; i++) {
            const char *k = changes->keys[i]->text;
            const char *no_new = strcmp(k, "suppliers") == 0   ? "suppliers"
                                 : strcmp(k, "materials") == 0 ? "materials"
                                 : strcmp(k, "industries") == 0 ? "industries"
                                                                : NULL;
            /* ckp_tree_set owns the copy only when it succeeds. */
            ynode *one = ckp_tree_new(YN_MAP);
            ynode *copy = one ? ckp_tree_copy(changes->items[i]) : NULL;
            if (!copy || ckp_tree_set(one, k, copy)) {
                ckp_tree_free(copy);
                ckp_tree_free(one);
                st = ckp_rc_fail_code(c, CKP_ERR_NOMEM, changes, "out of memory");
                break;
            }
            ynode *slot = ckp_tree_get(merged, k);
            if (slot) {
                size_t o2 = ckp_rc_key(c, k);
                int at = -1;
                for (size_t j = 0; j < merged->n; j++)
                    if (strcmp(merged->keys[j]->text, k) == 0)
                        at = (int)j;
                st = merge(c, &merged->items[at], changes->items[i], no_new);
                ckp_rc_pop(c, o2);
            } else {
                st = merge(c, &sc->priv->merged[p], one, NULL);
                merged = sc->priv->merged[p];
            }
            ckp_tree_free(one);
        }
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }

    /* Names cannot differ (the merge refuses new entries); resolve errors in
     * the merged document are reported under the policy's changes. */
    snprintf(c->prefix, sizeof c->prefix, "policies[%s].changes", sc->policy_names[p]);
    char saved[sizeof c->path];
    size_t saved_len = c->plen;
    memcpy(saved, c->path, sizeof saved);
    ckp_rc_pop(c, 0);
    ckp_status st = ckp_rc_build_model(c, merged, T, threshold, &sc->models[p]);
    c->prefix[0] = '\0';
    memcpy(c->path, saved, sizeof saved);
    c->plen = saved_len;
    CKP_TRY(st);

    dbuf out = {NULL, 0, 0, 0};
    char path[600] = "";
    diff(base, merged, path, 0, sizeof path, &out);
    if (!out.p && !out.nomem)
        dput(&out, "");
    if (out.nomem) {
        free(out.p);
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, pol, "out of memory");
    }
    sc->policy_diffs[p] = out.p;
    return CKP_OK;
}
