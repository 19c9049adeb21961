/* chokepoint: the scenario document tree (internal to the scenario module).
 *
 * A scenario is first read by libyaml into this small tree of scalars,
 * sequences and mappings, each node keeping the line and column where it
 * starts, so that every later check can point at the offending text. Policies
 * are deep-merged on trees, differences are listed on trees, and the resolved
 * scenario is written back from trees. Only engine/scenario/ includes this.
 * tree.c holds the operations on trees, tree_yaml.c the reading and writing
 * of YAML text with libyaml. */
#ifndef CKP_TREE_IMPL_H
#define CKP_TREE_IMPL_H

#include <stddef.h>

#include "chokepoint/error.h"

/* Refusals before allocating: a document deeper than this, or with more
 * nodes, or a text longer than this, is refused as absurd. */
#define CKP_TREE_MAX_DEPTH 64
#define CKP_TREE_MAX_NODES 4000000
#define CKP_TREE_MAX_TEXT ((size_t)256 * 1024 * 1024)

typedef enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP } ynode_kind;

typedef struct ynode {
    ynode_kind kind;
    int line, col;       /* 1-based, where the node starts */
    int plain;           /* scalar written without quotes */
    char *text;          /* scalar text (NUL-terminated); NULL otherwise */
    size_t n, cap;       /* items (sequence) or pairs (mapping) */
    struct ynode **items; /* sequence items, or mapping values */
    struct ynode **keys;  /* mapping keys (always scalars) */
} ynode;

/* Parse one YAML document. On failure returns NULL and fills err (CONFIG for
 * bad YAML and for sizes over the limits, NOMEM when an allocation fails).
 * `file` names the source in messages. */
ynode *ckp_tree_parse(const char *text, size_t len, const char *file, ckp_error *err);

void ckp_tree_free(ynode *n);
ynode *ckp_tree_copy(const ynode *n);

/* New nodes (line/col 0). Return NULL on allocation failure. */
ynode *ckp_tree_new(ynode_kind kind);
ynode *ckp_tree_scalar(const char *text, int plain);
int ckp_tree_append(ynode *seq, ynode *item);                 /* 0 ok, -1 nomem */
int ckp_tree_set(ynode *map, const char *key, ynode *value);  /* replaces; 0 ok, -1 nomem */
void ckp_tree_remove(ynode *map, const char *key);

/* Room for one more item (sequence) or pair (mapping): 0 ok, -1 nomem. */
int ckp_tree_grow(ynode *n);

/* Index of `key` among a mapping's keys, or -1 (also when n is not a mapping). */
int ckp_tree_find(const ynode *map, const char *key);

/* Value of `key` in a mapping, or NULL (also when n is not a mapping). */
ynode *ckp_tree_get(const ynode *n, const char *key);

/* The identity of a list item for merging and messages: its `name` scalar, or
 * for a route without a name its path joined by '-'. Writes into buf and
 * returns 1, or returns 0 when the item has no identity. */
int ckp_tree_item_name(const ynode *item, char *buf, size_t cap);

/* Compact one-line flow text of a node (truncated with "..." beyond cap). */
void ckp_tree_flow(const ynode *n, char *buf, size_t cap);

/* Structural equality (scalars compared by text). */
int ckp_tree_equal(const ynode *a, const ynode *b);

/* Emit a node as a YAML document (block style, scalars quoted when needed).
 * Returns a malloc'ed NUL-terminated text or NULL on failure. */
char *ckp_tree_emit(const ynode *root);

#endif
