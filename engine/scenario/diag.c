/* chokepoint: key paths and refusal messages of scenario resolution (see
 * diag_impl.h): the text of what was found, "did you mean" suggestions by
 * edit distance, lists of the expected names, and the common checks of keys
 * and node kinds. */
#include "engine/scenario/diag_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t ckp_rc_push(ckp_rctx *c, const char *fmt, ...)
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

size_t ckp_rc_key(ckp_rctx *c, const char *key)
{
    return c->plen ? ckp_rc_push(c, ".%s", key) : ckp_rc_push(c, "%s", key);
}

void ckp_rc_pop(ckp_rctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

static ckp_status failv(ckp_rctx *c, ckp_status code, const ynode *at, const char *fmt, va_list ap)
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

ckp_status ckp_rc_fail(ckp_rctx *c, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ckp_status s = failv(c, CKP_ERR_CONFIG, at, fmt, ap);
    va_end(ap);
    return s;
}

ckp_status ckp_rc_fail_code(ckp_rctx *c, ckp_status code, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ckp_status s = failv(c, code, at, fmt, ap);
    va_end(ap);
    return s;
}

/* What a node is, for "found ..." */
const char *ckp_diag_describe(const ynode *n, char *buf, size_t cap)
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
const char *ckp_diag_suggest(const char *word, const char *const *cands, int n, char *buf,
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
const char *ckp_diag_listing(const char *const *names, int n, char *buf, size_t cap)
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

ckp_status ckp_rc_check_keys(ckp_rctx *c, const ynode *map, const char *const *allowed)
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
            size_t old = ckp_rc_key(c, k);
            ckp_status s = ckp_rc_fail(c, map->keys[i], "unknown key '%s'%s; expected one of: %s",
                                       k, ckp_diag_suggest(k, allowed, na, sb, sizeof sb),
                                       ckp_diag_listing(allowed, na, lb, sizeof lb));
            ckp_rc_pop(c, old);
            return s;
        }
    }
    return CKP_OK;
}

ckp_status ckp_rc_expect(ckp_rctx *c, const ynode *n, ynode_kind kind, const char *what)
{
    if (n->kind == kind)
        return CKP_OK;
    char b[96];
    return ckp_rc_fail(c, n, "expected %s, found %s", what, ckp_diag_describe(n, b, sizeof b));
}

ckp_status ckp_rc_missing(ckp_rctx *c, const ynode *map, const char *key, const char *what)
{
    size_t old = ckp_rc_key(c, key);
    ckp_status s = ckp_rc_fail(c, map, "missing key '%s' (expected %s)", key, what);
    ckp_rc_pop(c, old);
    return s;
}
