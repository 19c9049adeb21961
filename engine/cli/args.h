/* chokepoint: small helpers the command parsers share (args.c). */
#ifndef CKP_CLI_ARGS_H
#define CKP_CLI_ARGS_H

#include <stdint.h>

/* "chokepoint ARG..." as one malloc'ed string (the caller frees it), for the
 * command_line attribute of a results file; NULL when out of memory. */
char *ckp_cli_join_args(int argc, char **argv);

/* v as a whole number in [min, max] into *out: 0, or -1 after the message
 * "chokepoint CMD: option OPT expects a whole number from MIN to MAX, got 'V'". */
int ckp_cli_number(const char *cmd, const char *opt, const char *v, uint64_t min, uint64_t max,
                   uint64_t *out);

#endif
