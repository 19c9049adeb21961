/* chokepoint: reading a loaded scenario through the public API (see
 * include/chokepoint/scenario.h): its names, settings, dimensions, policies
 * and models, a policy's index by name, and the supplier-to-industry exposure
 * table. Every accessor accepts NULL and indices out of range. */
#include "chokepoint/scenario.h"

#include <stdint.h>
#include <string.h>

#include "engine/scenario/scenario_impl.h"

const char *ckp_scenario_name(const ckp_scenario *sc)
{
    return sc ? sc->name : NULL;
}

const char *ckp_scenario_description(const ckp_scenario *sc)
{
    return sc ? sc->description : NULL;
}

const char *ckp_scenario_importer(const ckp_scenario *sc)
{
    return sc ? sc->importer : NULL;
}

const char *ckp_scenario_currency(const ckp_scenario *sc)
{
    return sc ? sc->currency : NULL;
}

const char *ckp_scenario_source_name(const ckp_scenario *sc)
{
    return sc ? sc->source_name : NULL;
}

const char *ckp_scenario_source_text(const ckp_scenario *sc)
{
    return sc ? sc->source_text : NULL;
}

uint64_t ckp_scenario_seed(const ckp_scenario *sc)
{
    return sc ? sc->seed : 0;
}

int64_t ckp_scenario_paths(const ckp_scenario *sc)
{
    return sc ? sc->paths : 0;
}

int ckp_scenario_antithetic(const ckp_scenario *sc)
{
    return sc ? sc->antithetic : 0;
}

int ckp_scenario_nsuppliers(const ckp_scenario *sc)
{
    return sc ? sc->S : 0;
}

int ckp_scenario_nregimes(const ckp_scenario *sc)
{
    return sc ? sc->K : 0;
}

int ckp_scenario_nmaterials(const ckp_scenario *sc)
{
    return sc ? sc->M : 0;
}

int ckp_scenario_nindustries(const ckp_scenario *sc)
{
    return sc ? sc->I : 0;
}

int ckp_scenario_horizon(const ckp_scenario *sc)
{
    return sc ? sc->T : 0;
}

/* names[i] when 0 <= i < n, else NULL */
static const char *entry(char *const *names, int n, int i)
{
    return names && i >= 0 && i < n ? names[i] : NULL;
}

const char *ckp_scenario_supplier(const ckp_scenario *sc, int s)
{
    return sc ? entry(sc->suppliers, sc->S, s) : NULL;
}

const char *ckp_scenario_regime(const ckp_scenario *sc, int k)
{
    return sc ? entry(sc->regimes, sc->K, k) : NULL;
}

const char *ckp_scenario_material(const ckp_scenario *sc, int m)
{
    return sc ? entry(sc->materials, sc->M, m) : NULL;
}

const char *ckp_scenario_industry(const ckp_scenario *sc, int i)
{
    return sc ? entry(sc->industries, sc->I, i) : NULL;
}

int ckp_scenario_npolicies(const ckp_scenario *sc)
{
    return sc ? sc->npolicies : 0;
}

const char *ckp_scenario_policy_name(const ckp_scenario *sc, int p)
{
    return sc ? entry(sc->policy_names, sc->npolicies, p) : NULL;
}

const char *ckp_scenario_policy_description(const ckp_scenario *sc, int p)
{
    return sc ? entry(sc->policy_descriptions, sc->npolicies, p) : NULL;
}

const char *ckp_scenario_policy_diff(const ckp_scenario *sc, int p)
{
    return sc ? entry(sc->policy_diffs, sc->npolicies, p) : NULL;
}

int ckp_scenario_policy_cost(const ckp_scenario *sc, int p, double *annual_cost)
{
    const ckp_model *m = ckp_scenario_model(sc, p);
    int has = m && m->has_cost;
    if (annual_cost)
        *annual_cost = has ? m->annual_cost : 0.0;
    return has;
}

const ckp_model *ckp_scenario_model(const ckp_scenario *sc, int p)
{
    return sc && sc->models && p >= 0 && p < sc->npolicies ? &sc->models[p] : NULL;
}

int ckp_model_nroutes(const ckp_model *m)
{
    return m ? m->nroutes : 0;
}

int ckp_model_importer(const ckp_model *m)
{
    return m ? m->importer : -1;
}

ckp_rule ckp_model_rule(const ckp_model *m)
{
    return m ? m->rule : CKP_RULE_INDEPENDENT;
}

ckp_propagation ckp_model_propagation(const ckp_model *m)
{
    return m ? m->propagation : CKP_PROP_STATIC;
}

double ckp_model_shortfall_threshold(const ckp_model *m)
{
    return m ? m->shortfall_threshold : 0.0;
}

int ckp_scenario_policy_index(const ckp_scenario *sc, const char *name)
{
    if (!sc || !name)
        return -1;
    for (int p = 0; p < sc->npolicies; p++)
        if (strcmp(sc->policy_names[p], name) == 0)
            return p;
    return -1;
}

/* Exposure counts the countries of exp(r): domestic supply is never blocked
 * (MODEL.md section 2), so it exposes nobody. */
void ckp_scenario_exposure(const ckp_scenario *sc, int policy, double *out)
{
    if (!sc || !out || policy < 0 || policy >= sc->npolicies)
        return;
    const ckp_model *m = &sc->models[policy];
    memset(out, 0, sizeof(double) * (size_t)m->S * (size_t)m->I);
    for (int mi = 0; mi < m->M; mi++)
        for (int r = m->route_off[mi]; r < m->route_off[mi + 1]; r++)
            for (int e = m->route_exp_off[r]; e < m->route_exp_off[r + 1]; e++) {
                int s = m->route_exp[e];
                for (int i = 0; i < m->I; i++)
                    out[(size_t)s * m->I + i] += m->C[(size_t)mi * m->I + i] * m->route_share[r];
            }
}
