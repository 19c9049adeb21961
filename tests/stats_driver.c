/* Test driver for tests/test_stats_numpy.py: reads values from stdin and
 * prints the stats module's figures with 17 significant digits.
 *
 * Usage:
 *   stats_driver summary [anti]   stdin: one value per line (or any whitespace)
 *   stats_driver exceed           stdin: values
 *   stats_driver benefit [anti]   stdin: "base policy" pairs
 * Output, one "name v1 v2 ..." per line. Errors: message on stderr, exit 2. */
#include "chokepoint/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *read_values(size_t *n)
{
    size_t cap = 1024, len = 0;
    double *v = malloc(cap * sizeof *v);
    char tok[128];
    while (v && scanf("%127s", tok) == 1) {
        char *end = NULL;
        double x = strtod(tok, &end);
        if (!end || *end) {
            fprintf(stderr, "stats_driver: not a number: '%s'\n", tok);
            free(v);
            return NULL;
        }
        if (len == cap) {
            double *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv) {
                free(v);
                return NULL;
            }
            v = nv;
            cap *= 2;
        }
        v[len++] = x;
    }
    *n = len;
    return v;
}

static void print_row(const char *name, const double *v, int n)
{
    printf("%s", name);
    for (int i = 0; i < n; i++)
        printf(" %.17g", v[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s summary|exceed|benefit [anti]\n", argv[0]);
        return 2;
    }
    int anti = argc > 2 && strcmp(argv[2], "anti") == 0;
    size_t n = 0;
    double *v = read_values(&n);
    if (!v)
        return 2;
    ckp_error err;
    ckp_error_clear(&err);
    int rc = 0;

    if (strcmp(argv[1], "summary") == 0) {
        ckp_summary s;
        if (ckp_summary_compute(v, n, anti, NULL, &s, &err) != CKP_OK) {
            fprintf(stderr, "stats_driver: %s\n", err.message);
            rc = 2;
        } else {
            double head[6] = {s.count, s.mean, s.sd, s.se, s.min, s.max};
            double risk[4] = {s.var95, s.cvar95, s.var99, s.cvar99};
            print_row("head", head, 6);
            print_row("q", s.q, CKP_NQUANTILES);
            print_row("risk", risk, 4);
        }
    } else if (strcmp(argv[1], "exceed") == 0) {
        double levels[CKP_EXCEEDANCE_LEVELS], prob[CKP_EXCEEDANCE_LEVELS];
        ckp_exceedance(v, n, levels, prob);
        print_row("levels", levels, CKP_EXCEEDANCE_LEVELS);
        print_row("prob", prob, CKP_EXCEEDANCE_LEVELS);
    } else if (strcmp(argv[1], "benefit") == 0) {
        if (n % 2) {
            fprintf(stderr, "stats_driver: benefit needs pairs\n");
            rc = 2;
        } else {
            size_t m = n / 2;
            double *base = malloc((m + 1) * sizeof *base), *pol = malloc((m + 1) * sizeof *pol);
            if (!base || !pol) {
                rc = 2;
            } else {
                for (size_t i = 0; i < m; i++) {
                    base[i] = v[2 * i];
                    pol[i] = v[2 * i + 1];
                }
                ckp_benefit b;
                if (ckp_benefit_compute(base, pol, m, anti, 1, 1000.0, 24, NULL, &b, &err) !=
                    CKP_OK) {
                    fprintf(stderr, "stats_driver: %s\n", err.message);
                    rc = 2;
                } else {
                    double head[4] = {b.mean, b.se, b.p_positive, b.bcr};
                    print_row("head", head, 4);
                    print_row("q", b.q, CKP_NQUANTILES);
                }
            }
            free(base);
            free(pol);
        }
    } else {
        fprintf(stderr, "stats_driver: unknown mode '%s'\n", argv[1]);
        rc = 2;
    }
    free(v);
    return rc;
}
