/* chokepoint: YAML text to document tree and back, with libyaml (see
 * tree_impl.h).
 *
 * libyaml's event parser feeds an explicit stack, so a hostile document cannot
 * exhaust the C stack; depth, node count and text length are bounded before
 * anything grows with them. Aliases are refused: expanding them is how small
 * YAML texts become enormous documents, and scenarios never need them.
 * Refusals while parsing name the key path of the open collections, built
 * from the stack (list items by name when their `name` has been read). */
#include "engine/scenario/tree_impl.h"

#include <stdarg.h>
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

/* The state of one parse: the open collections, the finished root, the
 * number of values so far, and where messages go. */
typedef struct pstate {
    frame stack[CKP_TREE_MAX_DEPTH];
    int depth;
    ynode *root;
    long nodes;
    const char *file;
    const char *text;
    size_t len;
    ckp_error *err;
} pstate;

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

/* The key path of the open collections into buf: each mapping's waiting key,
 * each sequence's item being read (by its name once read, else its index).
 * `key` names a key of the innermost mapping that has no value yet (a
 * duplicate); `item` adds the index of the innermost sequence's next item. */
static void stack_path(const pstate *ps, const char *key, int item, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < ps->depth && used + 1 < cap; d++) {
        const frame *f = &ps->stack[d];
        int last = d == ps->depth - 1;
        char part[300] = "";
        if (f->node->kind == YN_MAP) {
            const char *k = f->key ? f->key->text : last ? key : NULL;
            if (k)
                snprintf(part, sizeof part, "%s%s", used ? "." : "", k);
        } else if (!last) {
            char name[256];
            if (ckp_tree_item_name(ps->stack[d + 1].node, name, sizeof name))
                snprintf(part, sizeof part, "[%s]", name);
            else
                snprintf(part, sizeof part, "[%zu]", f->node->n);
        } else if (item) {
            snprintf(part, sizeof part, "[%zu]", f->node->n);
        }
        int w = snprintf(buf + used, cap - used, "%s", part);
        used = w < 0 || (size_t)w >= cap - used ? cap - 1 : used + (size_t)w;
    }
}

/* Fill the error at mark m with the key path of the stack (see stack_path);
 * returns -1. */
static int pfail(pstate *ps, ckp_status code, yaml_mark_t m, const char *key, int item,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

static int pfail(pstate *ps, ckp_status code, yaml_mark_t m, const char *key, int item,
                 const char *fmt, ...)
{
    char path[256];
    stack_path(ps, key, item, path, sizeof path);
    va_list ap;
    va_start(ap, fmt);
    ckp_error_setv(ps->err, code, ps->file, (int)m.line + 1, (int)m.column + 1, path, fmt, ap);
    va_end(ap);
    return -1;
}

static int nomem(pstate *ps)
{
    ckp_error_set(ps->err, CKP_ERR_NOMEM, ps->file, 0, 0, NULL, "out of memory reading YAML");
    return -1;
}

/* Attach a finished node to the frame on top of the stack (or make it the
 * root). Returns 0, or -1 with the error filled. */
static int attach(pstate *ps, ynode *node, yaml_mark_t mark)
{
    if (ps->depth == 0) {
        ps->root = node;
        return 0;
    }
    frame *f = &ps->stack[ps->depth - 1];
    if (f->node->kind == YN_SEQ)
        return ckp_tree_append(f->node, node) ? nomem(ps) : 0;
    if (!f->key) {
        if (node->kind != YN_SCALAR)
            return pfail(ps, CKP_ERR_CONFIG, mark, NULL, 0,
                         "expected a plain key, found a %s used as a mapping key",
                         node->kind == YN_SEQ ? "sequence" : "mapping");
        if (has_key(f, node->text))
            return pfail(ps, CKP_ERR_CONFIG, mark, node->text, 0,
                         "duplicate key '%s' in one mapping", node->text);
        if (f->node->n >= MAX_MAP_PAIRS)
            return pfail(ps, CKP_ERR_CONFIG, mark, NULL, 0,
                         "refusing a mapping with more than %d keys (found key '%s')",
                         MAX_MAP_PAIRS, node->text);
        f->key = node;
        return 0;
    }
    if (ckp_tree_grow(f->node) || set_reserve(f))
        return nomem(ps);
    if (f->slots)
        f->slots[slot_of(f, f->key->text)] = f->node->n + 1;
    f->node->keys[f->node->n] = f->key;
    f->node->items[f->node->n++] = node;
    f->key = NULL;
    return 0;
}

#define CORE_TAG "tag:yaml.org,2002:"

/* The tag of an event and whether it is accepted: none, !!str or the
 * non-specific "!" on a scalar (it makes the scalar a text, as quotes do),
 * !!seq or !!map on their own kind. Anything else (!!float 5, !!int, a local
 * tag) would be read against its meaning, so it is refused. Returns 0, 1
 * when the scalar is a text by its tag, or -1 with the error filled. */
static int check_tag(pstate *ps, const yaml_event_t *ev)
{
    const char *tag = NULL, *ok = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        tag = (const char *)ev->data.scalar.tag;
        ok = CORE_TAG "str";
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        tag = (const char *)ev->data.sequence_start.tag;
        ok = CORE_TAG "seq";
    } else {
        tag = (const char *)ev->data.mapping_start.tag;
        ok = CORE_TAG "map";
    }
    if (!tag)
        return 0;
    if (strcmp(tag, ok) == 0 || (ev->type == YAML_SCALAR_EVENT && strcmp(tag, "!") == 0))
        return ev->type == YAML_SCALAR_EVENT;
    size_t core = strlen(CORE_TAG);
    int short_form = strncmp(tag, CORE_TAG, core) == 0;
    return pfail(ps, CKP_ERR_CONFIG, ev->start_mark, NULL, 1,
                 "expected a value without a YAML tag (or !!str for a text), found the tag %s%s",
                 short_form ? "!!" : "", short_form ? tag + core : tag);
}

/* A scalar, or the start of a sequence or mapping: a new node, attached to
 * its parent (a scalar) or pushed as an open collection. Returns 0, or -1
 * with the error filled. */
static int start_node(pstate *ps, const yaml_event_t *ev)
{
    yaml_mark_t m = ev->start_mark;
    if (++ps->nodes > CKP_TREE_MAX_NODES)
        return pfail(ps, CKP_ERR_CONFIG, m, NULL, 1,
                     "refusing a document with more than %d values", CKP_TREE_MAX_NODES);
    int text_tag = check_tag(ps, ev);
    if (text_tag < 0)
        return -1;
    ynode *node = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        size_t len = ev->data.scalar.length;
        if (memchr(ev->data.scalar.value, '\0', len))
            return pfail(ps, CKP_ERR_CONFIG, m, NULL, 1,
                         "expected text, found a scalar containing a NUL byte");
        node = ckp_tree_new(YN_SCALAR);
        if (node) {
            node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !text_tag;
            node->text = malloc(len + 1);
            if (node->text) {
                memcpy(node->text, ev->data.scalar.value, len);
                node->text[len] = '\0';
            }
        }
    } else {
        node = ckp_tree_new(ev->type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP);
    }
    if (!node || (node->kind == YN_SCALAR && !node->text)) {
        ckp_tree_free(node);
        return nomem(ps);
    }
    node->line = (int)m.line + 1;
    node->col = (int)m.column + 1;
    if (node->kind == YN_SCALAR) {
        if (attach(ps, node, m)) {
            ckp_tree_free(node);
            return -1;
        }
    } else if (ps->depth >= CKP_TREE_MAX_DEPTH) {
        ckp_tree_free(node);
        return pfail(ps, CKP_ERR_CONFIG, m, NULL, 1,
                     "refusing a document nested deeper than %d levels", CKP_TREE_MAX_DEPTH);
    } else {
        ps->stack[ps->depth++] = (frame){node, NULL, NULL, 0};
    }
    return 0;
}

/* The end of the innermost collection: attached to its parent. */
static int end_node(pstate *ps, yaml_mark_t m)
{
    frame *f = &ps->stack[ps->depth - 1];
    ynode *done = f->node;
    /* libyaml guarantees a value after every key, so key is NULL here. */
    ckp_tree_free(f->key);
    free(f->slots);
    ps->depth--;
    if (attach(ps, done, m)) {
        ckp_tree_free(done);
        return -1;
    }
    return 0;
}

/* Line and column (1-based, columns in characters like libyaml's marks) of
 * byte `off` of the text: libyaml reports encoding errors by offset only. */
static yaml_mark_t mark_at(const pstate *ps, size_t off)
{
    yaml_mark_t m = {0, 0, 0};
    for (size_t i = 0; i < off && i < ps->len; i++) {
        unsigned char b = (unsigned char)ps->text[i];
        if (b == '\n' || (b == '\r' && !(i + 1 < ps->len && ps->text[i + 1] == '\n'))) {
            m.line++;
            m.column = 0;
        } else if ((b & 0xC0) != 0x80 && b != '\r') {
            m.column++;
        }
    }
    m.index = off;
    return m;
}

/* The byte at a mark (line and character column), or -1 past the end. */
static int byte_at(const pstate *ps, yaml_mark_t m)
{
    size_t i = 0, line = 0, col = 0;
    for (; i < ps->len && line < m.line; i++)
        if (ps->text[i] == '\n')
            line++;
    for (; i < ps->len && col < m.column; i++)
        if (((unsigned char)ps->text[i] & 0xC0) != 0x80)
            col++;
    while (i < ps->len && ((unsigned char)ps->text[i] & 0xC0) == 0x80)
        i++;
    return i < ps->len ? (unsigned char)ps->text[i] : -1;
}

/* A libyaml failure: encoding errors where the offending byte is (libyaml
 * reads ahead of the parse, so the stack says nothing about them), syntax
 * errors with the key path of what was open. */
static void parse_error(pstate *ps, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "unknown problem";
    if (parser->error == YAML_READER_ERROR) {
        yaml_mark_t m = mark_at(ps, parser->problem_offset);
        if (parser->problem_value >= 0)
            ckp_error_set(ps->err, CKP_ERR_CONFIG, ps->file, (int)m.line + 1,
                          (int)m.column + 1, NULL,
                          "expected UTF-8 text, found an invalid byte 0x%02X (%s)",
                          (unsigned)parser->problem_value & 0xFFu, problem);
        else
            ckp_error_set(ps->err, CKP_ERR_CONFIG, ps->file, (int)m.line + 1,
                          (int)m.column + 1, NULL, "expected UTF-8 text, found %s", problem);
        return;
    }
    yaml_mark_t m = parser->problem_mark;
    const char *hint = byte_at(ps, m) == '\t' ? " (a tab: YAML indents with spaces only)" : "";
    if (parser->context)
        pfail(ps, CKP_ERR_CONFIG, m, NULL, 0, "malformed YAML: %s %s%s", problem,
              parser->context, hint);
    else
        pfail(ps, CKP_ERR_CONFIG, m, NULL, 0, "malformed YAML: %s%s", problem, hint);
}

/* One event: 0 to go on, 1 at the end of the stream, -1 on failure. */
static int on_event(pstate *ps, const yaml_event_t *ev, int *ndocs)
{
    yaml_mark_t m = ev->start_mark;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (++*ndocs > 1)
            return pfail(ps, CKP_ERR_CONFIG, m, NULL, 0,
                         "expected one YAML document, found a second one");
        return 0;
    case YAML_ALIAS_EVENT:
        return pfail(ps, CKP_ERR_CONFIG, m, NULL, 1,
                     "expected a value, found the alias *%s (aliases are not supported)",
                     (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return start_node(ps, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return end_node(ps, m);
    default:
        return 0;
    }
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
    pstate state, *ps = &state;
    memset(ps, 0, sizeof *ps);
    ps->file = file;
    ps->text = text;
    ps->len = len;
    ps->err = err;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    int ndocs = 0, r = 0;
    while (r == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            parse_error(ps, &parser);
            r = -1;
            break;
        }
        r = on_event(ps, &ev, &ndocs);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    ynode *root = ps->root;
    for (int d = ps->depth - 1; d >= 0; d--) {
        free(ps->stack[d].slots);
        ckp_tree_free(ps->stack[d].key);
        ckp_tree_free(ps->stack[d].node);
    }
    if (r < 0) {
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
