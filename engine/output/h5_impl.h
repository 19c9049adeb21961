/* chokepoint: HDF5 helpers shared by the writer and the reader (internal
 * header of the output module, the only one that includes hdf5.h): quiet
 * error handling, the error stack as a message, the string type, and scalar
 * attributes. */
#ifndef CKP_H5_IMPL_H
#define CKP_H5_IMPL_H

#include <stdint.h>

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
/* A fixed 256 KiB metadata cache on a file access property list (h5util.c). */
herr_t ckp_h5_small_metadata_cache(hid_t fapl);

/* Turn HDF5's current error stack into `err` (code CKP_ERR_HDF5), prefixed by
 * the printf-style context, and clear the stack. Returns CKP_ERR_HDF5. Take
 * it before any further HDF5 call: a successful call clears the stack. */
ckp_status ckp_h5_error(ckp_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Variable-length UTF-8 string type (the caller closes it), or < 0. */
hid_t ckp_h5_str_type(void);

/* Scalar attributes of loc, replacing one of the same name: < 0 on failure
 * (the error stack says why). ckp_h5_attr_str writes "" for NULL; `str` is
 * the string type of ckp_h5_str_type. */
herr_t ckp_h5_attr_write(hid_t loc, const char *name, hid_t type, const void *v);
herr_t ckp_h5_attr_str(hid_t loc, const char *name, hid_t str, const char *v);
herr_t ckp_h5_attr_i32(hid_t loc, const char *name, int v);
herr_t ckp_h5_attr_i64(hid_t loc, const char *name, int64_t v);
herr_t ckp_h5_attr_u64(hid_t loc, const char *name, uint64_t v);
herr_t ckp_h5_attr_f64(hid_t loc, const char *name, double v);

/* H5Dread(ds, memtype, ms, fs, H5P_DEFAULT, buf) of a file from elsewhere
 * (every reader, and the writer's read-back fallback), after checking that every allocated chunk the
 * selection fs touches (H5S_ALL: all) holds, or inflates to, a whole chunk:
 * libhdf5 1.10.8 would copy a whole chunk out of a shorter one (h5read.c).
 * A failed check is on HDF5's error stack, as H5Dread's own failures are. */
herr_t ckp_h5_read(hid_t ds, hid_t memtype, hid_t ms, hid_t fs, void *buf);

/* Make libhdf5 parse all of path's metadata in a forked child first (probe.c):
 * CKP_ERR_IO "the file is damaged" if the child crashes or does not finish in
 * time (CHOKEPOINT_READ_TIMEOUT seconds, default 20); CKP_OK otherwise, also
 * for a path that is not a regular file (the caller reports that). */
ckp_status ckp_h5_probe(const char *path, ckp_error *err);

#endif
