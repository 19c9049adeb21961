/* chokepoint tests: build a ckp_model by hand, without a scenario file.
 *
 * fx_model_alloc gives every array of a model of the given dimensions neutral
 * defaults (identity correlations, every supplier stays in regime 0 forever,
 * nothing blocked, no ramp, no stockpile, p0 = volume = eta = 1, cap 100, no
 * price noise, C = 0, A* = 0, K = 1, X = 12, static propagation, independent
 * rule, threshold 0.01) so a test only sets what it exercises. Routes are
 * given as a compact description; fx_model_free releases everything. Other
 * modules' tests may reuse these helpers. */
#ifndef CKP_TESTS_MODEL_FIXTURE_H
#define CKP_TESTS_MODEL_FIXTURE_H

#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"

/* routes: for each material m, nroutes_of[m] routes; route r has exp_count[r]
 * exporting countries listed consecutively in exp_list, and share shares[r].
 * Returns 0 on success, -1 on allocation failure. */
int fx_model_alloc(ckp_model *m, int S, int K, int M, int I, int T, const int *nroutes_of,
                   const double *shares, const int *exp_count, const int *exp_list);
void fx_model_free(ckp_model *m);

/* A minimal scenario around `npol` models (not owned: the caller frees the
 * models), enough for ckp_work_create and the run module's dimension checks. */
void fx_scenario_wrap(ckp_scenario *sc, ckp_model *models, int npol);

/* The default-sized model used for timing and statistics: S = 8 suppliers
 * (supplier 0 is the importer, with a domestic route), K = 4 regimes, M = 5
 * materials with 2-3 routes each (some two-country), I = 10 industries,
 * T months, triangular block fractions, spare capacity, stockpiles, price
 * noise with jumps, a supplier correlation and a price correlation, a sparse
 * A*. `variant` 0 is the baseline; 1..5 change stockpile, spare, routes,
 * cap, and the rule as policies would. */
int fx_model_default(ckp_model *m, int T, int variant);

#endif
