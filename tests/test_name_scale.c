/* chokepoint tests: the loader's name checks and look-ups are linear at its
 * limits (issue 12, item 3).
 *
 * A scenario near the limits: 1000 suppliers, each blocking all of 400
 * materials (400,000 material look-ups per model), 1500 industries (duplicate check),
 * each critical on 40 materials, and 10 policies that each change every
 * industry (merging named lists and listing differences: 15,000 entries
 * matched by name each way). With linear searches this makes about 10^9 name
 * comparisons; with the hash indexes (dims.c, policy.c) a few per look-up.
 * The test counts comparisons (ckp_names_compares), so it times nothing;
 * then it checks that a duplicate name and an unknown name are still found,
 * with the line of the first entry and a "did you mean". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chokepoint/chokepoint.h"
#include "engine/scenario/resolve_impl.h"

enum { S = 1000, M = 400, I = 1500, P = 10, CRIT = 40 };

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->cap = t->cap * 2 + 4096;
        t->s = realloc(t->s, t->cap);
        if (!t->s) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
}

/* The scenario; dup_industry >= 0 names industry 0 again at that index, and
 * bad_material spells one criticality key wrong. */
static char *scenario(int dup_industry, int bad_material)
{
    text t = {NULL, 0, 0};
    put(&t, "version: 1\nname: names\nimporter: KR\nhorizon_months: 12\n"
            "regimes: [open, restricted]\nsuppliers:\n");
    for (int s = 0; s < S; s++) {
        put(&t,
            "  - name: S%d\n    transitions: {open: [0.9, 0.1], restricted: [0.5, 0.5]}\n"
            "    block: {restricted: {",
            s);
        for (int m = 0; m < M; m++)
            put(&t, "%sM%d: 0.1", m ? ", " : "", m);
        put(&t, "}}\n");
    }
    put(&t, "materials:\n");
    for (int m = 0; m < M; m++)
        put(&t,
            "  - name: M%d\n    routes: [{path: [S%d], share: 1.0}]\n"
            "    price: {base: 1.0, volume: 1.0, elasticity: 0.3, cap: 2.0}\n",
            m, m % S);
    put(&t, "industries:\n");
    for (int i = 0; i < I; i++) {
        put(&t, "  - {name: I%d, output: 1.0e9, criticality: {", i == dup_industry ? 0 : i);
        for (int k = 0; k < CRIT; k++)
            put(&t, "%s%s%d: 0.001", k ? ", " : "",
                bad_material && i == I - 1 && k == 0 ? "Mx" : "M", k * (M / CRIT));
        put(&t, "}}\n");
    }
    put(&t, "policies:\n");
    for (int p = 0; p < P; p++) {
        put(&t, "  - name: P%d\n    changes:\n      industries:\n", p);
        for (int i = 0; i < I; i++)
            put(&t, "        - {name: I%d, output: 2.0e9}\n", i);
    }
    return t.s;
}

int main(void)
{
    char *yaml = scenario(-1, 0);
    ckp_scenario *sc = NULL;
    ckp_error err;
    unsigned long long before = ckp_names_compares();
    ckp_status st = ckp_scenario_load_string(yaml, strlen(yaml), "names.yaml", NULL, &sc, &err);
    unsigned long long used = ckp_names_compares() - before;
    CHECK(st == CKP_OK, "the scenario loads: %s", err.message);
    /* name references, resolved once for the baseline and once per policy's
     * merged document: block keys, criticality keys, route paths; once: the
     * duplicate checks, and per policy the merge and both directions of the
     * differences */
    double refs = (P + 1.0) * ((double)S * M + (double)I * CRIT + M) + S + I + 3.0 * P * I;
    printf("%llu name comparisons for %.0f references (%.2f each)\n", used, refs,
           (double)used / refs);
    CHECK((double)used <= 4 * refs, "%llu comparisons for %.0f references: not linear", used, refs);
    ckp_scenario_free(sc);
    free(yaml);

    yaml = scenario(I - 1, 0);
    st = ckp_scenario_load_string(yaml, strlen(yaml), "names.yaml", NULL, &sc, &err);
    CHECK(st == CKP_ERR_CONFIG && strstr(err.message, "duplicate industry name 'I0'") &&
              strstr(err.message, "first at line"),
          "a duplicate industry: %s", err.message);
    ckp_scenario_free(sc);
    free(yaml);

    yaml = scenario(-1, 1);
    st = ckp_scenario_load_string(yaml, strlen(yaml), "names.yaml", NULL, &sc, &err);
    CHECK(st == CKP_ERR_CONFIG && strstr(err.message, "unknown material 'Mx0'") &&
              strstr(err.message, "did you mean"),
          "an unknown material: %s", err.message);
    ckp_scenario_free(sc);
    free(yaml);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
