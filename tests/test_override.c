/* chokepoint tests: scenario variants by key path (ckp_scenario_vary,
 * engine/scenario/override.c) and the `sensitivity:` section.
 *
 * Each variant is compared with the scenario loaded from the edited text,
 * model number by model number: a key that exists, one that is added, several
 * overrides at once, a key inside a policy's changes, a transition row written
 * as a list and as a mapping (rescaled by the documented rule), and that the
 * scenario varied is left as it was. Refusals carry the file's messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chokepoint/chokepoint.h"
#include "engine/scenario/scenario_impl.h"

static const char BASE[] =
    "version: 1\n"
    "name: t\n"
    "importer: KR\n"
    "horizon_months: 12\n"
    "regimes: [open, restricted, embargo]\n"
    "suppliers:\n"
    "  - name: CN\n"
    "    transitions:\n"
    "      open: [0.9, 0.08, 0.02]\n"
    "      restricted: {open: 0.25, restricted: 0.75}\n"
    "      embargo: [0, 0, 1]\n"
    "    block:\n"
    "      restricted: {NdPr: 0.5}\n"
    "materials:\n"
    "  - name: NdPr\n"
    "    routes:\n"
    "      - {path: [CN], share: 1}\n"
    "    stockpile: {days: 52}\n"
    "    price: {base: 56.0, volume: 1000.0, elasticity: 0.3, cap: 20.0}\n"
    "industries:\n"
    "  - {name: autos, output: 1.0e11, criticality: {NdPr: 0.3}}\n"
    "policies:\n"
    "  - name: stock\n"
    "    changes:\n"
    "      materials:\n"
    "        - {name: NdPr, stockpile: {days: 90}}\n"
    "sensitivity:\n"
    "  - {key: 'materials[NdPr].stockpile.days', low: 10, high: 200}\n";

static ckp_scenario *load(const char *text)
{
    ckp_scenario *sc = NULL;
    ckp_error err;
    ckp_status st = ckp_scenario_load_string(text, strlen(text), "t.yaml", NULL, &sc, &err);
    CHECK(st == CKP_OK, "load: %s", err.message);
    return sc;
}

/* The text with `old` (once) replaced by `new`. */
static char *edit(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    CHECK(at && !strstr(at + 1, old), "'%s' once in the text", old);
    size_t n = strlen(text) - strlen(old) + strlen(new) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
    return s;
}

static int same_vec(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Every policy's transitions, stockpiles and prices equal. */
static int same_models(const ckp_scenario *a, const ckp_scenario *b)
{
    if (!a || !b || a->npolicies != b->npolicies)
        return 0;
    for (int p = 0; p < a->npolicies; p++) {
        const ckp_model *x = &a->models[p], *y = &b->models[p];
        size_t S = (size_t)a->S, K = (size_t)a->K, M = (size_t)a->M;
        if (!same_vec(x->P, y->P, S * K * K) || !same_vec(x->stock0, y->stock0, M) ||
            !same_vec(x->target, y->target, M) || !same_vec(x->eta, y->eta, M) ||
            !same_vec(x->X, y->X, (size_t)a->I) || !same_vec(x->block_max, y->block_max, S * K * M))
            return 0;
    }
    return 1;
}

static void check_variant(const ckp_scenario *sc, const ckp_override *ov, int n, const char *old,
                          const char *new)
{
    ckp_scenario *v = NULL;
    ckp_error err;
    ckp_status st = ckp_scenario_vary(sc, ov, n, &v, &err);
    CHECK(st == CKP_OK, "vary %s: %s", ov[0].key, err.message);
    char *text = edit(BASE, old, new);
    ckp_scenario *e = load(text);
    CHECK(same_models(v, e), "vary %s = the edited file", ov[0].key);
    ckp_scenario_free(v);
    ckp_scenario_free(e);
    free(text);
}

static void refused(const ckp_scenario *sc, const char *key, const char *value,
                    const char *want)
{
    ckp_override ov = {key, value, 0, 0};
    ckp_scenario *v = NULL;
    ckp_error err;
    ckp_status st = ckp_scenario_vary(sc, &ov, 1, &v, &err);
    CHECK(st == CKP_ERR_CONFIG && !v && strstr(err.message, want), "%s=%s refused with '%s': %s",
          key, value, want, err.message);
    ckp_scenario_free(v);
}

int main(void)
{
    ckp_scenario *sc = load(BASE);
    if (!sc)
        return 1;
    ckp_scenario *orig = load(BASE);

    ckp_override days = {"materials[NdPr].stockpile.days", "120", 0, 0};
    check_variant(sc, &days, 1, "stockpile: {days: 52}", "stockpile: {days: 120}");
    ckp_override added = {"materials[NdPr].stockpile.target_days", "30", 0, 0};
    check_variant(sc, &added, 1, "stockpile: {days: 52}", "stockpile: {days: 52, target_days: 30}");
    ckp_override two[2] = {{"materials[0].price.elasticity", "0.6", 0, 0},
                           {"industries[autos].output", "2e11", 0, 0}};
    char *t2 = edit(BASE, "elasticity: 0.3", "elasticity: 0.6");
    ckp_scenario *e2 = load(t2);
    ckp_scenario *v2 = NULL;
    ckp_error err;
    CHECK(ckp_scenario_vary(sc, two, 2, &v2, &err) == CKP_OK, "two overrides: %s", err.message);
    CHECK(v2 && v2->models[0].X[0] == 2e11 && v2->models[0].eta[0] == 0.6 &&
              same_vec(v2->models[0].P, e2->models[0].P, 9),
          "two overrides at once");
    ckp_scenario_free(v2);
    ckp_scenario_free(e2);
    free(t2);
    ckp_override pol = {"policies[stock].changes.materials[NdPr].stockpile.days", "75", 0, 0};
    check_variant(sc, &pol, 1, "{name: NdPr, stockpile: {days: 90}}",
                  "{name: NdPr, stockpile: {days: 75}}");
    /* the policy keeps its own value when the baseline's is swung */
    ckp_scenario *vb = NULL;
    CHECK(ckp_scenario_vary(sc, &days, 1, &vb, &err) == CKP_OK, "vary: %s", err.message);
    CHECK(vb && vb->models[1].stock0[0] == 90 / CKP_DAYS_PER_MONTH &&
              vb->models[0].stock0[0] == 120 / CKP_DAYS_PER_MONTH,
          "a policy that sets the key keeps its value");
    ckp_scenario_free(vb);

    /* transition rows: the others scaled by (1 - v) / S, S summed in row order */
    char row[160];
    double S = 0.9 + 0.02;
    snprintf(row, sizeof row, "open: [%.17g, 0.3, %.17g]", 0.9 * (1.0 - 0.3) / S,
             0.02 * (1.0 - 0.3) / S);
    ckp_override tr = {"suppliers[CN].transitions.open.restricted", "0.3", 0, 0};
    check_variant(sc, &tr, 1, "open: [0.9, 0.08, 0.02]", row);
    snprintf(row, sizeof row, "restricted: {open: %.17g, restricted: %.17g, embargo: 0.2}",
             0.25 * (1.0 - 0.2) / 1.0, 0.75 * (1.0 - 0.2) / 1.0);
    ckp_override trm = {"suppliers[CN].transitions.restricted.embargo", "0.2", 0, 0};
    check_variant(sc, &trm, 1, "restricted: {open: 0.25, restricted: 0.75}", row);
    ckp_override one = {"suppliers[CN].transitions.embargo.embargo", "1", 0, 0};
    check_variant(sc, &one, 1, "embargo: [0, 0, 1]", "embargo: [0, 0, 1]");
    refused(sc, "suppliers[CN].transitions.embargo.embargo", "0.5",
            "cannot keep the transition row summing to 1");
    refused(sc, "suppliers[CN].transitions.open.open", "-0.1", "expected a number in [0, 1]");

    /* refusals with the file's messages */
    refused(sc, "materials[NdPr].stockpile.days", "-1", "expected a number >= 0, found -1");
    refused(sc, "materials[NdPr].stockpile.dayz", "1", "unknown key 'dayz' (did you mean 'days'?)");
    refused(sc, "materials[Nd].stockpile.days", "1", "unknown material 'Nd'");
    refused(sc, "materials[3].stockpile.days", "1", "index [3] out of range");
    refused(sc, "materials[NdPr].routes[0].share", "0.5", "summing to 1");
    refused(sc, "materials[NdPr].stockpile", "1", "expected a single value");
    refused(sc, "paths", "10", "run setting");
    refused(sc, "materials[NdPr", "1", "expected a key path");
    refused(sc, "materials[NdPr].", "1", "expected a key path");
    refused(sc, "regimes.open", "1", "expected a mapping with key 'open'");
    refused(sc, "nonsense", "1", "unknown key 'nonsense'");

    /* the varied scenario is left as it was */
    CHECK(same_models(sc, orig), "the scenario varied is unchanged");

    /* the sensitivity: section */
    int n = 0;
    const ckp_swing *w = ckp_scenario_swings(sc, &n);
    CHECK(n == 1 && !strcmp(w[0].key, "materials[NdPr].stockpile.days") &&
              !strcmp(w[0].low, "10") && !strcmp(w[0].high, "200") && w[0].low_line == 28,
          "the section's entry: %d entries, line %d", n, n ? w[0].low_line : 0);
    char *yaml = NULL;
    CHECK(ckp_scenario_to_yaml(sc, &yaml, &err) == CKP_OK && yaml &&
              !strstr(yaml, "sensitivity"),
          "the resolved scenario has no sensitivity section");
    free(yaml);

    ckp_scenario_free(orig);
    ckp_scenario_free(sc);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
