/* chokepoint: the engine version string. */
#include "chokepoint/chokepoint.h"
#include "ckp_config.h"

const char *ckp_version(void)
{
    return CKP_VERSION;
}
