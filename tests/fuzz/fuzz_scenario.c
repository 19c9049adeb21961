/* chokepoint: fuzz target of the scenario loader.
 *
 * Any byte string must either load or be refused with a message; it must
 * never crash, leak or hang. A scenario that loads must also survive
 * ckp_scenario_to_yaml and load back with the same dimensions (a failure there
 * is a bug, so it aborts). Built with libFuzzer when -Dfuzz=true and the
 * compiler is clang; otherwise replay_main.c feeds it a corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chokepoint/scenario.h"
#include "engine/scenario/scenario_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckp_scenario *sc = NULL;
    ckp_error err;
    /* CSV names resolve in a directory that does not exist */
    ckp_status st = ckp_scenario_load_string((const char *)data, size, "fuzz.yaml",
                                             "/nonexistent-chokepoint-fuzz", &sc, &err);
    if (st != CKP_OK) {
        if (sc != NULL || err.message[0] == '\0')
            abort();
        return 0;
    }
    char *text = NULL;
    if (ckp_scenario_to_yaml(sc, &text, &err) != CKP_OK)
        abort();
    ckp_scenario *back = NULL;
    if (ckp_scenario_load_string(text, strlen(text), "fuzz-round-trip.yaml", NULL, &back, &err) !=
        CKP_OK)
        abort();
    if (back->npolicies != sc->npolicies || back->S != sc->S || back->M != sc->M ||
        back->I != sc->I || back->models[0].nroutes != sc->models[0].nroutes)
        abort();
    ckp_scenario_free(back);
    free(text);
    ckp_scenario_free(sc);
    return 0;
}
