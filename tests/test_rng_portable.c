/* The header's portable (no __int128) inline generator must give exactly the
 * outputs of the library's __int128 one. Hiding the compiler's 128-bit type
 * macro before the include selects the fallback branch of rng.h. */
#undef __SIZEOF_INT128__
#include "chokepoint/rng.h"

#include <stdio.h>

int main(void)
{
    long bad = 0;
    const uint64_t seeds[] = {0, 77, UINT64_MAX};
    for (int s = 0; s < 3; s++) {
        ckp_pcg64 g, h;
        ckp_pcg64_from_seed(&g, seeds[s]);
        ckp_pcg64_path(&g, &g, 12345);
        h = g;
        for (long i = 0; i < 200000; i++) {
            if (ckp_pcg64_next_inline(&g) != ckp_pcg64_next(&h))
                bad++;
            if (ckp_uniform_inline(&g) != ckp_uniform(&h))
                bad++;
        }
    }
    printf("%ld mismatches between the portable and the __int128 generator\n", bad);
    return bad != 0;
}
