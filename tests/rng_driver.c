/* Test driver for tests/test_rng_numpy.py: prints, for a seed, the SplitMix64
 * words, the base generator and the first raw outputs and uniforms of chosen
 * paths, in a line format the Python side parses.
 *
 * Usage: rng_driver SEED N P1 [P2 ...]
 *   splitmix W0 W1 W2 W3          (hex)
 *   base STATE INC                (hex, 128-bit as 32 digits)
 *   path P STATE INC X1 .. XN     (raw outputs, hex)
 *   unif P U1 .. UN               (uniforms, %a hex floats, same draws again) */
#include "chokepoint/rng.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !end || *end || s[0] == '-' || s[0] == '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static void print_u128(ckp_u128 v)
{
    printf(" %016" PRIx64 "%016" PRIx64, v.hi, v.lo);
}

int main(int argc, char **argv)
{
    uint64_t seed, n;
    if (argc < 4 || parse_u64(argv[1], &seed) || parse_u64(argv[2], &n) || n > 100000) {
        fprintf(stderr, "usage: %s SEED N P1 [P2 ...]\n", argv[0]);
        return 2;
    }
    uint64_t x = seed;
    printf("splitmix");
    for (int i = 0; i < 4; i++)
        printf(" %016" PRIx64, ckp_splitmix64(&x));
    printf("\n");

    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, seed);
    printf("base");
    print_u128(base.state);
    print_u128(base.inc);
    printf("\n");

    for (int a = 3; a < argc; a++) {
        uint64_t p;
        if (parse_u64(argv[a], &p)) {
            fprintf(stderr, "%s: bad path index '%s'\n", argv[0], argv[a]);
            return 2;
        }
        ckp_pcg64 g, h;
        ckp_pcg64_path(&g, &base, p);
        h = g;
        printf("path %" PRIu64, p);
        print_u128(g.state);
        print_u128(g.inc);
        for (uint64_t i = 0; i < n; i++)
            printf(" %016" PRIx64, ckp_pcg64_next(&g));
        printf("\nunif %" PRIu64, p);
        for (uint64_t i = 0; i < n; i++)
            printf(" %a", ckp_uniform(&h));
        printf("\n");
    }
    return 0;
}
