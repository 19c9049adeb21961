/* chokepoint: scenarios (MODEL.md section 2).
 *
 * A scenario file is loaded, validated and resolved into a ckp_scenario: the
 * names of every dimension, the run settings, and one fully numeric ckp_model
 * per policy (index 0 is the baseline; every other policy is the baseline with
 * that policy's partial document deep-merged over it). Every model of one
 * scenario has the same dimensions and names, so policies can be compared on
 * the same random numbers.
 *
 * Only engine/scenario/ includes yaml.h. */
#ifndef CHOKEPOINT_SCENARIO_H
#define CHOKEPOINT_SCENARIO_H

#include "chokepoint/api.h"

#include <stddef.h>
#include <stdint.h>

#include "chokepoint/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 month = 30.4375 days (MODEL.md section 2). */
#define CKP_DAYS_PER_MONTH 30.4375

/* Refusal limits checked before anything is allocated; a scenario over one
 * is refused with CKP_ERR_CONFIG (the command-line tool's exit status 2). */
#define CKP_MAX_SUPPLIERS 1000
#define CKP_MAX_REGIMES 64
#define CKP_MAX_MATERIALS 1000
#define CKP_MAX_INDUSTRIES 20000
#define CKP_MAX_HORIZON 1200
#define CKP_MAX_ROUTE_COUNTRIES 16
#define CKP_MAX_POLICIES 256
/* Names of regimes, suppliers, materials, industries and policies: at most
 * this many bytes (they become HDF5 group names and parts of file paths). */
#define CKP_MAX_NAME_BYTES 255
/* Array sizes refused before allocating (per policy): block tables S*K*M and
 * the interdependency matrix I*I; and all models of a scenario together. */
#define CKP_MAX_BLOCK_CELLS 4000000
#define CKP_MAX_MATRIX_CELLS 25000000
#define CKP_MAX_MODEL_DOUBLES 100000000
/* Months x suppliers x materials: one path's per-month block fractions (the
 * simulation scratch of a thread is about 32 bytes per cell). */
#define CKP_MAX_PATH_CELLS 20000000

typedef enum ckp_rule {
    CKP_RULE_INDEPENDENT = 0, /* q0_i = 1 - prod_m (1 - C[m,i] x_m) */
    CKP_RULE_BOTTLENECK = 1,  /* q0_i = max_m C[m,i] x_m */
    CKP_RULE_LINEAR = 2       /* q0_i = min(1, sum_m C[m,i] x_m) */
} ckp_rule;

typedef enum ckp_propagation {
    CKP_PROP_STATIC = 0, /* q = clip((I - A*)^-1 q0, 0, 1) */
    CKP_PROP_DYNAMIC = 1 /* q <- clip(q + K (A* q + q0 - q), 0, 1) */
} ckp_propagation;

/* A loaded scenario and one policy's resolved numbers. Both are opaque: a
 * scenario is made by the load functions, read with the accessors below and
 * freed with ckp_scenario_free; its models live as long as it does. */
typedef struct ckp_scenario ckp_scenario;
typedef struct ckp_model ckp_model;

/* Load and validate a scenario file. CSV files it names are read relative to
 * the file's directory. On success *out owns a new scenario (free with
 * ckp_scenario_free). On failure *out is NULL and err says file, line, column,
 * key path, what was expected and what was found. */
CKP_API ckp_status ckp_scenario_load_file(const char *path, ckp_scenario **out, ckp_error *err);

/* Load from text in memory. `name` is used in messages; `basedir` resolves
 * relative CSV paths (NULL: the current directory). */
CKP_API ckp_status ckp_scenario_load_string(const char *text, size_t len, const char *name,
                                    const char *basedir, ckp_scenario **out, ckp_error *err);
/* As ckp_scenario_load_string, for a text that must be self-contained (the
 * resolved scenario stored in a results file): a reference to a CSV file is
 * refused with its position, and no file is opened. */
CKP_API ckp_status ckp_scenario_load_inline(const char *text, size_t len, const char *name,
                                            ckp_scenario **out, ckp_error *err);

/* The built-in default scenario (configs/korea-rare-earths.yaml compiled in). */
CKP_API const char *ckp_default_scenario_text(size_t *len);
CKP_API ckp_status ckp_scenario_load_default(ckp_scenario **out, ckp_error *err);

/* A self-contained YAML text of the resolved scenario (every matrix inline,
 * every policy fully expanded, numbers with 17 significant digits) that loads
 * back into identical models. *out is malloc'ed; the caller frees it. */
CKP_API ckp_status ckp_scenario_to_yaml(const ckp_scenario *sc, char **out, ckp_error *err);

/* ---- reading a scenario ----
 *
 * Every accessor takes a scenario from the load functions (NULL is accepted
 * and gives NULL or 0). Returned texts are owned by the scenario and live
 * until ckp_scenario_free. An index out of range gives NULL (texts) or 0. */

/* The scenario's `name` (never NULL for a loaded scenario). */
CKP_API const char *ckp_scenario_name(const ckp_scenario *sc);
/* The scenario's `description`, or NULL when the file gives none. */
CKP_API const char *ckp_scenario_description(const ckp_scenario *sc);
/* The name of the importing economy (`importer`). */
CKP_API const char *ckp_scenario_importer(const ckp_scenario *sc);
/* The unit of money of prices, outputs and costs (`currency`, "USD" by default). */
CKP_API const char *ckp_scenario_currency(const ckp_scenario *sc);
/* The name the scenario was loaded under, used in messages ("<built-in>" for
 * the default scenario). */
CKP_API const char *ckp_scenario_source_name(const ckp_scenario *sc);
/* The scenario text exactly as read (NUL-terminated). */
CKP_API const char *ckp_scenario_source_text(const ckp_scenario *sc);

/* Run settings from the file (the command line may override them): `seed`
 * (1 by default), `paths` (10000 by default), `antithetic` (1 or 0). */
CKP_API uint64_t ckp_scenario_seed(const ckp_scenario *sc);
CKP_API int64_t ckp_scenario_paths(const ckp_scenario *sc);
CKP_API int ckp_scenario_antithetic(const ckp_scenario *sc);

/* The sizes of the dimensions, the same for every policy: suppliers S,
 * regimes K, materials M, industries I, and the horizon T in months. */
CKP_API int ckp_scenario_nsuppliers(const ckp_scenario *sc);
CKP_API int ckp_scenario_nregimes(const ckp_scenario *sc);
CKP_API int ckp_scenario_nmaterials(const ckp_scenario *sc);
CKP_API int ckp_scenario_nindustries(const ckp_scenario *sc);
CKP_API int ckp_scenario_horizon(const ckp_scenario *sc);

/* The name of supplier s < S (a country code), regime k < K, material m < M
 * or industry i < I, in the order of the file. */
CKP_API const char *ckp_scenario_supplier(const ckp_scenario *sc, int s);
CKP_API const char *ckp_scenario_regime(const ckp_scenario *sc, int k);
CKP_API const char *ckp_scenario_material(const ckp_scenario *sc, int m);
CKP_API const char *ckp_scenario_industry(const ckp_scenario *sc, int i);

/* The number of policies, the baseline included (>= 1 for a loaded
 * scenario); policy 0 is the baseline. */
CKP_API int ckp_scenario_npolicies(const ckp_scenario *sc);
/* The name of policy p ("baseline" for 0). */
CKP_API const char *ckp_scenario_policy_name(const ckp_scenario *sc, int p);
/* The `description` of policy p, or NULL when it has none (always for 0). */
CKP_API const char *ckp_scenario_policy_description(const ckp_scenario *sc, int p);
/* How policy p differs from the baseline: lines "key.path: base -> policy"
 * separated by '\n' (no final newline); "" for the baseline and for a policy
 * that changes nothing. */
CKP_API const char *ckp_scenario_policy_diff(const ckp_scenario *sc, int p);
/* 1 when policy p states an `annual_cost`, and then the cost (currency per
 * year) in *annual_cost; otherwise 0 and *annual_cost = 0. annual_cost may be
 * NULL. The baseline never has a cost. */
CKP_API int ckp_scenario_policy_cost(const ckp_scenario *sc, int p, double *annual_cost);

/* The resolved model of policy p, as the simulation functions take it
 * (chokepoint/sim.h); owned by the scenario. NULL when p is out of range. */
CKP_API const ckp_model *ckp_scenario_model(const ckp_scenario *sc, int p);

/* ---- reading a model (from ckp_scenario_model; NULL gives 0 or -1) ---- */

/* The number of routes of all materials together. */
CKP_API int ckp_model_nroutes(const ckp_model *m);
/* The index of the importer among the suppliers, or -1 when it is none. */
CKP_API int ckp_model_importer(const ckp_model *m);
/* The inoperability rule (`rule`) and the propagation (`propagation`). */
CKP_API ckp_rule ckp_model_rule(const ckp_model *m);
CKP_API ckp_propagation ckp_model_propagation(const ckp_model *m);
/* A month is short of a material when its shortfall is strictly greater than
 * this fraction of demand (`shortfall_threshold`, 0.01 by default). */
CKP_API double ckp_model_shortfall_threshold(const ckp_model *m);

/* Index of a policy by name, or -1. */
CKP_API int ckp_scenario_policy_index(const ckp_scenario *sc, const char *name);

/* Exposure matrix, S x I row-major, for one policy: for each supplier s and
 * industry i, sum over materials m of C[m,i] * (share of m's supply whose route
 * passes through s, directly or as refiner). out must hold S*I doubles. */
CKP_API void ckp_scenario_exposure(const ckp_scenario *sc, int policy, double *out);

/* ---- variants and the `sensitivity:` section (engine/scenario/override.c) ----
 *
 * A key path as the validation messages spell it: keys joined by '.', list
 * entries by name or index in brackets ("materials[NdPr].stockpile.days",
 * "materials[NdPr].routes[0].share"), an entry of a transition row by its
 * regime ("suppliers[CN].transitions.licensing.restricted"). */
typedef struct ckp_override {
    const char *key;   /* the key path */
    const char *value; /* the new value, as the text of a plain YAML scalar */
    int line, col;     /* where the value was written (the sensitivity section), or 0 */
} ckp_override;

/* The scenario again, from its own text, with each override's scalar set on
 * the parsed document before it is resolved (absent keys are added), so that
 * an unknown key or a value out of range is refused with the message a file
 * would get (file, line and column of the node reached, key path, what was
 * expected, what was found). A key path naming no entry of a list, an index
 * out of range, or a run setting (version, seed, paths, antithetic,
 * sensitivity) is refused too. A transition probability set to v scales the
 * row's other entries by (1 - v) / S, S their sum in row order, so the row
 * still sums to 1; refused when v is not in [0, 1], or v < 1 and S = 0.
 * CSV files are read relative to the directory of the scenario's file.
 * *out is owned by the caller. */
CKP_API ckp_status ckp_scenario_vary(const ckp_scenario *sc, const ckp_override *ov, int n,
                                     ckp_scenario **out, ckp_error *err);

/* At most this many entries in a `sensitivity:` section. */
#define CKP_MAX_SWINGS 1000

/* One entry of the scenario's `sensitivity:` section: the key path and the
 * two values as written, and where the entry and the values are. */
typedef struct ckp_swing {
    char *key, *low, *high;
    int line, col, low_line, low_col, high_line, high_col;
} ckp_swing;

/* The entries of the `sensitivity:` section (*n of them, 0 when there is
 * none), owned by the scenario. */
CKP_API const ckp_swing *ckp_scenario_swings(const ckp_scenario *sc, int *n);

/* Free a scenario and everything it owns. Accepts NULL. */
CKP_API void ckp_scenario_free(ckp_scenario *sc);

#ifdef __cplusplus
}
#endif
#endif
