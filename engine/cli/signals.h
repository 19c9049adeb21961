/* chokepoint: how `chokepoint run` stops on SIGINT, SIGTERM and SIGHUP
 * (internal header of the CLI; see signals.c). */
#ifndef CKP_CLI_SIGNALS_H
#define CKP_CLI_SIGNALS_H

#include <signal.h>

/* The first stop signal received, or 0. Set by the handler only. */
extern volatile sig_atomic_t ckp_cli_got_signal;

/* Install the handlers (signals ignored at start stay ignored); ignore SIGXFSZ. */
void ckp_cli_signals_install(void);
/* on = 1: the first stop signal stops at once, as a second one does (MPI
 * ranks); on = 0: back to stopping at the next batch boundary. */
void ckp_cli_signals_at_once(int on);
/* Around the opening of the writer: a second signal meanwhile waits for the
 * name of the temporary file, then stops at once. */
void ckp_cli_opening_begin(void);
void ckp_cli_opening_end(void);
/* The temporary file the handler removes after a second signal, slot i < 2
 * (NULL: none). */
void ckp_cli_temp_set(int i, const char *name);
/* "SIGINT", "SIGTERM", "SIGHUP". */
const char *ckp_cli_signal_name(int signo);

#endif
