/* chokepoint: typed values of scenario documents (see values_impl.h):
 * YAML 1.2 core-schema numbers checked against a range, integers, the seed,
 * booleans, texts and choices, each refusal saying what was expected and
 * what was found. */
#include "engine/scenario/values_impl.h"

#include "chokepoint/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ckp_val_parse_num(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (p[0] == '.' && (strcmp(p + 1, "inf") == 0 || strcmp(p + 1, "Inf") == 0 ||
                        strcmp(p + 1, "INF") == 0 || strcmp(p + 1, "nan") == 0 ||
                        strcmp(p + 1, "NaN") == 0 || strcmp(p + 1, "NAN") == 0))
        return 2;
    if (strcmp(p, "nan") == 0 || strcmp(p, "NaN") == 0 || strcmp(p, "inf") == 0 ||
        strcmp(p, "Inf") == 0 || strcmp(p, "infinity") == 0 || strcmp(p, "Infinity") == 0)
        return 2;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (!digits)
        return 1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return 1;
    errno = 0;
    double v = strtod(s, NULL);
    if (!isfinite(v))
        return 2;
    if (v == 0) {
        /* a non-zero mantissa that became 0 (1e-400): refused, not rounded away */
        for (const char *q = s; *q && *q != 'e' && *q != 'E'; q++)
            if (*q >= '1' && *q <= '9')
                return 3;
    }
    *out = v;
    return 0;
}

const ckp_range ckp_range_any = {-HUGE_VAL, HUGE_VAL, 0, 0};
const ckp_range ckp_range_nonneg = {0, HUGE_VAL, 0, 0};
const ckp_range ckp_range_pos = {0, HUGE_VAL, 1, 0};
const ckp_range ckp_range_unit = {0, 1, 0, 0};

const char *ckp_val_range_text(ckp_range r, char *buf, size_t cap)
{
    if (isinf(r.lo) && isinf(r.hi))
        snprintf(buf, cap, "a number");
    else if (isinf(r.hi))
        snprintf(buf, cap, "a number %s %g", r.lo_open ? ">" : ">=", r.lo);
    else if (isinf(r.lo))
        snprintf(buf, cap, "a number %s %g", r.hi_open ? "<" : "<=", r.hi);
    else
        snprintf(buf, cap, "a number in %c%g, %g%c", r.lo_open ? '(' : '[', r.lo, r.hi,
                 r.hi_open ? ')' : ']');
    return buf;
}

ckp_status ckp_rc_num(ckp_rctx *c, const ynode *n, ckp_range r, double *out)
{
    char rb[96], db[96];
    if (n->kind != YN_SCALAR || !n->plain)
        return ckp_rc_fail(c, n, "expected %s, found %s", ckp_val_range_text(r, rb, sizeof rb),
                           ckp_diag_describe(n, db, sizeof db));
    double v = 0;
    int k = ckp_val_parse_num(n->text, &v);
    if (k == 1)
        return ckp_rc_fail(c, n, "expected %s, found %s", ckp_val_range_text(r, rb, sizeof rb),
                           ckp_diag_describe(n, db, sizeof db));
    if (k == 2)
        return ckp_rc_fail(c, n, "expected a finite number (%s), found %s",
                           ckp_val_range_text(r, rb, sizeof rb),
                           ckp_diag_describe(n, db, sizeof db));
    if (k == 3)
        return ckp_rc_fail(c, n, "expected %s that a double can hold, found %s, which underflows "
                           "to 0", ckp_val_range_text(r, rb, sizeof rb),
                           ckp_diag_describe(n, db, sizeof db));
    if (v < r.lo || v > r.hi || (r.lo_open && v == r.lo) || (r.hi_open && v == r.hi))
        return ckp_rc_fail(c, n, "expected %s, found %.17g", ckp_val_range_text(r, rb, sizeof rb),
                           v);
    *out = v;
    return CKP_OK;
}

/* map[key] as a number; `def` when absent and not required. */
ckp_status ckp_rc_get_num(ckp_rctx *c, const ynode *map, const char *key, int required, double def,
                          ckp_range r, double *out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        if (required) {
            char rb[96];
            return ckp_rc_missing(c, map, key, ckp_val_range_text(r, rb, sizeof rb));
        }
        *out = def;
        return CKP_OK;
    }
    size_t old = ckp_rc_key(c, key);
    ckp_status s = ckp_rc_num(c, n, r, out);
    ckp_rc_pop(c, old);
    return s;
}

static int parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!*p)
        return 1;
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return 1;
        if (v > (UINT64_MAX - 9) / 10)
            return 2;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return 2;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

ckp_status ckp_rc_get_int(ckp_rctx *c, const ynode *map, const char *key, int required, int64_t def,
                          int64_t lo, int64_t hi, int64_t *out)
{
    const ynode *n = ckp_tree_get(map, key);
    char what[96], db[96];
    snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    if (!n) {
        if (required)
            return ckp_rc_missing(c, map, key, what);
        *out = def;
        return CKP_OK;
    }
    size_t old = ckp_rc_key(c, key);
    int64_t v = 0;
    ckp_status s = CKP_OK;
    int k = (n->kind == YN_SCALAR && n->plain) ? parse_int(n->text, &v) : 1;
    if (k != 0 || v < lo || v > hi)
        s = ckp_rc_fail(c, n, "expected %s, found %s", what, ckp_diag_describe(n, db, sizeof db));
    else
        *out = v;
    ckp_rc_pop(c, old);
    return s;
}

ckp_status ckp_rc_get_seed(ckp_rctx *c, const ynode *map, uint64_t *out)
{
    const ynode *n = ckp_tree_get(map, "seed");
    *out = 1;
    if (!n)
        return CKP_OK;
    size_t old = ckp_rc_key(c, "seed");
    ckp_status s = CKP_OK;
    const char *p = n->text;
    uint64_t v = 0;
    int ok = n->kind == YN_SCALAR && n->plain && *p;
    for (; ok && *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            ok = 0;
        else
            v = v * 10 + d;
    }
    char db[96];
    if (!ok)
        s = ckp_rc_fail(c, n, "expected an integer in [0, 18446744073709551615], found %s",
                        ckp_diag_describe(n, db, sizeof db));
    else
        *out = v;
    ckp_rc_pop(c, old);
    return s;
}

ckp_status ckp_rc_get_bool(ckp_rctx *c, const ynode *map, const char *key, int def, int *out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        *out = def;
        return CKP_OK;
    }
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False",
                                                                            "FALSE"};
    if (n->kind == YN_SCALAR && n->plain)
        for (int i = 0; i < 3; i++) {
            if (strcmp(n->text, t[i]) == 0) {
                *out = 1;
                return CKP_OK;
            }
            if (strcmp(n->text, f[i]) == 0) {
                *out = 0;
                return CKP_OK;
            }
        }
    size_t old = ckp_rc_key(c, key);
    char db[96];
    ckp_status s =
        ckp_rc_fail(c, n, "expected true or false, found %s", ckp_diag_describe(n, db, sizeof db));
    ckp_rc_pop(c, old);
    return s;
}

/* A non-empty text value. */
ckp_status ckp_rc_text(ckp_rctx *c, const ynode *n, const char **out)
{
    char db[96];
    if (n->kind != YN_SCALAR || n->text[0] == '\0')
        return ckp_rc_fail(c, n, "expected a non-empty text, found %s",
                           ckp_diag_describe(n, db, sizeof db));
    *out = n->text;
    return CKP_OK;
}

ckp_status ckp_rc_get_text(ckp_rctx *c, const ynode *map, const char *key, int required,
                           const char **out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        if (required)
            return ckp_rc_missing(c, map, key, "a non-empty text");
        *out = NULL;
        return CKP_OK;
    }
    size_t old = ckp_rc_key(c, key);
    ckp_status s = ckp_rc_text(c, n, out);
    ckp_rc_pop(c, old);
    return s;
}

ckp_status ckp_rc_name(ckp_rctx *c, const ynode *n, const char **out)
{
    const char *t = NULL;
    ckp_status s = ckp_rc_text(c, n, &t);
    if (s)
        return s;
    size_t len = strlen(t);
    if (len > CKP_MAX_NAME_BYTES)
        return ckp_rc_fail(c, n,
                           "expected a name of at most %d bytes, found %zu bytes ('%.20s...')",
                           CKP_MAX_NAME_BYTES, len, t);
    *out = t;
    return CKP_OK;
}

ckp_status ckp_rc_get_name(ckp_rctx *c, const ynode *map, const char *key, const char **out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n)
        return ckp_rc_missing(c, map, key, "a non-empty text");
    size_t old = ckp_rc_key(c, key);
    ckp_status s = ckp_rc_name(c, n, out);
    ckp_rc_pop(c, old);
    return s;
}

ckp_status ckp_rc_get_enum(ckp_rctx *c, const ynode *map, const char *key,
                           const char *const *choices, int def, int *out)
{
    const ynode *n = ckp_tree_get(map, key);
    if (!n) {
        *out = def;
        return CKP_OK;
    }
    int nc = 0;
    while (choices[nc])
        nc++;
    if (n->kind == YN_SCALAR)
        for (int i = 0; i < nc; i++)
            if (strcmp(n->text, choices[i]) == 0) {
                *out = i;
                return CKP_OK;
            }
    size_t old = ckp_rc_key(c, key);
    char db[96], sb[128], lb[300];
    ckp_status s = ckp_rc_fail(
        c, n, "expected one of %s, found %s%s", ckp_diag_listing(choices, nc, lb, sizeof lb),
        ckp_diag_describe(n, db, sizeof db),
        n->kind == YN_SCALAR ? ckp_diag_suggest(n->text, choices, nc, sb, sizeof sb) : "");
    ckp_rc_pop(c, old);
    return s;
}
