/* chokepoint: deterministic unit tests of one simulated path.
 *
 * Hand-built models whose transition probabilities are 0 or 1, whose block
 * fractions are fixed (or triangular at chosen uniforms) and whose prices have
 * no noise, so that every month can be worked out in closed form. Expected
 * values are computed here from MODEL.md section 3 written out for the case
 * (closed forms such as G_t = 1 - exp(-t / tau_up)), never by calling the
 * code under test. Also: common random numbers across policies, antithetic
 * uniforms, and the deferred (dgemm) static propagation for many industries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/sim.h"
#include "check.h"
#include "engine/scenario/scenario_impl.h"
#include "model_fixture.h"
#include "engine/sim/sim_impl.h"

static void check_close(const char *what, double got, double want, double tol)
{
    CHECK(fabs(got - want) <= tol, "%s: got %.17g want %.17g (tol %g)", what, got, want, tol);
}

/* Everything needed to run paths of one model. */
typedef struct harness {
    ckp_model *m;
    ckp_prep *p;
    ckp_work *w;
    ckp_layout lay;
    double *u, *rec, *obs;
    ckp_trace tr;
    int *regime;
    double *buf;
} harness;

static int h_open(harness *h, ckp_model *m)
{
    memset(h, 0, sizeof *h);
    h->m = m;
    ckp_error err;
    ckp_scenario sc;
    fx_scenario_wrap(&sc, m, 1);
    if (ckp_prep_create(m, &h->p, &err) != CKP_OK || ckp_work_create(&sc, &h->w, &err) != CKP_OK) {
        fprintf(stderr, "FAIL setup: %s\n", err.message);
        failures++;
        return -1;
    }
    ckp_layout_init(&h->lay, m);
    size_t T = (size_t)m->T, S = (size_t)m->S, M = (size_t)m->M, I = (size_t)m->I;
    h->u = malloc(sizeof(double) * h->lay.uniforms);
    h->rec = malloc(sizeof(double) * h->lay.record);
    h->obs = malloc(sizeof(double) * h->lay.obs_per_month * T);
    h->regime = malloc(sizeof(int) * T * S);
    size_t per = S * M + 10 * M + 3 * I;
    h->buf = calloc(T * per, sizeof(double));
    for (size_t k = 0; k < h->lay.uniforms; k++)
        h->u[k] = 0.5;
    double *b = h->buf;
    h->tr.regime = h->regime;
    h->tr.block = b; b += T * S * M;
    h->tr.gap = b; b += T * M;
    h->tr.supply = b; b += T * M;
    h->tr.ramp = b; b += T * M;
    h->tr.reroute = b; b += T * M;
    h->tr.release = b; b += T * M;
    h->tr.stock_days = b; b += T * M;
    h->tr.shortfall = b; b += T * M;
    h->tr.price = b; b += T * M;
    h->tr.cost = b; b += T * M;
    b += T * M;
    h->tr.q0 = b; b += T * I;
    h->tr.inop = b; b += T * I;
    h->tr.loss = b;
    return 0;
}

static void h_run(harness *h)
{
    ckp_sim_path(h->m, h->p, &h->lay, h->w, h->u, h->rec, h->obs, &h->tr);
}

static void h_close(harness *h)
{
    ckp_prep_free(h->p);
    ckp_work_free(h->w);
    free(h->u);
    free(h->rec);
    free(h->obs);
    free(h->regime);
    free(h->buf);
}

static double metric(const harness *h, ckp_metric_id id, int k)
{
    return h->rec[h->lay.offset[id] + (size_t)k];
}

static void set_block(ckp_model *m, int s, int k, int j, double v)
{
    size_t x = ((size_t)s * m->K + k) * m->M + j;
    m->block_min[x] = m->block_mode[x] = m->block_max[x] = v;
}

static void set_chain(ckp_model *m, int s, int init, const int *next)
{
    const int K = m->K;
    for (int k = 0; k < K; k++) {
        m->init[s * K + k] = k == init;
        for (int j = 0; j < K; j++)
            m->P[(s * K + k) * K + j] = j == next[k];
    }
}

/* Case A: CN (0) restricted throughout, blocking half of NdPr on its 60%
 * route; AU (1) ramps up 0.1 of spare with tau_up = 2; the stockpile of half
 * a month releases up to 0.15 a month and runs dry in month 4. */
static void case_a(int dynamic)
{
    const int nr = 2, cnt[2] = {1, 1}, ex[2] = {0, 1};
    const double sh[2] = {0.6, 0.4};
    ckp_model m;
    fx_model_alloc(&m, 2, 2, 1, 2, 6, &nr, sh, cnt, ex);
    const int stay[2] = {0, 1};
    set_chain(&m, 0, 1, stay);
    set_block(&m, 0, 1, 0, 0.5);
    m.spare[1] = 0.1;
    m.tau_up[0] = 2.0;
    m.tau_down[0] = 1.0;
    m.stock0[0] = 0.5;
    m.target[0] = 1.0;
    m.max_release[0] = 0.15;
    m.trigger[0] = 0.05;
    m.refill[0] = 0.1;
    m.p0[0] = 10.0;
    m.volume[0] = 100.0;
    m.eta[0] = 0.5;
    m.price_floor[0] = 1.5;
    m.C[0] = 0.5;
    m.C[1] = 0.0;
    m.Astar[1] = 0.2;
    m.Astar[2] = 0.4;
    m.X[0] = 1200.0;
    m.X[1] = 2400.0;
    m.Kres[0] = 0.5;
    m.Kres[1] = 1.0;
    m.propagation = dynamic ? CKP_PROP_DYNAMIC : CKP_PROP_STATIC;
    harness h;
    if (h_open(&h, &m) == 0) {
        h_run(&h);
        double L = 0.5, qa = 0, qb = 0, loss0 = 0, loss1 = 0, cost = 0, psum = 0, xsum = 0;
        double ppeak = 0, xpeak = 0, peak0 = 0, peak1 = 0;
        for (int t = 1; t <= 6; t++) {
            const double gap = 0.3, G = 1.0 - exp(-t / 2.0);
            const double reroute = 0.1 * G; /* below the gap every month */
            const double need = gap - reroute;
            const double release = need >= 0.05 ? fmin(need, fmin(L, 0.15)) : 0.0;
            L -= release;
            const double x = need - release;
            const double pi = 1.0 / ((1.0 - x) * (1.0 - x));
            const double q0 = 0.5 * x;
            if (dynamic) {
                double na = qa + 0.5 * (0.2 * qb + q0 - qa);
                double nb = qb + 1.0 * (0.4 * qa - qb);
                qa = na;
                qb = nb;
            } else {
                qa = q0 / 0.92;
                qb = 0.4 * q0 / 0.92;
            }
            char what[64];
            const size_t o = (size_t)(t - 1);
            snprintf(what, sizeof what, "A month %d gap", t);
            check_close(what, h.tr.gap[o], gap, 1e-15);
            snprintf(what, sizeof what, "A month %d ramp", t);
            check_close(what, h.tr.ramp[o], G, 1e-12);
            snprintf(what, sizeof what, "A month %d reroute", t);
            check_close(what, h.tr.reroute[o], reroute, 1e-12);
            snprintf(what, sizeof what, "A month %d release", t);
            check_close(what, h.tr.release[o], release, 1e-12);
            snprintf(what, sizeof what, "A month %d stock", t);
            check_close(what, h.tr.stock_days[o], L * CKP_DAYS_PER_MONTH, 1e-10);
            snprintf(what, sizeof what, "A month %d shortfall", t);
            check_close(what, h.tr.shortfall[o], x, 1e-12);
            check_close("A obs x", h.obs[o * h.lay.obs_per_month + h.lay.obs_x], x, 1e-12);
            snprintf(what, sizeof what, "A month %d price", t);
            check_close(what, h.tr.price[o], pi, 1e-12);
            check_close("A obs pi", h.obs[o * h.lay.obs_per_month + h.lay.obs_pi], pi, 1e-12);
            snprintf(what, sizeof what, "A month %d q0", t);
            check_close(what, h.tr.q0[o * 2], q0, 1e-12);
            check_close("A q0 of the industry without criticality", h.tr.q0[o * 2 + 1], 0.0, 0.0);
            snprintf(what, sizeof what, "A month %d q", t);
            check_close(what, h.tr.inop[o * 2], qa, 1e-12);
            check_close(what, h.tr.inop[o * 2 + 1], qb, 1e-12);
            check_close("A obs q", h.obs[o * h.lay.obs_per_month + h.lay.obs_q + 1], qb, 1e-12);
            check_close("A regime", h.regime[o * 2], 1, 0);
            check_close("A block", h.tr.block[o * 2], 0.5, 0);
            check_close("A importer-free block", h.tr.block[o * 2 + 1], 0.0, 0);
            loss0 += qa * 1200.0 / 12.0;
            loss1 += qb * 2400.0 / 12.0;
            double c = 1000.0 * ((pi - 1.0) * 0.7 + (fmax(pi, 1.5) - 1.0) * reroute);
            check_close("A month cost", h.tr.cost[o], c, 1e-9);
            cost += c;
            psum += pi;
            xsum += x;
            ppeak = fmax(ppeak, pi);
            xpeak = fmax(xpeak, x);
            peak0 = fmax(peak0, qa);
            peak1 = fmax(peak1, qb);
        }
        /* By hand: the stock goes 0.5 -> 0.35 -> 0.2 -> 0.05 -> 0 (month 4). */
        check_close("A stock after month 3", h.tr.stock_days[2], 0.05 * CKP_DAYS_PER_MONTH, 1e-12);
        check_close("A stockout month", metric(&h, CKP_M_STOCKOUT_MONTH, 0), 4, 0);
        check_close("A stock min", metric(&h, CKP_M_STOCK_MIN, 0), 0.0, 0);
        /* Month 1 by hand: x = 0.3 - 0.1 (1 - e^-0.5) - 0.15. */
        check_close("A month 1 x", h.tr.shortfall[0], 0.15 - 0.1 * (1 - exp(-0.5)), 1e-15);
        check_close("A loss 0", metric(&h, CKP_M_LOSS, 0), loss0, 1e-10);
        check_close("A loss 1", metric(&h, CKP_M_LOSS, 1), loss1, 1e-10);
        check_close("A loss total", metric(&h, CKP_M_LOSS_TOTAL, 0), loss0 + loss1, 1e-10);
        check_close("A inop peak 0", metric(&h, CKP_M_INOP_PEAK, 0), peak0, 1e-12);
        check_close("A inop peak 1", metric(&h, CKP_M_INOP_PEAK, 1), peak1, 1e-12);
        check_close("A extra cost", metric(&h, CKP_M_EXTRA_COST, 0), cost, 1e-9);
        check_close("A price mean", metric(&h, CKP_M_PRICE_MEAN, 0), psum / 6, 1e-12);
        check_close("A price peak", metric(&h, CKP_M_PRICE_PEAK, 0), ppeak, 1e-12);
        check_close("A shortfall mean", metric(&h, CKP_M_SHORTFALL_MEAN, 0), xsum / 6, 1e-12);
        check_close("A shortfall peak", metric(&h, CKP_M_SHORTFALL_PEAK, 0), xpeak, 1e-12);
        check_close("A shortfall months", metric(&h, CKP_M_SHORTFALL_MONTHS, 0), 6, 0);
        check_close("A regime months CN restricted", metric(&h, CKP_M_REGIME_MONTHS, 1), 6, 0);
        check_close("A regime months CN open", metric(&h, CKP_M_REGIME_MONTHS, 0), 0, 0);
        check_close("A regime months AU open", metric(&h, CKP_M_REGIME_MONTHS, 2), 6, 0);
        h_close(&h);
    }
    fx_model_free(&m);
}

/* Case B: blocked in month 1 only; then the ramp decays with tau_down and the
 * stockpile refills towards its target. Also the trigger: a need below it
 * releases nothing. */
static void case_b(void)
{
    const int nr = 2, cnt[2] = {1, 0}, ex[1] = {0};
    const double sh[2] = {0.6, 0.4};
    ckp_model m;
    fx_model_alloc(&m, 1, 3, 1, 1, 5, &nr, sh, cnt, ex);
    const int next[3] = {1, 2, 2};
    set_chain(&m, 0, 0, next);
    set_block(&m, 0, 1, 0, 0.5);
    m.spare[0] = 0.05; /* CN's own spare, itself half blocked in month 1 */
    m.tau_up[0] = 1.0;
    m.tau_down[0] = 2.0;
    m.stock0[0] = 0.5;
    m.target[0] = 0.55;
    m.max_release[0] = 1.0;
    m.refill[0] = 0.1;
    m.cap[0] = 1.2;
    const double G1 = 1 - exp(-1.0);
    const double rr1 = fmin(0.3, G1 * 0.05 * 0.5);
    harness h;
    if (h_open(&h, &m) == 0) {
        h_run(&h);
        check_close("B reroute 1", h.tr.reroute[0], rr1, 1e-15);
        check_close("B release 1", h.tr.release[0], 0.3 - rr1, 1e-15);
        check_close("B x 1", h.tr.shortfall[0], 0.0, 0.0);
        /* 0.5 - (0.3 - rr1), then + 0.1 a month until the target 0.55 caps it. */
        const double L1 = 0.5 - (0.3 - rr1);
        const double Lw[5] = {L1, L1 + 0.1, L1 + 0.1 + 0.1, L1 + 0.1 + 0.1 + 0.1, 0.55};
        for (int t = 1; t <= 5; t++) {
            check_close("B ramp", h.tr.ramp[t - 1], G1 * exp(-(t - 1) / 2.0), 1e-15);
            check_close("B stock", h.tr.stock_days[t - 1], Lw[t - 1] * CKP_DAYS_PER_MONTH,
                        1e-12);
            check_close("B gap", h.tr.gap[t - 1], t == 1 ? 0.3 : 0.0, 0.0);
            check_close("B price", h.tr.price[t - 1], 1.0, 0.0);
        }
        check_close("B stock min", metric(&h, CKP_M_STOCK_MIN, 0),
                    (0.2 + rr1) * CKP_DAYS_PER_MONTH, 1e-12);
        check_close("B no stockout", metric(&h, CKP_M_STOCKOUT_MONTH, 0), -1, 0);
        check_close("B no loss", metric(&h, CKP_M_LOSS_TOTAL, 0), 0, 0);
        check_close("B regimes", h.regime[0] * 100 + h.regime[1] * 10 + h.regime[4], 122, 0);
        h_close(&h);
    }
    /* A trigger above the need: nothing is released, the need is short. */
    m.trigger[0] = 0.35;
    if (h_open(&h, &m) == 0) {
        h_run(&h);
        check_close("B trigger release", h.tr.release[0], 0.0, 0.0);
        check_close("B trigger x", h.tr.shortfall[0], 0.3 - rr1, 1e-15);
        h_close(&h);
    }
    fx_model_free(&m);
}

/* The three combination rules (T = 1, A* = 0 so q = q0): x = [0.8, 0.3]
 * (the second material half domestic), C = [[0.5, 1], [0.3, 1]]. */
static void case_rules(void)
{
    const int nr[2] = {1, 2}, cnt[3] = {1, 1, 0}, ex[2] = {0, 0};
    const double sh[3] = {1.0, 0.5, 0.5};
    const double want[3][2] = {{1 - 0.6 * 0.91, 1 - 0.2 * 0.7}, {0.4, 0.8}, {0.49, 1.0}};
    const ckp_rule rules[3] = {CKP_RULE_INDEPENDENT, CKP_RULE_BOTTLENECK, CKP_RULE_LINEAR};
    for (int r = 0; r < 3; r++) {
        ckp_model m;
        fx_model_alloc(&m, 1, 1, 2, 2, 1, nr, sh, cnt, ex);
        set_block(&m, 0, 0, 0, 0.8);
        set_block(&m, 0, 0, 1, 0.6);
        m.C[0] = 0.5;
        m.C[1] = 1.0;
        m.C[2] = 0.3;
        m.C[3] = 1.0;
        m.X[0] = 120.0;
        m.X[1] = 240.0;
        m.rule = rules[r];
        harness h;
        if (h_open(&h, &m) == 0) {
            h_run(&h);
            check_close("rules x0", h.tr.shortfall[0], 0.8, 1e-15);
            check_close("rules x1", h.tr.shortfall[1], 0.3, 1e-15);
            for (int i = 0; i < 2; i++) {
                check_close("rule q0", h.tr.q0[i], want[r][i], 1e-15);
                check_close("rule peak", metric(&h, CKP_M_INOP_PEAK, i), want[r][i], 1e-15);
            }
            check_close("rule loss", metric(&h, CKP_M_LOSS_TOTAL, 0),
                        want[r][0] * 10.0 + want[r][1] * 20.0, 1e-12);
            h_close(&h);
        }
        fx_model_free(&m);
    }
}

/* The importer (supplier 0) is in a regime that would block everything; its
 * spare capacity must count in full anyway. CN (1) blocks half. */
static void case_importer(void)
{
    const int nr = 2, cnt[2] = {0, 1}, ex[1] = {1};
    const double sh[2] = {0.5, 0.5};
    for (int as_importer = 1; as_importer >= 0; as_importer--) {
        ckp_model m;
        fx_model_alloc(&m, 2, 2, 1, 1, 2, &nr, sh, cnt, ex);
        const int stay[2] = {0, 1};
        set_chain(&m, 0, 1, stay);
        set_chain(&m, 1, 1, stay);
        set_block(&m, 0, 1, 0, 1.0);
        set_block(&m, 1, 1, 0, 0.5);
        m.spare[0] = 0.2;
        m.importer = as_importer ? 0 : -1;
        harness h;
        if (h_open(&h, &m) == 0) {
            h_run(&h);
            check_close("importer gap", h.tr.gap[0], 0.25, 0);
            if (as_importer) {
                check_close("importer never blocks", h.tr.block[0], 0.0, 0);
                check_close("importer spare counts", h.tr.reroute[0], 0.2, 1e-15);
                check_close("importer x", h.tr.shortfall[1], 0.05, 1e-15);
            } else {
                /* Control: the same supplier as an ordinary exporter is blocked. */
                check_close("exporter blocks", h.tr.block[0], 1.0, 0);
                check_close("exporter spare gone", h.tr.reroute[0], 0.0, 0);
                check_close("exporter x", h.tr.shortfall[1], 0.25, 1e-15);
            }
            check_close("importer regime months", metric(&h, CKP_M_REGIME_MONTHS, 1), 2, 0);
            h_close(&h);
        }
        fx_model_free(&m);
    }
}

/* A route mined in AU (0) and refined in CN (1): blocked by either. */
static void case_two_country(void)
{
    const int nr = 1, cnt[1] = {2}, ex[2] = {0, 1};
    const double sh[1] = {1.0};
    const double want[4] = {0.0, 0.5, 0.3, 1 - 0.5 * 0.7};
    for (int c = 0; c < 4; c++) {
        ckp_model m;
        fx_model_alloc(&m, 2, 2, 1, 1, 1, &nr, sh, cnt, ex);
        const int stay[2] = {0, 1};
        set_chain(&m, 0, (c & 1) ? 1 : 0, stay);
        set_chain(&m, 1, (c & 2) ? 1 : 0, stay);
        set_block(&m, 0, 1, 0, 0.5);
        set_block(&m, 1, 1, 0, 0.3);
        harness h;
        if (h_open(&h, &m) == 0) {
            h_run(&h);
            check_close("two-country gap", h.tr.gap[0], want[c], 1e-15);
            check_close("two-country x", h.tr.shortfall[0], want[c], 1e-15);
            check_close("two-country supply", h.tr.supply[0], 1 - want[c], 1e-15);
            h_close(&h);
        }
        fx_model_free(&m);
    }
}

static double tri(double u, double a, double c, double b)
{
    double f = (c - a) / (b - a);
    return u < f ? a + sqrt(u * (b - a) * (c - a)) : b - sqrt((1 - u) * (b - a) * (b - c));
}

/* Regime draws at the boundary, block fractions redrawn only on a change. */
static void case_transitions(void)
{
    const int nr = 1, cnt[1] = {1}, ex[1] = {0};
    const double sh[1] = {1.0};
    ckp_model m;
    fx_model_alloc(&m, 1, 2, 1, 1, 4, &nr, sh, cnt, ex);
    size_t x = (size_t)1 * 1; /* (s 0, regime 1, material 0) */
    m.block_min[x] = 0.2;
    m.block_mode[x] = 0.5;
    m.block_max[x] = 0.9;
    const int flip[2] = {1, 0};
    set_chain(&m, 0, 0, flip);
    harness h;
    const size_t D = 1 + 1 + 3; /* S + S*M + 3M */
    if (h_open(&h, &m) == 0) {
        const double sev[4] = {0.3, 0.9, 0.8, 0.1};
        for (int t = 0; t < 4; t++)
            h.u[1 + t * D + 1] = sev[t];
        h_run(&h);
        const double want[4] = {tri(0.3, 0.2, 0.5, 0.9), 0.0, tri(0.8, 0.2, 0.5, 0.9), 0.0};
        for (int t = 0; t < 4; t++) {
            check_close("flip regime", h.regime[t], (t + 1) % 2, 0);
            check_close("flip block", h.tr.block[t], want[t], 1e-15);
        }
        check_close("flip months", metric(&h, CKP_M_REGIME_MONTHS, 1), 2, 0);
        h_close(&h);
    }
    /* Staying in the blocking regime keeps month 1's fraction. */
    const int stay[2] = {0, 1};
    set_chain(&m, 0, 1, stay);
    if (h_open(&h, &m) == 0) {
        const double sev[4] = {0.7, 0.1, 0.95, 0.4};
        for (int t = 0; t < 4; t++)
            h.u[1 + t * D + 1] = sev[t];
        h_run(&h);
        for (int t = 0; t < 4; t++)
            check_close("kept block", h.tr.block[t], tri(0.7, 0.2, 0.5, 0.9), 1e-15);
        h_close(&h);
    }
    /* The smallest k' with v <= cumulative probability: P row [0.25, 0.75]. */
    m.P[0] = 0.25;
    m.P[1] = 0.75;
    m.init[0] = 1.0;
    m.init[1] = 0.0;
    m.T = 1;
    for (int c = 0; c < 3; c++) {
        const double v[3] = {0.25, nextafter(0.25, 1.0), 0.1};
        const int want[3] = {0, 1, 0};
        if (h_open(&h, &m) == 0) {
            h.u[1] = v[c];
            h_run(&h);
            check_close("boundary regime", h.regime[0], want[c], 0);
            h_close(&h);
        }
    }
    /* Initial regime from the first S uniforms, no copula: init [0.4, 0.6]. */
    m.init[0] = 0.4;
    m.init[1] = 0.6;
    m.P[0] = 1.0;
    m.P[1] = 0.0;
    m.P[2] = 0.0;
    m.P[3] = 1.0;
    for (int c = 0; c < 2; c++) {
        if (h_open(&h, &m) == 0) {
            h.u[0] = c ? 0.41 : 0.4;
            h_run(&h);
            check_close("initial regime", h.regime[0], c, 0);
            h_close(&h);
        }
    }
    fx_model_free(&m);
}

/* Common random numbers on the default-sized model: a policy identical to
 * the baseline gives identical records; a bigger stockpile never gives more
 * shortfall; the caches in the work never leak one policy into another. */
static void case_crn(void)
{
    enum { NP = 4, PATHS = 300 };
    ckp_model mods[NP];
    fx_model_default(&mods[0], 36, 0);
    fx_model_default(&mods[1], 36, 1); /* stockpile doubled */
    fx_model_default(&mods[2], 36, 0); /* same as the baseline */
    fx_model_default(&mods[3], 36, 0); /* different price noise and correlation */
    for (int j = 0; j < mods[3].M; j++)
        mods[3].sigma[j] = 0.2;
    mods[3].corr[1 * 8 + 2] = mods[3].corr[2 * 8 + 1] = 0.6;
    ckp_prep *p[NP];
    ckp_error err;
    for (int k = 0; k < NP; k++)
        if (ckp_prep_create(&mods[k], &p[k], &err) != CKP_OK) {
            fprintf(stderr, "FAIL prep %d: %s\n", k, err.message);
            failures++;
            return;
        }
    ckp_scenario sc;
    fx_scenario_wrap(&sc, mods, NP);
    ckp_work *w, *w2;
    ckp_work_create(&sc, &w, &err);
    ckp_work_create(&sc, &w2, &err);
    ckp_layout lay;
    ckp_layout_init(&lay, &mods[0]);
    double *u = malloc(sizeof(double) * lay.uniforms);
    double *ua = malloc(sizeof(double) * lay.uniforms);
    double *rec[NP], *fresh = malloc(sizeof(double) * lay.record);
    for (int k = 0; k < NP; k++)
        rec[k] = malloc(sizeof(double) * lay.record);
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, 7);
    int worse = 0, differ = 0, leak = 0, some_gain = 0, some_short = 0;
    const size_t xo = lay.offset[CKP_M_SHORTFALL_MEAN];
    for (int pth = 0; pth < PATHS; pth++) {
        ckp_path_uniforms(&lay, &base, (uint64_t)pth, 0, u);
        /* Order: baseline, stockpile, other noise, then the baseline copy. */
        ckp_sim_path(&mods[0], p[0], &lay, w, u, rec[0], NULL, NULL);
        ckp_sim_path(&mods[1], p[1], &lay, w, u, rec[1], NULL, NULL);
        ckp_sim_path(&mods[3], p[3], &lay, w, u, rec[3], NULL, NULL);
        ckp_sim_path(&mods[2], p[2], &lay, w, u, rec[2], NULL, NULL);
        if (memcmp(rec[0], rec[2], sizeof(double) * lay.record) != 0)
            differ++;
        /* The other-noise policy on a fresh work must match the shared one. */
        ckp_sim_path(&mods[3], p[3], &lay, w2, u, fresh, NULL, NULL);
        if (memcmp(fresh, rec[3], sizeof(double) * lay.record) != 0)
            leak++;
        double s0 = 0, s1 = 0;
        for (int j = 0; j < lay.M; j++) {
            s0 += rec[0][xo + j];
            s1 += rec[1][xo + j];
            if (rec[1][xo + j] > rec[0][xo + j])
                worse++;
        }
        if (s1 > s0)
            worse++;
        if (s1 < s0)
            some_gain++;
        if (s0 > 0)
            some_short++;
    }
    check_close("identical policy, identical records (paths differing)", differ, 0, 0);
    check_close("work caches do not leak between policies", leak, 0, 0);
    check_close("bigger stockpile never more shortfall", worse, 0, 0);
    /* The comparison must not be vacuous. */
    if (some_short < PATHS / 10 || some_gain < PATHS / 20) {
        fprintf(stderr, "FAIL CRN test is vacuous: %d paths short, %d gain\n", some_short,
                some_gain);
        failures++;
    }

    /* Antithetic: path 2j+1 is 1 - u of path 2j; without it, its own stream. */
    ckp_path_uniforms(&lay, &base, 4, 1, u);
    ckp_path_uniforms(&lay, &base, 5, 1, ua);
    int bad = 0;
    for (size_t k = 0; k < lay.uniforms; k++)
        if (ua[k] != 1.0 - u[k])
            bad++;
    check_close("antithetic pairs", bad, 0, 0);
    double *u4 = malloc(sizeof(double) * lay.uniforms);
    ckp_path_uniforms(&lay, &base, 4, 0, u4);
    check_close("antithetic even path = plain path",
                memcmp(u4, u, sizeof(double) * lay.uniforms) == 0, 1, 0);
    ckp_path_uniforms(&lay, &base, 5, 0, ua);
    check_close("plain odd path differs", ua[0] != 1.0 - u[0], 1, 0);
    /* Path p's uniforms are the p-th jumped generator's outputs. */
    ckp_pcg64 g;
    ckp_pcg64_path(&g, &base, 5);
    check_close("path stream", ua[0] == ckp_uniform(&g), 1, 0);
    check_close("uniform count", (double)lay.uniforms, 8 + 36 * (8 + 40 + 15), 0);

    free(u4);
    free(u);
    free(ua);
    free(fresh);
    for (int k = 0; k < NP; k++) {
        free(rec[k]);
        ckp_prep_free(p[k]);
        fx_model_free(&mods[k]);
    }
    ckp_work_free(w);
    ckp_work_free(w2);
}

/* Many industries: static propagation deferred to one dgemm per path must
 * equal (I - A*)^-1 q0 month by month. */
static void case_gemm(void)
{
    enum { I = 70, T = 12 };
    const int nr[2] = {1, 1}, cnt[2] = {1, 1}, ex[2] = {0, 1};
    const double sh[2] = {1.0, 1.0};
    ckp_model m;
    fx_model_alloc(&m, 2, 2, 2, I, T, nr, sh, cnt, ex);
    const int flip[2] = {1, 0}, stay[2] = {0, 1};
    set_chain(&m, 0, 0, flip); /* blocked in odd months */
    set_chain(&m, 1, 1, stay);
    set_block(&m, 0, 1, 0, 0.4);
    set_block(&m, 1, 1, 1, 0.1);
    for (int i = 0; i < I; i++) {
        m.C[i] = (i % 3 == 0) ? 0.5 : 0.0;
        m.C[I + i] = (i % 5 == 1) ? 0.7 : 0.0;
        m.X[i] = 12.0 * (i + 1);
        for (int j = 0; j < I; j++)
            m.Astar[i * I + j] = ((i * 7 + j * 3) % 11 == 0) ? 0.05 : 0.0;
    }
    harness h;
    if (h_open(&h, &m) == 0) {
        h_run(&h);
        /* Expected from an independent solve: Gauss-Seidel on (I - A*) q = q0. */
        double loss = 0, peak = 0;
        for (int t = 0; t < T; t++) {
            double q0[I], q[I];
            for (int i = 0; i < I; i++) {
                double x0 = (t % 2 == 0) ? 0.4 : 0.0, x1 = 0.1;
                q0[i] = 1 - (1 - m.C[i] * x0) * (1 - m.C[I + i] * x1);
                q[i] = 0;
            }
            for (int it = 0; it < 200; it++)
                for (int i = 0; i < I; i++) {
                    double s = q0[i];
                    for (int j = 0; j < I; j++)
                        if (j != i)
                            s += m.Astar[i * I + j] * q[j];
                    q[i] = s / (1 - m.Astar[i * I + i]);
                }
            for (int i = 0; i < I; i++) {
                double qi = fmin(1, fmax(0, q[i]));
                check_close("gemm q", h.tr.inop[t * I + i], qi, 1e-12);
                check_close("gemm obs q", h.obs[t * h.lay.obs_per_month + h.lay.obs_q + i], qi,
                            1e-12);
                loss += qi * m.X[i] / 12.0;
                if (i == 0)
                    peak = fmax(peak, qi);
            }
        }
        check_close("gemm loss total", metric(&h, CKP_M_LOSS_TOTAL, 0), loss, 1e-9);
        check_close("gemm peak 0", metric(&h, CKP_M_INOP_PEAK, 0), peak, 1e-12);
        h_close(&h);
    }
    fx_model_free(&m);
}

/* Refusals: a non-positive-definite correlation and a radius >= 1. */
static void case_refusals(void)
{
    const int nr = 1, cnt[1] = {1}, ex[1] = {0};
    const double sh[1] = {1.0};
    ckp_model m;
    fx_model_alloc(&m, 2, 1, 1, 2, 3, &nr, sh, cnt, ex);
    ckp_prep *p = NULL;
    ckp_error err;
    m.Astar[1] = 1.0;
    m.Astar[2] = 1.0;
    check_close("radius 1 refused", ckp_prep_create(&m, &p, &err), CKP_ERR_NUMERIC, 0);
    check_close("refused gives NULL", p == NULL, 1, 0);
    m.Astar[1] = m.Astar[2] = 0.5;
    m.corr_identity = 0;
    m.corr[1] = m.corr[2] = 1.0;
    check_close("singular correlation refused", ckp_prep_create(&m, &p, &err), CKP_ERR_NUMERIC,
                0);
    m.corr[1] = m.corr[2] = 0.5;
    check_close("accepted", ckp_prep_create(&m, &p, &err), CKP_OK, 0);
    check_close("radius", ckp_prep_spectral_radius(p), 0.5, 1e-14);
    const double *L = ckp_prep_leontief(p);
    check_close("leontief", L[0], 1 / 0.75, 1e-14);
    ckp_prep_free(p);
    m.propagation = CKP_PROP_DYNAMIC;
    ckp_prep_create(&m, &p, &err);
    check_close("no leontief for dynamic", ckp_prep_leontief(p) == NULL, 1, 0);
    ckp_prep_free(p);
    fx_model_free(&m);
}

static void case_table(void)
{
    const ckp_metric_info *t = ckp_metric_table();
    check_close("table loss_total", strcmp(t[CKP_M_LOSS_TOTAL].name, "loss_total"), 0, 0);
    check_close("table regime dims", t[CKP_M_REGIME_MONTHS].dims, CKP_DIMS_SUPPLIER_REGIME, 0);
    ckp_model m;
    const int nr[3] = {1, 1, 1}, cnt[3] = {0, 0, 0};
    const double sh[3] = {1, 1, 1};
    fx_model_alloc(&m, 4, 3, 3, 5, 7, nr, sh, cnt, NULL);
    ckp_layout lay;
    ckp_layout_init(&lay, &m);
    check_close("record length", (double)lay.record, 1 + 5 + 5 + 8 * 3 + 12, 0);
    check_close("regime offset", (double)lay.offset[CKP_M_REGIME_MONTHS], 1 + 10 + 24, 0);
    check_close("obs per month", (double)lay.obs_per_month, 3 * 3 + 5, 0);
    check_close("obs L", (double)lay.obs_L, 3 + 5 + 3, 0);
    check_close("uniforms", (double)lay.uniforms, 4 + 7 * (4 + 12 + 9), 0);
    fx_model_free(&m);
}

int main(void)
{
    case_a(0);
    case_a(1);
    case_b();
    case_rules();
    case_importer();
    case_two_country();
    case_transitions();
    case_crn();
    case_gemm();
    case_refusals();
    case_table();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_sim: all passed\n");
    return 0;
}
