/* chokepoint: the table of path kernels and the choice among them
 * (engine/sim/kernel.h), and ckp_sim_path, the one-path call of the
 * tests and the bench (always the scalar kernel). */
#include <stdlib.h>
#include <string.h>

#include "engine/sim/kernel.h"

static int always(void)
{
    return 1;
}

#if CKP_HAVE_AVX2_KERNEL
static int has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#endif

static const ckp_kernel kernels[] = {
#if CKP_HAVE_AVX2_KERNEL
    {"avx2", "blocks of 4 paths, the month loop in AVX2 vectors, stages per lane", has_avx2,
     ckp_kernel_scalar_path, ckp_kernel_avx2_block},
#endif
    {"scalar", "one path at a time, stages shared between policies", always, ckp_kernel_scalar_path,
     NULL},
    {"reference", "one path at a time, every stage computed afresh (the test reference)", always,
     ckp_kernel_reference_path, NULL},
};

size_t ckp_kernel_count(void)
{
    return sizeof kernels / sizeof kernels[0];
}

const ckp_kernel *ckp_kernel_at(size_t i)
{
    return i < ckp_kernel_count() ? &kernels[i] : NULL;
}

const ckp_kernel *ckp_kernel_find(const char *name)
{
    for (size_t i = 0; name && i < ckp_kernel_count(); i++)
        if (strcmp(kernels[i].name, name) == 0)
            return &kernels[i];
    return NULL;
}

const ckp_kernel *ckp_kernel_best(void)
{
    for (size_t i = 0; i < ckp_kernel_count(); i++)
        if (kernels[i].available())
            return &kernels[i];
    return &kernels[ckp_kernel_count() - 1];
}

const ckp_kernel *ckp_kernel_from_env(void)
{
    const char *name = getenv("CKP_KERNEL");
    if (!name || !name[0])
        return ckp_kernel_best();
    const ckp_kernel *k = ckp_kernel_find(name);
    return k && k->available() ? k : NULL;
}

void ckp_sim_path(const ckp_model *m, const ckp_prep *prep, const ckp_layout *lay, ckp_work *w,
                  const double *u, double *record, double *obs, ckp_trace *trace)
{
    ckp_trace_observer to;
    if (trace)
        ckp_trace_observer_init(&to, m, trace);
    ckp_kernel_scalar_path(m, prep, lay, w, u, record, obs, trace ? &to.ob : NULL);
}

const ckp_kernel *ckp_kernel_choose(size_t work_bytes, int industries)
{
    const char *name = getenv("CKP_KERNEL");
    if (name && name[0])
        return ckp_kernel_from_env();
    const int block_ok = work_bytes <= CKP_BLOCK_WORK_MAX && industries < CKP_GEMM_MIN_INDUSTRIES;
    for (size_t i = 0; i < ckp_kernel_count(); i++)
        if (kernels[i].available() && (!kernels[i].block || block_ok))
            return &kernels[i];
    return &kernels[ckp_kernel_count() - 1];
}
