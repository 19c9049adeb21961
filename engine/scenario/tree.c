/* chokepoint: the scenario document tree (see tree_impl.h): building,
 * copying, looking up and comparing nodes, and the one-line flow text used in
 * messages and policy differences. Reading and writing YAML text is in
 * tree_yaml.c. */
#include "engine/scenario/tree_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ynode *ckp_tree_new(ynode_kind kind)
{
    ynode *n = calloc(1, sizeof *n);
    if (n)
        n->kind = kind;
    return n;
}

ynode *ckp_tree_scalar(const char *text, int plain)
{
    ynode *n = ckp_tree_new(YN_SCALAR);
    if (!n)
        return NULL;
    n->plain = plain;
    n->text = strdup(text ? text : "");
    if (!n->text) {
        free(n);
        return NULL;
    }
    return n;
}

void ckp_tree_free(ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        ckp_tree_free(n->items[i]);
        if (n->keys)
            ckp_tree_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->text);
    free(n);
}

int ckp_tree_grow(ynode *n)
{
    if (n->n < n->cap)
        return 0;
    size_t cap = n->cap ? n->cap * 2 : 4;
    ynode **items = realloc(n->items, cap * sizeof *items);
    if (!items)
        return -1;
    n->items = items;
    if (n->kind == YN_MAP) {
        ynode **keys = realloc(n->keys, cap * sizeof *keys);
        if (!keys)
            return -1;
        n->keys = keys;
    }
    n->cap = cap;
    return 0;
}

int ckp_tree_append(ynode *seq, ynode *item)
{
    if (ckp_tree_grow(seq))
        return -1;
    seq->items[seq->n++] = item;
    return 0;
}

int ckp_tree_find(const ynode *map, const char *key)
{
    if (!map || map->kind != YN_MAP)
        return -1;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return (int)i;
    return -1;
}

ynode *ckp_tree_get(const ynode *n, const char *key)
{
    int i = ckp_tree_find(n, key);
    return i < 0 ? NULL : n->items[i];
}

int ckp_tree_set(ynode *map, const char *key, ynode *value)
{
    int i = ckp_tree_find(map, key);
    if (i >= 0) {
        ckp_tree_free(map->items[i]);
        map->items[i] = value;
        return 0;
    }
    ynode *k = ckp_tree_scalar(key, 1);
    if (!k || ckp_tree_grow(map)) {
        ckp_tree_free(k);
        return -1;
    }
    map->keys[map->n] = k;
    map->items[map->n++] = value;
    return 0;
}

void ckp_tree_remove(ynode *map, const char *key)
{
    int i = ckp_tree_find(map, key);
    if (i < 0)
        return;
    ckp_tree_free(map->keys[i]);
    ckp_tree_free(map->items[i]);
    for (size_t j = (size_t)i + 1; j < map->n; j++) {
        map->keys[j - 1] = map->keys[j];
        map->items[j - 1] = map->items[j];
    }
    map->n--;
}

ynode *ckp_tree_copy(const ynode *n)
{
    if (!n)
        return NULL;
    ynode *c = ckp_tree_new(n->kind);
    if (!c)
        return NULL;
    c->line = n->line;
    c->col = n->col;
    c->plain = n->plain;
    if (n->text && !(c->text = strdup(n->text)))
        goto fail;
    if (n->n) {
        c->cap = n->n;
        c->items = calloc(n->n, sizeof *c->items);
        if (!c->items)
            goto fail;
        if (n->kind == YN_MAP && !(c->keys = calloc(n->n, sizeof *c->keys)))
            goto fail;
        for (size_t i = 0; i < n->n; i++) {
            /* Count as we go so a failure frees exactly what exists. */
            c->items[i] = ckp_tree_copy(n->items[i]);
            if (n->kind == YN_MAP)
                c->keys[i] = ckp_tree_copy(n->keys[i]);
            c->n = i + 1;
            if (!c->items[i] || (n->kind == YN_MAP && !c->keys[i]))
                goto fail;
        }
    }
    return c;
fail:
    ckp_tree_free(c);
    return NULL;
}

int ckp_tree_item_name(const ynode *item, char *buf, size_t cap)
{
    if (!item || item->kind != YN_MAP || cap == 0)
        return 0;
    const ynode *name = ckp_tree_get(item, "name");
    if (name && name->kind == YN_SCALAR) {
        snprintf(buf, cap, "%s", name->text);
        return 1;
    }
    const ynode *path = ckp_tree_get(item, "path");
    if (path && path->kind == YN_SEQ && path->n > 0) {
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < path->n; i++) {
            if (path->items[i]->kind != YN_SCALAR)
                return 0;
            int w = snprintf(buf + used, cap - used, "%s%s", i ? "-" : "", path->items[i]->text);
            if (w < 0 || (size_t)w >= cap - used)
                return 1; /* truncated, still an identity */
            used += (size_t)w;
        }
        return 1;
    }
    return 0;
}

/* ---- flow text ---------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t cap, used;
    int full;
} sbuf;

static void sb_put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->full)
        return;
    if (b->used + n + 4 >= b->cap) {
        size_t room = b->cap > b->used + 4 ? b->cap - b->used - 4 : 0;
        memcpy(b->p + b->used, s, room);
        b->used += room;
        memcpy(b->p + b->used, "...", 4);
        b->full = 1;
        return;
    }
    memcpy(b->p + b->used, s, n + 1);
    b->used += n;
}

static void flow(const ynode *n, sbuf *b)
{
    if (!n) {
        sb_put(b, "(absent)");
        return;
    }
    switch (n->kind) {
    case YN_SCALAR:
        if (!n->plain)
            sb_put(b, "\"");
        sb_put(b, n->text);
        if (!n->plain)
            sb_put(b, "\"");
        break;
    case YN_SEQ:
        sb_put(b, "[");
        for (size_t i = 0; i < n->n && !b->full; i++) {
            if (i)
                sb_put(b, ", ");
            flow(n->items[i], b);
        }
        sb_put(b, "]");
        break;
    case YN_MAP:
        sb_put(b, "{");
        for (size_t i = 0; i < n->n && !b->full; i++) {
            if (i)
                sb_put(b, ", ");
            sb_put(b, n->keys[i]->text);
            sb_put(b, ": ");
            flow(n->items[i], b);
        }
        sb_put(b, "}");
        break;
    }
}

void ckp_tree_flow(const ynode *n, char *buf, size_t cap)
{
    if (cap < 8) {
        if (cap)
            buf[0] = '\0';
        return;
    }
    sbuf b = {buf, cap, 0, 0};
    buf[0] = '\0';
    flow(n, &b);
}

int ckp_tree_equal(const ynode *a, const ynode *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->n != b->n)
        return 0;
    if (a->kind == YN_SCALAR)
        return strcmp(a->text, b->text) == 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->kind == YN_MAP && strcmp(a->keys[i]->text, b->keys[i]->text) != 0)
            return 0;
        if (!ckp_tree_equal(a->items[i], b->items[i]))
            return 0;
    }
    return 1;
}
