/* chokepoint: resolving scenario documents into models (internal to the
 * scenario module).
 *
 * What the files of the resolution share: the parsed documents a scenario
 * keeps, the dimension names (dims.c), file and CSV reading (csv.c),
 * matrices (matrix.c), one document to one model (resolve.c), and policies
 * merged over the baseline (policy.c). Every function taking a ckp_rctx
 * refuses through it (diag_impl.h), naming the key path it has reached. */
#ifndef CKP_RESOLVE_IMPL_H
#define CKP_RESOLVE_IMPL_H

#include <stddef.h>

#include "chokepoint/scenario.h"
#include "engine/scenario/diag_impl.h"

/* The documents behind a scenario, kept for ckp_scenario_to_yaml. */
struct ckp_scenario_priv {
    ynode *base;      /* the baseline document, without `policies` */
    ynode **merged;   /* npolicies: [0] NULL (= base); the merged documents */
    ynode **policy;   /* npolicies: [0] NULL; the policy entries as written */
    char *basedir;    /* where CSV files are read from (NULL: the current directory) */
    int no_files;     /* loaded with ckp_scenario_load_inline */
    ckp_swing *swings; /* the `sensitivity:` section (override.c) */
    int nswings;
};

/* The keys of a scenario document, and those a policy may change (the rest
 * must be the same for every policy); NULL-terminated. */
extern const char *const ckp_doc_top_keys[];   /* load.c */
extern const char *const ckp_doc_policy_keys[]; /* policy.c */

/* ---- dimension names (dims.c) ---- */

/* Index of s among names[0..n-1], or -1 (a linear search: for short lists). */
int ckp_names_find(char **names, int n, const char *s);

/* A hash index of names[0..cap-1] (the caller's array, filled in any order
 * before each add): lookups in constant expected time, so that checking n
 * names for duplicates or resolving n references to them is linear, not
 * quadratic, at the loader's limits. */
typedef struct ckp_name_ix {
    int *slot; /* index into names, or -1 */
    size_t mask;
    const char *const *names;
} ckp_name_ix;
/* Room for cap names; 0, or -1 when out of memory. */
int ckp_name_ix_init(ckp_name_ix *ix, const char *const *names, size_t cap);
/* Index of s, or -1. */
int ckp_name_ix_find(const ckp_name_ix *ix, const char *s);
/* Add names[i]: -1, or the index of an equal name added before (then i is not added). */
int ckp_name_ix_add(ckp_name_ix *ix, int i);
void ckp_name_ix_free(ckp_name_ix *ix);
/* Name comparisons (strcmp) made by the index and by ckp_names_find in this
 * thread so far: the tests check that they grow linearly with the names. */
unsigned long long ckp_names_compares(void);
/* Free n names and the array. Accepts NULL. */
void ckp_names_free(char **names, int n);
/* Index of a name in a dimension (`kind` names it in the message), or a
 * refusal listing the known names with a "did you mean". */
ckp_status ckp_rc_lookup(ckp_rctx *c, const ynode *at, char **names, int n, const char *kind,
                         const char *s, int *out);
/* Collect regimes, suppliers, materials and industries into the context,
 * refusing duplicates and sizes beyond the limits of scenario.h. */
ckp_status ckp_rc_collect_names(ckp_rctx *c, const ynode *doc);
/* Free the names the context still owns. */
void ckp_rc_free_names(ckp_rctx *c);

/* ---- files (csv.c) ---- */

/* Why ckp_file_read returned NULL. */
typedef enum ckp_read_why {
    CKP_READ_IO,      /* cannot open or read (errno says why; EINVAL: not a regular file) */
    CKP_READ_TOO_BIG, /* longer than the limit: refused from its size, before reading */
    CKP_READ_NOMEM    /* an allocation failed */
} ckp_read_why;

/* The whole content of a regular file, NUL-terminated, length in *len, or
 * NULL with the reason in *why. A file of more than `limit` bytes is refused
 * from its size without reading it (and so is one that grows past the limit
 * while read). Caller frees. */
char *ckp_file_read(const char *path, size_t limit, size_t *len, ckp_read_why *why);
/* A rows x cols numeric CSV named `file` (relative to the context's basedir)
 * into out; an optional header row must list `names` in order. `at` is the
 * node naming the file. */
ckp_status ckp_rc_read_csv(ckp_rctx *c, const ynode *at, const char *file, int rows, int cols,
                           char **names, double *out);

/* ---- matrices (matrix.c) ---- */

/* doc[key] as an n x n correlation matrix R (the identity when absent);
 * *identity = 1 when R is exactly the identity. */
ckp_status ckp_rc_correlation(ckp_rctx *c, const ynode *doc, const char *key, int n,
                              char **names, double *R, int *identity);
/* doc["interdependency"] as the I x I matrix A* (left zero when absent),
 * refused unless its spectral radius is below 1. */
ckp_status ckp_rc_interdependency(ckp_rctx *c, const ynode *doc, double *A);

/* ---- models (resolve.c) ---- */

/* Free the arrays of a model and zero it (the struct itself is not freed). */
void ckp_model_clear(ckp_model *m);
/* The number of doubles one model of these sizes holds. */
double ckp_model_doubles(int S, int K, int M, int I);
/* Resolve one document (the baseline, or a policy merged over it) into m. */
ckp_status ckp_rc_build_model(ckp_rctx *c, const ynode *doc, int T, double threshold,
                              ckp_model *m);

/* ---- policies (policy.c) ---- */

/* Merge policy p's changes over a copy of `base` (kept in sc->priv->merged[p]),
 * resolve it into sc->models[p] and list its differences in
 * sc->policy_diffs[p]. */
ckp_status ckp_rc_resolve_policy(ckp_rctx *c, ckp_scenario *sc, const ynode *base,
                                 const ynode *pol, int p, int T, double threshold);

/* ---- loading and variants (load.c, override.c) ---- */

/* Load a parsed document (owned and freed by this call) as load_text does;
 * `text` is kept as the scenario's source. */
ckp_status ckp_scenario_load_doc(ynode *doc, const char *text, size_t len, const char *name,
                                 const char *basedir, int no_files, ckp_scenario **out,
                                 ckp_error *err);
/* Read the `sensitivity:` section of doc into pv (checked: a list of
 * mappings {key: text, low: number, high: number}). */
ckp_status ckp_rc_read_sensitivity(ckp_rctx *c, const ynode *doc, struct ckp_scenario_priv *pv);
void ckp_swings_free(struct ckp_scenario_priv *pv);

#endif
