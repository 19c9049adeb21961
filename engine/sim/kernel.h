/* chokepoint: the path kernels and their table (internal header of the sim
 * module; not installed).
 *
 * A kernel turns one path's uniforms into the path's metrics record and
 * per-month observables for one policy, and reports each month to an
 * optional observer (the replay trace is one). Several kernels may exist; all
 * of them compute the same bits, which tests/kernel_check.c (run by
 * tests/test_kernels.py) checks on random scenarios against the reference
 * kernel. The run takes the plan's kernel:
 * the best available one, or the one named by the environment variable
 * CKP_KERNEL. To add a kernel: write its path function in its own file
 * (kernel_NAME.c), give it an availability check (CPU features), add it to
 * the table in kernel.c, and run the kernel test. */
#ifndef CKP_KERNEL_H
#define CKP_KERNEL_H

#include <stddef.h>

#include "engine/sim/sim_impl.h"

/* What a kernel shows an observer at the end of month t's material side
 * (steps 1-7 and the material accounting). Arrays of M unless noted; they
 * stay valid only during the call. */
typedef struct ckp_month_view {
    int t;
    const int *regime;       /* S regimes after month t's transition */
    const double *block;     /* S*M block fractions in force */
    const double *gap;       /* gap of the month */
    const double *ramp;      /* G after the month */
    const double *reroute;
    const double *release;
    const double *stock;     /* L after the month, months of demand */
    const double *shortfall; /* x */
    const double *price;     /* pi */
    const double *cost;      /* extra import cost of the month */
    const double *q0;        /* I direct inoperability */
} ckp_month_view;

typedef struct ckp_sim_observer {
    void *ctx;
    /* Called for t = 0 .. T-1 in order. */
    void (*month)(void *ctx, const ckp_month_view *v);
    /* The propagated inoperability q (I values) of month t; NULL means all
     * zero. Called once per month, not always in month order (static
     * propagation of many industries is done for all months at the end). */
    void (*industry)(void *ctx, int t, const double *q);
} ckp_sim_observer;

typedef void (*ckp_kernel_path_fn)(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                                   ckp_work *w, const double *u, double *record, double *obs,
                                   const ckp_sim_observer *observer);

/* The most paths a block entry advances together (doubles per AVX2 vector). */
#define CKP_LANES 4

/* A block of n (1..CKP_LANES) paths of one policy: lane l has its own
 * scratch w[l] (its stage cache sees the calls of that lane only), uniforms
 * u[l], record record[l] and observables obs[l] (obs itself NULL for none).
 * Every lane gets the bits the kernel's path entry gives it. No observer. */
typedef void (*ckp_kernel_block_fn)(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                                    ckp_work *const *w, int n, const double *const *u,
                                    double *const *record, double *const *obs);

typedef struct ckp_kernel {
    const char *name;
    const char *description;
    int (*available)(void); /* 1 when this machine can run it */
    ckp_kernel_path_fn path;
    ckp_kernel_block_fn block; /* NULL: one path at a time only */
} ckp_kernel;

/* The table, best first; the reference kernel is always present. */
size_t ckp_kernel_count(void);
const ckp_kernel *ckp_kernel_at(size_t i);
/* By name, or NULL. */
const ckp_kernel *ckp_kernel_find(const char *name);
/* The first available kernel of the table. */
const ckp_kernel *ckp_kernel_best(void);
/* The kernel the environment asks for (CKP_KERNEL, when set and not empty),
 * else the best one. NULL when CKP_KERNEL names no available kernel. */
const ckp_kernel *ckp_kernel_from_env(void);
/* As ckp_kernel_from_env, but without CKP_KERNEL the best kernel that
 * suits the scenario: a block kernel keeps CKP_LANES works of work_bytes
 * each, so for scenarios whose work is over CKP_BLOCK_WORK_MAX bytes (long
 * horizons with many suppliers and materials, where the stages dominate and
 * vectors gain little), and for `industries` >= CKP_GEMM_MIN_INDUSTRIES
 * (where propagation is a dgemm per path either way and the vector month
 * loop measured slower), the best kernel without a block entry is chosen. */
#define CKP_BLOCK_WORK_MAX ((size_t)32 << 20)
const ckp_kernel *ckp_kernel_choose(size_t work_bytes, int industries);

/* The kernels (kernel_scalar.c). "scalar" shares stages between the policies
 * of a path through the work's cache and takes the copula decisions from
 * brackets proved at prep; "reference" computes every stage of every call
 * from scratch and evaluates Phi for every copula decision. */
void ckp_kernel_scalar_path(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                            ckp_work *w, const double *u, double *record, double *obs,
                            const ckp_sim_observer *observer);
void ckp_kernel_reference_path(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                               ckp_work *w, const double *u, double *record, double *obs,
                               const ckp_sim_observer *observer);

/* The "avx2" kernel (kernel_avx2.c, built with -mavx2): the scalar
 * kernel's stages per lane, the month loop of CKP_LANES paths in AVX2
 * vectors. Its path entry is the scalar one. */
void ckp_kernel_avx2_block(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                           ckp_work *const *w, int n, const double *const *u, double *const *record,
                           double *const *obs);

/* Static propagation of the n months deferred in w (w->Q0, w->tmon) by one
 * dgemm, and their accounting into loss, ipeak and obs (kernel_scalar.c;
 * shared by the kernels so that they give the same bits). */
void ckp_kernel_static_deferred(const ckp_model *m, const ckp_prep *p, const ckp_layout *lay,
                                ckp_work *w, int n, double *loss, double *ipeak, double *obs);

/* An observer that fills a ckp_trace of model m (any NULL member skipped):
 * pass &t->ob to a kernel after ckp_trace_observer_init(t, m, trace). */
typedef struct ckp_trace_observer {
    ckp_sim_observer ob;
    const ckp_model *m;
    ckp_trace *trace;
} ckp_trace_observer;
void ckp_trace_observer_init(ckp_trace_observer *t, const ckp_model *m, ckp_trace *trace);

#endif
