/* chokepoint benchmarks: synthetic scenarios of any size.
 *
 * The benchmark needs scenarios far larger than the shipped ones (`wide`:
 * 40 suppliers x 30 materials x 200 industries; `io-large`: 2,000 industries
 * with a dense interdependency matrix from an input-output table) and a sweep
 * over every dimension. They are generated here as scenario-format YAML text
 * from a fixed seed, so every run of the benchmark measures the same model. */
#ifndef CKP_BENCH_GEN_H
#define CKP_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct gen_spec {
    const char *name;
    int S, M, I, T;      /* suppliers, materials, industries, months */
    int policies;        /* extra policies besides the baseline (0..2) */
    int correlated;      /* 1: equicorrelated supplier regimes (Gaussian copula) */
    int dense_io;        /* 1: dense input-output table; 0: sparse one */
    double kappa;        /* substitutability scale of A* */
    uint64_t seed;       /* generator seed (not the run's seed) */
    int64_t paths;       /* run settings written into the file */
    const char *z_csv;   /* non-NULL: write Z to this file (the loader caps inline
                            documents at 4 million values) and name it in the YAML */
} gen_spec;

/* The named presets: "wide", "io-large", and "sweep" (the base of the sweep).
 * Returns 0 and fills *spec, or -1 for an unknown name. */
int gen_preset(const char *name, gen_spec *spec);

/* Scenario YAML for the spec. *out is malloc'ed (caller frees), *len its length.
 * Returns 0, or -1 when memory runs out or spec->z_csv cannot be written. */
int gen_yaml(const gen_spec *spec, char **out, size_t *len);

#endif
