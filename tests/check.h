/* chokepoint tests: the shared check macro. CHECK(cond, fmt, ...) counts a
 * check and, when cond is false, counts a failure and prints where and why;
 * a test's main returns non-zero when `failures` is non-zero. */
#ifndef CKP_TESTS_CHECK_H
#define CKP_TESTS_CHECK_H

#include <stdio.h>

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

#endif
