/* chokepoint: the engine's version. */
#ifndef CHOKEPOINT_VERSION_H
#define CHOKEPOINT_VERSION_H

#include "chokepoint/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The engine version, e.g. "0.1.0" (stored in every result file). */
CKP_API const char *ckp_version(void);

#ifdef __cplusplus
}
#endif
#endif
