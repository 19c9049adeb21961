/* chokepoint: the layout of a scenario and of its resolved models (internal;
 * not installed).
 *
 * The public header include/chokepoint/scenario.h declares ckp_scenario and
 * ckp_model as incomplete types and offers accessors; engine code that reads
 * the fields directly (the simulation, the run, the output writer, tests and
 * benchmarks) includes this header. The scenario module fills every field. */
#ifndef CKP_SCENARIO_IMPL_H
#define CKP_SCENARIO_IMPL_H

#include <stdint.h>

#include "chokepoint/scenario.h"

/* One policy's fully resolved numbers. All arrays are row-major and owned by
 * the ckp_scenario that holds the model. Index conventions:
 *   s supplier < S, k regime < K, m material < M, i,j industry < I.
 * Quantities of stock are in MONTHS of baseline demand; flows (max_release,
 * trigger, refill, shortfall) in fractions of monthly baseline demand. */
struct ckp_model {
    int S, K, M, I, T;
    int importer; /* index of the importer among the suppliers, or -1 */

    /* Routes of material m are r = route_off[m] .. route_off[m+1]-1.
     * exp(r) = route_exp[route_exp_off[r] .. route_exp_off[r+1]-1]: the distinct
     * supplier indices of the route other than the importer (possibly none). */
    int nroutes;
    int *route_off;       /* M+1 */
    double *route_share;  /* nroutes, normalised to sum 1 per material */
    int *route_exp_off;   /* nroutes+1 */
    int *route_exp;       /* route_exp_off[nroutes] */

    double *P;            /* S*K*K: P[(s*K + k)*K + j], rows normalised */
    double *init;         /* S*K: initial regime distribution, normalised */
    double *corr;         /* S*S: supplier regime correlation R */
    int corr_identity;    /* 1 when corr is exactly the identity */
    double *block_min;    /* S*K*M: [(s*K + k)*M + m]; fixed value: min = mode = max */
    double *block_mode;   /* S*K*M */
    double *block_max;    /* S*K*M */

    double *spare;        /* S*M: [s*M + m], fraction of baseline demand of m */
    double *tau_up;       /* M, months; 0 = immediate */
    double *tau_down;     /* M, months; 0 = immediate */

    double *stock0;       /* M, months of demand */
    double *target;       /* M, months of demand */
    double *max_release;  /* M, fraction of monthly demand per month */
    double *trigger;      /* M, fraction of monthly demand */
    double *refill;       /* M, fraction of monthly demand per month */

    double *p0;           /* M, currency per unit of volume */
    double *volume;       /* M, baseline monthly import volume (units) */
    double *eta;          /* M, price elasticity of demand, > 0 */
    double *cap;          /* M, cap on the price multiple, > 0.1 */
    double *price_floor;  /* M, multiple of p0 guaranteed to rerouted supply; 0 = none */
    double *phi;          /* M, AR(1) coefficient of log-price noise */
    double *sigma;        /* M, monthly volatility of log-price noise */
    double *lambda;       /* M, monthly jump probability */
    double *muJ;          /* M, jump mean (log price) */
    double *sigmaJ;       /* M, jump sd (log price) */
    double *price_corr;   /* M*M: Rp */
    int price_corr_identity;

    double *C;            /* M*I: [m*I + i], criticality */
    ckp_rule rule;
    ckp_propagation propagation;
    double *Astar;        /* I*I: [i*I + j], spectral radius < 1 */
    double *Kres;         /* I, dynamic resilience in (0, 1] */
    double *X;            /* I, annual output value (currency) */

    double shortfall_threshold; /* default 0.01 (strictly greater counts) */
    int has_cost;         /* 1 when the policy states an annual cost */
    double annual_cost;   /* currency per year, meaningful when has_cost */
};

struct ckp_scenario {
    char *name;           /* scenario name (never NULL) */
    char *description;    /* may be NULL */
    char *importer;       /* name of the importing economy */
    char *currency;       /* unit of money for p0, X, costs (e.g. "USD") */
    int start_year;       /* `start: YYYY-MM`, the calendar month of month 1; */
    int start_month;      /* 0 and 0 when the scenario states none */

    int S, K, M, I, T;
    char **suppliers;     /* S names (country codes) */
    char **regimes;       /* K names */
    char **materials;     /* M names */
    char **industries;    /* I names */

    int npolicies;        /* >= 1; index 0 is "baseline" */
    char **policy_names;  /* npolicies */
    char **policy_descriptions; /* npolicies, entries may be NULL */
    char **policy_diffs;  /* npolicies: text lines "key.path: base -> policy",
                           * '\n'-separated; [0] empty */
    ckp_model *models;    /* npolicies */

    /* Run settings from the file (the command line may override them). */
    uint64_t seed;
    int64_t paths;
    int antithetic;

    char *source_name;    /* file name used in messages ("<built-in>" for the default) */
    char *source_text;    /* the scenario text exactly as read */

    struct ckp_scenario_priv *priv; /* internal: the parsed documents (for to_yaml) */
};

#endif
