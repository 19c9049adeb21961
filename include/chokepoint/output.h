/* chokepoint: HDF5 results (placeholder; the output module defines this API). */
#ifndef CHOKEPOINT_OUTPUT_H
#define CHOKEPOINT_OUTPUT_H
#endif
