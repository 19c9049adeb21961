/* chokepoint: `mpirun -np N chokepoint run ... -o F.h5` (mpi_run.h; built
 * with -Dmpi=enabled only).
 *
 * Rank r of N runs paths [first + floor(r U / N), first + floor((r+1) U / N))
 * (U the range in units of one path, or of one antithetic pair) as a serial
 * run writing the hidden part .F.h5.rank-R-of-N beside F.h5, with its own
 * checkpoint; then the ranks exchange their exit statuses (integers: no float
 * crosses ranks) and, when all succeeded, rank 0 merges the parts into F.h5
 * with ckp_output_merge (the safe writer: a temporary file renamed at the
 * end), prints the policy table from it and removes the parts. Every HDF5 id
 * is closed by the serial code before MPI_Finalize. Why parts and a merge
 * rather than sending records to rank 0: docs/output-format.md, "MPI runs". */
#include "mpi_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "args.h"
#include "engine/output/publish_impl.h"
#include "signals.h"
#include "table.h"

static int started_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

/* dir/.base.rank-R-of-N for the target dir/base (malloc'ed; the stem is
 * shortened for long names, ckp_publish_stem). */
static char *part_name(const char *target, int rank, int size)
{
    char *stem = ckp_publish_stem(target);
    size_t n = stem ? strlen(stem) + 64 : 0;
    char *s = stem ? malloc(n) : NULL;
    if (s)
        snprintf(s, n, "%s.rank-%d-of-%d", stem, rank, size);
    free(stem);
    return s;
}

/* Wait for a non-blocking collective, sleeping between tests: a blocking
 * one spins at full speed in Open MPI's progress loop, so a rank that waits
 * for rank 0's merge (or for a slower rank) would burn a core. 2 ms of sleep
 * is nothing beside a merge and keeps the waiting rank's CPU near zero. */
static void wait_quietly(MPI_Request *req)
{
    int done = 0;
    const struct timespec nap = {0, 2000000};
    while (MPI_Test(req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done)
        nanosleep(&nap, NULL);
}

/* Every rank agrees on the worst status (the same check fails on all). */
static int agree(int rc)
{
    int worst = rc;
    MPI_Request req;
    MPI_Iallreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    wait_quietly(&req);
    return worst;
}

int ckp_mpi_begin(ckp_mpi_job *job, const char *target, int force, int compress, int argc,
                  char **argv)
{
    memset(job, 0, sizeof *job);
    if (!started_by_mpirun())
        return 0;
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "chokepoint run: cannot start MPI\n");
        return 1;
    }
    job->active = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &job->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &job->size);
    job->target = target;
    job->force = force;
    job->compress = compress;
    struct stat st;
    int rc = 0;
    if (!target) {
        if (job->rank == 0)
            fprintf(stderr, "chokepoint run: under mpirun the run needs -o FILE, where the "
                            "ranks' results are joined\n");
        rc = 2;
    } else if (!force && stat(target, &st) == 0) {
        if (job->rank == 0)
            fprintf(stderr, "chokepoint run: %s: exists; use --force to replace it\n", target);
        rc = 1;
    } else if (!(job->part = part_name(target, job->rank, job->size)) ||
               !(job->cmdline = ckp_cli_join_args(argc, argv))) {
        fprintf(stderr, "chokepoint run: out of memory\n");
        rc = 1;
    }
    if ((rc = agree(rc)) != 0) {
        free(job->part);
        free(job->cmdline);
        MPI_Finalize();
        job->active = 0;
        return rc;
    }
    ckp_cli_signals_at_once(1);
    return 0;
}

int ckp_mpi_piece(const ckp_mpi_job *job, int64_t *first, int64_t *paths, int antithetic)
{
    if (!job->active)
        return 0;
    int64_t unit = antithetic ? 2 : 1, units = *paths / unit, n = job->size;
    if (units < n) {
        if (job->rank == 0)
            fprintf(stderr, "chokepoint run: %lld paths cannot be split over %d ranks\n",
                    (long long)*paths, job->size);
        return 2;
    }
    /* floor(r * units / n) without overflow */
    int64_t q = units / n, rem = units % n, r = job->rank;
    int64_t a = q * r + (rem * r) / n, b = q * (r + 1) + (rem * (r + 1)) / n;
    *first += a * unit;
    *paths = (b - a) * unit;
    return 0;
}

/* The header line and the policy table of the merged file, as `run` prints
 * them. */
static int print_table(const char *target)
{
    ckp_error err;
    ckp_error_clear(&err);
    ckp_output_file *f = NULL;
    ckp_output_row *rows = NULL;
    char *name = NULL;
    ckp_status st = ckp_output_file_open(target, &f, &err);
    if (st == CKP_OK)
        st = ckp_output_read_table(f, &rows, &err);
    if (st == CKP_OK)
        st = ckp_output_read_text(f, "scenario_name", &name, &err);
    int rc = 0;
    if (st != CKP_OK) {
        fprintf(stderr, "chokepoint run: %s\n", err.message);
        rc = 1;
    } else {
        const ckp_output_info *in = ckp_output_file_info(f);
        printf("Scenario %s: seed %llu, paths %lld..%lld%s\n", name, (unsigned long long)in->seed,
               (long long)in->first_path, (long long)(in->first_path + in->paths - 1),
               in->antithetic ? ", antithetic" : "");
        ckp_cli_print_table(stdout, in->currency, rows, in->npol);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "chokepoint run: cannot write to standard output: %s\n",
                    strerror(errno));
            rc = 1;
        }
    }
    free(name);
    free(rows);
    if (f)
        ckp_output_file_close(f);
    return rc;
}

static int stop_requested(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    (void)done;
    (void)total;
    return ckp_cli_got_signal != 0;
}

/* Rank 0: merge the parts into the target, then print the table. */
static int merge_parts(const ckp_mpi_job *job, int quiet, int keep)
{
    char **parts = calloc((size_t)job->size, sizeof *parts);
    int rc = parts ? 0 : 1;
    for (int r = 0; rc == 0 && r < job->size; r++)
        if (!(parts[r] = part_name(job->target, r, job->size)))
            rc = 1;
    ckp_output_options oo;
    ckp_output_options_default(&oo);
    oo.force = job->force;
    oo.compress = job->compress;
    oo.command_line = job->cmdline;
    /* The merge checks for a signal after each block and then removes its
     * temporary file itself: the first signal no longer stops at once. */
    ckp_merge_options mo = {0, stop_requested, NULL};
    ckp_cli_signals_at_once(0);
    ckp_error err;
    ckp_error_clear(&err);
    ckp_status st =
        rc ? CKP_ERR_NOMEM
           : ckp_output_merge((const char *const *)parts, job->size, job->target, &oo, &mo, &err);
    if (st != CKP_OK) {
        fprintf(stderr,
                "chokepoint run: joining the ranks' results: %s; nothing was written to %s\n",
                err.message[0] ? err.message : ckp_status_str(st), job->target);
        rc = st == CKP_ERR_EXISTS ? 1 : (rc ? rc : 1);
    }
    if (parts)
        for (int r = 0; r < job->size; r++) {
            if (parts[r] && (st == CKP_OK || !keep))
                unlink(parts[r]);
            free(parts[r]);
        }
    free(parts);
    if (st != CKP_OK)
        return rc;
    rc = print_table(job->target);
    if (rc == 0 && !quiet)
        fprintf(stderr, "chokepoint run: wrote %s (%d rank%s)\n", job->target, job->size,
                job->size > 1 ? "s" : "");
    return rc;
}

int ckp_mpi_end(ckp_mpi_job *job, int rc, int quiet, int keep)
{
    if (!job->active)
        return rc;
    int *all = job->rank == 0 ? calloc((size_t)job->size, sizeof *all) : NULL;
    int worst = agree(rc);
    MPI_Gather(&rc, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    int out = worst;
    if (worst == 0) {
        if (job->rank == 0)
            out = merge_parts(job, quiet, keep);
        MPI_Request req;
        MPI_Ibcast(&out, 1, MPI_INT, 0, MPI_COMM_WORLD, &req);
        wait_quietly(&req);
    } else {
        keep = keep && worst >= 128; /* stopped by a signal: the checkpoints stay */
        for (int r = 0; all && r < job->size; r++)
            if (all[r] != 0) {
                fprintf(stderr,
                        "chokepoint run: rank %d of %d failed (exit status %d); nothing "
                        "was written to %s%s\n",
                        r, job->size, all[r], job->target,
                        keep ? "; run the same mpirun command with --resume to continue" : "");
                break;
            }
        if (!keep)
            unlink(job->part);
    }
    free(all);
    ckp_cli_temp_set(0, NULL);
    free(job->part);
    free(job->cmdline);
    MPI_Finalize();
    job->active = 0;
    return out;
}
