/* chokepoint: YAML text to document tree and back, with libyaml (see
 * tree_impl.h).
 *
 * libyaml's event parser feeds an explicit stack, so a hostile document cannot
 * exhaust the C stack; depth, node count and text length are bounded before
 * anything grows with them. Aliases are refused: expanding them is how small
 * YAML texts become enormous documents, and scenarios never need them. */
#include "engine/scenario/tree_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* A mapping with more pairs than this is refused. */
#define MAX_MAP_PAIRS 20000

/* ---- parsing ------------------------------------------------------------ */

typedef struct frame {
    ynode *node;
    ynode *key;    /* mapping: the key waiting for its value */
    size_t *slots; /* mapping: hash set of key indices + 1 (0 empty), or NULL */
    size_t nslots; /* a power of two, at least twice the keys */
} frame;

/* Duplicate keys are found through a hash set of each open mapping's keys
 * (open addressing, linear probing, FNV-1a), so a mapping of n keys costs
 * O(n) and not the O(n^2) of comparing every key with every earlier one.
 * Mappings of a few keys are scanned directly. */
#define HASH_FROM 16

static size_t key_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* The slot of `key` in f's set: the one holding it, or the empty one where it
 * belongs. */
static size_t slot_of(const frame *f, const char *key)
{
    size_t mask = f->nslots - 1, i = key_hash(key) & mask;
    while (f->slots[i] && strcmp(f->node->keys[f->slots[i] - 1]->text, key) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Make room in f's set for one more key than the mapping has: 0, -1 nomem. */
static int set_reserve(frame *f)
{
    size_t want = f->node->n + 1;
    if (want < HASH_FROM || 2 * want <= f->nslots)
        return 0;
    size_t n = f->nslots ? f->nslots * 2 : 2 * HASH_FROM;
    while (n < 2 * want)
        n *= 2;
    size_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    free(f->slots);
    f->slots = slots;
    f->nslots = n;
    for (size_t k = 0; k < f->node->n; k++)
        f->slots[slot_of(f, f->node->keys[k]->text)] = k + 1;
    return 0;
}

/* Whether the open mapping of f already has `key`. */
static int has_key(const frame *f, const char *key)
{
    if (!f->slots)
        return ckp_tree_find(f->node, key) >= 0;
    return f->slots[slot_of(f, key)] != 0;
}

static ckp_status yerr(ckp_error *err, ckp_status code, const char *file, yaml_mark_t m,
                       const char *fmt, const char *what)
{
    return ckp_error_set(err, code, file, (int)m.line + 1, (int)m.column + 1, NULL, fmt, what);
}

/* Attach a finished node to the frame on top of the stack (or make it the
 * root). Returns 0, or -1 with err filled. */
static int attach(frame *stack, int depth, ynode **root, ynode *node, const char *file,
                  yaml_mark_t mark, ckp_error *err)
{
    if (depth == 0) {
        *root = node;
        return 0;
    }
    frame *f = &stack[depth - 1];
    if (f->node->kind == YN_SEQ) {
        if (ckp_tree_append(f->node, node)) {
            ckp_error_set(err, CKP_ERR_NOMEM, file, 0, 0, NULL, "out of memory reading YAML");
            return -1;
        }
        return 0;
    }
    if (!f->key) {
        if (node->kind != YN_SCALAR) {
            yerr(err, CKP_ERR_CONFIG, file, mark,
                 "expected a plain key, found a %s used as a mapping key",
                 node->kind == YN_SEQ ? "sequence" : "mapping");
            return -1;
        }
        if (has_key(f, node->text)) {
            yerr(err, CKP_ERR_CONFIG, file, mark, "duplicate key '%s' in one mapping",
                 node->text);
            return -1;
        }
        if (f->node->n >= MAX_MAP_PAIRS) {
            yerr(err, CKP_ERR_CONFIG, file, mark,
                 "refusing a mapping with more than 20000 keys (found key '%s')", node->text);
            return -1;
        }
        f->key = node;
        return 0;
    }
    if (ckp_tree_grow(f->node) || set_reserve(f)) {
        ckp_error_set(err, CKP_ERR_NOMEM, file, 0, 0, NULL, "out of memory reading YAML");
        return -1;
    }
    if (f->slots)
        f->slots[slot_of(f, f->key->text)] = f->node->n + 1;
    f->node->keys[f->node->n] = f->key;
    f->node->items[f->node->n++] = node;
    f->key = NULL;
    return 0;
}

/* A scalar, or the start of a sequence or mapping: a new node, attached to
 * its parent (a scalar) or pushed as an open collection. Returns 0, or -1
 * with err filled. */
static int start_node(frame *stack, int *depth, ynode **root, long *nodes,
                      const yaml_event_t *ev, const char *file, ckp_error *err)
{
    yaml_mark_t m = ev->start_mark;
    if (++*nodes > CKP_TREE_MAX_NODES) {
        yerr(err, CKP_ERR_CONFIG, file, m, "refusing a document with more than %s values",
             "4000000");
        return -1;
    }
    ynode *node = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        node = ckp_tree_new(YN_SCALAR);
        if (node) {
            node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            node->text = malloc(ev->data.scalar.length + 1);
            if (node->text) {
                memcpy(node->text, ev->data.scalar.value, ev->data.scalar.length);
                node->text[ev->data.scalar.length] = '\0';
                if (strlen(node->text) != ev->data.scalar.length) {
                    ckp_tree_free(node);
                    yerr(err, CKP_ERR_CONFIG, file, m,
                         "expected text, found a scalar containing a NUL byte%s", "");
                    return -1;
                }
            }
        }
    } else {
        node = ckp_tree_new(ev->type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP);
    }
    if (!node || (node->kind == YN_SCALAR && !node->text)) {
        ckp_tree_free(node);
        ckp_error_set(err, CKP_ERR_NOMEM, file, 0, 0, NULL, "out of memory reading YAML");
        return -1;
    }
    node->line = (int)m.line + 1;
    node->col = (int)m.column + 1;
    if (node->kind == YN_SCALAR) {
        if (attach(stack, *depth, root, node, file, m, err)) {
            ckp_tree_free(node);
            return -1;
        }
    } else if (*depth >= CKP_TREE_MAX_DEPTH) {
        ckp_tree_free(node);
        yerr(err, CKP_ERR_CONFIG, file, m, "refusing a document nested deeper than %s levels",
             "64");
        return -1;
    } else {
        stack[*depth] = (frame){node, NULL, NULL, 0};
        (*depth)++;
    }
    return 0;
}

ynode *ckp_tree_parse(const char *text, size_t len, const char *file, ckp_error *err)
{
    if (len > CKP_TREE_MAX_TEXT) {
        ckp_error_set(err, CKP_ERR_CONFIG, file, 0, 0, NULL,
                      "refusing a scenario text of %zu bytes (limit %zu)", len,
                      CKP_TREE_MAX_TEXT);
        return NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        ckp_error_set(err, CKP_ERR_NOMEM, file, 0, 0, NULL, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    frame stack[CKP_TREE_MAX_DEPTH];
    int depth = 0, ndocs = 0, done = 0, failed = 0;
    long nodes = 0;
    ynode *root = NULL;

    while (!done && !failed) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            yaml_mark_t m = parser.problem_mark;
            const char *problem = parser.problem ? parser.problem : "unknown problem";
            if (parser.context)
                ckp_error_set(err, CKP_ERR_CONFIG, file, (int)m.line + 1, (int)m.column + 1,
                              NULL, "malformed YAML: %s %s", problem, parser.context);
            else
                ckp_error_set(err, CKP_ERR_CONFIG, file, (int)m.line + 1, (int)m.column + 1,
                              NULL, "malformed YAML: %s", problem);
            failed = 1;
            break;
        }
        yaml_mark_t m = ev.start_mark;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++ndocs > 1) {
                yerr(err, CKP_ERR_CONFIG, file, m,
                     "expected one YAML document, found a second one%s", "");
                failed = 1;
            }
            break;
        case YAML_ALIAS_EVENT:
            yerr(err, CKP_ERR_CONFIG, file, m,
                 "expected a value, found the alias *%s (aliases are not supported)",
                 (const char *)ev.data.alias.anchor);
            failed = 1;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            failed = start_node(stack, &depth, &root, &nodes, &ev, file, err) != 0;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            depth--;
            ynode *done_node = stack[depth].node;
            /* libyaml guarantees a value after every key, so key is NULL here. */
            ckp_tree_free(stack[depth].key);
            free(stack[depth].slots);
            if (attach(stack, depth, &root, done_node, file, m, err)) {
                ckp_tree_free(done_node);
                failed = 1;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (failed) {
        for (int d = depth - 1; d >= 0; d--) {
            free(stack[d].slots);
            ckp_tree_free(stack[d].key);
            ckp_tree_free(stack[d].node);
        }
        ckp_tree_free(root);
        return NULL;
    }
    if (!root) {
        ckp_error_set(err, CKP_ERR_CONFIG, file, 1, 1, NULL,
                      "expected a scenario mapping, found an empty document");
        return NULL;
    }
    return root;
}

/* ---- emitting ----------------------------------------------------------- */

typedef struct obuf {
    char *p;
    size_t used, cap;
    int nomem;
} obuf;

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    obuf *o = data;
    if (o->used + size + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (o->used + size + 1 > cap)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->nomem = 1;
            return 0;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->used, buffer, size);
    o->used += size;
    o->p[o->used] = '\0';
    return 1;
}

/* Sequences of scalars (matrix rows, paths, regime lists) read best inline. */
static int all_scalars(const ynode *n)
{
    for (size_t i = 0; i < n->n; i++)
        if (n->items[i]->kind != YN_SCALAR)
            return 0;
    return 1;
}

static int emit_node(yaml_emitter_t *em, const ynode *n, int in_flow)
{
    yaml_event_t ev;
    switch (n->kind) {
    case YN_SCALAR:
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->text,
                                          (int)strlen(n->text), n->plain, !n->plain,
                                          n->plain ? YAML_PLAIN_SCALAR_STYLE
                                                   : YAML_DOUBLE_QUOTED_SCALAR_STYLE))
            return -1;
        return yaml_emitter_emit(em, &ev) ? 0 : -1;
    case YN_SEQ: {
        int fl = in_flow || all_scalars(n);
        if (!yaml_sequence_start_event_initialize(
                &ev, NULL, NULL, 1, fl ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE))
            return -1;
        if (!yaml_emitter_emit(em, &ev))
            return -1;
        for (size_t i = 0; i < n->n; i++) {
            /* Matrices: a block list of flow rows. */
            if (emit_node(em, n->items[i], fl))
                return -1;
        }
        if (!yaml_sequence_end_event_initialize(&ev))
            return -1;
        return yaml_emitter_emit(em, &ev) ? 0 : -1;
    }
    case YN_MAP:
        if (!yaml_mapping_start_event_initialize(
                &ev, NULL, NULL, 1, in_flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE))
            return -1;
        if (!yaml_emitter_emit(em, &ev))
            return -1;
        for (size_t i = 0; i < n->n; i++) {
            if (emit_node(em, n->keys[i], in_flow) || emit_node(em, n->items[i], in_flow))
                return -1;
        }
        if (!yaml_mapping_end_event_initialize(&ev))
            return -1;
        return yaml_emitter_emit(em, &ev) ? 0 : -1;
    }
    return -1;
}

char *ckp_tree_emit(const ynode *root)
{
    yaml_emitter_t em;
    obuf o = {NULL, 0, 0, 0};
    if (!yaml_emitter_initialize(&em))
        return NULL;
    yaml_emitter_set_output(&em, write_handler, &o);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_event_t ev;
    int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
             yaml_emitter_emit(&em, &ev) &&
             yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
             yaml_emitter_emit(&em, &ev) && emit_node(&em, root, 0) == 0 &&
             yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
             yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev) &&
             yaml_emitter_flush(&em);
    yaml_emitter_delete(&em);
    if (!ok || o.nomem) {
        free(o.p);
        return NULL;
    }
    return o.p;
}
