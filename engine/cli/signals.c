/* chokepoint: signals of `chokepoint run` (engine/cli/signals.h).
 *
 * SIGINT, SIGTERM and SIGHUP stop the run at the next batch boundary: the
 * handler only records the signal; the run loop sees it after the batch,
 * aborts the writer (which removes its temporary file), says what happened
 * and exits 128 + the signal number. A second signal stops at once: the
 * handler removes the temporary file itself, through its name copied into a
 * static buffer before (unlink, write and _exit are async-signal-safe; the
 * writer cannot be called from a handler), and calls _exit; while the writer
 * is being opened (its temporary file exists but its name is not known yet)
 * the handler leaves that to the main thread, right after. SIGXFSZ is
 * ignored, so that a write beyond RLIMIT_FSIZE fails with EFBIG and takes the
 * ordinary error path, which removes the temporary file too. A signal that
 * was ignored when the command started (nohup, a background job) stays
 * ignored. The handler may run on any thread, OpenMP's included. */

#include "signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define NTEMP 2
volatile sig_atomic_t ckp_cli_got_signal;
static volatile sig_atomic_t opening, pending_stop, at_once;
static volatile sig_atomic_t temp_ready[NTEMP];
static char temp_name[NTEMP][4096];
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

/* Async-signal-safe: remove the temporary files and exit. */
static void stop_now(int signo)
{
    for (int i = 0; i < NTEMP; i++)
        if (temp_ready[i])
            unlink(temp_name[i]);
    static const char msg[] = "\nchokepoint run: second signal: stopped at once\n";
    static const char rank_msg[] = "\nchokepoint run: signal under mpirun: stopped at once\n";
    if ((at_once ? write(STDERR_FILENO, rank_msg, sizeof rank_msg - 1)
                 : write(STDERR_FILENO, msg, sizeof msg - 1)) < 0) {
        /* nothing more can be done from here */
    }
    _exit(128 + signo);
}

static void on_signal(int signo)
{
    if (ckp_cli_got_signal || at_once) {
        if (!ckp_cli_got_signal)
            ckp_cli_got_signal = signo;
        if (opening)
            pending_stop = signo;
        else
            stop_now(signo);
        return;
    }
    ckp_cli_got_signal = signo;
}

void ckp_cli_signals_install(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++)
        sigaddset(&sa.sa_mask, stop_signals[i]);
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++)
        if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(stop_signals[i], &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
}

/* Under mpirun (mpi_run.c): mpirun sends SIGTERM to every rank when one
 * fails and SIGKILL a second later, too soon to wait for a batch boundary, so
 * the first signal already stops at once (the last periodic checkpoint stays
 * valid for --resume). */
void ckp_cli_signals_at_once(int on)
{
    at_once = on;
}

/* Around the opening of the writer: a second signal meanwhile waits for the
 * name of its temporary file. (Blocking the signals would not do: OpenMP's
 * threads, if already started, would still take them.) */
void ckp_cli_opening_begin(void)
{
    opening = 1;
}

void ckp_cli_opening_end(void)
{
    opening = 0;
    if (pending_stop)
        stop_now(pending_stop);
}

/* The name the handler removes after a second signal (slot i; NULL: none). */
void ckp_cli_temp_set(int i, const char *name)
{
    temp_ready[i] = 0;
    if (name && strlen(name) < sizeof temp_name[i]) {
        memcpy(temp_name[i], name, strlen(name) + 1);
        temp_ready[i] = 1;
    }
}

const char *ckp_cli_signal_name(int signo)
{
    switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
    }
}

