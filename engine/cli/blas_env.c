/* chokepoint: OpenBLAS under an address-space limit (`ulimit -v`).
 *
 * A threaded OpenBLAS starts its worker threads when it is loaded, before
 * main, and each takes a 128 MiB workspace at once; when that allocation
 * fails it retries forever, and the exit then waits for those threads. The
 * engine runs BLAS on one thread anyway (engine/run/step.c), so under a finite
 * limit the tool asks OpenBLAS for one thread and starts itself again, before
 * anything else happens; the main thread's workspace is checked before each
 * BLAS call (ckp_linalg_blas_room), so a limit too small for it is a clear
 * "out of memory" instead of a hang. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "commands.h"

void ckp_cli_blas_env(char **argv)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    const char *now = getenv("OPENBLAS_NUM_THREADS");
    if (now && !strcmp(now, "1"))
        return;
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* no /proc: carry on; the workers may then hang at exit as before */
}
