/* chokepoint: the sensitivity tables of `chokepoint export` (internal header
 * of the CLI; export_sens.c). */
#ifndef CKP_CLI_EXPORT_SENS_H
#define CKP_CLI_EXPORT_SENS_H

#include "chokepoint/chokepoint.h"
#include "export_out.h"

/* 1 for the WHATs of export_sens.c: sensitivity, regret, robustness. */
int ckp_cli_is_sens_what(const char *what);
/* Write table `what` of FILE's group sensitivity/ through e (its fp and fmt
 * set): 0, or -1 with err set (CKP_ERR_CONFIG for a file without the group). */
int ckp_cli_export_sens(const char *file, ckp_output_file *f, ckp_output_slices *s,
                        const char *what, emitter *e, ckp_error *err);

#endif
