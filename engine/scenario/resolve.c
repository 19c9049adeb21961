/* chokepoint: one scenario document to one numeric ckp_model (MODEL.md
 * section 2; see resolve_impl.h). Suppliers give their regime chains and
 * blocked fractions, materials their routes, spare capacity, ramps,
 * stockpiles and prices, industries their outputs and criticalities; the
 * correlation and interdependency matrices are read by matrix.c. The format
 * is documented key by key in docs/scenario-format.md; keep the two in step. */
#include "engine/scenario/resolve_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/error_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/scenario/values_impl.h"

/* Shares, initial distributions and transition rows: |sum - 1| <= this. */
#define SUM_TOL 1e-9

/* ---- the model ---------------------------------------------------------- */

void ckp_model_clear(ckp_model *m)
{
    if (!m)
        return;
    void *ptrs[] = {m->route_off, m->route_share, m->route_exp_off, m->route_exp, m->P,
                    m->init, m->corr, m->block_min, m->block_mode, m->block_max, m->spare,
                    m->tau_up, m->tau_down, m->stock0, m->target, m->max_release, m->trigger,
                    m->refill, m->p0, m->volume, m->eta, m->cap, m->price_floor, m->phi,
                    m->sigma, m->lambda, m->muJ, m->sigmaJ, m->price_corr, m->C, m->Astar,
                    m->Kres, m->X};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        free(ptrs[i]);
    memset(m, 0, sizeof *m);
}

double ckp_model_doubles(int S, int K, int M, int I)
{
    return (double)S * K * K + (double)S * K + (double)S * S + 3.0 * S * K * M +
           (double)S * M + 17.0 * M + (double)M * M + (double)M * I + (double)I * I + 2.0 * I;
}

static int model_alloc(ckp_model *m, int S, int K, int M, int I)
{
    size_t s = (size_t)S, k = (size_t)K, mm = (size_t)M, i = (size_t)I;
#define A(f, n) (m->f = calloc((n) + 1, sizeof *m->f)) == NULL
    if (A(route_off, mm + 1) || A(P, s * k * k) || A(init, s * k) || A(corr, s * s) ||
        A(block_min, s * k * mm) || A(block_mode, s * k * mm) || A(block_max, s * k * mm) ||
        A(spare, s * mm) || A(tau_up, mm) || A(tau_down, mm) || A(stock0, mm) ||
        A(target, mm) || A(max_release, mm) || A(trigger, mm) || A(refill, mm) || A(p0, mm) ||
        A(volume, mm) || A(eta, mm) || A(cap, mm) || A(price_floor, mm) || A(phi, mm) ||
        A(sigma, mm) || A(lambda, mm) || A(muJ, mm) || A(sigmaJ, mm) ||
        A(price_corr, mm * mm) || A(C, mm * i) || A(Astar, i * i) || A(Kres, i) || A(X, i))
        return -1;
#undef A
    m->S = S;
    m->K = K;
    m->M = M;
    m->I = I;
    return 0;
}

/* ---- probability vectors ------------------------------------------------ */

/* A vector over the regimes: a list in regime order or a mapping
 * regime -> probability (absent regimes 0). Checked to be >= 0 and sum to 1
 * within SUM_TOL, then divided by its sum added left to right. */
static ckp_status prob_vector(ckp_rctx *c, const ynode *n, double *out)
{
    int K = c->K;
    for (int k = 0; k < K; k++)
        out[k] = 0.0;
    if (n->kind == YN_SEQ) {
        if (n->n != (size_t)K) {
            char lb[600];
            return ckp_rc_fail(c, n, "expected %d probabilities (one per regime: %s), found %zu", K,
                               ckp_diag_listing((const char *const *)c->reg, K, lb, sizeof lb),
                               n->n);
        }
        for (int k = 0; k < K; k++) {
            size_t old = ckp_rc_push(c, "[%d]", k);
            ckp_status s = ckp_rc_num(c, n->items[k], ckp_range_unit, &out[k]);
            ckp_rc_pop(c, old);
            CKP_TRY(s);
        }
    } else if (n->kind == YN_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            int k = 0;
            size_t old = ckp_rc_key(c, n->keys[i]->text);
            ckp_status s = ckp_rc_lookup(c, n->keys[i], c->reg, K, "regime", n->keys[i]->text, &k);
            if (!s)
                s = ckp_rc_num(c, n->items[i], ckp_range_unit, &out[k]);
            ckp_rc_pop(c, old);
            CKP_TRY(s);
        }
    } else {
        char db[96];
        return ckp_rc_fail(c, n,
                           "expected a list of %d probabilities or a mapping regime: probability, "
                           "found %s",
                           K, ckp_diag_describe(n, db, sizeof db));
    }
    double sum = 0.0;
    for (int k = 0; k < K; k++)
        sum += out[k];
    if (!(fabs(sum - 1.0) <= SUM_TOL))
        return ckp_rc_fail(
            c, n, "expected probabilities summing to 1 (within 1e-9), found sum %.17g", sum);
    for (int k = 0; k < K; k++)
        out[k] /= sum;
    return CKP_OK;
}

/* ---- suppliers ---------------------------------------------------------- */

static ckp_status block_value(ckp_rctx *c, const ynode *n, double *lo, double *mode, double *hi)
{
    if (n->kind == YN_MAP) {
        static const char *const keys[] = {"min", "mode", "max", NULL};
        CKP_TRY(ckp_rc_check_keys(c, n, keys));
        CKP_TRY(ckp_rc_get_num(c, n, "min", 1, 0, ckp_range_unit, lo));
        CKP_TRY(ckp_rc_get_num(c, n, "mode", 1, 0, ckp_range_unit, mode));
        CKP_TRY(ckp_rc_get_num(c, n, "max", 1, 0, ckp_range_unit, hi));
        if (*lo > *mode)
            return ckp_rc_fail(c, n, "expected min <= mode <= max, found min %g > mode %g", *lo,
                               *mode);
        if (*mode > *hi)
            return ckp_rc_fail(c, n, "expected min <= mode <= max, found mode %g > max %g", *mode,
                               *hi);
        return CKP_OK;
    }
    if (n->kind != YN_SCALAR) {
        char db[96];
        return ckp_rc_fail(c, n, "expected a number in [0, 1] or {min, mode, max}, found %s",
                           ckp_diag_describe(n, db, sizeof db));
    }
    CKP_TRY(ckp_rc_num(c, n, ckp_range_unit, lo));
    *mode = *hi = *lo;
    return CKP_OK;
}

static ckp_status resolve_supplier(ckp_rctx *c, const ynode *it, int s, ckp_model *m)
{
    static const char *const keys[] = {"name", "description", "initial", "transitions", "block",
                                       NULL};
    int K = c->K, M = c->M;
    CKP_TRY(ckp_rc_check_keys(c, it, keys));

    /* initial: a regime name or a distribution; the first regime by default */
    const ynode *ini = ckp_tree_get(it, "initial");
    double *init = m->init + (size_t)s * K;
    if (!ini) {
        init[0] = 1.0;
    } else {
        size_t old = ckp_rc_key(c, "initial");
        ckp_status st = CKP_OK;
        if (ini->kind == YN_SCALAR) {
            int k = 0;
            st = ckp_rc_lookup(c, ini, c->reg, K, "regime", ini->text, &k);
            if (!st)
                init[k] = 1.0;
        } else if (ini->kind == YN_MAP) {
            st = prob_vector(c, ini, init);
        } else {
            char db[96];
            st = ckp_rc_fail(c, ini,
                             "expected a regime name or a mapping regime: probability, found %s",
                             ckp_diag_describe(ini, db, sizeof db));
        }
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }

    /* transitions: every "from" regime needs a row; none at all = never moves */
    const ynode *tr = ckp_tree_get(it, "transitions");
    double *P = m->P + (size_t)s * K * K;
    if (!tr) {
        for (int k = 0; k < K; k++)
            P[k * K + k] = 1.0;
    } else {
        size_t old = ckp_rc_key(c, "transitions");
        ckp_status st =
            ckp_rc_expect(c, tr, YN_MAP, "a mapping from regime to a row of probabilities");
        for (size_t i = 0; !st && i < tr->n; i++) {
            int k = 0;
            st = ckp_rc_lookup(c, tr->keys[i], c->reg, K, "regime", tr->keys[i]->text, &k);
        }
        for (int k = 0; !st && k < K; k++) {
            const ynode *row = ckp_tree_get(tr, c->reg[k]);
            char lb[600];
            if (!row) {
                st = ckp_rc_fail(c, tr, "missing row '%s' (expected one row per regime: %s)",
                                 c->reg[k],
                                 ckp_diag_listing((const char *const *)c->reg, K, lb, sizeof lb));
                break;
            }
            size_t o2 = ckp_rc_key(c, c->reg[k]);
            st = prob_vector(c, row, P + (size_t)k * K);
            ckp_rc_pop(c, o2);
        }
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }

    /* block: regime -> material -> fraction; 0 where not listed */
    const ynode *bl = ckp_tree_get(it, "block");
    if (bl) {
        size_t old = ckp_rc_key(c, "block");
        ckp_status st = ckp_rc_expect(c, bl, YN_MAP, "a mapping from regime to materials");
        for (size_t i = 0; !st && i < bl->n; i++) {
            int k = 0;
            size_t o2 = ckp_rc_key(c, bl->keys[i]->text);
            st = ckp_rc_lookup(c, bl->keys[i], c->reg, K, "regime", bl->keys[i]->text, &k);
            const ynode *mm = bl->items[i];
            if (!st)
                st = ckp_rc_expect(c, mm, YN_MAP, "a mapping from material to a blocked fraction");
            for (size_t j = 0; !st && j < mm->n; j++) {
                int mi = 0;
                size_t o3 = ckp_rc_key(c, mm->keys[j]->text);
                st = ckp_rc_lookup(c, mm->keys[j], c->mat, M, "material", mm->keys[j]->text, &mi);
                size_t at = ((size_t)s * K + k) * M + mi;
                if (!st)
                    st = block_value(c, mm->items[j], &m->block_min[at], &m->block_mode[at],
                                     &m->block_max[at]);
                if (!st && s == c->imp && m->block_max[at] > 0.0)
                    st = ckp_rc_fail(
                        c, mm->items[j],
                        "expected 0: '%s' is the importer (domestic supply), whose regime "
                        "never blocks, found %g",
                        c->importer, m->block_max[at]);
                ckp_rc_pop(c, o3);
            }
            ckp_rc_pop(c, o2);
        }
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }
    return CKP_OK;
}

/* ---- materials ---------------------------------------------------------- */

static ckp_status route_name(ckp_rctx *c, const ynode *route, size_t r, char *buf, size_t cap)
{
    (void)c;
    if (!ckp_tree_item_name(route, buf, cap))
        snprintf(buf, cap, "%zu", r);
    return CKP_OK;
}

static ckp_status resolve_routes(ckp_rctx *c, const ynode *routes, int mi, ckp_model *m, int *nr,
                                 int *ne)
{
    int r0 = *nr;
    double sum = 0.0;
    for (size_t r = 0; r < routes->n; r++) {
        const ynode *rt = routes->items[r];
        char nm[160];
        route_name(c, rt, r, nm, sizeof nm);
        size_t old = ckp_rc_push(c, "[%s]", nm);
        static const char *const keys[] = {"name", "path", "share", NULL};
        ckp_status st = ckp_rc_expect(c, rt, YN_MAP, "a route mapping {path, share}");
        if (!st)
            st = ckp_rc_check_keys(c, rt, keys);
        if (!st && ckp_tree_get(rt, "name")) {
            const char *t;
            size_t o2 = ckp_rc_key(c, "name");
            st = ckp_rc_text(c, ckp_tree_get(rt, "name"), &t);
            ckp_rc_pop(c, o2);
        }
        /* route names (explicit or from the path) must be unique: policies
         * merge routes by name */
        for (size_t q = 0; !st && q < r; q++) {
            char other[160];
            route_name(c, routes->items[q], q, other, sizeof other);
            if (strcmp(other, nm) == 0)
                st = ckp_rc_fail(
                    c, rt,
                    "duplicate route '%s' (first at line %d); expected unique route names "
                    "(give `name` to tell routes with the same path apart)",
                    nm, routes->items[q]->line);
        }
        const ynode *path = st ? NULL : ckp_tree_get(rt, "path");
        if (!st && !path)
            st = ckp_rc_missing(c, rt, "path", "a list of country codes, first the mine");
        if (!st) {
            size_t o2 = ckp_rc_key(c, "path");
            st = ckp_rc_expect(c, path, YN_SEQ, "a list of country codes");
            if (!st && (path->n == 0 || path->n > CKP_MAX_ROUTE_COUNTRIES))
                st = ckp_rc_fail(c, path, "expected 1 to %d countries, found %zu",
                                 CKP_MAX_ROUTE_COUNTRIES, path->n);
            m->route_exp_off[*nr] = *ne;
            for (size_t j = 0; !st && j < path->n; j++) {
                const char *cc = NULL;
                size_t o3 = ckp_rc_push(c, "[%zu]", j);
                st = ckp_rc_text(c, path->items[j], &cc);
                int si = -1;
                if (!st && strcmp(cc, c->importer) != 0)
                    st = ckp_rc_lookup(c, path->items[j], c->sup, c->S, "supplier", cc, &si);
                /* exp(r): distinct countries other than the importer */
                if (!st && si >= 0) {
                    int seen = 0;
                    for (int e = m->route_exp_off[*nr]; e < *ne; e++)
                        seen |= m->route_exp[e] == si;
                    if (!seen)
                        m->route_exp[(*ne)++] = si;
                }
                ckp_rc_pop(c, o3);
            }
            ckp_rc_pop(c, o2);
        }
        if (!st)
            st = ckp_rc_get_num(c, rt, "share", 1, 0, ckp_range_unit, &m->route_share[*nr]);
        ckp_rc_pop(c, old);
        CKP_TRY(st);
        sum += m->route_share[*nr];
        (*nr)++;
        m->route_exp_off[*nr] = *ne;
    }
    if (!(fabs(sum - 1.0) <= SUM_TOL))
        return ckp_rc_fail(
            c, routes, "expected route shares summing to 1 (within 1e-9), found sum %.17g", sum);
    for (int r = r0; r < *nr; r++)
        m->route_share[r] /= sum;
    (void)mi;
    return CKP_OK;
}

/* price: the base price and volume, the demand elasticity, the cap and floor,
 * and the log-price noise and jumps */
static ckp_status resolve_price(ckp_rctx *c, const ynode *it, int mi, ckp_model *m)
{
    const ynode *pr = ckp_tree_get(it, "price");
    if (!pr)
        return ckp_rc_missing(c, it, "price", "a mapping {base, volume, elasticity, cap, ...}");
    static const char *const pk[] = {"base", "volume", "elasticity", "cap", "floor", "phi",
                                     "sigma", "jump_prob", "jump_mean", "jump_sd", NULL};
    static const ckp_range CAP = {0.1, HUGE_VAL, 1, 0};
    static const ckp_range PHI = {-1, 1, 0, 0};
    size_t old = ckp_rc_key(c, "price");
    ckp_status st = ckp_rc_expect(c, pr, YN_MAP, "a mapping {base, volume, elasticity, cap, ...}");
    if (!st)
        st = ckp_rc_check_keys(c, pr, pk);
    if (!st)
        st = ckp_rc_get_num(c, pr, "base", 1, 0, ckp_range_pos, &m->p0[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "volume", 1, 0, ckp_range_nonneg, &m->volume[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "elasticity", 1, 0, ckp_range_pos, &m->eta[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "cap", 1, 0, CAP, &m->cap[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "floor", 0, 0.0, ckp_range_nonneg, &m->price_floor[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "phi", 0, 0.0, PHI, &m->phi[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "sigma", 0, 0.0, ckp_range_nonneg, &m->sigma[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "jump_prob", 0, 0.0, ckp_range_unit, &m->lambda[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "jump_mean", 0, 0.0, ckp_range_any, &m->muJ[mi]);
    if (!st)
        st = ckp_rc_get_num(c, pr, "jump_sd", 0, 0.0, ckp_range_nonneg, &m->sigmaJ[mi]);
    ckp_rc_pop(c, old);
    return st;
}

static ckp_status resolve_material(ckp_rctx *c, const ynode *it, int mi, ckp_model *m, int *nr,
                                   int *ne)
{
    static const char *const keys[] = {"name", "description", "routes", "spare", "ramp",
                                       "stockpile", "price", NULL};
    int M = c->M;
    CKP_TRY(ckp_rc_check_keys(c, it, keys));

    const ynode *routes = ckp_tree_get(it, "routes");
    if (!routes)
        return ckp_rc_missing(c, it, "routes", "a list of routes {path, share}");
    size_t old = ckp_rc_key(c, "routes");
    ckp_status st = CKP_OK;
    if (routes->n == 0 && routes->kind == YN_SEQ)
        st = ckp_rc_fail(c, routes, "expected at least one route, found an empty list");
    if (!st)
        st = resolve_routes(c, routes, mi, m, nr, ne);
    ckp_rc_pop(c, old);
    CKP_TRY(st);

    const ynode *sp = ckp_tree_get(it, "spare");
    if (sp) {
        old = ckp_rc_key(c, "spare");
        st = ckp_rc_expect(c, sp, YN_MAP, "a mapping from supplier to spare capacity");
        for (size_t i = 0; !st && i < sp->n; i++) {
            int s = 0;
            size_t o2 = ckp_rc_key(c, sp->keys[i]->text);
            st = ckp_rc_lookup(c, sp->keys[i], c->sup, c->S, "supplier", sp->keys[i]->text, &s);
            if (!st)
                st = ckp_rc_num(c, sp->items[i], ckp_range_nonneg, &m->spare[(size_t)s * M + mi]);
            ckp_rc_pop(c, o2);
        }
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }

    const ynode *ramp = ckp_tree_get(it, "ramp");
    m->tau_up[mi] = m->tau_down[mi] = 0.0;
    if (ramp) {
        static const char *const rk[] = {"up_months", "down_months", NULL};
        old = ckp_rc_key(c, "ramp");
        st = ckp_rc_expect(c, ramp, YN_MAP, "a mapping {up_months, down_months}");
        if (!st)
            st = ckp_rc_check_keys(c, ramp, rk);
        if (!st)
            st = ckp_rc_get_num(c, ramp, "up_months", 0, 0.0, ckp_range_nonneg, &m->tau_up[mi]);
        if (!st)
            st = ckp_rc_get_num(c, ramp, "down_months", 0, 0.0, ckp_range_nonneg, &m->tau_down[mi]);
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }

    const ynode *sk = ckp_tree_get(it, "stockpile");
    double days = 0, target_days = 0;
    m->max_release[mi] = 1.0;
    if (sk) {
        static const char *const kk[] = {"days", "target_days", "max_release", "trigger",
                                         "refill", NULL};
        old = ckp_rc_key(c, "stockpile");
        st = ckp_rc_expect(c, sk, YN_MAP,
                           "a mapping {days, target_days, max_release, trigger, refill}");
        if (!st)
            st = ckp_rc_check_keys(c, sk, kk);
        if (!st)
            st = ckp_rc_get_num(c, sk, "days", 0, 0.0, ckp_range_nonneg, &days);
        if (!st)
            st = ckp_rc_get_num(c, sk, "target_days", 0, days, ckp_range_nonneg, &target_days);
        if (!st)
            st = ckp_rc_get_num(c, sk, "max_release", 0, 1.0, ckp_range_nonneg,
                                &m->max_release[mi]);
        if (!st)
            st = ckp_rc_get_num(c, sk, "trigger", 0, 0.0, ckp_range_nonneg, &m->trigger[mi]);
        if (!st)
            st = ckp_rc_get_num(c, sk, "refill", 0, 0.0, ckp_range_nonneg, &m->refill[mi]);
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }
    m->stock0[mi] = days / CKP_DAYS_PER_MONTH;
    m->target[mi] = target_days / CKP_DAYS_PER_MONTH;

    return resolve_price(c, it, mi, m);
}

/* ---- industries --------------------------------------------------------- */

static ckp_status resolve_industry(ckp_rctx *c, const ynode *it, int i, ckp_model *m)
{
    static const char *const keys[] = {"name", "description", "output", "criticality",
                                       "resilience", NULL};
    static const ckp_range RES = {0, 1, 1, 0};
    CKP_TRY(ckp_rc_check_keys(c, it, keys));
    CKP_TRY(ckp_rc_get_num(c, it, "output", 1, 0, ckp_range_nonneg, &m->X[i]));
    CKP_TRY(ckp_rc_get_num(c, it, "resilience", 0, 1.0, RES, &m->Kres[i]));
    const ynode *cr = ckp_tree_get(it, "criticality");
    if (!cr)
        return CKP_OK;
    size_t old = ckp_rc_key(c, "criticality");
    ckp_status st =
        ckp_rc_expect(c, cr, YN_MAP, "a mapping from material to criticality in [0, 1]");
    for (size_t j = 0; !st && j < cr->n; j++) {
        int mi = 0;
        size_t o2 = ckp_rc_key(c, cr->keys[j]->text);
        st = ckp_rc_lookup(c, cr->keys[j], c->mat, c->M, "material", cr->keys[j]->text, &mi);
        if (!st)
            st = ckp_rc_num(c, cr->items[j], ckp_range_unit, &m->C[(size_t)mi * c->I + i]);
        ckp_rc_pop(c, o2);
    }
    ckp_rc_pop(c, old);
    return st;
}

/* ---- one document -> one model ------------------------------------------ */

static ckp_status list_item(ckp_rctx *c, const ynode *doc, const char *key, int idx, char **names,
                            const ynode **it, size_t *old)
{
    *it = ckp_tree_get(doc, key)->items[idx];
    *old = ckp_rc_key(c, key);
    ckp_rc_push(c, "[%s]", names[idx]);
    return CKP_OK;
}

ckp_status ckp_rc_build_model(ckp_rctx *c, const ynode *doc, int T, double threshold, ckp_model *m)
{
    int S = c->S, K = c->K, M = c->M, I = c->I;
    if (model_alloc(m, S, K, M, I))
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, doc, "out of memory");
    m->T = T;
    m->importer = c->imp;
    m->shortfall_threshold = threshold;

    static const char *const props[] = {"static", "dynamic", NULL};
    static const char *const rules[] = {"independent", "bottleneck", "linear", NULL};
    int v = 0;
    CKP_TRY(ckp_rc_get_enum(c, doc, "propagation", props, 0, &v));
    m->propagation = v ? CKP_PROP_DYNAMIC : CKP_PROP_STATIC;
    CKP_TRY(ckp_rc_get_enum(c, doc, "rule", rules, 0, &v));
    m->rule = v == 1 ? CKP_RULE_BOTTLENECK : v == 2 ? CKP_RULE_LINEAR : CKP_RULE_INDEPENDENT;

    for (int s = 0; s < S; s++) {
        const ynode *it;
        size_t old;
        list_item(c, doc, "suppliers", s, c->sup, &it, &old);
        ckp_status st = resolve_supplier(c, it, s, m);
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }

    /* routes: count first so the route arrays are allocated once */
    const ynode *mats = ckp_tree_get(doc, "materials");
    size_t nroutes = 0, npath = 0;
    for (int mi = 0; mi < M; mi++) {
        const ynode *routes = ckp_tree_get(mats->items[mi], "routes");
        if (!routes || routes->kind != YN_SEQ)
            continue;
        nroutes += routes->n;
        for (size_t r = 0; r < routes->n; r++) {
            const ynode *p = ckp_tree_get(routes->items[r], "path");
            if (p && p->kind == YN_SEQ)
                npath += p->n;
        }
    }
    if (nroutes > (size_t)INT32_MAX / 2 || npath > (size_t)INT32_MAX / 2)
        return ckp_rc_fail_code(c, CKP_ERR_CONFIG, mats, "refusing %zu routes", nroutes);
    m->route_share = calloc(nroutes + 1, sizeof *m->route_share);
    m->route_exp_off = calloc(nroutes + 1, sizeof *m->route_exp_off);
    m->route_exp = calloc(npath + 1, sizeof *m->route_exp);
    if (!m->route_share || !m->route_exp_off || !m->route_exp)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, mats, "out of memory");
    int nr = 0, ne = 0;
    for (int mi = 0; mi < M; mi++) {
        const ynode *it;
        size_t old;
        list_item(c, doc, "materials", mi, c->mat, &it, &old);
        m->route_off[mi] = nr;
        ckp_status st = resolve_material(c, it, mi, m, &nr, &ne);
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }
    m->route_off[M] = nr;
    m->nroutes = nr;

    for (int i = 0; i < I; i++) {
        const ynode *it;
        size_t old;
        list_item(c, doc, "industries", i, c->ind, &it, &old);
        ckp_status st = resolve_industry(c, it, i, m);
        ckp_rc_pop(c, old);
        CKP_TRY(st);
    }

    CKP_TRY(ckp_rc_correlation(c, doc, "supplier_correlation", S, c->sup, m->corr,
                               &m->corr_identity));
    CKP_TRY(ckp_rc_correlation(c, doc, "price_correlation", M, c->mat, m->price_corr,
                               &m->price_corr_identity));
    CKP_TRY(ckp_rc_interdependency(c, doc, m->Astar));
    return CKP_OK;
}
