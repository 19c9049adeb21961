/* chokepoint: the umbrella header of the public API. */
#ifndef CHOKEPOINT_H
#define CHOKEPOINT_H

#include "chokepoint/error.h"
#include "chokepoint/output.h"
#include "chokepoint/plan.h"
#include "chokepoint/rng.h"
#include "chokepoint/run.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"
#include "chokepoint/stats.h"
#include "chokepoint/version.h"

#endif
