/* chokepoint: the measuring core shared by `chokepoint bench` (engine/cli/cmd_bench.c)
 * and the benchmark program bench/ckp_bench (internal header; not installed).
 *
 * A case is one scenario, thread count and variant (month statistics on or
 * off, the HDF5 file written or not). ckp_bench_fork_case runs it in a forked
 * child, so that the child's peak RSS is the case's own; the child times the
 * run through the plan (best of `repeat`, the plan's fixed cost taken out)
 * and, when asked, the floor: a loop drawing only the random numbers the
 * model needs for the same paths (floor.c). The table row and the JSON line
 * of a result are written by one emitter (report.c), so the command and the
 * program print the same figures under the same keys. */
#ifndef CKP_BENCH_IMPL_H
#define CKP_BENCH_IMPL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chokepoint/scenario.h"

typedef struct ckp_bench_result ckp_bench_result;

typedef struct ckp_bench_case {
    const char *name;       /* label: the JSON "case" and the table's first column */
    const ckp_scenario *sc; /* loaded by the caller before the fork */
    int threads;
    int64_t paths;
    int repeat;         /* best of `repeat` runs (a run longer than 20 s is not repeated) */
    int month_stats;    /* as ckp_run_options.month_stats */
    const char *h5_dir; /* non-NULL: write the HDF5 results file here (removed after) */
    int floor;          /* 1: also time the floor */
    /* Called in the child after the timings (may be NULL), to add figures. */
    void (*extra)(const struct ckp_bench_case *c, ckp_bench_result *r, void *ctx);
    void *extra_ctx;
    /* non-NULL: a flag a signal handler sets; when a read of the child's
     * result is interrupted with it set, the child is killed (r->error says
     * "child died"). The child restores the default action of SIGINT,
     * SIGTERM and SIGHUP unless they are ignored. */
    volatile sig_atomic_t *stop;
} ckp_bench_case;

struct ckp_bench_result {
    int ok;
    char name[64];
    char scenario[64];
    char kernel[32];
    char cpu[96];     /* the CPU's model name (/proc/cpuinfo), or "" */
    int cores;        /* online processors */
    char error[2048]; /* as ckp_error.message */
    int threads, S, M, I, T, K, npol, month_stats, h5;
    int64_t paths;
    double seconds; /* steady state: total_seconds - setup_seconds */
    double total_seconds, setup_seconds, floor_seconds;
    double cpu_seconds, cpu_setup_seconds, floor_cpu_seconds; /* process CPU time */
    double dgemm_gflops, dgemm_sq_gflops, prop_gflops, prop_seconds, shocked_frac;
    double sim_prop_gflops, sim_prop_seconds; /* propagation inside ckp_sim_path alone */
    double checksum, floor_checksum;
    long peak_rss_kb;
    long long file_bytes; /* size of the results file of the case's run (0 without one) */
};

/* Run case c in a forked child and fill *r (r->ok = 0 and r->error on any
 * failure, including a child that dies or exits non-zero). */
void ckp_bench_fork_case(const ckp_bench_case *c, ckp_bench_result *r);

/* The same in this process (no RSS); the child's work. */
void ckp_bench_run_case(const ckp_bench_case *c, ckp_bench_result *r);

/* Time of a run of `paths` paths of sc (the case's settings otherwise),
 * best of c->repeat: index 0 the steady time, 1 the total, 2 the plan's fixed
 * cost; wall and process CPU; the results file's size into *file_bytes
 * (may be NULL). 0, or -1 with err set. */
int ckp_bench_steady_time(const ckp_bench_case *c, const ckp_scenario *sc, double *checksum,
                          double wall[3], double cpu[3], long long *file_bytes, ckp_error *err);

/* The floor (floor.c): seconds for `paths` paths on `threads` threads, best
 * of `repeat`, wall and CPU. 0, or -1 when memory runs out or the
 * correlation has no Cholesky factor. */
int ckp_bench_floor(const ckp_scenario *sc, int64_t paths, int threads, int repeat, double *wall,
                    double *cpu, double *checksum);

/* --check of the floor: the inlined generator is rng.c's, and the floor
 * draws exactly the uniforms ckp_path_uniforms gives the first `paths` paths.
 * Returns the number of failures (printed to stderr). */
int ckp_bench_floor_check(const ckp_scenario *sc, const char *name, int64_t paths);

/* The machine: the CPU's model name into cpu (n bytes; "" when unknown) and
 * the number of online processors. */
int ckp_bench_machine(char *cpu, size_t n);

/* The kernels this machine can run, best first, as "a, b" into buf (n bytes). */
void ckp_bench_kernels(char *buf, size_t n);

/* Clocks: monotonic wall and process CPU seconds. */
double ckp_bench_now(void);
double ckp_bench_cpu_now(void);

/* The emitter (report.c): the table's header and one row, and one JSON line
 * (`tag` is the JSON "tag": what produced the line). */
void ckp_bench_print_header(FILE *f);
void ckp_bench_print_row(FILE *f, const ckp_bench_result *r);
void ckp_bench_print_json(FILE *f, const ckp_bench_result *r, const char *tag);

#endif
