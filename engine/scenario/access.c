/* chokepoint: reading a loaded scenario (see include/chokepoint/scenario.h):
 * a policy's index by name and the supplier-to-industry exposure table. */
#include "chokepoint/scenario.h"

#include <string.h>

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
