/* chokepoint: short error paths for engine code (internal; not installed).
 *
 * Most errors raised inside the engine have no file position or key path:
 * CKP_FAIL fills the caller's record with a message and evaluates to the
 * status, CKP_TRY returns early with the status of a failing call. */
#ifndef CKP_ERROR_IMPL_H
#define CKP_ERROR_IMPL_H

#include "chokepoint/error.h"

/* ckp_error_set(err, code, NULL, 0, 0, NULL, fmt, ...): evaluates to code. */
#define CKP_FAIL(err, code, ...) ckp_error_set((err), (code), NULL, 0, 0, NULL, __VA_ARGS__)

/* Evaluate a call returning ckp_status; return its status from the enclosing
 * function unless it is CKP_OK. */
#define CKP_TRY(call)                                                                        \
    do {                                                                                     \
        ckp_status ckp_try_st_ = (call);                                                     \
        if (ckp_try_st_ != CKP_OK)                                                           \
            return ckp_try_st_;                                                              \
    } while (0)

#endif
