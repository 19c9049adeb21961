/* chokepoint: small helpers the command parsers share (args.h). */
#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ckp_cli_join_args(int argc, char **argv)
{
    size_t len = strlen("chokepoint") + 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    strcpy(s, "chokepoint");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Decimal digits only (no sign, no space), at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int ckp_cli_number(const char *cmd, const char *opt, const char *v, uint64_t min, uint64_t max,
                   uint64_t *out)
{
    if (parse_u64(v, max, out) != 0 || *out < min) {
        fprintf(stderr,
                "chokepoint %s: option %s expects a whole number from %llu to %llu, got '%s'\n",
                cmd, opt, (unsigned long long)min, (unsigned long long)max, v);
        return -1;
    }
    return 0;
}
