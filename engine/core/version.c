/* chokepoint: the engine version string. */
#include "chokepoint/version.h"
#include "ckp_config.h"

const char *ckp_version(void)
{
    return CKP_VERSION;
}
