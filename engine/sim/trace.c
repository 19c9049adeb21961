/* chokepoint: the replay trace as an observer of a kernel: each month's
 * numbers copied into the caller's ckp_trace arrays (include/chokepoint/sim.h),
 * so the kernels' inner loops carry no trace branches. */
#include <string.h>

#include "chokepoint/scenario.h"
#include "engine/sim/kernel.h"

static void put(double *dst, size_t at, const double *src, size_t n)
{
    if (dst)
        memcpy(dst + at, src, n * sizeof(double));
}

static void trace_month(void *ctx, const ckp_month_view *v)
{
    const ckp_trace_observer *to = ctx;
    const ckp_model *m = to->m;
    ckp_trace *tr = to->trace;
    const size_t S = (size_t)m->S, M = (size_t)m->M, I = (size_t)m->I, t = (size_t)v->t;
    if (tr->regime)
        for (size_t s = 0; s < S; s++)
            tr->regime[t * S + s] = v->regime[s];
    put(tr->block, t * S * M, v->block, S * M);
    put(tr->gap, t * M, v->gap, M);
    if (tr->supply)
        for (size_t j = 0; j < M; j++)
            tr->supply[t * M + j] = 1.0 - v->gap[j];
    put(tr->ramp, t * M, v->ramp, M);
    put(tr->reroute, t * M, v->reroute, M);
    put(tr->release, t * M, v->release, M);
    if (tr->stock_days)
        for (size_t j = 0; j < M; j++)
            tr->stock_days[t * M + j] = v->stock[j] * CKP_DAYS_PER_MONTH;
    put(tr->shortfall, t * M, v->shortfall, M);
    put(tr->price, t * M, v->price, M);
    put(tr->cost, t * M, v->cost, M);
    put(tr->q0, t * I, v->q0, I);
}

static void trace_industry(void *ctx, int t, const double *q)
{
    const ckp_trace_observer *to = ctx;
    const ckp_model *m = to->m;
    ckp_trace *tr = to->trace;
    const size_t I = (size_t)m->I, at = (size_t)t * I;
    if (!q) {
        if (tr->inop)
            memset(tr->inop + at, 0, I * sizeof(double));
        if (tr->loss)
            memset(tr->loss + at, 0, I * sizeof(double));
        return;
    }
    put(tr->inop, at, q, I);
    if (tr->loss)
        for (size_t i = 0; i < I; i++)
            tr->loss[at + i] = q[i] * m->X[i] / 12.0; /* as the kernel's accounting */
}

void ckp_trace_observer_init(ckp_trace_observer *t, const ckp_model *m, ckp_trace *trace)
{
    t->ob.ctx = t;
    t->ob.month = trace_month;
    t->ob.industry = trace_industry;
    t->m = m;
    t->trace = trace;
}
