/* chokepoint: the marker of the public API.
 *
 * The library is built with hidden symbol visibility; only functions declared
 * with CKP_API in these headers are exported from the shared library. */
#ifndef CHOKEPOINT_API_H
#define CHOKEPOINT_API_H

#if defined(__GNUC__) || defined(__clang__)
#define CKP_API __attribute__((visibility("default")))
#else
#define CKP_API
#endif

#endif
