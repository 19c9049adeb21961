/* chokepoint: helpers shared by the HDF5 writer (output.c) and reader
 * (output_read.c). Internal header; only the output module includes it, and
 * with it hdf5.h. */
#ifndef CKP_OUTPUT_H5_H
#define CKP_OUTPUT_H5_H

#include <hdf5.h>

#include "chokepoint/error.h"

/* Silence HDF5's own printing of its error stack for the lifetime of a writer
 * or reader (the stack becomes our error message instead), and put back what
 * was there before when done. */
typedef struct ckp_h5_quiet {
    H5E_auto2_t func;
    void *data;
} ckp_h5_quiet;
void ckp_h5_quiet_begin(ckp_h5_quiet *q);
void ckp_h5_quiet_end(const ckp_h5_quiet *q);

/* Turn HDF5's current error stack into `err` (code CKP_ERR_HDF5), prefixed by
 * the printf-style context, and clear the stack. Returns CKP_ERR_HDF5. */
ckp_status ckp_h5_error(ckp_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Variable-length UTF-8 string type (the caller closes it), or < 0. */
hid_t ckp_h5_str_type(void);

#endif
