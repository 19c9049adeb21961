/* chokepoint: typed values of a scenario document (internal to the scenario
 * module).
 *
 * Numbers, integers, seeds, booleans, texts and choices read from document
 * nodes with their checks (values.c). The ckp_rc_get_* functions read
 * map[key], give the default when the key is absent and not required, and
 * name the key in their refusals; ckp_rc_num and ckp_rc_text read one node. */
#ifndef CKP_VALUES_IMPL_H
#define CKP_VALUES_IMPL_H

#include <stdint.h>

#include "engine/scenario/diag_impl.h"

/* An interval of accepted numbers; ends may be infinite, and open. */
typedef struct ckp_range {
    double lo, hi;
    int lo_open, hi_open;
} ckp_range;

extern const ckp_range ckp_range_any;    /* any finite number */
extern const ckp_range ckp_range_nonneg; /* >= 0 */
extern const ckp_range ckp_range_pos;    /* > 0 */
extern const ckp_range ckp_range_unit;   /* [0, 1] */

/* YAML 1.2 core-schema numbers: 0 = a finite number (in *out), 1 = not a
 * number, 2 = NaN or infinite (written .nan/.inf, nan/inf, or overflowing),
 * 3 = a non-zero number too small for a double (underflowing to 0). */
int ckp_val_parse_num(const char *s, double *out);

/* "a number in [0, 1]", "a number > 0", ... written into buf. */
const char *ckp_val_range_text(ckp_range r, char *buf, size_t cap);

ckp_status ckp_rc_num(ckp_rctx *c, const ynode *n, ckp_range r, double *out);
ckp_status ckp_rc_get_num(ckp_rctx *c, const ynode *map, const char *key, int required,
                          double def, ckp_range r, double *out);
ckp_status ckp_rc_get_int(ckp_rctx *c, const ynode *map, const char *key, int required,
                          int64_t def, int64_t lo, int64_t hi, int64_t *out);
/* map["seed"]: an integer in [0, 2^64 - 1], 1 when absent. */
ckp_status ckp_rc_get_seed(ckp_rctx *c, const ynode *map, uint64_t *out);
ckp_status ckp_rc_get_bool(ckp_rctx *c, const ynode *map, const char *key, int def, int *out);
/* A non-empty text value; *out points into the node. */
ckp_status ckp_rc_text(ckp_rctx *c, const ynode *n, const char **out);
ckp_status ckp_rc_get_text(ckp_rctx *c, const ynode *map, const char *key, int required,
                           const char **out);
/* A name (of a regime, supplier, material, industry or policy): a non-empty
 * text of at most CKP_MAX_NAME_BYTES bytes; *out points into the node. */
ckp_status ckp_rc_name(ckp_rctx *c, const ynode *n, const char **out);
/* map[key] as a name (see ckp_rc_name); required. */
ckp_status ckp_rc_get_name(ckp_rctx *c, const ynode *map, const char *key, const char **out);
/* One of the NULL-terminated `choices`: its index in *out. */
ckp_status ckp_rc_get_enum(ckp_rctx *c, const ynode *map, const char *key,
                           const char *const *choices, int def, int *out);

#endif
