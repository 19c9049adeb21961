/* chokepoint: `mpirun -np N chokepoint run ... -o F.h5` (internal header of
 * the CLI; mpi_run.c, built with -Dmpi=enabled).
 *
 * Each rank runs a contiguous piece of the path range with OpenMP threads
 * inside and writes it, with the serial writer and its checkpoint, to a
 * hidden part file beside the target (.F.h5.rank-R-of-N); when every rank
 * has succeeded rank 0 merges the parts into F.h5 (ckp_output_merge) and
 * removes them. No float crosses ranks: only exit statuses do. Without MPI
 * (the default build, or a process not started by mpirun) the hooks below
 * do nothing and `run` is the serial command. */
#ifndef CKP_CLI_MPI_RUN_H
#define CKP_CLI_MPI_RUN_H

#include <stdint.h>

#include "chokepoint/chokepoint.h"

typedef struct ckp_mpi_job {
    int active; /* started by mpirun, MPI initialised */
    int rank, size;
    const char *target;  /* the run's -o */
    int force, compress; /* the run's --force and --compress, for the merge */
    char *part;          /* this rank's part file */
    char *cmdline;       /* the command line, for the merged file */
} ckp_mpi_job;

#if CKP_HAVE_MPI
/* Start MPI when the process was started by mpirun (job->active = 0
 * otherwise, and nothing else happens). `target` is the run's -o (NULL:
 * none, refused under mpirun), refused when it exists without `force`.
 * Returns 0, or an exit status after a message (MPI then finalised). */
int ckp_mpi_begin(ckp_mpi_job *job, const char *target, int force, int compress, int argc,
                  char **argv);
/* This rank's piece of the range [*first, *first + *paths) (pieces even for
 * antithetic runs). Returns 0, or 2 after a message (fewer paths than ranks). */
int ckp_mpi_piece(const ckp_mpi_job *job, int64_t *first, int64_t *paths, int antithetic);
/* After this rank's run ended with exit status rc: every rank learns the
 * job's status; when all succeeded rank 0 merges the parts into the target,
 * prints the policy table and removes the parts. Finalises MPI. Returns the
 * exit status of this rank. `keep` (a run with a checkpoint): after a stop
 * by a signal keep the finished parts, for --resume. */
int ckp_mpi_end(ckp_mpi_job *job, int rc, int quiet, int keep);
#else
static inline int ckp_mpi_begin(ckp_mpi_job *job, const char *target, int force, int compress,
                                int argc, char **argv)
{
    (void)target;
    (void)force;
    (void)compress;
    (void)argc;
    (void)argv;
    job->active = 0;
    return 0;
}
static inline int ckp_mpi_piece(const ckp_mpi_job *job, int64_t *first, int64_t *paths,
                                int antithetic)
{
    (void)job;
    (void)first;
    (void)paths;
    (void)antithetic;
    return 0;
}
static inline int ckp_mpi_end(ckp_mpi_job *job, int rc, int quiet, int keep)
{
    (void)job;
    (void)quiet;
    (void)keep;
    return rc;
}
#endif

#endif
