/* chokepoint: `chokepoint validate [FILE]` -- load and check a scenario and
 * print what it resolves to: sizes, run settings, each policy's differences
 * from the baseline, and the supplier-to-industry exposure table. With no
 * FILE, the built-in default scenario. Errors go to stderr (exit status 2 for
 * a bad scenario). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/scenario.h"
#include "commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: chokepoint validate [options] [FILE]\n"
            "\n"
            "Check a scenario file (docs/scenario-format.md) and print what it resolves to.\n"
            "Without FILE, the built-in default scenario (configs/korea-rare-earths.yaml).\n"
            "\n"
            "Options:\n"
            "  --policy NAME   show the exposure table of this policy (default: baseline)\n"
            "  -h, --help      show this help\n"
            "\n"
            "Exit status: 0 valid, 2 invalid scenario or bad usage, 1 other failure.\n");
}

/* The keys of the `sensitivity:` section, each swung to both values and
 * resolved as `chokepoint sensitivity` does: 0, or 2 after the message. */
static int check_swings(const ckp_scenario *sc)
{
    int n = 0;
    const ckp_swing *w = ckp_scenario_swings(sc, &n);
    for (int i = 0; i < n; i++)
        for (int h = 0; h < 2; h++) {
            ckp_override ov = {w[i].key, h ? w[i].high : w[i].low,
                               h ? w[i].high_line : w[i].low_line,
                               h ? w[i].high_col : w[i].low_col};
            ckp_error err;
            ckp_error_clear(&err);
            ckp_scenario *v = NULL;
            ckp_status st = ckp_scenario_vary(sc, &ov, 1, &v, &err);
            ckp_scenario_free(v);
            if (st != CKP_OK) {
                fprintf(stderr, "chokepoint validate: sensitivity[%d]: %s\n", i, err.message);
                return st == CKP_ERR_NOMEM ? 1 : 2;
            }
        }
    return 0;
}

/* A column as wide as `name`, at least `floor`. */
static int width(const char *name, int floor)
{
    int l = (int)strlen(name);
    return l > floor ? l : floor;
}

static void print_scenario(const ckp_scenario *sc, int policy)
{
    const ckp_model *m = ckp_scenario_model(sc, 0);
    const char *currency = ckp_scenario_currency(sc);
    int S = ckp_scenario_nsuppliers(sc), I = ckp_scenario_nindustries(sc);
    int npolicies = ckp_scenario_npolicies(sc);
    printf("scenario: %s (%s)\n", ckp_scenario_name(sc), ckp_scenario_source_name(sc));
    if (ckp_scenario_description(sc))
        printf("description: %s\n", ckp_scenario_description(sc));
    printf("importer: %s, currency: %s\n", ckp_scenario_importer(sc), currency);
    printf("sizes: %d suppliers, %d regimes, %d materials, %d routes, %d industries, "
           "%d months, %d policies (with the baseline)\n",
           S, ckp_scenario_nregimes(sc), ckp_scenario_nmaterials(sc), ckp_model_nroutes(m), I,
           ckp_scenario_horizon(sc), npolicies);
    static const char *const rules[] = {"independent", "bottleneck", "linear"};
    printf("run settings: paths %lld, seed %llu, antithetic %s, shortfall threshold %g, "
           "propagation %s, rule %s\n",
           (long long)ckp_scenario_paths(sc), (unsigned long long)ckp_scenario_seed(sc),
           ckp_scenario_antithetic(sc) ? "yes" : "no", ckp_model_shortfall_threshold(m),
           ckp_model_propagation(m) == CKP_PROP_DYNAMIC ? "dynamic" : "static",
           rules[ckp_model_rule(m)]);

    printf("\npolicies:\n");
    for (int p = 0; p < npolicies; p++) {
        printf("  %s", ckp_scenario_policy_name(sc, p));
        if (ckp_scenario_policy_description(sc, p))
            printf(": %s", ckp_scenario_policy_description(sc, p));
        double cost = 0;
        if (ckp_scenario_policy_cost(sc, p, &cost))
            printf(" (annual cost %.6g %s)", cost, currency);
        printf("\n");
        if (p == 0)
            continue;
        const char *d = ckp_scenario_policy_diff(sc, p);
        if (!d[0]) {
            printf("    (no differences from the baseline)\n");
            continue;
        }
        while (*d) {
            const char *nl = strchr(d, '\n');
            int n = nl ? (int)(nl - d) : (int)strlen(d);
            printf("    %.*s\n", n, d);
            d += n + (nl ? 1 : 0);
        }
    }

    double *ex = malloc(sizeof(double) * (size_t)S * (size_t)(I ? I : 1));
    if (!ex)
        return;
    ckp_scenario_exposure(sc, policy, ex);
    printf("\nexposure (%s): share of each industry's critical input that passes through each\n"
           "supplier, directly or as a refiner: sum over materials of criticality x route share\n\n",
           ckp_scenario_policy_name(sc, policy));
    /* each column as wide as its industry's name, at least 6 for "0.0000" */
    int w0 = 8;
    for (int s = 0; s < S; s++)
        w0 = width(ckp_scenario_supplier(sc, s), w0);
    printf("  %-*s", w0, "supplier");
    for (int i = 0; i < I; i++)
        printf("  %*s", width(ckp_scenario_industry(sc, i), 6), ckp_scenario_industry(sc, i));
    printf("\n");
    for (int s = 0; s < S; s++) {
        printf("  %-*s", w0, ckp_scenario_supplier(sc, s));
        for (int i = 0; i < I; i++)
            printf("  %*.4f", width(ckp_scenario_industry(sc, i), 6), ex[(size_t)s * I + i]);
        printf("%s\n", ckp_model_importer(m) == s ? "  (importer: domestic, never blocks)" : "");
    }
    free(ex);
    int ns = 0;
    ckp_scenario_swings(sc, &ns);
    if (ns > 0)
        printf("\nsensitivity: %d key%s to swing, each checked at both values\n", ns,
               ns > 1 ? "s" : "");
    printf("\nscenario is valid\n");
}

int ckp_cmd_validate(int argc, char **argv)
{
    const char *file = NULL, *policy = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--policy")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "chokepoint validate: --policy needs a policy name\n");
                return 2;
            }
            policy = argv[++i];
        } else if (!strncmp(a, "--policy=", 9)) {
            policy = a + 9;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "chokepoint validate: unknown option '%s'\n\n", a);
            usage(stderr);
            return 2;
        } else if (file) {
            fprintf(stderr, "chokepoint validate: expected at most one FILE, found '%s' and '%s'\n",
                    file, a);
            return 2;
        } else {
            file = a;
        }
    }

    ckp_scenario *sc = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    ckp_status st = file ? ckp_scenario_load_file(file, &sc, &err)
                         : ckp_scenario_load_default(&sc, &err);
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint validate: %s\n", err.message);
        /* An unreadable scenario file is bad input, as in `run`. */
        return st == CKP_ERR_IO ? 2 : ckp_status_exit_code(st);
    }
    int p = 0;
    if (policy) {
        p = ckp_scenario_policy_index(sc, policy);
        if (p < 0) {
            fprintf(stderr, "chokepoint validate: unknown policy '%s'; expected one of:", policy);
            for (int k = 0; k < ckp_scenario_npolicies(sc); k++)
                fprintf(stderr, " %s", ckp_scenario_policy_name(sc, k));
            fprintf(stderr, "\n");
            ckp_scenario_free(sc);
            return 2;
        }
    }
    int rc = check_swings(sc);
    if (rc == 0)
        print_scenario(sc, p);
    ckp_scenario_free(sc);
    return rc;
}
